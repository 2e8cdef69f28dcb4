package inbox_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/vitrina-shop/vitrina/bots/telegram/inbox"
	"github.com/vitrina-shop/vitrina/core/postgres/inboxstore"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

const secret = "test-secret_123"

// testBot is the bot id of the tests' inboxes.
const testBot = 123456

// inboxstore.Store is the store the inbox runs on in production.
var _ inbox.Store = (*inboxstore.Store)(nil)

// waitLimit bounds every wait for background work; reaching it fails the test. It is
// not a performance claim: it only keeps a broken test from hanging.
const waitLimit = 30 * time.Second

// recorder is the bot: it records the updates it handles, in order, and notices two
// updates of one chat handled at once.
type recorder struct {
	mu       sync.Mutex
	calls    map[int64][]int // chat -> update ids in the order handled
	attempts map[int]int     // update id -> calls
	inFlight map[int64]int
	overlap  bool
	// behave, if set, runs inside HandleUpdate (outside the lock) and decides its error.
	behave func(ctx context.Context, u telego.Update, attempt int) error
}

func newRecorder() *recorder {
	return &recorder{calls: map[int64][]int{}, attempts: map[int]int{}, inFlight: map[int64]int{}}
}

func (r *recorder) HandleUpdate(ctx context.Context, u telego.Update) error {
	chat := chatOf(u)
	r.mu.Lock()
	r.inFlight[chat]++
	if r.inFlight[chat] > 1 {
		r.overlap = true
	}
	r.attempts[u.UpdateID]++
	attempt := r.attempts[u.UpdateID]
	r.mu.Unlock()

	var err error
	if r.behave != nil {
		err = r.behave(ctx, u, attempt)
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	r.inFlight[chat]--
	if err == nil {
		r.calls[chat] = append(r.calls[chat], u.UpdateID)
	}
	return err
}

// handled returns the update ids of chat handled successfully, in order.
func (r *recorder) handled(chat int64) []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.calls[chat]...)
}

func (r *recorder) attemptsOf(id int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.attempts[id]
}

func (r *recorder) overlapped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.overlap
}

func chatOf(u telego.Update) int64 {
	if u.Message != nil {
		return u.Message.Chat.ID
	}
	if u.CallbackQuery != nil {
		return u.CallbackQuery.From.ID
	}
	return 0
}

// messageJSON is a text message update in a private chat.
func messageJSON(id int, chat int64) []byte {
	return fmt.Appendf(nil, `{"update_id":%d,"message":{"message_id":%d,"date":1700000000,"chat":{"id":%d,"type":"private"},"from":{"id":%d,"is_bot":false,"first_name":"A"},"text":"m%d"}}`,
		id, id, chat, chat, id)
}

type testBundle struct {
	pool  *pgxpool.Pool
	store *inboxstore.Store
	bot   *recorder
}

// setup returns a fresh database, its inbox store and a recording bot.
func setup(t *testing.T) *testBundle {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	return &testBundle{pool: pool, store: inboxstore.New(pool), bot: newRecorder()}
}

// newInbox returns an Inbox on the bundle's store and bot, with fast sweeps.
func (b *testBundle) newInbox(t *testing.T, holder string, opts inbox.Options) *inbox.Inbox {
	t.Helper()
	opts.Holder = holder
	opts.BotID = testBot
	if opts.SweepEvery == 0 {
		opts.SweepEvery = 20 * time.Millisecond
	}
	if opts.StaleAfter == 0 {
		opts.StaleAfter = 50 * time.Millisecond
	}
	if opts.RetryBackoff == 0 {
		opts.RetryBackoff = time.Nanosecond // a failed update is due again at once
	}
	return inbox.New(b.store, b.bot, slog.New(slog.DiscardHandler), opts)
}

// runSweeper runs the inbox's sweeper until the test ends.
func runSweeper(t *testing.T, in *inbox.Inbox) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.RunSweeper(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("RunSweeper: %v", err)
		}
	})
}

