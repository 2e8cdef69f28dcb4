package order

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// The rules of orders as pure functions of a snapshot and the time: they decide a
// Change and the Service's methods hand them to the store. Tests call them directly.

// defaultReservationTTL applies when a shop's setting is missing.
const defaultReservationTTL = 15 * time.Minute

// maxNoteRunes bounds free text staff attach to an order (cancel reason, tracking).
const maxNoteRunes = 500

// normalizeItems merges repeated variants (keeping the first one's place) and checks
// every quantity: ErrQuantity.
func normalizeItems(items []Item) ([]Item, error) {
	out := make([]Item, 0, len(items))
	at := make(map[core.VariantID]int, len(items))
	for _, it := range items {
		if it.Quantity < 1 || it.Quantity > MaxQuantity {
			return nil, ErrQuantity
		}
		if i, ok := at[it.VariantID]; ok {
			out[i].Quantity += it.Quantity
			if out[i].Quantity > MaxQuantity {
				return nil, ErrQuantity
			}
			continue
		}
		at[it.VariantID] = len(out)
		out = append(out, it)
	}
	return out, nil
}

// chooseDelivery decides how a checkout's goods reach the buyer. A Stars shop
// delivers nothing physical unless the buyer picks a pickup point (Telegram ignores
// shipping fields for Stars); a card shop needs pickup or shipping.
func chooseDelivery(shop catalog.Shop, want DeliveryKind, pp *catalog.PickupPoint) (DeliveryKind, core.PickupPointID, error) {
	if want == DeliveryPickup {
		if pp == nil || pp.ShopID != shop.ID {
			return "", 0, ErrPickupPoint
		}
		return DeliveryPickup, pp.ID, nil
	}
	if shop.PaymentMethod == catalog.PayStars || shop.Currency == core.Stars {
		return DeliveryNone, 0, nil
	}
	if want == DeliveryShipping {
		return DeliveryShipping, 0, nil
	}
	return "", 0, ErrDelivery
}

