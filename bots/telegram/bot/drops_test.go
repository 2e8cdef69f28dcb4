package bot

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
)

// runLotPost does what the lot:post task does: posts the lot in its channel the
// first time, then brings the post up to date through the sender's delivery.
func (e *testEnv) runLotPost(id core.LotID) {
	e.t.Helper()
	l, err := e.live.Lot(e.ctx, id)
	if err == nil && l.Group != 0 {
		l, err = e.live.Lot(e.ctx, l.Group)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	id = l.ID
	if l.Post == 0 {
		msg, err := e.bot.Drops.PostLot(e.ctx, l)
		if err != nil {
			e.t.Fatalf("post lot %d: %v", id, err)
		}
		if err := e.live.SetLotPost(e.ctx, id, msg); err != nil {
			e.t.Fatal(err)
		}
		return
	}
	m, err := e.bot.Drops.LotPostEdit(e.ctx, l)
	if err != nil {
		e.t.Fatalf("edit lot %d: %v", id, err)
	}
	e.deliver(m)
}

// runClaim does what the live:claim task does: the claim's order, and its
// invoice to the buyer.
func (e *testEnv) runClaim(id core.LotID, tap string) order.Order {
	e.t.Helper()
	o, err := e.live.OrderClaim(e.ctx, id, tap)
	if err != nil {
		e.t.Fatalf("order the claim: %v", err)
	}
	if err := e.bot.Drops.SendClaimInvoice(e.ctx, o); err != nil {
		e.t.Fatalf("send the claim's invoice: %v", err)
	}
	return o
}

// A seller invites a KOL, who connects a channel and schedules a session; the
// seller allocates a product to it; the channel's video chat opens it; the KOL
// drops a lot in two taps; followers buy from the channel post, one who never
// started the bot included; the counter falls, the lot sells out and ends.
func TestDrops_EndToEnd(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	seller, shop := env.starsShop("Лавка свечей")
	candle := env.product(seller, shop, "Свеча «Хвоя»", "Соевый воск, 40 часов", variant("", 1500, 10))

	// The seller invites a KOL at 15 %.
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "🎥 Блогеры и дропы")
	env.press(seller, env.lastBot(seller), "➕ Пригласить блогера")
	env.send(seller, "150") // not a percent
	env.wantBody(seller, "Комиссия — число от 0 до 100")
	env.send(seller, "15")
	invite := env.messageWith(seller, "Приглашение с комиссией 15 %")
	token := regexp.MustCompile(`start=(kol_\w+)`).FindStringSubmatch(invite.Body())
	if token == nil {
		t.Fatalf("no invitation link in %q", invite.Body())
	}

	kol := env.shopper("Марина", "ru")
	if err := kol.Start(env.ctx, token[1]); err != nil {
		t.Fatal(err)
	}
	env.messageWith(kol, "Теперь вы блогер магазина «Лавка свечей», комиссия 15 %")
	if err := env.tg.NewUser(sandbox.UserSpec{FirstName: "Чужой", LanguageCode: "ru"}).Start(env.ctx, token[1]); err != nil {
		t.Fatal(err)
	}

	// The KOL makes the bot an administrator of their channel.
	channel := env.tg.NewChat(sandbox.ChatSpec{Type: sandbox.ChatChannel, Title: "Марина про свечи", BotStatus: sandbox.StatusLeft})
	channel.AddMember(kol.ID(), sandbox.StatusCreator)
	if err := channel.SetBotStatus(env.ctx, kol, sandbox.StatusAdministrator); err != nil {
		t.Fatal(err)
	}
	env.waitFor("the channel connected", func() bool {
		return strings.Contains(kol.LastBotMessage().Body(), "Канал «Марина про свечи» подключён")
	})

	// The KOL schedules a session an hour from now.
	env.send(kol, "/kol")
	env.press(kol, env.lastBot(kol), "➕ Запланировать эфир")
	env.press(kol, env.lastBot(kol), "Марина про свечи")
	env.send(kol, "Вечерний дроп свечей")
	env.send(kol, "вчера")
	env.wantBody(kol, "Не понял время")
	start := env.clock.Now().Add(time.Hour).In(time.FixedZone("MSK", 3*3600))
	env.send(kol, start.Format("02.01 15:04"))
	env.wantBody(kol, "Ссылка на трансляцию")
	env.send(kol, "youtube.com/live") // not a link
	env.wantBody(kol, "нужна ссылка, начинающаяся с https://")
	env.send(kol, "https://youtube.com/live/candles")
	env.messageWith(kol, "Эфир «Вечерний дроп свечей» запланирован")
	if ss, err := env.live.Sessions(env.ctx, core.UserID(kol.ID()), 1); err != nil || len(ss) != 1 || ss[0].StreamURL != "https://youtube.com/live/candles" {
		t.Errorf("the session's stream link: %+v, %v", ss, err)
	}

	// The seller allocates 3 candles at 990 ⭐, two per buyer.
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "🎥 Блогеры и дропы")
	env.press(seller, env.lastBot(seller), "🗓 Вечерний дроп свечей · "+start.Format("02.01 15:04"))
	env.press(seller, env.lastBot(seller), "➕ Выделить товар")
	env.press(seller, env.lastBot(seller), "Свеча «Хвоя»")
	env.send(seller, "990")
	env.send(seller, "300") // more than in stock
	env.wantBody(seller, "Столько нет")
	env.send(seller, "3")
	if ans := env.press(seller, env.lastBot(seller), "2"); !strings.Contains(ans.Text, "«Свеча «Хвоя»»: выделено 3 шт.") {
		t.Errorf("the allocation's answer %q", ans.Text)
	}
	env.wantBody(seller, "• Свеча «Хвоя» — 990")
	if onHand, reserved := env.stock(candle.Variants[0].ID); onHand != 10 || reserved != 3 {
		t.Fatalf("stock %d on hand, %d reserved; want 10, 3 (held for the session)", onHand, reserved)
	}

	// The channel's stream starts: the session opens by itself.
	env.clock.Advance(55 * time.Minute)
	if err := channel.VideoChat(env.ctx, true); err != nil {
		t.Fatal(err)
	}
	env.waitFor("the session opened", func() bool {
		return strings.Contains(kol.LastBotMessage().Body(), "эфир «Вечерний дроп свечей» открыт")
	})

	// Two taps: pick the product, confirm.
	env.press(kol, env.lastBot(kol), "🎥 Открыть эфир")
	env.press(kol, env.lastBot(kol), "🔥 Выложить лот")
	env.press(kol, env.lastBot(kol), "Свеча «Хвоя» · осталось 3")
	env.press(kol, env.lastBot(kol), "✅ Выложить 3 шт. на 5 мин.")
	env.messageWith(kol, "Лот «Свеча «Хвоя»» (3 шт.) выложен в канал")

	lots, err := env.live.Lots(env.ctx, 1)
	if err != nil || len(lots) != 1 {
		t.Fatalf("lots %v, %v", lots, err)
	}
	lot := lots[0]
	env.runLotPost(lot.ID)
	post := channel.LastMessage()
	for _, want := range []string{"Свеча «Хвоя»", "990", "1\u00a0500", "Осталось 3 из 3", "Не больше 2 шт."} {
		if !strings.Contains(post.Body(), want) {
			t.Errorf("the post %q lacks %q", post.Body(), want)
		}
	}

	// A follower who uses the bot buys one.
	anna := env.shopper("Анна", "ru")
	env.send(anna, "/start")
	channel.AddMember(anna.ID(), sandbox.StatusMember)
	buy := fmt.Sprintf("lb:%d", lot.ID)
	ans, err := anna.Press(env.ctx, post, buy)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ans.Text, "Забронировано для вас на 5 мин.") || !strings.Contains(ans.URL, fmt.Sprintf("start=lot_%d", lot.ID)) {
		t.Fatalf("the tap's answer %+v", ans)
	}
	// The tap was answered in the webhook's response, and not stored (the
	// express lane); the claim is its record.
	var stored int
	if err := env.pool.QueryRow(env.ctx, `SELECT count(*) FROM telegram_updates WHERE position('"lb:' in convert_from(body, 'UTF8')) > 0`).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("%d taps stored in the inbox (%v), want none", stored, err)
	}
	claims, err := env.live.BuyerClaims(env.ctx, lot.ID, core.UserID(anna.ID()))
	if err != nil || len(claims) != 1 {
		t.Fatalf("claims %v, %v", claims, err)
	}
	o := env.runClaim(lot.ID, claims[0].Tap)
	if o.Total.Amount != 990 || o.Lot != lot.ID {
		t.Fatalf("order %+v", o)
	}
	if res, err := anna.Pay(env.ctx, env.lastInvoice(anna), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay: %+v, %v", res, err)
	}
	env.waitFor("the payment recorded", func() bool {
		got, err := env.orders.OrderForSystem(env.ctx, o.ID)
		return err == nil && got.Status == order.StatusPaid
	})
	env.runLotPost(lot.ID)
	if body := channel.LastMessage().Body(); !strings.Contains(body, "Осталось 2 из 3") {
		t.Errorf("the post after a sale: %q", body)
	}

	// A follower who never started the bot: the answer's link brings them to it.
	oleg := env.tg.NewUser(sandbox.UserSpec{FirstName: "Олег", LanguageCode: "ru"})
	channel.AddMember(oleg.ID(), sandbox.StatusMember)
	post = channel.LastMessage()
	ans, err = oleg.Press(env.ctx, post, buy)
	if err != nil || !strings.Contains(ans.Text, "Забронировано") {
		t.Fatalf("oleg's tap: %+v, %v", ans, err)
	}
	claims, _ = env.live.BuyerClaims(env.ctx, lot.ID, core.UserID(oleg.ID()))
	env.runClaim(lot.ID, claims[0].Tap) // 403: he never started the bot
	if err := oleg.OpenLink(env.ctx, ans.URL); err != nil {
		t.Fatal(err)
	}
	env.lastInvoice(oleg)
	// Another tap of his takes the second unit he may have; a third is over his limit.
	if ans, err = oleg.Press(env.ctx, post, buy); err != nil || !strings.Contains(ans.Text, "Забронировано") {
		t.Fatalf("oleg's second tap: %+v, %v", ans, err)
	}
	env.runLotPost(lot.ID)
	post = channel.LastMessage()
	if body := post.Body(); !strings.Contains(body, "Всё разобрали") || len(post.Buttons()) != 0 {
		t.Errorf("the sold-out post: %q, buttons %v", body, buttonLabels(post))
	}

	// The lot ends at its end time; the session ends and what is left goes back.
	env.clock.Set(lot.EndsAt)
	env.runLotPost(lot.ID)
	if body := channel.LastMessage().Body(); !strings.Contains(body, "Лот завершён") {
		t.Errorf("the ended post: %q", body)
	}
	if _, err := env.live.End(env.ctx, core.UserID(kol.ID()), lot.Session); err != nil {
		t.Fatal(err)
	}
	// Anna's unit was sold; Oleg's two are still held until his orders end.
	if onHand, reserved := env.stock(candle.Variants[0].ID); onHand != 9 || reserved != 2 {
		t.Errorf("stock %d on hand, %d reserved; want 9 and Oleg's 2", onHand, reserved)
	}

	// Anna's order earned the KOL 15 % of 990 ⭐: the seller sees it owed and pays it.
	env.send(kol, "/kol")
	env.wantBody(kol, "💰 Лавка свечей: заказов 1 · комиссия 148\u00a0⭐ · выплачено 0\u00a0⭐ · к выплате 148\u00a0⭐")
	env.send(seller, "/admin")
	env.press(seller, env.lastBot(seller), "🎥 Блогеры и дропы")
	screen := env.wantBody(seller, "к выплате 148\u00a0⭐")
	if ans := env.press(seller, screen, "💸 Марина: выплачено 148\u00a0⭐"); ans.Text != "" && ans.ShowAlert {
		t.Fatalf("the payout: %+v", ans)
	}
	env.wantBody(seller, "✅ Выплата 148\u00a0⭐ блогеру Марина отмечена.", "к выплате 0\u00a0⭐")

	// The report (the workers' live:report): the figures and the chart, to the
	// KOL and to the shop's owner.
	r, err := env.live.Report(env.ctx, lot.Session)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.bot.Drops.SendReport(env.ctx, r); err != nil {
		t.Fatal(err)
	}
	for _, u := range []*sandbox.User{kol, seller} {
		msgs := u.Messages()
		chart, text := msgs[len(msgs)-1], msgs[len(msgs)-2]
		for _, want := range []string{"Итоги эфира «Вечерний дроп свечей»", "Броней: 3, оплачено: 1 (конверсия 33 %)",
			"Выручка: 990\u00a0⭐, комиссия блогера: 148\u00a0⭐", "забронировано 3 из 3, оплачено 1, разобрали за"} {
			if !strings.Contains(text.Body(), want) {
				t.Errorf("%d's report %q lacks %q", u.ID(), text.Body(), want)
			}
		}
		if chart.Photo == nil || !strings.Contains(chart.Body(), "Брони по минутам") {
			t.Errorf("%d's chart %+v", u.ID(), chart)
		}
	}
	env.noErrorsLogged()
}

