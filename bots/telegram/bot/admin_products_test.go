package bot

import (
	"strconv"
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// End-to-end tests of editing products and of the shop's settings.

func TestSeller_EditsProduct(t *testing.T) {
	env := newTestEnv(t)
	seller, shop := env.sellerIn("Sveta", "en", catalog.NewShop{Name: "Sticker Hub", Currency: core.Stars, PaymentMethod: catalog.PayStars})
	p := env.product(seller, shop, "Cat stickers", "Twelve cats", variant("", 150, 5))

	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "Products")
	env.press(seller, env.lastBot(seller), "Cat stickers")
	product := env.wantBody(seller, "Cat stickers", "Twelve cats", "Category: none", "Photos: 0")

	env.press(seller, product, "Title")
	env.sendPhoto(seller)
	env.wantBody(seller, "That is a photo, but here I need the product's title, as text.", "New title for Cat stickers?")
	env.send(seller, "Dog stickers")
	product = env.wantBody(seller, "Dog stickers", "Twelve cats")

	env.press(seller, product, "Description")
	env.press(seller, env.lastBot(seller), "Remove the description")
	product = env.lastBot(seller)
	if strings.Contains(product.Body(), "Twelve cats") {
		t.Errorf("description not removed: %q", product.Body())
	}

	env.press(seller, product, "Photos")
	env.send(seller, "a photo")
	env.wantBody(seller, "Text does not fit here: I need a photo (or Done / Skip).")
	env.sendPhoto(seller)
	env.sendPhoto(seller)
	env.press(seller, env.wantBody(seller, "Received: 2 of 10"), "Done")
	product = env.wantBody(seller, "Photos: 2")

	env.press(seller, product, "Category")
	env.press(seller, env.lastBot(seller), "New category")
	env.send(seller, "Dogs")
	product = env.wantBody(seller, "Category: Dogs")
	env.press(seller, product, "Category")
	env.press(seller, env.lastBot(seller), "No category")
	product = env.wantBody(seller, "Category: none")

	t.Run("AddVariantNamesTheFirst", func(t *testing.T) {
		env.press(seller, product, "Add a variant")
		env.wantBody(seller, "has one variant without a name")
		env.send(seller, "Small")
		env.wantBody(seller, "A new variant of Dog stickers")
		env.send(seller, "small")
		env.wantBody(seller, "already has a variant called small")
		env.send(seller, "Big")
		env.send(seller, "1.5")
		env.wantBody(seller, "Too many digits after the decimal point. Prices in XTR are whole numbers.")
		env.send(seller, "250")
		env.send(seller, "4")
		product = env.wantBody(seller, "• Small · ", "• Big · ", "on hand 4, reserved 0")
		got, _ := env.catalog.Product(env.ctx, p.ID)
		if len(got.Variants) != 2 || got.Variants[0].Name != "Small" || got.Variants[1].Name != "Big" || got.Variants[1].Price.Amount != 250 {
			t.Errorf("variants = %+v", got.Variants)
		}
	})

	t.Run("VariantNameAndPrice", func(t *testing.T) {
		env.press(seller, product, "Big · 4 available")
		env.press(seller, env.lastBot(seller), "Price")
		env.send(seller, "-1")
		env.wantBody(seller, "A price cannot be negative.", "New price of Dog stickers (Big)")
		env.send(seller, "275")
		env.press(seller, env.wantBody(seller, "Price: 275\u00a0⭐"), "Variant name")
		env.send(seller, "Large")
		env.wantBody(seller, "Dog stickers · Large")
	})

	t.Run("ArchiveAndRestore", func(t *testing.T) {
		env.send(seller, "/admin")
		env.press(seller, env.lastBot(seller), "Products")
		env.press(seller, env.lastBot(seller), "Dog stickers")
		ans := env.press(seller, env.lastBot(seller), "Archive")
		if ans.Text != "Archived: buyers no longer see it" {
			t.Errorf("archive answer = %q", ans.Text)
		}
		env.wantBody(seller, "(archived)")
		u := env.shopper("Anna", "en")
		if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
			t.Fatal(err)
		}
		env.wantBody(u, "This link is broken or expired")

		env.send(seller, "/admin")
		env.press(seller, env.lastBot(seller), "Products")
		env.press(seller, env.wantBody(seller, "Nothing here yet"), "Archived")
		env.press(seller, env.lastBot(seller), "Dog stickers")
		env.press(seller, env.lastBot(seller), "Restore")
		if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
			t.Fatal(err)
		}
		env.wantBody(u, "Dog stickers", "Option: Small")
	})
	env.noErrorsLogged()
}