func post(t *testing.T, url, secretToken string, body []byte) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secretToken != "" {
		req.Header.Set(inbox.SecretHeader, secretToken)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("POST: %v", err)
		return 0
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countRows(t *testing.T, pool *pgxpool.Pool, where string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), "SELECT count(*) FROM telegram_updates WHERE "+where, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func seq(from, to int) []int {
	var s []int
	for i := from; i <= to; i++ {
		s = append(s, i)
	}
	return s
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// serveWebhook starts, for one test, an inbox with a sweeper on a database of its
// own, whose bot runs behave (if set), and serves its webhook; it returns the
// bundle, the inbox and the webhook's URL.
func serveWebhook(t *testing.T, behave func(ctx context.Context, u telego.Update, attempt int) error) (*testBundle, *inbox.Inbox, string) {
	t.Helper()
	b := setup(t)
	b.bot.behave = behave
	in := b.newInbox(t, "a", inbox.Options{})
	runSweeper(t, in)
	srv := httptest.NewServer(in.Webhook(secret))
	t.Cleanup(srv.Close)
	return b, in, srv.URL
}

// Each subtest has a webhook and a database of its own.
func TestInbox_Webhook(t *testing.T) {
	t.Parallel()
	t.Run("MissingSecret", func(t *testing.T) {
		t.Parallel()
		_, _, url := serveWebhook(t, nil)
		if got := post(t, url, "", messageJSON(1, 10)); got != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", got)
		}
	})
	t.Run("WrongSecret", func(t *testing.T) {
		t.Parallel()
		b, in, url := serveWebhook(t, nil)
		if got := post(t, url, secret+"x", messageJSON(1, 10)); got != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", got)
		}
		if got := post(t, url, "x", messageJSON(1, 10)); got != http.StatusUnauthorized {
			t.Errorf("short secret: status = %d, want 401", got)
		}
		if n := countRows(t, b.pool, "true"); n != 0 {
			t.Errorf("%d updates stored from refused requests", n)
		}
		// The same update with the right secret is stored and handled: the refused
		// ones were not.
		if got := post(t, url, secret, messageJSON(1, 10)); got != http.StatusOK {
			t.Fatalf("right secret: status = %d, want 200", got)
		}
		if err := in.WaitSettled(context.Background(), 1); err != nil {
			t.Fatal(err)
		}
		if got := b.bot.handled(10); !equalInts(got, []int{1}) {
			t.Errorf("bot handled %v, want [1] once", got)
		}
	})
	t.Run("NotPost", func(t *testing.T) {
		t.Parallel()
		_, _, url := serveWebhook(t, nil)
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusMethodNotAllowed {
			t.Errorf("GET status = %d, want 405", resp.StatusCode)
		}
	})
	t.Run("BadJSON", func(t *testing.T) {
		t.Parallel()
		_, _, url := serveWebhook(t, nil)
		if got := post(t, url, secret, []byte(`{"update_id":`)); got != http.StatusBadRequest {
			t.Errorf("status = %d, want 400", got)
		}
		if got := post(t, url, secret, []byte(`{"message":{"chat":{"id":1}}}`)); got != http.StatusBadRequest {
			t.Errorf("no update_id: status = %d, want 400", got)
		}
	})
	t.Run("AnsweredOnceStored", func(t *testing.T) {
		t.Parallel()
		release := make(chan struct{})
		b, in, url := serveWebhook(t, func(ctx context.Context, u telego.Update, attempt int) error {
			if u.UpdateID == 7 {
				<-release
			}
			return nil
		})
		var releaseOnce sync.Once
		unblock := func() { releaseOnce.Do(func() { close(release) }) }
		t.Cleanup(unblock) // before the sweeper's cleanup waits for the handler
		// The handler of update 7 is stuck until the answer came: Telegram's webhook
		// connections are not held by slow handling.
		answered := make(chan int, 1)
		go func() { answered <- post(t, url, secret, messageJSON(7, 10)) }()
		select {
		case got := <-answered:
			if got != http.StatusOK {
				t.Fatalf("status = %d, want 200", got)
			}
		case <-time.After(waitLimit):
			t.Fatal("the webhook waited for the handler")
		}
		if n := countRows(t, b.pool, "update_id = 7 AND bot_id = $1", testBot); n != 1 {
			t.Errorf("update 7 not stored when the answer came")
		}
		unblock()
		if err := in.WaitSettled(context.Background(), 7); err != nil {
			t.Fatal(err)
		}
		if got := b.bot.handled(10); !equalInts(got, []int{7}) {
			t.Errorf("handled %v, want [7]", got)
		}
		if n := countRows(t, b.pool, "update_id = 7 AND handled_at IS NOT NULL"); n != 1 {
			t.Errorf("update 7 not recorded as handled")
		}
	})
	t.Run("EmptySecretRefusesAll", func(t *testing.T) {
		t.Parallel()
		b, in, _ := serveWebhook(t, nil)
		open := httptest.NewServer(in.Webhook(""))
		defer open.Close()
		if got := post(t, open.URL, "", messageJSON(8, 10)); got != http.StatusUnauthorized {
			t.Errorf("status = %d, want 401", got)
		}
		if n := countRows(t, b.pool, "true"); n != 0 {
			t.Errorf("%d updates stored from a refused request", n)
		}
	})
}

