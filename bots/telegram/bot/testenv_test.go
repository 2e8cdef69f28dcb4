package bot

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram"
	"github.com/vitrina-shop/vitrina/bots/telegram/inbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/broadcast"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/orphan"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/groupbuystore"
	"github.com/vitrina-shop/vitrina/core/postgres/inboxstore"
	"github.com/vitrina-shop/vitrina/core/postgres/livestore"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/core/postgres/teamstore"
	"github.com/vitrina-shop/vitrina/core/review"
	"github.com/vitrina-shop/vitrina/core/teambuy"
	"github.com/vitrina-shop/vitrina/core/user"
)

// The end-to-end harness: a real PostgreSQL database (pgtest), the real services on
// their PostgreSQL stores, the fake Bot API (sandbox) on httptest, telego pointed at
// it, the bot, and the inbox's webhook handler on httptest with a secret. Tests act
// as users through the sandbox and assert on the recorded Bot API calls, the chats
// and the database.

const (
	testToken         = "123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr" // 35 characters after the colon
	testBotUsername   = "vitrina_test_bot"
	testWebhookSecret = "test-secret_123"
	testProviderToken = "284685063:TEST:platform-default"
)

// testEnv is one bot with its world.
type testEnv struct {
	t       *testing.T
	ctx     context.Context
	clock   *core.FakeClock
	pool    *pgxpool.Pool
	catalog *catalog.Service
	orders  *order.Service
	orphans *orphan.Service
	users   *user.Service
	reviews *review.Service
	casts   *broadcast.Service
	live    *live.Service
	groups  *groupbuy.Service
	teams   *teambuy.Service
	tg      *sandbox.Server
	api     *telego.Bot
	bot     *Bot
	deps    telegram.Deps // what bot was made of
	inbox   *inbox.Inbox
	webhook string // the webhook's URL
	logs    *logRecorder

	// stopInbox stops the inbox's webhook server and background drains.
	stopInbox func()
}

// testEnvOptions changes what newTestEnv builds.
type testEnvOptions struct {
	operators []core.UserID
	// providerToken is the platform default card provider token; "" for none.
	providerToken string
}

// newTestEnv builds the world for one test; everything is closed when it ends.
func newTestEnv(t *testing.T, opts ...func(*testEnvOptions)) *testEnv {
	t.Helper()
	o := testEnvOptions{providerToken: testProviderToken}
	for _, fn := range opts {
		fn(&o)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)

	pool, _ := pgtest.NewDB(t)
	clock := core.NewFakeClock(time.Now().UTC().Truncate(time.Second))
	logs := &logRecorder{}
	log := slog.New(logs.handler(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo})))

	var env *testEnv
	tg := sandbox.New(sandbox.Config{Token: testToken, BotUsername: testBotUsername, InlineFeedback: true,
		// An acting call (Send, PressButton, ...) returns once the bot handled the update
		// it made: the webhook answers before handling.
		Delivered: func(id int) { env.inbox.WaitSettled(ctx, int64(id)) },
	})
	apiServer := httptest.NewServer(tg)
	t.Cleanup(apiServer.Close)
	t.Cleanup(tg.Close)

	api, err := telego.NewBot(testToken,
		telego.WithAPIServer(apiServer.URL),
		telego.WithHTTPClient(&http.Client{Timeout: 30 * time.Second}),
		telego.WithDiscardLogger(),
	)
	if err != nil {
		t.Fatalf("telego: %v", err)
	}
	me, err := api.GetMe(ctx)
	if err != nil {
		t.Fatalf("getMe: %v", err)
	}

	env = &testEnv{
		t:       t,
		ctx:     ctx,
		clock:   clock,
		pool:    pool,
		catalog: catalog.NewService(postgres.NewCatalog(pool), clock, o.operators),
		orders:  order.NewService(postgres.NewOrders(pool), clock),
		orphans: orphan.NewService(postgres.NewOrphans(pool), clock, o.operators),
		users:   user.NewService(postgres.NewUsers(pool), clock),
		reviews: review.NewService(postgres.NewReviews(pool), clock, o.operators),
		casts:   broadcast.NewService(postgres.NewBroadcasts(pool), clock),
		tg:      tg,
		api:     api,
		logs:    logs,
	}
	env.live = live.NewService(livestore.New(pool), env.orders, clock, 0)
	env.groups = groupbuy.NewService(groupbuystore.New(pool), env.orders, clock)
	env.teams = teambuy.NewService(teamstore.New(pool), env.orders, env.catalog, clock)
	env.deps = telegram.Deps{
		GroupBuys:     env.groups,
		Teams:         env.teams,
		API:           api,
		Catalog:       env.catalog,
		Orders:        env.orders,
		Orphans:       env.orphans,
		Users:         env.users,
		Reviews:       env.reviews,
		Broadcasts:    env.casts,
		Live:          env.live,
		Taps:          live.NewGate(env.live.Tap, 0),
		Dialogs:       postgres.NewDialogs(pool),
		Clock:         clock,
		Log:           log,
		Username:      me.Username,
		ProviderToken: o.providerToken,
		Operators:     o.operators,
	}
	env.bot, err = New(env.deps)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	env.startInbox(env.bot, log)
	return env
}

