package sandbox_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
)

func TestUser_Press(t *testing.T) {
	b := setup(t, sandbox.Config{AnswerTimeout: 300 * time.Millisecond})
	ctx := ctxT(t)
	u := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna", LanguageCode: "ru"})
	var (
		mu       sync.Mutex
		answered []string
	)
	b.serveWebhook(t, "", func(ctx context.Context, upd telego.Update) {
		switch {
		case upd.Message != nil:
			_, _ = b.bot.SendMessage(ctx, tu.Message(chatID(upd.Message.Chat.ID), "Catalog").
				WithReplyMarkup(tu.InlineKeyboard(tu.InlineKeyboardRow(
					tu.InlineKeyboardButton("Mug · 12.50 ₽").WithCallbackData("p:1"),
					tu.InlineKeyboardButton("Silent").WithCallbackData("silent"),
					tu.InlineKeyboardButton("Long").WithCallbackData("long"),
					tu.InlineKeyboardButton("Site").WithURL("https://example.com")))))
		case upd.CallbackQuery != nil:
			q := upd.CallbackQuery
			mu.Lock()
			answered = append(answered, q.Data)
			mu.Unlock()
			switch q.Data {
			case "p:1":
				msg := q.Message.Message()
				_ = b.bot.AnswerCallbackQuery(ctx, tu.CallbackQuery(q.ID).WithText("Added "+q.From.LanguageCode))
				_, _ = b.bot.EditMessageText(ctx, &telego.EditMessageTextParams{ChatID: chatID(msg.Chat.ID),
					MessageID: msg.MessageID, Text: "Mug added"})
			case "long":
				err := b.bot.AnswerCallbackQuery(ctx, tu.CallbackQuery(q.ID).WithText(strings.Repeat("x", 201)))
				if apiErr := apiError(t, err); apiErr.Description != "Bad Request: MESSAGE_TOO_LONG" {
					t.Errorf("long answer: %v", err)
				}
			}
		}
	})
	if err := u.Send(ctx, "/start"); err != nil {
		t.Fatal(err)
	}
	catalog := u.LastMessage()

	ans, err := u.PressButton(ctx, catalog, "Mug")
	if err != nil {
		t.Fatal(err)
	}
	if ans.Text != "Added ru" {
		t.Fatalf("answer = %+v", ans)
	}
	if m := u.LastMessage(); m.ID != catalog.ID || m.Text != "Mug added" || m.InlineKeyboard != nil {
		t.Fatalf("the bot edited the message in place; got %+v", m)
	}

	t.Run("StaleButton", func(t *testing.T) {
		_, err := u.Press(ctx, catalog, "p:1")
		if err == nil || !strings.Contains(err.Error(), "no button") {
			t.Fatalf("the keyboard is gone, pressing must fail: %v", err)
		}
	})
	t.Run("NotAnswered", func(t *testing.T) {
		fresh := sendCatalog(t, b, 1001)
		_, err := u.Press(ctx, fresh, "silent")
		if !errors.Is(err, sandbox.ErrNotAnswered) {
			t.Fatalf("want ErrNotAnswered, got %v", err)
		}
	})
	t.Run("AnswerTooLong", func(t *testing.T) {
		fresh := sendCatalog(t, b, 1001)
		_, err := u.Press(ctx, fresh, "long")
		if !errors.Is(err, sandbox.ErrNotAnswered) {
			t.Fatalf("a refused answer leaves the query unanswered, got %v", err)
		}
	})
	t.Run("LateAnswer", func(t *testing.T) {
		var cq *telego.CallbackQuery
		for _, upd := range b.s.Updates() {
			if upd.CallbackQuery != nil && upd.CallbackQuery.Data == "silent" {
				cq = upd.CallbackQuery
			}
		}
		err := b.bot.AnswerCallbackQuery(ctx, tu.CallbackQuery(cq.ID))
		wantAPIError(t, err, 400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
	})
	t.Run("URLButtonIsNotPressable", func(t *testing.T) {
		fresh := sendCatalog(t, b, 1001)
		if _, err := u.PressButton(ctx, fresh, "Site"); err == nil {
			t.Fatal("a URL button sends no callback query")
		}
	})
}

// sendCatalog has the bot send the test keyboard to chat and returns the message.
func sendCatalog(t *testing.T, b *bundle, chat int64) sandbox.Message {
	t.Helper()
	_, err := b.bot.SendMessage(ctxT(t), tu.Message(chatID(chat), "Catalog").
		WithReplyMarkup(tu.InlineKeyboard(tu.InlineKeyboardRow(
			tu.InlineKeyboardButton("Silent").WithCallbackData("silent"),
			tu.InlineKeyboardButton("Long").WithCallbackData("long"),
			tu.InlineKeyboardButton("Site").WithURL("https://example.com")))))
	if err != nil {
		t.Fatal(err)
	}
	return b.s.Chat(chat).LastMessage()
}

func TestUser_SendDocumentBotDownloads(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Seller"})
	var downloaded []byte
	b.serveWebhook(t, "", func(ctx context.Context, upd telego.Update) {
		if upd.Message == nil || upd.Message.Document == nil {
			return
		}
		f, err := b.bot.GetFile(ctx, &telego.GetFileParams{FileID: upd.Message.Document.FileID})
		if err != nil {
			t.Error(err)
			return
		}
		resp, err := http.Get(b.bot.FileDownloadURL(f.FilePath))
		if err != nil {
			t.Error(err)
			return
		}
		defer resp.Body.Close()
		downloaded, _ = io.ReadAll(resp.Body)
	})
	csv := []byte("sku,price,stock\nMUG-1,1250,7\n")
	if err := u.SendDocument(ctx, "stock.csv", csv, "text/csv"); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(downloaded, csv) {
		t.Fatalf("the bot downloaded %q", downloaded)
	}
	if err := u.SendPhoto(ctx, "front view"); err != nil {
		t.Fatal(err)
	}
	if m := u.LastMessage(); m.Photo == nil || m.Caption != "front view" || m.Photo.Width == 0 {
		t.Fatalf("photo message = %+v", m)
	}
}

func TestUser_InlineQuery(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna"})
	b.serveWebhook(t, "", func(ctx context.Context, upd telego.Update) {
		if upd.InlineQuery == nil {
			return
		}
		_ = b.bot.AnswerInlineQuery(ctx, tu.InlineQuery(upd.InlineQuery.ID,
			tu.ResultArticle("p1", "Mug", tu.TextMessage("<b>Mug</b> for "+upd.InlineQuery.Query).WithParseMode(telego.ModeHTML)).
				WithReplyMarkup(tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("Open").WithURL("https://t.me/vitrina_test_bot?start=p_1")))),
		))
	})
	results, err := u.InlineQuery(ctx, "mug")
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != 1 || results[0].ID != "p1" || results[0].MessageText != "Mug for mug" ||
		results[0].Entities[0].Type != "bold" || results[0].InlineKeyboard[0][0].URL == "" {
		t.Fatalf("results = %+v", results)
	}
	var opened []string
	b.serveWebhook(t, "", func(_ context.Context, upd telego.Update) {
		if upd.Message != nil {
			opened = append(opened, upd.Message.Text)
		}
	})
	if err := u.OpenLink(ctx, results[0].InlineKeyboard[0][0].URL); err != nil {
		t.Fatal(err)
	}
	if len(opened) != 1 || opened[0] != "/start p_1" {
		t.Fatalf("the deep link sent %v", opened)
	}
	if err := u.OpenLink(ctx, "https://t.me/other_bot?start=x"); err == nil {
		t.Fatal("a link to another bot must fail")
	}
}

