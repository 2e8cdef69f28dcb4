package groupbuy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
)

// Pay to join (PayToJoin). A participant pays their place when joining, at
// the tier price their join reaches, with an order of its own (the join
// order) payable for JoinPayWindow; a place not paid in time is given up, and
// its units count no more. Leaving, or changing an unpaid place, calls its
// order off (a paid one refunded). At STOP each place's final share is fixed
// (PrepaidShare: never above what it paid) and SettlePrepaid settles it:
//
//   - paid, and the final share no less: nothing to do;
//   - paid more, by card: the difference is owed back; the bot cannot refund a
//     card payment, so the shop's staff are asked to refund the difference at
//     the provider, and record it (ReturnOwed);
//   - paid more, in Stars: Telegram refunds a Stars payment whole only
//     (refundStarPayment), so the payment is refunded whole and the final share
//     invoiced as a new order, payable for the purchase's pay window;
//   - not paid (the join order still open, or never made): invoiced at the
//     final share, as in a purchase paid after STOP.
//
// A place whose join order expired or was cancelled was given up: after STOP
// it goes to the waiting list. A purchase that fails or is cancelled calls
// every order off, refunding the paid ones.

// JoinPayWindow is how long a participant of a pay-to-join purchase has to
// pay their place.
const JoinPayWindow = time.Hour

// Jobs of pay-to-join purchases.
const (
	// JobJoinPay gives up the places of a pay-to-join purchase not paid in
	// time (DropUnpaid); key "groupbuy:joinpay:<purchase>:<due>", due a
	// minute after the pay window of the joins of a minute, so a burst of
	// joins writes one.
	JobJoinPay = "groupbuy:joinpay"
	// JobCallOff calls off the order of a place left or changed
	// (OrderJob); key "groupbuy:calloff:<order>".
	JobCallOff = "groupbuy:calloff"
	// JobOwed tells the shop's staff and the participant what of a card
	// payment to join comes back (OwedJob); key "groupbuy:owed:<place>",
	// and "groupbuy:owed:<place>:returned" telling the participant that the
	// staff returned it.
	JobOwed = "groupbuy:owed"
)

// OrderJob is the payload of JobCallOff.
type OrderJob struct {
	Purchase ID           `json:"purchase"`
	Order    core.OrderID `json:"order"`
	// Reason is the order's cancel reason; LeftReason when empty.
	Reason string `json:"reason,omitempty"`
}

// OwedJob is the payload of JobOwed.
type OwedJob struct {
	Purchase ID      `json:"purchase"`
	Place    PlaceID `json:"place"`
}

// Reasons the orders of pay-to-join places are called off with.
const (
	ChangedReason  = "the participant changed their place: a new order replaces this one"
	UnpaidReason   = "not paid when the group buy closed"
	FinalReason    = "replaced by the order at the final price"
	LeftReason     = "the participant left the group buy"
	FailedReason   = "the group buy did not go ahead"
	CutReason      = "the group buy went ahead with full size rows only"
	RepricedReason = "the price fell: the Stars are refunded whole and the final price invoiced"
)

// Errors of pay-to-join purchases.
var (
	ErrPaidPlace = &core.Error{Code: core.ECONFLICT,
		Message: "your place is paid: to change it, leave (the payment comes back) and join again"}
	ErrPrepaidReopen = &core.Error{Code: core.ECONFLICT,
		Message: "a pay-to-join group buy that did not go ahead refunded its payments: open a new one"}
	ErrNotOwed = &core.Error{Code: core.ENOTFOUND, Message: "nothing is owed back for this place"}
)

// joinPayJob is the JobJoinPay of the joins at now.
func joinPayJob(id ID, now time.Time) core.Job {
	due := now.Add(JoinPayWindow).Truncate(time.Minute).Add(2 * time.Minute)
	payload, _ := json.Marshal(CloseJob{Purchase: id})
	return core.Job{Kind: JobJoinPay, Key: fmt.Sprintf("%s:%d:%d", JobJoinPay, id, due.Unix()), Payload: payload, RunAt: due}
}

// callOffJob calls off the order of a place left or changed, for reason.
func callOffJob(id ID, o core.OrderID, reason string) core.Job {
	payload, _ := json.Marshal(OrderJob{Purchase: id, Order: o, Reason: reason})
	return core.Job{Kind: JobCallOff, Key: fmt.Sprintf("%s:%d", JobCallOff, o), Payload: payload}
}

// owedJob tells of a place's payment owed back (or, returned, that it was).
func owedJob(id ID, place PlaceID, returned bool) core.Job {
	payload, _ := json.Marshal(OwedJob{Purchase: id, Place: place})
	key := fmt.Sprintf("%s:%d", JobOwed, place)
	if returned {
		key += ":returned"
	}
	return core.Job{Kind: JobOwed, Key: key, Payload: payload}
}

