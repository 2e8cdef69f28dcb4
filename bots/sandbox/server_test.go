package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
)

func TestServer_GetMe(t *testing.T) {
	b := setup(t, sandbox.Config{})
	me, err := b.bot.GetMe(ctxT(t))
	if err != nil {
		t.Fatal(err)
	}
	if me.ID != 123456 || !me.IsBot || me.Username != "vitrina_test_bot" || !me.SupportsInlineQueries {
		t.Fatalf("getMe = %+v", me)
	}
}

func TestServer_Routing(t *testing.T) {
	b := setup(t, sandbox.Config{})
	get := func(path string) (int, string) {
		resp, err := http.Get(b.api.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(body))
	}
	tests := []struct {
		name, path string
		code       int
		body       string
	}{
		{"UnknownMethod", "/bot" + testToken + "/sendTelepathy", 404, `{"ok":false,"error_code":404,"description":"Not Found"}`},
		{"WrongToken", "/bot654321:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi/getMe", 401, `{"ok":false,"error_code":401,"description":"Unauthorized"}`},
		{"MalformedToken", "/botnonsense/getMe", 404, `{"ok":false,"error_code":404,"description":"Not Found"}`},
		{"CaseInsensitiveMethod", "/bot" + testToken + "/GETME", 200, ""},
		{"UnknownFile", "/file/bot" + testToken + "/photos/file_99.jpg", 404, `{"ok":false,"error_code":404,"description":"Not Found"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, body := get(tt.path)
			if code != tt.code {
				t.Fatalf("status %d, want %d (%s)", code, tt.code, body)
			}
			if tt.body != "" && body != tt.body {
				t.Fatalf("body %s, want %s", body, tt.body)
			}
		})
	}
	calls := b.s.CallsTo("getMe")
	if len(calls) != 1 || calls[0].Method != "getMe" {
		t.Fatalf("want the GETME call recorded as getMe, got %+v", calls)
	}
}

func TestServer_FormEncoding(t *testing.T) {
	b := setup(t, sandbox.Config{})
	u := startedUser(b, 1001)
	form := url.Values{
		"chat_id":      {"1001"},
		"text":         {"<b>Hi</b> there"},
		"parse_mode":   {"HTML"},
		"reply_markup": {`{"inline_keyboard":[[{"text":"Go","callback_data":"go:1"}]]}`},
	}
	resp, err := http.PostForm(b.api.URL+"/bot"+testToken+"/sendMessage", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer struct {
		OK     bool           `json:"ok"`
		Result telego.Message `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatal(err)
	}
	if !answer.OK || answer.Result.Text != "Hi there" || answer.Result.ReplyMarkup == nil {
		t.Fatalf("answer = %+v", answer)
	}
	m := u.LastMessage()
	if m.Text != "Hi there" || len(m.Entities) != 1 || m.Entities[0].Type != "bold" || m.InlineKeyboard[0][0].CallbackData != "go:1" {
		t.Fatalf("stored message = %+v", m)
	}
	call := b.s.CallsTo("sendMessage")[0]
	if call.Int("chat_id") != 1001 || call.Param("parse_mode") != "HTML" {
		t.Fatalf("recorded params = %v", call.Params)
	}
	var markup telego.InlineKeyboardMarkup
	if err := call.Decode("reply_markup", &markup); err != nil || markup.InlineKeyboard[0][0].Text != "Go" {
		t.Fatalf("decode reply_markup: %v %+v", err, markup)
	}
}

func TestServer_SendEditDelete(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := startedUser(b, 1001)

	sent, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "Order <b>#12</b> &amp; more").
		WithParseMode(telego.ModeHTML).
		WithReplyMarkup(tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("Pay").WithCallbackData("pay:12")))))
	if err != nil {
		t.Fatal(err)
	}
	if sent.Text != "Order #12 & more" || sent.Chat.ID != 1001 || sent.From.ID != 123456 {
		t.Fatalf("sent = %+v", sent)
	}
	if len(sent.Entities) != 1 || sent.Entities[0] != (telego.MessageEntity{Type: "bold", Offset: 6, Length: 3}) {
		t.Fatalf("entities = %+v", sent.Entities)
	}
	second, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "second"))
	if err != nil {
		t.Fatal(err)
	}
	if second.MessageID != sent.MessageID+1 {
		t.Fatalf("message ids %d then %d, want consecutive", sent.MessageID, second.MessageID)
	}

	t.Run("EditRemovesKeyboardWhenNotRepeated", func(t *testing.T) {
		edited, err := b.bot.EditMessageText(ctx, &telego.EditMessageTextParams{
			ChatID: chatID(1001), MessageID: sent.MessageID, Text: "Order #12 paid"})
		if err != nil {
			t.Fatal(err)
		}
		if edited.Text != "Order #12 paid" || edited.EditDate == 0 || edited.ReplyMarkup != nil {
			t.Fatalf("edited = %+v", edited)
		}
		m := u.Messages()[0]
		if m.Text != "Order #12 paid" || m.InlineKeyboard != nil || m.EditDate.IsZero() {
			t.Fatalf("stored = %+v", m)
		}
	})
	t.Run("NotModified", func(t *testing.T) {
		_, err := b.bot.EditMessageText(ctx, &telego.EditMessageTextParams{
			ChatID: chatID(1001), MessageID: sent.MessageID, Text: "Order #12 paid"})
		wantAPIError(t, err, 400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	})
	t.Run("EditKeyboard", func(t *testing.T) {
		_, err := b.bot.EditMessageReplyMarkup(ctx, &telego.EditMessageReplyMarkupParams{
			ChatID: chatID(1001), MessageID: sent.MessageID,
			ReplyMarkup: tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("Track").WithCallbackData("track:12")))})
		if err != nil {
			t.Fatal(err)
		}
		if got := u.Messages()[0].Buttons(); len(got) != 1 || got[0].CallbackData != "track:12" {
			t.Fatalf("buttons = %+v", got)
		}
	})
	t.Run("CaptionOfTextMessage", func(t *testing.T) {
		_, err := b.bot.EditMessageCaption(ctx, &telego.EditMessageCaptionParams{
			ChatID: chatID(1001), MessageID: sent.MessageID, Caption: "x"})
		wantAPIError(t, err, 400, "Bad Request: there is no caption in the message to edit")
	})
	t.Run("Delete", func(t *testing.T) {
		if err := b.bot.DeleteMessage(ctx, tu.Delete(chatID(1001), sent.MessageID)); err != nil {
			t.Fatal(err)
		}
		if m := u.Messages()[0]; !m.Deleted {
			t.Fatalf("message not marked deleted: %+v", m)
		}
		if last := u.LastMessage(); last.ID != second.MessageID {
			t.Fatalf("last message %d, want %d", last.ID, second.MessageID)
		}
		err := b.bot.DeleteMessage(ctx, tu.Delete(chatID(1001), sent.MessageID))
		wantAPIError(t, err, 400, "Bad Request: message to delete not found")
		_, err = b.bot.EditMessageText(ctx, &telego.EditMessageTextParams{
			ChatID: chatID(1001), MessageID: sent.MessageID, Text: "again"})
		wantAPIError(t, err, 400, "Bad Request: message to edit not found")
	})
}