// startInbox serves a new inbox's webhook for h, with its background drains, in place
// of the one running, until the test ends. Failed updates are not retried in the
// background (the first sweep runs at the start only), as the tests expect.
func (e *testEnv) startInbox(h inbox.Handler, log *slog.Logger) {
	e.t.Helper()
	if e.stopInbox != nil {
		e.stopInbox()
	}
	opts := inbox.Options{BotID: inbox.BotID(testToken), MaxAttempts: 3, SweepEvery: time.Hour}
	if ex, ok := h.(interface {
		Express(ctx context.Context, body []byte) ([]byte, bool, error)
	}); ok {
		opts.Express = ex.Express // as cmd/vitrina wires it
	}
	in := inbox.New(inboxstore.New(e.pool), h, log, opts)
	ctx, cancel := context.WithCancel(context.WithoutCancel(e.ctx))
	done := make(chan struct{})
	go func() {
		defer close(done)
		in.RunSweeper(ctx)
	}()
	webhook := httptest.NewServer(in.Webhook(testWebhookSecret))
	var once sync.Once
	stop := func() {
		once.Do(func() {
			webhook.Close()
			cancel()
			<-done
		})
	}
	e.t.Cleanup(stop)
	e.inbox, e.webhook, e.stopInbox = in, webhook.URL, stop
	e.tg.SetWebhook(webhook.URL, testWebhookSecret)
}

// deliver sends messages the bot composed (what the sender does, without its
// queue and rate limits), failing the test on an error.
func (e *testEnv) deliver(msgs ...core.Message) {
	e.t.Helper()
	for _, m := range msgs {
		if err := m.Validate(); err != nil {
			e.t.Fatalf("compose: %v", err)
		}
		if err := e.bot.Deliver(e.ctx, m); err != nil {
			e.t.Fatalf("deliver %s: %v", m.Key, err)
		}
	}
}

// notifyOrder composes the messages of an order event and delivers them, as the
// worker's order:notify task and the sender do.
func (e *testEnv) notifyOrder(id core.OrderID, ev order.Event) error {
	msgs, err := e.bot.OrderMessages(e.ctx, id, ev)
	if err != nil {
		return err
	}
	e.deliver(msgs...)
	return nil
}

// requestCardRefund composes the card refund request of a payment and delivers
// it, as the refund task and the sender do.
func (e *testEnv) requestCardRefund(ch order.Charge) error {
	msgs, err := e.bot.CardRefundMessages(e.ctx, ch)
	if err != nil {
		return err
	}
	e.deliver(msgs...)
	return nil
}

// withOperators makes ids platform operators.
func withOperators(ids ...core.UserID) func(*testEnvOptions) {
	return func(o *testEnvOptions) { o.operators = ids }
}

