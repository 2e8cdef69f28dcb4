package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/bots/telegram/inbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/livestore"
	"github.com/vitrina-shop/vitrina/core/user"
)

// `vitrina bench drop` measures a drop's taps the way they arrive in
// production: real `vitrina serve` processes behind one address, the webhook's
// HTTP request with its secret, PostgreSQL and Redis; this process plays
// Telegram, posting callback_query updates of a lot's Buy button and reading
// the answers the webhook writes in its responses. A tap counts when its
// response came back with answerCallbackQuery: the claim is committed by then.

const benchDropUsage = `usage: vitrina bench drop [flags]

Taps a drop's Buy button through real serve processes (the webhook, its secret,
PostgreSQL, Redis), in two phases: throughput (a lot with a unit for every tap)
and scarcity (few units, many shoppers tapping again and again, a per-buyer
limit). It also measures this machine's ceiling for the naive way (one UPDATE
per tap on the lot's row) and prints the ratio. It uses (and empties) its own
database and Redis database, given by the flags.
`

const (
	benchDropSecret = "bench-drop-secret"
	benchDropSeller = 4_900_001
	benchDropKOL    = 4_900_002
	benchDropChan   = -1_004_900_000
	benchShopper    = 6_000_000 // shoppers are this plus a number
)

func cmdBenchDrop(ctx context.Context, e *env, args []string) error {
	fs := e.flags("bench drop")
	fs.Usage = func() { fmt.Fprint(e.stderr, benchDropUsage); fs.PrintDefaults() }
	b := &dropBench{e: e}
	fs.IntVar(&b.taps, "taps", 20000, "taps in each phase")
	fs.IntVar(&b.shoppers, "shoppers", 64, "shoppers tapping at once in the throughput phase")
	fs.IntVar(&b.scarceShoppers, "scarce-shoppers", 256, "shoppers tapping at once in the scarcity phase")
	fs.IntVar(&b.units, "units", 500, "units of the scarcity phase's lot")
	fs.IntVar(&b.perBuyer, "per-buyer", 2, "the scarcity phase's per-buyer limit")
	fs.IntVar(&b.serves, "serve", 1, "serve processes")
	fs.IntVar(&b.killAfter, "kill-after", 0, "kill every serve process (SIGKILL) after this many taps of the scarcity phase, start them again, and check that the record and the answers agree")
	fs.BoolVar(&b.proxy, "proxy", false, "with several serve processes, put a round-robin proxy in front of them, in this process")
	fs.DurationVar(&b.hotRowFor, "hot-row", 5*time.Second, "how long to measure the naive hot-row UPDATE")
	fs.StringVar(&b.dbURL, "database-url", "postgres://postgres@127.0.0.1:5432/vitrina_bench_drop?sslmode=disable", "PostgreSQL database to create anew (its name must start with vitrina_bench)")
	fs.StringVar(&b.redisURL, "redis-url", "redis://127.0.0.1:6379/4", "Redis database to use and empty (not 0)")
	timeout := fs.Duration("timeout", 5*time.Minute, "give up after this long")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	switch {
	case b.taps < 100:
		return usageError{"--taps must be at least 100"}
	case b.shoppers < 1 || b.scarceShoppers < 1:
		return usageError{"--shoppers and --scarce-shoppers must be positive"}
	case b.units < 1 || b.perBuyer < 1:
		return usageError{"--units and --per-buyer must be positive"}
	case b.serves < 1 || b.serves > 8:
		return usageError{"--serve must be 1-8"}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	return b.run(ctx)
}

// dropBench is one run of the benchmark.
type dropBench struct {
	e              *env
	taps           int
	shoppers       int
	scarceShoppers int
	units          int
	perBuyer       int
	serves         int
	hotRowFor      time.Duration
	dbURL          string
	redisURL       string

	// proxy puts a round-robin proxy in front of several serve processes;
	// without it the taps are spread over them by the benchmark itself, as a
	// load balancer elsewhere would.
	proxy    bool
	webhooks []string
	// killAfter, when positive, kills every serve process after that many taps
	// of the scarcity phase, and starts them again.
	killAfter int
	apiURL    string
	out       io.Writer
	procsMu   sync.Mutex
	procs     []serveProc
	updateID  atomic.Int64
	client    *http.Client
}

func (b *dropBench) logf(format string, args ...any) { fmt.Fprintf(b.e.stdout, format+"\n", args...) }

func (b *dropBench) run(ctx context.Context) error {
	// Telegram's API for serve's start-up calls (getMe, setWebhook,
	// setMyCommands): the sandbox. The taps never call it: their answers are
	// the webhook's responses.
	tg := sandbox.New(sandbox.Config{Token: benchSandboxToken, BotUsername: "vitrina_bench_bot"})
	defer tg.Close()
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	apiSrv := &http.Server{Handler: tg, ReadHeaderTimeout: 10 * time.Second}
	go apiSrv.Serve(apiLn)
	defer apiSrv.Close()

	if _, err := freshDatabase(ctx, b.dbURL); err != nil {
		return err
	}
	rdb, queue, inspector, err := freshRedis(ctx, b.redisURL)
	if err != nil {
		return err
	}
	rdb.Close()
	queue.Close()
	inspector.Close()
	pool, err := postgres.Open(ctx, b.dbURL+"&pool_max_conns=64")
	if err != nil {
		return err
	}
	defer pool.Close()
	throughput, scarce, hot, err := b.world(ctx, pool)
	if err != nil {
		return fmt.Errorf("set up the drop: %w", err)
	}
	b.logf("bench drop: %d taps a phase, %d serve process(es); throughput: %d shoppers on a lot of %d; scarcity: %d shoppers on %d units, %d per buyer",
		b.taps, b.serves, b.shoppers, b.taps, b.scarceShoppers, b.units, b.perBuyer)

	b.apiURL, b.out = "http://"+apiLn.Addr().String(), &lockedWriter{w: b.e.stderr}
	stop, err := b.startServe(ctx, b.apiURL)
	if err != nil {
		return err
	}
	defer stop()
	b.client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		MaxIdleConnsPerHost: b.scarceShoppers, MaxConnsPerHost: b.scarceShoppers}}

	// Phase 1: every tap claims.
	p1, _ := b.phase(ctx, throughput, b.shoppers, func(i int) int64 { return int64(benchShopper + i) }, 0)
	rate := float64(p1.claimed) / p1.elapsed.Seconds()
	b.logf("throughput: %d taps in %.2f s: %.0f reservations/s, p50 %.1f ms, p99 %.1f ms, %d claimed, %d errors",
		p1.taps, p1.elapsed.Seconds(), rate, ms(p1.quantile(0.5)), ms(p1.quantile(0.99)), p1.claimed, p1.errors)

	// Phase 2: many shoppers, few units, each shopper tapping again and again.
	buyers := max(b.scarceShoppers*4, b.units)
	p2, answered := b.phase(ctx, scarce, b.scarceShoppers, func(i int) int64 { return int64(benchShopper + 1_000_000 + i%buyers) }, b.killAfter)
	var reserved, overLimit, left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM lot_claims WHERE lot_id = $1`, scarce).Scan(&reserved); err != nil {
		return err
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM (SELECT buyer_id FROM lot_claims WHERE lot_id = $1
		GROUP BY buyer_id HAVING count(*) > $2) x`, scarce, b.perBuyer).Scan(&overLimit); err != nil {
		return err
	}
	if err := pool.QueryRow(ctx, `SELECT remaining FROM lots WHERE id = $1`, scarce).Scan(&left); err != nil {
		return err
	}
	oversold := max(reserved-b.units, 0)
	if reserved+left != b.units || p2.claimed != reserved {
		b.logf("scarcity: the record disagrees: %d claims, %d left, %d answered claimed, %d units", reserved, left, p2.claimed, b.units)
		p2.errors++
	}
	if b.killAfter > 0 {
		// Every claim in PostgreSQL was answered "reserved" (in the end: a tap whose
		// answer the kill cut off was sent again and answered then), and no answer
		// "reserved" lacks its claim.
		rows, err := pool.Query(ctx, `SELECT tap_id FROM lot_claims WHERE lot_id = $1`, scarce)
		if err != nil {
			return err
		}
		recorded, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return err
		}
		disagree := len(answered) - len(recorded)
		if disagree < 0 {
			disagree = -disagree
		}
		for _, id := range recorded {
			if !answered[id] {
				disagree++
			}
		}
		b.logf("killed every serve process after %d taps and started them again (%d requests sent again): %d claims recorded, %d taps answered reserved, %d disagree",
			b.killAfter, p2.resent, len(recorded), len(answered), disagree)
		p2.errors += disagree
	}
	b.logf("scarcity: %d taps in %.2f s, p99 %.1f ms: %d of %d units reserved, %d answered claimed, %d over the limit, %d errors",
		p2.taps, p2.elapsed.Seconds(), ms(p2.quantile(0.99)), reserved, b.units, p2.claimed, overLimit, p2.errors)

	// The naive way, for scale.
	hotTPS, hotP99, err := b.hotRow(ctx, pool, hot)
	if err != nil {
		return err
	}
	b.logf("hot row: %.0f UPDATEs/s at 64 clients, p99 %.1f ms", hotTPS, ms(hotP99))
	b.logf("drop: reservations_per_s=%.0f p50_ms=%.1f p99_ms=%.1f hot_row_tps=%.0f ratio=%.2f scarce_reserved=%d stock=%d oversold=%d over_limit=%d errors=%d",
		rate, ms(p1.quantile(0.5)), ms(p1.quantile(0.99)), hotTPS, rate/hotTPS, reserved, b.units, oversold, overLimit, p1.errors+p2.errors)
	return nil
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// world makes a Stars shop, a KOL with a channel and a live session, and
// three lots: one with a unit for every tap, the scarce one, and one for the
// hot-row measure.
func (b *dropBench) world(ctx context.Context, pool *pgxpool.Pool) (throughput, scarce, hot core.LotID, err error) {
	clock := core.SystemClock{}
	users := user.NewService(postgres.NewUsers(pool), clock)
	cat := catalog.NewService(postgres.NewCatalog(pool), clock, nil)
	drops := live.NewService(livestore.New(pool), order.NewService(postgres.NewOrders(pool), clock), clock, 0)
	for _, id := range []core.UserID{benchDropSeller, benchDropKOL} {
		if _, err := users.Touch(ctx, user.Seen{ID: id, FirstName: "Bench", TelegramLang: "ru"}); err != nil {
			return 0, 0, 0, err
		}
	}
	shop, err := cat.CreateShop(ctx, benchDropSeller, catalog.NewShop{Name: "Лавка Марины", Currency: core.Stars, PaymentMethod: catalog.PayStars})
	if err != nil {
		return 0, 0, 0, err
	}
	stock := b.taps + b.units + 1
	p, err := cat.CreateProduct(ctx, benchDropSeller, catalog.NewProduct{ShopID: shop.ID, Title: "Свеча «Хвоя»",
		Variants: []catalog.NewVariant{{Price: core.Money{Amount: 1500, Currency: core.Stars}, Stock: stock}}})
	if err != nil {
		return 0, 0, 0, err
	}
	inv, err := drops.Invite(ctx, benchDropSeller, shop.ID, 1500)
	if err != nil {
		return 0, 0, 0, err
	}
	if _, err := drops.Accept(ctx, benchDropKOL, inv.Token); err != nil {
		return 0, 0, 0, err
	}
	if _, err := drops.ConnectChannel(ctx, benchDropKOL, live.Channel{Chat: benchDropChan, Title: "Марина про свечи", CanPost: true}); err != nil {
		return 0, 0, 0, err
	}
	sess, err := drops.Schedule(ctx, benchDropKOL, live.Session{Shop: shop.ID, Channel: benchDropChan, Title: "Дроп", StartsAt: time.Now().Add(time.Minute)})
	if err != nil {
		return 0, 0, 0, err
	}
	v := p.Variants[0].ID
	if err := drops.Allocate(ctx, benchDropSeller, live.Allocation{Session: sess.ID, Variant: v,
		// The seller's limit caps a lot's: the throughput lot lets a shopper take
		// every unit, the scarce one b.perBuyer.
		Price: core.Money{Amount: 990, Currency: core.Stars}, Quantity: stock, PerBuyer: max(b.taps, b.perBuyer)}); err != nil {
		return 0, 0, 0, err
	}
	if _, err := drops.Open(ctx, benchDropKOL, sess.ID); err != nil {
		return 0, 0, 0, err
	}
	var ids []core.LotID
	for _, d := range []live.Drop{
		{Quantity: b.taps, PerBuyer: b.taps},
		{Quantity: b.units, PerBuyer: b.perBuyer},
		{Quantity: 1},
	} {
		d.Session, d.Variant, d.Duration = sess.ID, v, live.MaxLotDuration
		l, err := drops.Drop(ctx, benchDropKOL, d)
		if err != nil {
			return 0, 0, 0, err
		}
		ids = append(ids, l.ID)
	}
	return ids[0], ids[1], ids[2], nil
}

