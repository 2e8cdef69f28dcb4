package order

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/shop"
)

// Service is the order rules.
type Service struct {
	store Store
	clock core.Clock
}

// Store is what orders need from storage. Implemented by core/postgres.
//
// Changes go through closures: the store reads a snapshot inside a transaction
// (under the order's row lock for an existing order), the closure decides a Change,
// and the store applies it in that transaction. An error from the closure rolls the
// transaction back and is returned as is.
type Store interface {
	// LostReminders returns up to limit orders of each kind whose unpaid reminder
	// or review request was due before before and did not go.
	LostReminders(ctx context.Context, before time.Time, limit int) (unpaid, reviews []core.OrderID, err error)
	// Shop returns a shop's settings; catalog.ErrShopNotFound.
	Shop(ctx context.Context, id core.ShopID) (catalog.Shop, error)
	// Role returns user's role in a shop, "" if they are not its staff
	// (postgres.Roles). UpdateOrder reads it itself, in its transaction.
	shop.Roles
	// Stock returns a variant with its price and stock; catalog.ErrVariantNotFound.
	Stock(ctx context.Context, id core.VariantID) (Stock, error)
	// ShippingOptions returns a shop's shipping options that are not archived.
	ShippingOptions(ctx context.Context, shop core.ShopID) ([]catalog.ShippingOption, error)

	// Carts returns the buyer's carts with their items' current price and stock
	// (Total not set), only the one of shop when shop is not nil.
	Carts(ctx context.Context, buyer core.UserID, shop *core.ShopID) ([]Cart, error)
	// CartQuantity returns how much of a variant is in the buyer's cart (0: none).
	CartQuantity(ctx context.Context, buyer core.UserID, v core.VariantID) (int, error)
	// SetCartItem sets a cart line (a quantity of 0 removes it), records at as when
	// the buyer's cart in shop changed, and writes jobs to the outbox, in one
	// transaction.
	SetCartItem(ctx context.Context, buyer core.UserID, shop core.ShopID, v core.VariantID, qty int, at time.Time, jobs []core.Job) error
	// RemindCart locks the version of the buyer's cart in shop, reads its CartState
	// and, if decide returns nil, records now as when the buyer was reminded of it.
	// It returns the state as read, with decide's error.
	RemindCart(ctx context.Context, buyer core.UserID, shop core.ShopID, now time.Time, decide func(CartState) error) (CartState, error)
	// ClearCart empties the buyer's cart in a shop.
	ClearCart(ctx context.Context, buyer core.UserID, shop core.ShopID) error

	// Checkout returns the buyer's order made with req.Key if there is one. Else it
	// reads a CheckoutSnapshot for req, asks plan for the new order and creates it:
	// order, lines, history, jobs and stock moves in one transaction.
	// catalog.ErrShopNotFound; ErrSoldOut or ErrNotEnoughStock if a reservation
	// fails. A concurrent checkout with the same key makes one order, which both get.
	Checkout(ctx context.Context, req CheckoutRequest, plan func(CheckoutSnapshot) (*Change, error)) (Order, error)
	// UpdateOrder locks an order, reads its Snapshot with actor's role (actor 0: the
	// system), and applies what fn decides (nil: nothing). Returns the order as saved;
	// when fn fails, the order as read with fn's error. ErrOrderNotFound.
	UpdateOrder(ctx context.Context, id core.OrderID, actor core.UserID, fn func(Snapshot) (*Change, error)) (Order, error)
	// UpdateDueOrder is UpdateOrder for one order awaiting payment whose reservation
	// ended by now, the oldest, skipping orders locked by others and those in skip.
	// found is false when there is none. When it fails on an order, o.ID names it.
	UpdateDueOrder(ctx context.Context, now time.Time, skip []core.OrderID, fn func(Snapshot) (*Change, error)) (o Order, found bool, err error)

	// RetryRefunds writes job(charge) to the outbox again for up to limit Stars
	// payments waiting for their refund since before (when their refund job was last
	// written), oldest first, skipping those locked by others, and records now as
	// when it was written. It returns how many.
	RetryRefunds(ctx context.Context, before, now time.Time, limit int, job func(Charge) core.Job) (int, error)

	// InvoiceSent records messageID as the invoice message of the buyer's order id
	// unless a later one (a greater id) is recorded. found is false when buyer has no
	// order id.
	InvoiceSent(ctx context.Context, id core.OrderID, buyer core.UserID, messageID int64) (found bool, err error)
	// BeginInvoice takes the right to send the invoice of the buyer's order id
	// until until: true when no invoice was sent and nobody else holds it at
	// now. EndInvoice gives it back when the invoice did not go.
	BeginInvoice(ctx context.Context, id core.OrderID, buyer core.UserID, now, until time.Time) (bool, error)
	EndInvoice(ctx context.Context, id core.OrderID) error
	// Order returns an order with its lines; ErrOrderNotFound.
	Order(ctx context.Context, id core.OrderID) (Order, error)
	// Orders lists orders by filter newest first, and how many match in all. The
	// filter is complete: Limit is set.
	Orders(ctx context.Context, f Filter) ([]Order, int, error)
	// Charge returns a recorded payment by its Telegram charge id; ErrChargeNotFound.
	Charge(ctx context.Context, telegramChargeID string) (Charge, error)
	// Charges returns the payments recorded for an order, oldest first.
	Charges(ctx context.Context, id core.OrderID) ([]Charge, error)
	// Totals counts a shop's orders in one of statuses paid since the time, and sums
	// their totals in the shop's currency; catalog.ErrShopNotFound.
	Totals(ctx context.Context, shop core.ShopID, since time.Time, statuses []Status) (Totals, error)
}