func TestServer_SendMessageErrors(t *testing.T) {
	b := setup(t, sandbox.Config{})
	startedUser(b, 1001)
	b.s.NewUser(sandbox.UserSpec{ID: 1002, FirstName: "Boris"}) // never opened the bot
	startedUser(b, 1003)
	b.s.BlockUser(1003)
	button := func(data string) *telego.InlineKeyboardMarkup {
		return tu.InlineKeyboard(tu.InlineKeyboardRow(telego.InlineKeyboardButton{Text: "B", CallbackData: data}))
	}
	tests := []struct {
		name   string
		params *telego.SendMessageParams
		code   int
		desc   string
	}{
		{"ChatNotFound", tu.Message(chatID(999), "hi"), 400, "Bad Request: chat not found"},
		{"EmptyText", tu.Message(chatID(1001), "  "), 400, "Bad Request: message text is empty"},
		{"EmptyAfterHTML", tu.Message(chatID(1001), "<b></b>").WithParseMode(telego.ModeHTML), 400, "Bad Request: message text is empty"},
		{"TooLong", tu.Message(chatID(1001), strings.Repeat("я", 4097)), 400, "Bad Request: message is too long"},
		{"CallbackDataTooLong", tu.Message(chatID(1001), "hi").WithReplyMarkup(button(strings.Repeat("x", 65))), 400, "Bad Request: BUTTON_DATA_INVALID"},
		{"ButtonWithoutAction", tu.Message(chatID(1001), "hi").WithReplyMarkup(button("")), 400,
			"Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"},
		{"UnsupportedTag", tu.Message(chatID(1001), "a<br>b").WithParseMode(telego.ModeHTML), 400,
			`Bad Request: can't parse entities: Unsupported start tag "br" at byte offset 1`},
		{"UnescapedLessThan", tu.Message(chatID(1001), "<b>1 < 2</b>").WithParseMode(telego.ModeHTML), 400,
			`Bad Request: can't parse entities: Unsupported start tag "" at byte offset 5`},
		{"NeverStarted", tu.Message(chatID(1002), "hi"), 403, "Forbidden: bot can't initiate conversation with a user"},
		{"Blocked", tu.Message(chatID(1003), "hi"), 403, "Forbidden: bot was blocked by the user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := b.bot.SendMessage(ctxT(t), tt.params)
			wantAPIError(t, err, tt.code, tt.desc)
		})
	}
	t.Run("CallbackDataAtLimit", func(t *testing.T) {
		if _, err := b.bot.SendMessage(ctxT(t), tu.Message(chatID(1001), "hi").WithReplyMarkup(button(strings.Repeat("x", 64)))); err != nil {
			t.Fatalf("64 bytes of callback_data must pass: %v", err)
		}
	})
	t.Run("ErrorsAreRecorded", func(t *testing.T) {
		var failed int
		for _, c := range b.s.CallsTo("sendMessage") {
			if c.Err != nil {
				failed++
			}
		}
		if failed != len(tests) {
			t.Fatalf("%d failed calls recorded, want %d", failed, len(tests))
		}
	})
}