// serveProc is one serve process of the benchmark, at its address.
type serveProc struct {
	addr string
	cmd  *exec.Cmd
}

// startServe starts the serve processes, keeps the webhook addresses the taps go
// to (b.webhooks: each process's, or a proxy's in front of them), and returns
// what stops them.
func (b *dropBench) startServe(ctx context.Context, apiURL string) (func(), error) {
	var proxy *http.Server
	stop := func() {
		if proxy != nil {
			proxy.Close()
		}
		b.procsMu.Lock()
		procs := b.procs
		b.procsMu.Unlock()
		for _, p := range procs {
			p.cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, p := range procs {
			p.cmd.Wait()
		}
	}
	var backends []*url.URL
	for range b.serves {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			stop()
			return nil, err
		}
		addr := ln.Addr().String()
		ln.Close()
		p, err := b.startOne(ctx, apiURL, addr)
		if err != nil {
			stop()
			return nil, err
		}
		b.procsMu.Lock()
		b.procs = append(b.procs, p)
		b.procsMu.Unlock()
		backends = append(backends, &url.URL{Scheme: "http", Host: addr})
	}
	for _, u := range backends {
		if err := waitReady(ctx, u.String()+"/readyz"); err != nil {
			stop()
			return nil, err
		}
	}
	if len(backends) == 1 || !b.proxy {
		hooks := make([]string, len(backends))
		for i, u := range backends {
			hooks[i] = u.String() + "/telegram/webhook"
		}
		b.webhooks = hooks
		return stop, nil
	}
	// A load balancer in front, in this process: on a machine of two cores its
	// work takes from the serve processes'.
	var next atomic.Uint64
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(backends[next.Add(1)%uint64(len(backends))])
		},
		Transport: &http.Transport{MaxIdleConnsPerHost: b.scarceShoppers},
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stop()
		return nil, err
	}
	proxy = &http.Server{Handler: rp, ReadHeaderTimeout: 10 * time.Second}
	go proxy.Serve(ln)
	hook := "http://" + ln.Addr().String() + "/telegram/webhook"
	b.webhooks = []string{hook}
	return stop, nil
}