// planCheckout turns a checkout snapshot into a new order awaiting payment that
// reserves every line. Availability is checked here to refuse early; the store's
// conditional reservation is what guarantees it.
func planCheckout(snap CheckoutSnapshot, req CheckoutRequest, now time.Time) (*Change, error) {
	shop := snap.Shop
	if shop.Blocked {
		return nil, catalog.ErrShopBlocked
	}
	if len(snap.Items) == 0 {
		return nil, ErrEmptyCart
	}
	delivery, pickup, err := chooseDelivery(shop, req.Delivery, snap.PickupPoint)
	if err != nil {
		return nil, err
	}
	itemsTotal := core.Money{Currency: shop.Currency}
	lines := make([]Line, 0, len(snap.Items))
	moves := make([]StockMove, 0, len(snap.Items))
	held, group, team := req.Held, req.Group, req.Team
	if held != nil && (len(snap.Items) != 1 || snap.FromCart || held.Price.Currency != shop.Currency || held.Price.Amount <= 0) {
		return nil, core.Errorf(core.EINVALID, "held stock is one item at a price in the shop's currency")
	}
	if team != nil && (held != nil || group != nil || snap.FromCart || len(snap.Items) != 1 || team.Price.Currency != shop.Currency ||
		team.Price.Amount <= 0 || !team.Until.After(now)) {
		return nil, core.Errorf(core.EINVALID, "a team buy's order is one item at the team's price, payable until later")
	}
	if group != nil && (held != nil || snap.FromCart || group.Price.Currency != shop.Currency || group.Price.Amount <= 0 ||
		group.Fee.Currency != shop.Currency || group.Fee.Amount < 0 || !group.Until.After(now)) {
		return nil, core.Errorf(core.EINVALID, "a group buy's place is priced in the shop's currency, with a fee, payable until later")
	}
	for i, it := range snap.Items {
		st, ok := snap.Stock[it.VariantID]
		if !ok {
			return nil, catalog.ErrVariantNotFound
		}
		switch {
		case st.ShopID != shop.ID:
			return nil, ErrMixedShops
		case it.Quantity < 1 || it.Quantity > MaxQuantity:
			return nil, ErrQuantity
		case held != nil:
			// The claim holds the unit: archived or not, it was sold to the buyer.
			st.Price = held.Price
		case group != nil:
			// The group's goods come from the supplier, not the shop's stock.
			st.Price = group.Price
		case st.Archived:
			return nil, ErrUnavailable
		case team != nil && st.Available() >= it.Quantity:
			st.Price = team.Price
		case st.Available() <= 0:
			return nil, ErrSoldOut
		case st.Available() < it.Quantity:
			return nil, ErrNotEnoughStock
		}
		sum, err := st.Price.Mul(int64(it.Quantity))
		if err != nil {
			return nil, err
		}
		if itemsTotal, err = itemsTotal.Add(sum); err != nil {
			return nil, err
		}
		title := st.lineTitle()
		if group != nil && group.Line != "" {
			title = group.Line
		}
		lines = append(lines, Line{
			No:        i + 1,
			VariantID: st.VariantID,
			ProductID: st.ProductID,
			Title:     title,
			SKU:       st.SKU,
			Quantity:  it.Quantity,
			UnitPrice: st.Price,
		})
		if held == nil && group == nil {
			moves = append(moves, StockMove{VariantID: st.VariantID, Kind: catalog.MoveReservation, Reserved: it.Quantity})
		}
	}
	ttl := shop.ReservationTTL
	if ttl <= 0 {
		ttl = defaultReservationTTL
	}
	until := now.Add(ttl)
	var lot core.LotID
	if held != nil {
		until, lot = held.Until, held.Lot
	}
	total, fee := itemsTotal, core.Money{Currency: shop.Currency}
	var teamID core.TeamID
	if team != nil {
		teamID = team.ID
		if team.Until.Before(until) {
			until = team.Until
		}
	}
	var purchase core.GroupBuyID
	if group != nil {
		until, purchase, fee = group.Until, group.Purchase, group.Fee
		if total, err = total.Add(fee); err != nil {
			return nil, err
		}
	}
	o := Order{
		ID:            snap.OrderID,
		ShopID:        shop.ID,
		BuyerID:       req.BuyerID,
		Status:        StatusAwaitingPayment,
		Lines:         lines,
		ItemsTotal:    itemsTotal,
		ShippingTotal: core.Money{Currency: shop.Currency},
		Total:         total,
		Fee:           fee,
		GroupBuy:      purchase,
		Team:          teamID,
		Delivery:      delivery,
		PickupPointID: pickup,
		ReservedUntil: until,
		RemindAt:      remindAt(until, now),
		CreatedAt:     now,
		UpdatedAt:     now,
		Lot:           lot,
	}
	jobs := []core.Job{expireJob(o)}
	if !o.RemindAt.IsZero() {
		jobs = append(jobs, remindJob(o))
	}
	return &Change{
		Order:     o,
		At:        now,
		Actor:     req.BuyerID,
		History:   &HistoryEntry{Status: o.Status},
		Stock:     moves,
		Jobs:      jobs,
		ClearCart: snap.FromCart,
	}, nil
}

// expectedTotal is what the buyer must pay for o with the given shipping option:
// the items, plus the option's price for a shipped order. ok is false for a shipped
// order without an option of its shop.
func expectedTotal(snap Snapshot, option core.ShippingOptionID) (total, shipping core.Money, ok bool) {
	o := snap.Order
	shipping = core.Money{Currency: o.ItemsTotal.Currency}
	// The items and a group buy's fee (zero for other orders).
	base := o.ItemsTotal
	if o.Fee.Amount > 0 {
		var err error
		if base, err = base.Add(o.Fee); err != nil {
			return core.Money{}, core.Money{}, false
		}
	}
	if o.Delivery != DeliveryShipping {
		return base, shipping, true
	}
	for _, so := range snap.ShippingOptions {
		if so.ID == option && option != 0 && so.ShopID == o.ShopID {
			total, err := base.Add(so.Price)
			if err != nil {
				return core.Money{}, core.Money{}, false
			}
			return total, so.Price, true
		}
	}
	return core.Money{}, core.Money{}, false
}