func TestUser_GroupPrivacyMode(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna"})
	group := b.s.NewChat(sandbox.ChatSpec{Title: "Group buy", Type: sandbox.ChatSupergroup})
	wh := b.serveWebhook(t, "", nil)

	if err := u.SendTo(ctx, group.ID(), "hello all"); err == nil {
		t.Fatal("a non-member cannot write in the group")
	}
	group.AddMember(u.ID(), sandbox.StatusMember)
	for _, text := range []string{"hello all", "/join@vitrina_test_bot", "/join@other_bot", "hey @vitrina_test_bot"} {
		if err := u.SendTo(ctx, group.ID(), text); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	for _, upd := range wh.received() {
		got = append(got, upd.Message.Text)
	}
	if strings.Join(got, "|") != "/join@vitrina_test_bot|hey @vitrina_test_bot" {
		t.Fatalf("with privacy mode the bot got %q", got)
	}
	if n := len(group.Messages()); n != 4 {
		t.Fatalf("the group holds %d messages, want 4", n)
	}
}

func TestServer_Channel(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	channel := b.s.NewChat(sandbox.ChatSpec{Type: sandbox.ChatChannel, Title: "Shop news", Username: "shop_news"})
	post, err := b.bot.SendMessage(ctx, tu.Message(telego.ChatID{Username: "@shop_news"}, "Drop at 18:00").
		WithReplyMarkup(tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("Remind me").WithCallbackData("remind:1")))))
	if err != nil {
		t.Fatal(err)
	}
	if post.Chat.ID != channel.ID() || post.From != nil || post.SenderChat == nil {
		t.Fatalf("channel post = %+v", post)
	}
	reader := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Reader"})
	var from int64
	b.serveWebhook(t, "", func(ctx context.Context, upd telego.Update) {
		if upd.CallbackQuery != nil {
			from = upd.CallbackQuery.From.ID
			_ = b.bot.AnswerCallbackQuery(ctx, tu.CallbackQuery(upd.CallbackQuery.ID).WithText("ok"))
		}
	})
	if _, err := reader.Press(ctx, channel.LastMessage(), "remind:1"); err != nil {
		t.Fatal(err)
	}
	if from != 1001 {
		t.Fatalf("the callback came from %d, want the reader", from)
	}

	muted := b.s.NewChat(sandbox.ChatSpec{Type: sandbox.ChatChannel, Title: "Not admin", BotStatus: sandbox.StatusMember})
	_, err = b.bot.SendMessage(ctx, tu.Message(chatID(muted.ID()), "hi"))
	wantAPIError(t, err, 400, "Bad Request: need administrator rights in the channel chat")
}