// postUpdate posts an update to the webhook as Telegram would, for updates the
// sandbox cannot make (a payment arriving late); it returns the HTTP status.
func (e *testEnv) postUpdate(u telego.Update) int {
	e.t.Helper()
	body, err := json.Marshal(u)
	if err != nil {
		e.t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(e.ctx, http.MethodPost, e.webhook, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(inbox.SecretHeader, testWebhookSecret)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatalf("post update: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusOK {
		// The webhook answers once the update is stored; the bot handles it after.
		if err := e.inbox.WaitSettled(e.ctx, int64(u.UpdateID)); err != nil {
			e.t.Fatalf("wait for update %d: %v", u.UpdateID, err)
		}
	}
	return resp.StatusCode
}

// --- people ---

// shopper returns a new user whose Telegram speaks lang.
func (e *testEnv) shopper(name, lang string) *sandbox.User {
	return e.tg.NewUser(sandbox.UserSpec{FirstName: name, LanguageCode: lang})
}

// send sends text as u and fails the test if the webhook refused it.
func (e *testEnv) send(u *sandbox.User, text string) {
	e.t.Helper()
	if err := u.Send(e.ctx, text); err != nil {
		e.t.Fatalf("send %q: %v", text, err)
	}
}

// press taps the button labelled label on msg and returns the callback's answer.
func (e *testEnv) press(u *sandbox.User, msg sandbox.Message, label string) sandbox.CallbackAnswer {
	e.t.Helper()
	ans, err := u.PressButton(e.ctx, msg, label)
	if err != nil {
		e.t.Fatalf("press %q on message %d (%q, buttons %v): %v", label, msg.ID, msg.Body(), buttonLabels(msg), err)
	}
	return ans
}

// lastBot returns the bot's last message to u, failing if there is none.
func (e *testEnv) lastBot(u *sandbox.User) sandbox.Message {
	e.t.Helper()
	m := u.LastBotMessage()
	if m.ID == 0 {
		e.t.Fatal("the bot has sent nothing")
	}
	return m
}

// refresh returns msg as it is now (after edits).
func (e *testEnv) refresh(u *sandbox.User, msg sandbox.Message) sandbox.Message {
	e.t.Helper()
	for _, m := range u.Messages() {
		if m.ID == msg.ID {
			return m
		}
	}
	e.t.Fatalf("message %d is gone", msg.ID)
	return sandbox.Message{}
}

// lastInvoice returns the last invoice in u's chat.
func (e *testEnv) lastInvoice(u *sandbox.User) sandbox.Message {
	e.t.Helper()
	msgs := u.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Invoice != nil {
			return msgs[i]
		}
	}
	e.t.Fatal("no invoice in the chat")
	return sandbox.Message{}
}

// countInvoices returns how many invoices u's chat holds.
func countInvoices(u *sandbox.User) int {
	n := 0
	for _, m := range u.Messages() {
		if m.Invoice != nil {
			n++
		}
	}
	return n
}

// messageWith returns the last message of u's chat whose text contains s.
func (e *testEnv) messageWith(u *sandbox.User, s string) sandbox.Message {
	e.t.Helper()
	msgs := u.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].FromBot && strings.Contains(msgs[i].Body(), s) {
			return msgs[i]
		}
	}
	e.t.Fatalf("no bot message contains %q; last is %q", s, u.LastBotMessage().Body())
	return sandbox.Message{}
}

func buttonLabels(m sandbox.Message) []string {
	var out []string
	for _, b := range m.Buttons() {
		out = append(out, b.Text)
	}
	return out
}

// --- shops and products, made through the services as the seller side would ---

// seller returns a user who started the bot and owns a new shop.
func (e *testEnv) seller(name string, shop catalog.NewShop) (*sandbox.User, catalog.Shop) {
	e.t.Helper()
	u := e.tg.NewUser(sandbox.UserSpec{FirstName: name, LanguageCode: "ru"})
	e.send(u, "/help") // the seller is known to the bot and can be written to
	s, err := e.catalog.CreateShop(e.ctx, core.UserID(u.ID()), shop)
	if err != nil {
		e.t.Fatalf("create shop: %v", err)
	}
	return u, s
}

// starsShop opens a shop paid in Stars.
func (e *testEnv) starsShop(name string) (*sandbox.User, catalog.Shop) {
	return e.seller("Seller of "+name, catalog.NewShop{Name: name, Currency: core.Stars, PaymentMethod: catalog.PayStars})
}

