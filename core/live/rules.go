package live

import (
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
)

// Tap is a shopper's tap on a lot's Buy button.
type Tap struct {
	Lot   LotID
	Buyer core.UserID
	// ID is Telegram's callback query id: the same for a redelivered tap.
	ID string
	// Who tapped, as Telegram names them: a buyer who claims a unit is
	// recorded as a user (an order needs one), whether or not they have
	// started the bot.
	FirstName, Username, Lang string
}

// TapOutcome is what became of a tap.
type TapOutcome string

const (
	// TapClaimed: a unit is the buyer's until the claim's HeldUntil. A tap
	// redelivered gets its claim again.
	TapClaimed TapOutcome = "claimed"
	// TapOverLimit: the buyer holds or bought the lot's per-buyer limit.
	TapOverLimit TapOutcome = "over_limit"
	// TapSoldOut: every unit is claimed (one may come back).
	TapSoldOut TapOutcome = "sold_out"
	// TapEnded: the lot ended or was cancelled.
	TapEnded TapOutcome = "ended"
	// TapNotStarted: the lot's time has not come (a clock behind).
	TapNotStarted TapOutcome = "not_started"
	// TapNoLot: no such lot.
	TapNoLot TapOutcome = "no_lot"
	// TapPaused: the lot's channel lost the bot's rights (Lot.Paused).
	TapPaused TapOutcome = "paused"
	// TapStruck: the buyer let MaxStrikes reservations of the session run out
	// unpaid, and may reserve no more in it.
	TapStruck TapOutcome = "struck"
	// TapEntered: the tap entered the lot's draw (Entry), drawn at DrawUntil.
	TapEntered TapOutcome = "entered"
	// TapDrawPending: the draw's window closed and its units are being drawn.
	TapDrawPending TapOutcome = "draw_pending"
)

// MaxStrikes is how many reservations of a session a buyer may let run out
// unpaid before they may reserve no more in it: a script that reserves and
// never pays keeps units from people who would.
const MaxStrikes = 2

// Standing is what the store knows of a batch's buyers when it plans it.
type Standing struct {
	// Held is how many of the lot's units each buyer holds or bought.
	Held map[core.UserID]int
	// Strikes is how many of the session's reservations each buyer let run out
	// unpaid.
	Strikes map[core.UserID]int
	// Known are the claims already made by the batch's tap ids (a tap sent again).
	Known map[string]Claim
}

// TapResult is the answer to one tap.
type TapResult struct {
	Outcome TapOutcome
	// Claim is the buyer's claim (TapClaimed).
	Claim Claim
	// Held is how many units of the lot the buyer holds or bought, this one
	// included; Remaining the lot's units left after the batch.
	Held, Remaining int
	Lot             Lot
}

// TapPlan is what a batch of taps on one lot changes: the claims to make, in
// the order of the taps they answer, and the lot's units left after them.
type TapPlan struct {
	Results   []TapResult // one per tap, in order
	New       []Claim     // claims to record
	Entries   []Tap       // draw entries to record (one per buyer)
	Remaining int
}

// PlanTaps decides a batch of taps on lot, in order, at now: who gets a unit,
// given the buyers' standing. It is pure: the store calls it with the lot
// locked, and records what it returns.
//
// A tap claims one unit while the lot is open (StartsAt <= now < EndsAt), has
// a unit left, and the buyer holds fewer than the per-buyer limit. A tap
// redelivered is answered with its claim. Taps are served in the order they
// came, so a batch is as fair as one tap at a time.
func PlanTaps(lot Lot, st Standing, taps []Tap, now time.Time) TapPlan {
	plan := TapPlan{Results: make([]TapResult, len(taps)), Remaining: lot.Remaining}
	counts := make(map[core.UserID]int, len(taps))
	known := st.Known
	for buyer, n := range st.Held {
		counts[buyer] = n
	}
	seen := make(map[string]Claim, len(taps))
	entered := make(map[core.UserID]bool)
	for i, t := range taps {
		r := TapResult{Lot: lot}
		claim, again := known[t.ID]
		if !again {
			claim, again = seen[t.ID]
		}
		switch {
		case again && claim.Buyer == t.Buyer:
			r.Outcome, r.Claim = TapClaimed, claim
		case lot.Status != LotOpen || !now.Before(lot.EndsAt):
			r.Outcome = TapEnded
		case now.Before(lot.StartsAt):
			r.Outcome = TapNotStarted
		case lot.Paused:
			r.Outcome = TapPaused
		case st.Strikes[t.Buyer] >= MaxStrikes:
			r.Outcome = TapStruck
		case lot.Drawing(now):
			r.Outcome = TapEntered
			if !entered[t.Buyer] {
				entered[t.Buyer] = true
				plan.Entries = append(plan.Entries, t)
			}
		case lot.Mode == Draw && !lot.Drawn:
			r.Outcome = TapDrawPending
		case counts[t.Buyer] >= lot.PerBuyer:
			r.Outcome = TapOverLimit
		case plan.Remaining == 0:
			r.Outcome = TapSoldOut
		default:
			claim = Claim{Lot: lot.ID, Buyer: t.Buyer, Tap: t.ID, Status: ClaimHeld, HeldUntil: now.Add(lot.Hold)}
			plan.Remaining--
			counts[t.Buyer]++
			plan.New = append(plan.New, claim)
			seen[t.ID] = claim
			r.Outcome, r.Claim = TapClaimed, claim
		}
		r.Held = counts[t.Buyer]
		plan.Results[i] = r
	}
	for i := range plan.Results {
		plan.Results[i].Remaining = plan.Remaining
		plan.Results[i].Lot.Remaining = plan.Remaining
	}
	return plan
}