// A crowd of followers who never started the bot rush a lot: as many are
// answered "reserved" as there are units, the rest "sold out".
func TestDrops_Rush(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	w := env.dropWorld("")
	lot := env.liveLot(w)
	channel := w.channel
	counts, err := channel.Rush(env.ctx, channel.LastMessage(), fmt.Sprintf("lb:%d", lot.ID), 60)
	if err != nil {
		t.Fatal(err)
	}
	claimed, soldOut := 0, 0
	for text, n := range counts {
		switch {
		case strings.Contains(text, "Забронировано"):
			claimed += n
		case strings.Contains(text, "Всё разобрали"):
			soldOut += n
		default:
			t.Errorf("%d answers %q", n, text)
		}
	}
	if claimed != 5 || soldOut != 55 {
		t.Errorf("%d reserved and %d sold out, want 5 and 55 (%v)", claimed, soldOut, counts)
	}

	// The KOL ends the lot from the session's card: the post says so.
	env.send(w.kol, "/kol")
	env.press(w.kol, env.lastBot(w.kol), "🔴 Вечерний дроп · "+w.sess.StartsAt.In(time.FixedZone("MSK", 3*3600)).Format("02.01 15:04"))
	if ans := env.press(w.kol, env.lastBot(w.kol), "⏹ Завершить «Стикеры»"); ans.ShowAlert {
		t.Fatalf("ending the lot: %+v", ans)
	}
	env.wantBody(w.kol, "⏹ Лот «Стикеры» завершён")
	env.runLotPost(lot.ID)
	if body := channel.LastMessage().Body(); !strings.Contains(body, "Лот завершён: продано 5 из 5") {
		t.Errorf("the post after the lot was ended: %q", body)
	}
}