// planPreCheckout answers Telegram's last question before it charges: the buyer's
// order, payable now (Order.Payable), in a shop not blocked, for the amount it asks
// with the chosen shipping. A passed check keeps the reservation alive at least PaymentHold from now and moves the
// expiry job with it.
func planPreCheckout(snap Snapshot, q PreCheckout, now time.Time) (*Change, error) {
	o := snap.Order
	if q.BuyerID != o.BuyerID {
		return nil, ErrNotBuyer
	}
	if err := o.Payable(now); err != nil {
		return nil, err
	}
	if snap.Shop.Blocked {
		return nil, catalog.ErrShopBlocked
	}
	want, _, ok := expectedTotal(snap, q.ShippingOptionID)
	if !ok {
		return nil, ErrShippingOption
	}
	if q.Total != want {
		return nil, ErrAmountMismatch
	}
	hold := now.Add(PaymentHold)
	if !o.ReservedUntil.Before(hold) {
		return nil, nil
	}
	o.ReservedUntil = hold
	o.UpdatedAt = now
	jobs := []core.Job{expireJob(o)}
	// The buyer opened the payment form: if they do not finish, they are reminded
	// before the extended hold ends.
	if at := remindAt(hold, now); !at.IsZero() {
		o.RemindAt = at
		jobs = append(jobs, remindJob(o))
	}
	return &Change{Order: o, At: now, Actor: q.BuyerID, Jobs: jobs}, nil
}

// planPayment decides what a successful payment does. takeStock says whether an
// order whose reservation ended may try to take its stock again; the Service first
// tries with it and, if the stock is gone, again without it.
func planPayment(snap Snapshot, p Payment, now time.Time, takeStock bool) (*Change, PaymentOutcome, error) {
	o := snap.Order
	for _, c := range snap.Charges {
		if c.TelegramChargeID == p.TelegramChargeID {
			return nil, PaymentDuplicate, nil
		}
	}
	charge := Charge{
		OrderID:          o.ID,
		BuyerID:          p.BuyerID,
		TelegramChargeID: p.TelegramChargeID,
		ProviderChargeID: p.ProviderChargeID,
		Amount:           p.Total,
		Status:           ChargeCaptured,
		CreatedAt:        now,
	}
	c := &Change{Order: o, At: now, NewCharge: &charge}

	// refund keeps the money on record, to be given back, and tells the buyer.
	refund := func(reason string) (*Change, PaymentOutcome, error) {
		charge.Status = ChargeRefundPending
		charge.RefundReason = reason
		c.History = &HistoryEntry{Status: c.Order.Status, Note: "payment to refund: " + reason}
		c.Jobs = append(c.Jobs, refundJob(charge), notifyJob(o.ID, EventRefundPending, charge.TelegramChargeID))
		return c, PaymentRefunding, nil
	}

	// Money that arrived for an order Payable refuses is still honoured, stock
	// allowing, when the buyer paid in good faith: the reservation ended meanwhile, or
	// the order was called off before it was paid. Otherwise it goes back.
	want, shipping, ok := expectedTotal(snap, p.ShippingOptionID)
	payable := o.Payable(now)
	switch {
	case p.BuyerID != o.BuyerID:
		return refund("paid by someone other than the buyer")
	case !ok || p.Total != want:
		return refund(fmt.Sprintf("paid %s, the order asks %s", p.Total, want))
	case payable == nil:
	case errors.Is(payable, ErrAlreadyPaid):
		return refund("the order was already paid")
	case o.Status == StatusAwaitingPayment:
		// The reservation ended but its expiry has not run: the stock is still
		// reserved for the order.
	case o.Status == StatusCancelled && !o.PaidAt.IsZero():
		// Staff called it off after it was paid (its payment is being refunded): the
		// shop said it will not deliver, so a later payment does not revive it.
		return refund("the order was cancelled after it was paid")
	case o.Status == StatusExpired || o.Status == StatusCancelled:
		if o.Lot != 0 {
			// Its unit went back to the lot, and maybe to someone else.
			return refund("the drop's reservation ended")
		}
		if o.GroupBuy != 0 {
			// The place went to the waiting list, or was given up.
			return refund("the group buy's payment deadline passed")
		}
		if o.Team != 0 {
			// The team goes ahead with those who paid in time, or failed.
			return refund("the team buy's time to pay passed")
		}
		if !takeStock {
			to, err := Next(o.Status, ActHoldRefund, PartySystem)
			if err != nil {
				return nil, "", err
			}
			c.Order.Status = to
			c.Order.UpdatedAt = now
			return refund("the reservation ended and the stock is gone")
		}
	default:
		return refund("the order can no longer be paid")
	}

	to, err := Next(o.Status, ActPay, PartySystem)
	if err != nil {
		return nil, "", err
	}
	for _, l := range o.Lines {
		if o.GroupBuy != 0 {
			break // the supplier's goods, not the shop's stock
		}
		m := StockMove{VariantID: l.VariantID, Kind: catalog.MoveSale, OnHand: -l.Quantity, Reserved: -l.Quantity}
		if o.Status != StatusAwaitingPayment { // the reservation is gone: sell from what is available
			m.Reserved = 0
		}
		c.Stock = append(c.Stock, m)
	}
	c.Order.Status = to
	c.Order.PaidAt = now
	c.Order.UpdatedAt = now
	if o.Delivery == DeliveryShipping {
		c.Order.ShippingOptionID = p.ShippingOptionID
		c.Order.ShippingTotal = shipping
		c.Order.Total = want
	}
	if p.ShippingAddress != nil {
		c.Order.ShippingAddress = p.ShippingAddress
	}
	if p.Contact != nil {
		c.Order.Contact = p.Contact
	}
	c.History = &HistoryEntry{Status: to}
	c.Jobs = append(c.Jobs, notifyJob(o.ID, EventPaid, ""))
	if o.Team != 0 {
		c.Jobs = append(c.Jobs, teamJob(o, StatusPaid))
	}
	c.Jobs = append(c.Jobs, cancelRemindJobs(o)...)
	return c, PaymentApplied, nil
}