// joinOrder makes (once: its key names the place and its join, JoinSeq) the
// order a pay-to-join place is paid with, and links it. A checkout the shop
// refuses takes the place out again; a place changed meanwhile keeps none.
func (s *Service) joinOrder(ctx context.Context, p Purchase, pl Place) (Place, error) {
	goods := pl.JoinPrice.Amount * int64(pl.Quantity)
	now := s.clock.Now()
	req := order.CheckoutRequest{
		Key:     fmt.Sprintf("gb:%d:%d:j%d", p.ID, pl.ID, pl.JoinSeq),
		BuyerID: pl.Buyer, ShopID: p.Shop,
		Items:    []order.Item{{VariantID: pl.Variant, Quantity: pl.Quantity}},
		Delivery: order.DeliveryPickup, PickupPointID: pl.Pickup,
		Group: &order.Group{Purchase: p.ID, Price: pl.JoinPrice,
			Fee:   core.Money{Amount: FeeOf(goods, p.FeeBP), Currency: pl.JoinPrice.Currency},
			Until: now.Add(JoinPayWindow)},
	}
	if pl.Pickup == 0 {
		req.Delivery = order.DeliveryShipping
	}
	o, err := s.orders.Checkout(ctx, req)
	if _, app := errors.AsType[*core.Error](err); app {
		if _, lerr := s.leave(ctx, pl.Buyer, p.ID, pl.Variant, func(place Place) bool { return place.JoinSeq == pl.JoinSeq }); lerr != nil {
			return Place{}, errors.Join(err, lerr)
		}
		return Place{}, err
	}
	if err != nil {
		return Place{}, err
	}
	linked, err := s.store.LinkJoinOrder(ctx, p.ID, pl.ID, pl.JoinSeq, o.ID)
	if err != nil && !errors.Is(err, ErrClosed) {
		return Place{}, err
	}
	if !linked { // left, changed, or the purchase closed, while its order was made
		if cerr := s.callOff(ctx, o.ID, LeftReason); cerr != nil {
			return Place{}, cerr
		}
		if err != nil {
			return Place{}, err
		}
		return Place{}, ErrNotParticipant
	}
	pl.Order = o.ID
	return pl, nil
}

// leave takes buyer's place of a variant out of an open purchase when still
// is true of it, calling its order off (a pay-to-join place's): at once, and
// by a job written with the change, should this process stop before.
func (s *Service) leave(ctx context.Context, buyer core.UserID, id ID, v core.VariantID, still func(Place) bool) (Purchase, error) {
	now := s.clock.Now()
	var callOff core.OrderID
	p, _, err := s.store.ChangePlace(ctx, id, buyer, v, now, func(p Purchase, place Place) (Place, error) {
		if err := open(p, now); err != nil {
			return Place{}, err
		}
		if place.Quantity == 0 || !still(place) {
			return Place{}, ErrNotParticipant
		}
		place.Quantity, callOff = 0, place.Order
		return place, nil
	}, func(p Purchase) []core.Job {
		jobs := cardJobs(p)
		if callOff != 0 {
			jobs = append(jobs, callOffJob(p.ID, callOff, LeftReason))
		}
		return jobs
	})
	if err != nil {
		return Purchase{}, err
	}
	if callOff != 0 {
		if err := s.callOff(ctx, callOff, LeftReason); err != nil {
			return p, err
		}
	}
	return p, nil
}

// CallOffPlaceOrder calls off the order of a place left or changed
// (JobCallOff), refunding a paid one; one called off already is no error.
func (s *Service) CallOffPlaceOrder(ctx context.Context, o core.OrderID, reason string) error {
	if reason == "" {
		reason = LeftReason
	}
	return s.callOff(ctx, o, reason)
}

// callOff calls off an order of a place for reason, refunding a paid one; an
// order called off already, or past it, is no error (the callers run again).
func (s *Service) callOff(ctx context.Context, o core.OrderID, reason string) error {
	if _, err := s.orders.CallOff(ctx, o, reason); err != nil && !errors.Is(err, order.ErrTransition) {
		return err
	}
	return nil
}

// DropUnpaid gives up the places of an open pay-to-join purchase not paid in
// time (JobJoinPay, and when a join order ends): those whose order expired or
// was cancelled, and those that got none within the pay window. Their units
// count no more; the cards follow. Run again, it finds nothing.
func (s *Service) DropUnpaid(ctx context.Context, id ID) (int, error) {
	p, err := s.store.Purchase(ctx, id)
	if err != nil || p.Status != StatusOpen || p.PayMode != PayToJoin {
		return 0, err
	}
	now := s.clock.Now()
	places, err := s.store.UnpaidJoins(ctx, id, now.Add(-JoinPayWindow))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, pl := range places {
		_, err := s.leave(ctx, pl.Buyer, id, pl.Variant, func(place Place) bool {
			return place.JoinSeq == pl.JoinSeq && place.Order == pl.Order
		})
		switch {
		case err == nil:
			n++
		case errors.Is(err, ErrNotParticipant), errors.Is(err, ErrClosed):
			// changed meanwhile, or the purchase closed: STOP settles it
		default:
			return n, err
		}
	}
	return n, nil
}