func TestUser_BlockTellsTheBot(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna"})
	wh := b.serveWebhook(t, "", nil)
	if err := u.Send(ctx, "/start"); err != nil {
		t.Fatal(err)
	}
	if err := u.Block(ctx); err != nil {
		t.Fatal(err)
	}
	ups := wh.received()
	last := ups[len(ups)-1]
	if last.MyChatMember == nil || last.MyChatMember.NewChatMember.MemberStatus() != "kicked" {
		t.Fatalf("want my_chat_member kicked, got %+v", last)
	}
	_, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "are you there?"))
	wantAPIError(t, err, 403, "Forbidden: bot was blocked by the user")
	if err := u.Send(ctx, "hi"); err == nil {
		t.Fatal("a user who blocked the bot must unblock before writing")
	}
	if err := u.Unblock(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "welcome back")); err != nil {
		t.Fatal(err)
	}
}

func TestUser_WaitMessage(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := startedUser(b, 1001)
	go func() {
		time.Sleep(20 * time.Millisecond)
		_, _ = b.bot.SendMessage(context.Background(), tu.Message(chatID(1001), "Your order was shipped"))
	}()
	m, err := u.WaitMessage(ctx, func(m sandbox.Message) bool { return strings.Contains(m.Text, "shipped") })
	if err != nil {
		t.Fatal(err)
	}
	if !m.FromBot || m.ChatID != 1001 {
		t.Fatalf("message = %+v", m)
	}
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if _, err := u.WaitMessage(short, func(m sandbox.Message) bool { return m.Text == "never" }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("want the context's error, got %v", err)
	}
}

// TestServer_ConcurrentUsers runs many users against a bot that answers every message and checks
// each chat got its own answers in order, with per-chat message ids.
func TestServer_ConcurrentUsers(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	b.serveWebhook(t, "", func(ctx context.Context, upd telego.Update) {
		if upd.Message != nil {
			_, _ = b.bot.SendMessage(ctx, tu.Message(chatID(upd.Message.Chat.ID), "re: "+upd.Message.Text))
		}
	})
	const users, rounds = 16, 5
	var wg sync.WaitGroup
	for i := range users {
		u := b.s.NewUser(sandbox.UserSpec{FirstName: fmt.Sprintf("U%d", i)})
		wg.Go(func() {
			for r := range rounds {
				if err := u.Send(ctx, fmt.Sprintf("%d", r)); err != nil {
					t.Error(err)
					return
				}
			}
			msgs := u.Messages()
			if len(msgs) != 2*rounds {
				t.Errorf("user %d: %d messages, want %d", u.ID(), len(msgs), 2*rounds)
				return
			}
			for j, m := range msgs {
				want := fmt.Sprint(j / 2)
				if j%2 == 1 {
					want = "re: " + want
				}
				if m.ID != j+1 || m.Text != want {
					t.Errorf("user %d message %d = %d %q, want %d %q", u.ID(), j, m.ID, m.Text, j+1, want)
				}
			}
		})
	}
	wg.Wait()
	if n := len(b.s.CallsTo("sendMessage")); n != users*rounds {
		t.Fatalf("%d sendMessage calls, want %d", n, users*rounds)
	}
}

