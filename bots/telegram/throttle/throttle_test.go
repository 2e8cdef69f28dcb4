package throttle_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mymmrac/telego"
	ta "github.com/mymmrac/telego/telegoapi"
	tu "github.com/mymmrac/telego/telegoutil"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram/throttle"
	"github.com/vitrina-shop/vitrina/workers/ratelimit"
)

// The limiter of the workers is what production wires in.
var _ throttle.Limiter = (*ratelimit.Limiter)(nil)

const (
	redisAddr = "127.0.0.1:6379"
	testToken = "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghi"
)

// env is a sandbox Bot API server, a limiter on the real Redis under a key prefix of
// the test's own, and a telego client whose calls go through a throttle.Caller.
type env struct {
	srv     *sandbox.Server
	rdb     *redis.Client
	prefix  string // of the limiter's keys
	limiter *ratelimit.Limiter
	caller  *throttle.Caller
	api     *telego.Bot
	reg     *prometheus.Registry
	log     *syncBuffer
}

type envOptions struct {
	limits   ratelimit.Limits
	sandbox  sandbox.Config
	throttle throttle.Options
	// redisAddr, when set, is where the limiter finds Redis (a proxy the test can cut).
	redisAddr string
}

func setup(t testing.TB, o envOptions) *env {
	t.Helper()
	rdb, prefix := newRedis(t, redisAddr)
	limRDB := rdb
	if o.redisAddr != "" {
		limRDB, _ = newRedis(t, o.redisAddr)
	}
	e := &env{rdb: rdb, prefix: prefix, reg: prometheus.NewRegistry(), log: &syncBuffer{}}
	e.limiter = ratelimit.New(limRDB, o.limits, ratelimit.Options{KeyPrefix: prefix})

	o.sandbox.Token = testToken
	e.srv = sandbox.New(o.sandbox)
	hs := httptest.NewServer(e.srv)
	t.Cleanup(hs.Close)
	t.Cleanup(e.srv.Close)

	o.throttle.Registerer = e.reg
	o.throttle.Log = slog.New(slog.NewJSONHandler(e.log, nil))
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	e.caller = throttle.New(ta.HTTPCaller{Client: client}, e.limiter, o.throttle)
	api, err := telego.NewBot(testToken, telego.WithAPIServer(hs.URL), telego.WithAPICaller(e.caller), telego.WithDiscardLogger())
	if err != nil {
		t.Fatal(err)
	}
	e.api = api
	return e
}

// newRedis returns a client of its own and a key prefix unique to the test; every key
// under the prefix is deleted when the test ends.
func newRedis(t testing.TB, addr string) (*redis.Client, string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rdb.Close() })
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		t.Fatal(err)
	}
	prefix := "vitrina:test:throttle:" + hex.EncodeToString(b[:]) + ":"
	if addr != redisAddr {
		return rdb, prefix
	}
	if err := rdb.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("redis at %s: %v", addr, err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
	return rdb, prefix
}

// users adds n users who started the bot.
func (e *env) users(n int) []*sandbox.User {
	out := make([]*sandbox.User, n)
	for i := range out {
		out[i] = e.srv.NewUser(sandbox.UserSpec{StartedBot: true})
	}
	return out
}

// reply sends a message as the bot does while handling an update.
func (e *env) reply(ctx context.Context, chat int64, text string) error {
	_, err := e.api.SendMessage(throttle.Replies(ctx), tu.Message(tu.ID(chat), text))
	return err
}

