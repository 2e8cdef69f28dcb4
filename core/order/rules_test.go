package order

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

var testNow = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

func rub(n int64) core.Money { return core.Money{Amount: n, Currency: "RUB"} }

func cardShop() catalog.Shop {
	return catalog.Shop{ID: 1, Currency: "RUB", PaymentMethod: catalog.PayCard, ReservationTTL: 10 * time.Minute}
}

func checkoutSnap() CheckoutSnapshot {
	return CheckoutSnapshot{
		OrderID: 42,
		Shop:    cardShop(),
		Items:   []Item{{VariantID: 10, Quantity: 2}, {VariantID: 11, Quantity: 1}},
		Stock: map[core.VariantID]Stock{
			10: {VariantID: 10, ProductID: 5, ShopID: 1, Title: "Tee", VariantName: "M", SKU: "T-M", Price: rub(1250), OnHand: 5, Reserved: 1},
			11: {VariantID: 11, ProductID: 6, ShopID: 1, Title: "Mug", SKU: "MUG", Price: rub(999), OnHand: 1},
		},
		PickupPoint: &catalog.PickupPoint{ID: 7, ShopID: 1},
	}
}

func TestPlanCheckout(t *testing.T) {
	t.Parallel()
	req := CheckoutRequest{Key: "k", BuyerID: 100, ShopID: 1, Delivery: DeliveryShipping}

	t.Run("Totals", func(t *testing.T) {
		t.Parallel()
		c, err := planCheckout(checkoutSnap(), req, testNow)
		if err != nil {
			t.Fatal(err)
		}
		o := c.Order
		if o.ItemsTotal != rub(3499) || o.Total != rub(3499) || o.ShippingTotal != rub(0) {
			t.Errorf("totals = %v, %v, %v; want 34.99 RUB items and total, 0 shipping", o.ItemsTotal, o.Total, o.ShippingTotal)
		}
		if o.Status != StatusAwaitingPayment || o.ID != 42 || o.Delivery != DeliveryShipping {
			t.Errorf("order = %+v", o)
		}
		if !o.ReservedUntil.Equal(testNow.Add(10 * time.Minute)) {
			t.Errorf("reserved until %v, want now + the shop's 10 minutes", o.ReservedUntil)
		}
		if o.Lines[0].Title != "Tee (M)" || o.Lines[1].Title != "Mug" || o.Lines[1].No != 2 {
			t.Errorf("lines = %+v", o.Lines)
		}
		want := []StockMove{
			{VariantID: 10, Kind: catalog.MoveReservation, Reserved: 2},
			{VariantID: 11, Kind: catalog.MoveReservation, Reserved: 1},
		}
		if len(c.Stock) != 2 || c.Stock[0] != want[0] || c.Stock[1] != want[1] {
			t.Errorf("moves = %+v, want %+v", c.Stock, want)
		}
		if len(c.Jobs) != 2 || c.Jobs[0].Kind != JobExpire || c.Jobs[0].Key != "order:expire:42" || !c.Jobs[0].RunAt.Equal(o.ReservedUntil) {
			t.Errorf("jobs = %+v, want an expiry at the reservation's end and a reminder", c.Jobs)
		}
		// A 10-minute reservation is recalled 5 minutes before it ends.
		if r := c.Jobs[len(c.Jobs)-1]; r.Kind != JobRemindUnpaid || r.Key != "order:remind:42" || !r.RunAt.Equal(testNow.Add(5*time.Minute)) || !o.RemindAt.Equal(r.RunAt) {
			t.Errorf("reminder job = %+v, order remind at %v; want one at now + 5 minutes", r, o.RemindAt)
		}
		var p ExpirePayload
		if err := json.Unmarshal(c.Jobs[0].Payload, &p); err != nil || p.OrderID != 42 {
			t.Errorf("expiry payload = %s, %v", c.Jobs[0].Payload, err)
		}
	})

	refused := []struct {
		name string
		edit func(*CheckoutSnapshot, *CheckoutRequest)
		want error
	}{
		{"Blocked", func(s *CheckoutSnapshot, _ *CheckoutRequest) { s.Shop.Blocked = true }, catalog.ErrShopBlocked},
		{"Empty", func(s *CheckoutSnapshot, _ *CheckoutRequest) { s.Items = nil }, ErrEmptyCart},
		{"SoldOut", func(s *CheckoutSnapshot, _ *CheckoutRequest) {
			st := s.Stock[11]
			st.Reserved = 1
			s.Stock[11] = st
		}, ErrSoldOut},
		{"NotEnough", func(s *CheckoutSnapshot, _ *CheckoutRequest) { s.Items[0].Quantity = 5 }, ErrNotEnoughStock},
		{"Archived", func(s *CheckoutSnapshot, _ *CheckoutRequest) {
			st := s.Stock[10]
			st.Archived = true
			s.Stock[10] = st
		}, ErrUnavailable},
		{"OtherShop", func(s *CheckoutSnapshot, _ *CheckoutRequest) {
			st := s.Stock[10]
			st.ShopID = 2
			s.Stock[10] = st
		}, ErrMixedShops},
		{"UnknownVariant", func(s *CheckoutSnapshot, _ *CheckoutRequest) { delete(s.Stock, 11) }, catalog.ErrVariantNotFound},
		{"CartQuantity", func(s *CheckoutSnapshot, _ *CheckoutRequest) { s.Items[0].Quantity = 0 }, ErrQuantity},
		{"PickupOfOtherShop", func(s *CheckoutSnapshot, r *CheckoutRequest) {
			r.Delivery = DeliveryPickup
			s.PickupPoint.ShopID = 2
		}, ErrPickupPoint},
		{"PickupMissing", func(s *CheckoutSnapshot, r *CheckoutRequest) {
			r.Delivery = DeliveryPickup
			s.PickupPoint = nil
		}, ErrPickupPoint},
		{"CardWithoutDelivery", func(_ *CheckoutSnapshot, r *CheckoutRequest) { r.Delivery = DeliveryNone }, ErrDelivery},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			snap, r := checkoutSnap(), req
			tt.edit(&snap, &r)
			if _, err := planCheckout(snap, r, testNow); !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
		})
	}
}