func TestInbox_Redelivery(t *testing.T) {
	t.Parallel()
	b := setup(t)
	reg := prometheus.NewRegistry()
	in := b.newInbox(t, "a", inbox.Options{Registerer: reg})
	runSweeper(t, in)
	srv := httptest.NewServer(in.Webhook(secret))
	defer srv.Close()

	for range 3 {
		if got := post(t, srv.URL, secret, messageJSON(42, 5)); got != http.StatusOK {
			t.Fatalf("status = %d, want 200", got)
		}
		if err := in.WaitSettled(context.Background(), 42); err != nil {
			t.Fatal(err)
		}
	}
	if err := in.Receive(context.Background(), decode(t, messageJSON(42, 5))); err != nil {
		t.Fatalf("Receive: %v", err)
	}
	if got := b.bot.handled(5); !equalInts(got, []int{42}) {
		t.Errorf("handled %v, want [42] once", got)
	}
	if got := counter(t, reg, "vitrina_telegram_updates_duplicate_total", "message"); got != 3 {
		t.Errorf("duplicates = %v, want 3", got)
	}
	if got := counter(t, reg, "vitrina_telegram_updates_handled_total", "message"); got != 1 {
		t.Errorf("handled = %v, want 1", got)
	}
}

// TestInbox_ChatOrder posts a chat's updates concurrently to two Inbox instances on
// one database (two replicas) while the chat is busy, and checks they are handled
// once each, one at a time, in update_id order.
func TestInbox_ChatOrder(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const chat, n = 77, 40
	first := make(chan struct{})
	release := make(chan struct{})
	b.bot.behave = func(ctx context.Context, u telego.Update, attempt int) error {
		if u.UpdateID == 1 {
			close(first)
			<-release
		}
		return nil
	}
	replicas := []*inbox.Inbox{b.newInbox(t, "a", inbox.Options{}), b.newInbox(t, "b", inbox.Options{})}
	var urls []string
	for _, in := range replicas {
		runSweeper(t, in)
		srv := httptest.NewServer(in.Webhook(secret))
		defer srv.Close()
		urls = append(urls, srv.URL)
	}

	var posts sync.WaitGroup
	posts.Go(func() {
		if got := post(t, urls[0], secret, messageJSON(1, chat)); got != http.StatusOK {
			t.Errorf("update 1: status %d", got)
		}
	})
	<-first
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	defer unblock() // also when the test fails early
	// The rest are posted all at once, shuffled between the replicas. The busy
	// replica's drain takes them after update 1; the other finds the chat's lease taken.
	for id := 2; id <= n; id++ {
		posts.Go(func() {
			if got := post(t, urls[id%2], secret, messageJSON(id, chat)); got != http.StatusOK {
				t.Errorf("update %d: status %d", id, got)
			}
		})
	}
	waitFor(t, "every update stored", func() bool { return countRows(t, b.pool, "chat_key = $1", chat) == n })
	unblock()
	posts.Wait()
	waitFor(t, "every update handled", func() bool { return len(b.bot.handled(chat)) >= n })

	if got := b.bot.handled(chat); !equalInts(got, seq(1, n)) {
		t.Errorf("handled in order %v, want 1..%d", got, n)
	}
	if b.bot.overlapped() {
		t.Error("two updates of the chat were handled at once")
	}
	// The handler returns before its update is recorded as handled: wait for that.
	waitFor(t, "every update recorded as handled", func() bool { return countRows(t, b.pool, "handled_at IS NULL") == 0 })
}

