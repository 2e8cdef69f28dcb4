package web_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/sandbox/web"
)

const (
	testToken   = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi"
	botUsername = "vitrina_demo_bot"
	annaID      = 1001
	borisID     = 1002
	sellerID    = 2001
)

// testEnv is a sandbox with its Bot API served over HTTP, a fake bot on a webhook, and the web
// client mounted at /sandbox/ of a mux, as Vitrina's HTTP server mounts it.
type testEnv struct {
	s       *sandbox.Server
	bot     *fakeBot
	h       *web.Handler
	srv     *httptest.Server
	channel *sandbox.Chat
	group   *sandbox.Chat
}

func setup(t *testing.T) *testEnv {
	t.Helper()
	s := sandbox.New(sandbox.Config{Token: testToken, BotUsername: botUsername, BotName: "Vitrina Demo"})
	api := httptest.NewServer(s)
	t.Cleanup(api.Close)
	t.Cleanup(s.Close)
	tg, err := telego.NewBot(testToken, telego.WithAPIServer(api.URL),
		telego.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}), telego.WithDiscardLogger())
	if err != nil {
		t.Fatalf("new bot: %v", err)
	}
	fb := &fakeBot{bot: tg, username: botUsername, secret: "webhook-secret"}
	hook := httptest.NewServer(fb)
	t.Cleanup(hook.Close)
	s.SetWebhook(hook.URL, fb.secret)

	s.NewUser(sandbox.UserSpec{ID: annaID, FirstName: "Anna", LanguageCode: "en"})
	s.NewUser(sandbox.UserSpec{ID: borisID, FirstName: "Boris", LanguageCode: "ru"})
	s.NewUser(sandbox.UserSpec{ID: sellerID, FirstName: "Sofia", LastName: "Seller", LanguageCode: "en", StartedBot: true})
	channel := s.NewChat(sandbox.ChatSpec{Type: sandbox.ChatChannel, Title: "Demo shop news", Username: "demo_shop_news"})
	channel.AddMember(annaID, sandbox.StatusMember)
	channel.AddMember(sellerID, sandbox.StatusAdministrator)
	group := s.NewChat(sandbox.ChatSpec{Type: sandbox.ChatSupergroup, Title: "Group buy"})
	group.AddMember(annaID, sandbox.StatusMember)
	group.AddMember(borisID, sandbox.StatusMember)

	h := web.New(s, web.Options{Personas: []web.Persona{
		{UserID: annaID, Role: "Shopper"},
		{UserID: borisID, Name: "Boris B.", Role: "Shopper"},
		{UserID: sellerID, Role: "Seller"},
	}})
	t.Cleanup(h.Close)
	mux := http.NewServeMux()
	mux.Handle("/sandbox/", h)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &testEnv{s: s, bot: fb, h: h, srv: srv, channel: channel, group: group}
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// call makes one API request under /sandbox/ and decodes the JSON answer into out (when not nil). It
// returns the status.
func (e *testEnv) call(t *testing.T, method, path string, body, out any) int {
	t.Helper()
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctxT(t), method, e.srv.URL+"/sandbox/"+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer func() { _ = resp.Body.Close() }()
	data, _ := io.ReadAll(resp.Body)
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s %s: Content-Type %q, body %s", method, path, ct, data)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: decode %s: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}

// mustCall is call that fails the test unless the answer is 200.
func (e *testEnv) mustCall(t *testing.T, method, path string, body, out any) {
	t.Helper()
	var raw json.RawMessage
	if status := e.call(t, method, path, body, &raw); status != http.StatusOK {
		t.Fatalf("%s %s: status %d: %s", method, path, status, raw)
	}
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatal(err)
		}
	}
}

