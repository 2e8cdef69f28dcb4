package bot

import (
	"strconv"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// TestShopper_ContentAtItsLimits fills every field a seller types to the catalog's
// limits, with emoji, which Telegram counts twice: the card's caption, the
// invoice's title and description, and the seller's screens must still fit
// Telegram's limits (the sandbox refuses what Telegram refuses).
func TestShopper_ContentAtItsLimits(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.seller("Owner", catalog.NewShop{
		Name: strings.Repeat("🌸", 64), Currency: "RUB", PaymentMethod: catalog.PayCard, ProviderToken: "381764678:TEST:shop-own",
	})
	if _, err := env.catalog.AddPickupPoint(env.ctx, core.UserID(owner.ID()), catalog.PickupPoint{
		ShopID: shop.ID, Name: strings.Repeat("📍", 64), Address: strings.Repeat("🏠", 256),
	}); err != nil {
		t.Fatal(err)
	}
	if err := owner.SendPhoto(env.ctx, ""); err != nil {
		t.Fatal(err)
	}
	var photo string
	for _, m := range owner.Messages() {
		if !m.FromBot && m.Photo != nil {
			photo = m.Photo.FileID
		}
	}
	var variants []catalog.NewVariant
	for i := range catalog.MaxVariants {
		name := strconv.Itoa(i) + strings.Repeat("👗", 60)
		variants = append(variants, catalog.NewVariant{Name: name, Price: core.Money{Amount: 99_999_999, Currency: "RUB"}, Stock: 999})
	}
	p, err := env.catalog.CreateProduct(env.ctx, core.UserID(owner.ID()), catalog.NewProduct{
		ShopID: shop.ID, Title: strings.Repeat("👗", 128), Description: strings.Repeat("✨🧵", 500),
		Photos: []string{photo}, Variants: variants,
	})
	if err != nil {
		t.Fatal(err)
	}

	u := env.shopper("Anna", "en")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	card := env.lastBot(u)
	if card.Photo == nil || !strings.Contains(card.Caption, "Price: ₽999,999.99") || !strings.Contains(card.Caption, "In stock: 999") {
		t.Fatalf("card = %q (photo %v)", card.Caption, card.Photo != nil)
	}
	if n := len(utf16.Encode([]rune(card.Caption))); n > telegram.MaxCaptionLen {
		t.Errorf("caption is %d long", n)
	}
	env.press(u, card, "➕")
	env.press(u, env.lastBot(u), "Add to cart")
	env.press(u, env.lastBot(u), "Cart (2)")
	env.press(u, env.lastBot(u), "Check out")
	env.press(u, env.lastBot(u), "Pickup")
	inv := env.lastInvoice(u).Invoice
	if inv == nil || len(utf16.Encode([]rune(inv.Title))) > 32 || len(utf16.Encode([]rune(inv.Description))) > 255 {
		t.Fatalf("invoice = %+v", inv)
	}
	if res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay = %+v, %v", res, err)
	}
	o := env.buyerOrders(u)[0]
	if err := env.notifyOrder(o.ID, "paid"); err != nil {
		t.Fatal(err)
	}
	env.press(owner, env.lastBot(owner), "Открыть заказ")
	env.wantBody(owner, "Статус: оплачен")

	// The seller's screen of the product lists fifty variants: too long for one
	// message, it loses lines from the middle, and its buttons stay.
	env.send(owner, "/admin")
	env.press(owner, env.lastBot(owner), "Товары")
	env.press(owner, env.lastBot(owner), "👗👗👗")
	screen := env.wantBody(owner, "Варианты:", "…", "на складе 999")
	if _, ok := screen.Button("В архив"); !ok {
		t.Errorf("the product screen lost its buttons: %v", buttonLabels(screen))
	}
	env.noErrorsLogged()
}