// cardShop opens a shop paid by card in roubles, with its own provider token.
func (e *testEnv) cardShop(name string) (*sandbox.User, catalog.Shop) {
	return e.seller("Seller of "+name, catalog.NewShop{
		Name: name, Currency: "RUB", PaymentMethod: catalog.PayCard, ProviderToken: "381764678:TEST:shop-own",
	})
}

// bakery is a card shop, Пекарня, with one pickup point: Киоск, Ленина, 5,
// 10–20.
func (e *testEnv) bakery() (*sandbox.User, catalog.Shop, catalog.PickupPoint) {
	e.t.Helper()
	seller, shop := e.cardShop("Пекарня")
	kiosk, err := e.catalog.AddPickupPoint(e.ctx, core.UserID(seller.ID()), catalog.PickupPoint{
		ShopID: shop.ID, Name: "Киоск", Address: "Ленина, 5", Hours: "10–20",
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return seller, shop, kiosk
}

// product adds a product; variants are (name, price in minor units, stock).
func (e *testEnv) product(owner *sandbox.User, shop catalog.Shop, title, description string, variants ...catalog.NewVariant) catalog.Product {
	e.t.Helper()
	for i := range variants {
		variants[i].Price.Currency = shop.Currency
	}
	p, err := e.catalog.CreateProduct(e.ctx, core.UserID(owner.ID()), catalog.NewProduct{
		ShopID: shop.ID, Title: title, Description: description, Variants: variants,
	})
	if err != nil {
		e.t.Fatalf("create product %q: %v", title, err)
	}
	return p
}

// variant is a NewVariant of price amount (minor units) and stock.
func variant(name string, amount int64, stock int) catalog.NewVariant {
	return catalog.NewVariant{Name: name, Price: core.Money{Amount: amount}, Stock: stock}
}

// stock returns a variant's on hand and reserved stock.
func (e *testEnv) stock(id core.VariantID) (onHand, reserved int) {
	e.t.Helper()
	v, err := e.catalog.Variant(e.ctx, id)
	if err != nil {
		e.t.Fatalf("variant %d: %v", id, err)
	}
	return v.OnHand, v.Reserved
}

// buyerOrders returns u's orders, newest first.
func (e *testEnv) buyerOrders(u *sandbox.User) []order.Order {
	e.t.Helper()
	me := core.UserID(u.ID())
	os, _, err := e.orders.Orders(e.ctx, me, order.Filter{BuyerID: &me, Limit: 50})
	if err != nil {
		e.t.Fatalf("orders: %v", err)
	}
	return os
}

// --- logs ---

// logRecorder counts the records logged at error level, so tests can require that
// a path logged none.
type logRecorder struct {
	mu     sync.Mutex
	errors []string
}

func (l *logRecorder) handler(next slog.Handler) slog.Handler {
	return &recordingHandler{next: next, rec: l}
}

// errorsLogged returns the messages logged at error level.
func (l *logRecorder) errorsLogged() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.errors...)
}

type recordingHandler struct {
	next slog.Handler
	rec  *logRecorder
}

func (h *recordingHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelError || h.next.Enabled(ctx, l)
}

func (h *recordingHandler) Handle(ctx context.Context, r slog.Record) error {
	if r.Level >= slog.LevelError {
		msg := r.Message
		r.Attrs(func(a slog.Attr) bool {
			msg += " " + a.String()
			return true
		})
		h.rec.mu.Lock()
		h.rec.errors = append(h.rec.errors, msg)
		h.rec.mu.Unlock()
	}
	if h.next.Enabled(ctx, r.Level) {
		return h.next.Handle(ctx, r)
	}
	return nil
}

func (h *recordingHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return &recordingHandler{next: h.next.WithAttrs(as), rec: h.rec}
}

func (h *recordingHandler) WithGroup(name string) slog.Handler {
	return &recordingHandler{next: h.next.WithGroup(name), rec: h.rec}
}

// noErrorsLogged fails the test if anything was logged at error level.
func (e *testEnv) noErrorsLogged() {
	e.t.Helper()
	if errs := e.logs.errorsLogged(); len(errs) > 0 {
		e.t.Errorf("errors logged:\n%s", strings.Join(errs, "\n"))
	}
}
