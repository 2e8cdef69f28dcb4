package bot

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/review"
)

// End-to-end tests of reviews: a shopper who received an order rates it, writes
// and adds a photo; the product and shop cards show the rating; the seller replies
// and reports it; an operator hides it. Someone without a completed order is
// refused.

// wantButton fails unless msg has a button labelled label.
func wantButton(t *testing.T, msg sandbox.Message, label string) {
	t.Helper()
	if _, ok := msg.Button(label); !ok {
		t.Errorf("message %q has no button %q (buttons %v)", msg.Body(), label, buttonLabels(msg))
	}
}

// noButton fails if msg has a button labelled label.
func noButton(t *testing.T, msg sandbox.Message, label string) {
	t.Helper()
	if _, ok := msg.Button(label); ok {
		t.Errorf("message %q has a button %q", msg.Body(), label)
	}
}

func TestShopper_ReviewsPurchase(t *testing.T) {
	t.Parallel()
	const operator = core.UserID(4242)
	env := newTestEnv(t, withOperators(operator))
	owner, shop := env.starsShop("Sticker Hub") // speaks Russian
	if _, err := env.catalog.CreateCategory(env.ctx, core.UserID(owner.ID()), shop.ID, "Cats"); err != nil {
		t.Fatal(err)
	}
	p := env.product(owner, shop, "Cat stickers", "Twelve cats", variant("", 150, 5))
	anna := env.shopper("Anna", "en")
	bob := env.shopper("Bob", "en")
	env.send(bob, "/start")

	o := env.buyNow(anna, p.ID, true)
	rw := "rw:" + strconv.FormatInt(int64(o.ID), 10)

	// Paid, not received yet: no review; and never someone else's order.
	if got := env.forgePress(anna, sandbox.Message{}, rw); got != "You can leave a review once you have received the order." {
		t.Errorf("review before completion: %q", got)
	}
	if _, err := env.orders.MarkShipped(env.ctx, core.UserID(owner.ID()), o.ID, ""); err != nil {
		t.Fatal(err)
	}
	// The buyer confirms receipt from the order's screen, which then offers a review.
	env.send(anna, "/orders")
	env.press(anna, env.lastBot(anna), "#"+strconv.FormatInt(int64(o.ID), 10))
	detail := env.lastBot(anna)
	noButton(t, detail, "⭐ Leave a review")
	env.press(anna, detail, "I received it")
	detail = env.refresh(anna, detail)
	wantButton(t, detail, "⭐ Leave a review")

	if got := env.forgePress(bob, sandbox.Message{}, rw); got != "Only the shopper who received this order can review it." {
		t.Errorf("stranger's review: %q", got)
	}
	if got := env.forgePress(bob, sandbox.Message{}, "rw:999999"); got != "Only the shopper who received this order can review it." {
		t.Errorf("review of an order that does not exist: %q", got)
	}

	// Anna rates it: wrong answers keep the conversation.
	env.press(anna, detail, "⭐ Leave a review")
	env.wantBody(anna, "How do you like Cat stickers? Rate it:")
	env.sendSticker(anna)
	env.wantBody(anna, "I cannot read that: I need a rating: tap the stars.")
	env.send(anna, "7")
	env.wantBody(anna, "A rating is 1 to 5 stars.")
	env.send(anna, "great")
	env.wantBody(anna, "Text does not fit here: I need a rating: tap the stars.")
	env.press(anna, env.lastBot(anna), "4⭐")
	env.wantBody(anna, "★★★★☆", "Say a few words")
	env.sendPhoto(anna)
	env.wantBody(anna, "That is a photo, but here I need the text of the review (or Skip).")
	env.send(anna, strings.Repeat("a", review.MaxText+1))
	env.wantBody(anna, "That is too long")
	env.send(anna, "Lovely cats, <b>fast</b> delivery")
	env.wantBody(anna, "Send up to 3 photos")
	env.sendPhoto(anna)
	env.wantBody(anna, "Photo 1 of 3 added")
	ans := env.press(anna, env.lastBot(anna), "✅ Done")
	if ans.Text != "🙏 Thank you for your review!" {
		t.Errorf("saved answer = %q", ans.Text)
	}
	mine := env.wantBody(anna, "Your review", "★★★★☆ Anna", "Lovely cats, <b>fast</b> delivery", "Photos: 1", "You can change it until")
	wantButton(t, mine, "✏️ Change it")

	// The shop's staff are told of it (the workers' review:new), once, and
	// answer from the message.
	if keys := env.outboxKeys(review.JobNew); len(keys) != 1 {
		t.Fatalf("new-review jobs %v, want one", keys)
	}
	saved, err := env.reviews.Mine(env.ctx, core.UserID(anna.ID()), review.ID(1))
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := env.bot.Reviews.NewReviewMessages(env.ctx, saved.ID)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("new-review messages %d, %v; want one to the owner", len(msgs), err)
	}
	env.deliver(msgs...)
	told := env.wantBody(owner, "💬 Новый отзыв", "Cat stickers", "Lovely cats")
	env.press(owner, told, "↩️ Ответить")
	env.wantBody(owner, "Lovely cats")
	env.send(owner, "/cancel")

	// A second review of the same line is refused; the line shows the review.
	if _, err := env.reviews.Create(env.ctx, core.UserID(anna.ID()), o.ID, 1, review.Draft{Rating: 1}); err != review.ErrAlreadyReviewed {
		t.Errorf("second review: %v", err)
	}
	env.press(anna, detail, "⭐ Leave a review")
	env.wantBody(anna, "Your review", "Lovely cats")
	// The order's screen now shows it as hers.
	env.send(anna, "/orders")
	env.press(anna, env.lastBot(anna), "#"+strconv.FormatInt(int64(o.ID), 10))
	detail = env.lastBot(anna)
	noButton(t, detail, "⭐ Leave a review")
	wantButton(t, detail, "⭐ My review")

	// The product card and the shop card show the rating.
	if err := anna.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	card := env.wantBody(anna, "⭐ 4.0 · 1 review")
	env.press(anna, card, "💬 Reviews (1)")
	list := env.wantBody(anna, "Reviews · Cat stickers", "★★★★☆ Anna", "Lovely cats, <b>fast</b> delivery")
	env.press(anna, list, "📷 Photos of review 1")
	if calls := env.tg.CallsTo("sendPhoto"); len(calls) == 0 || !strings.Contains(calls[len(calls)-1].Param("caption"), "Lovely cats") {
		t.Errorf("the review's photo was not sent")
	}
	env.send(anna, "/start")
	env.press(anna, env.lastBot(anna), "Sticker Hub")
	env.wantBody(anna, "Shop rating: ⭐ 4.0 · 1 review")

	// Anna changes it: 5 stars, the same text and photo.
	// The screen of the review is edited in place through the conversation.
	mine = env.messageWith(anna, "Your review")
	env.press(anna, mine, "✏️ Change it")
	env.press(anna, env.refresh(anna, mine), "5⭐")
	if m := env.refresh(anna, mine); !strings.Contains(m.Body(), "Your review says now: “Lovely cats") {
		t.Errorf("text step when changing = %q", m.Body())
	}
	env.press(anna, env.refresh(anna, mine), "Keep the text")
	env.press(anna, env.refresh(anna, mine), "Keep the photos (1)")
	for _, want := range []string{"★★★★★ Anna", "Lovely cats", "Photos: 1"} {
		if m := env.refresh(anna, mine); !strings.Contains(m.Body(), want) {
			t.Errorf("changed review %q lacks %q", m.Body(), want)
		}
	}
	if r, _ := env.reviews.ProductRating(env.ctx, p.ID); r != (review.Rating{Count: 1, Sum: 5}) {
		t.Errorf("rating after the change = %+v", r)
	}

	// The seller replies once, from the admin menu, and reports it.
	env.send(owner, "/admin")
	env.press(owner, env.lastBot(owner), "⭐ Отзывы")
	adminList := env.wantBody(owner, "Отзывы · Sticker Hub", "★★★★★ Anna", "Cat stickers")
	env.press(owner, adminList, "💬 Ответить на 1")
	env.wantBody(owner, "Ответ на отзыв")
	env.sendSticker(owner)
	env.wantBody(owner, "Это я прочитать не могу. Здесь нужно: текст ответа.")
	env.send(owner, "Спасибо, Anna!")
	adminList = env.wantBody(owner, "Ответ магазина: Спасибо, Anna!")
	noButton(t, adminList, "💬 Ответить на 1")
	if got := env.forgePress(owner, adminList, "arr:"+strconv.FormatInt(int64(mustReview(t, env, p).ID), 10)+":0"); got != "Магазин уже ответил на этот отзыв: ответить можно один раз." {
		t.Errorf("second reply: %q", got)
	}
	env.press(owner, adminList, "⚠️ Пожаловаться на 1")
	ans = env.press(owner, env.lastBot(owner), "⚠️ Да, пожаловаться")
	if ans.Text != "Жалоба отправлена операторам." {
		t.Errorf("report answer = %q", ans.Text)
	}
	env.wantBody(owner, "Жалоба у операторов")
	// Shoppers see the reply; a stranger may not reach the seller's screens.
	if got := env.forgePress(bob, sandbox.Message{}, "arv:"+strconv.FormatInt(int64(shop.ID), 10)); got != "Only the shop's staff can do this." {
		t.Errorf("stranger in the seller's reviews: %q", got)
	}

	// The operator hides it: out of the card, the list and the shop's rating.
	op := env.tg.NewUser(sandbox.UserSpec{ID: int64(operator), FirstName: "Olga", LanguageCode: "en"})
	env.send(op, "/admin")
	env.press(op, env.lastBot(op), "⚠️ Reported reviews (1)")
	env.wantBody(op, "Reported review · 1 of 1", "Shop: Sticker Hub", "Lovely cats")
	if got := env.forgePress(bob, sandbox.Message{}, "arh:"+strconv.FormatInt(int64(mustReview(t, env, p).ID), 10)+":0"); got != "Only platform operators can do this." {
		t.Errorf("a shopper hiding a review: %q", got)
	}
	env.press(op, env.lastBot(op), "🚫 Hide the review")
	env.wantBody(op, "No reported reviews.")
	if err := anna.Start(env.ctx, telegram.ProductLink(p.ID)); err != nil {
		t.Fatal(err)
	}
	card = env.lastBot(anna)
	if strings.Contains(card.Body(), "review") {
		t.Errorf("card after hiding = %q", card.Body())
	}
	noButton(t, card, "💬 Reviews (1)")
	if r, _ := env.reviews.ShopRating(env.ctx, shop.ID); r.Count != 0 {
		t.Errorf("shop rating after hiding = %+v", r)
	}

	// A week later the author can no longer change it.
	env.clock.Advance(review.EditWindow + time.Minute)
	env.press(anna, detail, "⭐ My review")
	mine = env.wantBody(anna, "The operators hid this review")
	noButton(t, mine, "✏️ Change it")
	env.noErrorsLogged()
}

