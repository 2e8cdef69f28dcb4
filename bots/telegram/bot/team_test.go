package bot

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/teambuy"
)

// teamOf reads the team a card's share button links to.
func teamOf(t *testing.T, card sandbox.Message) teambuy.ID {
	t.Helper()
	b, ok := card.Button("📤 Позвать друзей")
	if !ok {
		t.Fatalf("no share button on %q", card.Body())
	}
	u, err := url.Parse(b.URL)
	if err != nil {
		t.Fatal(err)
	}
	link, _ := url.QueryUnescape(u.Query().Get("url"))
	i := strings.Index(link, "start=tm_")
	var id int64
	if i < 0 {
		t.Fatalf("no team in %q", link)
	}
	if _, err := fmt.Sscan(link[i+len("start=tm_"):], &id); err != nil {
		t.Fatal(err)
	}
	return teambuy.ID(id)
}

// The seller gives a product a team price; Anna starts a team from its card
// and pays, Boris and Vera join by her link and pay: the team fills and all
// three hear it. Gleb's team runs out of time: his payment is refunded, and
// he is told.
func TestTeamBuy(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop := env.starsShop("Стикеры")
	p := env.product(seller, shop, "Стикерпак", "", variant("", 100, 10))
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "👥 Цены для команд")
	env.press(seller, env.wantBody(seller, "Выберите товар"), "Стикерпак")
	env.press(seller, env.wantBody(seller, "«Стикерпак»: сколько человек в команде?"), "3")
	env.press(seller, env.wantBody(seller, "команда из 3: какая скидка?"), "20 %")
	env.wantBody(seller, "✅ «Стикерпак»: команда из 3, скидка 20 %")

	anna, boris, vera, gleb := env.shopper("Анна", "ru"), env.shopper("Борис", "ru"), env.shopper("Вера", "ru"), env.shopper("Глеб", "ru")
	env.send(anna, fmt.Sprintf("/start p_%d", p.ID))
	card := env.wantBody(anna, "👥 Командой из 3 — по 80\u00a0⭐")
	env.press(anna, card, "👥 Собрать команду из 3 — дешевле")
	teamCard := env.messageWith(anna, "Командная покупка")
	if !strings.Contains(teamCard.Body(), "Стикерпак — 80\u00a0⭐ вместо 100\u00a0⭐, если наберётся 3 человек") || !strings.Contains(teamCard.Body(), "Оплатили: 0 из 3") {
		t.Errorf("the team's card: %q", teamCard.Body())
	}
	id := teamOf(t, teamCard)
	pay := func(u *sandbox.User, id teambuy.ID) {
		t.Helper()
		if res, err := u.Pay(env.ctx, env.lastInvoice(u), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid || res.Payment.TotalAmount != 80 {
			t.Fatalf("pay: %+v, %v", res, err)
		}
		env.waitFor("paid", func() bool {
			os := env.buyerOrders(u)
			return len(os) > 0 && os[0].Status == order.StatusPaid && os[0].Team == id
		})
	}
	pay(anna, id)
	if got := env.forgePress(anna, env.lastBot(anna), fmt.Sprintf("tmj:%d", id)); !strings.Contains(got, "Вы уже в этой команде") {
		t.Errorf("Anna joins her own team: %q", got)
	}
	for _, u := range []*sandbox.User{boris, vera} {
		env.send(u, fmt.Sprintf("/start tm_%d", id))
		env.press(u, env.wantBody(u, "Командная покупка"), "👥 Присоединиться за 80\u00a0⭐")
		pay(u, id)
		if _, err := env.teams.Settle(env.ctx, id); err != nil { // the workers' order:team
			t.Fatal(err)
		}
	}
	team, members, err := env.teams.Team(env.ctx, id)
	if err != nil || team.Status != teambuy.StatusFilled || len(members) != 3 {
		t.Fatalf("the team %+v, %+v, %v", team, members, err)
	}
	for _, m := range members { // the workers' team:filled
		msg, err := env.bot.Teams.TeamMessage(env.ctx, team, m)
		if err != nil {
			t.Fatal(err)
		}
		env.deliver(msg)
	}
	for _, u := range []*sandbox.User{anna, boris, vera} {
		env.wantBody(u, "🎉 Команда собрана! «Стикерпак» по командной цене")
	}
	env.send(gleb, fmt.Sprintf("/start tm_%d", id))
	if _, ok := env.wantBody(gleb, "🎉 Команда собрана").Button("👥 Присоединиться за 80\u00a0⭐"); ok {
		t.Error("a full team offers to join")
	}

	// Gleb's own team: he pays, nobody joins, its time ends.
	env.send(gleb, fmt.Sprintf("/start p_%d", p.ID))
	env.press(gleb, env.lastBot(gleb), "👥 Собрать команду из 3 — дешевле")
	glebs := teamOf(t, env.messageWith(gleb, "Командная покупка"))
	pay(gleb, glebs)
	env.clock.Advance(25 * time.Hour)
	if got, due, err := env.teams.Expire(env.ctx, glebs); err != nil || !due || got.Status != teambuy.StatusFailed {
		t.Fatalf("the end: %+v, %v, %v", got, due, err)
	}
	team, members, err = env.teams.CallOff(env.ctx, glebs) // the workers' team:failed
	if err != nil || len(members) != 1 {
		t.Fatalf("call off: %+v, %v", members, err)
	}
	msg, err := env.bot.Teams.TeamMessage(env.ctx, team, members[0])
	if err != nil {
		t.Fatal(err)
	}
	env.deliver(msg)
	env.wantBody(gleb, "😔 Команда на «Стикерпак» не собралась вовремя. Оплата вернётся.")
	if os := env.buyerOrders(gleb); len(os) != 1 || os[0].Status != order.StatusCancelled {
		t.Errorf("Gleb's order %+v", os)
	}
	if onHand, reserved := env.stock(p.Variants[0].ID); onHand != 7 || reserved != 0 {
		t.Errorf("stock on hand %d, reserved %d; want the team's 3 sold and Gleb's back", onHand, reserved)
	}
}

// In a card shop with pickup points, each member says where they collect:
// their order is to be picked up there, not shipped.
func TestTeamBuy_Pickup(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop, kiosk := env.bakery()
	bread := env.product(seller, shop, "Хлеб", "", variant("", 20000, 10))
	if err := env.teams.SetOffer(env.ctx, core.UserID(seller.ID()), teambuy.Offer{Product: bread.ID, Size: 2, DiscountBP: 1000}); err != nil {
		t.Fatal(err)
	}
	anna, boris := env.shopper("Анна", "ru"), env.shopper("Борис", "ru")
	env.send(anna, fmt.Sprintf("/start p_%d", bread.ID))
	env.press(anna, env.lastBot(anna), "👥 Собрать команду из 2 — дешевле")
	env.press(anna, env.wantBody(anna, "Где заберёте товар?"), "Киоск · Ленина, 5")
	id := teamOf(t, env.messageWith(anna, "Командная покупка"))
	env.send(boris, fmt.Sprintf("/start tm_%d", id))
	env.press(boris, env.wantBody(boris, "Командная покупка"), "👥 Присоединиться за 180\u00a0₽")
	env.press(boris, env.wantBody(boris, "Где заберёте товар?"), "Киоск · Ленина, 5")
	for _, u := range []*sandbox.User{anna, boris} {
		os := env.buyerOrders(u)
		if len(os) != 1 || os[0].Delivery != order.DeliveryPickup || os[0].PickupPointID != kiosk.ID || os[0].Total.Amount != 18000 || os[0].Team != id {
			t.Errorf("the order of %d: %+v", u.ID(), os)
		}
	}
}