func TestServer_FailNext(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	startedUser(b, 1001)
	b.s.FailNext("sendMessage", http.StatusTooManyRequests, "", 7)

	_, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "one"))
	apiErr := apiError(t, err)
	if apiErr.ErrorCode != 429 || apiErr.Description != "Too Many Requests: retry after 7" ||
		apiErr.Parameters == nil || apiErr.Parameters.RetryAfter != 7 {
		t.Fatalf("injected error = %+v", apiErr)
	}
	if _, err := b.bot.GetMe(ctx); err != nil {
		t.Fatalf("a fault for sendMessage must not hit getMe: %v", err)
	}
	if _, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "two")); err != nil {
		t.Fatalf("the fault must fire once: %v", err)
	}
	if n := len(b.s.Chat(1001).Messages()); n != 1 {
		t.Fatalf("%d messages in chat, want 1 (the failed send stores nothing)", n)
	}
}

func TestServer_RateLimiter(t *testing.T) {
	clk := &clock{now: time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)}
	b := setup(t, sandbox.Config{Now: clk.Now, Limiter: sandbox.NewRateLimiter(sandbox.TelegramRateLimits())})
	ctx := ctxT(t)
	startedUser(b, 1001)
	startedUser(b, 1002)
	for i := range 3 {
		if _, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "burst")); err != nil {
			t.Fatalf("send %d within the burst: %v", i, err)
		}
	}
	_, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "one too many"))
	apiErr := apiError(t, err)
	if apiErr.ErrorCode != 429 || apiErr.Parameters == nil || apiErr.Parameters.RetryAfter != 1 {
		t.Fatalf("want 429 retry after 1, got %+v", apiErr)
	}
	if _, err := b.bot.SendMessage(ctx, tu.Message(chatID(1002), "other chat")); err != nil {
		t.Fatalf("another chat has its own budget: %v", err)
	}
	clk.Advance(time.Second)
	if _, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "after a second")); err != nil {
		t.Fatalf("after retry_after: %v", err)
	}

	group := b.s.NewChat(sandbox.ChatSpec{Title: "Buyers"})
	for i := range 20 {
		if _, err := b.bot.SendMessage(ctx, tu.Message(chatID(group.ID()), "group")); err != nil {
			t.Fatalf("group send %d: %v", i, err)
		}
		clk.Advance(100 * time.Millisecond) // stay under the global limit
	}
	_, err = b.bot.SendMessage(ctx, tu.Message(chatID(group.ID()), "21st in a minute"))
	if apiErr := apiError(t, err); apiErr.ErrorCode != 429 || apiErr.Parameters.RetryAfter < 1 {
		t.Fatalf("want the group limit, got %+v", apiErr)
	}
}

