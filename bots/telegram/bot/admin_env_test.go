package bot

import (
	"strings"
	"sync/atomic"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// Helpers of the seller side's end-to-end tests, on top of testenv_test.go.

// sellerIn returns a user speaking lang who started the bot and owns a new shop.
func (e *testEnv) sellerIn(name, lang string, shop catalog.NewShop) (*sandbox.User, catalog.Shop) {
	e.t.Helper()
	u := e.shopper(name, lang)
	e.send(u, "/help")
	s, err := e.catalog.CreateShop(e.ctx, core.UserID(u.ID()), shop)
	if err != nil {
		e.t.Fatalf("create shop: %v", err)
	}
	return u, s
}

// forgedUpdates counts the callback queries tests make up; their update ids are far
// above the sandbox's own.
var forgedUpdates atomic.Int64

// forgePress delivers a callback query with data from u through the webhook, as a
// client that makes up callback data (or taps twice) would, and returns the text
// of the bot's answer to it.
func (e *testEnv) forgePress(u *sandbox.User, on sandbox.Message, data string) string {
	e.t.Helper()
	spec := u.Spec()
	id := 900_000_000 + forgedUpdates.Add(1)
	q := &telego.CallbackQuery{
		ID:           "forged-" + telegram.Itoa(int(id)),
		From:         telego.User{ID: u.ID(), FirstName: spec.FirstName, LanguageCode: spec.LanguageCode},
		ChatInstance: "forged",
		Data:         data,
	}
	if on.ID != 0 {
		q.Message = &telego.Message{MessageID: on.ID, Chat: telego.Chat{ID: on.ChatID, Type: telego.ChatTypePrivate},
			Text: on.Text, Date: 1}
	}
	if status := e.postUpdate(telego.Update{UpdateID: int(id), CallbackQuery: q}); status != 200 {
		e.t.Fatalf("forged press %q: webhook status %d", data, status)
	}
	for _, c := range e.tg.CallsTo("answerCallbackQuery") {
		if c.Param("callback_query_id") == q.ID {
			return c.Param("text")
		}
	}
	e.t.Fatalf("forged press %q was not answered", data)
	return ""
}

// wantBody fails unless the bot's last message to u contains every one of want.
func (e *testEnv) wantBody(u *sandbox.User, want ...string) sandbox.Message {
	e.t.Helper()
	m := e.lastBot(u)
	for _, w := range want {
		if !strings.Contains(m.Body(), w) {
			e.t.Errorf("last message %q lacks %q", m.Body(), w)
		}
	}
	return m
}

// sendPhoto sends the bot a photo as u.
func (e *testEnv) sendPhoto(u *sandbox.User) {
	e.t.Helper()
	if err := u.SendPhoto(e.ctx, ""); err != nil {
		e.t.Fatalf("send photo: %v", err)
	}
}

// shopOf returns the only shop u owns.
func (e *testEnv) shopOf(u *sandbox.User) catalog.Shop {
	e.t.Helper()
	ms, err := e.catalog.Memberships(e.ctx, core.UserID(u.ID()))
	if err != nil || len(ms) != 1 {
		e.t.Fatalf("memberships = %+v, %v; want one", ms, err)
	}
	return ms[0].Shop
}

// products returns a shop's active products.
func (e *testEnv) products(shop core.ShopID) []catalog.Product {
	e.t.Helper()
	ps, _, err := e.catalog.Products(e.ctx, catalog.ProductFilter{ShopID: shop, Limit: 50})
	if err != nil {
		e.t.Fatalf("products: %v", err)
	}
	return ps
}

// sendSticker sends the bot a sticker as u. The sandbox has no stickers, so the
// update is made here, as Telegram would deliver it.
func (e *testEnv) sendSticker(u *sandbox.User) {
	e.t.Helper()
	spec := u.Spec()
	id := 800_000_000 + forgedUpdates.Add(1)
	code := e.postUpdate(telego.Update{UpdateID: int(id), Message: &telego.Message{
		MessageID: int(id), Date: 1,
		From:    &telego.User{ID: u.ID(), FirstName: spec.FirstName, LanguageCode: spec.LanguageCode},
		Chat:    telego.Chat{ID: u.ID(), Type: telego.ChatTypePrivate},
		Sticker: &telego.Sticker{FileID: "sticker-1", FileUniqueID: "s1", Type: "regular", Width: 512, Height: 512},
	}})
	if code != 200 {
		e.t.Fatalf("sticker: webhook status %d", code)
	}
}
