package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
)

// setupWith is setup for a server built by the test, as a second run of the same bot.
func setupWith(t *testing.T, s *sandbox.Server) *bundle {
	t.Helper()
	api := httptest.NewServer(s)
	t.Cleanup(api.Close)
	t.Cleanup(s.Close)
	bot, err := telego.NewBot(testToken, telego.WithAPIServer(api.URL),
		telego.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}), telego.WithDiscardLogger())
	if err != nil {
		t.Fatal(err)
	}
	return &bundle{s: s, api: api, bot: bot}
}

func TestServer_SnapshotRestore(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna", LanguageCode: "ru"})
	b.s.NewUser(sandbox.UserSpec{ID: 1002, FirstName: "John"})
	b.s.BlockUser(1002)
	channel := b.s.NewChat(sandbox.ChatSpec{ID: -1001700000001, Type: sandbox.ChatChannel, Title: "Shop"})
	channel.AddMember(1001, sandbox.StatusMember)
	group := b.s.NewChat(sandbox.ChatSpec{Title: "Neighbours"})
	group.AddMember(1001, sandbox.StatusAdministrator)
	newShopBot(t, b)

	photo, err := b.s.AddPhoto("hoodie.png", pngBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	if err := u.Send(ctx, "/start"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.bot.SendPhoto(ctx, tu.Photo(chatID(1001), tu.FileFromID(photo.FileID)).WithCaption("<b>Hoodie</b>").
		WithParseMode(telego.ModeHTML).WithReplyMarkup(tu.InlineKeyboard(tu.InlineKeyboardRow(
		tu.InlineKeyboardButton("Buy").WithCallbackData("buy:1"))))); err != nil {
		t.Fatal(err)
	}
	if _, err := b.bot.SendInvoice(ctx, starsInvoice(1001, "order:77")); err != nil {
		t.Fatal(err)
	}
	if _, err := u.Pay(ctx, u.LastMessage(), sandbox.PayOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := u.SendPhoto(ctx, "my photo"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.bot.SendMessage(ctx, tu.Message(chatID(channel.ID()), "a post")); err != nil {
		t.Fatal(err)
	}
	if err := b.bot.SetMyCommands(ctx, &telego.SetMyCommandsParams{Commands: []telego.BotCommand{{Command: "start", Description: "Start"}}}); err != nil {
		t.Fatal(err)
	}
	lastUpdate := b.s.NextUpdateID() - 1

	snap, err := b.s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}

	// A second run: a new server of the same bot, its world restored, the bot's webhook set again.
	b2 := setupWith(t, sandbox.New(sandbox.Config{Token: testToken, BotUsername: "vitrina_test_bot"}))
	if err := b2.s.Restore(snap); err != nil {
		t.Fatal(err)
	}
	again, err := b2.s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, snap) {
		t.Fatalf("a restored world's snapshot differs:\n%s\nwant\n%s", again, snap)
	}
	if !jsonEqual(t, b2.s.Users(), b.s.Users()) || !jsonEqual(t, b2.s.Chats(), b.s.Chats()) {
		t.Fatalf("users or chats differ: %+v %+v", b2.s.Users(), b2.s.Chats())
	}
	for _, c := range b.s.Chats() {
		if !jsonEqual(t, b2.s.Chat(c.ID).Messages(), b.s.Chat(c.ID).Messages()) {
			t.Fatalf("chat %d: messages differ:\n%+v\nwant\n%+v", c.ID, b2.s.Chat(c.ID).Messages(), b.s.Chat(c.ID).Messages())
		}
	}
	if p := b2.s.Payments(); len(p) != 1 || p[0].Payload != "order:77" {
		t.Fatalf("payments = %+v", p)
	}
	if got := b2.s.Chat(group.ID()).Member(1001); got != sandbox.StatusAdministrator {
		t.Fatalf("group member = %s", got)
	}

	// The bot sees the same world: its photo's file_id works, the stored file downloads, the
	// Stars payment can be refunded, the blocked user stays blocked.
	u2 := b2.s.User(1001)
	if _, err := b2.bot.SendPhoto(ctx, tu.Photo(chatID(1001), tu.FileFromID(photo.FileID))); err != nil {
		t.Fatalf("send a photo of the first run by file_id: %v", err)
	}
	userPhoto := u2.Messages()[len(u2.Messages())-2].Photo // the user's photo, before the one just sent
	if userPhoto == nil {
		t.Fatalf("messages = %+v", u2.Messages())
	}
	f, err := b2.bot.GetFile(ctx, &telego.GetFileParams{FileID: userPhoto.FileID})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(b2.api.URL + "/file/bot" + testToken + "/" + f.FilePath)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	want, _, _ := b.s.FileData(userPhoto.FileID)
	if !bytes.Equal(data, want) {
		t.Fatalf("downloaded %d bytes, want the %d of the first run", len(data), len(want))
	}
	if err := b2.bot.RefundStarPayment(ctx, &telego.RefundStarPaymentParams{UserID: 1001,
		TelegramPaymentChargeID: b.s.Payments()[0].ChargeID}); err != nil {
		t.Fatalf("refund a payment of the first run: %v", err)
	}
	if _, err := b2.bot.SendMessage(ctx, tu.Message(chatID(1002), "hi")); err == nil {
		t.Fatal("the blocked user must stay blocked")
	}

	// Numbering continues: updates, messages and files.
	var ids []int
	b2.serveWebhook(t, "", func(_ context.Context, upd telego.Update) { ids = append(ids, upd.UpdateID) })
	if err := u2.Send(ctx, "again"); err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || ids[0] != lastUpdate+1 {
		t.Fatalf("update ids %v after a restore, want %d", ids, lastUpdate+1)
	}
	msgs := u2.Messages()
	if last := msgs[len(msgs)-1]; last.Text != "again" || last.ID != msgs[len(msgs)-2].ID+1 {
		t.Fatalf("message ids continue: %+v", msgs[len(msgs)-2:])
	}
	if again, err := b2.s.AddPhoto("new.png", pngBytes(t)); err != nil || again.FileUniqueID == photo.FileUniqueID {
		t.Fatalf("new file %+v, %v", again, err)
	}
}

func jsonEqual(t *testing.T, a, b any) bool {
	t.Helper()
	ja, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	jb, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ja, jb)
}

func TestServer_RestoreRefuses(t *testing.T) {
	b := setup(t, sandbox.Config{})
	snap, err := b.s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	other := sandbox.New(sandbox.Config{Token: "999:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi"})
	defer other.Close()
	if err := other.Restore(snap); err == nil {
		t.Fatal("a snapshot of another bot must be refused")
	}
	for _, bad := range []string{`{`, `{"version":99}`} {
		if err := b.s.Restore([]byte(bad)); err == nil {
			t.Errorf("Restore(%s) took it", bad)
		}
	}
}

func TestServer_SetNextUpdateID(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna"})
	g := b.s.Generation()
	b.s.SetNextUpdateID(500)
	if b.s.Generation() == g {
		t.Fatal("a new floor is a change to save")
	}
	b.s.SetNextUpdateID(10) // a floor: never back
	if err := u.Send(ctx, "hi"); err != nil {
		t.Fatal(err)
	}
	ups := b.s.Updates()
	if len(ups) != 1 || ups[0].UpdateID != 500 || b.s.NextUpdateID() != 501 {
		t.Fatalf("updates %+v, next %d", ups, b.s.NextUpdateID())
	}

	// A restored snapshot with lower numbers does not move numbering back either.
	fresh := sandbox.New(sandbox.Config{Token: testToken})
	defer fresh.Close()
	snap, err := fresh.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if err := b.s.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if b.s.NextUpdateID() != 501 {
		t.Fatalf("next update id %d after restoring an older snapshot", b.s.NextUpdateID())
	}
}

// A snapshot is saved in the demo's database: it keeps what users see, never the payment
// provider's token the bot sent with an invoice. A card invoice of the first run can still be
// paid after the restore.
func TestServer_SnapshotKeepsNoProviderToken(t *testing.T) {
	const token = "381764678:LIVE:do-not-store"
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	startedUser(b, 1001)
	newShopBot(t, b)
	if _, err := b.bot.SendInvoice(ctx, tu.Invoice(chatID(1001), "Mug", "Red mug", "order:1", token, "RUB",
		tu.LabeledPrice("Mug", 125000))); err != nil {
		t.Fatal(err)
	}
	if _, err := b.bot.CreateInvoiceLink(ctx, &telego.CreateInvoiceLinkParams{Title: "Mug", Description: "Red mug",
		Payload: "order:2", ProviderToken: token, Currency: "RUB", Prices: []telego.LabeledPrice{tu.LabeledPrice("Mug", 125000)}}); err != nil {
		t.Fatal(err)
	}
	snap, err := b.s.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(snap, []byte(token)) {
		t.Fatalf("the snapshot holds the provider token:\n%s", snap)
	}

	b2 := setupWith(t, sandbox.New(sandbox.Config{Token: testToken, BotUsername: "vitrina_test_bot"}))
	if err := b2.s.Restore(snap); err != nil {
		t.Fatal(err)
	}
	newShopBot(t, b2)
	u2 := b2.s.User(1001)
	res, err := u2.Pay(ctx, u2.LastMessage(), sandbox.PayOptions{})
	if err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay the first run's card invoice = %+v, %v", res, err)
	}
}