func TestServer_PhotoUploadGetFileDownload(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := startedUser(b, 1001)
	photo := pngBytes(t)

	sent, err := b.bot.SendPhoto(ctx, tu.Photo(chatID(1001), tu.FileFromBytes(photo, "product.png")).
		WithCaption("<i>Red</i> mug").WithParseMode(telego.ModeHTML).
		WithReplyMarkup(tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("Buy").WithCallbackData("buy:1")))))
	if err != nil {
		t.Fatal(err)
	}
	if len(b.s.CallsTo("sendPhoto")[0].Files) != 1 {
		t.Fatal("telego should have uploaded the photo as a multipart file")
	}
	if len(sent.Photo) == 0 || sent.Caption != "Red mug" || sent.ReplyMarkup == nil ||
		sent.ReplyMarkup.InlineKeyboard[0][0].CallbackData != "buy:1" {
		t.Fatalf("sent = %+v", sent)
	}
	ps := sent.Photo[len(sent.Photo)-1]
	if ps.Width != 4 || ps.Height != 3 {
		t.Fatalf("photo size %dx%d, want 4x3", ps.Width, ps.Height)
	}

	file, err := b.bot.GetFile(ctx, &telego.GetFileParams{FileID: ps.FileID})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Get(b.bot.FileDownloadURL(file.FilePath))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !bytes.Equal(got, photo) || file.FileSize != int64(len(photo)) {
		t.Fatalf("download: status %d, %d bytes, file %+v", resp.StatusCode, len(got), file)
	}

	t.Run("ResendByFileID", func(t *testing.T) {
		again, err := b.bot.SendPhoto(ctx, tu.Photo(chatID(1001), tu.FileFromID(ps.FileID)))
		if err != nil {
			t.Fatal(err)
		}
		if again.Photo[0].FileID != ps.FileID {
			t.Fatalf("file id %s, want %s", again.Photo[0].FileID, ps.FileID)
		}
	})
	t.Run("NotAnImage", func(t *testing.T) {
		_, err := b.bot.SendPhoto(ctx, tu.Photo(chatID(1001), tu.FileFromBytes([]byte("not a picture"), "x.jpg")))
		wantAPIError(t, err, 400, "Bad Request: IMAGE_PROCESS_FAILED")
	})
	t.Run("CaptionTooLong", func(t *testing.T) {
		_, err := b.bot.SendPhoto(ctx, tu.Photo(chatID(1001), tu.FileFromID(ps.FileID)).WithCaption(strings.Repeat("a", 1025)))
		wantAPIError(t, err, 400, "Bad Request: message caption is too long")
	})
	t.Run("UnknownFileID", func(t *testing.T) {
		_, err := b.bot.GetFile(ctx, &telego.GetFileParams{FileID: "nope"})
		wantAPIError(t, err, 400, "Bad Request: invalid file_id")
	})
	t.Run("DocumentUpload", func(t *testing.T) {
		csv := []byte("sku,price,stock\nMUG-1,1250,7\n")
		doc, err := b.bot.SendDocument(ctx, tu.Document(chatID(1001), tu.FileFromBytes(csv, "stock.csv")))
		if err != nil {
			t.Fatal(err)
		}
		if doc.Document == nil || doc.Document.FileName != "stock.csv" || doc.Document.MimeType != "text/csv" {
			t.Fatalf("document = %+v", doc.Document)
		}
		data, att, ok := b.s.FileData(doc.Document.FileID)
		if !ok || !bytes.Equal(data, csv) || att.FileName != "stock.csv" {
			t.Fatalf("stored file = %q %+v", data, att)
		}
		if m := u.LastMessage(); m.Document == nil || m.Document.FileID != doc.Document.FileID {
			t.Fatalf("last message = %+v", m)
		}
	})
	t.Run("PhotoIDAsDocument", func(t *testing.T) {
		_, err := b.bot.SendDocument(ctx, tu.Document(chatID(1001), tu.FileFromID(ps.FileID)))
		wantAPIError(t, err, 400, "Bad Request: type of file mismatch")
	})
	t.Run("EditMedia", func(t *testing.T) {
		edited, err := b.bot.EditMessageMedia(ctx, &telego.EditMessageMediaParams{ChatID: chatID(1001),
			MessageID: sent.MessageID, Media: tu.MediaPhoto(tu.FileFromBytes(pngBytes(t), "new.png")).WithCaption("Blue mug")})
		if err != nil {
			t.Fatal(err)
		}
		if edited.Caption != "Blue mug" || edited.Photo[0].FileID == ps.FileID || edited.ReplyMarkup != nil {
			t.Fatalf("edited = %+v", edited)
		}
		if m := u.Messages()[0]; m.Photo.FileID != edited.Photo[0].FileID || m.EditDate.IsZero() {
			t.Fatalf("stored = %+v", m)
		}
	})
	t.Run("MediaGroup", func(t *testing.T) {
		msgs, err := b.bot.SendMediaGroup(ctx, tu.MediaGroup(chatID(1001),
			tu.MediaPhoto(tu.FileFromID(ps.FileID)).WithCaption("one"),
			tu.MediaPhoto(tu.FileFromBytes(photo, "two.png")).WithCaption("two")))
		if err != nil {
			t.Fatal(err)
		}
		if len(msgs) != 2 || msgs[0].MediaGroupID == "" || msgs[0].MediaGroupID != msgs[1].MediaGroupID ||
			msgs[1].Caption != "two" {
			t.Fatalf("album = %+v", msgs)
		}
	})
}

