package bot

import (
	"strings"
	"testing"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// End-to-end tests of /sell and of adding a product by conversation.

func TestSeller_OpensStarsShopAndAddsProduct(t *testing.T) {
	env := newTestEnv(t)
	seller := env.shopper("Sveta", "en")

	env.send(seller, "/sell")
	env.wantBody(seller, "Let's open your shop", "/cancel stops")
	env.send(seller, "Sticker Hub")
	ans := env.press(seller, env.wantBody(seller, "How will buyers pay at Sticker Hub?"), "Telegram Stars")
	if !strings.Contains(ans.Text, "Your shop Sticker Hub is open") {
		t.Errorf("answer = %q", ans.Text)
	}
	menu := env.wantBody(seller, "Sticker Hub", "You are the owner", "Payment: Telegram Stars")
	shop := env.shopOf(seller)
	if shop.Currency != core.Stars || shop.PaymentMethod != catalog.PayStars || shop.Name != "Sticker Hub" {
		t.Fatalf("shop = %+v", shop)
	}

	env.press(seller, menu, "Products")
	env.press(seller, env.wantBody(seller, "Nothing here yet"), "Add a product")
	env.wantBody(seller, "A new product at Sticker Hub", "What is it called?")

	t.Run("PhotoWhereTitleIsAsked", func(t *testing.T) {
		env.sendPhoto(seller)
		env.wantBody(seller, "That is a photo, but here I need the product's title, as text.", "What is it called?")
	})
	env.send(seller, "Cat stickers")
	env.wantBody(seller, "Describe Cat stickers")
	env.send(seller, "Twelve cats, waterproof")
	env.wantBody(seller, "Send photos of the product")
	env.sendPhoto(seller)
	env.press(seller, env.wantBody(seller, "Photo added: 1 of 10"), "Done")
	env.wantBody(seller, "The price in XTR? For example: 150")

	t.Run("WrongPrices", func(t *testing.T) {
		for _, tc := range []struct{ input, want string }{
			{"abc", "That is not a price. Use digits, like 1250 or 12.50."},
			{"-5", "A price cannot be negative."},
			{"12.505", "Too many digits after the decimal point. Prices in XTR are whole numbers."},
			{"0", "A price must be more than zero."},
			{"12 ₽", "The currency differs from the shop's."},
		} {
			env.send(seller, tc.input)
			env.wantBody(seller, tc.want, "The price in XTR?")
		}
	})
	env.send(seller, "150")
	env.press(seller, env.wantBody(seller, "Price: 150\u00a0⭐"), "Several variants")
	env.send(seller, "Small")
	env.press(seller, env.wantBody(seller, "The price of Small in XTR?"), "The same: 150")
	env.send(seller, "5")
	env.wantBody(seller, "Variant 2: what is it called?", "Small — 150\u00a0⭐, 5 in stock")
	env.send(seller, "small")
	env.wantBody(seller, "already has a variant called small")
	env.send(seller, "Big")
	env.send(seller, "250")
	env.send(seller, "lots")
	env.wantBody(seller, "A quantity is a whole number from 0 to 1,000,000.", "How many Big are in stock?")
	env.send(seller, "3 pcs")
	env.press(seller, env.wantBody(seller, "Variant 3"), "That's all variants")
	env.send(seller, "Animals")
	preview := env.wantBody(seller, "Check the product", "Cat stickers", "Category: Animals", "Photos: 1",
		"Small — 150\u00a0⭐, 5 in stock", "Big — 250\u00a0⭐, 3 in stock")
	ans = env.press(seller, preview, "Save")
	if !strings.Contains(ans.Text, "Cat stickers is saved") {
		t.Errorf("save answer = %q", ans.Text)
	}
	env.wantBody(seller, "Cat stickers", "Variants:", "on hand 5, reserved 0", "on hand 3, reserved 0")
	// A second tap on Save (the preview is gone) creates nothing.
	if got := env.forgePress(seller, preview, "ad:p.preview:save"); got != "This step is over." {
		t.Errorf("second save = %q", got)
	}

	ps := env.products(shop.ID)
	if len(ps) != 1 {
		t.Fatalf("products = %+v", ps)
	}
	p := ps[0]
	if p.Title != "Cat stickers" || p.Description != "Twelve cats, waterproof" || len(p.Photos) != 1 || p.CategoryID == 0 {
		t.Errorf("product = %+v", p)
	}
	if len(p.Variants) != 2 || p.Variants[0].Name != "Small" || p.Variants[0].Price.Amount != 150 ||
		p.Variants[0].OnHand != 5 || p.Variants[1].Name != "Big" || p.Variants[1].Price.Amount != 250 || p.Variants[1].OnHand != 3 {
		t.Errorf("variants = %+v", p.Variants)
	}
	ms, err := env.catalog.Movements(env.ctx, core.UserID(seller.ID()), p.Variants[0].ID, 10)
	if err != nil || len(ms) != 1 || ms[0].Kind != catalog.MoveReceipt || ms[0].OnHandAfter != 5 {
		t.Errorf("opening stock movements = %+v, %v", ms, err)
	}

	// A shopper finds it in the catalog.
	u := env.shopper("Anna", "en")
	env.send(u, "/start")
	env.press(u, env.lastBot(u), "Sticker Hub")
	env.press(u, env.wantBody(u, "Choose a section"), "Animals")
	env.press(u, env.lastBot(u), "Cat stickers")
	card := env.lastBot(u)
	if card.Photo == nil || !strings.Contains(card.Caption, "Option: Small") || !strings.Contains(card.Caption, "In stock: 5") {
		t.Errorf("card = %q (photo %v)", card.Body(), card.Photo != nil)
	}
	env.noErrorsLogged()
}

func TestSeller_OpensCardShop(t *testing.T) {
	env := newTestEnv(t)
	seller := env.shopper("Пётр", "ru")

	env.send(seller, "/sell Лавка у моря")
	env.press(seller, env.wantBody(seller, "Как покупатели будут платить в «Лавка у моря»?"), "Карта")
	env.wantBody(seller, "В какой валюте цены?")
	env.send(seller, "дублоны")
	env.wantBody(seller, "Такой валюты я не знаю", "В какой валюте цены?")
	env.send(seller, "XTR")
	env.wantBody(seller, "Оплата картой не может быть в звёздах (XTR).")
	env.sendPhoto(seller)
	env.wantBody(seller, "Это фото, а сейчас нужно другое: валюта: кнопка или код, например GEL.")
	env.press(seller, env.lastBot(seller), "RUB")
	env.wantBody(seller, "токен платёжного провайдера", "для оплаты в RUB")
	env.send(seller, "my token please")
	env.wantBody(seller, "Это не похоже на токен провайдера")
	if n := len(env.tg.CallsTo("deleteMessage")); n != 1 {
		t.Errorf("deleteMessage calls = %d; a token-like message is deleted", n)
	}
	ans := env.press(seller, env.lastBot(seller), "Провайдер платформы")
	if !strings.Contains(ans.Text, "Магазин «Лавка у моря» открыт") {
		t.Errorf("answer = %q", ans.Text)
	}
	env.wantBody(seller, "Лавка у моря", "Вы — владелец", "Оплата: карта, RUB")
	shop := env.shopOf(seller)
	// The platform's provider: the shop keeps no copy of the platform's token.
	if shop.Currency != "RUB" || shop.PaymentMethod != catalog.PayCard || shop.ProviderToken != "" {
		t.Errorf("shop = %+v", shop)
	}

	t.Run("CancelAnyStep", func(t *testing.T) {
		env.send(seller, "/sell")
		env.send(seller, "Second shop")
		env.send(seller, "/cancel")
		env.wantBody(seller, "Отменено: настройка магазина.")
		env.send(seller, "stars")
		if m := env.lastBot(seller); strings.Contains(m.Body(), "открыт") {
			t.Errorf("the conversation went on after /cancel: %q", m.Body())
		}
		ms, _ := env.catalog.Memberships(env.ctx, core.UserID(seller.ID()))
		if len(ms) != 1 {
			t.Errorf("shops after /cancel = %d", len(ms))
		}
	})
	env.noErrorsLogged()
}

func TestSeller_CardShopNeedsTokenWithoutPlatformProvider(t *testing.T) {
	env := newTestEnv(t, func(o *testEnvOptions) { o.providerToken = "" })
	seller := env.shopper("Sam", "en")
	env.send(seller, "/sell Sam's Socks")
	env.press(seller, env.lastBot(seller), "Card")
	env.send(seller, "usd")
	prompt := env.wantBody(seller, "Send the payment provider token")
	if _, ok := prompt.Button("platform"); ok {
		t.Errorf("the platform's provider is offered though there is none: %v", buttonLabels(prompt))
	}
	env.send(seller, "/skip")
	env.wantBody(seller, "This platform has no provider of its own")
	env.send(seller, "381764678:TEST:own-token")
	env.wantBody(seller, "Sam's Socks", "Payment: card, USD")
	if shop := env.shopOf(seller); shop.ProviderToken != "381764678:TEST:own-token" || shop.Currency != "USD" {
		t.Errorf("shop = %+v", shop)
	}
	for _, c := range env.tg.Calls() {
		if c.Method != "deleteMessage" && strings.Contains(string(c.Result)+c.Param("text"), "own-token") {
			t.Errorf("the token was echoed by %s", c.Method)
		}
	}
	env.noErrorsLogged()
}