// A session is announced in its channel with a "Remind me" link; a follower
// who opens it is reminded before the start, and can stop the reminders.
func TestDrops_RSVP(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	w := env.dropWorld("marina_live")
	sess, channel := w.sess, w.channel
	// The workers' live:announce.
	msg, err := env.bot.Drops.Announce(env.ctx, sess)
	if err != nil {
		t.Fatal(err)
	}
	if err := env.live.SetAnnouncement(env.ctx, sess.ID, msg); err != nil {
		t.Fatal(err)
	}
	post := channel.LastMessage()
	remind, ok := post.Button("🔔 Напомнить")
	if !ok || !strings.Contains(post.Body(), "Вечерний дроп") || !strings.Contains(post.Body(), "Стикеры — 50") {
		t.Fatalf("the announcement %q, buttons %v", post.Body(), buttonLabels(post))
	}

	follower := env.tg.NewUser(sandbox.UserSpec{FirstName: "Олег", LanguageCode: "ru"})
	channel.AddMember(follower.ID(), sandbox.StatusMember)
	if err := follower.OpenLink(env.ctx, remind.URL); err != nil {
		t.Fatal(err)
	}
	env.wantBody(follower, "🔔 Напомню об эфире «Вечерний дроп»", "за 1 день, за 15 мин, в начале")
	if n, _ := env.live.CountRSVPs(env.ctx, sess.ID); n != 1 {
		t.Fatalf("%d RSVPs, want 1", n)
	}
	// The workers' live:remind, 15 minutes before.
	m, err := env.bot.Drops.ReminderMessage(env.ctx, sess, core.UserID(follower.ID()), 15*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	env.deliver(m)
	reminder := env.wantBody(follower, "⏰ Через 15 мин эфир «Вечерний дроп»")
	if b, ok := reminder.Button("📺 Канал"); !ok || b.URL != "https://t.me/marina_live" {
		t.Errorf("the reminder's buttons %v", buttonLabels(reminder))
	}
	env.press(follower, reminder, "🔕 Не напоминать")
	env.wantBody(follower, "🔕 Больше не напоминаю об эфире «Вечерний дроп»")
	if n, _ := env.live.CountRSVPs(env.ctx, sess.ID); n != 0 {
		t.Errorf("%d RSVPs after cancelling, want 0", n)
	}

	// The KOL calls the session off: the follower who asked again is told.
	env.press(follower, env.lastBot(follower), "🔔 Напомнить")
	env.send(w.kol, "/kol")
	env.press(w.kol, env.lastBot(w.kol), "🗓 Вечерний дроп · "+sess.StartsAt.In(time.FixedZone("MSK", 3*3600)).Format("02.01 15:04"))
	env.press(w.kol, env.lastBot(w.kol), "✖️ Отменить эфир")
	env.press(w.kol, env.wantBody(w.kol, "Отменить эфир «Вечерний дроп»?"), "✖️ Да, отменить эфир")
	env.wantBody(w.kol, "✖️ Эфир отменён", "отменён")
	m, err = env.bot.Drops.CancelledMessage(env.ctx, sess, core.UserID(follower.ID())) // the workers' live:cancelled
	if err != nil {
		t.Fatal(err)
	}
	env.deliver(m)
	env.wantBody(follower, "😔 Эфир «Вечерний дроп»", "отменён")
}

// dropWorld is a KOL with a connected channel and a session of a Stars shop
// with 5 stickers allocated, one per buyer.
type dropWorld struct {
	seller  *sandbox.User
	kol     *sandbox.User
	channel *sandbox.Chat
	sess    live.Session
	variant core.VariantID
}

func (e *testEnv) dropWorld(username string) dropWorld {
	e.t.Helper()
	seller, shop := e.starsShop("Лавка")
	p := e.product(seller, shop, "Стикеры", "", variant("", 100, 50))
	kol := e.shopper("Марина", "ru")
	e.send(kol, "/start")
	channel := e.tg.NewChat(sandbox.ChatSpec{Type: sandbox.ChatChannel, Title: "Канал", Username: username})
	inv, err := e.live.Invite(e.ctx, core.UserID(seller.ID()), shop.ID, 1000)
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.live.Accept(e.ctx, core.UserID(kol.ID()), inv.Token); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.live.ConnectChannel(e.ctx, core.UserID(kol.ID()), live.Channel{Chat: channel.ID(), Title: "Канал", Username: username, CanPost: true}); err != nil {
		e.t.Fatal(err)
	}
	sess, err := e.live.Schedule(e.ctx, core.UserID(kol.ID()), live.Session{Shop: shop.ID, Channel: channel.ID(), Title: "Вечерний дроп", StartsAt: e.clock.Now().Add(2 * time.Hour)})
	if err != nil {
		e.t.Fatal(err)
	}
	if err := e.live.Allocate(e.ctx, core.UserID(seller.ID()), live.Allocation{Session: sess.ID, Variant: p.Variants[0].ID,
		Price: core.Money{Amount: 50, Currency: core.Stars}, Quantity: 5, PerBuyer: 1}); err != nil {
		e.t.Fatal(err)
	}
	return dropWorld{seller: seller, kol: kol, channel: channel, sess: sess, variant: p.Variants[0].ID}
}

// liveLot opens the world's session and drops its 5 stickers for a quarter of an
// hour (longer than a reservation holds), posted.
func (e *testEnv) liveLot(w dropWorld) live.Lot {
	e.t.Helper()
	if _, err := e.live.Open(e.ctx, core.UserID(w.kol.ID()), w.sess.ID); err != nil {
		e.t.Fatal(err)
	}
	lot, err := e.live.Drop(e.ctx, core.UserID(w.kol.ID()), live.Drop{Session: w.sess.ID, Variant: w.variant, Duration: 15 * time.Minute})
	if err != nil {
		e.t.Fatal(err)
	}
	e.runLotPost(lot.ID)
	return lot
}

// The bot demoted in the channel: its lots pause (a tap is told so) and the
// KOL is told what to fix; made an administrator again, sales go on.
func TestDrops_ChannelRightsLost(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	w := env.dropWorld("")
	lot := env.liveLot(w)
	post := w.channel.LastMessage()
	buy := fmt.Sprintf("lb:%d", lot.ID)
	follower := env.tg.NewUser(sandbox.UserSpec{FirstName: "Олег", LanguageCode: "ru"})
	w.channel.AddMember(follower.ID(), sandbox.StatusMember)
	w.channel.AddMember(w.kol.ID(), sandbox.StatusCreator)

	if err := w.channel.SetBotStatus(env.ctx, w.kol, sandbox.StatusMember); err != nil {
		t.Fatal(err)
	}
	env.waitFor("the KOL told", func() bool {
		return strings.Contains(w.kol.LastBotMessage().Body(), "Бот больше не может публиковать в канале «Канал»")
	})
	if ans, err := follower.Press(env.ctx, post, buy); err != nil || !strings.Contains(ans.Text, "Лот на паузе") {
		t.Fatalf("a tap on a paused lot: %+v, %v", ans, err)
	}
	if err := w.channel.SetBotStatus(env.ctx, w.kol, sandbox.StatusAdministrator); err != nil {
		t.Fatal(err)
	}
	env.waitFor("the KOL told again", func() bool {
		return strings.Contains(w.kol.LastBotMessage().Body(), "Бот снова может публиковать")
	})
	if ans, err := follower.Press(env.ctx, post, buy); err != nil || !strings.Contains(ans.Text, "Забронировано") {
		t.Fatalf("a tap once the rights are back: %+v, %v", ans, err)
	}
}

// A tap on a sold-out lot offers the waiting list in the bot; a unit that comes
// back becomes the first one's, with the invoice.
func TestDrops_Waitlist(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	w := env.dropWorld("")
	lot := env.liveLot(w)
	post := w.channel.LastMessage()
	buy := fmt.Sprintf("lb:%d", lot.ID)
	if _, err := w.channel.Rush(env.ctx, post, buy, 5); err != nil {
		t.Fatal(err)
	}
	late := env.tg.NewUser(sandbox.UserSpec{FirstName: "Олег", LanguageCode: "ru"})
	w.channel.AddMember(late.ID(), sandbox.StatusMember)
	ans, err := late.Press(env.ctx, post, buy)
	if err != nil || !strings.Contains(ans.Text, "Всё разобрали") || !strings.Contains(ans.URL, fmt.Sprintf("start=wait_%d", lot.ID)) {
		t.Fatalf("a tap on a sold-out lot: %+v, %v", ans, err)
	}
	if err := late.OpenLink(env.ctx, ans.URL); err != nil {
		t.Fatal(err)
	}
	offer := env.wantBody(late, "«Стикеры» разобрали. Встать в очередь?")
	env.press(late, offer, "⏳ Встать в очередь")
	env.wantBody(late, "⏳ Вы в очереди за «Стикеры»: №1")

	// The first follower's reservation runs out unpaid.
	first := sandbox.RushFollowers
	claims, err := env.live.BuyerClaims(env.ctx, lot.ID, core.UserID(first))
	if err != nil || len(claims) != 1 {
		t.Fatalf("the first follower's claims %v, %v", claims, err)
	}
	env.clock.Set(claims[0].HeldUntil)
	if ok, err := env.live.Release(env.ctx, lot.ID, claims[0].Tap); err != nil || !ok {
		t.Fatalf("release: %v, %v", ok, err)
	}
	mine, err := env.live.BuyerClaims(env.ctx, lot.ID, core.UserID(late.ID()))
	if err != nil || len(mine) != 1 || mine[0].Status != live.ClaimHeld {
		t.Fatalf("the waiting list's unit: %v, %v", mine, err)
	}
	env.runClaim(lot.ID, mine[0].Tap)
	env.lastInvoice(late)
}

// The KOL calls off a session while it is live: the lot's post ends, and a
// buyer who paid learns, in their language, that the order is cancelled and
// the money comes back.
func TestDrops_CancelLive(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	w := env.dropWorld("")
	lot := env.liveLot(w)
	post := w.channel.LastMessage()
	anna := env.shopper("Анна", "ru")
	env.send(anna, "/start")
	w.channel.AddMember(anna.ID(), sandbox.StatusMember)
	if ans, err := anna.Press(env.ctx, post, fmt.Sprintf("lb:%d", lot.ID)); err != nil || !strings.Contains(ans.Text, "Забронировано") {
		t.Fatalf("the tap: %+v, %v", ans, err)
	}
	claims, _ := env.live.BuyerClaims(env.ctx, lot.ID, core.UserID(anna.ID()))
	o := env.runClaim(lot.ID, claims[0].Tap)
	if res, err := anna.Pay(env.ctx, env.lastInvoice(anna), sandbox.PayOptions{}); err != nil || res.Status != sandbox.PayPaid {
		t.Fatalf("pay: %+v, %v", res, err)
	}
	env.waitFor("the payment recorded", func() bool {
		got, err := env.orders.OrderForSystem(env.ctx, o.ID)
		return err == nil && got.Status == order.StatusPaid
	})

	env.send(w.kol, "/kol")
	env.press(w.kol, env.lastBot(w.kol), "🔴 Вечерний дроп · "+w.sess.StartsAt.In(time.FixedZone("MSK", 3*3600)).Format("02.01 15:04"))
	env.press(w.kol, env.lastBot(w.kol), "✖️ Отменить эфир")
	confirm := env.wantBody(w.kol, "Отменить идущий эфир «Вечерний дроп»?", "оплаченные заказы вернём")
	env.press(w.kol, confirm, "✖️ Да, отменить эфир")
	env.wantBody(w.kol, "✖️ Эфир отменён: лоты закрыты")
	// A second tap (a double tap, or Telegram sending it again) finds it
	// cancelled already and says so.
	env.forgePress(w.kol, env.lastBot(w.kol), fmt.Sprintf("kxy:%d", w.sess.ID))
	env.wantBody(w.kol, "отменён")

	if n, err := env.live.CallOff(env.ctx, w.sess.ID); err != nil || n != 1 { // the workers' live:calloff
		t.Fatalf("call off: %d, %v", n, err)
	}
	if err := env.notifyOrder(o.ID, order.EventCancelled); err != nil {
		t.Fatal(err)
	}
	env.wantBody(anna, "отменён", "Причина: эфир, в котором вы его оформили, отменён")
	env.runLotPost(lot.ID)
	if body := w.channel.LastMessage().Body(); !strings.Contains(body, "⏹ Лот отменён") {
		t.Errorf("the post after the call-off: %q", body)
	}
	env.noErrorsLogged()
}

// The KOL changes when followers are reminded: a reminder turned off is not
// sent, one turned on gets its job; one whose time has passed is not offered.
func TestDrops_Reminders(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	w := env.dropWorld("") // starts in 2 hours
	env.send(w.kol, "/kol")
	env.press(w.kol, env.lastBot(w.kol), "🗓 Вечерний дроп · "+w.sess.StartsAt.In(time.FixedZone("MSK", 3*3600)).Format("02.01 15:04"))
	env.press(w.kol, env.lastBot(w.kol), "🔔 Напоминания")
	screen := env.wantBody(w.kol, "Когда напомнить подписчикам об эфире «Вечерний дроп»")
	if got, want := buttonLabels(screen), []string{"✅ За сутки", "⬜️ За час", "✅ За 15 минут", "✅ В начале эфира", "⬅️ Назад"}; !slices.Equal(got, want) {
		t.Errorf("the reminders' buttons %v, want %v (3 hours before has passed)", got, want)
	}
	env.press(w.kol, screen, "⬜️ За час")
	env.press(w.kol, env.lastBot(w.kol), "✅ В начале эфира")
	screen = env.lastBot(w.kol)
	if got, want := buttonLabels(screen), []string{"✅ За сутки", "✅ За час", "✅ За 15 минут", "⬜️ В начале эфира", "⬅️ Назад"}; !slices.Equal(got, want) {
		t.Errorf("after the toggles %v, want %v", got, want)
	}
	sess, _, err := env.live.Session(env.ctx, w.sess.ID)
	if err != nil || !slices.Equal(sess.Reminders, []time.Duration{24 * time.Hour, time.Hour, 15 * time.Minute}) {
		t.Errorf("reminders %v, %v", sess.Reminders, err)
	}
	if keys := env.outboxKeys(live.JobRemind); !slices.Contains(keys, fmt.Sprintf("%s:%d:3600", live.JobRemind, w.sess.ID)) {
		t.Errorf("reminder jobs %v lack the hour's", keys)
	}
	// A stale button of a reminder whose time has passed is refused.
	if got := env.forgePress(w.kol, screen, fmt.Sprintf("krt:%d:%d", w.sess.ID, 3*3600)); !strings.Contains(got, "Время этого напоминания уже прошло") {
		t.Errorf("a past reminder turned on: %q", got)
	}
}

// The shop's owner lowers a KOL's rate: a higher one is refused, the KOL is
// told, and a session scheduled before keeps the old rate.
func TestDrops_LowerRate(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	w := env.dropWorld("") // at 10 %
	env.send(w.seller, "/admin")
	env.press(w.seller, env.lastBot(w.seller), "🎥 Блогеры и дропы")
	env.press(w.seller, env.lastBot(w.seller), "✏️ Снизить ставку: Марина")
	env.wantBody(w.seller, "Сейчас у блогера Марина ставка 10 %")
	env.send(w.seller, "12")
	env.wantBody(w.seller, "Новая комиссия должна быть ниже текущей.", "Сейчас у блогера Марина ставка 10 %")
	env.send(w.seller, "7,5")
	env.messageWith(w.seller, "✅ Ставка блогера Марина теперь 7,5 % для новых эфиров")
	env.wantBody(w.seller, "• Марина — 7,5 %")

	keys := env.outboxKeys(live.JobRateLowered)
	if len(keys) != 1 {
		t.Fatalf("rate jobs %v, want one", keys)
	}
	var j live.RateJob
	if err := env.pool.QueryRow(env.ctx, `SELECT payload FROM outbox WHERE key = $1`, keys[0]).Scan(&j); err != nil {
		t.Fatal(err)
	}
	m, err := env.bot.Drops.RateLoweredMessage(env.ctx, j) // the workers' live:rate
	if err != nil {
		t.Fatal(err)
	}
	env.deliver(m)
	env.wantBody(w.kol, "«Лавка» снизил вашу комиссию: было 10 %, стало 7,5 %")
	if sess, _, err := env.live.Session(env.ctx, w.sess.ID); err != nil || sess.Commission != 1000 {
		t.Errorf("the session scheduled before: %d, %v; want it at 10 %%", sess.Commission, err)
	}
}

// A product's variants dropped together are one post with a Buy button per
// variant: each has its own counter, and a tap reserves the variant tapped.
func TestDrops_Variants(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	w := env.dropWorld("")
	shop := env.shopOf(w.seller)
	hoodie := env.product(w.seller, shop, "Худи", "", variant("S", 100, 5), variant("M", 100, 5))
	for i, qty := range []int{2, 3} {
		if err := env.live.Allocate(env.ctx, core.UserID(w.seller.ID()), live.Allocation{Session: w.sess.ID, Variant: hoodie.Variants[i].ID,
			Price: core.Money{Amount: 80, Currency: core.Stars}, Quantity: qty, PerBuyer: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := env.live.Open(env.ctx, core.UserID(w.kol.ID()), w.sess.ID); err != nil {
		t.Fatal(err)
	}
	env.send(w.kol, "/kol")
	env.press(w.kol, env.lastBot(w.kol), "🔴 Вечерний дроп · "+w.sess.StartsAt.In(time.FixedZone("MSK", 3*3600)).Format("02.01 15:04"))
	env.press(w.kol, env.lastBot(w.kol), "🔥 Выложить лот")
	env.press(w.kol, env.lastBot(w.kol), "🧩 Худи: 2 варианта одним постом · 5 шт.")
	confirm := env.wantBody(w.kol, "Худи одним постом, кнопка на каждый вариант", "• S — 80\u00a0⭐, 2 шт., до 1 в одни руки", "• M — 80\u00a0⭐, 3 шт.")
	env.press(w.kol, confirm, "✅ Выложить 5 шт. на 5 мин.")
	env.wantBody(w.kol, "🔥 Лот «Худи» (5 шт.) выложен в канал")

	lots, err := env.live.Lots(env.ctx, w.sess.ID)
	if err != nil || len(lots) != 2 || lots[1].Group != lots[0].ID {
		t.Fatalf("lots %+v, %v; want two of one post", lots, err)
	}
	env.runLotPost(lots[1].ID) // a lot of the group posts the group's post
	post := w.channel.LastMessage()
	if got, want := buttonLabels(post), []string{"🛒 S · 80\u00a0⭐", "🛒 M · 80\u00a0⭐"}; !slices.Equal(got, want) {
		t.Fatalf("the post's buttons %v, want %v", got, want)
	}
	for _, want := range []string{"🔥 Худи", "• S — 80\u00a0⭐ вместо 100\u00a0⭐ · осталось 2 из 2, до 1 в руки", "• M — 80\u00a0⭐ вместо 100\u00a0⭐ · осталось 3 из 3, до 1 в руки"} {
		if !strings.Contains(post.Body(), want) {
			t.Errorf("the post %q lacks %q", post.Body(), want)
		}
	}
	if l, _ := env.live.Lot(env.ctx, lots[1].ID); l.Post != 0 {
		t.Errorf("the second lot has a post of its own: %d", l.Post)
	}

	follower := env.tg.NewUser(sandbox.UserSpec{FirstName: "Олег", LanguageCode: "ru"})
	w.channel.AddMember(follower.ID(), sandbox.StatusMember)
	if ans, err := follower.Press(env.ctx, post, fmt.Sprintf("lb:%d", lots[1].ID)); err != nil || !strings.Contains(ans.Text, "Забронировано") {
		t.Fatalf("a tap on M: %+v, %v", ans, err)
	}
	if _, err := w.channel.Rush(env.ctx, post, fmt.Sprintf("lb:%d", lots[0].ID), 4); err != nil {
		t.Fatal(err)
	}
	env.runLotPost(lots[1].ID)
	post = w.channel.LastMessage()
	for _, want := range []string{"• S — 80\u00a0⭐ вместо 100\u00a0⭐ · ❌ разобрали", "• M — 80\u00a0⭐ вместо 100\u00a0⭐ · осталось 2 из 3"} {
		if !strings.Contains(post.Body(), want) {
			t.Errorf("the post after the taps %q lacks %q", post.Body(), want)
		}
	}
	if got, want := buttonLabels(post), []string{"🛒 M · 80\u00a0⭐"}; !slices.Equal(got, want) {
		t.Errorf("the buttons once S sold out %v, want %v", got, want)
	}
	// The KOL gives M five more minutes: the post says until when M sells.
	extended, err := env.live.ExtendLot(env.ctx, core.UserID(w.kol.ID()), lots[1].ID, 5*time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	env.runLotPost(lots[1].ID)
	if body, want := w.channel.LastMessage().Body(), "До "+extended.EndsAt.In(time.FixedZone("MSK", 3*3600)).Format("15:04")+" МСК"; !strings.Contains(body, want) {
		t.Errorf("the post after M was extended %q lacks %q", body, want)
	}
	claims, _ := env.live.BuyerClaims(env.ctx, lots[1].ID, core.UserID(follower.ID()))
	if len(claims) != 1 {
		t.Fatalf("Oleg's claims on M: %v", claims)
	}
	o := env.runClaim(lots[1].ID, claims[0].Tap)
	if len(o.Lines) != 1 || o.Lines[0].VariantID != hoodie.Variants[1].ID {
		t.Errorf("Oleg's order %+v, want the M hoodie", o.Lines)
	}
	env.noErrorsLogged()
}

// The KOL changes a drop's price and per-buyer limit before posting it; a
// price that is not one is refused and asked again.
func TestDrops_DropSettings(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	w := env.dropWorld("")
	shop := env.shopOf(w.seller)
	cards := env.product(w.seller, shop, "Открытки", "", variant("", 100, 20))
	if err := env.live.Allocate(env.ctx, core.UserID(w.seller.ID()), live.Allocation{Session: w.sess.ID, Variant: cards.Variants[0].ID,
		Price: core.Money{Amount: 90, Currency: core.Stars}, Quantity: 10, PerBuyer: 3}); err != nil {
		t.Fatal(err)
	}
	if _, err := env.live.Open(env.ctx, core.UserID(w.kol.ID()), w.sess.ID); err != nil {
		t.Fatal(err)
	}
	env.send(w.kol, "/kol")
	env.press(w.kol, env.lastBot(w.kol), "🔴 Вечерний дроп · "+w.sess.StartsAt.In(time.FixedZone("MSK", 3*3600)).Format("02.01 15:04"))
	env.press(w.kol, env.lastBot(w.kol), "🔥 Выложить лот")
	env.press(w.kol, env.lastBot(w.kol), "Открытки · осталось 10")
	screen := env.wantBody(w.kol, "Цена дропа: 90\u00a0⭐", "В одни руки: 3")
	if _, ok := screen.Button("По 5 в руки"); ok {
		t.Errorf("a limit above the seller's is offered: %v", buttonLabels(screen))
	}
	env.press(w.kol, screen, "По 2 в руки")
	env.press(w.kol, env.wantBody(w.kol, "В одни руки: 2"), "✏️ Изменить цену")
	env.wantBody(w.kol, "Цена дропа для «Открытки» — сейчас 90\u00a0⭐")
	env.send(w.kol, "дёшево")
	env.wantBody(w.kol, "Не понял цену")
	env.send(w.kol, "75") // below the seller's price
	env.wantBody(w.kol, "не может быть ниже цены, которую назначил продавец: 90\u00a0⭐")
	env.send(w.kol, "120")
	screen = env.wantBody(w.kol, "Цена дропа: 120\u00a0⭐", "В одни руки: 2", "В лоте: 10 шт.")
	env.press(w.kol, screen, "✅ Выложить 10 шт. на 5 мин.")
	env.wantBody(w.kol, "🔥 Лот «Открытки» (10 шт.) выложен в канал")
	lots, err := env.live.Lots(env.ctx, w.sess.ID)
	if err != nil || len(lots) != 1 || lots[0].Price.Amount != 120 || lots[0].PerBuyer != 2 || lots[0].Quantity != 10 {
		t.Errorf("the lot %+v, %v; want 10 at 120 ⭐, 2 per buyer", lots, err)
	}
	// The same Drop button again (a double tap) does not post what is left.
	if got := env.forgePress(w.kol, screen, fmt.Sprintf("kdg:%d:%d:10:5:0:2:120", w.sess.ID, cards.Variants[0].ID)); !strings.Contains(got, "Столько нет") {
		t.Errorf("a second tap on Drop is answered %q", got)
	}
	if lots, _ := env.live.Lots(env.ctx, w.sess.ID); len(lots) != 1 {
		t.Errorf("%d lots after a second tap on Drop, want 1", len(lots))
	}
}