// startOne starts a serve process listening at addr.
func (b *dropBench) startOne(ctx context.Context, apiURL, addr string) (serveProc, error) {
	self, err := os.Executable()
	if err != nil {
		return serveProc{}, fmt.Errorf("find this binary: %w", err)
	}
	c := exec.CommandContext(ctx, self, "serve")
	c.Env = append(os.Environ(),
		"VITRINA_DATABASE_URL="+b.dbURL,
		"VITRINA_REDIS_URL="+b.redisURL,
		"VITRINA_TELEGRAM_TOKEN="+benchSandboxToken,
		"VITRINA_TELEGRAM_API_URL="+apiURL,
		"VITRINA_WEBHOOK_URL=http://"+addr+"/telegram/webhook",
		"VITRINA_WEBHOOK_SECRET="+benchDropSecret,
		"VITRINA_HTTP_ADDR="+addr,
		"VITRINA_LOG_LEVEL=warn",
		"VITRINA_CONFIG=",
	)
	c.Stdout, c.Stderr = b.out, b.out
	c.Cancel = func() error { return c.Process.Signal(syscall.SIGTERM) }
	c.WaitDelay = 15 * time.Second
	if err := c.Start(); err != nil {
		return serveProc{}, fmt.Errorf("start serve: %w", err)
	}
	return serveProc{addr: addr, cmd: c}, nil
}