// planExpire ends a reservation that is due. Nothing for an order no longer awaiting
// payment; ErrNotDue before ReservedUntil.
func planExpire(snap Snapshot, now time.Time) (*Change, error) {
	o := snap.Order
	if o.Status != StatusAwaitingPayment {
		return nil, nil
	}
	if now.Before(o.ReservedUntil) {
		return nil, ErrNotDue
	}
	to, err := Next(o.Status, ActExpire, PartySystem)
	if err != nil {
		return nil, err
	}
	c := &Change{Order: o, At: now, History: &HistoryEntry{Status: to}}
	c.Order.Status = to
	c.Order.UpdatedAt = now
	for _, l := range o.Lines {
		if o.Lot != 0 || o.GroupBuy != 0 {
			break // the unit goes back to its lot (Held); a group's took no stock (Group)
		}
		c.Stock = append(c.Stock, StockMove{VariantID: l.VariantID, Kind: catalog.MoveRelease, Reserved: -l.Quantity})
	}
	c.Jobs = append([]core.Job{notifyJob(o.ID, EventExpired, "")}, cancelRemindJobs(o)...)
	if o.Lot != 0 {
		c.Jobs = append(c.Jobs, heldEndedJob(o))
	}
	if o.GroupBuy != 0 {
		c.Jobs = append(c.Jobs, groupEndedJob(o))
	}
	if o.Team != 0 {
		c.Jobs = append(c.Jobs, teamJob(o, c.Order.Status))
	}
	return c, nil
}

// partyOf says who actor is to the order of snap; 0 for a stranger.
func partyOf(snap Snapshot, actor core.UserID) Party {
	var p Party
	if actor != 0 && actor == snap.Order.BuyerID {
		p |= PartyBuyer
	}
	if actor != 0 && snap.ActorRole != "" {
		p |= PartyStaff
	}
	return p
}

// planCancel calls an order off. A reservation is released; the stock of a paid
// order returns and every payment kept for it is to be refunded.
func planCancel(snap Snapshot, actor core.UserID, reason string, now time.Time) (*Change, error) {
	by := partyOf(snap, actor)
	if by == 0 {
		return nil, ErrOrderNotFound
	}
	return planCancelBy(snap, by, actor, reason, now)
}

