package bot

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"testing"

	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// A product card of several photos pages them in place with ◀ ▶ (the
// message's media edited, not a new message), and keeps the photo shown as
// the shopper picks a size or a quantity.
func TestShopper_CardPagesPhotos(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.cardShop("Лавка")
	var photos []string
	for i := range 3 {
		att, err := env.tg.AddPhoto(fmt.Sprintf("hoodie-%d.png", i), solidPNG(t, uint8(60*i)))
		if err != nil {
			t.Fatal(err)
		}
		photos = append(photos, att.FileID)
	}
	p, err := env.catalog.CreateProduct(env.ctx, core.UserID(owner.ID()), catalog.NewProduct{ShopID: shop.ID, Title: "Худи",
		Photos: photos, Variants: []catalog.NewVariant{
			{Name: "S", Price: core.Money{Amount: 499000, Currency: "RUB"}, Stock: 2},
			{Name: "M", Price: core.Money{Amount: 499000, Currency: "RUB"}, Stock: 2},
		}})
	if err != nil {
		t.Fatal(err)
	}
	u := env.shopper("Анна", "ru")
	if err := u.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	card := env.lastBot(u)
	shows := func(n int) {
		t.Helper()
		card = env.refresh(u, card)
		if card.Photo == nil || card.Photo.FileID != photos[n-1] {
			t.Fatalf("the card shows %+v, want photo %d", card.Photo, n)
		}
		wantButton(t, card, fmt.Sprintf("%d / 3", n))
	}
	shows(1)
	sent := len(u.Messages())
	env.press(u, card, "▶")
	shows(2)
	env.press(u, card, "M · 4\u00a0990\u00a0₽")
	shows(2)
	env.press(u, card, "➕")
	shows(2)
	env.press(u, card, "◀")
	shows(1)
	env.press(u, card, "◀")
	shows(3) // round from the first to the last
	if got := len(u.Messages()); got != sent {
		t.Errorf("%d new messages while paging, want the card edited in place", got-sent)
	}
	if len(env.tg.CallsTo("editMessageMedia")) == 0 {
		t.Error("no editMessageMedia call")
	}
	env.noErrorsLogged()
}

// solidPNG is a small image of one shade.
func solidPNG(t *testing.T, shade uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 32, 24))
	for y := range 24 {
		for x := range 32 {
			img.Set(x, y, color.RGBA{R: shade, G: 100, B: 200 - shade, A: 255})
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