// TestInbox_ConcurrentChats posts updates of several chats from many goroutines to two
// replicas: each is handled exactly once, never two of a chat at once.
func TestInbox_ConcurrentChats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	replicas := []*inbox.Inbox{b.newInbox(t, "a", inbox.Options{}), b.newInbox(t, "b", inbox.Options{})}
	var urls []string
	for _, in := range replicas {
		runSweeper(t, in)
		srv := httptest.NewServer(in.Webhook(secret))
		defer srv.Close()
		urls = append(urls, srv.URL)
	}
	const chats, perChat = 4, 25
	var posts sync.WaitGroup
	for g := range 8 {
		posts.Go(func() {
			for id := 1 + g; id <= chats*perChat; id += 8 {
				chat := int64(id%chats + 1)
				if got := post(t, urls[id%2], secret, messageJSON(id, chat)); got != http.StatusOK {
					t.Errorf("update %d: status %d", id, got)
				}
			}
		})
	}
	posts.Wait()
	waitFor(t, "every update handled", func() bool {
		total := 0
		for c := range chats {
			total += len(b.bot.handled(int64(c + 1)))
		}
		return total >= chats*perChat
	})
	for c := range chats {
		got := b.bot.handled(int64(c + 1))
		if len(got) != perChat {
			t.Errorf("chat %d: handled %d updates, want %d", c+1, len(got), perChat)
		}
	}
	for id := 1; id <= chats*perChat; id++ {
		if a := b.bot.attemptsOf(id); a != 1 {
			t.Errorf("update %d handled %d times", id, a)
		}
	}
	if b.bot.overlapped() {
		t.Error("two updates of one chat were handled at once")
	}
}

// TestInbox_ChatsInParallel holds chat 1's handler until chat 2's update is handled:
// if chats were handled one after the other, it would never return.
func TestInbox_ChatsInParallel(t *testing.T) {
	t.Parallel()
	b := setup(t)
	chat2Done := make(chan struct{})
	b.bot.behave = func(ctx context.Context, u telego.Update, attempt int) error {
		switch chatOf(u) {
		case 1:
			select {
			case <-chat2Done:
			case <-time.After(waitLimit):
				return errors.New("chat 2 was not handled while chat 1 was busy")
			}
		case 2:
			close(chat2Done)
		}
		return nil
	}
	in := b.newInbox(t, "a", inbox.Options{})
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := in.Receive(context.Background(), decode(t, messageJSON(1, 1))); err != nil {
			t.Errorf("Receive 1: %v", err)
		}
	})
	wg.Go(func() {
		if err := in.Receive(context.Background(), decode(t, messageJSON(2, 2))); err != nil {
			t.Errorf("Receive 2: %v", err)
		}
	})
	wg.Wait()
	if got := b.bot.handled(1); !equalInts(got, []int{1}) {
		t.Errorf("chat 1 handled %v, want [1]", got)
	}
}

