package inbox_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrina-shop/vitrina/bots/telegram/inbox"
)

// The express lane answers an update in the webhook's response without
// storing it; an update it does not take, fails at or is too slow at is stored
// and handled as ever, and answered 200: a 500 would make Telegram hold the
// bot's later updates behind it.
func TestInbox_Express(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reg := prometheus.NewRegistry()
	in := b.newInbox(t, "a", inbox.Options{Registerer: reg, Express: func(ctx context.Context, body []byte) ([]byte, bool, error) {
		switch {
		case bytes.Contains(body, []byte("express-fail")):
			return nil, true, errors.New("the database is away")
		case bytes.Contains(body, []byte("express-slow")):
			<-ctx.Done()
			return nil, true, ctx.Err()
		case bytes.Contains(body, []byte(`\u0000`)):
			return nil, true, errors.New("a NUL reached the express lane")
		case bytes.Contains(body, []byte("express")):
			return []byte(`{"method":"answerCallbackQuery","callback_query_id":"q1","text":"ok"}`), true, nil
		}
		return nil, false, nil
	}, ExpressTimeout: 50 * time.Millisecond})
	// The webhook counts a fallback before it answers: read once the answer came.
	fallbacks := func() float64 { return counter(t, reg, "vitrina_telegram_express_fallbacks_total") }
	runSweeper(t, in)
	srv := httptest.NewServer(in.Webhook(secret))
	t.Cleanup(srv.Close)

	send := func(body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, srv.URL, strings.NewReader(body))
		req.Header.Set(inbox.SecretHeader, secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(answer)
	}
	code, answer := send(`{"update_id":1,"callback_query":{"id":"q1","from":{"id":5,"is_bot":false,"first_name":"A\u0000"},"chat_instance":"c","data":"express"}}`)
	if code != http.StatusOK || !strings.Contains(answer, `"method":"answerCallbackQuery"`) {
		t.Errorf("express: %d %q", code, answer)
	}
	if err := in.WaitSettled(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	if got := fallbacks(); got != 0 {
		t.Errorf("fallbacks = %v after an expressed update, want 0", got)
	}
	if code, _ := send(`{"update_id":2,"callback_query":{"id":"q2","from":{"id":5,"is_bot":false,"first_name":"A"},"chat_instance":"c","data":"express-fail"}}`); code != http.StatusOK {
		t.Errorf("a failed express update: %d, want 200 (stored)", code)
	}
	if got := fallbacks(); got != 1 {
		t.Errorf("fallbacks = %v after the express lane failed, want 1", got)
	}
	if code, _ := send(string(messageJSON(3, 10))); code != http.StatusOK {
		t.Errorf("a plain update: %d", code)
	}
	if got := fallbacks(); got != 1 {
		t.Errorf("fallbacks = %v after an update the express lane declined, want 1 (a decline is no fallback)", got)
	}
	if code, _ := send(`{"update_id":4,"callback_query":{"id":"q4","from":{"id":5,"is_bot":false,"first_name":"A"},"chat_instance":"c","data":"express-slow"}}`); code != http.StatusOK {
		t.Errorf("a slow express update: %d, want 200 (stored)", code)
	}
	if got := fallbacks(); got != 2 {
		t.Errorf("fallbacks = %v after the express lane was too slow, want 2", got)
	}
	for _, id := range []int64{2, 3, 4} {
		if err := in.WaitSettled(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	if n := countRows(t, b.pool, "true"); n != 3 {
		t.Errorf("%d updates stored, want all but the expressed one", n)
	}
	if got := b.bot.handled(10); !equalInts(got, []int{3}) {
		t.Errorf("handled in chat 10: %v, want [3]", got)
	}
	if got := b.bot.handled(5); !equalInts(got, []int{2, 4}) {
		t.Errorf("handled in chat 5: %v, want [2 4] (the express lane's failures)", got)
	}
}