func TestChooseDelivery(t *testing.T) {
	t.Parallel()
	stars := catalog.Shop{ID: 1, Currency: core.Stars, PaymentMethod: catalog.PayStars}
	pp := &catalog.PickupPoint{ID: 7, ShopID: 1}
	tests := []struct {
		name string
		shop catalog.Shop
		want DeliveryKind
		got  DeliveryKind
	}{
		{"StarsNone", stars, DeliveryNone, DeliveryNone},
		{"StarsShippingIsNone", stars, DeliveryShipping, DeliveryNone},
		{"StarsEmptyIsNone", stars, "", DeliveryNone},
		{"StarsPickup", stars, DeliveryPickup, DeliveryPickup},
		{"CardShipping", cardShop(), DeliveryShipping, DeliveryShipping},
		{"CardPickup", cardShop(), DeliveryPickup, DeliveryPickup},
	}
	for _, tt := range tests {
		got, _, err := chooseDelivery(tt.shop, tt.want, pp)
		if err != nil || got != tt.got {
			t.Errorf("%s: chooseDelivery = %q, %v; want %q", tt.name, got, err, tt.got)
		}
	}
}

func TestNormalizeItems(t *testing.T) {
	t.Parallel()
	got, err := normalizeItems([]Item{{1, 2}, {2, 1}, {1, 3}})
	if err != nil || len(got) != 2 || got[0] != (Item{1, 5}) || got[1] != (Item{2, 1}) {
		t.Errorf("normalizeItems = %v, %v; want [{1 5} {2 1}]", got, err)
	}
	for _, bad := range [][]Item{{{1, 0}}, {{1, -1}}, {{1, 1000}}, {{1, 600}, {1, 400}}} {
		if _, err := normalizeItems(bad); !errors.Is(err, ErrQuantity) {
			t.Errorf("normalizeItems(%v) err = %v, want ErrQuantity", bad, err)
		}
	}
}