// NewService returns a Service. The store answers who is staff and what a shop
// sells, so that checks and changes share one transaction.
func NewService(store Store, clock core.Clock) *Service {
	return &Service{store: store, clock: clock}
}

// now is the clock's time at the precision PostgreSQL keeps, so an order read back
// equals the order returned.
func (s *Service) now() time.Time { return s.clock.Now().Truncate(time.Microsecond) }

// --- cart ---

// AddToCart adds qty of a variant to the buyer's cart in its shop (capped at what is
// available); ErrSoldOut, ErrUnavailable, ErrQuantity.
//
// Also catalog.ErrVariantNotFound and catalog.ErrShopBlocked. The cap is advisory:
// checkout reserves, and refuses what is not there by then.
func (s *Service) AddToCart(ctx context.Context, buyer core.UserID, v core.VariantID, qty int) (Cart, error) {
	if qty < 1 || qty > MaxQuantity {
		return Cart{}, ErrQuantity
	}
	st, err := s.sellable(ctx, v)
	if err != nil {
		return Cart{}, err
	}
	have, err := s.store.CartQuantity(ctx, buyer, v)
	if err != nil {
		return Cart{}, fmt.Errorf("add to cart: %w", err)
	}
	n := min(have+qty, st.Available(), MaxQuantity)
	if err := s.cartChanged(ctx, buyer, st.ShopID, v, n); err != nil {
		return Cart{}, fmt.Errorf("add to cart: %w", err)
	}
	return s.Cart(ctx, buyer, st.ShopID)
}

// SetCartQuantity sets a cart line's quantity; 0 removes it.
//
// A quantity above what is available is capped; ErrQuantity outside 0..MaxQuantity,
// ErrSoldOut, ErrUnavailable, catalog.ErrVariantNotFound, catalog.ErrShopBlocked.
// Removing always works, whatever became of the variant.
func (s *Service) SetCartQuantity(ctx context.Context, buyer core.UserID, v core.VariantID, qty int) (Cart, error) {
	if qty < 0 || qty > MaxQuantity {
		return Cart{}, ErrQuantity
	}
	if qty == 0 {
		st, err := s.store.Stock(ctx, v)
		if err != nil {
			return Cart{}, fmt.Errorf("remove from cart: %w", err)
		}
		if err := s.cartChanged(ctx, buyer, st.ShopID, v, 0); err != nil {
			return Cart{}, fmt.Errorf("remove from cart: %w", err)
		}
		return s.Cart(ctx, buyer, st.ShopID)
	}
	st, err := s.sellable(ctx, v)
	if err != nil {
		return Cart{}, err
	}
	if err := s.cartChanged(ctx, buyer, st.ShopID, v, min(qty, st.Available())); err != nil {
		return Cart{}, fmt.Errorf("set cart quantity: %w", err)
	}
	return s.Cart(ctx, buyer, st.ShopID)
}

