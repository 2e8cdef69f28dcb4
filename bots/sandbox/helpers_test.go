package sandbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
)

const testToken = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi"

// bundle is a sandbox server, the HTTP server in front of it, and a telego bot pointed at it.
type bundle struct {
	s   *sandbox.Server
	api *httptest.Server
	bot *telego.Bot
}

func setup(t *testing.T, cfg sandbox.Config) *bundle {
	t.Helper()
	cfg.Token = testToken
	if cfg.BotUsername == "" {
		cfg.BotUsername = "vitrina_test_bot"
	}
	s := sandbox.New(cfg)
	api := httptest.NewServer(s)
	t.Cleanup(api.Close)
	t.Cleanup(s.Close)
	bot, err := telego.NewBot(testToken, telego.WithAPIServer(api.URL),
		telego.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}), telego.WithDiscardLogger())
	if err != nil {
		t.Fatalf("new bot: %v", err)
	}
	return &bundle{s: s, api: api, bot: bot}
}

// webhook serves updates to handle, one at a time per request, like a synchronous production
// handler, and records them.
type webhook struct {
	mu      sync.Mutex
	updates []telego.Update
	secrets []string
	status  int // answer status; 0 means 200
}

// serveWebhook starts a webhook that runs handle for each update and registers it with secret.
func (b *bundle) serveWebhook(t *testing.T, secret string, handle func(ctx context.Context, u telego.Update)) *webhook {
	t.Helper()
	wh := &webhook{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var u telego.Update
		if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		wh.mu.Lock()
		wh.updates = append(wh.updates, u)
		wh.secrets = append(wh.secrets, r.Header.Get("X-Telegram-Bot-Api-Secret-Token"))
		status := wh.status
		wh.mu.Unlock()
		if status != 0 && status != http.StatusOK {
			w.WriteHeader(status)
			return
		}
		if handle != nil {
			handle(r.Context(), u)
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	if err := b.bot.SetWebhook(context.Background(), &telego.SetWebhookParams{URL: srv.URL, SecretToken: secret}); err != nil {
		t.Fatalf("set webhook: %v", err)
	}
	return wh
}

func (wh *webhook) setStatus(code int) {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	wh.status = code
}

func (wh *webhook) received() []telego.Update {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	return append([]telego.Update(nil), wh.updates...)
}

// apiError extracts the Bot API error from a telego error, failing the test when there is none.
func apiError(t *testing.T, err error) *ta.Error {
	t.Helper()
	var apiErr *ta.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("want a Bot API error, got %v", err)
	}
	return apiErr
}

// wantAPIError checks err is the Bot API error code with description.
func wantAPIError(t *testing.T, err error, code int, description string) {
	t.Helper()
	apiErr := apiError(t, err)
	if apiErr.ErrorCode != code || apiErr.Description != description {
		t.Fatalf("want %d %q, got %d %q", code, description, apiErr.ErrorCode, apiErr.Description)
	}
}

func chatID(id int64) telego.ChatID { return telego.ChatID{ID: id} }

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startedUser makes a user who has opened the bot, so the bot may write to them.
func startedUser(b *bundle, id int64) *sandbox.User {
	return b.s.NewUser(sandbox.UserSpec{ID: id, FirstName: "Anna", LanguageCode: "ru", StartedBot: true})
}

// clock is a fake clock for the rate limiter.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// pngBytes returns a 4x3 PNG.
func pngBytes(t *testing.T) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 4, 3))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// newRawWebhook starts a webhook that answers every update with body and returns its URL.
func newRawWebhook(t *testing.T, body string) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}
