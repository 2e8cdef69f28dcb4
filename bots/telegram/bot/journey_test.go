package bot

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core/order"
)

// journey logs a conversation as the people in it see it: every message the bot
// sends or edits, with its keyboard and the size of each button's callback data,
// and every callback answer. Read it with go test -run TestJourney -v.
type journey struct {
	env  *testEnv
	t    *testing.T
	who  map[int64]string
	seen map[string]string // chat/message -> its rendering when last logged
}

func newJourney(env *testEnv) *journey {
	return &journey{env: env, t: env.t, who: map[int64]string{}, seen: map[string]string{}}
}

// person names u in the log.
func (j *journey) person(u *sandbox.User, name string) { j.who[u.ID()] = name }

// flush logs what changed in every chat since the last flush.
func (j *journey) flush() {
	j.t.Helper()
	for id, name := range j.who {
		u := j.env.tg.User(id)
		for _, m := range u.Messages() {
			if !m.FromBot {
				continue
			}
			key := fmt.Sprintf("%d/%d", m.ChatID, m.ID)
			r := renderMessage(m)
			old, ok := j.seen[key]
			if ok && old == r {
				continue
			}
			j.seen[key] = r
			verb := "sends"
			if ok {
				verb = "edits"
			}
			j.t.Logf("   bot %s #%d to %s:\n%s", verb, m.ID, name, r)
		}
	}
}

// renderMessage writes a message as a client shows it, with its buttons and
// their callback data.
func renderMessage(m sandbox.Message) string {
	var b strings.Builder
	if m.Deleted {
		return "      (deleted)"
	}
	if m.Photo != nil {
		b.WriteString("      [photo]\n")
	}
	if m.Invoice != nil {
		fmt.Fprintf(&b, "      [invoice] title %q (%d chars), description %q (%d chars), %s %v\n",
			m.Invoice.Title, utf8.RuneCountInString(m.Invoice.Title), m.Invoice.Description,
			utf8.RuneCountInString(m.Invoice.Description), m.Invoice.Currency, m.Invoice.Prices)
	}
	if m.Document != nil {
		fmt.Fprintf(&b, "      [file %s]\n", m.Document.FileName)
	}
	for _, line := range strings.Split(m.Body(), "\n") {
		b.WriteString("      | " + line + "\n")
	}
	for _, row := range m.InlineKeyboard {
		var cells []string
		for _, btn := range row {
			switch {
			case btn.URL != "":
				cells = append(cells, fmt.Sprintf("[%s → %s]", btn.Text, btn.URL))
			default:
				cells = append(cells, fmt.Sprintf("[%s ‹%s› %dB]", btn.Text, btn.CallbackData, len(btn.CallbackData)))
			}
		}
		b.WriteString("      " + strings.Join(cells, " ") + "\n")
	}
	return strings.TrimRight(b.String(), "\n")
}

func (j *journey) send(u *sandbox.User, text string) {
	j.t.Helper()
	j.t.Logf("%s types: %q", j.who[u.ID()], text)
	j.env.send(u, text)
	j.flush()
}

func (j *journey) photo(u *sandbox.User) {
	j.t.Helper()
	j.t.Logf("%s sends a photo", j.who[u.ID()])
	j.env.sendPhoto(u)
	j.flush()
}

func (j *journey) press(u *sandbox.User, on sandbox.Message, label string) sandbox.CallbackAnswer {
	j.t.Helper()
	j.t.Logf("%s taps [%s] on #%d", j.who[u.ID()], label, on.ID)
	ans := j.env.press(u, on, label)
	if ans.Text != "" {
		j.t.Logf("   callback answer (alert %v): %q", ans.ShowAlert, ans.Text)
	}
	j.flush()
	return ans
}

// last is the bot's last message to u.
func (j *journey) last(u *sandbox.User) sandbox.Message {
	j.t.Helper()
	return j.env.lastBot(u)
}