// sellable returns a variant a shopper may put in a cart now.
func (s *Service) sellable(ctx context.Context, v core.VariantID) (Stock, error) {
	st, err := s.store.Stock(ctx, v)
	switch {
	case err != nil:
		return Stock{}, fmt.Errorf("variant %d: %w", v, err)
	case st.ShopBlocked:
		return Stock{}, catalog.ErrShopBlocked
	case st.Archived:
		return Stock{}, ErrUnavailable
	case st.Available() <= 0:
		return Stock{}, ErrSoldOut
	}
	return st, nil
}

// Cart returns the buyer's cart in a shop (empty if none).
//
// catalog.ErrShopNotFound for an unknown shop.
func (s *Service) Cart(ctx context.Context, buyer core.UserID, shop core.ShopID) (Cart, error) {
	carts, err := s.store.Carts(ctx, buyer, &shop)
	if err != nil {
		return Cart{}, fmt.Errorf("cart: %w", err)
	}
	if len(carts) == 0 {
		sh, err := s.store.Shop(ctx, shop)
		if err != nil {
			return Cart{}, fmt.Errorf("cart: %w", err)
		}
		return Cart{ShopID: shop, BuyerID: buyer, Total: core.Money{Currency: sh.Currency}}, nil
	}
	return withTotal(carts[0])
}

// Carts returns the buyer's non-empty carts.
func (s *Service) Carts(ctx context.Context, buyer core.UserID) ([]Cart, error) {
	carts, err := s.store.Carts(ctx, buyer, nil)
	if err != nil {
		return nil, fmt.Errorf("carts: %w", err)
	}
	for i := range carts {
		if carts[i], err = withTotal(carts[i]); err != nil {
			return nil, err
		}
	}
	return carts, nil
}

// withTotal sums a cart's lines at their current prices.
func withTotal(c Cart) (Cart, error) {
	if len(c.Items) == 0 {
		return c, nil
	}
	total := core.Money{Currency: c.Items[0].UnitPrice.Currency}
	for _, it := range c.Items {
		line, err := it.UnitPrice.Mul(int64(it.Quantity))
		if err != nil {
			return Cart{}, err
		}
		if total, err = total.Add(line); err != nil {
			return Cart{}, err
		}
	}
	c.Total = total
	return c, nil
}

// ClearCart empties the buyer's cart in a shop.
func (s *Service) ClearCart(ctx context.Context, buyer core.UserID, shop core.ShopID) error {
	if err := s.store.ClearCart(ctx, buyer, shop); err != nil {
		return fmt.Errorf("clear cart: %w", err)
	}
	return nil
}

// --- checkout and payment ---

// Checkout reserves the stock of the requested items and creates an order awaiting
// payment that holds it for the shop's reservation time; an expiry job is written to
// the outbox. All or nothing: ErrSoldOut / ErrNotEnoughStock if any line cannot be
// reserved, ErrUnavailable for an archived product, catalog.ErrShopBlocked,
// ErrPickupPoint. Idempotent on (BuyerID, Key).
//
// Also ErrEmptyCart, ErrQuantity, ErrMixedShops (a variant of another shop),
// ErrDelivery (a card shop needs pickup or shipping; a Stars shop delivers nothing
// unless pickup is chosen), catalog.ErrShopNotFound, catalog.ErrVariantNotFound. The
// order's shipping is priced when it is paid: until then Total is the items' total.
// A repeated key returns the first order as it is now, whatever the request says,
// with Existing set.
func (s *Service) Checkout(ctx context.Context, req CheckoutRequest) (Order, error) {
	if req.Key == "" {
		return Order{}, core.Errorf(core.EINVALID, "checkout without a key")
	}
	if len(req.Items) > 0 {
		items, err := normalizeItems(req.Items)
		if err != nil {
			return Order{}, err
		}
		req.Items = items
	}
	now := s.now()
	var made core.OrderID // the order this call planned; another one is the key's
	o, err := s.store.Checkout(ctx, req, func(snap CheckoutSnapshot) (*Change, error) {
		c, err := planCheckout(snap, req, now)
		if c != nil {
			made = c.Order.ID
		}
		return c, err
	})
	if err != nil {
		return Order{}, fmt.Errorf("checkout: %w", err)
	}
	o.Existing = o.ID != made
	return o, nil
}

