package order

import (
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
)

// This file holds what the Service and its Store exchange. The store reads a snapshot
// inside a transaction, the Service's rules decide a Change from it, and the store
// applies the change in that same transaction, or none of it. Rules never see a
// transaction; the store never decides.

// Stock is a variant as the cart and checkout see it: what it is, its price, and how
// much of it is left.
type Stock struct {
	VariantID   core.VariantID
	ProductID   core.ProductID
	ShopID      core.ShopID
	Title       string // the product's title
	VariantName string // "" for a product's only variant
	SKU         string
	Price       core.Money
	OnHand      int
	Reserved    int
	Archived    bool // the variant or its product is archived: not for sale
	ShopBlocked bool
}

// Available is what a shopper can still reserve.
func (s Stock) Available() int { return s.OnHand - s.Reserved }

// lineTitle is the title an order line keeps: the product's, with the variant's name.
func (s Stock) lineTitle() string {
	if s.VariantName == "" {
		return s.Title
	}
	return s.Title + " (" + s.VariantName + ")"
}

// CheckoutSnapshot is what checkout decides on, read in the transaction that will
// create the order.
type CheckoutSnapshot struct {
	// OrderID is the id the new order will have, so its jobs can name it.
	OrderID core.OrderID
	Shop    catalog.Shop
	// Items are the requested items, or the buyer's cart in the shop when none were
	// requested (then FromCart is set).
	Items    []Item
	FromCart bool
	// Stock holds the items' variants that exist, by id, read without a lock: the
	// reservation itself is the check that counts.
	Stock map[core.VariantID]Stock
	// PickupPoint is the requested pickup point if it exists and is not archived.
	PickupPoint *catalog.PickupPoint
}

// Snapshot is an order as a rule sees it, read under the order's row lock together
// with everything the rule decides on.
type Snapshot struct {
	Order Order
	Shop  catalog.Shop
	// ActorRole is the acting user's role in the order's shop; "" if they are not
	// staff or the actor is the system.
	ActorRole catalog.Role
	// Charges are the payments recorded for the order, oldest first.
	Charges []Charge
	// ShippingOptions are the shop's shipping options, archived ones included (a
	// shopper may pay for an option quoted before it was archived); nil unless the
	// order is shipped.
	ShippingOptions []catalog.ShippingOption
}

// StockMove changes a variant's stock by deltas and is written to the ledger with
// its before and after values. The store refuses a move that would leave on hand
// below reserved or reserved below zero, with ErrSoldOut (nothing left) or
// ErrNotEnoughStock, and then applies nothing of the change.
type StockMove struct {
	VariantID core.VariantID
	Kind      catalog.MovementKind
	OnHand    int // delta
	Reserved  int // delta
}

// ChargeStatus is what became of the money of a recorded payment.
type ChargeStatus string

const (
	ChargeCaptured      ChargeStatus = "captured"       // it pays its order
	ChargeRefundPending ChargeStatus = "refund_pending" // it is to be given back
	ChargeRefunded      ChargeStatus = "refunded"
)

// Charge is a payment as Vitrina recorded it: money Telegram took for an order, and
// what became of it.
type Charge struct {
	ID               core.PaymentID
	OrderID          core.OrderID
	BuyerID          core.UserID // who paid
	TelegramChargeID string
	ProviderChargeID string
	Amount           core.Money
	Status           ChargeStatus
	RefundReason     string
	CreatedAt        time.Time
	RefundedAt       time.Time
}

// HistoryEntry is a line of an order's history (order_events).
type HistoryEntry struct {
	Status Status
	Note   string
}

// Change is what a rule decided to do to an order. The store applies all of it in
// the transaction its snapshot was read in, or nothing.
type Change struct {
	// Order is the order as it is to be saved: created by a checkout, updated
	// otherwise. Lines are written only on creation.
	Order Order
	// At stamps the history entry, the ledger rows and a new charge.
	At time.Time
	// Actor is who acted, for the history and the ledger; 0 is the system.
	Actor core.UserID
	// History, if set, is appended to the order's history.
	History *HistoryEntry
	// Stock moves are applied in variant id order, after everything else, so the
	// locks on hot variant rows are held as briefly as possible.
	Stock []StockMove
	// NewCharge, if set, is recorded; ErrDuplicatePayment if its Telegram charge id
	// is recorded already.
	NewCharge *Charge
	// Charges are recorded charges whose status changed, found by Telegram charge id.
	Charges []Charge
	// Jobs go to the outbox.
	Jobs []core.Job
	// ClearCart, for a checkout, removes the ordered variants from the buyer's cart.
	ClearCart bool
}
