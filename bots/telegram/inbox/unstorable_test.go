package inbox_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram/inbox"
)

// sandboxToken is the token of the tests' bot on the sandbox (123456 is testBot).
var sandboxToken = "123456:" + strings.Repeat("A", 35)

// textBot records the texts of the messages it handles, per update.
type textBot struct {
	mu    sync.Mutex
	texts map[int]string
}

func (b *textBot) HandleUpdate(ctx context.Context, u telego.Update) error {
	if u.Message == nil {
		return nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.texts[u.UpdateID] = u.Message.Text
	return nil
}

func (b *textBot) text(id int) (string, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	t, ok := b.texts[id]
	return t, ok
}

// logBuffer is a log destination safe for concurrent writes.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// rawMessage is a message update of chat 77 with text as it goes on the wire (JSON
// escapes and all), without update_id (the sandbox sets it).
func rawMessage(text string) []byte {
	return []byte(`{"message":{"message_id":1,"date":1700000000,"chat":{"id":77,"type":"private"},` +
		`"from":{"id":77,"is_bot":false,"first_name":"A"},"text":"` + text + `"}}`)
}

// poison decodes as JSON but not as a telego.Update: a forward origin this telego
// version does not know.
var poison = []byte(`{"message":{"message_id":2,"date":1700000000,"chat":{"id":77,"type":"private"},` +
	`"forward_origin":{"type":"future","date":1700000000},"text":"from the future"}}`)

// unstorable are texts a jsonb column refused, with what the handler must get.
var unstorable = []struct{ name, wire, want string }{
	{"NUL", `a\u0000b`, "a\uFFFDb"},
	{"LoneSurrogate", `a\ud800b`, "a\uFFFDb"},
	{"InvalidUTF8", "a\xffb", "a\uFFFDb"},
}

// TestInbox_UnstorableUpdates sends, through the fake Bot API's webhook, updates
// that could not be stored before (500 forever) and one that does not decode: the
// first are handled with U+FFFD in place of what PostgreSQL refuses, the last is set
// aside as failed (metric, log line) and the chat goes on.
func TestInbox_UnstorableUpdates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	bot := &textBot{texts: map[int]string{}}
	reg := prometheus.NewRegistry()
	logs := &logBuffer{}
	in := inbox.New(b.store, bot, slog.New(slog.NewJSONHandler(logs, nil)), inbox.Options{
		BotID: testBot, Holder: "a", Registerer: reg,
	})
	runSweeper(t, in)
	tg := sandbox.New(sandbox.Config{Token: sandboxToken, Delivered: func(id int) { in.WaitSettled(ctx, int64(id)) }})
	defer tg.Close()
	hook := httptest.NewServer(in.Webhook(secret))
	defer hook.Close()
	tg.SetWebhook(hook.URL, secret)

	for _, tt := range unstorable {
		t.Run(tt.name, func(t *testing.T) {
			id, err := tg.SendRawUpdate(ctx, rawMessage(tt.wire))
			if err != nil {
				t.Fatalf("webhook refused the update: %v", err)
			}
			got, ok := bot.text(id)
			if !ok || got != tt.want || !utf8.ValidString(got) {
				t.Errorf("handled text %q (handled: %v), want %q", got, ok, tt.want)
			}
		})
	}
	t.Run("DoesNotDecode", func(t *testing.T) {
		id, err := tg.SendRawUpdate(ctx, poison)
		if err != nil {
			t.Fatalf("webhook refused the update: %v", err)
		}
		var body []byte
		var lastError string
		if err := b.pool.QueryRow(ctx, `SELECT body, last_error FROM telegram_updates WHERE update_id = $1 AND failed_at IS NOT NULL`, id).Scan(&body, &lastError); err != nil {
			t.Fatalf("update %d not set aside: %v", id, err)
		}
		if !bytes.Contains(body, []byte(`"type":"future"`)) || !strings.HasPrefix(lastError, "decode: ") {
			t.Errorf("kept %s with error %q", body, lastError)
		}
		if got := counter(t, reg, "vitrina_telegram_updates_failed_total", "message", "decode"); got != 1 {
			t.Errorf("failed{reason=decode} = %v, want 1", got)
		}
		if line := fmt.Sprintf(`"update_id":%d,"kind":"message","chat":0,"reason":"decode"`, id); !strings.Contains(logs.String(), line) {
			t.Errorf("no log line with %s in:\n%s", line, logs.String())
		}
		// The chat goes on.
		next, err := tg.SendRawUpdate(ctx, rawMessage("after"))
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := bot.text(next); got != "after" {
			t.Errorf("the chat's next update handled as %q", got)
		}
	})
}

// TestInbox_PollPoisonUpdate feeds getUpdates of the fake Bot API a batch with
// updates telego cannot decode as a batch: each is stored on its own, the bad one set
// aside, the others handled, and the offset moves past all of them.
func TestInbox_PollPoisonUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	bot := &textBot{texts: map[int]string{}}
	in := inbox.New(b.store, bot, slog.New(slog.DiscardHandler), inbox.Options{BotID: testBot, Holder: "a"})
	tg := sandbox.New(sandbox.Config{Token: sandboxToken})
	defer tg.Close()
	api := httptest.NewServer(tg)
	defer api.Close()

	var ids []int
	for _, body := range [][]byte{rawMessage("first"), poison, rawMessage(`a\u0000b`), rawMessage("a\xffb"), rawMessage("last")} {
		id, err := tg.SendRawUpdate(ctx, body)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	pollCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- in.Poll(pollCtx, inbox.BotAPI{Caller: ta.HTTPCaller{Client: &http.Client{}}, Server: api.URL, Token: sandboxToken}, nil)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Poll: %v", err)
		}
	}()
	waitFor(t, "the good updates handled", func() bool {
		_, ok := bot.text(ids[4])
		return ok
	})
	for i, want := range map[int]string{0: "first", 2: "a\uFFFDb", 3: "a\uFFFDb", 4: "last"} {
		if got, _ := bot.text(ids[i]); got != want {
			t.Errorf("update %d handled as %q, want %q", ids[i], got, want)
		}
	}
	if n := countRows(t, b.pool, "update_id = $1 AND failed_at IS NOT NULL AND last_error LIKE 'decode: %'", ids[1]); n != 1 {
		t.Error("the poison update is not set aside")
	}
	// Later updates keep coming: the offset is past the poison one.
	later, err := tg.SendRawUpdate(ctx, rawMessage("later"))
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a later update handled", func() bool {
		_, ok := bot.text(later)
		return ok
	})
}