// InvoiceSent records that the invoice of the buyer's order went out as the chat
// message messageID (positive), so that a second tap on the checkout button finds it
// (Order.InvoiceMessageID). Idempotent; of two invoices, the later message is kept.
// It records what was sent, whatever the order's status now. ErrOrderNotFound when
// buyer has no order id; core.EINVALID for a message id that is not positive.
func (s *Service) InvoiceSent(ctx context.Context, id core.OrderID, buyer core.UserID, messageID int64) error {
	if messageID <= 0 {
		return core.Errorf(core.EINVALID, "invoice message id %d", messageID)
	}
	found, err := s.store.InvoiceSent(ctx, id, buyer, messageID)
	if err != nil {
		return fmt.Errorf("record invoice of order %d: %w", id, err)
	}
	if !found {
		return ErrOrderNotFound
	}
	return nil
}

// InvoiceLease is how long BeginInvoice gives the right to send an invoice: past
// it (the sender died) another may send.
const InvoiceLease = 30 * time.Second

// BeginInvoice takes the right to send the invoice of the buyer's order, for
// the paths that may both send one at once (a drop's claim: the worker, and
// the buyer opening the bot from the tap's answer): false when an invoice went
// or is going. Call InvoiceSent once it went, AbortInvoice when it did not.
func (s *Service) BeginInvoice(ctx context.Context, id core.OrderID, buyer core.UserID) (bool, error) {
	now := s.now()
	ok, err := s.store.BeginInvoice(ctx, id, buyer, now, now.Add(InvoiceLease))
	if err != nil {
		return false, fmt.Errorf("invoice of order %d: %w", id, err)
	}
	return ok, nil
}

// AbortInvoice gives back the right BeginInvoice took: the invoice did not go.
func (s *Service) AbortInvoice(ctx context.Context, id core.OrderID) error {
	return s.store.EndInvoice(ctx, id)
}

// ShippingOptions returns the shipping options the buyer may choose for an order
// payable now (for Telegram's shipping_query); otherwise Order.Payable's error.
//
// ErrOrderNotFound, ErrNotBuyer; ErrNotPayable also for an order not shipped.
func (s *Service) ShippingOptions(ctx context.Context, buyer core.UserID, id core.OrderID) ([]catalog.ShippingOption, error) {
	o, err := s.store.Order(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("shipping options of order %d: %w", id, err)
	}
	if o.BuyerID != buyer {
		return nil, ErrNotBuyer
	}
	if err := o.Payable(s.now()); err != nil {
		return nil, err
	}
	if o.Delivery != DeliveryShipping {
		return nil, ErrNotPayable
	}
	opts, err := s.store.ShippingOptions(ctx, o.ShopID)
	if err != nil {
		return nil, fmt.Errorf("shipping options of order %d: %w", id, err)
	}
	return opts, nil
}