// TestInbox_Retry fails an update twice: the webhook still answers 200, the chat's
// next update waits, and the sweeper retries until it goes through.
func TestInbox_Retry(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.bot.behave = func(ctx context.Context, u telego.Update, attempt int) error {
		if u.UpdateID == 1 && attempt <= 2 {
			return fmt.Errorf("temporary trouble %d", attempt)
		}
		return nil
	}
	in := b.newInbox(t, "a", inbox.Options{MaxAttempts: 5})
	srv := httptest.NewServer(in.Webhook(secret))
	defer srv.Close()

	for _, id := range []int{1, 2} {
		if got := post(t, srv.URL, secret, messageJSON(id, 9)); got != http.StatusOK {
			t.Fatalf("update %d: status %d, want 200", id, got)
		}
	}
	runSweeper(t, in)
	waitFor(t, "both updates handled", func() bool { return len(b.bot.handled(9)) == 2 })
	if got := b.bot.handled(9); !equalInts(got, []int{1, 2}) {
		t.Errorf("handled %v, want [1 2]", got)
	}
	if a := b.bot.attemptsOf(1); a != 3 {
		t.Errorf("update 1 tried %d times, want 3", a)
	}
	var attempts, failures int
	if err := b.pool.QueryRow(context.Background(), "SELECT attempts, failures FROM telegram_updates WHERE update_id = 1").Scan(&attempts, &failures); err != nil {
		t.Fatal(err)
	}
	if attempts != 3 || failures != 2 {
		t.Errorf("attempts %d, failures %d; want 3, 2", attempts, failures)
	}
}

// TestInbox_RetryWaits fails an update once: it waits for its retry time (the pause
// grows with each attempt) before anyone tries it again, and the chat's later updates
// wait behind it. Once due, the sweeper handles both, in order.
func TestInbox_RetryWaits(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.bot.behave = func(ctx context.Context, u telego.Update, attempt int) error {
		if u.UpdateID == 1 && attempt == 1 {
			return errors.New("something unexpected")
		}
		return nil
	}
	in := b.newInbox(t, "a", inbox.Options{RetryBackoff: 3 * time.Minute})
	runSweeper(t, in)
	srv := httptest.NewServer(in.Webhook(secret))
	defer srv.Close()
	for _, id := range []int{1, 2} {
		if got := post(t, srv.URL, secret, messageJSON(id, 9)); got != http.StatusOK {
			t.Fatalf("update %d: status %d", id, got)
		}
		if err := in.WaitSettled(context.Background(), int64(id)); err != nil {
			t.Fatal(err)
		}
	}
	if got := b.bot.handled(9); len(got) != 0 || b.bot.attemptsOf(1) != 1 {
		t.Fatalf("handled %v, update 1 tried %d times; want one try, then a wait", got, b.bot.attemptsOf(1))
	}
	if n := countRows(t, b.pool, "update_id = 1 AND retry_at > now() + interval '2 minutes'"); n != 1 {
		t.Error("update 1 is not due in 3 minutes")
	}
	if _, err := b.pool.Exec(context.Background(), `UPDATE telegram_updates SET retry_at = now() WHERE update_id = 1`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both updates handled once due", func() bool { return len(b.bot.handled(9)) == 2 })
	if got := b.bot.handled(9); !equalInts(got, []int{1, 2}) {
		t.Errorf("handled %v, want [1 2]", got)
	}
}

// TestInbox_PoisonUpdate fails an update every time (one panics): it is marked failed
// after MaxAttempts, and the chat goes on.
func TestInbox_PoisonUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.bot.behave = func(ctx context.Context, u telego.Update, attempt int) error {
		switch u.UpdateID {
		case 1:
			return errors.New("always broken")
		case 3:
			panic("broken differently")
		}
		return nil
	}
	reg := prometheus.NewRegistry()
	in := b.newInbox(t, "a", inbox.Options{MaxAttempts: 3, Registerer: reg})
	for _, id := range []int{1, 2, 3, 4} {
		if err := in.Receive(context.Background(), decode(t, messageJSON(id, 9))); err != nil {
			t.Fatalf("Receive %d: %v", id, err)
		}
	}
	runSweeper(t, in)
	waitFor(t, "the chat to go on", func() bool { return len(b.bot.handled(9)) == 2 })
	if got := b.bot.handled(9); !equalInts(got, []int{2, 4}) {
		t.Errorf("handled %v, want [2 4]", got)
	}
	for _, id := range []int{1, 3} {
		if a := b.bot.attemptsOf(id); a != 3 {
			t.Errorf("update %d tried %d times, want 3", id, a)
		}
	}
	if n := countRows(t, b.pool, "failed_at IS NOT NULL AND attempts = 3 AND last_error <> ''"); n != 2 {
		t.Errorf("%d updates marked failed after 3 attempts, want 2", n)
	}
	var panicText string
	if err := b.pool.QueryRow(context.Background(), "SELECT last_error FROM telegram_updates WHERE update_id = 3").Scan(&panicText); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(panicText, "broken differently") {
		t.Errorf("last_error of the panicking update = %q", panicText)
	}
	waitFor(t, "failed{reason=attempts} = 2", func() bool {
		return counter(t, reg, "vitrina_telegram_updates_failed_total", "message", "attempts") == 2
	})
}