// planCancelBy is planCancel for a party already known (PartySystem for CallOff).
func planCancelBy(snap Snapshot, by Party, actor core.UserID, reason string, now time.Time) (*Change, error) {
	o := snap.Order
	to, err := Next(o.Status, ActCancel, by)
	if err != nil {
		return nil, err
	}
	reason = clipNote(reason)
	c := &Change{Order: o, At: now, Actor: actor, History: &HistoryEntry{Status: to, Note: reason}}
	for _, l := range o.Lines {
		if o.GroupBuy != 0 {
			break // a group's order took no stock (Group)
		}
		m := StockMove{VariantID: l.VariantID, Kind: catalog.MoveRelease, Reserved: -l.Quantity}
		if o.Status != StatusAwaitingPayment { // sold: the goods come back on hand
			m = StockMove{VariantID: l.VariantID, Kind: catalog.MoveReturn, OnHand: l.Quantity}
		} else if o.Lot != 0 {
			c.Jobs = append(c.Jobs, heldEndedJob(o)) // the unit goes back to its lot (Held)
			continue
		}
		c.Stock = append(c.Stock, m)
	}
	for _, ch := range snap.Charges {
		if ch.Status != ChargeCaptured {
			continue
		}
		ch.Status = ChargeRefundPending
		ch.RefundReason = "the order was cancelled"
		c.Charges = append(c.Charges, ch)
		c.Jobs = append(c.Jobs, refundJob(ch))
	}
	c.Order.Status = to
	c.Order.CancelReason = reason
	c.Order.UpdatedAt = now
	c.Jobs = append(c.Jobs, notifyJob(o.ID, EventCancelled, ""))
	if o.Status == StatusAwaitingPayment {
		c.Jobs = append(c.Jobs, cancelRemindJobs(o)...)
	}
	if o.GroupBuy != 0 {
		c.Jobs = append(c.Jobs, groupEndedJob(o))
	}
	if o.Team != 0 {
		c.Jobs = append(c.Jobs, teamJob(o, c.Order.Status))
	}
	return c, nil
}

// planFulfil moves a paid order along: shipped, ready for pickup, completed.
func planFulfil(snap Snapshot, actor core.UserID, action Action, note string, now time.Time) (*Change, error) {
	o := snap.Order
	by := partyOf(snap, actor)
	if by == 0 {
		return nil, ErrOrderNotFound
	}
	to, err := Next(o.Status, action, by)
	if err != nil {
		return nil, err
	}
	if o.TeamForming {
		return nil, ErrTeamForming
	}
	// Where the goods go decides how they get there.
	if action == ActShip && o.Delivery == DeliveryPickup || action == ActReadyForPickup && o.Delivery != DeliveryPickup {
		return nil, ErrTransition
	}
	var event Event
	switch action {
	case ActShip:
		event = EventShipped
	case ActReadyForPickup:
		event = EventReadyForPickup
	default:
		event = EventCompleted
	}
	note = clipNote(note)
	c := &Change{Order: o, At: now, Actor: actor, History: &HistoryEntry{Status: to, Note: note}}
	c.Order.Status = to
	c.Order.UpdatedAt = now
	if action == ActShip {
		c.Order.TrackingNote = note
	}
	c.Jobs = []core.Job{notifyJob(o.ID, event, "")}
	if to == StatusCompleted {
		c.Order.CompletedAt = now
		if days := snap.Shop.ReviewRequestDays; days > 0 {
			c.Jobs = append(c.Jobs, reviewRequestJob(o, days, now))
		}
	}
	return c, nil
}

// planRefunded records that the money of a charge went back. The order itself is
// refunded once none of its money is kept or waiting to go back, if it was waiting
// for that (refund_pending, or cancelled after payment). Marking a refunded charge
// again changes nothing.
func planRefunded(snap Snapshot, chargeID string, now time.Time) (*Change, error) {
	o := snap.Order
	var found *Charge
	open := 0
	for i := range snap.Charges {
		ch := &snap.Charges[i]
		if ch.TelegramChargeID == chargeID {
			found = ch
			continue
		}
		if ch.Status != ChargeRefunded {
			open++
		}
	}
	switch {
	case found == nil:
		return nil, ErrChargeNotFound
	case found.Status == ChargeRefunded:
		return nil, nil
	case found.Status != ChargeRefundPending:
		return nil, ErrTransition // money that pays a live order is refunded by cancelling it
	}
	ch := *found
	ch.Status = ChargeRefunded
	ch.RefundedAt = now
	c := &Change{Order: o, At: now, Charges: []Charge{ch}}
	if open == 0 {
		if to, err := Next(o.Status, ActRefund, PartySystem); err == nil {
			c.Order.Status = to
			c.Order.UpdatedAt = now
		}
	}
	c.History = &HistoryEntry{Status: c.Order.Status, Note: "payment refunded"}
	c.Jobs = []core.Job{notifyJob(o.ID, EventRefunded, chargeID)}
	return c, nil
}