// CheckPreCheckout answers Telegram's pre_checkout_query: nil if the order is
// payable now (Order.Payable: awaiting payment, its reservation alive), and the total
// (with the chosen shipping) and currency match. Payable's ErrAlreadyPaid,
// ErrReservationExpired, ErrNotPayable; ErrAmountMismatch, ErrNotBuyer otherwise. A
// passed check extends the reservation by a few minutes so the payment Telegram is
// about to make finds it alive.
//
// Also ErrOrderNotFound, ErrShippingOption (a shipped order without an option of its
// shop) and catalog.ErrShopBlocked. The reservation is kept at least PaymentHold
// from now; the expiry job moves with it.
func (s *Service) CheckPreCheckout(ctx context.Context, q PreCheckout) error {
	now := s.now()
	_, err := s.store.UpdateOrder(ctx, q.OrderID, q.BuyerID, func(snap Snapshot) (*Change, error) {
		return planPreCheckout(snap, q, now)
	})
	if err != nil {
		return fmt.Errorf("pre-checkout of order %d: %w", q.OrderID, err)
	}
	return nil
}

// RecordPayment records a successful payment exactly once, keyed on its Telegram
// charge id, in one transaction with the order and stock. A payment for an order
// whose reservation expired still pays it if stock allows; otherwise the order goes
// to refund_pending and a refund job is written. Never loses a payment: any error
// means nothing was written and the caller must let Telegram redeliver.
//
// Outcomes: PaymentApplied (the order is paid; staff and buyer are notified),
// PaymentDuplicate (the charge id was recorded before: nothing written, the order as
// it is), PaymentRefunding (the money is recorded with a refund job: the order was
// already paid, or cancelled by staff after it was paid, the amount or currency
// differs from the order's, someone other than the buyer paid, or the stock is
// gone). ErrOrderNotFound for an order that does not exist, which cannot be
// recorded.
func (s *Service) RecordPayment(ctx context.Context, p Payment) (Order, PaymentOutcome, error) {
	if p.TelegramChargeID == "" {
		return Order{}, "", core.Errorf(core.EINVALID, "payment without a charge id")
	}
	now := s.now()
	takeStock := true
	for {
		var outcome PaymentOutcome
		o, err := s.store.UpdateOrder(ctx, p.OrderID, 0, func(snap Snapshot) (*Change, error) {
			c, out, err := planPayment(snap, p, now, takeStock)
			outcome = out
			return c, err
		})
		switch {
		case takeStock && (errors.Is(err, ErrSoldOut) || errors.Is(err, ErrNotEnoughStock)):
			// The reservation had ended and its stock was sold meanwhile: nothing was
			// written; record the payment for a refund instead.
			takeStock = false
			continue
		case errors.Is(err, ErrDuplicatePayment):
			// The charge id was recorded by a concurrent delivery, or for another order.
			ch, err := s.store.Charge(ctx, p.TelegramChargeID)
			if err != nil {
				return Order{}, "", fmt.Errorf("record payment for order %d: %w", p.OrderID, err)
			}
			o, err := s.store.Order(ctx, ch.OrderID)
			if err != nil {
				return Order{}, "", fmt.Errorf("record payment for order %d: %w", p.OrderID, err)
			}
			return o, PaymentDuplicate, nil
		case err != nil:
			return Order{}, "", fmt.Errorf("record payment for order %d: %w", p.OrderID, err)
		}
		return o, outcome, nil
	}
}

// Expire ends an order's reservation if it is still awaiting payment and due:
// the stock returns and the buyer is notified. ErrNotDue (with the order, so the
// caller can re-schedule at ReservedUntil) when called early; a no-op for an order no
// longer awaiting payment.
//
// ErrOrderNotFound. The order is returned as it is after the call.
func (s *Service) Expire(ctx context.Context, id core.OrderID) (Order, error) {
	now := s.now()
	o, err := s.store.UpdateOrder(ctx, id, 0, func(snap Snapshot) (*Change, error) {
		return planExpire(snap, now)
	})
	if errors.Is(err, ErrNotDue) {
		return o, ErrNotDue
	}
	if err != nil {
		return Order{}, fmt.Errorf("expire order %d: %w", id, err)
	}
	return o, nil
}

// defaultSweep is how many orders ExpireDue expires when limit is not positive.
const defaultSweep = 100