// TestJourney_RussianSellerEnglishShopper walks the whole product as its people
// do: a Russian-speaking seller opens a card shop, adds two products by
// conversation, a category, a pickup point and a shipping option; an
// English-speaking shopper finds them by browsing, search and inline mode, fills
// a cart, checks out with shipping and pays; the seller ships from the
// notification; the shopper is told and opens /orders.
func TestJourney_RussianSellerEnglishShopper(t *testing.T) {
	env := newTestEnv(t)
	j := newJourney(env)
	seller := env.shopper("Марина", "ru")
	shopper := env.shopper("Alice", "en")
	j.person(seller, "Seller")
	j.person(shopper, "Shopper")

	// --- the seller opens the shop ---
	j.send(seller, "/sell")
	j.send(seller, "Лавка Марины")
	j.press(seller, j.last(seller), "Карта")
	j.press(seller, j.last(seller), "RUB")
	j.send(seller, "381764678:TEST:marina-own")
	for _, m := range seller.Messages() {
		if strings.Contains(m.Text, "marina-own") && !m.Deleted {
			t.Errorf("the provider token stays in the chat: %+v", m)
		}
	}

	// --- the first product: photos and two variants ---
	j.press(seller, j.last(seller), "Товары")
	j.press(seller, j.last(seller), "Добавить товар")
	j.send(seller, "Льняное платье")
	j.send(seller, "Лёгкое платье из льна, <длина миди> & карманы")
	j.photo(seller)
	j.photo(seller)
	j.press(seller, j.last(seller), "Готово")
	j.send(seller, "2 500")
	j.press(seller, j.last(seller), "Несколько вариантов")
	j.send(seller, "S")
	j.press(seller, j.last(seller), "Та же")
	j.send(seller, "3")
	j.send(seller, "M")
	j.send(seller, "2700,50")
	j.send(seller, "5")
	j.press(seller, j.last(seller), "Это все варианты")
	j.send(seller, "Одежда")
	j.press(seller, j.last(seller), "Сохранить")

	// --- the second product: one variant, no photo ---
	j.press(seller, j.last(seller), "Назад")
	j.press(seller, j.last(seller), "Добавить товар")
	j.send(seller, "Свеча ароматическая")
	j.press(seller, j.last(seller), "Пропустить")
	j.press(seller, j.last(seller), "Пропустить")
	j.send(seller, "450")
	j.press(seller, j.last(seller), "Один вариант")
	j.send(seller, "12")
	j.press(seller, j.last(seller), "Без раздела")
	j.press(seller, j.last(seller), "Сохранить")

	// --- a category made from the menu, given to the candle ---
	j.send(seller, "/admin")
	j.press(seller, j.last(seller), "Разделы")
	j.press(seller, j.last(seller), "Новый раздел")
	j.send(seller, "Декор")
	j.press(seller, j.last(seller), "Назад")
	j.press(seller, j.last(seller), "Товары")
	j.press(seller, j.last(seller), "Свеча")
	j.press(seller, j.last(seller), "📂 Раздел")
	j.press(seller, j.last(seller), "Декор")

	// --- a pickup point and a shipping option ---
	j.send(seller, "/admin")
	j.press(seller, j.last(seller), "Настройки")
	j.press(seller, j.last(seller), "Самовывоз")
	j.press(seller, j.last(seller), "Добавить пункт")
	j.send(seller, "Шоурум")
	j.send(seller, "Москва, ул. Пушкина, 10")
	j.send(seller, "пн–пт 10–19")
	j.press(seller, j.last(seller), "Назад")
	j.press(seller, j.last(seller), "Доставка")
	j.press(seller, j.last(seller), "Добавить способ")
	j.send(seller, "Курьер по Москве")
	j.send(seller, "300")

	// --- the shopper browses ---
	j.send(shopper, "/start")
	j.press(shopper, j.last(shopper), "Лавка Марины")
	j.press(shopper, j.last(shopper), "Одежда")
	if list := j.last(shopper); strings.Contains(list.Body(), "Page") {
		t.Errorf("a one-page list counts its pages: %q", list.Body())
	}
	j.press(shopper, j.last(shopper), "Льняное платье")
	card := j.last(shopper)
	if card.Photo == nil {
		t.Errorf("the dress card has no photo")
	}
	j.press(shopper, card, "M ·")
	j.press(shopper, j.last(shopper), "➕")
	if card = j.last(shopper); card.Photo == nil {
		t.Errorf("the photo is gone after choosing a variant")
	}
	j.press(shopper, card, "Add to cart")
	if card = env.refresh(shopper, card); card.Photo == nil || !strings.Contains(card.Caption, "Option: M") {
		t.Errorf("the card after Add to cart = %q (photo %v)", card.Caption, card.Photo != nil)
	}
	j.press(shopper, j.last(shopper), "Back")
	j.press(shopper, j.last(shopper), "Back")
	j.press(shopper, j.last(shopper), "Декор")

	// --- search and inline mode ---
	j.send(shopper, "плать")
	j.send(shopper, "/search свеч")
	found := j.last(shopper)
	j.press(shopper, found, "Свеча ароматическая")
	if kept := env.refresh(shopper, found); kept.Body() != found.Body() {
		t.Errorf("opening a result replaced the results by %q", kept.Body())
	}
	env.wantBody(shopper, "Свеча ароматическая", "In stock: 12")
	j.t.Logf("Shopper types in another chat: @%s свеч", testBotUsername)
	results, err := shopper.InlineQuery(env.ctx, "свеч")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		t.Logf("   inline result %s %q / %q:\n      | %s\n      %v", r.Type, r.Title, r.Description,
			strings.ReplaceAll(r.MessageText+r.Caption, "\n", "\n      | "), r.InlineKeyboard)
	}
	if len(results) != 1 {
		t.Fatalf("inline results = %d, want the candle", len(results))
	}
	if results[0].Description != "₽450" {
		t.Errorf("inline description = %q", results[0].Description)
	}
	link := results[0].InlineKeyboard[0][0].URL
	j.t.Logf("Shopper opens %s", link)
	if err := shopper.OpenLink(env.ctx, link); err != nil {
		t.Fatal(err)
	}
	j.flush()
	j.press(shopper, j.last(shopper), "Add to cart")
	j.press(shopper, j.last(shopper), "Cart (3)")

	// --- the cart ---
	cart := j.last(shopper)
	j.press(shopper, cart, "➖")
	j.press(shopper, j.last(shopper), "Свеча ароматическая ×")
	j.send(shopper, "3")
	j.press(shopper, j.last(shopper), "Check out")
	// Back from the summary is the cart, where the shopper came from.
	j.press(shopper, j.last(shopper), "Back to the cart")
	env.wantBody(shopper, "Cart · Лавка Марины", "Total: ₽4,050.50")
	j.press(shopper, j.last(shopper), "Check out")
	j.press(shopper, j.last(shopper), "Delivery")

	// --- the payment ---
	inv := env.lastInvoice(shopper)
	j.t.Logf("Shopper pays the invoice #%d", inv.ID)
	res, err := shopper.Pay(env.ctx, inv, sandbox.PayOptions{})
	if err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay = %+v, %v", res, err)
	}
	j.t.Logf("   shipping options offered: %+v; paid %d", res.ShippingOptions, res.TotalAmount)
	j.flush()
	o := env.buyerOrders(shopper)[0]
	if o.Status != order.StatusPaid {
		t.Fatalf("order = %+v", o)
	}

	// --- the seller ships from the notification ---
	j.t.Logf("(the worker relays order:notify paid)")
	if err := env.notifyOrder(o.ID, order.EventPaid); err != nil {
		t.Fatal(err)
	}
	j.flush()
	notice := j.last(seller)
	j.press(seller, notice, "Открыть заказ")
	if kept := env.refresh(seller, notice); kept.Body() != notice.Body() {
		t.Errorf("opening the order replaced the notification by %q", kept.Body())
	}
	j.press(seller, j.last(seller), "Отправлен")
	j.send(seller, "СДЭК 1234567890 <b>")
	j.t.Logf("(the worker relays order:notify shipped)")
	if err := env.notifyOrder(o.ID, order.EventShipped); err != nil {
		t.Fatal(err)
	}
	j.flush()

	// --- the shopper's orders ---
	shipped := env.wantBody(shopper, fmt.Sprintf("Order #%d is shipped.", o.ID), "Tracking: СДЭК 1234567890 <b>")
	j.press(shopper, shipped, "Open the order")
	if kept := env.refresh(shopper, shipped); kept.Body() != shipped.Body() {
		t.Errorf("opening the order replaced the notification by %q", kept.Body())
	}
	env.wantBody(shopper, "Status: shipped", "Shipping: ₽300", "Total: ₽4,350.50")
	j.send(shopper, "/orders")
	if _, ok := j.last(shopper).Button("Shops"); !ok {
		t.Errorf("the list of orders is a dead end: %v", buttonLabels(j.last(shopper)))
	}
	j.press(shopper, j.last(shopper), fmt.Sprintf("#%d", o.ID))
	env.noErrorsLogged()
}