// chatHeldFor returns how long from now (Redis's clock) the limiter's bucket of chat
// runs: how long the chat is held, give or take its burst.
func (e *env) chatHeldFor(t *testing.T, chat int64) time.Duration {
	t.Helper()
	ctx := context.Background()
	v, err := e.rdb.Get(ctx, e.prefix+"{rl}:chat:"+strconv.FormatInt(chat, 10)).Result()
	if errors.Is(err, redis.Nil) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	tat, err := strconv.ParseFloat(v, 64)
	if err != nil {
		t.Fatal(err)
	}
	now, err := e.rdb.Time(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	return time.Duration(tat-float64(now.UnixMicro())) * time.Microsecond
}

// tooMany counts the calls the sandbox refused with 429.
func (e *env) tooMany() int {
	n := 0
	for _, c := range e.srv.Calls() {
		if c.Err != nil && c.Err.Code == http.StatusTooManyRequests {
			n++
		}
	}
	return n
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// api429 returns the Bot API error in err if it is a 429.
func api429(err error) (*ta.Error, bool) {
	apiErr, ok := errors.AsType[*ta.Error](err)
	return apiErr, ok && apiErr.ErrorCode == http.StatusTooManyRequests
}

// Many chats answered at once: every reply arrives, and Telegram's limits (the
// sandbox's rate limiter, overall and per chat) refuse none, because every reply
// waited for its slot in the shared buckets. Without the throttle about a third of
// them are refused.
//
// The overall rate is about seven times Telegram's, to keep the test short;
// Telegram's tolerance of about a second of messages stays a second (its burst
// grows with the rate), as the jitter between taking a slot and arriving at the
// server does not shrink with the rate. Per chat the limits are Telegram's.
func TestCaller_ManyChats(t *testing.T) {
	const (
		chats   = 200
		replies = 3 // per chat: past the chat's burst
		global  = 200
		perChat = 1
	)
	e := setup(t, envOptions{
		limits: ratelimit.Limits{Global: global, PerChat: perChat, PerChatBurst: throttle.ChatBurst},
		sandbox: sandbox.Config{Limiter: sandbox.NewRateLimiter(sandbox.RateLimits{
			PerChat: sandbox.Rate{Events: perChat, Per: time.Second, Burst: 3},
			Global:  sandbox.Rate{Events: global, Per: time.Second, Burst: global},
		})},
	})
	users := e.users(chats)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()

	var wg sync.WaitGroup
	errs := make(chan error, chats*replies)
	// Every chat at once; in a chat one reply after the other, as the inbox handles
	// a chat's updates in order and the bot makes an update's calls in turn. A reply
	// refused with 429 (by Telegram, or by the throttle when its slot is too far off)
	// is made again after retry_after, as the inbox tries its update again.
	for _, u := range users {
		wg.Go(func() {
			for i := range replies {
				for {
					err := e.reply(ctx, u.ID(), fmt.Sprintf("reply %d", i))
					apiErr, ok := errors.AsType[*ta.Error](err)
					if err == nil || !ok || apiErr.ErrorCode != http.StatusTooManyRequests || apiErr.Parameters == nil {
						if err != nil {
							errs <- fmt.Errorf("chat %d reply %d: %w", u.ID(), i, err)
						}
						break
					}
					select {
					case <-time.After(time.Duration(apiErr.Parameters.RetryAfter) * time.Second):
					case <-ctx.Done():
						errs <- fmt.Errorf("chat %d reply %d: %w", u.ID(), i, ctx.Err())
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, u := range users {
		got := 0
		for _, m := range u.Messages() {
			if m.FromBot {
				got++
			}
		}
		if got != replies {
			t.Errorf("chat %d got %d replies, want %d", u.ID(), got, replies)
		}
	}
	// Scheduling jitter between taking a slot and reaching the server may bunch a
	// few calls; they are retried after retry_after.
	refused := e.tooMany()
	t.Logf("%d replies, %d refused with 429", chats*replies, refused)
	if max := chats * replies / 100; refused > max {
		t.Errorf("Telegram refused %d replies with 429, want at most %d", refused, max)
	}
}

func TestCaller_429(t *testing.T) {
	t.Run("ShortRetryAfterIsWaitedAndRetriedOnce", func(t *testing.T) {
		// The global rate is far out of reach, so that only the chat's bucket makes a reply
		// wait (at 300/s, two replies a millisecond apart would wait for the global slot).
		e := setup(t, envOptions{limits: ratelimit.Limits{Global: 1e6, PerChatBurst: throttle.ChatBurst}.Scale(10)})
		u := e.users(1)[0]
		e.srv.FailNext("sendMessage", http.StatusTooManyRequests, "", 1)
		if err := e.reply(context.Background(), u.ID(), "hello"); err != nil {
			t.Fatalf("reply after a short 429: %v", err)
		}
		calls := e.srv.CallsTo("sendMessage")
		if len(calls) != 2 || calls[0].Err == nil || calls[0].Err.Code != 429 || calls[1].Err != nil {
			t.Fatalf("calls %+v, want a 429 then a success", calls)
		}
		// The 429 was shared through Redis: the global rate runs slower for a while.
		if n, err := e.rdb.Exists(context.Background(), e.prefix+"{rl}:slow").Result(); err != nil || n != 1 {
			t.Errorf("slowdown key after a 429: %d, %v; want it set by Backoff", n, err)
		}
		if got := value(t, e.reg, "vitrina_reply_429_total", "retried"); got != 1 {
			t.Errorf("vitrina_reply_429_total{outcome=retried} = %v, want 1", got)
		}
	})

	t.Run("SecondRefusalIsReturned", func(t *testing.T) {
		// The global rate is far out of reach, so that only the chat's bucket makes a reply
		// wait (at 300/s, two replies a millisecond apart would wait for the global slot).
		e := setup(t, envOptions{limits: ratelimit.Limits{Global: 1e6, PerChatBurst: throttle.ChatBurst}.Scale(10)})
		u := e.users(1)[0]
		e.srv.FailNext("sendMessage", http.StatusTooManyRequests, "", 1)
		e.srv.FailNext("sendMessage", http.StatusTooManyRequests, "", 30)
		err := e.reply(context.Background(), u.ID(), "hello")
		apiErr, ok := api429(err)
		if !ok || apiErr.Parameters == nil || apiErr.Parameters.RetryAfter != 30 {
			t.Fatalf("reply refused twice: %v, want Telegram's second 429 (retry after 30)", err)
		}
		if n := len(e.srv.CallsTo("sendMessage")); n != 2 {
			t.Errorf("sendMessage called %d times, want 2 (one retry)", n)
		}
		// Every replica and the sender hold the chat for retry_after.
		if held := e.chatHeldFor(t, u.ID()); held < 25*time.Second {
			t.Errorf("chat held for %v after a 429 with retry_after 30", held)
		}
	})

	t.Run("LongRetryAfterIsReturned", func(t *testing.T) {
		// The global rate is far out of reach, so that only the chat's bucket makes a reply
		// wait (at 300/s, two replies a millisecond apart would wait for the global slot).
		e := setup(t, envOptions{limits: ratelimit.Limits{Global: 1e6, PerChatBurst: throttle.ChatBurst}.Scale(10)})
		u := e.users(1)[0]
		e.srv.FailNext("sendMessage", http.StatusTooManyRequests, "", 30)
		err := e.reply(context.Background(), u.ID(), "hello")
		if _, ok := api429(err); !ok {
			t.Fatalf("reply refused with retry_after 30: %v, want the 429", err)
		}
		if n := len(e.srv.CallsTo("sendMessage")); n != 1 {
			t.Errorf("sendMessage called %d times, want 1: a long retry_after is the inbox's to wait", n)
		}
		if held := e.chatHeldFor(t, u.ID()); held < 25*time.Second {
			t.Errorf("chat held for %v after a 429 with retry_after 30", held)
		}
		if got := value(t, e.reg, "vitrina_reply_429_total", "returned"); got != 1 {
			t.Errorf("vitrina_reply_429_total{outcome=returned} = %v, want 1", got)
		}

		// The next reply in the held chat is not sent to be refused again, nor held
		// for half a minute: its slot is beyond MaxWait, so it is answered 429 at once.
		err = e.reply(context.Background(), u.ID(), "again")
		apiErr, ok := api429(err)
		if !ok || apiErr.Parameters == nil || apiErr.Parameters.RetryAfter < 25 {
			t.Fatalf("reply to a held chat: %v, want a 429 with the hold's retry_after", err)
		}
		if n := len(e.srv.CallsTo("sendMessage")); n != 1 {
			t.Errorf("sendMessage called %d times, want still 1", n)
		}

		// A message of the sender (not marked as a reply) is not held here: the
		// sender took its slot itself.
		if _, err := e.api.SendMessage(context.Background(), tu.Message(tu.ID(u.ID()), "from the sender")); err != nil {
			t.Errorf("unmarked call: %v", err)
		}
	})
}

// A reply whose slot lies beyond the handling's deadline is answered 429 at once,
// without calling Telegram.
func TestCaller_SlotBeyondDeadline(t *testing.T) {
	e := setup(t, envOptions{throttle: throttle.Options{MaxWait: time.Hour}})
	u := e.users(1)[0]
	if err := e.limiter.Backoff(context.Background(), u.ID(), false, 20*time.Second); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := e.reply(ctx, u.ID(), "late")
	apiErr, ok := api429(err)
	if !ok || apiErr.Parameters == nil || apiErr.Parameters.RetryAfter < 15 {
		t.Fatalf("reply whose slot is 20 s away, 5 s before the deadline: %v, want a 429 with the wait", err)
	}
	if ctx.Err() != nil {
		t.Error("the reply waited for its deadline instead of answering at once")
	}
	if n := len(e.srv.CallsTo("sendMessage")); n != 0 {
		t.Errorf("sendMessage called %d times, want 0", n)
	}
}

// Calls that are not replies, or not messages, pass through without a slot.
func TestCaller_PassesThrough(t *testing.T) {
	e := setup(t, envOptions{})
	u := e.users(1)[0]
	// Hold the chat: any paced call to it would wait (or be refused at once).
	if err := e.limiter.Backoff(context.Background(), u.ID(), false, time.Minute); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := e.api.SendMessage(ctx, tu.Message(tu.ID(u.ID()), "sender's")); err != nil {
		t.Errorf("sendMessage outside a reply: %v", err)
	}
	if err := e.api.SendChatAction(throttle.Replies(ctx), tu.ChatAction(tu.ID(u.ID()), telego.ChatActionTyping)); err != nil {
		t.Errorf("sendChatAction in a reply: %v", err)
	}
	if _, err := e.api.GetMe(throttle.Replies(ctx)); err != nil {
		t.Errorf("getMe in a reply: %v", err)
	}
}

// A multipart upload (sendDocument with a file) is paced by the chat_id among its
// fields, and arrives whole.
func TestCaller_Multipart(t *testing.T) {
	e := setup(t, envOptions{limits: ratelimit.Limits{PerChatBurst: throttle.ChatBurst}})
	u := e.users(1)[0]
	data := bytes.Repeat([]byte("sku;name;stock\n"), 2000)
	_, err := e.api.SendDocument(throttle.Replies(context.Background()),
		tu.Document(tu.ID(u.ID()), tu.FileFromBytes(data, "stock.csv")))
	if err != nil {
		t.Fatalf("sendDocument: %v", err)
	}
	if held := e.chatHeldFor(t, u.ID()); held <= 0 {
		t.Error("no slot taken in the chat for a multipart reply")
	}
	m := u.LastBotMessage()
	if m.Document == nil {
		t.Fatalf("last bot message %+v, want the document", m)
	}
	got, _, ok := e.srv.FileData(m.Document.FileID)
	if !ok || !bytes.Equal(got, data) {
		t.Errorf("document arrived with %d bytes, want %d", len(got), len(data))
	}

	// Held by a 429, the chat is held for multipart replies too.
	if err := e.limiter.Backoff(context.Background(), u.ID(), false, time.Minute); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err = e.api.SendDocument(throttle.Replies(ctx), tu.Document(tu.ID(u.ID()), tu.FileFromBytes(data, "stock.csv")))
	if _, ok := api429(err); !ok {
		t.Errorf("multipart reply to a held chat: %v, want a 429", err)
	}
}

// Without Redis, replies go out unpaced (serving needs only PostgreSQL); the
// outage is logged once when it starts and once when it ends, and counted.
func TestCaller_RedisDown(t *testing.T) {
	proxy := newProxy(t, redisAddr)
	e := setup(t, envOptions{
		limits:    ratelimit.Limits{PerChatBurst: throttle.ChatBurst},
		redisAddr: proxy.addr(),
		throttle:  throttle.Options{ProbeInterval: 50 * time.Millisecond, RedisTimeout: 200 * time.Millisecond},
	})
	u := e.users(1)[0]
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := e.reply(ctx, u.ID(), "paced"); err != nil {
		t.Fatal(err)
	}

	proxy.setDown(true)
	const n = 10 // far past the chat's burst of 3: paced, they would wait seconds
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			if err := e.reply(ctx, u.ID(), fmt.Sprintf("unpaced %d", i)); err != nil {
				t.Errorf("reply while Redis is down: %v", err)
			}
		})
	}
	wg.Wait()
	if got := value(t, e.reg, "vitrina_reply_unthrottled_total", ""); got < n {
		t.Errorf("vitrina_reply_unthrottled_total = %v, want at least %d", got, n)
	}
	if got := value(t, e.reg, "vitrina_reply_throttle_redis_down", ""); got != 1 {
		t.Errorf("vitrina_reply_throttle_redis_down = %v during the outage, want 1", got)
	}

	proxy.setDown(false)
	i := 0
	waitFor(t, "the throttle to see Redis back", func() bool {
		i++
		if err := e.reply(ctx, u.ID(), fmt.Sprintf("after %d", i)); err != nil {
			t.Fatal(err)
		}
		return value(t, e.reg, "vitrina_reply_throttle_redis_down", "") == 0
	})
	if down, back := e.log.count("Redis unreachable"), e.log.count("Redis is back"); down != 1 || back != 1 {
		t.Errorf("logged the outage %d times and its end %d times, want once each:\n%s", down, back, e.log)
	}
	if held := e.chatHeldFor(t, u.ID()); held <= 0 {
		t.Error("no slot taken after Redis came back")
	}
}

// Handler hands the update to the bot under Replies, in ctx and in u.Context().
func TestHandler(t *testing.T) {
	var got, gotU bool
	h := throttle.Handler(handlerFunc(func(ctx context.Context, u telego.Update) error {
		got, gotU = throttle.IsReplies(ctx), throttle.IsReplies(u.Context())
		return nil
	}))
	if err := h.HandleUpdate(context.Background(), telego.Update{UpdateID: 1}); err != nil {
		t.Fatal(err)
	}
	if !got || !gotU {
		t.Errorf("marked: ctx %v, u.Context() %v; want both", got, gotU)
	}
	if throttle.IsReplies(context.Background()) {
		t.Error("an unmarked context reads as replies")
	}
}

type handlerFunc func(ctx context.Context, u telego.Update) error

func (f handlerFunc) HandleUpdate(ctx context.Context, u telego.Update) error { return f(ctx, u) }

// BenchmarkCaller measures what the Caller adds to a call (the next caller answers at
// once): nothing for calls that are not replies; reading chat_id and one script run
// in Redis for a reply.
func BenchmarkCaller(b *testing.B) {
	rdb, prefix := newRedis(b, redisAddr)
	lim := ratelimit.New(rdb, ratelimit.Limits{Global: 1e9, PerChat: 1e9}, ratelimit.Options{KeyPrefix: prefix})
	c := throttle.New(okCaller{}, lim, throttle.Options{})
	body := []byte(`{"chat_id":123456789,"text":"Your order 1042 is paid. Thank you!","parse_mode":"HTML",` +
		`"reply_markup":{"inline_keyboard":[[{"text":"Orders","callback_data":"orders:1"},{"text":"Catalog","callback_data":"cat:0"}]]}}`)
	data := &ta.RequestData{ContentType: ta.ContentTypeJSON, BodyRaw: body}
	url := "http://api/bot" + testToken + "/sendMessage"
	run := func(b *testing.B, ctx context.Context) {
		for b.Loop() {
			if _, err := c.Call(ctx, url, data); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.Run("NotReply", func(b *testing.B) { run(b, context.Background()) })
	b.Run("Reply", func(b *testing.B) { run(b, throttle.Replies(context.Background())) })
}

type okCaller struct{}

func (okCaller) Call(context.Context, string, *ta.RequestData) (*ta.Response, error) {
	return &ta.Response{Ok: true, Result: []byte(`true`)}, nil
}

// value reads the counter or gauge name from reg: the series whose only label has
// the value label, or the unlabelled one when label is "". Absent: 0.
func value(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			if label == "" || (len(m.GetLabel()) == 1 && m.GetLabel()[0].GetValue() == label) {
				return m.GetCounter().GetValue() + m.GetGauge().GetValue()
			}
		}
	}
	return 0
}

// syncBuffer is a log sink safe for concurrent writes.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *syncBuffer) count(s string) int { return strings.Count(b.String(), s) }

// proxy forwards TCP connections to Redis until it is set down: then it cuts the open
// ones and refuses new ones, as a Redis that went away.
type proxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	down  bool
	conns map[net.Conn]struct{}
}

func newProxy(t *testing.T, target string) *proxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	t.Cleanup(func() {
		ln.Close()
		p.setDown(true)
	})
	go p.serve()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		down := p.down
		p.mu.Unlock()
		if down {
			c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = struct{}{}, struct{}{}
		p.mu.Unlock()
		go func() { io.Copy(up, c); up.Close() }()
		go func() { io.Copy(c, up); c.Close() }()
	}
}

func (p *proxy) setDown(down bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = down
	if down {
		for c := range p.conns {
			c.Close()
		}
		clear(p.conns)
	}
}

// BeforeWait's function runs before a reply waits for its slot (the bot answers a
// pressed button there), and not for a reply that goes at once.
func TestCaller_BeforeWait(t *testing.T) {
	// The global rate is far out of reach, so that only the chat's bucket makes a reply
	// wait (at 300/s, two replies a millisecond apart would wait for the global slot).
	e := setup(t, envOptions{limits: ratelimit.Limits{Global: 1e6, PerChatBurst: throttle.ChatBurst}.Scale(10)})
	u := e.users(1)[0]
	var calls []int // sendMessage calls Telegram had when fn ran
	ctx := throttle.BeforeWait(context.Background(), func() {
		calls = append(calls, len(e.srv.CallsTo("sendMessage")))
	})
	// Replies in a row outrun the chat's rate after its burst: one of them waits.
	for i := 0; len(calls) == 0; i++ {
		if i == 50 {
			t.Fatal("no reply waited for its slot")
		}
		before := len(e.srv.CallsTo("sendMessage"))
		if err := e.reply(ctx, u.ID(), fmt.Sprint("reply ", i)); err != nil {
			t.Fatal(err)
		}
		if len(calls) == 0 {
			continue
		}
		if i < throttle.ChatBurst {
			t.Errorf("reply %d within the burst waited", i)
		}
		if len(calls) != 1 || calls[0] != before {
			t.Errorf("fn ran at %v, want once, before the waiting reply reached Telegram (after %d calls)", calls, before)
		}
	}
}