// ExpireDue expires up to limit orders whose reservation ended, oldest first: the
// sweep that catches any lost expiry job. Returns how many it expired.
//
// Each order is expired in its own transaction, skipping orders another sweeper or
// handler holds, so sweepers on several workers share the work. A limit of 0 or less
// means 100. An order whose expiry fails is left as it was and the sweep goes on past
// it (one broken order must not keep every later one reserved); the failures are
// returned together, with how many were expired.
func (s *Service) ExpireDue(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		limit = defaultSweep
	}
	now := s.now()
	n := 0
	var failed []core.OrderID
	var errs []error
	for n+len(failed) < limit {
		o, found, err := s.store.UpdateDueOrder(ctx, now, failed, func(snap Snapshot) (*Change, error) {
			return planExpire(snap, now)
		})
		if err != nil && found && o.ID != 0 && ctx.Err() == nil {
			failed = append(failed, o.ID)
			errs = append(errs, fmt.Errorf("expire order %d: %w", o.ID, err))
			continue
		}
		if err != nil {
			errs = append(errs, err)
			break
		}
		if !found {
			break
		}
		n++
	}
	if err := errors.Join(errs...); err != nil {
		return n, fmt.Errorf("expire due orders: %w", err)
	}
	return n, nil
}

// RetryRefunds asks again for the refund of up to limit Stars payments whose refund
// was asked for more than olderThan ago and is not done: their refund job is written
// to the outbox again (a new task; refunding twice is harmless, Telegram answers that
// the charge is refunded already). So a refund task lost in Redis, or one that kept
// failing, only delays the refund. Card refunds are left to staff. Returns how many;
// a limit of 0 or less means 100.
func (s *Service) RetryRefunds(ctx context.Context, olderThan time.Duration, limit int) (int, error) {
	if limit <= 0 {
		limit = defaultSweep
	}
	now := s.now()
	n, err := s.store.RetryRefunds(ctx, now.Add(-olderThan), now, limit, refundJob)
	if err != nil {
		return n, fmt.Errorf("retry refunds: %w", err)
	}
	return n, nil
}

// MarkRefunded records that a payment was refunded (the Stars refund went through,
// or staff refunded a card payment).
//
// Only a payment waiting for its refund can be marked (ErrTransition otherwise;
// ErrChargeNotFound if the order has no such payment); marking it again changes
// nothing. When none of the order's money is kept any more, an order in
// refund_pending or cancelled becomes refunded. The buyer is notified. The caller
// proves the refund: this method checks no role.
func (s *Service) MarkRefunded(ctx context.Context, id core.OrderID, telegramChargeID string) (Order, error) {
	now := s.now()
	o, err := s.store.UpdateOrder(ctx, id, 0, func(snap Snapshot) (*Change, error) {
		return planRefunded(snap, telegramChargeID, now)
	})
	if err != nil {
		return Order{}, fmt.Errorf("mark order %d refunded: %w", id, err)
	}
	return o, nil
}

// ConfirmRefund is MarkRefunded by a person: staff confirming that they refunded a
// card payment at the provider. shop.ErrNotStaff for the buyer,
// ErrOrderNotFound for anyone else. ErrStarsRefund for a Stars payment: the refund
// job gives Stars back through Telegram, and a payment marked refunded by hand
// would make it skip the refund.
func (s *Service) ConfirmRefund(ctx context.Context, actor core.UserID, id core.OrderID, telegramChargeID string) (Order, error) {
	now := s.now()
	o, err := s.store.UpdateOrder(ctx, id, actor, func(snap Snapshot) (*Change, error) {
		return planConfirmRefund(snap, actor, telegramChargeID, now)
	})
	if err != nil {
		return Order{}, fmt.Errorf("confirm refund of order %d: %w", id, err)
	}
	return o, nil
}

// Charge returns a recorded payment by its Telegram charge id, for the refund worker
// (who paid, how much, whether it is still to be refunded); ErrChargeNotFound.
func (s *Service) Charge(ctx context.Context, telegramChargeID string) (Charge, error) {
	ch, err := s.store.Charge(ctx, telegramChargeID)
	if err != nil {
		return Charge{}, fmt.Errorf("payment: %w", err)
	}
	return ch, nil
}