// paySnap is an order of 2 x 12.50 RUB awaiting payment, to be shipped.
func paySnap() Snapshot {
	return Snapshot{
		Order: Order{
			ID: 42, ShopID: 1, BuyerID: 100, Status: StatusAwaitingPayment,
			Lines:      []Line{{No: 1, VariantID: 10, Quantity: 2, UnitPrice: rub(1250)}},
			ItemsTotal: rub(2500), ShippingTotal: rub(0), Total: rub(2500),
			Delivery: DeliveryShipping, ReservedUntil: testNow.Add(time.Minute),
		},
		Shop:            cardShop(),
		ShippingOptions: []catalog.ShippingOption{{ID: 3, ShopID: 1, Name: "Courier", Price: rub(300)}},
	}
}

func payment() Payment {
	return Payment{OrderID: 42, BuyerID: 100, TelegramChargeID: "ch1", Total: rub(2800), ShippingOptionID: 3,
		ShippingAddress: &Address{CountryCode: "RU", City: "Kazan"}}
}

func TestPlanPayment(t *testing.T) {
	t.Parallel()

	t.Run("Applied", func(t *testing.T) {
		t.Parallel()
		c, out, err := planPayment(paySnap(), payment(), testNow, true)
		if err != nil || out != PaymentApplied {
			t.Fatalf("outcome = %q, %v", out, err)
		}
		o := c.Order
		if o.Status != StatusPaid || !o.PaidAt.Equal(testNow) || o.Total != rub(2800) || o.ShippingTotal != rub(300) ||
			o.ShippingOptionID != 3 || o.ShippingAddress == nil || o.ShippingAddress.City != "Kazan" {
			t.Errorf("order = %+v", o)
		}
		if c.NewCharge == nil || c.NewCharge.Status != ChargeCaptured || c.NewCharge.Amount != rub(2800) {
			t.Errorf("charge = %+v", c.NewCharge)
		}
		want := StockMove{VariantID: 10, Kind: catalog.MoveSale, OnHand: -2, Reserved: -2}
		if len(c.Stock) != 1 || c.Stock[0] != want {
			t.Errorf("moves = %+v, want %+v", c.Stock, want)
		}
		if len(c.Jobs) != 1 || c.Jobs[0].Kind != JobNotify {
			t.Errorf("jobs = %+v, want one notification", c.Jobs)
		}
	})

	t.Run("Duplicate", func(t *testing.T) {
		t.Parallel()
		snap := paySnap()
		snap.Charges = []Charge{{TelegramChargeID: "ch1", Status: ChargeCaptured}}
		c, out, err := planPayment(snap, payment(), testNow, true)
		if err != nil || out != PaymentDuplicate || c != nil {
			t.Errorf("= %+v, %q, %v; want nothing to write, duplicate", c, out, err)
		}
	})

	t.Run("ExpiredWithStock", func(t *testing.T) {
		t.Parallel()
		snap := paySnap()
		snap.Order.Status = StatusExpired
		c, out, err := planPayment(snap, payment(), testNow, true)
		if err != nil || out != PaymentApplied || c.Order.Status != StatusPaid {
			t.Fatalf("= %q, %v", out, err)
		}
		want := StockMove{VariantID: 10, Kind: catalog.MoveSale, OnHand: -2}
		if len(c.Stock) != 1 || c.Stock[0] != want {
			t.Errorf("moves = %+v, want a sale from what is available: %+v", c.Stock, want)
		}
	})

	t.Run("ReservationEndedNotSwept", func(t *testing.T) {
		t.Parallel()
		// Payable refuses it, yet its expiry has not run: the stock is still reserved
		// for it, and the payment sells it.
		snap := paySnap()
		snap.Order.ReservedUntil = testNow
		c, out, err := planPayment(snap, payment(), testNow, true)
		if err != nil || out != PaymentApplied || c.Order.Status != StatusPaid {
			t.Fatalf("= %q, %v", out, err)
		}
		want := StockMove{VariantID: 10, Kind: catalog.MoveSale, OnHand: -2, Reserved: -2}
		if len(c.Stock) != 1 || c.Stock[0] != want {
			t.Errorf("moves = %+v, want a sale from the reservation: %+v", c.Stock, want)
		}
	})

	t.Run("CancelledBeforePayment", func(t *testing.T) {
		t.Parallel()
		// The buyer cancelled, then paid the invoice they had: honoured, stock allowing.
		snap := paySnap()
		snap.Order.Status = StatusCancelled
		c, out, err := planPayment(snap, payment(), testNow, true)
		if err != nil || out != PaymentApplied || c.Order.Status != StatusPaid {
			t.Fatalf("= %q, %v", out, err)
		}
	})

	t.Run("ExpiredWithoutStock", func(t *testing.T) {
		t.Parallel()
		snap := paySnap()
		snap.Order.Status = StatusExpired
		c, out, err := planPayment(snap, payment(), testNow, false)
		if err != nil || out != PaymentRefunding {
			t.Fatalf("= %q, %v", out, err)
		}
		if c.Order.Status != StatusRefundPending || c.NewCharge.Status != ChargeRefundPending || len(c.Stock) != 0 {
			t.Errorf("change = %+v", c)
		}
		if !hasJob(c.Jobs, JobRefund, "order:refund:ch1") {
			t.Errorf("jobs = %+v, want the refund", c.Jobs)
		}
	})

	refunds := []struct {
		name string
		edit func(*Snapshot, *Payment)
	}{
		{"AmountMismatch", func(_ *Snapshot, p *Payment) { p.Total = rub(2500) }},
		{"CurrencyMismatch", func(_ *Snapshot, p *Payment) { p.Total.Currency = "USD" }},
		{"UnknownShipping", func(_ *Snapshot, p *Payment) { p.ShippingOptionID = 99 }},
		{"AlreadyPaid", func(s *Snapshot, _ *Payment) {
			s.Order.Status = StatusPaid
			s.Charges = []Charge{{TelegramChargeID: "ch0", Status: ChargeCaptured}}
		}},
		{"Shipped", func(s *Snapshot, _ *Payment) { s.Order.Status = StatusShipped }},
		{"Refunded", func(s *Snapshot, _ *Payment) { s.Order.Status = StatusRefunded }},
		{"RefundPending", func(s *Snapshot, _ *Payment) { s.Order.Status = StatusRefundPending }},
		{"SomeoneElse", func(_ *Snapshot, p *Payment) { p.BuyerID = 200 }},
		// Staff called the order off after it was paid: a new payment must not
		// bring it back to life (the shop said it cannot deliver).
		{"CancelledAfterPayment", func(s *Snapshot, _ *Payment) {
			s.Order.Status = StatusCancelled
			s.Order.PaidAt = testNow.Add(-time.Hour)
			s.Charges = []Charge{{TelegramChargeID: "ch0", Status: ChargeRefundPending}}
		}},
	}
	for _, tt := range refunds {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			snap, p := paySnap(), payment()
			tt.edit(&snap, &p)
			c, out, err := planPayment(snap, p, testNow, true)
			if err != nil || out != PaymentRefunding {
				t.Fatalf("= %q, %v; want refunding", out, err)
			}
			if c.NewCharge == nil || c.NewCharge.Status != ChargeRefundPending || c.NewCharge.Amount != p.Total {
				t.Errorf("charge = %+v; want the money on record, to refund", c.NewCharge)
			}
			if c.Order.Status != snap.Order.Status || len(c.Stock) != 0 {
				t.Errorf("order %s -> %s, moves %v; want untouched", snap.Order.Status, c.Order.Status, c.Stock)
			}
			if !hasJob(c.Jobs, JobRefund, "order:refund:ch1") || !hasJob(c.Jobs, JobNotify, "order:notify:42:refund_pending:ch1") {
				t.Errorf("jobs = %+v", c.Jobs)
			}
		})
	}
}