// TestInbox_CrashBeforeHandling stores updates the way a replica that died right after
// storing them would leave them: the sweeper handles them, in order. A chat whose
// dead replica's lease still runs waits for it to run out (here: in SQL).
func TestInbox_CrashBeforeHandling(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ctx := context.Background()
	for _, id := range []int{3, 1, 2} {
		if _, err := b.store.SaveUpdate(ctx, testBot, int64(id), 12, messageJSON(id, 12)); err != nil {
			t.Fatal(err)
		}
	}
	// And a replica that died while handling one: its lease is still there, for now.
	if _, err := b.store.SaveUpdate(ctx, testBot, 10, 13, messageJSON(10, 13)); err != nil {
		t.Fatal(err)
	}
	if ok, err := b.store.AcquireLease(ctx, 13, "dead", time.Hour); err != nil || !ok {
		t.Fatalf("AcquireLease = %v, %v", ok, err)
	}

	in := b.newInbox(t, "a", inbox.Options{})
	runSweeper(t, in)
	waitFor(t, "the sweeper to handle them", func() bool { return len(b.bot.handled(12)) == 3 })
	if got := b.bot.handled(12); !equalInts(got, []int{1, 2, 3}) {
		t.Errorf("handled %v, want [1 2 3]", got)
	}
	if got := b.bot.handled(13); len(got) != 0 {
		t.Errorf("handled %v of a chat another replica holds", got)
	}
	if _, err := b.pool.Exec(ctx, `UPDATE chat_leases SET expires_at = now() - interval '1 second' WHERE chat_key = 13`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the sweeper to take the chat once its lease ran out", func() bool { return len(b.bot.handled(13)) == 1 })
}

// sweepCounter is a replica's store that counts its sweeps (StaleChats calls that
// returned).
type sweepCounter struct {
	*inboxstore.Store
	sweeps atomic.Int64
}

func (s *sweepCounter) StaleChats(ctx context.Context, botID int64, olderThan time.Duration, limit int) ([]int64, error) {
	defer s.sweeps.Add(1)
	return s.Store.StaleChats(ctx, botID, olderThan, limit)
}

// TestInbox_LongUpdate handles an update for longer than the lease TTL while another
// replica sweeps eagerly: the renewed lease keeps the chat with the first replica.
// The handler holds on until the lease as it was when the update started would have
// run out, and the other replica swept after that.
func TestInbox_LongUpdate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// Renewals, every third of it, succeed on a loaded machine.
	const ttl = 1500 * time.Millisecond
	other := &sweepCounter{Store: b.store}
	started := make(chan time.Time, 1)
	// holdOn returns once the database's clock passed expires and the other
	// replica began a sweep after that.
	holdOn := func(ctx context.Context, expires time.Time) error {
		deadline := time.Now().Add(waitLimit)
		for sweptAt := int64(-1); ; time.Sleep(10 * time.Millisecond) {
			if time.Now().After(deadline) {
				return errors.New("gave up waiting for the lease to outlive its TTL")
			}
			if sweptAt >= 0 {
				if other.sweeps.Load() >= sweptAt+2 {
					return nil
				}
				continue
			}
			var past bool
			if err := b.pool.QueryRow(ctx, `SELECT now() > $1`, expires).Scan(&past); err != nil {
				return err
			}
			if past {
				sweptAt = other.sweeps.Load()
			}
		}
	}
	b.bot.behave = func(ctx context.Context, u telego.Update, attempt int) error {
		if u.UpdateID != 1 {
			return nil
		}
		if attempt > 1 {
			t.Errorf("update 1 tried again (attempt %d) while a was handling it: the lease was not kept", attempt)
			return nil
		}
		ctx = context.WithoutCancel(ctx)
		var expires time.Time
		if err := b.pool.QueryRow(ctx, `SELECT expires_at FROM chat_leases WHERE chat_key = 3 AND holder = 'a'`).Scan(&expires); err != nil {
			t.Errorf("a's lease while it handles update 1: %v", err)
			return nil
		}
		// Update 2 comes while update 1 is handled: the other replica must leave it.
		if _, err := b.store.SaveUpdate(ctx, testBot, 2, 3, messageJSON(2, 3)); err != nil {
			t.Error(err)
		}
		started <- expires
		if err := holdOn(ctx, expires); err != nil {
			t.Error(err)
		}
		return nil
	}
	a := b.newInbox(t, "a", inbox.Options{LeaseTTL: ttl})
	received := make(chan error, 1)
	go func() { received <- a.Receive(context.Background(), decode(t, messageJSON(1, 3))) }()
	select {
	case <-started:
	case err := <-received:
		t.Fatalf("Receive returned %v before update 1 was handled", err)
	}
	runSweeper(t, inbox.New(other, b.bot, slog.New(slog.DiscardHandler), inbox.Options{
		BotID: testBot, Holder: "b", LeaseTTL: ttl, StaleAfter: time.Millisecond, SweepEvery: 10 * time.Millisecond,
		RetryBackoff: time.Nanosecond,
	}))
	if err := <-received; err != nil {
		t.Fatal(err)
	}
	waitFor(t, "both updates handled", func() bool { return len(b.bot.handled(3)) == 2 })
	if got := b.bot.handled(3); !equalInts(got, []int{1, 2}) {
		t.Errorf("handled %v, want [1 2]", got)
	}
	if b.bot.overlapped() || b.bot.attemptsOf(1) != 1 {
		t.Errorf("update 1 tried %d times, overlap %v: the lease was not kept", b.bot.attemptsOf(1), b.bot.overlapped())
	}
}