func TestServer_GetUpdatesPolling(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna"})

	done := make(chan []telego.Update)
	go func() {
		ups, err := b.bot.GetUpdates(ctx, &telego.GetUpdatesParams{Timeout: 10})
		if err != nil {
			t.Error(err)
		}
		done <- ups
	}()
	if err := u.Send(ctx, "/start shop_7"); err != nil {
		t.Fatal(err)
	}
	ups := <-done
	if len(ups) != 1 || ups[0].Message == nil || ups[0].Message.Text != "/start shop_7" ||
		ups[0].Message.Entities[0].Type != "bot_command" || ups[0].Message.From.LanguageCode != "" {
		t.Fatalf("updates = %+v", ups)
	}
	if err := u.Send(ctx, "hello"); err != nil {
		t.Fatal(err)
	}
	ups, err := b.bot.GetUpdates(ctx, &telego.GetUpdatesParams{Offset: ups[0].UpdateID + 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 1 || ups[0].Message.Text != "hello" {
		t.Fatalf("after confirming the first update: %+v", ups)
	}
	if _, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "the user started the bot, so this works")); err != nil {
		t.Fatal(err)
	}

	b.serveWebhook(t, "", nil)
	_, err = b.bot.GetUpdates(ctx, &telego.GetUpdatesParams{})
	wantAPIError(t, err, 409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first")
}

func TestServer_Webhook(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna"})
	wh := b.serveWebhook(t, "s3cret_token", func(ctx context.Context, upd telego.Update) {
		if upd.Message != nil {
			_, _ = b.bot.SendMessage(ctx, tu.Message(chatID(upd.Message.Chat.ID), "echo: "+upd.Message.Text))
		}
	})

	if err := u.Send(ctx, "hi"); err != nil {
		t.Fatal(err)
	}
	if got := u.LastMessage(); got.Text != "echo: hi" || !got.FromBot {
		t.Fatalf("after Send returns the bot has answered; last = %+v", got)
	}
	if secrets := wh.secrets; len(secrets) != 1 || secrets[0] != "s3cret_token" {
		t.Fatalf("secret headers = %v", secrets)
	}
	info, err := b.bot.GetWebhookInfo(ctx)
	if err != nil || info.PendingUpdateCount != 0 || !strings.HasPrefix(info.URL, "http://") {
		t.Fatalf("webhook info = %+v, %v", info, err)
	}

	t.Run("RefusedUpdateStaysPending", func(t *testing.T) {
		wh.setStatus(http.StatusInternalServerError)
		err := u.Send(ctx, "lost?")
		var werr *sandbox.WebhookError
		if !asWebhookError(err, &werr) || werr.StatusCode != 500 {
			t.Fatalf("want a WebhookError with 500, got %v", err)
		}
		info, _ := b.bot.GetWebhookInfo(ctx)
		if info.PendingUpdateCount != 1 || !strings.Contains(info.LastErrorMessage, "500") {
			t.Fatalf("webhook info = %+v", info)
		}
		wh.setStatus(http.StatusOK)
		if err := b.s.RedeliverPending(ctx); err != nil {
			t.Fatal(err)
		}
		if b.s.PendingUpdates() != 0 || u.LastMessage().Text != "echo: lost?" {
			t.Fatalf("pending %d, last %q", b.s.PendingUpdates(), u.LastMessage().Text)
		}
		got := wh.received()
		if got[len(got)-1].UpdateID != got[len(got)-2].UpdateID {
			t.Fatal("a redelivered update keeps its update_id")
		}
	})
	t.Run("RedeliverLast", func(t *testing.T) {
		before := wh.received()
		if err := u.RedeliverLast(ctx); err != nil {
			t.Fatal(err)
		}
		after := wh.received()
		if len(after) != len(before)+1 || after[len(after)-1].UpdateID != before[len(before)-1].UpdateID {
			t.Fatal("RedeliverLast must resend the same update")
		}
	})
	t.Run("UpdateIDsIncrease", func(t *testing.T) {
		if err := u.Send(ctx, "next"); err != nil {
			t.Fatal(err)
		}
		got := wh.received()
		if got[len(got)-1].UpdateID <= got[0].UpdateID {
			t.Fatalf("update ids %d .. %d", got[0].UpdateID, got[len(got)-1].UpdateID)
		}
	})
}

func asWebhookError(err error, target **sandbox.WebhookError) bool {
	werr, ok := err.(*sandbox.WebhookError)
	if ok {
		*target = werr
	}
	return ok
}

func TestServer_WebhookReplyCarriesMethod(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna"})
	srv := newRawWebhook(t, `{"method":"sendMessage","chat_id":1001,"text":"from the reply body"}`)
	b.s.SetWebhook(srv, "")
	if err := u.Send(ctx, "hi"); err != nil {
		t.Fatal(err)
	}
	if got := u.LastMessage(); got.Text != "from the reply body" {
		t.Fatalf("last = %+v", got)
	}
	if c := b.s.CallsTo("sendMessage"); len(c) != 1 || !c[0].ViaWebhookReply {
		t.Fatalf("calls = %+v", c)
	}
}

func TestServer_Subscribe(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	startedUser(b, 1001)
	events, cancel := b.s.Subscribe()
	defer cancel()
	sent, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "hello"))
	if err != nil {
		t.Fatal(err)
	}
	if err := b.bot.DeleteMessage(ctx, tu.Delete(chatID(1001), sent.MessageID)); err != nil {
		t.Fatal(err)
	}
	first, second := <-events, <-events
	if first.Kind != sandbox.EventMessageNew || first.Message.Text != "hello" || first.ChatID != 1001 {
		t.Fatalf("first event = %+v", first)
	}
	if second.Kind != sandbox.EventMessageDeleted || second.Message.ID != sent.MessageID || second.Seq != first.Seq+1 {
		t.Fatalf("second event = %+v", second)
	}
}