func hasJob(jobs []core.Job, kind, key string) bool {
	for _, j := range jobs {
		if j.Kind == kind && j.Key == key {
			return true
		}
	}
	return false
}

func TestPlanPreCheckout(t *testing.T) {
	t.Parallel()
	q := PreCheckout{OrderID: 42, BuyerID: 100, Total: rub(2800), ShippingOptionID: 3}

	c, err := planPreCheckout(paySnap(), q, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Order.ReservedUntil.Equal(testNow.Add(PaymentHold)) || !hasJob(c.Jobs, JobExpire, "order:expire:42") {
		t.Errorf("change = %+v; want the reservation held PaymentHold and its expiry moved", c)
	}
	far := paySnap()
	far.Order.ReservedUntil = testNow.Add(time.Hour)
	if c, err := planPreCheckout(far, q, testNow); err != nil || c != nil {
		t.Errorf("a reservation beyond the hold: %+v, %v; want no change", c, err)
	}

	refused := []struct {
		name string
		edit func(*Snapshot, *PreCheckout)
		want error
	}{
		{"Amount", func(_ *Snapshot, q *PreCheckout) { q.Total = rub(2500) }, ErrAmountMismatch},
		{"Currency", func(_ *Snapshot, q *PreCheckout) { q.Total.Currency = "USD" }, ErrAmountMismatch},
		{"NoShipping", func(_ *Snapshot, q *PreCheckout) { q.ShippingOptionID = 0 }, ErrShippingOption},
		{"Expired", func(s *Snapshot, _ *PreCheckout) { s.Order.Status = StatusExpired }, ErrReservationExpired},
		{"DueNotSwept", func(s *Snapshot, _ *PreCheckout) { s.Order.ReservedUntil = testNow }, ErrReservationExpired},
		{"Paid", func(s *Snapshot, _ *PreCheckout) { s.Order.Status = StatusPaid }, ErrAlreadyPaid},
		{"Completed", func(s *Snapshot, _ *PreCheckout) { s.Order.Status = StatusCompleted }, ErrAlreadyPaid},
		{"Cancelled", func(s *Snapshot, _ *PreCheckout) { s.Order.Status = StatusCancelled }, ErrNotPayable},
		{"RefundPending", func(s *Snapshot, _ *PreCheckout) { s.Order.Status = StatusRefundPending }, ErrNotPayable},
		{"NotBuyer", func(_ *Snapshot, q *PreCheckout) { q.BuyerID = 200 }, ErrNotBuyer},
		{"Blocked", func(s *Snapshot, _ *PreCheckout) { s.Shop.Blocked = true }, catalog.ErrShopBlocked},
	}
	for _, tt := range refused {
		snap, q := paySnap(), q
		tt.edit(&snap, &q)
		if _, err := planPreCheckout(snap, q, testNow); !errors.Is(err, tt.want) {
			t.Errorf("%s: err = %v, want %v", tt.name, err, tt.want)
		}
	}
}

func TestPlanExpire(t *testing.T) {
	t.Parallel()
	snap := paySnap()
	if _, err := planExpire(snap, testNow); !errors.Is(err, ErrNotDue) {
		t.Errorf("early: err = %v, want ErrNotDue", err)
	}
	c, err := planExpire(snap, snap.Order.ReservedUntil)
	if err != nil || c.Order.Status != StatusExpired {
		t.Fatalf("due: %+v, %v", c, err)
	}
	want := StockMove{VariantID: 10, Kind: catalog.MoveRelease, Reserved: -2}
	if len(c.Stock) != 1 || c.Stock[0] != want {
		t.Errorf("moves = %+v, want %+v", c.Stock, want)
	}
	snap.Order.Status = StatusPaid
	if c, err := planExpire(snap, testNow.Add(time.Hour)); c != nil || err != nil {
		t.Errorf("paid: %+v, %v; want a no-op", c, err)
	}
}

func TestPlanCancel(t *testing.T) {
	t.Parallel()
	paid := paySnap()
	paid.Order.Status = StatusPaid
	paid.ActorRole = catalog.RoleManager
	paid.Charges = []Charge{{OrderID: 42, BuyerID: 100, TelegramChargeID: "ch1", Status: ChargeCaptured}}
	c, err := planCancel(paid, 7, "  out of stock  ", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if c.Order.Status != StatusCancelled || c.Order.CancelReason != "out of stock" {
		t.Errorf("order = %+v", c.Order)
	}
	want := StockMove{VariantID: 10, Kind: catalog.MoveReturn, OnHand: 2}
	if len(c.Stock) != 1 || c.Stock[0] != want {
		t.Errorf("moves = %+v, want %+v", c.Stock, want)
	}
	if len(c.Charges) != 1 || c.Charges[0].Status != ChargeRefundPending || !hasJob(c.Jobs, JobRefund, "order:refund:ch1") {
		t.Errorf("charges %+v, jobs %+v; want the payment to refund", c.Charges, c.Jobs)
	}

	byBuyer := paid
	byBuyer.ActorRole = ""
	if _, err := planCancel(byBuyer, 100, "", testNow); !errors.Is(err, ErrTransition) {
		t.Errorf("buyer cancelling a paid order: %v, want ErrTransition", err)
	}
	if _, err := planCancel(byBuyer, 555, "", testNow); !errors.Is(err, ErrOrderNotFound) {
		t.Errorf("a stranger cancelling: %v, want ErrOrderNotFound", err)
	}
	awaiting := paySnap()
	c, err = planCancel(awaiting, 100, "", testNow)
	if err != nil || len(c.Stock) != 1 || c.Stock[0] != (StockMove{VariantID: 10, Kind: catalog.MoveRelease, Reserved: -2}) {
		t.Errorf("buyer cancelling a reservation: %+v, %v; want the reservation released", c, err)
	}
}

func TestPlanFulfil(t *testing.T) {
	t.Parallel()
	paid := paySnap()
	paid.Order.Status = StatusPaid
	paid.ActorRole = catalog.RoleOwner
	c, err := planFulfil(paid, 7, ActShip, "RR123", testNow)
	if err != nil || c.Order.Status != StatusShipped || c.Order.TrackingNote != "RR123" {
		t.Errorf("ship: %+v, %v", c, err)
	}
	if _, err := planFulfil(paid, 7, ActReadyForPickup, "", testNow); !errors.Is(err, ErrTransition) {
		t.Errorf("ready for pickup of a shipped order: %v, want ErrTransition", err)
	}
	buyer := paySnap()
	buyer.Order.Status = StatusPaid
	if _, err := planFulfil(buyer, 100, ActShip, "", testNow); !errors.Is(err, catalog.ErrNotStaff) {
		t.Errorf("buyer shipping: %v, want ErrNotStaff", err)
	}
}

func TestPlanRefunded(t *testing.T) {
	t.Parallel()
	snap := paySnap()
	snap.Order.Status = StatusRefundPending
	snap.Charges = []Charge{{TelegramChargeID: "ch1", Status: ChargeRefundPending}}
	c, err := planRefunded(snap, "ch1", testNow)
	if err != nil || c.Order.Status != StatusRefunded || c.Charges[0].Status != ChargeRefunded {
		t.Errorf("= %+v, %v; want order and payment refunded", c, err)
	}

	// A second payment of a paid order is refunded; the order stays paid.
	double := paySnap()
	double.Order.Status = StatusPaid
	double.Charges = []Charge{{TelegramChargeID: "ch0", Status: ChargeCaptured}, {TelegramChargeID: "ch1", Status: ChargeRefundPending}}
	c, err = planRefunded(double, "ch1", testNow)
	if err != nil || c.Order.Status != StatusPaid {
		t.Errorf("double payment: %+v, %v; want the order still paid", c, err)
	}
	if _, err := planRefunded(double, "ch0", testNow); !errors.Is(err, ErrTransition) {
		t.Errorf("refunding the payment of a live order: %v, want ErrTransition", err)
	}
	if _, err := planRefunded(double, "nope", testNow); !errors.Is(err, ErrChargeNotFound) {
		t.Errorf("unknown charge: %v, want ErrChargeNotFound", err)
	}
	snap.Charges[0].Status = ChargeRefunded
	if c, err := planRefunded(snap, "ch1", testNow); c != nil || err != nil {
		t.Errorf("again: %+v, %v; want a no-op", c, err)
	}
}

func TestPlanConfirmRefund(t *testing.T) {
	t.Parallel()
	cancelled := func(cur core.Currency) Snapshot {
		snap := paySnap()
		snap.Order.Status = StatusCancelled
		snap.ActorRole = catalog.RoleManager
		snap.Charges = []Charge{{TelegramChargeID: "ch1", Amount: core.Money{Amount: 25, Currency: cur}, Status: ChargeRefundPending}}
		return snap
	}

	c, err := planConfirmRefund(cancelled("RUB"), 7, "ch1", testNow)
	if err != nil || c.Order.Status != StatusRefunded || c.Charges[0].Status != ChargeRefunded || c.Actor != 7 {
		t.Errorf("card: %+v, %v; want the payment and order refunded by the manager", c, err)
	}

	// A Stars payment goes back through Telegram by the refund job; marked by hand,
	// the job would find it refunded and skip the refund the buyer never got.
	if _, err := planConfirmRefund(cancelled(core.Stars), 7, "ch1", testNow); !errors.Is(err, ErrStarsRefund) {
		t.Errorf("stars: %v, want ErrStarsRefund", err)
	}

	buyer := cancelled("RUB")
	buyer.ActorRole = ""
	if _, err := planConfirmRefund(buyer, 100, "ch1", testNow); !errors.Is(err, catalog.ErrNotStaff) {
		t.Errorf("buyer: %v, want ErrNotStaff", err)
	}
	if _, err := planConfirmRefund(buyer, 555, "ch1", testNow); !errors.Is(err, ErrOrderNotFound) {
		t.Errorf("stranger: %v, want ErrOrderNotFound", err)
	}
}

// An order of stock held by a live drop's claim reserves nothing of its own,
// and gives nothing back to the shop when it ends unpaid: its unit goes back to
// its lot. Paid late, it is refunded: the unit may be someone else's by then.
func TestPlanHeld(t *testing.T) {
	t.Parallel()
	held := &Held{Lot: 9, Price: rub(990), Until: testNow.Add(5 * time.Minute)}
	snap := checkoutSnap()
	snap.Items = []Item{{VariantID: 11, Quantity: 1}}
	snap.Stock[11] = Stock{VariantID: 11, ProductID: 6, ShopID: 1, Title: "Mug", SKU: "MUG", Price: rub(999), OnHand: 1, Reserved: 1}
	req := CheckoutRequest{Key: "lot:9:t", BuyerID: 100, ShopID: 1, Delivery: DeliveryShipping, Held: held}
	c, err := planCheckout(snap, req, testNow)
	if err != nil {
		t.Fatal(err)
	}
	o := c.Order
	if o.Lot != 9 || o.Total != rub(990) || !o.ReservedUntil.Equal(held.Until) || len(c.Stock) != 0 {
		t.Errorf("order %+v, moves %+v", o, c.Stock)
	}
	t.Run("OneItemOnly", func(t *testing.T) {
		two := checkoutSnap()
		if _, err := planCheckout(two, req, testNow); core.ErrorCode(err) != core.EINVALID {
			t.Errorf("two items held: %v", err)
		}
	})

	ps := paySnap()
	ps.Order.Lot = 9
	t.Run("ExpiresWithoutReleasingStock", func(t *testing.T) {
		c, err := planExpire(ps, ps.Order.ReservedUntil)
		if err != nil || c.Order.Status != StatusExpired || len(c.Stock) != 0 || !hasJob(c.Jobs, JobHeldEnded, "order:held:42") {
			t.Errorf("expire: %+v, %v", c, err)
		}
	})
	t.Run("CancelledWithoutReleasingStock", func(t *testing.T) {
		c, err := planCancel(ps, 100, "", testNow)
		if err != nil || c.Order.Status != StatusCancelled || len(c.Stock) != 0 || !hasJob(c.Jobs, JobHeldEnded, "order:held:42") {
			t.Errorf("cancel: %+v, %v", c, err)
		}
	})
	t.Run("PaidAfterItsEndIsRefunded", func(t *testing.T) {
		late := ps
		late.Order.Status = StatusExpired
		_, outcome, err := planPayment(late, payment(), testNow.Add(time.Hour), true)
		if err != nil || outcome != PaymentRefunding {
			t.Errorf("late payment: %v, %v; want a refund", outcome, err)
		}
	})
}