// Payments lists the payments recorded for an order, oldest first, to the shop's
// staff: what Telegram and the provider charged (their charge ids), how much, and
// whether it pays the order, is to be refunded or was refunded. A card payment in
// ChargeRefundPending is refunded at the provider by staff, who then confirm it with
// ConfirmRefund; a Stars one is refunded by the worker.
//
// shop.ErrNotStaff for the buyer, ErrOrderNotFound for anyone else.
func (s *Service) Payments(ctx context.Context, viewer core.UserID, id core.OrderID) ([]Charge, error) {
	o, err := s.store.Order(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("payments of order %d: %w", id, err)
	}
	err = s.staffOnly(ctx, o.ShopID, viewer)
	if errors.Is(err, shop.ErrNotStaff) && o.BuyerID != viewer {
		err = ErrOrderNotFound // ids cannot be probed
	}
	if err != nil {
		return nil, fmt.Errorf("payments of order %d: %w", id, err)
	}
	chs, err := s.store.Charges(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("payments of order %d: %w", id, err)
	}
	return chs, nil
}

// --- after payment ---

// Cancel cancels an order. The buyer may cancel one awaiting payment; staff may
// cancel one awaiting payment or paid and not yet shipped (stock returns; a paid
// order gets a refund job). ErrTransition otherwise.
//
// Staff may also cancel an order ready for pickup that nobody collected.
// ErrOrderNotFound for anyone but the buyer and staff. The reason is kept (trimmed to
// 500 characters) and the buyer is notified.
func (s *Service) Cancel(ctx context.Context, actor core.UserID, id core.OrderID, reason string) (Order, error) {
	now := s.now()
	o, err := s.store.UpdateOrder(ctx, id, actor, func(snap Snapshot) (*Change, error) {
		return planCancel(snap, actor, reason, now)
	})
	if err != nil {
		return Order{}, fmt.Errorf("cancel order %d: %w", id, err)
	}
	return o, nil
}

// CallOff cancels an order for the system because the sale it came from was
// called off (a cancelled live session): a reservation is released, and a paid
// order not yet shipped or at its pickup point is refunded (Cancel's rules).
// The buyer is told, with reason. An order past that, or called off already,
// is left as it is: ErrTransition, which a job that calls again may ignore.
func (s *Service) CallOff(ctx context.Context, id core.OrderID, reason string) (Order, error) {
	now := s.now()
	o, err := s.store.UpdateOrder(ctx, id, 0, func(snap Snapshot) (*Change, error) {
		return planCancelBy(snap, PartySystem, 0, reason, now)
	})
	if err != nil {
		return Order{}, fmt.Errorf("call off order %d: %w", id, err)
	}
	return o, nil
}

// MarkShipped (staff) moves a paid order to shipped with an optional tracking note.
//
// catalog.ErrNotStaff for the buyer, ErrOrderNotFound for anyone else, ErrTransition
// for an order not paid or to be picked up. The buyer is notified.
func (s *Service) MarkShipped(ctx context.Context, actor core.UserID, id core.OrderID, tracking string) (Order, error) {
	return s.fulfil(ctx, actor, id, ActShip, tracking)
}

// MarkReadyForPickup (staff) moves a paid pickup order to ready_for_pickup.
//
// catalog.ErrNotStaff for the buyer, ErrOrderNotFound for anyone else, ErrTransition
// for an order not paid or not to be picked up. The buyer is notified.
func (s *Service) MarkReadyForPickup(ctx context.Context, actor core.UserID, id core.OrderID) (Order, error) {
	return s.fulfil(ctx, actor, id, ActReadyForPickup, "")
}

// Complete (staff, or the buyer confirming receipt) completes a shipped or
// ready-for-pickup order.
//
// ErrOrderNotFound for anyone else, ErrTransition from any other status. The buyer
// is notified.
func (s *Service) Complete(ctx context.Context, actor core.UserID, id core.OrderID) (Order, error) {
	return s.fulfil(ctx, actor, id, ActComplete, "")
}