func TestServer_Commands(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	err := b.bot.SetMyCommands(ctx, &telego.SetMyCommandsParams{Commands: []telego.BotCommand{
		{Command: "start", Description: "Начать"}, {Command: "orders", Description: "Мои заказы"}}, LanguageCode: "ru"})
	if err != nil {
		t.Fatal(err)
	}
	err = b.bot.SetMyCommands(ctx, &telego.SetMyCommandsParams{Commands: []telego.BotCommand{{Command: "start", Description: "Start"}}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.bot.GetMyCommands(ctx, &telego.GetMyCommandsParams{LanguageCode: "ru"})
	if err != nil || len(got) != 2 || got[1].Command != "orders" {
		t.Fatalf("getMyCommands(ru) = %+v, %v", got, err)
	}
	if menu := b.s.Commands(1001, "en"); len(menu) != 1 || menu[0].Description != "Start" {
		t.Fatalf("an English user falls back to the default list, got %+v", menu)
	}
	err = b.bot.SetMyCommands(ctx, &telego.SetMyCommandsParams{Commands: []telego.BotCommand{{Command: "Bad-Command", Description: "x"}}})
	wantAPIError(t, err, 400, "Bad Request: BOT_COMMAND_INVALID")
}

// TestServer_PollingPress checks a callback query reaches a polling bot and its answer comes back.
func TestServer_PollingPress(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := startedUser(b, 1001)
	if _, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "Pick").WithReplyMarkup(
		tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("A").WithCallbackData("a"))))); err != nil {
		t.Fatal(err)
	}
	go func() {
		offset := 0
		for ctx.Err() == nil {
			ups, err := b.bot.GetUpdates(ctx, &telego.GetUpdatesParams{Offset: offset, Timeout: 5})
			if err != nil {
				return
			}
			for _, upd := range ups {
				offset = upd.UpdateID + 1
				if upd.CallbackQuery != nil {
					_ = b.bot.AnswerCallbackQuery(ctx, tu.CallbackQuery(upd.CallbackQuery.ID).WithText("picked "+upd.CallbackQuery.Data))
				}
			}
		}
	}()
	ans, err := u.Press(ctx, u.LastMessage(), "a")
	if err != nil {
		t.Fatal(err)
	}
	if ans.Text != "picked a" {
		t.Fatalf("answer = %+v", ans)
	}
}