func TestUser_SendInlineResult(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	anna := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna"})
	group := b.s.NewChat(sandbox.ChatSpec{Title: "Friends"})
	group.AddMember(1001, sandbox.StatusMember)
	photo, err := b.s.AddPhoto("mug.png", pngBytes(t))
	if err != nil {
		t.Fatal(err)
	}
	wh := b.serveWebhook(t, "", func(ctx context.Context, upd telego.Update) {
		if upd.InlineQuery == nil {
			return
		}
		kb := tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("Open").WithURL("https://t.me/vitrina_test_bot?start=p_1")))
		_ = b.bot.AnswerInlineQuery(ctx, tu.InlineQuery(upd.InlineQuery.ID,
			tu.ResultArticle("p1", "Mug", tu.TextMessage("<b>Mug</b>").WithParseMode(telego.ModeHTML)).WithReplyMarkup(kb),
			tu.ResultCachedPhoto("p2", photo.FileID).WithCaption("<i>Mug</i>, 300 ₽").WithParseMode(telego.ModeHTML).WithReplyMarkup(kb),
		))
	})

	ans, err := anna.InlineQueryInChat(ctx, group.ID(), "mug", "")
	if err != nil {
		t.Fatal(err)
	}
	if iq := wh.received()[0].InlineQuery; iq.ChatType != "supergroup" {
		t.Errorf("chat_type = %q", iq.ChatType)
	}
	if _, err := anna.InlineQueryInChat(ctx, anna.ID(), "mug", ""); err != nil {
		t.Fatal(err)
	}
	if iq := wh.received()[1].InlineQuery; iq.ChatType != "sender" {
		t.Errorf("chat_type in the bot's chat = %q", iq.ChatType)
	}
	if c := ans.Results[1]; c.Caption != "Mug, 300 ₽" || len(c.CaptionEntities) != 1 || c.CaptionEntities[0].Type != "italic" {
		t.Fatalf("photo result = %+v", c)
	}

	// Privacy mode is on, yet messages sent via the bot reach it.
	for _, res := range ans.Results {
		if err := anna.SendInlineResult(ctx, group.ID(), res); err != nil {
			t.Fatal(err)
		}
	}
	got := wh.received()
	text, pic := got[len(got)-2].Message, got[len(got)-1].Message
	if text == nil || text.ViaBot == nil || text.ViaBot.Username != "vitrina_test_bot" || text.Text != "Mug" || text.Entities[0].Type != "bold" {
		t.Fatalf("text result as the bot saw it = %+v", text)
	}
	if pic == nil || pic.ViaBot == nil || len(pic.Photo) != 1 || pic.Photo[0].FileID != photo.FileID || pic.Caption != "Mug, 300 ₽" {
		t.Fatalf("photo result as the bot saw it = %+v", pic)
	}
	last := group.LastMessage()
	if !last.ViaBot || last.From != 1001 || last.InlineKeyboard[0][0].Text != "Open" {
		t.Errorf("the chat holds %+v", last)
	}

	if err := anna.SendInlineResult(ctx, group.ID(), sandbox.InlineResult{ID: "v", Type: "video"}); err == nil {
		t.Error("a video result must fail: the sandbox does not send videos")
	}
	outsider := b.s.NewUser(sandbox.UserSpec{ID: 1002, FirstName: "Boris"})
	if err := outsider.SendInlineResult(ctx, group.ID(), ans.Results[0]); err == nil {
		t.Error("a non-member must not write in the group")
	}
}

