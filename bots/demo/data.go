package demo

import (
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
)

type variantSeed struct {
	name  string
	price int64 // minor units of the shop's currency
	stock int
}

type productSeed struct {
	category    string
	title       string
	description string
	variants    []variantSeed
}

// rub is an amount in whole roubles, in kopecks.
func rub(n int64) int64 { return n * 100 }

// cardCatalog is the card shop's range: sizes, colours, a sold-out size, a sold-out product.
var cardCatalog = []productSeed{
	{"Одежда", "Худи оверсайз", "Плотный хлопок с начёсом, свободный крой. Стирка при 30°.", []variantSeed{
		{"S", rub(4990), 5}, {"M", rub(4990), 8}, {"L", rub(4990), 6}, {"XL", rub(4990), 2}}},
	{"Одежда", "Футболка базовая", "100% хлопок, 180 г/м². Не садится после стирки.", []variantSeed{
		{"Белая, M", rub(1490), 12}, {"Белая, L", rub(1490), 9}, {"Чёрная, M", rub(1490), 10}, {"Чёрная, L", rub(1490), 4}}},
	{"Одежда", "Джинсы прямые", "Плотный деним, прямой крой, средняя посадка.", []variantSeed{
		{"28", rub(5990), 3}, {"30", rub(5990), 5}, {"32", rub(5990), 4}}},
	{"Обувь", "Кроссовки беговые", "Лёгкие, с амортизирующей подошвой. Для бега и на каждый день.", []variantSeed{
		{"38", rub(8990), 2}, {"39", rub(8990), 4}, {"40", rub(8990), 0}, {"41", rub(8990), 3}, {"42", rub(8990), 1}}},
	{"Обувь", "Кеды канвас", "Классические кеды из плотного канваса.", []variantSeed{
		{"37", rub(3990), 4}, {"38", rub(3990), 6}, {"39", rub(3990), 5}}},
	{"Аксессуары", "Рюкзак городской", "20 литров, отделение для ноутбука 15\", водоотталкивающая ткань.", []variantSeed{
		{"", rub(4490), 7}}},
	{"Аксессуары", "Шапка бини", "Мягкая шерсть мериноса.", []variantSeed{
		{"Серая", rub(990), 10}, {"Синяя", rub(990), 8}}},
	{"Аксессуары", "Носки, 3 пары", "Хлопок с эластаном, размер 38–42.", []variantSeed{
		{"", rub(590), 30}}},
	{"Для дома", "Кружка керамическая", "350 мл, можно в посудомойку и микроволновку.", []variantSeed{
		{"", rub(790), 15}}},
	{"Для дома", "Плед шерстяной", "130×170 см, мягкая новозеландская шерсть.", []variantSeed{
		{"", rub(3490), 0}}},
	{"Для дома", "Свеча ароматическая", "Соевый воск, 40 часов горения.", []variantSeed{
		{"Лаванда", rub(1290), 6}, {"Кедр", rub(1290), 5}}},
	{"Для дома", "Термос 0,5 л", "Держит тепло 12 часов, холод — 24.", []variantSeed{
		{"", rub(2190), 9}}},
}

// starsCatalog is the Stars shop's range: digital goods, priced in whole stars.
var starsCatalog = []productSeed{
	{"", "Стикерпак «Котики»", "24 стикера с котиками на каждый случай.", []variantSeed{{"", 150, 1000}}},
	{"", "Обои «Осенний лес»", "Набор из 6 обоев для телефона в высоком разрешении.", []variantSeed{{"", 75, 1000}}},
}

var pickupPoints = []catalog.PickupPoint{
	{Name: "Пункт на Тверской", Address: "Москва, Тверская ул., 12", Hours: "Пн–Пт 10:00–20:00, Сб 11:00–18:00"},
	{Name: "Пункт у метро Сокол", Address: "Москва, Ленинградский пр., 75", Hours: "Ежедневно 10:00–22:00"},
}

var shippingOptions = []catalog.ShippingOption{
	{Name: "Курьер по Москве", Price: core.Money{Amount: rub(390), Currency: "RUB"}},
	{Name: "Почта России", Price: core.Money{Amount: rub(290), Currency: "RUB"}},
	{Name: "СДЭК до пункта выдачи", Price: core.Money{Amount: rub(250), Currency: "RUB"}},
}

type orderSeed struct {
	shopper  int // index in Shoppers
	product  string
	variant  int
	quantity int
	shipping bool // else pickup
	status   order.Status
	review   *reviewSeed // the buyer's review of a completed order's only line
}

// reviewSeed is a shopper's review, and the shop's reply ("" for none).
type reviewSeed struct {
	rating int
	text   string
	reply  string
}

// pastOrders show the seller's order screens in every state that matters.
var pastOrders = []orderSeed{
	{0, "Худи оверсайз", 1, 1, false, order.StatusCompleted, &reviewSeed{5,
		"Очень тёплое и мягкое, размер M сел идеально. Возьму второе в другом цвете!", "Спасибо, Аня! Ждём вас снова 🧡"}},
	{1, "Кроссовки беговые", 3, 1, true, order.StatusShipped, nil},
	{2, "Кружка керамическая", 0, 2, false, order.StatusPaid, nil},
	{0, "Свеча ароматическая", 0, 1, false, order.StatusReadyForPickup, nil},
	{2, "Худи оверсайз", 2, 1, false, order.StatusCompleted, &reviewSeed{4,
		"Качество отличное, но рукава длинноваты — берите на размер меньше.", ""}},
	{1, "Кружка керамическая", 0, 1, true, order.StatusCompleted, &reviewSeed{5,
		"Nice mug, the right size for a morning coffee. Survived the dishwasher many times.", ""}},
	{2, "Рюкзак городской", 0, 1, false, order.StatusCompleted, &reviewSeed{5,
		"Ноутбук на 15\" влезает, в дождь внутри сухо.", ""}},
}
