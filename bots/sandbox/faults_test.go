package sandbox_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	tu "github.com/mymmrac/telego/telegoutil"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
)

func TestServer_FailAll(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	startedUser(b, 1001)

	b.s.FailAll("", http.StatusInternalServerError, "", 0)
	for range 3 {
		for _, method := range []string{"getMe", "sendMessage"} {
			// telego does not decode a 5xx answer, so read it raw.
			status, body := rawCall(t, b, method, `{"chat_id":1001,"text":"lost"}`)
			if status != 500 || body != `{"ok":false,"error_code":500,"description":"Internal Server Error"}`+"\n" {
				t.Fatalf("%s during the outage: %d %s", method, status, body)
			}
		}
	}
	b.s.ClearFailures()
	if _, err := b.bot.GetMe(ctx); err != nil {
		t.Fatalf("after ClearFailures: %v", err)
	}

	b.s.FailAll("SENDMESSAGE", http.StatusTooManyRequests, "", 5)
	b.s.FailNext("sendMessage", http.StatusBadGateway, "Bad Gateway", 0)
	if status, _ := rawCall(t, b, "sendMessage", `{"chat_id":1001,"text":"one"}`); status != 502 {
		t.Fatalf("FailNext fires first; got %d", status)
	}
	for range 2 {
		_, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "two"))
		apiErr := apiError(t, err)
		if apiErr.ErrorCode != 429 || apiErr.Parameters == nil || apiErr.Parameters.RetryAfter != 5 {
			t.Fatalf("during the outage: %+v", apiErr)
		}
	}
	if _, err := b.bot.GetMe(ctx); err != nil {
		t.Fatalf("an outage of sendMessage must not hit getMe: %v", err)
	}
	if n := len(b.s.Chat(1001).Messages()); n != 0 {
		t.Fatalf("%d messages stored during the outage", n)
	}
	b.s.ClearFailures()
	if _, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "three")); err != nil {
		t.Fatalf("after ClearFailures: %v", err)
	}
}

func rawCall(t *testing.T, b *bundle, method, params string) (int, string) {
	t.Helper()
	resp, err := http.Post(b.api.URL+"/bot"+testToken+"/"+method, "application/json", strings.NewReader(params))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = resp.Body.Close() }()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// waitFor polls cond until it holds or the test's context ends.
func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}

func TestServer_Hang(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	startedUser(b, 1001)

	release := b.s.Hang("sendMessage")
	done := make(chan error, 1)
	go func() {
		_, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "held"))
		done <- err
	}()
	waitFor(t, ctx, "the call to hang", func() bool { return b.s.Hanging() == 1 })
	if _, err := b.bot.GetMe(ctx); err != nil {
		t.Fatalf("a hang of sendMessage must not hold getMe: %v", err)
	}
	if n := len(b.s.Chat(1001).Messages()); n != 0 {
		t.Fatalf("a hung call has no effect yet; %d messages", n)
	}
	release()
	release() // idempotent
	if err := <-done; err != nil {
		t.Fatalf("released call: %v", err)
	}
	if got := b.s.Chat(1001).LastMessage(); got.Text != "held" {
		t.Fatalf("released call proceeds normally; last = %+v", got)
	}
	if _, err := b.bot.SendMessage(ctx, tu.Message(chatID(1001), "after")); err != nil {
		t.Fatalf("after release: %v", err)
	}

	t.Run("RequestEnds", func(t *testing.T) {
		release := b.s.Hang("")
		defer release()
		callCtx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() {
			_, err := b.bot.GetMe(callCtx)
			done <- err
		}()
		waitFor(t, ctx, "the call to hang", func() bool { return b.s.Hanging() == 1 })
		cancel()
		if err := <-done; err == nil {
			t.Fatal("a call whose request ended must fail")
		}
		waitFor(t, ctx, "the hung call to end", func() bool { return b.s.Hanging() == 0 })
	})
}

// rawWebhook records the bodies posted to it and answers status.
type rawWebhook struct {
	mu     sync.Mutex
	bodies [][]byte
	status int
}

func (b *bundle) serveRawWebhook(t *testing.T) *rawWebhook {
	t.Helper()
	wh := &rawWebhook{status: http.StatusOK}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		wh.mu.Lock()
		wh.bodies = append(wh.bodies, body)
		status := wh.status
		wh.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	b.s.SetWebhook(srv.URL, "")
	return wh
}

func (wh *rawWebhook) last() []byte {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	return wh.bodies[len(wh.bodies)-1]
}