// TestShopper_ReviewsSeveralItems reviews an order of two items: the shopper picks
// each in turn, and skips the text and the photos.
func TestShopper_ReviewsSeveralItems(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	owner, shop := env.starsShop("Sticker Hub")
	cats := env.product(owner, shop, "Cat stickers", "", variant("", 150, 5))
	dogs := env.product(owner, shop, "Dog stickers", "", variant("", 100, 5))
	anna := env.shopper("Anna", "ru")
	me := core.UserID(anna.ID())
	env.send(anna, "/start")
	o, err := env.orders.Checkout(env.ctx, order.CheckoutRequest{Key: "k", BuyerID: me, ShopID: shop.ID,
		Items: []order.Item{{VariantID: cats.Variants[0].ID, Quantity: 1}, {VariantID: dogs.Variants[0].ID, Quantity: 1}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.orders.RecordPayment(env.ctx, order.Payment{OrderID: o.ID, BuyerID: me, TelegramChargeID: "c1", Total: o.Total}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.orders.MarkShipped(env.ctx, core.UserID(owner.ID()), o.ID, ""); err != nil {
		t.Fatal(err)
	}
	if _, err := env.orders.Complete(env.ctx, core.UserID(owner.ID()), o.ID); err != nil {
		t.Fatal(err)
	}

	// The review request's button, as the reminder sends it.
	env.forgePress(anna, sandbox.Message{}, "rw:"+strconv.FormatInt(int64(o.ID), 10))
	pick := env.wantBody(anna, "Какой товар из заказа")
	env.press(anna, pick, "⭐ Dog stickers")
	env.press(anna, env.lastBot(anna), "2⭐")
	env.press(anna, env.lastBot(anna), "Пропустить ⏭")
	env.press(anna, env.lastBot(anna), "Пропустить ⏭")
	mine := env.wantBody(anna, "Ваш отзыв", "★★☆☆☆ Anna", "Dog stickers")
	env.press(anna, mine, "⭐ Другие товары заказа")
	pick = env.lastBot(anna)
	wantButton(t, pick, "✅ Dog stickers")
	env.press(anna, pick, "⭐ Cat stickers")
	env.press(anna, env.lastBot(anna), "5⭐")
	// A stale button of the finished conversation changes nothing.
	if got := env.forgePress(anna, sandbox.Message{}, "rs:rv.rate:1:old"); got != "Этот шаг уже пройден." {
		t.Errorf("stale step button: %q", got)
	}
	// A photo with its caption at the text step, as people send them: the
	// caption is the text, the photo the first of three.
	if err := anna.SendPhoto(env.ctx, "Отличные!"); err != nil {
		t.Fatal(err)
	}
	env.wantBody(anna, "Фото 1 из 3")
	env.sendPhoto(anna)
	env.sendPhoto(anna) // the third photo saves the review
	env.wantBody(anna, "Ваш отзыв", "★★★★★ Anna", "Отличные!", "Фото: 3")
	env.messageWith(anna, "Спасибо за отзыв!")

	if r, _ := env.reviews.ShopRating(env.ctx, shop.ID); r != (review.Rating{Count: 2, Sum: 7}) || r.Tenths() != 35 {
		t.Errorf("shop rating = %+v", r)
	}
	if err := anna.Start(env.ctx, telegram.ProductLink(cats.ID)); err != nil {
		t.Fatal(err)
	}
	card := env.wantBody(anna, "⭐ 5,0 · 1 отзыв")
	env.press(anna, card, "💬 Отзывы (1)")
	env.press(anna, env.lastBot(anna), "📷 Фото к отзыву 1")
	if n := len(env.tg.CallsTo("sendMediaGroup")); n != 1 {
		t.Errorf("sendMediaGroup calls = %d, want 1", n)
	}
	env.noErrorsLogged()
}

// mustReview returns the product's newest visible review.
func mustReview(t *testing.T, env *testEnv, p catalog.Product) review.Review {
	t.Helper()
	list, _, err := env.reviews.ProductReviews(env.ctx, p.ID, 1, 0)
	if err != nil || len(list) == 0 {
		t.Fatalf("reviews of %s: %v, %v", p.Title, list, err)
	}
	return list[0]
}