// killAndRestart kills every serve process (SIGKILL: no chance to finish what it
// was doing) and starts each again at its address, as a supervisor would.
func (b *dropBench) killAndRestart(ctx context.Context, apiURL string) error {
	b.procsMu.Lock()
	defer b.procsMu.Unlock()
	for _, p := range b.procs {
		p.cmd.Process.Kill()
	}
	for i, p := range b.procs {
		p.cmd.Wait()
		np, err := b.startOne(ctx, apiURL, p.addr)
		if err != nil {
			return err
		}
		b.procs[i] = np
	}
	for _, p := range b.procs {
		if err := waitReady(ctx, "http://"+p.addr+"/readyz"); err != nil {
			return err
		}
	}
	return nil
}

// waitReady waits until url answers 200.
func waitReady(ctx context.Context, url string) error {
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("serve at %s not ready: %w", url, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// phaseResult is what a phase measured.
type phaseResult struct {
	taps, claimed, errors int
	resent                int // taps sent again after their request failed
	elapsed               time.Duration
	latencies             []time.Duration
}

func (p *phaseResult) quantile(q float64) time.Duration {
	if len(p.latencies) == 0 {
		return 0
	}
	return p.latencies[min(int(q*float64(len(p.latencies))), len(p.latencies)-1)]
}

// phase taps lot b.taps times from shoppers goroutines; shopper(i) is who taps
// the i-th time. A tap whose request fails (a serve process killed) is sent again,
// as Telegram does, the same update with the same callback query id, until it is
// answered. With kill set, every serve process is killed after kill taps and
// started again. claimedTaps are the callback query ids answered "reserved".
func (b *dropBench) phase(ctx context.Context, lot core.LotID, shoppers int, shopper func(i int) int64, kill int) (phaseResult, map[string]bool) {
	var next atomic.Int64
	var mu sync.Mutex
	res := phaseResult{latencies: make([]time.Duration, 0, b.taps)}
	claimedTaps := map[string]bool{}
	var killOnce sync.Once
	start := time.Now()
	var wg sync.WaitGroup
	for range shoppers {
		wg.Go(func() {
			var lat []time.Duration
			var errs, resent int
			var mine []string
			for {
				i := int(next.Add(1)) - 1
				if i >= b.taps || ctx.Err() != nil {
					break
				}
				if kill > 0 && i == kill {
					killOnce.Do(func() {
						go func() {
							if err := b.killAndRestart(ctx, b.apiURL); err != nil {
								b.logf("restart serve: %v", err)
							}
						}()
					})
				}
				id := b.updateID.Add(1)
				t0 := time.Now()
				for {
					ok, err := b.tap(ctx, lot, shopper(i), id)
					if err == nil {
						if ok {
							mine = append(mine, tapID(id))
						}
						break
					}
					if ctx.Err() != nil {
						errs++
						break
					}
					resent++
					time.Sleep(20 * time.Millisecond) // Telegram sends it again
				}
				lat = append(lat, time.Since(t0))
			}
			mu.Lock()
			res.latencies = append(res.latencies, lat...)
			res.errors += errs
			res.resent += resent
			for _, id := range mine {
				claimedTaps[id] = true
			}
			res.claimed += len(mine)
			mu.Unlock()
		})
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.taps = len(res.latencies)
	slices.Sort(res.latencies)
	return res, claimedTaps
}

// tapID is the callback query id of the update id.
func tapID(id int64) string { return "bench-" + strconv.FormatInt(id, 10) }

// tap posts update id, a tap on lot's Buy button by buyer, as Telegram would (to
// the serve processes in turn), and reports whether the answer says the unit is
// theirs.
func (b *dropBench) tap(ctx context.Context, lot core.LotID, buyer, id int64) (bool, error) {
	webhook := b.webhooks[int(id)%len(b.webhooks)]
	u := telego.Update{UpdateID: int(id), CallbackQuery: &telego.CallbackQuery{
		ID:           tapID(id),
		From:         telego.User{ID: buyer, FirstName: "Покупатель", LanguageCode: "ru"},
		ChatInstance: "bench",
		Data:         "lb:" + strconv.FormatInt(int64(lot), 10),
	}}
	body, err := json.Marshal(u)
	if err != nil {
		return false, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, webhook, bytes.NewReader(body))
	if err != nil {
		return false, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(inbox.SecretHeader, benchDropSecret)
	resp, err := b.client.Do(req)
	if err != nil {
		return false, err
	}
	answer, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return false, err
	}
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("webhook: %s", resp.Status)
	}
	var a struct {
		Method string `json:"method"`
		Text   string `json:"text"`
		URL    string `json:"url"`
	}
	if err := json.Unmarshal(answer, &a); err != nil || a.Method != "answerCallbackQuery" {
		return false, errors.New("the webhook did not answer the tap")
	}
	return strings.Contains(a.URL, "start=lot_"), nil
}

// hotRow measures the naive way: one UPDATE of the lot's row per tap, from 64
// connections, for b.hotRowFor.
func (b *dropBench) hotRow(ctx context.Context, pool *pgxpool.Pool, lot core.LotID) (float64, time.Duration, error) {
	if _, err := pool.Exec(ctx, `UPDATE lots SET quantity = 1000000000, remaining = 1000000000 WHERE id = $1`, lot); err != nil {
		return 0, 0, err
	}
	deadline := time.Now().Add(b.hotRowFor)
	var mu sync.Mutex
	var lat []time.Duration
	var failed error
	var wg sync.WaitGroup
	start := time.Now()
	for range 64 {
		wg.Go(func() {
			var mine []time.Duration
			for time.Now().Before(deadline) && ctx.Err() == nil {
				t0 := time.Now()
				if _, err := pool.Exec(ctx, `UPDATE lots SET remaining = remaining - 1 WHERE id = $1 AND remaining >= 1`, lot); err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
					return
				}
				mine = append(mine, time.Since(t0))
			}
			mu.Lock()
			lat = append(lat, mine...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if failed != nil {
		return 0, 0, fmt.Errorf("hot row: %w", failed)
	}
	elapsed := time.Since(start)
	slices.Sort(lat)
	p := phaseResult{latencies: lat}
	return float64(len(lat)) / elapsed.Seconds(), p.quantile(0.99), nil
}