func TestServer_Delivered(t *testing.T) {
	var mu sync.Mutex
	var delivered []int
	b := setup(t, sandbox.Config{Delivered: func(id int) {
		mu.Lock()
		defer mu.Unlock()
		delivered = append(delivered, id)
	}})
	ctx := ctxT(t)
	u := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna"})
	wh := b.serveRawWebhook(t)
	seen := func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), delivered...)
	}

	if err := u.Send(ctx, "hi"); err != nil {
		t.Fatal(err)
	}
	id, err := b.s.SendRawUpdate(ctx, []byte(`{"message":{"message_id":9,"date":1,"chat":{"id":1001,"type":"private"},"text":"x"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := seen(); len(got) != 2 || got[1] != id || got[0] != id-1 {
		t.Fatalf("delivered = %v before the acting calls returned, raw id %d", got, id)
	}

	wh.mu.Lock()
	wh.status = http.StatusInternalServerError
	wh.mu.Unlock()
	if err := u.Send(ctx, "refused"); err == nil {
		t.Fatal("want a webhook error")
	}
	if got := seen(); len(got) != 2 {
		t.Fatalf("a refused update is not delivered: %v", got)
	}
	wh.mu.Lock()
	wh.status = http.StatusOK
	wh.mu.Unlock()
	if err := b.s.RedeliverPending(ctx); err != nil {
		t.Fatal(err)
	}
	if got := seen(); len(got) != 3 || got[2] != id+1 {
		t.Fatalf("the redelivered update is delivered: %v", got)
	}
}

// poison holds what Telegram may send and Go's encoding/json would rewrite: a NUL escape, a lone
// surrogate, invalid UTF-8, HTML characters and spacing.
const poison = "{ \"message\" : {\"message_id\":1,\"date\":1,\"chat\":{\"id\":1001,\"type\":\"private\"}," +
	"\"text\":\"a\\u0000b\\ud800 <&> \xff\xfe\"} , \"update_id\" : 77 }"

const poisonRest = "\"message\" : {\"message_id\":1,\"date\":1,\"chat\":{\"id\":1001,\"type\":\"private\"}," +
	"\"text\":\"a\\u0000b\\ud800 <&> \xff\xfe\"}"

func TestServer_SendRawUpdate_Webhook(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna"})
	wh := b.serveRawWebhook(t)
	if err := u.Send(ctx, "first"); err != nil {
		t.Fatal(err)
	}
	id, err := b.s.SendRawUpdate(ctx, []byte(poison))
	if err != nil {
		t.Fatal(err)
	}
	if id != 2 {
		t.Fatalf("raw update id %d, want the next one, 2", id)
	}
	if want := "{\"update_id\":2," + poisonRest + "}"; string(wh.last()) != want {
		t.Fatalf("posted\n%q\nwant\n%q", wh.last(), want)
	}

	wh.mu.Lock()
	wh.status = http.StatusInternalServerError
	wh.mu.Unlock()
	_, err = b.s.SendRawUpdate(ctx, []byte(`{}`))
	var werr *sandbox.WebhookError
	if !asWebhookError(err, &werr) || werr.StatusCode != 500 || b.s.PendingUpdates() != 1 {
		t.Fatalf("refused raw update: %v, pending %d", err, b.s.PendingUpdates())
	}
	if string(wh.last()) != `{"update_id":3}` {
		t.Fatalf("empty object: %q", wh.last())
	}

	for _, bad := range []string{``, `[]`, `{"a":}`, `{"a":1`, `{"a" 1}`, `{"a":"x}`, `{} x`} {
		if _, err := b.s.SendRawUpdate(ctx, []byte(bad)); err == nil {
			t.Errorf("SendRawUpdate(%q) took it", bad)
		}
	}
}

func TestServer_SendRawUpdate_Polling(t *testing.T) {
	b := setup(t, sandbox.Config{})
	ctx := ctxT(t)
	u := b.s.NewUser(sandbox.UserSpec{ID: 1001, FirstName: "Anna"})
	if err := u.Send(ctx, "good one"); err != nil {
		t.Fatal(err)
	}
	if _, err := b.s.SendRawUpdate(ctx, []byte(poison)); err != nil {
		t.Fatal(err)
	}
	if err := u.Send(ctx, "good two"); err != nil {
		t.Fatal(err)
	}

	_, body := rawCall(t, b, "getUpdates", `{"offset":2}`)
	want := "{\"update_id\":2," + poisonRest + "}"
	if !strings.HasPrefix(body, `{"ok":true,"result":[`+want+`,{"update_id":3,`) {
		t.Fatalf("getUpdates answered\n%q\nwant the raw update verbatim first", body)
	}

	// telego decodes it as well as Go can, and the good updates around it come through.
	ups, err := b.bot.GetUpdates(ctx, &telego.GetUpdatesParams{})
	if err != nil {
		t.Fatal(err)
	}
	if len(ups) != 2 || ups[0].UpdateID != 2 || ups[1].Message.Text != "good two" {
		t.Fatalf("updates = %+v", ups)
	}
}