// paidOnly keeps, of a pay-to-join purchase's joined places at STOP, the paid
// ones, and counts only their units (Totals): a join counts once paid. The
// others leave (dropped, Status PlaceLeft) and their orders are called off. A
// purchase paid after STOP keeps every place.
func paidOnly(p *Purchase, places []Place) (kept, dropped []Place, jobs []core.Job) {
	if p.PayMode != PayToJoin {
		return places, nil, nil
	}
	p.Totals = Totals{PerVariant: map[core.VariantID]int{}}
	for _, pl := range places {
		if !pl.OrderStatus.Paid() {
			pl.Status = PlaceLeft
			dropped = append(dropped, pl)
			if pl.Order != 0 {
				jobs = append(jobs, callOffJob(p.ID, pl.Order, UnpaidReason))
			}
			continue
		}
		kept = append(kept, pl)
		p.Totals.Units += pl.Quantity
		p.Totals.PerVariant[pl.Variant] += pl.Quantity
	}
	return kept, dropped, jobs
}

// PrepaidPlace is a joined place of a pay-to-join purchase with its order's
// status and total (what was paid, when paid).
type PrepaidPlace struct {
	Place
	OrderStatus order.Status
	OrderTotal  core.Money
}

// paid reports whether the place's order was paid (and not since cancelled).
func (pp PrepaidPlace) paid() bool { return pp.OrderStatus.Paid() }

// settlePrepaid is OrderPlaces for a pay-to-join purchase: each place is
// settled as the package's comment says, a page of places by id above
// after; send is called with each order awaiting its invoice. Run again, it
// does nothing twice: an order made once (its key), a difference owed once,
// a call-off once.
func (s *Service) settlePrepaid(ctx context.Context, p Purchase, after PlaceID, send func(order.Order) error) (PlaceID, bool, error) {
	if after == 0 {
		// The places STOP cut whole give their payments back.
		cut, err := s.store.CutPlaces(ctx, p.ID)
		if err != nil {
			return after, false, err
		}
		for _, pl := range cut {
			if pl.Quantity > 0 || pl.Order == 0 {
				continue
			}
			if err := s.callOff(ctx, pl.Order, CutReason); err != nil {
				return after, false, err
			}
		}
	}
	places, err := s.store.Prepaid(ctx, p.ID, after, invoicePage)
	if err != nil {
		return after, false, err
	}
	for _, pp := range places {
		pl := pp.Place
		final := pl.Goods.Amount + pl.Fee.Amount
		switch {
		case pl.JoinOrder != 0:
			// Replaced already: the rest below is done again, harmlessly.
		case pl.Order != 0 && pp.OrderStatus.Over():
			after = pl.ID // given up unpaid: the waiting list's
			continue
		case pp.paid() && pp.OrderTotal.Amount <= final:
			after = pl.ID
			continue
		case pp.paid() && p.Currency() != core.Stars:
			owed := core.Money{Amount: pp.OrderTotal.Amount - final, Currency: p.Currency()}
			if err := s.store.OweBack(ctx, pl.ID, owed, owedJob(p.ID, pl.ID, false)); err != nil {
				return after, false, err
			}
			after = pl.ID
			continue
		}
		o, err := s.orders.Checkout(ctx, finalOrder(p, pl))
		if _, app := errors.AsType[*core.Error](err); app {
			after = pl.ID // cannot be ordered: the organizer's roster shows it
			continue
		}
		if err != nil {
			return after, false, fmt.Errorf("order of place %d: %w", pl.ID, err)
		}
		// The final order linked first, then the join order called off: the
		// place always names an order that is not over. (The order replaced
		// is the one the place names as it is replaced, whatever was read.)
		prev, err := s.store.ReplaceOrder(ctx, pl.ID, o.ID)
		if err != nil {
			return after, false, err
		}
		if prev != 0 {
			pl.JoinOrder = prev
		}
		if pl.JoinOrder != 0 {
			reason := FinalReason
			if pp.paid() {
				reason = RepricedReason
			}
			if err := s.callOff(ctx, pl.JoinOrder, reason); err != nil {
				return after, false, err
			}
		}
		if stop, err := s.invoice(ctx, p.ID, o, send); err != nil || stop {
			return after, false, err
		}
		after = pl.ID
	}
	return after, len(places) == invoicePage, nil
}

// ReturnOwed records that the shop's staff returned what a place's card
// payment was owed back, at the provider; the participant is told. Only the
// shop's staff (who hold the provider's account) may; recording it again is
// no error. ErrNotOwed for a place owed nothing.
func (s *Service) ReturnOwed(ctx context.Context, actor core.UserID, id ID, place PlaceID) (Place, error) {
	p, err := s.store.Purchase(ctx, id)
	if err != nil {
		return Place{}, err
	}
	if staff, err := s.mayOrganize(ctx, actor, p.Shop); err != nil {
		return Place{}, err
	} else if !staff {
		return Place{}, ErrNotOrganizer
	}
	return s.store.ReturnOwed(ctx, id, place, s.clock.Now(), owedJob(id, place, true))
}