// DrawWinners picks the winners of a draw: units buyers at most, at random
// among the entrants, by shuffle (the order of the entries, in which they
// came, gives no advantage). The rest are returned in the shuffled order, for
// the waiting list.
func DrawWinners(entrants []core.UserID, units int, shuffle func(n int, swap func(i, j int))) (winners, rest []core.UserID) {
	order := append([]core.UserID(nil), entrants...)
	shuffle(len(order), func(i, j int) { order[i], order[j] = order[j], order[i] })
	k := min(units, len(order))
	return order[:k], order[k:]
}

// Drop is what the KOL sets when dropping a lot.
type Drop struct {
	Session  SessionID
	Variant  core.VariantID
	Price    core.Money // zero: the allocation's price
	Quantity int        // zero: what is left of the allocation
	PerBuyer int        // zero: the allocation's limit
	Duration time.Duration
	Mode     LotMode // "": first come
}

// PlanLot checks a drop against its session and allocation at now and returns
// the lot to record (without id). The session must be live; the lot may take
// at most what lots have not taken of the allocation; a price is in the
// session's currency.
func PlanLot(s Session, a Allocation, d Drop, hold time.Duration, now time.Time) (Lot, error) {
	if s.Status != SessionLive {
		return Lot{}, ErrSessionState
	}
	price := d.Price
	if price.IsZero() {
		price = a.Price
	}
	if price.Currency == a.Price.Currency && price.Amount < a.Price.Amount {
		// The seller agreed to the allocation's price: the KOL may ask more,
		// not give the seller's goods away for less.
		return Lot{}, ErrPriceBelow
	}
	if price.Currency != s.Currency {
		return Lot{}, core.ErrCurrencyMismatch
	}
	if price.Amount <= 0 || price.Amount > core.MaxAmount {
		return Lot{}, core.ErrPriceZero
	}
	left := a.Quantity - a.Dropped
	qty := d.Quantity
	if qty == 0 {
		qty = left
	}
	if qty < 0 || qty > left || qty == 0 {
		return Lot{}, ErrOverAllocation
	}
	per := d.PerBuyer
	if per == 0 {
		per = a.PerBuyer
	}
	if per < 0 || per > a.PerBuyer { // the seller's limit is the most a lot may allow
		return Lot{}, ErrAllocation
	}
	dur := d.Duration
	if dur == 0 {
		dur = DefaultLotDuration
	}
	if dur < MinLotDuration || dur > MaxLotDuration {
		return Lot{}, ErrLotDuration
	}
	l := Lot{
		Session: s.ID, Variant: a.Variant, Price: price,
		Quantity: qty, Remaining: qty, PerBuyer: min(per, qty), Hold: hold,
		Status: LotOpen, StartsAt: now, EndsAt: now.Add(dur), Mode: FirstCome,
	}
	if d.Mode == Draw {
		l.Mode, l.DrawUntil = Draw, now.Add(DrawWindow)
	}
	return l, nil
}

// checkTitle trims a session's title and checks its length.
func checkTitle(title string) (string, error) {
	title = strings.TrimSpace(title)
	if n := utf8.RuneCountInString(title); n < 1 || n > 128 {
		return "", ErrTitle
	}
	return title, nil
}

// checkStream checks a session's stream link: empty (the channel's own video
// chat), or an https link of at most 512 characters (it becomes a button).
func checkStream(link string) (string, error) {
	link = strings.TrimSpace(link)
	if link == "" {
		return "", nil
	}
	u, err := url.Parse(link)
	if err != nil || u.Scheme != "https" || u.Host == "" || len(link) > 512 {
		return "", ErrStreamURL
	}
	return link, nil
}

// checkAllocation checks what a seller allocates of a variant to a session.
func checkAllocation(a Allocation, cur core.Currency) error {
	if a.Quantity <= 0 || a.PerBuyer <= 0 || a.Price.Amount <= 0 {
		return ErrAllocation
	}
	if a.Price.Currency != cur {
		return fmt.Errorf("allocation of variant %d: %w", a.Variant, core.ErrCurrencyMismatch)
	}
	return nil
}
