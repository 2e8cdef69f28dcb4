package bot

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/order"
)

// A group buy that stopped: each participant is told it goes ahead and gets
// the invoice of their place (the final price, the organizer's fee), once,
// and pays it.
func TestGroupBuy_Invoices(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop := env.starsShop("Стикеры оптом")
	p := env.product(seller, shop, "Стикерпак", "", variant("", 100, 0))
	svc := env.groups
	gb, err := svc.Create(env.ctx, core.UserID(seller.ID()), groupbuy.Purchase{Shop: shop.ID, Product: p.ID,
		Variants: []core.VariantID{p.Variants[0].ID}, Title: "Стикеры вместе",
		Tiers:   groupbuy.Tiers{{From: 1, Price: core.Money{Amount: 100, Currency: core.Stars}}, {From: 3, Price: core.Money{Amount: 80, Currency: core.Stars}}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 3}, FeeBP: 1000, Shipping: true, Deadline: env.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	anna, oleg := env.shopper("Анна", "ru"), env.shopper("Oleg", "en")
	for i, u := range []*sandbox.User{anna, oleg} {
		env.send(u, "/start")
		if _, _, err := svc.Join(env.ctx, core.UserID(u.ID()), gb.ID, p.Variants[0].ID, 1+i, 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := svc.Stop(env.ctx, core.UserID(seller.ID()), gb.ID); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the workers' groupbuy:invoices, run twice
		if _, more, err := svc.OrderPlaces(env.ctx, gb.ID, 0, func(o order.Order) error {
			return env.bot.GroupBuys.SendPlaceInvoice(env.ctx, o)
		}); err != nil || more {
			t.Fatalf("order places: %v, %v", more, err)
		}
	}
	// Anna: 1 × 80 ⭐ and her part of the 10 % fee (24 ⭐ in all: 8 and 16).
	env.messageWith(anna, "🎉 Совместная покупка состоялась: Стикерпак × 1 по итоговой цене 80\u00a0⭐ за шт., сбор организатора 8\u00a0⭐. К оплате: 88\u00a0⭐")
	env.messageWith(oleg, "🎉 The group buy goes ahead: Стикерпак × 2 at the final price of 80\u00a0⭐ each, organizer's fee 16\u00a0⭐. To pay: 176\u00a0⭐")
	invoices := 0
	for _, m := range anna.Messages() {
		if m.Invoice != nil {
			invoices++
		}
	}
	if invoices != 1 {
		t.Errorf("Anna got %d invoices, want one", invoices)
	}
	if res, err := anna.Pay(env.ctx, env.lastInvoice(anna), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid || res.Payment.TotalAmount != 88 {
		t.Fatalf("pay: %+v, %v", res, err)
	}
	env.waitFor("Anna's place paid", func() bool {
		os := env.buyerOrders(anna)
		return len(os) == 1 && os[0].Status == order.StatusPaid && os[0].GroupBuy == gb.ID
	})
	if !strings.Contains(env.lastBot(anna).Body(), "Оплата получена") {
		t.Errorf("after paying: %q", env.lastBot(anna).Body())
	}
	// Each one's record on the card: Anna paid, Oleg is to pay.
	env.send(anna, fmt.Sprintf("/start gb_%d", gb.ID))
	card := env.wantBody(anna, "✅ Сбор закрыт: 3 шт. по итоговой цене 80\u00a0⭐", "• Стикерпак × 1 · оплачено ✅")
	if len(buttonLabels(card)) != 1 {
		t.Errorf("Anna's card's buttons %v, want her order's", buttonLabels(card))
	}
	env.send(oleg, fmt.Sprintf("/start gb_%d", gb.ID))
	env.wantBody(oleg, "• Стикерпак × 2 · to pay 176\u00a0⭐ by")
	// A day before the deadline Oleg, who has not paid, is reminded (the
	// workers' groupbuy:payreminder); Anna is not.
	if keys := env.outboxKeys(groupbuy.JobPayReminder); len(keys) != 1 {
		t.Errorf("pay reminders %v", keys)
	}
	unpaid, err := svc.Unpaid(env.ctx, gb.ID)
	if err != nil || len(unpaid) != 1 || unpaid[0].Buyer != core.UserID(oleg.ID()) {
		t.Fatalf("unpaid %+v, %v", unpaid, err)
	}
	stopped, _ := svc.Purchase(env.ctx, gb.ID)
	m, err := env.bot.GroupBuys.PayReminderMessage(env.ctx, stopped, unpaid[0])
	if err != nil {
		t.Fatal(err)
	}
	env.deliver(m)
	reminder := env.wantBody(oleg, "⏰ The group buy Стикеры вместе: your place is still to pay, 176\u00a0⭐ by")
	if _, ok := reminder.Button("📦 Order #" + fmt.Sprint(unpaid[0].Order)); !ok {
		t.Errorf("the reminder's buttons %v", buttonLabels(reminder))
	}
	env.noErrorsLogged()
}

// A shopper opens a size-row purchase's card from its link, joins a size,
// changes the quantity and leaves; the card shows the tier, the way to the
// next one and the sizes the open row lacks; after STOP nobody joins.
func TestGroupBuy_Card(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop := env.starsShop("Кеды оптом")
	p := env.product(seller, shop, "Кеды", "", variant("36", 100, 0), variant("37", 100, 0), variant("38", 100, 0))
	sizes := []core.VariantID{p.Variants[0].ID, p.Variants[1].ID, p.Variants[2].ID}
	gb, err := env.groups.Create(env.ctx, core.UserID(seller.ID()), groupbuy.Purchase{Shop: shop.ID, Product: p.ID, Variants: sizes,
		Title: "Кеды рядами", Tiers: groupbuy.Tiers{{From: 1, Price: core.Money{Amount: 100, Currency: core.Stars}}, {From: 3, Price: core.Money{Amount: 80, Currency: core.Stars}}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinRows, Value: 1}, FeeBP: 1000, Shipping: true, Deadline: env.clock.Now().Add(24 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	anna, boris := env.shopper("Анна", "ru"), env.shopper("Борис", "ru")
	env.send(anna, fmt.Sprintf("/start gb_%d", gb.ID))
	card := env.wantBody(anna, "🤝 Кеды рядами", "Цена сейчас: 100\u00a0⭐ за шт. + сбор организатора 10 %",
		"1–2 шт. — 100\u00a0⭐ · от 3 шт. — 80\u00a0⭐", "Набрано: 0 шт. Ещё 3 — и цена 80\u00a0⭐",
		"Полных рядов: 0 из 1", "В открытом ряду не хватает: 36, 37, 38", "Сбор до ")
	if got := buttonLabels(card); !slices.Equal(got, []string{"➕ 36", "➕ 37", "➕ 38", "📤 Позвать друзей"}) {
		t.Errorf("the card's buttons %v", got)
	}
	env.press(anna, card, "➕ 37")
	card = env.wantBody(anna, "🎉 Вы в деле!", "Набрано: 1 шт. Ещё 2", "не хватает: 36, 38", "Вы участвуете:\n• 37 × 1")
	env.press(anna, card, "➕")
	card = env.wantBody(anna, "Набрано: 2 шт. Ещё 1 — и цена 80\u00a0⭐", "• 37 × 2")

	env.send(boris, fmt.Sprintf("/start gb_%d", gb.ID))
	env.press(boris, env.lastBot(boris), "➕ 36")
	env.press(boris, env.lastBot(boris), "➕ 38")
	env.wantBody(boris, "Цена сейчас: 80\u00a0⭐", "Набрано: 4 шт. — самая низкая цена", "Полных рядов: 1 из 1 ✅", "• 36 × 1\n• 38 × 1")

	// Anna takes one back, then leaves; her card shows it.
	env.press(anna, card, "➖")
	card = env.wantBody(anna, "Набрано: 3 шт.", "• 37 × 1")
	env.press(anna, card, "➖")
	card = env.wantBody(anna, "Набрано: 2 шт.", "В открытом ряду не хватает: 37")
	if strings.Contains(card.Body(), "Вы участвуете") {
		t.Errorf("Anna left but her card shows her place: %q", card.Body())
	}

	if _, err := env.groups.Stop(env.ctx, core.UserID(seller.ID()), gb.ID); !errors.Is(err, groupbuy.ErrMinimumNotMet) {
		t.Fatalf("STOP without a full row: %v", err)
	}
	env.press(anna, card, "➕ 37")
	// A late size 36 beyond the one full row: STOP cuts it, and its buyer is told.
	vera := env.shopper("Вера", "ru")
	env.send(vera, "/start")
	if _, _, err := env.groups.Join(env.ctx, core.UserID(vera.ID()), gb.ID, sizes[0], 1, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := env.groups.Stop(env.ctx, core.UserID(seller.ID()), gb.ID); err != nil {
		t.Fatal(err)
	}
	cut, err := env.groups.CutPlaces(env.ctx, gb.ID)
	if err != nil || len(cut) != 1 {
		t.Fatalf("cut places %+v, %v", cut, err)
	}
	stopped, _ := env.groups.Purchase(env.ctx, gb.ID)
	m, err := env.bot.GroupBuys.CutMessage(env.ctx, stopped, cut[0]) // the workers' groupbuy:cut
	if err != nil {
		t.Fatal(err)
	}
	env.deliver(m)
	cutMsg := env.wantBody(vera, "«Кеды рядами»: размер 36 × 1 не вошёл в полные ряды", "Платить ничего не нужно.", "Хотите другой размер?")
	if got := buttonLabels(cutMsg); !slices.Equal(got, []string{"⏳ Ждать 37", "⏳ Ждать 38"}) {
		t.Errorf("the cut message's buttons %v", got)
	}
	env.press(vera, cutMsg, "⏳ Ждать 38")
	env.wantBody(vera, "Вы в листе ожидания: 38, №1 в очереди.")
	env.press(anna, env.lastBot(anna), "37 × 1") // the card again
	card = env.wantBody(anna, "✅ Сбор закрыт: 3 шт. по итоговой цене 80\u00a0⭐ + сбор организатора 10 %")
	if got := buttonLabels(card); len(got) != 0 {
		t.Errorf("a closed card offers %v", got)
	}
	if got := env.forgePress(boris, env.lastBot(boris), fmt.Sprintf("gbj:%d:%d", gb.ID, sizes[1])); !strings.Contains(got, "Сбор уже закрыт") {
		t.Errorf("a join after STOP is answered %q", got)
	}
}

// The seller opens a group buy from the admin menu, refused wrong answers
// kept in the conversation; shoppers join from its link; STOP once the
// minimum is met, the organizer's alone.
func TestGroupBuy_Organizer(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop := env.starsShop("Стикеры оптом")
	stickers := env.product(seller, shop, "Стикерпак", "", variant("", 100, 0))
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "🤝 Совместные покупки")
	env.press(seller, env.wantBody(seller, "Пока ни одной."), "➕ Новая совместная покупка")
	env.press(seller, env.wantBody(seller, "Какой товар покупаем вместе?"), "Стикерпак")
	env.send(seller, "100; 3: 120") // the price rises
	env.wantBody(seller, "Не понял ступени")
	env.send(seller, "100; 3: 80")
	env.press(seller, env.wantBody(seller, "Что считаем минимумом"), "Количество штук")
	env.send(seller, "ноль")
	env.wantBody(seller, "Нужно целое число больше нуля.")
	env.send(seller, "3")
	env.send(seller, "60")
	env.wantBody(seller, "Сбор — от 0 до 50 %.")
	env.send(seller, "10")
	env.send(seller, "после стопа")
	env.wantBody(seller, "Текст сейчас не подходит. Здесь нужно: когда платят участники (кнопкой).")
	env.press(seller, env.wantBody(seller, "Когда участники платят?"), "После STOP")
	env.send(seller, "когда-нибудь")
	env.wantBody(seller, "Не понял время")
	deadline := env.clock.Now().Add(48 * time.Hour).In(time.FixedZone("MSK", 3*3600))
	env.send(seller, deadline.Format("02.01 15:04"))
	env.messageWith(seller, "✅ Совместная покупка «Стикерпак» открыта.")
	screen := env.wantBody(seller, "🤝 Стикерпак", "Цена сейчас: 100\u00a0⭐ за шт. + сбор организатора 10 %", "Участников: 0",
		"Ссылка для участников: https://t.me/")
	if _, ok := screen.Button("⏹ STOP: закрыть сбор по 100\u00a0⭐"); ok {
		t.Errorf("STOP offered before the minimum: %v", buttonLabels(screen))
	}
	list, err := env.groups.ShopPurchases(env.ctx, core.UserID(seller.ID()), shop.ID, 5)
	if err != nil || len(list) != 1 {
		t.Fatalf("purchases %+v, %v", list, err)
	}
	gb := list[0]

	anna := env.shopper("Анна", "ru")
	env.send(anna, fmt.Sprintf("/start gb_%d", gb.ID))
	env.press(anna, env.lastBot(anna), "➕ Стикерпак")
	env.press(anna, env.lastBot(anna), "➕")
	env.press(anna, env.lastBot(anna), "➕")
	env.wantBody(anna, "Набрано: 3 шт. — самая низкая цена", "Минимум 3 шт. набран ✅")

	if got := env.forgePress(anna, env.lastBot(anna), fmt.Sprintf("ags:%d", gb.ID)); !strings.Contains(got, "Это может только организатор") {
		t.Errorf("STOP by a participant: %q", got)
	}
	env.press(seller, screen, "🔄 Обновить")
	env.press(seller, env.wantBody(seller, "Участников: 1"), "⏹ STOP: закрыть сбор по 80\u00a0⭐")
	env.wantBody(seller, "⏹ Сбор закрыт по 80\u00a0⭐ за шт.", "✅ Сбор закрыт: 3 шт. по итоговой цене 80\u00a0⭐")
	if keys := env.outboxKeys(groupbuy.JobInvoices); len(keys) != 1 {
		t.Errorf("invoice jobs %v, want one", keys)
	}
	if _, _, err := env.groups.OrderPlaces(env.ctx, gb.ID, 0, func(o order.Order) error { // the workers' groupbuy:invoices
		return env.bot.GroupBuys.SendPlaceInvoice(env.ctx, o)
	}); err != nil {
		t.Fatal(err)
	}
	env.press(seller, env.lastBot(seller), "👥 Участники")
	env.wantBody(seller, "👥 Участники «Стикерпак»:", "• Анна — Стикерпак × 3 · ждёт оплаты 264\u00a0⭐")
	if got := env.forgePress(anna, env.lastBot(anna), fmt.Sprintf("agr:%d", gb.ID)); !strings.Contains(got, "Это может только организатор") {
		t.Errorf("the roster shown to a participant: %q", got)
	}

	// The supplier's order, as CSV and XLSX; the organizer's alone.
	env.press(seller, env.lastBot(seller), "⬅️ Назад")
	env.press(seller, env.lastBot(seller), "📄 Заказ поставщику (CSV, XLSX)")
	files := map[string][]byte{}
	for _, m := range seller.Messages() {
		if m.Document != nil {
			data, _, ok := env.tg.FileData(m.Document.FileID)
			if !ok {
				t.Fatalf("document %s has no data", m.Document.FileName)
			}
			files[m.Document.FileName] = data
		}
	}
	name := fmt.Sprintf("groupbuy-%d", gb.ID)
	csvText := string(files[name+".csv"])
	for _, want := range []string{"\ufeffИтоги\n", "Вариант;Артикул;Шт.\n", "Стикерпак;" + stickers.Variants[0].SKU + ";3\n", "Всего;;3\n",
		"№;Участник;Вариант;Шт.;Товар;Сбор;Итого;Статус;Выдача\n", "1;Анна;Стикерпак;3;240;24;264;ждёт оплаты;Доставка\n"} {
		if !strings.Contains(csvText, want) {
			t.Errorf("the CSV lacks %q:\n%s", want, csvText)
		}
	}
	book, err := excelize.OpenReader(bytes.NewReader(files[name+".xlsx"]))
	if err != nil {
		t.Fatalf("the XLSX: %v", err)
	}
	defer book.Close()
	if got := book.GetSheetList(); !slices.Equal(got, []string{"Итоги", "Участники"}) {
		t.Errorf("sheets %v", got)
	}
	if rows, err := book.GetRows("Участники"); err != nil || len(rows) != 2 || !slices.Equal(rows[1][:4], []string{"1", "Анна", "Стикерпак", "3"}) || rows[1][6] != "264.00" {
		t.Errorf("the participants' sheet %q, %v", rows, err)
	}
	if got := env.forgePress(anna, env.lastBot(anna), fmt.Sprintf("age:%d", gb.ID)); !strings.Contains(got, "Это может только организатор") {
		t.Errorf("the export for a participant: %q", got)
	}
}

// The organizer extends the deadline once and then cancels; a participant
// is told of each, in their language.
func TestGroupBuy_ExtendCancel(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop := env.starsShop("Стикеры оптом")
	p := env.product(seller, shop, "Стикерпак", "", variant("", 100, 0))
	gb, err := env.groups.Create(env.ctx, core.UserID(seller.ID()), groupbuy.Purchase{Shop: shop.ID, Product: p.ID,
		Variants: []core.VariantID{p.Variants[0].ID}, Title: "Стикеры вместе",
		Tiers:   groupbuy.Tiers{{From: 1, Price: core.Money{Amount: 100, Currency: core.Stars}}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 5}, Shipping: true, Deadline: env.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	oleg := env.shopper("Oleg", "en")
	env.send(oleg, "/start")
	if _, _, err := env.groups.Join(env.ctx, core.UserID(oleg.ID()), gb.ID, p.Variants[0].ID, 1, 0); err != nil {
		t.Fatal(err)
	}
	notice := func(ev groupbuy.Event) { // the workers' groupbuy:extended and :cancelled
		t.Helper()
		got, err := env.groups.Purchase(env.ctx, gb.ID)
		if err != nil {
			t.Fatal(err)
		}
		m, err := env.bot.GroupBuys.PurchaseNotice(env.ctx, got, core.UserID(oleg.ID()), ev)
		if err != nil {
			t.Fatal(err)
		}
		env.deliver(m)
	}

	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "🤝 Совместные покупки")
	env.press(seller, env.lastBot(seller), "🟢 Стикеры вместе · 1 шт.")
	env.press(seller, env.lastBot(seller), "⏳ Продлить сбор")
	env.wantBody(seller, "До какого времени продлить?")
	env.send(seller, env.clock.Now().Add(-2*time.Hour).In(time.FixedZone("MSK", 3*3600)).Format("02.01 15:04")) // earlier
	env.wantBody(seller, "Это время уже прошло")
	later := env.clock.Now().Add(26 * time.Hour).In(time.FixedZone("MSK", 3*3600))
	env.send(seller, later.Format("02.01 15:04"))
	env.messageWith(seller, "⏳ Сбор продлён до "+later.Format("02.01 15:04")+" МСК")
	screen := env.lastBot(seller)
	if _, ok := screen.Button("⏳ Продлить сбор"); ok {
		t.Errorf("extending offered twice: %v", buttonLabels(screen))
	}
	notice(groupbuy.EventExtended)
	env.wantBody(oleg, "⏳ The group buy Стикеры вместе gathers until "+later.Format("02.01 15:04")+" MSK")

	env.press(seller, screen, "✖️ Отменить покупку")
	env.press(seller, env.wantBody(seller, "Отменить совместную покупку «Стикеры вместе»?"), "✖️ Да, отменить")
	env.wantBody(seller, "✖️ Покупка отменена", "Организатор отменил эту покупку.")
	notice(groupbuy.EventCancelled)
	env.wantBody(oleg, "✖️ The organizer called off the group buy Стикеры вместе.")
}

// The goods arrive: a participant who paid gets the pickup point and a code,
// as text and a QR image; at the point the organizer types the code, once.
func TestGroupBuy_Pickup(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop, kiosk := env.bakery()
	bread := env.product(seller, shop, "Хлеб", "", variant("", 12000, 0))
	gb, err := env.groups.Create(env.ctx, core.UserID(seller.ID()), groupbuy.Purchase{Shop: shop.ID, Product: bread.ID,
		Variants: []core.VariantID{bread.Variants[0].ID}, Title: "Хлеб на неделю",
		Tiers:   groupbuy.Tiers{{From: 1, Price: core.Money{Amount: 10000, Currency: "RUB"}}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 1}, Pickup: []core.PickupPointID{kiosk.ID},
		Deadline: env.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	anna := env.shopper("Анна", "ru")
	env.send(anna, fmt.Sprintf("/start gb_%d", gb.ID))
	env.press(anna, env.lastBot(anna), "➕ Хлеб")
	if _, err := env.groups.Stop(env.ctx, core.UserID(seller.ID()), gb.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.groups.OrderPlaces(env.ctx, gb.ID, 0, func(o order.Order) error {
		return env.bot.GroupBuys.SendPlaceInvoice(env.ctx, o)
	}); err != nil {
		t.Fatal(err)
	}
	if res, err := anna.Pay(env.ctx, env.lastInvoice(anna), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay: %+v, %v", res, err)
	}
	env.waitFor("Anna's place paid", func() bool {
		os := env.buyerOrders(anna)
		return len(os) == 1 && os[0].Status == order.StatusPaid
	})

	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "🤝 Совместные покупки")
	env.press(seller, env.lastBot(seller), "✅ Хлеб на неделю · 1 шт.")
	env.press(seller, env.lastBot(seller), "📦 Товар приехал")
	env.wantBody(seller, "Оплатившим участникам уходят коды выдачи")
	codes, err := env.groups.CodesToSend(env.ctx, gb.ID)
	if err != nil || len(codes) != 1 {
		t.Fatalf("codes %+v, %v", codes, err)
	}
	stopped, _ := env.groups.Purchase(env.ctx, gb.ID)
	if err := env.bot.GroupBuys.SendPickupCode(env.ctx, stopped, codes[0]); err != nil { // the workers' groupbuy:arrived
		t.Fatal(err)
	}
	code := env.wantBody(anna, "Товар совместной покупки «Хлеб на неделю» приехал!", "Киоск", "Ленина, 5", "Ваш код выдачи: "+codes[0].Code)
	if code.Photo == nil {
		t.Errorf("the code came without its QR image: %+v", code)
	}
	if err := env.groups.CodeSent(env.ctx, codes[0].ID); err != nil {
		t.Fatal(err)
	}
	if keys := env.outboxKeys(groupbuy.JobUncollected); len(keys) != len(groupbuy.UncollectedReminders) {
		t.Errorf("uncollected reminders %v", keys)
	}
	// Three days on, her goods still wait: the workers' groupbuy:uncollected.
	waiting, err := env.groups.Uncollected(env.ctx, gb.ID)
	if err != nil || len(waiting) != 1 {
		t.Fatalf("uncollected %+v, %v", waiting, err)
	}
	reminder, err := env.bot.GroupBuys.UncollectedMessage(env.ctx, stopped, waiting[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	env.deliver(reminder)
	env.wantBody(anna, "📦 Напоминаем: товар совместной покупки «Хлеб на неделю» ждёт вас.", "Киоск", "Код выдачи: "+codes[0].Code)
	env.press(seller, env.lastBot(seller), "👥 Участники")
	env.wantBody(seller, "• Анна — Хлеб × 1 · оплачено, ждёт выдачи")
	env.press(seller, env.lastBot(seller), "⬅️ Назад")

	// The shipping to the point, split among those collecting there (Anna
	// alone), once; her share's invoice comes from the workers'
	// groupbuy:shipping.
	env.press(seller, env.lastBot(seller), "🚚 Разделить доставку до пункта")
	env.wantBody(seller, "Сколько стоила доставка товара до пункта выдачи")
	env.send(seller, "много")
	env.wantBody(seller, "Не понял сумму")
	env.send(seller, "150")
	env.messageWith(seller, "🚚 Доставка 150\u00a0₽ разделена между участниками (1)")
	screen := env.wantBody(seller, "Доставка до пункта: 150\u00a0₽, разделена между участниками")
	if _, ok := screen.Button("🚚 Разделить доставку до пункта"); ok {
		t.Error("the shipping can be split twice")
	}
	for range 2 {
		if err := env.groups.OrderShipping(env.ctx, gb.ID, func(o order.Order) error {
			return env.bot.GroupBuys.SendShippingInvoice(env.ctx, o)
		}); err != nil {
			t.Fatal(err)
		}
	}
	if share := env.messageWith(anna, "🚚 Совместная покупка «Хлеб на неделю»: доставка товара до пункта выдачи обошлась в 150\u00a0₽"); !strings.Contains(share.Body(), "Ваша доля: 150\u00a0₽") {
		t.Errorf("the share's note: %q", share.Body())
	}
	if n := countInvoices(anna); n != 2 {
		t.Errorf("Anna has %d invoices, want her place's and her shipping share's", n)
	}
	if res, err := anna.Pay(env.ctx, env.lastInvoice(anna), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid || res.Payment.TotalAmount != 15000 {
		t.Fatalf("pay the shipping share: %+v, %v", res, err)
	}
	env.waitFor("Anna's shipping share paid", func() bool {
		for _, o := range env.buyerOrders(anna) {
			if o.Total.Amount == 15000 && o.Status == order.StatusPaid {
				return true
			}
		}
		return false
	})

	env.press(seller, env.lastBot(seller), "🎫 Выдать по коду")
	env.wantBody(seller, "введите код выдачи")
	env.send(seller, "123")
	env.wantBody(seller, "Такого кода нет в этой покупке")
	env.send(seller, codes[0].Code)
	confirm := env.wantBody(seller, "Код верный: Анна — Хлеб на неделю × 1. Выдать?")
	placeOrder := func() order.Order {
		for _, o := range env.buyerOrders(anna) {
			if o.ID == codes[0].Order {
				return o
			}
		}
		t.Fatalf("Anna's place's order %d is gone", codes[0].Order)
		return order.Order{}
	}
	if placeOrder().Status == order.StatusCompleted {
		t.Error("handed over before the organizer confirmed")
	}
	env.press(seller, confirm, "✅ Выдать")
	env.wantBody(seller, "✅ Выдано: Анна — Хлеб на неделю × 1.", "введите код выдачи")
	env.send(seller, codes[0].Code)
	env.wantBody(seller, "Этот код уже использован")
	if got := env.forgePress(seller, confirm, fmt.Sprintf("agh:%d:%s", gb.ID, codes[0].Code)); !strings.Contains(got, "Этот код уже использован") {
		t.Errorf("the confirmation tapped again: %q", got)
	}
	if o := placeOrder(); o.Status != order.StatusCompleted {
		t.Errorf("Anna's order after the handing over: %+v", o)
	}
}

// After STOP a shopper joins the waiting list from the card; a participant
// who does not pay gives their place up, and it is offered to the waiter, who
// takes it from the offer and pays; a stale Take is refused.
func TestGroupBuy_Waitlist(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop := env.starsShop("Стикеры оптом")
	p := env.product(seller, shop, "Стикерпак", "", variant("", 100, 0))
	svc := env.groups
	gb, err := svc.Create(env.ctx, core.UserID(seller.ID()), groupbuy.Purchase{Shop: shop.ID, Product: p.ID,
		Variants: []core.VariantID{p.Variants[0].ID}, Title: "Стикеры вместе",
		Tiers:   groupbuy.Tiers{{From: 1, Price: core.Money{Amount: 100, Currency: core.Stars}}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 1}, FeeBP: 1000, Shipping: true, Deadline: env.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	anna, boris := env.shopper("Анна", "ru"), env.shopper("Boris", "en")
	env.send(anna, "/start")
	if _, _, err := svc.Join(env.ctx, core.UserID(anna.ID()), gb.ID, p.Variants[0].ID, 2, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Stop(env.ctx, core.UserID(seller.ID()), gb.ID); err != nil {
		t.Fatal(err)
	}
	sendInvoices := func() {
		t.Helper()
		if _, _, err := svc.OrderPlaces(env.ctx, gb.ID, 0, func(o order.Order) error {
			return env.bot.GroupBuys.SendPlaceInvoice(env.ctx, o)
		}); err != nil {
			t.Fatal(err)
		}
	}
	sendInvoices()

	env.send(boris, fmt.Sprintf("/start gb_%d", gb.ID))
	card := env.wantBody(boris, "Joining has closed, but places come free")
	env.press(boris, card, "⏳ Wait for Стикерпак")
	card = env.wantBody(boris, "You are on the waiting list. When a place comes free", "number 1 in line")
	if got := buttonLabels(card); !slices.Equal(got, []string{"✖️ Stop waiting for Стикерпак"}) {
		t.Errorf("the waiter's buttons %v", got)
	}

	// Anna does not pay: her order expires (order:expire), which settles
	// the list (order:group); the offer goes out (groupbuy:offer).
	annas := env.buyerOrders(anna)[0]
	env.clock.Set(annas.ReservedUntil)
	if _, err := env.orders.Expire(env.ctx, annas.ID); err != nil {
		t.Fatal(err)
	}
	if err := svc.Settle(env.ctx, gb.ID); err != nil {
		t.Fatal(err)
	}
	waits, err := svc.Waits(env.ctx, gb.ID, core.UserID(boris.ID()))
	if err != nil || len(waits) != 1 || waits[0].Status != groupbuy.WaitOffered {
		t.Fatalf("Boris's waits %+v, %v", waits, err)
	}
	stopped, _ := svc.Purchase(env.ctx, gb.ID)
	m, err := env.bot.GroupBuys.OfferMessage(env.ctx, stopped, waits[0])
	if err != nil {
		t.Fatal(err)
	}
	env.deliver(m)
	offer := env.wantBody(boris, "🎟 A place came free in the group buy Стикеры вместе: Стикерпак × 2 at 100\u00a0⭐ each + organizer's fee 20\u00a0⭐, 220\u00a0⭐ in all")
	env.press(boris, card, "✖️ Stop waiting for Стикерпак") // on the card, edited in place
	if got := env.refresh(boris, card).Body(); !strings.Contains(got, "You left the waiting list.") {
		t.Errorf("the card after leaving the list: %q", got)
	}
	if got := env.forgePress(boris, offer, fmt.Sprintf("gbt:%d:%d", gb.ID, p.Variants[0].ID)); !strings.Contains(got, "no longer open") {
		t.Errorf("taking an offer given up is answered %q", got)
	}
	// Back in line: the free place is his at once, and he takes it.
	env.send(boris, fmt.Sprintf("/start gb_%d", gb.ID))
	env.press(boris, env.lastBot(boris), "⏳ Wait for Стикерпак")
	card = env.wantBody(boris, "🎟 A place came free")
	env.press(boris, card, "✅ Take the place")
	env.wantBody(boris, "✅ The place is yours! The invoice follows.")
	sendInvoices()
	if res, err := boris.Pay(env.ctx, env.lastInvoice(boris), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid || res.Payment.TotalAmount != 220 {
		t.Fatalf("pay: %+v, %v", res, err)
	}
	env.waitFor("Boris's place paid", func() bool {
		os := env.buyerOrders(boris)
		return len(os) == 1 && os[0].Status == order.StatusPaid && os[0].GroupBuy == gb.ID
	})
	// Anna's record says what became of her place.
	env.send(anna, fmt.Sprintf("/start gb_%d", gb.ID))
	env.wantBody(anna, "• Стикерпак × 2 · не оплачено в срок")
	if waiting, free, err := svc.WaitlistSize(env.ctx, gb.ID); err != nil || waiting != 0 || free != 0 {
		t.Errorf("waiting %d, free %d (%v)", waiting, free, err)
	}
}

// A purchase's card shared into a group through inline mode and posted by the
// bot in a channel is edited as people join: the tier falls on every card.
func TestGroupBuy_SharedCards(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop := env.starsShop("Стикеры оптом")
	p := env.product(seller, shop, "Стикерпак", "", variant("", 100, 0))
	svc := env.groups
	gb, err := svc.Create(env.ctx, core.UserID(seller.ID()), groupbuy.Purchase{Shop: shop.ID, Product: p.ID,
		Variants: []core.VariantID{p.Variants[0].ID}, Title: "Стикеры вместе",
		Tiers:   groupbuy.Tiers{{From: 1, Price: core.Money{Amount: 100, Currency: core.Stars}}, {From: 2, Price: core.Money{Amount: 80, Currency: core.Stars}}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 2}, Shipping: true, Deadline: env.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	anna, boris := env.shopper("Анна", "ru"), env.shopper("Борис", "ru")
	group := env.tg.NewChat(sandbox.ChatSpec{Type: sandbox.ChatSupergroup, Title: "Соседи"})
	group.AddMember(anna.ID(), sandbox.StatusMember)
	channel := env.tg.NewChat(sandbox.ChatSpec{Type: sandbox.ChatChannel, Title: "Стикеры оптом"})

	// Anna shares the card from her card's button (it types "gb_<id>").
	env.send(anna, fmt.Sprintf("/start gb_%d", gb.ID))
	share, ok := env.lastBot(anna).Button("📤 Позвать друзей")
	if !ok || share.SwitchInlineQuery == nil || *share.SwitchInlineQuery != fmt.Sprintf("gb_%d", gb.ID) {
		t.Fatalf("the share button %+v", share)
	}
	results, err := anna.InlineQuery(env.ctx, *share.SwitchInlineQuery)
	if err != nil || len(results) != 1 || !strings.Contains(results[0].MessageText, "Ещё 2 — и цена 80") {
		t.Fatalf("inline results %+v, %v", results, err)
	}
	if err := anna.SendInlineResult(env.ctx, group.ID(), results[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := env.bot.GroupBuys.PostCard(env.ctx, gb, channel.ID(), "ru"); err != nil {
		t.Fatal(err)
	}
	var cards []groupbuy.Card
	env.waitFor("the shared card recorded", func() bool {
		cards, err = svc.Cards(env.ctx, gb.ID)
		return err == nil && len(cards) == 2
	})

	// Boris joins: the workers' groupbuy:cards edits both; run twice, the
	// second edit changes nothing and is no error.
	env.send(boris, "/start")
	if _, _, err := svc.Join(env.ctx, core.UserID(boris.ID()), gb.ID, p.Variants[0].ID, 2, 0); err != nil {
		t.Fatal(err)
	}
	if keys := env.outboxKeys(groupbuy.JobCards); len(keys) != 1 {
		t.Errorf("card jobs %v, want one, reused", keys)
	}
	now, _ := svc.Purchase(env.ctx, gb.ID)
	for range 2 {
		for _, c := range cards {
			m, err := env.bot.GroupBuys.CardEdit(env.ctx, now, c)
			if err != nil {
				t.Fatal(err)
			}
			env.deliver(m)
		}
	}
	for name, msgs := range map[string][]sandbox.Message{"group": group.Messages(), "channel": channel.Messages()} {
		if len(msgs) != 1 || !strings.Contains(msgs[0].Body(), "Цена сейчас: 80\u00a0⭐") || !strings.Contains(msgs[0].Body(), "Набрано: 2 шт. — самая низкая цена") {
			t.Errorf("the %s's card: %+v", name, msgs)
		}
		if b, ok := msgs[0].Button("🤝 Присоединиться"); !ok || !strings.Contains(b.URL, fmt.Sprintf("start=gb_%d", gb.ID)) {
			t.Errorf("the %s's card's button %+v", name, b)
		}
	}
	inline := 0
	for _, c := range env.tg.CallsTo("editMessageText") {
		if c.Param("inline_message_id") != "" {
			inline++
		}
	}
	if inline != 2 { // the second said "not modified", which is no error
		t.Errorf("%d edits by inline_message_id, want two", inline)
	}
	env.noErrorsLogged()
}

// A purchase that fell short is reopened by its organizer with a new
// deadline: its participants keep their places and are told; joining works
// again.
func TestGroupBuy_Reopen(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop := env.starsShop("Стикеры оптом")
	p := env.product(seller, shop, "Стикерпак", "", variant("", 100, 0))
	svc := env.groups
	gb, err := svc.Create(env.ctx, core.UserID(seller.ID()), groupbuy.Purchase{Shop: shop.ID, Product: p.ID,
		Variants: []core.VariantID{p.Variants[0].ID}, Title: "Стикеры вместе",
		Tiers:   groupbuy.Tiers{{From: 1, Price: core.Money{Amount: 100, Currency: core.Stars}}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 3}, Shipping: true, Deadline: env.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	anna := env.shopper("Анна", "ru")
	env.send(anna, "/start")
	if _, _, err := svc.Join(env.ctx, core.UserID(anna.ID()), gb.ID, p.Variants[0].ID, 1, 0); err != nil {
		t.Fatal(err)
	}
	env.clock.Set(gb.Deadline)
	if got, _, err := svc.Close(env.ctx, gb.ID); err != nil || got.Status != groupbuy.StatusFailed {
		t.Fatalf("close: %+v, %v", got, err)
	}
	if got := env.forgePress(anna, env.lastBot(anna), fmt.Sprintf("ago:%d", gb.ID)); !strings.Contains(got, "Это может только организатор") {
		t.Errorf("a participant reopening: %q", got)
	}
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "🤝 Совместные покупки")
	env.press(seller, env.lastBot(seller), "😔 Стикеры вместе · 1 шт.")
	env.press(seller, env.wantBody(seller, "😔 Не состоялась"), "🔄 Открыть сбор заново")
	env.wantBody(seller, "До какого времени собираем заново")
	env.send(seller, env.clock.Now().Add(-time.Hour).In(time.FixedZone("MSK", 3*3600)).Format("02.01 15:04"))
	env.wantBody(seller, "Это время уже прошло")
	env.send(seller, env.clock.Now().Add(48*time.Hour).In(time.FixedZone("MSK", 3*3600)).Format("02.01 15:04"))
	env.messageWith(seller, "🔄 Сбор открыт заново до")
	reopened, err := svc.Purchase(env.ctx, gb.ID)
	if err != nil || reopened.Status != groupbuy.StatusOpen || reopened.Totals.Units != 1 {
		t.Fatalf("reopened: %+v, %v", reopened, err)
	}
	if keys := env.outboxKeys(groupbuy.JobReopened); len(keys) != 1 {
		t.Errorf("reopened jobs %v", keys)
	}
	m, err := env.bot.GroupBuys.PurchaseNotice(env.ctx, reopened, core.UserID(anna.ID()), groupbuy.EventReopened) // the workers' groupbuy:reopened
	if err != nil {
		t.Fatal(err)
	}
	env.deliver(m)
	env.wantBody(anna, "🔄 Совместная покупка «Стикеры вместе» снова собирается", "Ваше место за вами")
	env.press(anna, env.lastBot(anna), "🤝 Открыть покупку")
	env.press(anna, env.wantBody(anna, "Набрано: 1 шт.", "Вы участвуете:"), "➕")
	env.wantBody(anna, "Набрано: 2 шт.")
}

// Anna passes her unpaid place on from her card; Boris opens her link and
// asks; the organizer approves from the message; Boris gets the invoice and
// pays, Anna's invoice is cancelled and her record says so.
func TestGroupBuy_Handover(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop := env.starsShop("Стикеры оптом")
	p := env.product(seller, shop, "Стикерпак", "", variant("", 100, 0))
	svc := env.groups
	gb, err := svc.Create(env.ctx, core.UserID(seller.ID()), groupbuy.Purchase{Shop: shop.ID, Product: p.ID,
		Variants: []core.VariantID{p.Variants[0].ID}, Title: "Стикеры вместе",
		Tiers:   groupbuy.Tiers{{From: 1, Price: core.Money{Amount: 100, Currency: core.Stars}}},
		Minimum: groupbuy.Minimum{Kind: groupbuy.MinUnits, Value: 1}, FeeBP: 1000, Shipping: true, Deadline: env.clock.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	anna, boris := env.shopper("Анна", "ru"), env.shopper("Борис", "ru")
	env.send(seller, "/start")
	env.send(anna, "/start")
	if _, _, err := svc.Join(env.ctx, core.UserID(anna.ID()), gb.ID, p.Variants[0].ID, 2, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Stop(env.ctx, core.UserID(seller.ID()), gb.ID); err != nil {
		t.Fatal(err)
	}
	sendInvoices := func() {
		t.Helper()
		if _, _, err := svc.OrderPlaces(env.ctx, gb.ID, 0, func(o order.Order) error {
			return env.bot.GroupBuys.SendPlaceInvoice(env.ctx, o)
		}); err != nil {
			t.Fatal(err)
		}
	}
	sendInvoices()

	env.send(anna, fmt.Sprintf("/start gb_%d", gb.ID))
	env.press(anna, env.lastBot(anna), "🔁 Пристроить место: Стикерпак")
	linkMsg := env.wantBody(anna, "Чтобы пристроить место в «Стикеры вместе»", "https://t.me/")
	body := linkMsg.Body()
	i := strings.Index(body, "start=gbh_")
	if i < 0 {
		t.Fatalf("no link in %q", body)
	}
	token := body[i+len("start=gbh_") : i+len("start=gbh_")+16]
	env.send(boris, "/start gbh_"+token)
	offer := env.wantBody(boris, "🔁 Анна отдаёт своё место: «Стикеры вместе», Стикерпак × 2 — 220\u00a0⭐ со сбором организатора")
	env.press(boris, offer, "🤝 Забрать место")
	env.wantBody(boris, "Запрос отправлен организатору")

	h, _, err := svc.HandoverByToken(env.ctx, token)
	if err != nil || h.Status != groupbuy.HandoverRequested {
		t.Fatalf("handover %+v, %v", h, err)
	}
	stopped, _ := svc.Purchase(env.ctx, gb.ID)
	ask, err := env.bot.GroupBuys.HandoverAskedMessage(env.ctx, stopped, h) // the workers' groupbuy:handover
	if err != nil {
		t.Fatal(err)
	}
	env.deliver(ask)
	askMsg := env.wantBody(seller, "🔁 Анна пристраивает место", "Забрать хочет: Борис")
	if got := env.forgePress(boris, env.lastBot(boris), fmt.Sprintf("agv:%d", h.ID)); !strings.Contains(got, "Это может только организатор") {
		t.Errorf("Boris approves himself: %q", got)
	}
	env.press(seller, askMsg, "✅ Подтвердить")
	env.wantBody(seller, "✅ Передача подтверждена: место Анна → Борис")

	done, old, err := svc.FinishHandover(env.ctx, h.ID) // the workers' groupbuy:handed
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := env.bot.GroupBuys.HandedOverMessages(env.ctx, stopped, done, old)
	if err != nil {
		t.Fatal(err)
	}
	env.deliver(msgs...)
	env.wantBody(anna, "🔁 Ваше место передано", "Ваш счёт отменён")
	sendInvoices()
	if res, err := boris.Pay(env.ctx, env.lastInvoice(boris), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid || res.Payment.TotalAmount != 220 {
		t.Fatalf("Boris pays: %+v, %v", res, err)
	}
	env.waitFor("Boris's place paid", func() bool {
		os := env.buyerOrders(boris)
		return len(os) == 1 && os[0].Status == order.StatusPaid
	})
	if os := env.buyerOrders(anna); len(os) != 1 || os[0].Status != order.StatusCancelled {
		t.Errorf("Anna's orders %+v", os)
	}
	env.send(anna, fmt.Sprintf("/start gb_%d", gb.ID))
	env.wantBody(anna, "• Стикерпак × 2 · место передано другому участнику")
}

// A KOL working with a shop opens a group buy from their /kol menu, sees it
// in their list (not the staff's others), and runs it; a shopper cannot
// reach the list.
func TestGroupBuy_KOLOrganizer(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop := env.starsShop("Стикеры оптом")
	env.product(seller, shop, "Стикерпак", "", variant("", 100, 0))
	kol, anna := env.shopper("Марина", "ru"), env.shopper("Анна", "ru")
	env.send(kol, "/start")
	env.send(anna, "/start")
	inv, err := env.live.Invite(env.ctx, core.UserID(seller.ID()), shop.ID, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.live.Accept(env.ctx, core.UserID(kol.ID()), inv.Token); err != nil {
		t.Fatal(err)
	}
	env.send(kol, "/kol")
	env.press(kol, env.lastBot(kol), "🤝 Совместные покупки «Стикеры оптом»")
	env.press(kol, env.wantBody(kol, "Пока ни одной."), "➕ Новая совместная покупка")
	env.press(kol, env.wantBody(kol, "Какой товар покупаем вместе?"), "Стикерпак")
	env.send(kol, "100; 3: 80")
	env.press(kol, env.wantBody(kol, "Что считаем минимумом"), "Количество штук")
	env.send(kol, "1")
	env.send(kol, "5")
	env.press(kol, env.wantBody(kol, "Когда участники платят?"), "После STOP")
	env.send(kol, env.clock.Now().Add(48*time.Hour).In(time.FixedZone("MSK", 3*3600)).Format("02.01 15:04"))
	env.messageWith(kol, "✅ Совместная покупка «Стикерпак» открыта.")
	list, err := env.groups.ShopPurchases(env.ctx, core.UserID(kol.ID()), shop.ID, 5)
	if err != nil || len(list) != 1 || list[0].Organizer != core.UserID(kol.ID()) {
		t.Fatalf("the KOL's purchases %+v, %v", list, err)
	}
	if got := env.forgePress(anna, env.lastBot(anna), fmt.Sprintf("agl:%d", shop.ID)); !strings.Contains(got, "Это может только организатор") {
		t.Errorf("a shopper opens the shop's group buys: %q", got)
	}
	if _, _, err := env.groups.Join(env.ctx, core.UserID(anna.ID()), list[0].ID, list[0].Variants[0], 1, 0); err != nil {
		t.Fatal(err)
	}
	env.send(kol, "/kol")
	env.press(kol, env.lastBot(kol), "🤝 Совместные покупки «Стикеры оптом»")
	env.press(kol, env.lastBot(kol), "🟢 Стикерпак · 1 шт.")
	env.press(kol, env.wantBody(kol, "Участников: 1"), "⏹ STOP: закрыть сбор по 100\u00a0⭐")
	env.wantBody(kol, "⏹ Сбор закрыт по 100\u00a0⭐ за шт.")
	env.press(kol, env.lastBot(kol), "⬅️ Назад")
	if _, ok := env.lastBot(kol).Button("⬅️ Назад"); !ok {
		t.Errorf("the KOL's list has no way back: %v", buttonLabels(env.lastBot(kol)))
	}
}