type message struct {
	ID     int    `json:"id"`
	ChatID int64  `json:"chat_id"`
	Text   string `json:"text"`
	Sender struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"sender"`
	Outgoing bool `json:"outgoing"`
	Entities []struct {
		Type   string `json:"type"`
		Offset int    `json:"offset"`
		Length int    `json:"length"`
	} `json:"entities"`
	Caption string `json:"caption"`
	Photo   *struct {
		URL string `json:"url"`
	} `json:"photo"`
	Document *struct {
		URL  string `json:"url"`
		Name string `json:"name"`
		Size int64  `json:"size"`
	} `json:"document"`
	Invoice *struct {
		TotalText    string `json:"total_text"`
		NeedShipping bool   `json:"need_shipping"`
		Flexible     bool   `json:"flexible"`
		Paid         bool   `json:"paid"`
	} `json:"invoice"`
	Paid *struct {
		TotalText string `json:"total_text"`
	} `json:"paid"`
	InlineKeyboard [][]struct {
		Text  string `json:"text"`
		Kind  string `json:"kind"`
		Data  string `json:"data"`
		URL   string `json:"url"`
		Query string `json:"query"`
	} `json:"inline_keyboard"`
	ReplyKeyboard *struct {
		Rows        [][]string `json:"rows"`
		Placeholder string     `json:"placeholder"`
	} `json:"reply_keyboard"`
	ViaBot string `json:"via_bot"`
}

func (e *testEnv) messages(t *testing.T, persona, chat int64) []message {
	t.Helper()
	var out struct {
		Messages []message `json:"messages"`
	}
	e.mustCall(t, http.MethodGet, "api/chats/"+strconv.FormatInt(chat, 10)+"/messages?persona="+strconv.FormatInt(persona, 10), nil, &out)
	return out.Messages
}

// last returns the last message in the chat that match accepts.
func (e *testEnv) last(t *testing.T, persona, chat int64, match func(message) bool) message {
	t.Helper()
	msgs := e.messages(t, persona, chat)
	for i := len(msgs) - 1; i >= 0; i-- {
		if match(msgs[i]) {
			return msgs[i]
		}
	}
	t.Fatalf("no matching message in chat %d: %+v", chat, msgs)
	return message{}
}

func (e *testEnv) send(t *testing.T, persona, chat int64, text string) {
	t.Helper()
	e.mustCall(t, http.MethodPost, "api/send", map[string]any{"persona": persona, "chat_id": chat, "text": text}, nil)
}

func hasText(s string) func(message) bool {
	return func(m message) bool { return strings.Contains(m.Text, s) || strings.Contains(m.Caption, s) }
}

func TestHandler_Page(t *testing.T) {
	e := setup(t)
	get := func(path string) (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(e.srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		body, _ := io.ReadAll(resp.Body)
		return resp, string(body)
	}

	resp, body := get("/sandbox/")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("page: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	for _, want := range []string{`src="static/app.js"`, `href="static/app.css"`, `data-testid="message-input"`,
		`data-testid="send-button"`, `data-testid="payment-dialog"`, "Vitrina"} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	for path, want := range map[string]string{
		"/sandbox/static/app.js":  "EventSource",
		"/sandbox/static/app.css": ".bubble",
	} {
		resp, body := get(path)
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s: %d, has %q: %v", path, resp.StatusCode, want, strings.Contains(body, want))
		}
	}
	// The page's relative URLs need the trailing slash.
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Get(e.srv.URL + "/sandbox")
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if loc := resp.Header.Get("Location"); loc != "/sandbox/" {
		t.Errorf("/sandbox redirects to %q (status %d)", loc, resp.StatusCode)
	}
	resp, _ = get("/sandbox/api/nothing")
	if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("unknown API call: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}

	t.Run("CrossSite", func(t *testing.T) {
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/sandbox/api/send",
			strings.NewReader(`{"persona":1001,"chat_id":1001,"text":"/start"}`))
		req.Header.Set("Content-Type", "text/plain")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || len(e.bot.received()) != 0 {
			t.Errorf("a cross-site post: %d, %d updates", resp.StatusCode, len(e.bot.received()))
		}
	})

	t.Run("BehindStripPrefix", func(t *testing.T) {
		mux := http.NewServeMux()
		mux.Handle("/play/", http.StripPrefix("/play", web.New(e.s, web.Options{Prefix: "/elsewhere/"})))
		srv := httptest.NewServer(mux)
		defer srv.Close()
		for _, path := range []string{"/play/", "/play/static/app.js", "/play/api/state"} {
			resp, err := http.Get(srv.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("%s: %d", path, resp.StatusCode)
			}
		}
	})
}

func TestHandler_State(t *testing.T) {
	e := setup(t)
	e.send(t, annaID, annaID, "/start")

	var st struct {
		Bot struct {
			Name     string `json:"name"`
			Username string `json:"username"`
		} `json:"bot"`
		Persona struct {
			ID int64 `json:"id"`
		} `json:"persona"`
		Personas []struct {
			ID     int64  `json:"id"`
			Name   string `json:"name"`
			Role   string `json:"role"`
			Unread int    `json:"unread"`
		} `json:"personas"`
		Chats []struct {
			ID       int64  `json:"id"`
			Type     string `json:"type"`
			Title    string `json:"title"`
			CanWrite bool   `json:"can_write"`
			Unread   int    `json:"unread"`
			Last     *struct {
				Preview string `json:"preview"`
			} `json:"last"`
		} `json:"chats"`
	}
	e.mustCall(t, http.MethodGet, "api/state?persona=1001", nil, &st)
	if st.Bot.Name != "Vitrina Demo" || st.Bot.Username != botUsername || st.Persona.ID != annaID {
		t.Fatalf("state: bot %+v, persona %d", st.Bot, st.Persona.ID)
	}
	var names []string
	for _, p := range st.Personas {
		names = append(names, p.Name+"/"+p.Role)
	}
	if got := strings.Join(names, ","); got != "Anna/Shopper,Boris B./Shopper,Sofia Seller/Seller" {
		t.Errorf("personas = %s", got)
	}
	if st.Personas[0].Unread != 2 {
		t.Errorf("Anna's unread = %d, want the bot's 2 answers", st.Personas[0].Unread)
	}
	// The private chat with the bot comes first, the others by their last message.
	var chats []string
	canWrite := map[string]bool{}
	for _, c := range st.Chats {
		chats = append(chats, c.Type+":"+c.Title)
		canWrite[c.Type] = c.CanWrite
	}
	if got := strings.Join(chats, ","); got != "private:Vitrina Demo,supergroup:Group buy,channel:Demo shop news" {
		t.Errorf("Anna's chats = %s", got)
	}
	if st.Chats[0].Unread != 2 || st.Chats[0].Last == nil || st.Chats[0].Last.Preview != "Or use the keyboard below." {
		t.Errorf("bot chat = %+v", st.Chats[0])
	}
	if canWrite["channel"] || !canWrite["supergroup"] {
		t.Errorf("Anna may write: %v", canWrite)
	}
	e.mustCall(t, http.MethodPost, "api/send", map[string]any{"persona": sellerID, "chat_id": e.channel.ID(), "text": "Sale!"}, nil)
	e.mustCall(t, http.MethodGet, "api/state?persona=1001", nil, &st)
	if st.Chats[1].Type != "channel" || st.Chats[1].Unread != 1 || st.Chats[1].Last.Preview != "Sale!" {
		t.Errorf("after a post, Anna's second chat = %+v", st.Chats[1])
	}

	msgs := e.messages(t, annaID, annaID)
	e.mustCall(t, http.MethodPost, "api/read", map[string]any{"persona": annaID, "chat_id": annaID, "message_id": msgs[len(msgs)-1].ID}, nil)
	e.mustCall(t, http.MethodGet, "api/state?persona=1001", nil, &st)
	if st.Chats[0].Unread != 0 || st.Personas[0].Unread != 1 {
		t.Errorf("after reading: chat unread %d, persona unread %d", st.Chats[0].Unread, st.Personas[0].Unread)
	}

	// The seller runs the channel, and her own post is no news to her; Boris is not in it.
	e.mustCall(t, http.MethodGet, "api/state?persona=2001", nil, &st)
	if len(st.Chats) != 2 || st.Chats[1].Type != "channel" || !st.Chats[1].CanWrite || st.Chats[1].Unread != 0 {
		t.Errorf("seller's chats = %+v", st.Chats)
	}
	var errBody struct {
		Error string `json:"error"`
	}
	if status := e.call(t, http.MethodGet, "api/chats/"+strconv.FormatInt(e.channel.ID(), 10)+"/messages?persona=1002", nil, &errBody); status != http.StatusNotFound || errBody.Error == "" {
		t.Errorf("Boris reading the channel: %d %q", status, errBody.Error)
	}
	if status := e.call(t, http.MethodGet, "api/state?persona=42", nil, &errBody); status != http.StatusNotFound || !strings.Contains(errBody.Error, "unknown persona") {
		t.Errorf("unknown persona: %d %q", status, errBody.Error)
	}
}

func TestHandler_Send(t *testing.T) {
	e := setup(t)
	e.send(t, annaID, annaID, "/start winter_sale")

	ups := e.bot.received()
	if len(ups) != 1 || ups[0].Message == nil || ups[0].Message.Text != "/start winter_sale" || ups[0].Message.From.ID != annaID {
		t.Fatalf("updates = %+v", ups)
	}
	if len(ups[0].Message.Entities) != 1 || ups[0].Message.Entities[0].Type != "bot_command" {
		t.Errorf("entities = %+v", ups[0].Message.Entities)
	}
	if secrets := e.bot.receivedSecrets(); secrets[0] != "webhook-secret" {
		t.Errorf("secret = %q", secrets[0])
	}

	msgs := e.messages(t, annaID, annaID)
	if len(msgs) != 3 || !msgs[0].Outgoing || msgs[1].Outgoing || msgs[1].Sender.Kind != "bot" {
		t.Fatalf("messages = %+v", msgs)
	}
	welcome := msgs[1]
	if welcome.Text != "Welcome to the demo shop! You came for winter_sale." || len(welcome.Entities) != 3 {
		t.Errorf("welcome = %q %+v", welcome.Text, welcome.Entities)
	}
	if kb := welcome.InlineKeyboard; len(kb) != 3 || kb[0][0].Kind != "callback" || kb[0][0].Data != "cat:1" ||
		kb[1][1].Kind != "url" || kb[2][0].Kind != "switch_inline_current" || kb[2][0].Query != "dress" {
		t.Errorf("keyboard = %+v", kb)
	}
	if rk := msgs[2].ReplyKeyboard; rk == nil || rk.Rows[0][0] != "Help" || rk.Placeholder != "Ask the shop" {
		t.Errorf("reply keyboard = %+v", rk)
	}

	t.Run("Group", func(t *testing.T) {
		// Privacy mode: the bot gets commands, not chatter; both stay in the chat.
		e.send(t, borisID, e.group.ID(), "hello everyone")
		e.send(t, borisID, e.group.ID(), "/start@"+botUsername)
		got := e.bot.received()
		if last := got[len(got)-1]; last.Message == nil || last.Message.Chat.ID != e.group.ID() || !strings.HasPrefix(last.Message.Text, "/start") {
			t.Errorf("last update = %+v", last)
		}
		msgs := e.messages(t, annaID, e.group.ID())
		if len(msgs) < 2 || msgs[0].Text != "hello everyone" || msgs[0].Outgoing || msgs[0].Sender.Name != "Boris B." {
			t.Errorf("group as Anna sees it = %+v", msgs)
		}
	})

	t.Run("Channel", func(t *testing.T) {
		var errBody struct {
			Error string `json:"error"`
		}
		if status := e.call(t, http.MethodPost, "api/send", map[string]any{"persona": annaID, "chat_id": e.channel.ID(), "text": "hi"}, &errBody); status != http.StatusBadRequest || !strings.Contains(errBody.Error, "administrators") {
			t.Errorf("a subscriber posting: %d %q", status, errBody.Error)
		}
		e.send(t, sellerID, e.channel.ID(), "New arrivals tonight")
		got := e.bot.received()
		if last := got[len(got)-1]; last.ChannelPost == nil || last.ChannelPost.Text != "New arrivals tonight" {
			t.Errorf("last update = %+v", last)
		}
		if m := e.last(t, annaID, e.channel.ID(), hasText("New arrivals")); m.Sender.Kind != "channel" || m.Sender.Name != "Demo shop news" {
			t.Errorf("post = %+v", m)
		}
	})

	t.Run("Errors", func(t *testing.T) {
		var errBody struct {
			Error string `json:"error"`
		}
		if status := e.call(t, http.MethodPost, "api/send", map[string]any{"persona": annaID, "chat_id": annaID, "text": "  "}, &errBody); status != http.StatusBadRequest || errBody.Error == "" {
			t.Errorf("empty text: %d %q", status, errBody.Error)
		}
		if status := e.call(t, http.MethodPost, "api/send", map[string]any{"persona": annaID, "chat_id": borisID, "text": "hi"}, &errBody); status != http.StatusNotFound {
			t.Errorf("another persona's chat: %d %q", status, errBody.Error)
		}
		if status := e.call(t, http.MethodPost, "api/send", "not an object", &errBody); status != http.StatusBadRequest {
			t.Errorf("bad JSON: %d", status)
		}
	})
}

func TestHandler_Press(t *testing.T) {
	e := setup(t)
	e.send(t, annaID, annaID, "/start")
	welcome := e.last(t, annaID, annaID, hasText("Welcome"))

	var ans struct {
		Text      string `json:"text"`
		ShowAlert bool   `json:"show_alert"`
		URL       string `json:"url"`
	}
	e.mustCall(t, http.MethodPost, "api/press", map[string]any{"persona": annaID, "chat_id": annaID, "message_id": welcome.ID, "data": "cat:1"}, &ans)
	if ans.Text != "Catalog" || ans.ShowAlert {
		t.Errorf("answer = %+v", ans)
	}
	ups := e.bot.received()
	cq := ups[len(ups)-1].CallbackQuery
	if cq == nil || cq.Data != "cat:1" || cq.From.ID != annaID {
		t.Fatalf("last update = %+v", ups[len(ups)-1])
	}
	edited := e.last(t, annaID, annaID, func(m message) bool { return m.ID == welcome.ID })
	if edited.Text != "Catalog: page 1" || edited.InlineKeyboard[0][0].Text != "Next" {
		t.Errorf("edited message = %+v", edited)
	}

	// The old button is gone from the message: a client cannot tap it.
	var errBody struct {
		Error string `json:"error"`
	}
	if status := e.call(t, http.MethodPost, "api/press", map[string]any{"persona": annaID, "chat_id": annaID, "message_id": welcome.ID, "data": "cat:1"}, &errBody); status != http.StatusBadRequest || errBody.Error == "" {
		t.Errorf("stale button: %d %q", status, errBody.Error)
	}

	t.Run("Alert", func(t *testing.T) {
		e.send(t, annaID, annaID, "/start")
		welcome := e.last(t, annaID, annaID, hasText("Welcome"))
		e.mustCall(t, http.MethodPost, "api/press", map[string]any{"persona": annaID, "chat_id": annaID, "message_id": welcome.ID, "data": "alert"}, &ans)
		if ans.Text != "Only 2 left!" || !ans.ShowAlert {
			t.Errorf("answer = %+v", ans)
		}
	})

	t.Run("AnswerWithDeepLink", func(t *testing.T) {
		e.send(t, annaID, annaID, "Photo")
		photo := e.last(t, annaID, annaID, func(m message) bool { return m.Photo != nil })
		if photo.Caption != "Red dress — 1,500.00 ₽" {
			t.Errorf("caption = %q", photo.Caption)
		}
		e.mustCall(t, http.MethodPost, "api/press", map[string]any{"persona": annaID, "chat_id": annaID, "message_id": photo.ID, "data": "buy:1"}, &ans)
		if ans.URL != "https://t.me/"+botUsername+"?start=buy_1" {
			t.Fatalf("answer = %+v", ans)
		}
		var opened struct {
			ChatID int64 `json:"chat_id"`
		}
		e.mustCall(t, http.MethodPost, "api/open", map[string]any{"persona": annaID, "url": ans.URL}, &opened)
		if opened.ChatID != annaID {
			t.Errorf("opened chat %d", opened.ChatID)
		}
		ups := e.bot.received()
		if m := ups[len(ups)-1].Message; m == nil || m.Text != "/start buy_1" {
			t.Errorf("last update = %+v", ups[len(ups)-1])
		}
		// A link to the bot without a start parameter only opens the chat.
		n := len(e.bot.received())
		e.mustCall(t, http.MethodPost, "api/open", map[string]any{"persona": annaID, "url": "https://t.me/" + botUsername}, &opened)
		if len(e.bot.received()) != n {
			t.Errorf("opening a started chat sent an update")
		}
		var errBody struct {
			Error string `json:"error"`
		}
		if status := e.call(t, http.MethodPost, "api/open", map[string]any{"persona": annaID, "url": "https://example.com/"}, &errBody); status != http.StatusBadRequest {
			t.Errorf("a link elsewhere: %d %q", status, errBody.Error)
		}
	})
}

func TestHandler_Pay(t *testing.T) {
	e := setup(t)
	e.send(t, annaID, annaID, "Invoice")
	inv := e.last(t, annaID, annaID, func(m message) bool { return m.Invoice != nil })
	if inv.Invoice.TotalText != "1,500.00 ₽" || !inv.Invoice.NeedShipping || !inv.Invoice.Flexible || inv.Invoice.Paid {
		t.Fatalf("invoice = %+v", inv.Invoice)
	}

	address := map[string]string{"country_code": "ru", "state": "Moscow", "city": "Moscow", "street_line1": "Tverskaya 1", "post_code": "125009"}
	var quote struct {
		QuoteID string `json:"quote_id"`
		Status  string `json:"status"`
		Options []struct {
			ID        string `json:"id"`
			Title     string `json:"title"`
			TotalText string `json:"total_text"`
		} `json:"options"`
	}
	e.mustCall(t, http.MethodPost, "api/pay/shipping", map[string]any{"persona": annaID, "chat_id": annaID, "message_id": inv.ID, "address": address}, &quote)
	if quote.Status != "ok" || quote.QuoteID == "" || len(quote.Options) != 2 || quote.Options[1].ID != "post" || quote.Options[1].TotalText != "1,650.00 ₽" {
		t.Fatalf("quote = %+v", quote)
	}

	var paid struct {
		Status    string `json:"status"`
		TotalText string `json:"total_text"`
		ReceiptID int    `json:"receipt_id"`
	}
	e.mustCall(t, http.MethodPost, "api/pay", map[string]any{"persona": annaID, "chat_id": annaID, "message_id": inv.ID,
		"quote_id": quote.QuoteID, "shipping_option_id": "post", "name": "Anna K", "phone": "+79000000001"}, &paid)
	if paid.Status != "paid" || paid.TotalText != "1,650.00 ₽" || paid.ReceiptID == 0 {
		t.Fatalf("pay = %+v", paid)
	}

	// Telegram's order, each step once: shipping, pre-checkout, then the successful payment.
	var steps []string
	for _, u := range e.bot.received() {
		switch {
		case u.ShippingQuery != nil:
			steps = append(steps, "shipping:"+u.ShippingQuery.ShippingAddress.CountryCode)
		case u.PreCheckoutQuery != nil:
			q := u.PreCheckoutQuery
			steps = append(steps, "pre_checkout:"+q.ShippingOptionID+":"+strconv.Itoa(q.TotalAmount)+":"+q.OrderInfo.Name)
		case u.Message != nil && u.Message.SuccessfulPayment != nil:
			steps = append(steps, "paid:"+u.Message.SuccessfulPayment.InvoicePayload)
		}
	}
	if got := strings.Join(steps, " "); got != "shipping:RU pre_checkout:post:165000:Anna K paid:o:7" {
		t.Errorf("steps = %s", got)
	}
	msgs := e.messages(t, annaID, annaID)
	if !msgs[len(msgs)-1].Outgoing && msgs[len(msgs)-1].Text != "Thank you! Order o:7 is paid." {
		t.Errorf("last message = %+v", msgs[len(msgs)-1])
	}
	if m := e.last(t, annaID, annaID, func(m message) bool { return m.Paid != nil }); m.Paid.TotalText != "1,650.00 ₽" || m.ID != paid.ReceiptID {
		t.Errorf("receipt = %+v", m)
	}
	if m := e.last(t, annaID, annaID, func(m message) bool { return m.ID == inv.ID }); !m.Invoice.Paid {
		t.Errorf("the invoice still shows a Pay button")
	}
	var errBody struct {
		Error string `json:"error"`
	}
	if status := e.call(t, http.MethodPost, "api/pay", map[string]any{"persona": annaID, "chat_id": annaID, "message_id": inv.ID,
		"quote_id": quote.QuoteID, "shipping_option_id": "post", "name": "Anna K", "phone": "+79000000001"}, &errBody); status != http.StatusBadRequest || !strings.Contains(errBody.Error, "already paid") {
		t.Errorf("paying twice: %d %q", status, errBody.Error)
	}

	t.Run("Declined", func(t *testing.T) {
		e.bot.setDecline("Sorry, the last one was just sold")
		e.send(t, annaID, annaID, "Stars")
		inv := e.last(t, annaID, annaID, func(m message) bool { return m.Invoice != nil })
		if inv.Invoice.TotalText != "⭐ 250" || inv.Invoice.NeedShipping {
			t.Fatalf("stars invoice = %+v", inv.Invoice)
		}
		var res struct {
			Status       string `json:"status"`
			ErrorMessage string `json:"error_message"`
		}
		e.mustCall(t, http.MethodPost, "api/pay", map[string]any{"persona": annaID, "chat_id": annaID, "message_id": inv.ID}, &res)
		if res.Status != "declined" || res.ErrorMessage != "Sorry, the last one was just sold" {
			t.Errorf("pay = %+v", res)
		}
	})

	t.Run("FormChecks", func(t *testing.T) {
		e.send(t, borisID, borisID, "Invoice")
		inv := e.last(t, borisID, borisID, func(m message) bool { return m.Invoice != nil })
		n := len(e.bot.received())
		var errBody struct {
			Error string `json:"error"`
		}
		if status := e.call(t, http.MethodPost, "api/pay/shipping", map[string]any{"persona": borisID, "chat_id": borisID, "message_id": inv.ID,
			"address": map[string]string{"country_code": "Russia"}}, &errBody); status != http.StatusBadRequest || !strings.Contains(errBody.Error, "country code") {
			t.Errorf("bad address: %d %q", status, errBody.Error)
		}
		if status := e.call(t, http.MethodPost, "api/pay", map[string]any{"persona": borisID, "chat_id": borisID, "message_id": inv.ID,
			"name": "Boris", "phone": "1"}, &errBody); status != http.StatusBadRequest || !strings.Contains(errBody.Error, "shipping address") {
			t.Errorf("pay before the address: %d %q", status, errBody.Error)
		}
		if status := e.call(t, http.MethodPost, "api/pay", map[string]any{"persona": borisID, "chat_id": borisID, "message_id": inv.ID,
			"quote_id": quote.QuoteID, "shipping_option_id": "post", "name": "Boris", "phone": "1"}, &errBody); status != http.StatusBadRequest {
			t.Errorf("pay with Anna's quote: %d %q", status, errBody.Error)
		}
		if len(e.bot.received()) != n {
			t.Errorf("a refused form reached the bot")
		}
	})
}

func TestHandler_Inline(t *testing.T) {
	e := setup(t)
	var res struct {
		QueryID string `json:"query_id"`
		Results []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
			Text  string `json:"text"`
		} `json:"results"`
	}
	e.mustCall(t, http.MethodPost, "api/inline", map[string]any{"persona": annaID, "chat_id": e.group.ID(), "query": "red"}, &res)
	if len(res.Results) != 2 || res.Results[0].Title != "Red dress" || !strings.Contains(res.Results[0].Text, "query red") {
		t.Fatalf("results = %+v", res)
	}
	ups := e.bot.received()
	if iq := ups[len(ups)-1].InlineQuery; iq == nil || iq.Query != "red" || iq.ChatType != "supergroup" {
		t.Fatalf("inline query = %+v", ups[len(ups)-1])
	}

	e.mustCall(t, http.MethodPost, "api/inline/send", map[string]any{"persona": annaID, "chat_id": e.group.ID(), "query_id": res.QueryID, "result_id": "p1"}, nil)
	// Boris sees Anna's message via the bot, with the card's deep-link button.
	m := e.last(t, borisID, e.group.ID(), hasText("Red dress"))
	if m.ViaBot != "@"+botUsername || m.Sender.Name != "Anna" || m.InlineKeyboard[0][0].URL != "https://t.me/"+botUsername+"?start=p_1" {
		t.Errorf("sent result = %+v", m)
	}
	if len(m.Entities) != 1 || m.Entities[0].Type != "bold" {
		t.Errorf("entities = %+v", m.Entities)
	}
	// Privacy mode lets messages via the bot through.
	ups = e.bot.received()
	if last := ups[len(ups)-1].Message; last == nil || last.ViaBot == nil || last.Chat.ID != e.group.ID() {
		t.Errorf("last update = %+v", ups[len(ups)-1])
	}

	var errBody struct {
		Error string `json:"error"`
	}
	if status := e.call(t, http.MethodPost, "api/inline/send", map[string]any{"persona": borisID, "chat_id": e.group.ID(), "query_id": res.QueryID, "result_id": "p1"}, &errBody); status != http.StatusBadRequest {
		t.Errorf("Boris sending Anna's results: %d %q", status, errBody.Error)
	}
}

func TestHandler_Files(t *testing.T) {
	e := setup(t)
	e.send(t, sellerID, sellerID, "CSV")
	doc := e.last(t, sellerID, sellerID, func(m message) bool { return m.Document != nil })
	if doc.Document.Name != "stock.csv" || doc.Caption != "Your stock" {
		t.Fatalf("document = %+v", doc)
	}
	resp, err := http.Get(e.srv.URL + "/sandbox/" + doc.Document.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "sku,price,stock\nDRESS-RED-S,1500.00,3\n" {
		t.Fatalf("download: %d %q", resp.StatusCode, body)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, "stock.csv") {
		t.Errorf("Content-Disposition = %q", cd)
	}

	e.send(t, annaID, annaID, "Photo")
	photo := e.last(t, annaID, annaID, func(m message) bool { return m.Photo != nil })
	resp, err = http.Get(e.srv.URL + "/sandbox/" + photo.Photo.URL)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(body, pngImage()) {
		t.Errorf("photo: %d %q, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(body))
	}
	if resp, err := http.Get(e.srv.URL + "/sandbox/files/nope"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Errorf("unknown file: %v %v", resp.StatusCode, err)
	}

	t.Run("Upload", func(t *testing.T) {
		upload := func(persona, chat int64, name string, data []byte, caption string) (int, string) {
			var buf bytes.Buffer
			mw := multipart.NewWriter(&buf)
			_ = mw.WriteField("persona", strconv.FormatInt(persona, 10))
			_ = mw.WriteField("chat_id", strconv.FormatInt(chat, 10))
			_ = mw.WriteField("caption", caption)
			fw, _ := mw.CreateFormFile("file", name)
			_, _ = fw.Write(data)
			_ = mw.Close()
			resp, err := http.Post(e.srv.URL+"/sandbox/api/upload", mw.FormDataContentType(), &buf)
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = resp.Body.Close() }()
			b, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, string(b)
		}
		csv := []byte("sku,price,stock\nDRESS-RED-S,1400.00,5\n")
		if status, body := upload(sellerID, sellerID, "stock.csv", csv, ""); status != http.StatusOK {
			t.Fatalf("upload: %d %s", status, body)
		}
		ups := e.bot.received()
		d := ups[len(ups)-1].Message.Document
		if d == nil || d.FileName != "stock.csv" || d.MimeType != "text/csv" || d.FileSize != int64(len(csv)) {
			t.Fatalf("document update = %+v", ups[len(ups)-1].Message)
		}
		if m := e.last(t, sellerID, sellerID, func(message) bool { return true }); m.Text != "Got stock.csv (38 bytes, text/csv)" {
			t.Errorf("bot's answer = %q", m.Text)
		}
		if status, body := upload(annaID, annaID, "me.png", pngImage(), "my size"); status != http.StatusOK {
			t.Fatalf("photo upload: %d %s", status, body)
		}
		if m := e.last(t, annaID, annaID, func(message) bool { return true }); m.Text != "Nice photo: my size" {
			t.Errorf("bot's answer = %q", m.Text)
		}
		if status, _ := upload(annaID, annaID, "empty.csv", nil, ""); status != http.StatusBadRequest {
			t.Errorf("empty file: %d", status)
		}
	})
}

// sse reads a server-sent event stream and hands each data line's event on.
func sse(t *testing.T, url string) <-chan map[string]any {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("events: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := make(chan map[string]any, 100)
	go func() {
		defer close(out)
		defer func() { _ = resp.Body.Close() }()
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			data, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			var ev map[string]any
			if json.Unmarshal([]byte(data), &ev) == nil {
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out
}

// waitEvent returns the first event that match accepts, failing the test when the stream ends or
// ctx does first.
func waitEvent(ctx context.Context, t *testing.T, events <-chan map[string]any, match func(map[string]any) bool) map[string]any {
	t.Helper()
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatal("the event stream ended")
			}
			if match(ev) {
				return ev
			}
		case <-ctx.Done():
			t.Fatal("no such event")
		}
	}
}

func TestHandler_Events(t *testing.T) {
	e := setup(t)
	ctx := ctxT(t)
	events := sse(t, e.srv.URL+"/sandbox/api/events?persona=1001")
	waitEvent(ctx, t, events, func(ev map[string]any) bool { return ev["kind"] == "hello" })

	e.send(t, annaID, annaID, "Edit")
	isKind := func(kind string) func(map[string]any) bool {
		return func(ev map[string]any) bool { return ev["kind"] == kind }
	}
	mine := waitEvent(ctx, t, events, isKind("message_new"))
	msg := mine["message"].(map[string]any)
	if msg["text"] != "Edit" || msg["outgoing"] != true {
		t.Errorf("first event = %+v", mine)
	}
	before := waitEvent(ctx, t, events, isKind("message_new"))
	if m := before["message"].(map[string]any); m["text"] != "Before" || m["outgoing"] == true {
		t.Errorf("bot's message = %+v", before)
	}
	after := waitEvent(ctx, t, events, isKind("message_edited"))
	if m := after["message"].(map[string]any); m["text"] != "After" || m["edit_date"] == nil {
		t.Errorf("edit = %+v", after)
	}
	if after["seq"].(float64) <= before["seq"].(float64) {
		t.Errorf("seq did not increase: %v then %v", before["seq"], after["seq"])
	}

	e.send(t, annaID, annaID, "Delete")
	if del := waitEvent(ctx, t, events, isKind("message_deleted")); del["message"].(map[string]any)["text"] != "Soon gone" {
		t.Errorf("delete = %+v", del)
	}

	// Boris's private chat is not Anna's to see: her page only hears that something moved.
	e.send(t, borisID, borisID, "hi")
	act := waitEvent(ctx, t, events, func(ev map[string]any) bool { return ev["chat_id"] == float64(borisID) })
	if act["kind"] != "activity" || act["message"] != nil {
		t.Errorf("Boris's message reached Anna as %+v", act)
	}

	e.send(t, annaID, annaID, "Stars")
	inv := e.last(t, annaID, annaID, func(m message) bool { return m.Invoice != nil })
	e.mustCall(t, http.MethodPost, "api/pay", map[string]any{"persona": annaID, "chat_id": annaID, "message_id": inv.ID}, nil)
	pay := waitEvent(ctx, t, events, isKind("payment"))
	if pay["status"] != "paid" || pay["message_id"] != float64(inv.ID) || pay["total_text"] != "⭐ 250" {
		t.Errorf("payment event = %+v", pay)
	}

	// Close ends the streams, so that the HTTP server can shut down.
	e.h.Close()
	for {
		select {
		case _, ok := <-events:
			if !ok {
				return
			}
		case <-ctx.Done():
			t.Fatal("the stream outlived Close")
		}
	}
}