func TestSeller_Settings(t *testing.T) {
	env := newTestEnv(t)
	seller, shop := env.sellerIn("Sveta", "en", catalog.NewShop{
		Name: "Tees", Currency: "RUB", PaymentMethod: catalog.PayCard, ProviderToken: "381764678:TEST:own",
	})

	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "Settings")
	settings := env.wantBody(seller, "Settings · Tees", "Payment: card, RUB (your own provider)", "Reservation at checkout: 15 min")

	env.press(seller, settings, "Name")
	env.send(seller, strings.Repeat("x", 65))
	env.wantBody(seller, "A shop name is 1 to 64 characters.")
	env.send(seller, "Tees & Co")
	settings = env.wantBody(seller, "Settings · Tees & Co")

	env.press(seller, settings, "Reservation time")
	env.send(seller, "0")
	env.wantBody(seller, "The reservation time is 1 minute to 24 hours.")
	env.send(seller, "30")
	settings = env.wantBody(seller, "Reservation at checkout: 30 min")

	env.press(seller, settings, "Pickup points")
	env.press(seller, env.wantBody(seller, "No pickup points yet"), "Add a pickup point")
	env.send(seller, "Kiosk")
	env.send(seller, "Lenina 5")
	env.press(seller, env.wantBody(seller, "Opening hours?"), "Skip")
	pickups := env.wantBody(seller, "Kiosk, Lenina 5")
	env.press(seller, pickups, "Remove Kiosk")
	env.wantBody(seller, "No pickup points yet")
	if ps, _ := env.catalog.PickupPoints(env.ctx, shop.ID); len(ps) != 0 {
		t.Errorf("pickup points = %+v", ps)
	}

	env.press(seller, env.lastBot(seller), "Back")
	env.press(seller, env.lastBot(seller), "Shipping")
	env.press(seller, env.lastBot(seller), "Add a shipping option")
	env.send(seller, "Courier")
	env.send(seller, "free")
	env.press(seller, env.wantBody(seller, "Courier — free"), "Add a shipping option")
	env.send(seller, "Post")
	env.send(seller, "350.505")
	env.wantBody(seller, "Too many digits after the decimal point. Prices in RUB have at most 2 digits after the point.")
	env.send(seller, "350,50")
	env.wantBody(seller, "Courier — free", "Post — ₽350.50")

	env.press(seller, env.lastBot(seller), "Back")
	env.press(seller, env.lastBot(seller), "Payment")
	env.press(seller, env.lastBot(seller), "Card")
	env.send(seller, "EUR")
	env.send(seller, "/skip")
	env.wantBody(seller, "Payment: card, EUR (the platform's provider)")
	got, _ := env.catalog.Shop(env.ctx, shop.ID)
	// On the platform's provider the shop keeps no token: invoices take the
	// platform's token of the day.
	if got.Name != "Tees & Co" || got.Currency != "EUR" || got.ReservationTTL.Minutes() != 30 || got.ProviderToken != "" {
		t.Errorf("shop = %+v", got)
	}

	t.Run("CurrencyLockedByProducts", func(t *testing.T) {
		env.product(seller, got, "Tee", "", variant("", 1500, 1))
		env.send(seller, "/admin")
		env.press(seller, env.lastBot(seller), "Settings")
		env.press(seller, env.lastBot(seller), "Payment")
		ans := env.press(seller, env.lastBot(seller), "Telegram Stars")
		if !ans.ShowAlert || ans.Text != "The currency can change only while the shop has no products." {
			t.Errorf("answer = %+v", ans)
		}
		env.wantBody(seller, "How will buyers pay")
		env.send(seller, "/cancel")
		if sh, _ := env.catalog.Shop(env.ctx, shop.ID); sh.Currency != "EUR" {
			t.Errorf("currency = %s", sh.Currency)
		}
	})
	env.noErrorsLogged()
}

// Telegram ignores shipping for Stars invoices, so a Stars shop offers none.
func TestSeller_StarsShopCannotAddShipping(t *testing.T) {
	env := newTestEnv(t)
	seller, shop := env.sellerIn("Sveta", "en", catalog.NewShop{
		Name: "Tees", Currency: "RUB", PaymentMethod: catalog.PayCard, ProviderToken: "381764678:TEST:own",
	})
	if _, err := env.catalog.AddShippingOption(env.ctx, core.UserID(seller.ID()), shippingOption(shop.ID, "Courier", 0)); err != nil {
		t.Fatal(err)
	}
	const refusal = "A shop paid in Stars cannot offer shipping: Telegram asks no address for Stars payments."
	// The seller starts adding an option; meanwhile the shop moves to Stars,
	// keeping the option it had.
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "Settings")
	env.press(seller, env.lastBot(seller), "Shipping")
	env.press(seller, env.lastBot(seller), "Add a shipping option")
	env.send(seller, "Post")
	stars, xtr := catalog.PayStars, core.Stars
	empty := ""
	if _, err := env.catalog.UpdateSettings(env.ctx, core.UserID(seller.ID()), shop.ID, catalog.ShopSettings{
		PaymentMethod: &stars, Currency: &xtr, ProviderToken: &empty,
	}); err != nil {
		t.Fatal(err)
	}
	env.send(seller, "350")
	env.wantBody(seller, refusal)
	if st, ok, _ := env.deps.Dialogs.Get(env.ctx, core.UserID(seller.ID()), seller.ID()); ok {
		t.Errorf("the conversation goes on: %+v", st)
	}

	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "Settings")
	env.press(seller, env.lastBot(seller), "Shipping")
	screen := env.wantBody(seller, "Courier — free", refusal)
	if _, ok := screen.Button("Add a shipping option"); ok {
		t.Errorf("a Stars shop is offered to add shipping: %v", buttonLabels(screen))
	}
	if _, ok := screen.Button("Remove"); !ok {
		t.Errorf("the old option cannot be removed: %v", buttonLabels(screen))
	}
	if got := env.forgePress(seller, screen, "asha:"+strconv.FormatInt(int64(shop.ID), 10)); got != refusal {
		t.Errorf("add shipping in a Stars shop = %q", got)
	}
	if st, ok, _ := env.deps.Dialogs.Get(env.ctx, core.UserID(seller.ID()), seller.ID()); ok {
		t.Errorf("a conversation started: %+v", st)
	}
	if opts, _ := env.catalog.ShippingOptions(env.ctx, shop.ID); len(opts) != 1 {
		t.Errorf("shipping options = %+v", opts)
	}
	env.noErrorsLogged()
}