func TestInbox_StoreDown(t *testing.T) {
	t.Parallel()
	b := setup(t)
	in := b.newInbox(t, "a", inbox.Options{})
	srv := httptest.NewServer(in.Webhook(secret))
	defer srv.Close()
	b.pool.Close()
	if got := post(t, srv.URL, secret, messageJSON(1, 1)); got != http.StatusInternalServerError {
		t.Errorf("status = %d, want 500 so Telegram resends", got)
	}
	if got := b.bot.handled(1); len(got) != 0 {
		t.Errorf("handled %v without storing", got)
	}
}

// TestInbox_Poll serves getUpdates from a fake Bot API: every update is handled once,
// a redelivered one is not handled again, and each request confirms what was stored.
func TestInbox_Poll(t *testing.T) {
	t.Parallel()
	b := setup(t)
	api := newFakeGetUpdates([][]byte{
		messageJSON(100, 1), messageJSON(101, 2), messageJSON(102, 1),
	})
	srv := httptest.NewServer(api)
	defer srv.Close()
	bot := inbox.BotAPI{Caller: ta.HTTPCaller{Client: srv.Client()}, Server: srv.URL, Token: "123456:" + strings.Repeat("A", 35)}
	in := b.newInbox(t, "a", inbox.Options{PollTimeout: time.Second})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- in.Poll(ctx, bot, []string{"message"}) }()

	waitFor(t, "the first batch handled", func() bool { return len(b.bot.handled(1)) == 2 && len(b.bot.handled(2)) == 1 })
	// Telegram sends 101 again (our confirmation was lost) with a new one.
	api.add(messageJSON(101, 2), messageJSON(103, 2))
	waitFor(t, "the second batch handled", func() bool { return len(b.bot.handled(2)) == 2 })
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Poll: %v", err)
	}
	if got := b.bot.handled(1); !equalInts(got, []int{100, 102}) {
		t.Errorf("chat 1 handled %v, want [100 102]", got)
	}
	if got := b.bot.handled(2); !equalInts(got, []int{101, 103}) {
		t.Errorf("chat 2 handled %v, want [101 103]", got)
	}
	if got := api.lastOffset(); got != 104 {
		t.Errorf("last offset = %d, want 104", got)
	}
}