func (s *Service) fulfil(ctx context.Context, actor core.UserID, id core.OrderID, action Action, note string) (Order, error) {
	now := s.now()
	o, err := s.store.UpdateOrder(ctx, id, actor, func(snap Snapshot) (*Change, error) {
		return planFulfil(snap, actor, action, note, now)
	})
	if err != nil {
		return Order{}, fmt.Errorf("%s order %d: %w", action, id, err)
	}
	return o, nil
}

// --- reading ---

// Order returns an order to its buyer or the shop's staff; ErrOrderNotFound (also
// for anyone else, so ids cannot be probed).
func (s *Service) Order(ctx context.Context, viewer core.UserID, id core.OrderID) (Order, error) {
	o, err := s.store.Order(ctx, id)
	if err != nil {
		return Order{}, fmt.Errorf("order %d: %w", id, err)
	}
	if o.BuyerID == viewer {
		return o, nil
	}
	err = s.staffOnly(ctx, o.ShopID, viewer)
	if errors.Is(err, shop.ErrNotStaff) {
		err = ErrOrderNotFound // ids cannot be probed
	}
	if err != nil {
		return Order{}, fmt.Errorf("order %d: %w", id, err)
	}
	return o, nil
}

// OrderForSystem returns an order without a viewer check: for workers and payment
// updates, which carry their own proof.
//
// ErrOrderNotFound.
func (s *Service) OrderForSystem(ctx context.Context, id core.OrderID) (Order, error) {
	o, err := s.store.Order(ctx, id)
	if err != nil {
		return Order{}, fmt.Errorf("order %d: %w", id, err)
	}
	return o, nil
}

// Filter selects orders; nil fields do not filter.
type Filter struct {
	ShopID   *core.ShopID
	BuyerID  *core.UserID
	Statuses []Status
	Limit    int // default 10, at most 50
	Offset   int
}

// Orders lists orders newest first: a buyer's own (BuyerID = viewer), or a shop's
// for its staff (ShopID set; ErrNotStaff otherwise).
//
// Without ShopID the list is the viewer's own orders: a BuyerID of someone else is
// ErrNotBuyer. Also returns how many orders match in all, for paging.
func (s *Service) Orders(ctx context.Context, viewer core.UserID, f Filter) ([]Order, int, error) {
	switch {
	case f.Limit <= 0:
		f.Limit = 10
	case f.Limit > 50:
		f.Limit = 50
	}
	f.Offset = max(f.Offset, 0)
	if f.ShopID != nil {
		if err := s.staffOnly(ctx, *f.ShopID, viewer); err != nil {
			return nil, 0, err
		}
	} else {
		if f.BuyerID != nil && *f.BuyerID != viewer {
			return nil, 0, ErrNotBuyer
		}
		f.BuyerID = &viewer
	}
	list, n, err := s.store.Orders(ctx, f)
	if err != nil {
		return nil, 0, fmt.Errorf("orders: %w", err)
	}
	return list, n, nil
}

// Totals is a shop's paid business over a period.
type Totals struct {
	Orders  int
	Revenue core.Money
}

// Totals sums orders paid since the given time (staff only), counting every order
// that was paid and not refunded.
//
// Orders paid and then cancelled do not count. shop.ErrNotStaff.
func (s *Service) Totals(ctx context.Context, actor core.UserID, shop core.ShopID, since time.Time) (Totals, error) {
	if err := s.staffOnly(ctx, shop, actor); err != nil {
		return Totals{}, err
	}
	t, err := s.store.Totals(ctx, shop, since, paidStatuses)
	if err != nil {
		return Totals{}, fmt.Errorf("totals of shop %d: %w", shop, err)
	}
	return t, nil
}

// staffOnly returns shop.ErrNotStaff unless user works for the shop (any role).
//
// It reads the role outside any transaction: for reads and listings. A change that
// depends on the role (cancel, ship, refund) reads it under the order's lock in
// UpdateOrder's snapshot (Snapshot.ActorRole), in the same transaction as the
// change, and the rules decide on it there (rules.go, transition.go).
func (s *Service) staffOnly(ctx context.Context, id core.ShopID, user core.UserID) error {
	_, err := shop.Require(ctx, s.store, id, user, shop.RoleManager)
	return err
}