func TestUser_SendFilesToGroup(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	anna := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna"})
	group := b.s.NewChat(sandbox.ChatSpec{Title: "Friends"})
	if got := group.Member(1001); got != sandbox.StatusLeft {
		t.Errorf("before joining: %q", got)
	}
	group.AddMember(1001, sandbox.StatusMember)
	if got := group.Member(1001); got != sandbox.StatusMember {
		t.Errorf("after joining: %q", got)
	}
	if got := anna.Chat().Member(1001); got != sandbox.StatusMember {
		t.Errorf("in her private chat: %q", got)
	}
	if b.s.BotName() != "vitrina_test_bot" {
		t.Errorf("BotName = %q", b.s.BotName())
	}

	if err := anna.SendDocumentTo(ctx, group.ID(), "list.csv", []byte("a,b\n"), "text/csv", "our list"); err != nil {
		t.Fatal(err)
	}
	if err := anna.SendPhotoTo(ctx, group.ID(), "me.png", pngBytes(t), "me"); err != nil {
		t.Fatal(err)
	}
	msgs := group.Messages()
	if len(msgs) != 2 || msgs[0].Document == nil || msgs[0].Caption != "our list" || msgs[0].Document.FileName != "list.csv" ||
		msgs[1].Photo == nil || msgs[1].Caption != "me" {
		t.Fatalf("group = %+v", msgs)
	}
	if err := anna.SendDocumentTo(ctx, group.ID(), "empty.csv", nil, "text/csv", ""); err == nil {
		t.Error("an empty document must fail")
	}
	if err := anna.SendPhotoTo(ctx, group.ID(), "x.png", []byte("not an image"), ""); err == nil {
		t.Error("bytes that are no image must fail")
	}
}

// With inline feedback on, a result with a keyboard sent into a chat comes back
// to the bot as chosen_inline_result with its inline_message_id, by which the
// bot edits it (answered true); an unknown id is refused.
func TestUser_InlineFeedback(t *testing.T) {
	b := setup(t, sandbox.Config{InlineFeedback: true})
	ctx := ctxT(t)
	anna := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna"})
	group := b.s.NewChat(sandbox.ChatSpec{Title: "Friends"})
	group.AddMember(1001, sandbox.StatusMember)
	kb := tu.InlineKeyboard(tu.InlineKeyboardRow(tu.InlineKeyboardButton("Join").WithURL("https://t.me/vitrina_test_bot?start=gb_1")))
	wh := b.serveWebhook(t, "", func(ctx context.Context, upd telego.Update) {
		if upd.InlineQuery != nil {
			_ = b.bot.AnswerInlineQuery(ctx, tu.InlineQuery(upd.InlineQuery.ID,
				tu.ResultArticle("gb1", "Mugs", tu.TextMessage("7 joined")).WithReplyMarkup(kb),
				tu.ResultArticle("plain", "Plain", tu.TextMessage("no keyboard"))))
		}
	})
	ans, err := anna.InlineQueryInChat(ctx, group.ID(), "gb_1", "")
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range ans.Results {
		if err := anna.SendInlineResult(ctx, group.ID(), res); err != nil {
			t.Fatal(err)
		}
	}
	var chosen []*telego.ChosenInlineResult
	for _, u := range wh.received() {
		if u.ChosenInlineResult != nil {
			chosen = append(chosen, u.ChosenInlineResult)
		}
	}
	if len(chosen) != 2 || chosen[0].ResultID != "gb1" || chosen[0].InlineMessageID == "" || chosen[0].From.ID != 1001 ||
		chosen[1].InlineMessageID != "" {
		t.Fatalf("chosen results %+v", chosen)
	}
	msg, err := b.bot.EditMessageText(ctx, &telego.EditMessageTextParams{InlineMessageID: chosen[0].InlineMessageID, Text: "8 joined", ReplyMarkup: kb})
	if err != nil || msg != nil && msg.MessageID != 0 { // true, which telego reads as no message
		t.Fatalf("edit by inline_message_id: %+v, %v", msg, err)
	}
	if got := group.Messages()[0]; got.Text != "8 joined" || !got.ViaBot {
		t.Errorf("the shared message is %+v", got)
	}
	if _, err := b.bot.EditMessageText(ctx, &telego.EditMessageTextParams{InlineMessageID: "nope", Text: "x"}); err == nil ||
		!strings.Contains(err.Error(), "MESSAGE_ID_INVALID") {
		t.Errorf("an unknown inline message: %v", err)
	}
}