// fakeGetUpdates answers getUpdates like Telegram: the updates not yet confirmed by an
// offset above their id, oldest first; with none, it waits a little as a long poll
// does. An update added again after it was confirmed is sent again (a redelivery).
type fakeGetUpdates struct {
	mu      sync.Mutex
	pending []fakeUpdate
	offset  int
}

type fakeUpdate struct {
	id   int
	body []byte
	sent bool
}

func newFakeGetUpdates(updates [][]byte) *fakeGetUpdates {
	f := &fakeGetUpdates{}
	f.add(updates...)
	return f
}

func (f *fakeGetUpdates) add(updates ...[]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, body := range updates {
		var head struct {
			UpdateID int `json:"update_id"`
		}
		if err := json.Unmarshal(body, &head); err != nil {
			panic(err)
		}
		f.pending = append(f.pending, fakeUpdate{id: head.UpdateID, body: body})
	}
}

func (f *fakeGetUpdates) lastOffset() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.offset
}

func (f *fakeGetUpdates) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasSuffix(r.URL.Path, "/getUpdates") {
		http.Error(w, `{"ok":false,"error_code":404,"description":"Not Found"}`, http.StatusNotFound)
		return
	}
	var params struct {
		Offset int `json:"offset"`
	}
	json.NewDecoder(r.Body).Decode(&params)
	f.mu.Lock()
	f.offset = params.Offset
	var batch [][]byte
	var kept []fakeUpdate
	for _, u := range f.pending {
		if u.sent && u.id < params.Offset {
			continue // confirmed
		}
		u.sent = true
		batch = append(batch, u.body)
		kept = append(kept, u)
	}
	f.pending = kept
	f.mu.Unlock()
	if len(batch) == 0 {
		time.Sleep(20 * time.Millisecond)
	}
	// Written by hand: the updates go out byte for byte, as Telegram's would.
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"ok":true,"result":[%s]}`, bytes.Join(batch, []byte(",")))
}

func decode(t *testing.T, body []byte) telego.Update {
	t.Helper()
	var u telego.Update
	if err := json.Unmarshal(body, &u); err != nil {
		t.Fatal(err)
	}
	return u
}

// counter returns the sum of the counters name in reg whose labels include labels
// (kind, then reason).
func counter(t *testing.T, reg *prometheus.Registry, name string, labels ...string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"kind", "reason"}
	var sum float64
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for i, want := range labels {
				found := false
				for _, l := range m.GetLabel() {
					if l.GetName() == names[i] && l.GetValue() == want {
						found = true
					}
				}
				if !found {
					continue metrics
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}
