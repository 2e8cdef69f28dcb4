package demo_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/demo"
	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/groupbuy"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/groupbuystore"
	"github.com/vitrina-shop/vitrina/core/postgres/livestore"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/core/postgres/teamstore"
	"github.com/vitrina-shop/vitrina/core/review"
	"github.com/vitrina-shop/vitrina/core/teambuy"
	"github.com/vitrina-shop/vitrina/core/user"
)

const token = "123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOpp-_q"

// newDeps gives seeding a fresh sandbox (as a restart of the demo does) over db.
func newDeps(t *testing.T, d demo.Deps) demo.Deps {
	t.Helper()
	tg := sandbox.New(sandbox.Config{Token: token, BotUsername: "vitrina_demo_bot"})
	srv := httptest.NewServer(tg)
	t.Cleanup(func() {
		tg.Close()
		srv.Close()
	})
	api, err := telego.NewBot(token, telego.WithAPIServer(srv.URL), telego.WithHTTPClient(&http.Client{Timeout: 10 * time.Second}), telego.WithDiscardLogger())
	if err != nil {
		t.Fatal(err)
	}
	d.Sandbox, d.API, d.BotUsername = tg, api, "vitrina_demo_bot"
	return d
}

func TestSeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.NewDB(t)
	clock := core.SystemClock{}
	base := demo.Deps{
		Catalog: catalog.NewService(postgres.NewCatalog(pool), clock, nil),
		Orders:  order.NewService(postgres.NewOrders(pool), clock),
		Users:   user.NewService(postgres.NewUsers(pool), clock),
		Reviews: review.NewService(postgres.NewReviews(pool), clock, nil),
	}
	base.Live = live.NewService(livestore.New(pool), base.Orders, clock, 0)
	base.GroupBuys = groupbuy.NewService(groupbuystore.New(pool), base.Orders, clock)
	base.Teams = teambuy.NewService(teamstore.New(pool), base.Orders, base.Catalog, clock)
	base.LiveAt = func(c core.Clock) (*live.Service, *order.Service) {
		orders := order.NewService(postgres.NewOrders(pool), c)
		return live.NewService(livestore.New(pool), orders, c, 0), orders
	}

	// The bot's PostCard (bots/telegram/groupbuys), which composes and keeps
	// the cards, is the bot's to test; here the seeding asks for the posts.
	type cardPost struct {
		purchase groupbuy.ID
		chat     int64
	}
	var posted []cardPost
	base.PostCard = func(ctx context.Context, p groupbuy.Purchase, chat int64, lang string) (groupbuy.Card, error) {
		posted = append(posted, cardPost{p.ID, chat})
		return groupbuy.Card{Purchase: p.ID, Chat: chat, Message: 1, Lang: lang}, nil
	}
	first := newDeps(t, base)
	w, err := demo.Seed(ctx, first)
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	if len(w.Shops) != 2 || w.Shops[0].PaymentMethod != catalog.PayCard || w.Shops[1].Currency != core.Stars {
		t.Fatalf("shops = %+v", w.Shops)
	}
	products, total, err := base.Catalog.Products(ctx, catalog.ProductFilter{ShopID: w.Shops[0].ID, Limit: 50})
	if err != nil || total != 12 {
		t.Fatalf("card shop products = %d, %v; want 12", total, err)
	}
	for _, p := range products {
		want := 1
		if len(p.Variants) > 1 {
			want = 3 // a gallery for the card to page
		}
		if len(p.Photos) != want {
			t.Errorf("%s has %d photos, want %d", p.Title, len(p.Photos), want)
		}
		for _, photo := range p.Photos {
			if _, _, ok := first.Sandbox.FileData(photo); !ok {
				t.Errorf("the sandbox does not know a photo of %s", p.Title)
			}
		}
	}
	if pps, _ := base.Catalog.PickupPoints(ctx, w.Shops[0].ID); len(pps) != 2 {
		t.Errorf("pickup points = %d", len(pps))
	}
	if sos, _ := base.Catalog.ShippingOptions(ctx, w.Shops[0].ID); len(sos) != 3 {
		t.Errorf("shipping options = %d", len(sos))
	}
	shop := w.Shops[0].ID
	orders, _, err := base.Orders.Orders(ctx, core.UserID(demo.Seller.ID), order.Filter{ShopID: &shop, Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	states := map[order.Status]int{}
	for _, o := range orders {
		if o.Lot == 0 && o.GroupBuy == 0 { // the live session's are below, the group buys' after
			states[o.Status]++
		}
	}
	for _, s := range []order.Status{order.StatusShipped, order.StatusPaid, order.StatusReadyForPickup} {
		if states[s] != 1 {
			t.Errorf("past orders in %s = %d, want 1 (all: %v)", s, states[s], states)
		}
	}
	if states[order.StatusCompleted] != 4 {
		t.Errorf("completed past orders = %d, want 4 (all: %v)", states[order.StatusCompleted], states)
	}
	// The completed orders are reviewed: the hoodie twice, with the shop's reply.
	if r, err := base.Reviews.ShopRating(ctx, shop); err != nil || r != (review.Rating{Count: 4, Sum: 19}) {
		t.Errorf("shop rating = %+v, %v", r, err)
	}
	for _, p := range products {
		if p.Title != "Худи оверсайз" {
			continue
		}
		list, n, err := base.Reviews.ProductReviews(ctx, p.ID, 10, 0)
		if err != nil || n != 2 || list[1].Reply == "" {
			t.Errorf("reviews of the hoodie = %+v, %d, %v", list, n, err)
		}
	}
	msgs := first.Sandbox.Chat(demo.ChannelID).Messages()
	if len(msgs) < 1 {
		t.Fatalf("%d channel posts, want the hoodie's", len(msgs))
	}
	if post := msgs[0]; func() bool {
		b, ok := post.Button("Купить в боте")
		return !ok || !strings.HasPrefix(b.URL, "https://t.me/vitrina_demo_bot?start=p_") || post.Photo == nil ||
			!strings.Contains(post.Body(), "Худи оверсайз — 4\u00a0990\u00a0₽")
	}() {
		t.Errorf("channel post = %+v", post)
	}
	// The thermoses' group buy, three units from its next tier, posted in the
	// neighbours' chat and the channel; the shoes a size short of two rows;
	// the beanies stopped; the candles paid to join, a unit from the next
	// tier, posted too, their places paid.
	gbs, err := base.GroupBuys.ShopPurchases(ctx, core.UserID(demo.Seller.ID), shop, 10)
	if err != nil || len(gbs) != 4 {
		t.Fatalf("group buys %+v, %v", gbs, err)
	}
	thermos, beanies, candles := gbs[3], gbs[1], gbs[0]
	if want := []cardPost{{thermos.ID, demo.GroupID}, {thermos.ID, demo.ChannelID}, {candles.ID, demo.GroupID}, {candles.ID, demo.ChannelID}}; !slices.Equal(posted, want) {
		t.Errorf("cards posted %v, want the thermoses' and the candles' in the neighbours' chat and the channel", posted)
	}
	if _, more, ok := candles.Tiers.Next(candles.Totals.Units); candles.PayMode != groupbuy.PayToJoin || !ok || more != 1 {
		t.Errorf("the candles %+v: %d to the next tier, want 1, paid to join", candles, more)
	}
	candlesPaid := 0
	for _, o := range orders {
		if o.GroupBuy == candles.ID && o.Status == order.StatusPaid {
			candlesPaid++
		}
	}
	if candlesPaid != 3 {
		t.Errorf("%d candle places paid, want 3", candlesPaid)
	}
	shoes, err := base.GroupBuys.Purchase(ctx, gbs[2].ID) // with its units per size
	if err != nil {
		t.Fatal(err)
	}
	if _, more, ok := thermos.Tiers.Next(thermos.Totals.Units); thermos.Status != groupbuy.StatusOpen || !ok || more != 3 {
		t.Errorf("the thermoses %+v: %d to the next tier, want 3", thermos, more)
	}
	if full, missing := groupbuy.Rows(shoes.Variants, shoes.Totals.PerVariant); full != 1 || len(missing) != 1 || shoes.MinimumMet() {
		t.Errorf("the shoes: %d rows, missing %v", full, missing)
	}
	if beanies.Status != groupbuy.StatusStopped || beanies.Price.IsZero() {
		t.Errorf("the beanies %+v, want stopped", beanies)
	}

	if g := first.Sandbox.Chat(demo.GroupID); g == nil || g.Info().Type != sandbox.ChatSupergroup {
		t.Error("the neighbours' group was not made")
	} else if g.Member(demo.Shoppers[0].ID) == "" {
		t.Error("the shoppers are not in the group")
	}

	// Даша works with the shop, her channel connected, a session scheduled
	// with two products allocated.
	if links, err := base.Live.Links(ctx, core.UserID(demo.KOL.ID)); err != nil || len(links) != 1 || links[0].Shop != shop {
		t.Errorf("the KOL's links = %+v, %v", links, err)
	}
	sessions, err := base.Live.Sessions(ctx, core.UserID(demo.KOL.ID), 10)
	if err != nil || len(sessions) != 2 || sessions[0].Status != live.SessionScheduled || sessions[0].Channel != demo.KOLChannelID {
		t.Fatalf("the KOL's sessions = %+v, %v", sessions, err)
	}
	// Yesterday's session: ended, its report due, with its figures.
	past := sessions[1]
	if past.Status != live.SessionEnded || time.Since(past.EndedAt) < 24*time.Hour {
		t.Errorf("the past session %+v", past)
	}
	r, err := base.Live.Report(ctx, past.ID)
	if err != nil || r.RSVPs != 9 || r.Tappers != 13 || r.Reservations != 5 || r.PaidOrders != 4 || len(r.Lots) != 2 ||
		!r.Lots[0].SoldOut || r.Revenue.Amount != (2*890+2*1690)*100 || r.Commission.Amount != (2*890+2*1690)*15 {
		t.Errorf("the past session's report %+v, %v", r, err)
	}
	if _, allocs, err := base.Live.Session(ctx, sessions[0].ID); err != nil || len(allocs) != 3 {
		t.Errorf("allocations = %+v, %v", allocs, err)
	}
	if n, err := base.Live.CountRSVPs(ctx, sessions[0].ID); err != nil || n != 2 {
		t.Errorf("RSVPs = %d, %v; want 2", n, err)
	}
	if ch := first.Sandbox.Chat(demo.KOLChannelID); ch == nil || ch.Member(demo.KOL.ID) != sandbox.StatusCreator || ch.Member(demo.Shoppers[0].ID) == "" {
		t.Error("the KOL's channel was not made with her followers")
	}

	// A restart: a new, empty sandbox over the same database.
	second := newDeps(t, base)
	w2, err := demo.Seed(ctx, second)
	if err != nil {
		t.Fatalf("second Seed: %v", err)
	}
	if w2.Shops[0].ID != w.Shops[0].ID || w2.Shops[1].ID != w.Shops[1].ID {
		t.Errorf("the second run made new shops: %+v", w2.Shops)
	}
	// Алия's open team of the sticker pack, made once, her place paid.
	var teams, paid int
	if err := pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE o.status = 'paid')
		FROM teams t JOIN team_members m ON m.team_id = t.id JOIN orders o ON o.id = m.order_id
		WHERE t.status = 'forming'`).Scan(&teams, &paid); err != nil || teams != 1 || paid != 1 {
		t.Errorf("open teams %d, paid places %d (%v); want Алия's", teams, paid, err)
	}
	products, total, err = base.Catalog.Products(ctx, catalog.ProductFilter{ShopID: w.Shops[0].ID, Limit: 50})
	if err != nil || total != 12 {
		t.Fatalf("after the second run: %d products, %v", total, err)
	}
	for _, p := range products {
		if _, _, ok := second.Sandbox.FileData(p.Photos[0]); !ok {
			t.Errorf("the photo of %s was not restored in the new sandbox", p.Title)
		}
	}
	if again, _, _ := base.Orders.Orders(ctx, core.UserID(demo.Seller.ID), order.Filter{ShopID: &shop, Limit: 50}); len(again) != len(orders) {
		t.Errorf("orders after the second run = %d, want %d", len(again), len(orders))
	}
	if second.Sandbox.Chat(demo.ChannelID) == nil || len(second.Sandbox.Chat(demo.ChannelID).Messages()) != 1 {
		t.Error("the channel was not restored in the new sandbox")
	}
	if second.Sandbox.Chat(demo.KOLChannelID) == nil {
		t.Error("the KOL's channel was not restored in the new sandbox")
	}
	if again, _ := base.Live.Sessions(ctx, core.UserID(demo.KOL.ID), 10); len(again) != 2 {
		t.Errorf("the second run scheduled another session: %d", len(again))
	}
}

// TestSeed_RestoredSandbox: a restart whose sandbox got the earlier run's world back (as
// `vitrina demo` restores it from the database) finds everything and makes nothing again:
// no new photos, no second channel post, the chats' history kept.
func TestSeed_RestoredSandbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool, _ := pgtest.NewDB(t)
	clock := core.SystemClock{}
	base := demo.Deps{
		Catalog: catalog.NewService(postgres.NewCatalog(pool), clock, nil),
		Orders:  order.NewService(postgres.NewOrders(pool), clock),
		Users:   user.NewService(postgres.NewUsers(pool), clock),
		Reviews: review.NewService(postgres.NewReviews(pool), clock, nil),
	}
	first := newDeps(t, base)
	w, err := demo.Seed(ctx, first)
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	anya := first.Sandbox.User(demo.Shoppers[0].ID)
	if _, err := first.API.SendMessage(ctx, &telego.SendMessageParams{ChatID: telego.ChatID{ID: anya.ID()}, Text: "hello from the first run"}); err != nil {
		t.Fatal(err)
	}
	photos := func() map[string]string {
		out := map[string]string{}
		products, _, err := base.Catalog.Products(ctx, catalog.ProductFilter{ShopID: w.Shops[0].ID, Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range products {
			out[p.Title] = strings.Join(p.Photos, ",")
		}
		return out
	}
	before := photos()
	snap, err := first.Sandbox.Snapshot()
	if err != nil {
		t.Fatal(err)
	}

	second := newDeps(t, base)
	if err := second.Sandbox.Restore(snap); err != nil {
		t.Fatal(err)
	}
	if _, err := demo.Seed(ctx, second); err != nil {
		t.Fatalf("second Seed: %v", err)
	}
	after := photos()
	for title, ids := range before {
		if after[title] != ids {
			t.Errorf("the photo of %s was made again: %s, was %s", title, after[title], ids)
		}
	}
	if n := len(second.Sandbox.Chat(demo.ChannelID).Messages()); n != 1 {
		t.Errorf("the channel has %d posts, want the first run's one", n)
	}
	if last := second.Sandbox.User(anya.ID()).LastMessage(); last.Text != "hello from the first run" {
		t.Errorf("Аня's chat lost its history: last %+v", last)
	}
	if g := second.Sandbox.Chat(demo.GroupID); g == nil || g.Member(demo.Seller.ID) != sandbox.StatusMember {
		t.Error("the neighbours' group was lost")
	}
	if again, err := second.Sandbox.Snapshot(); err != nil || len(again) != len(snap) {
		t.Errorf("seeding changed the restored world: %d bytes, was %d (%v)", len(again), len(snap), err)
	}
}