// planConfirmRefund is planRefunded done by a person: staff confirming that they gave
// a card payment's money back at the provider. A Stars payment is refunded by the
// system through Telegram (the refund job) and never confirmed by hand: marked
// refunded by staff, the job would find nothing to do and the buyer would never get
// the Stars back (ErrStarsRefund).
func planConfirmRefund(snap Snapshot, actor core.UserID, chargeID string, now time.Time) (*Change, error) {
	switch by := partyOf(snap, actor); {
	case by&PartyStaff != 0:
	case by&PartyBuyer != 0:
		return nil, catalog.ErrNotStaff
	default:
		return nil, ErrOrderNotFound
	}
	for _, ch := range snap.Charges {
		if ch.TelegramChargeID == chargeID && ch.Amount.Currency == core.Stars {
			return nil, ErrStarsRefund
		}
	}
	c, err := planRefunded(snap, chargeID, now)
	if c != nil {
		c.Actor = actor
	}
	return c, err
}

// clipNote trims free text and bounds its length.
func clipNote(s string) string {
	s = strings.TrimSpace(s)
	if utf8.RuneCountInString(s) <= maxNoteRunes {
		return s
	}
	r := []rune(s)
	return string(r[:maxNoteRunes])
}

// expireJob ends o's reservation when it is due. Its key is fixed per order, so a
// pending one moves when the reservation is extended.
func expireJob(o Order) core.Job {
	return core.Job{
		Kind:    JobExpire,
		Key:     fmt.Sprintf("%s:%d", JobExpire, o.ID),
		RunAt:   o.ReservedUntil,
		Payload: mustJSON(ExpirePayload{OrderID: o.ID}),
	}
}

// notifyJob tells people about an event of an order. Events about one payment
// (refunds) carry its charge id in the key, since an order can have several.
func notifyJob(id core.OrderID, e Event, chargeID string) core.Job {
	key := fmt.Sprintf("%s:%d:%s", JobNotify, id, e)
	if chargeID != "" {
		key += ":" + chargeID
	}
	return core.Job{Kind: JobNotify, Key: key, Payload: mustJSON(NotifyPayload{OrderID: id, Event: e})}
}

// heldEndedJob gives the unit of an order of held stock back to its holder.
func heldEndedJob(o Order) core.Job {
	return core.Job{Kind: JobHeldEnded, Key: fmt.Sprintf("%s:%d", JobHeldEnded, o.ID),
		Payload: mustJSON(HeldEndedPayload{OrderID: o.ID, Lot: o.Lot})}
}

// groupEndedJob tells an order's group buy that the order ended.
func groupEndedJob(o Order) core.Job {
	return core.Job{Kind: JobGroupEnded, Key: fmt.Sprintf("%s:%d", JobGroupEnded, o.ID),
		Payload: mustJSON(GroupEndedPayload{OrderID: o.ID, GroupBuy: o.GroupBuy})}
}

// teamJob tells an order's team that the order became status.
func teamJob(o Order, status Status) core.Job {
	return core.Job{Kind: JobTeam, Key: fmt.Sprintf("%s:%d:%s", JobTeam, o.ID, status),
		Payload: mustJSON(TeamPayload{OrderID: o.ID, Team: o.Team})}
}

// refundJob gives a charge's money back (Stars) or asks staff to (card).
func refundJob(ch Charge) core.Job {
	return core.Job{
		Kind:    JobRefund,
		Key:     JobRefund + ":" + ch.TelegramChargeID,
		Payload: mustJSON(RefundPayload{OrderID: ch.OrderID, TelegramChargeID: ch.TelegramChargeID, BuyerID: ch.BuyerID}),
	}
}

// mustJSON encodes a payload of this package, which always encodes.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("order: encode %T: %v", v, err))
	}
	return b
}
