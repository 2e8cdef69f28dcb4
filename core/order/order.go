// Package order holds carts, checkout with stock reservations that expire by
// themselves, payments, and the order's life after payment.
//
// Payments live here rather than in a package of their own because a payment, the
// order it pays and the stock it sells change in one transaction.
package order

import (
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

// Status is where an order is in its life.
//
//	awaiting_payment -> paid -> shipped | ready_for_pickup -> completed
//	awaiting_payment -> expired | cancelled
//	expired | cancelled -> paid (a late payment, stock allowing) | refund_pending (stock gone) -> refunded
//	  (an order staff cancelled after it was paid stays cancelled: a later payment is refunded)
//	paid | ready_for_pickup -> cancelled (by staff; the payment is refunded) -> refunded
//
// The full table, with who may make each move, is in transition.go (see Next).
type Status string

const (
	StatusAwaitingPayment Status = "awaiting_payment"
	StatusPaid            Status = "paid"
	StatusShipped         Status = "shipped"
	StatusReadyForPickup  Status = "ready_for_pickup"
	StatusCompleted       Status = "completed"
	StatusExpired         Status = "expired"
	StatusCancelled       Status = "cancelled"
	StatusRefundPending   Status = "refund_pending"
	StatusRefunded        Status = "refunded"
)

// DeliveryKind is how the goods reach the shopper.
type DeliveryKind string

const (
	DeliveryPickup   DeliveryKind = "pickup"
	DeliveryShipping DeliveryKind = "shipping"
	DeliveryNone     DeliveryKind = "none" // digital goods, Stars
)

// Address is a shipping address as Telegram collects it in the invoice.
type Address struct {
	CountryCode string `json:"country_code"`
	State       string `json:"state,omitempty"`
	City        string `json:"city"`
	StreetLine1 string `json:"street_line1"`
	StreetLine2 string `json:"street_line2,omitempty"`
	PostCode    string `json:"post_code"`
}

// Contact is what the invoice asked of the shopper.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// Order is a shopper's purchase from one shop.
type Order struct {
	ID               core.OrderID
	ShopID           core.ShopID
	BuyerID          core.UserID
	Status           Status
	Lines            []Line
	ItemsTotal       core.Money
	ShippingTotal    core.Money
	Total            core.Money
	Delivery         DeliveryKind
	PickupPointID    core.PickupPointID
	ShippingOptionID core.ShippingOptionID
	ShippingAddress  *Address
	Contact          *Contact
	ReservedUntil    time.Time
	TrackingNote     string
	CancelReason     string
	CreatedAt        time.Time
	PaidAt           time.Time
	UpdatedAt        time.Time
	// CompletedAt is when the order was completed; zero before.
	CompletedAt time.Time
	// RemindAt is when the buyer of an order awaiting payment is reminded to pay,
	// before the reservation ends; zero: not at all. RemindedAt is when they were:
	// once per RemindAt.
	RemindAt   time.Time
	RemindedAt time.Time
	// ReviewRequestedAt is when the buyer was asked for a review; zero: not yet.
	ReviewRequestedAt time.Time
	// InvoiceMessageID is the buyer's chat message of the invoice last sent for the
	// order (Service.InvoiceSent); 0: none was sent yet. Only InvoiceSent changes it.
	InvoiceMessageID int64
	// Lot is the live drop's lot the order came from (a claim: see Held); 0 for
	// an order from the shop's catalog.
	Lot core.LotID
	// GroupBuy is the group buy whose place the order pays (see Group); 0
	// for any other. Fee is its organizer's fee, in Total; zero for others.
	GroupBuy core.GroupBuyID
	Fee      core.Money
	// Team is the team buy the order is part of (see Team); 0 for others.
	// TeamForming, read with the order, says the team has not filled yet:
	// the order is not sent or handed over until it does (it may yet be
	// refunded).
	Team        core.TeamID
	TeamForming bool

	// Existing is set by Service.Checkout on an order its request's key found: an
	// earlier checkout with the key made it (a double tap on one button, a
	// redelivered update) and this one made nothing. It is not stored: false on an
	// order read any other way.
	Existing bool
}

// Payable is the one answer to "may this order be paid now?": nil for an order
// awaiting payment whose reservation holds at now (now is before ReservedUntil).
// Otherwise it returns why not, as an error whose text the buyer is shown:
//
//   - ErrReservationExpired: the reservation ended. The order expired, or it still
//     awaits payment but ReservedUntil is at or before now (its expiry has not run
//     yet): the same answer either side of the expiry, and the one that tells the
//     buyer what to do (check out again).
//   - ErrAlreadyPaid: it was paid and is honoured (paid, shipped, ready for pickup,
//     completed).
//   - ErrNotPayable: it was called off or its money goes back: cancelled (by the
//     buyer, or by staff before or after payment), refund_pending (a late payment
//     found the stock gone), refunded; and any status unknown here.
//
// Checkout (an order found by its key), the Pay button of an order, Telegram's
// shipping and pre-checkout queries ask it. A payment that arrives anyway is
// honoured or refunded by the payment rule (Service.RecordPayment), which starts
// from this answer.
func (o Order) Payable(now time.Time) error {
	switch {
	case o.Status == StatusAwaitingPayment && now.Before(o.ReservedUntil):
		return nil
	case o.Status == StatusAwaitingPayment, o.Status == StatusExpired:
		return ErrReservationExpired
	case isPaid(o.Status):
		return ErrAlreadyPaid
	}
	return ErrNotPayable
}

// Line is one variant in an order, with its title and price as they were at checkout.
type Line struct {
	No        int
	VariantID core.VariantID
	ProductID core.ProductID
	Title     string
	SKU       string
	Quantity  int
	UnitPrice core.Money
}

// CartItem is a variant in a shopper's cart, with what the shopper needs to see.
type CartItem struct {
	VariantID   core.VariantID
	ProductID   core.ProductID
	Title       string
	VariantName string
	Quantity    int
	UnitPrice   core.Money
	Available   int
	Archived    bool // the product was archived since; checkout will refuse it
}

// Cart is a shopper's cart in one shop.
type Cart struct {
	ShopID  core.ShopID
	BuyerID core.UserID
	Items   []CartItem
	Total   core.Money
}

// Item asks for a quantity of a variant.
type Item struct {
	VariantID core.VariantID
	Quantity  int
}

// CheckoutRequest turns items (or the cart) into an order awaiting payment.
type CheckoutRequest struct {
	// Key makes checkout idempotent per buyer: the same key returns the same order
	// (a redelivered update, a double tap on one button).
	Key           string
	BuyerID       core.UserID
	ShopID        core.ShopID
	Items         []Item // empty: the buyer's cart in the shop, which is emptied on success
	Delivery      DeliveryKind
	PickupPointID core.PickupPointID
	// Held, if set, says the items' stock is held for the buyer already: by a
	// live drop's claim. The order then takes it without reserving it again.
	Held *Held
	// Group, if set, makes the order of a group buy's place (see Group).
	Group *Group
	// Team, if set, makes a team buy member's order (see Team).
	Team *Team
}

// Team is a member's part in a team buy: the item is priced at the team's
// Price, its stock reserved as any order's, and it awaits payment until the
// shop's reservation ends or the team's time does (Until), whichever is
// first. Its payment, expiry and cancel tell the team (JobTeam); paid late,
// after it ended, it is refunded: the team's members are the ones who paid
// in time.
type Team struct {
	ID    core.TeamID
	Price core.Money // per unit
	Until time.Time
}

// Group is a place in a group buy, to pay at the purchase's final price: the
// order's items are priced at Price each, its organizer's Fee comes on top,
// and it awaits payment until Until (the purchase's payment deadline). It
// takes no stock of the shop's, now or when paid, cancelled or expired: the
// organizer buys the group's goods from the supplier.
type Group struct {
	Purchase core.GroupBuyID
	Price    core.Money // per unit
	Fee      core.Money
	Until    time.Time
	// Line, if set, names the order's one line instead of the product: a
	// place's share of the shipping to the pickup point, billed after the
	// goods arrived.
	Line string
}

// Held is stock held for a buyer by a live drop's claim: an order made of it
// (one item) is priced at the drop price, awaits payment until the claim's hold
// ends, and reserves nothing of its own. When it expires or is called off
// unpaid, the unit goes back to its lot, not to the shop (JobHeldEnded:
// live.Service.ReleaseOrder); a payment after that is refunded.
type Held struct {
	Lot   core.LotID
	Price core.Money // per unit
	Until time.Time
}

// PreCheckout is Telegram's question before it charges: is this order still payable
// for this amount?
type PreCheckout struct {
	OrderID          core.OrderID
	BuyerID          core.UserID
	Total            core.Money
	ShippingOptionID core.ShippingOptionID
}

// Payment is a successful payment as Telegram reports it.
type Payment struct {
	OrderID          core.OrderID
	BuyerID          core.UserID
	TelegramChargeID string
	ProviderChargeID string
	Total            core.Money
	ShippingOptionID core.ShippingOptionID
	ShippingAddress  *Address
	Contact          *Contact
}

// PaymentOutcome says what a recorded payment did.
type PaymentOutcome string

const (
	PaymentApplied   PaymentOutcome = "applied"   // the order is paid
	PaymentDuplicate PaymentOutcome = "duplicate" // this charge was recorded before; nothing changed
	PaymentRefunding PaymentOutcome = "refunding" // the order could not be honoured (expired and sold out): a refund is under way
)

// Notification events, sent to the buyer and staff through the outbox.
type Event string

const (
	EventPaid           Event = "paid"
	EventShipped        Event = "shipped"
	EventReadyForPickup Event = "ready_for_pickup"
	EventCompleted      Event = "completed"
	EventExpired        Event = "expired"
	EventCancelled      Event = "cancelled"
	EventRefundPending  Event = "refund_pending"
	EventRefunded       Event = "refunded"
)

// Job kinds the order service writes to the outbox.
const (
	JobExpire = "order:expire" // payload ExpirePayload, key "order:expire:<id>", due at ReservedUntil
	JobNotify = "order:notify" // payload NotifyPayload
	JobRefund = "order:refund" // payload RefundPayload: refund a Stars payment, or tell staff to refund a card
	// JobHeldEnded gives the unit of an order of held stock (Held) back to its
	// holder when the order ended unpaid; payload HeldEndedPayload, key
	// "order:held:<id>".
	JobHeldEnded = "order:held"
	// JobGroupEnded tells a group buy that the order of one of its places
	// ended (expired unpaid, or cancelled): the place may go to the waiting
	// list; payload GroupEndedPayload, key "order:group:<id>".
	JobGroupEnded = "order:group"
	// JobTeam tells a team buy that a member's order was paid, expired or
	// was cancelled; payload TeamPayload, key "order:team:<id>:<status>".
	JobTeam = "order:team"
)

type TeamPayload struct {
	OrderID core.OrderID `json:"order_id"`
	Team    core.TeamID  `json:"team"`
}

type GroupEndedPayload struct {
	OrderID  core.OrderID    `json:"order_id"`
	GroupBuy core.GroupBuyID `json:"group_buy"`
}

type HeldEndedPayload struct {
	OrderID core.OrderID `json:"order_id"`
	Lot     core.LotID   `json:"lot"`
}

type ExpirePayload struct {
	OrderID core.OrderID `json:"order_id"`
}

type NotifyPayload struct {
	OrderID core.OrderID `json:"order_id"`
	Event   Event        `json:"event"`
}

type RefundPayload struct {
	OrderID          core.OrderID `json:"order_id"`
	TelegramChargeID string       `json:"telegram_charge_id"`
	// BuyerID is who paid: refundStarPayment needs the payer, who is the order's
	// buyer except for a payment refused because someone else made it.
	BuyerID core.UserID `json:"buyer_id"`
}

// Errors the bot explains to people in their language.
var (
	ErrOrderNotFound      = &core.Error{Code: core.ENOTFOUND, Message: "order not found"}
	ErrSoldOut            = &core.Error{Code: core.ECONFLICT, Message: "sold out"}
	ErrNotEnoughStock     = &core.Error{Code: core.ECONFLICT, Message: "not enough stock"}
	ErrEmptyCart          = &core.Error{Code: core.EINVALID, Message: "the cart is empty"}
	ErrQuantity           = &core.Error{Code: core.EINVALID, Message: "a quantity is 1 to 999"}
	ErrUnavailable        = &core.Error{Code: core.ECONFLICT, Message: "this product is no longer sold"}
	ErrReservationExpired = &core.Error{Code: core.ECONFLICT, Message: "the reservation has expired; please check out again"}
	ErrAlreadyPaid        = &core.Error{Code: core.ECONFLICT, Message: "this order is already paid"}
	ErrNotPayable         = &core.Error{Code: core.ECONFLICT, Message: "this order can no longer be paid"}
	ErrAmountMismatch     = &core.Error{Code: core.ECONFLICT, Message: "the amount does not match the order"}
	ErrTransition         = &core.Error{Code: core.ECONFLICT, Message: "the order is not in a state that allows this"}
	ErrTeamForming        = &core.Error{Code: core.ECONFLICT, Message: "the order's team buy is still forming: send it once the team fills"}
	ErrNotDue             = &core.Error{Code: core.ECONFLICT, Message: "not due yet"}
	ErrPickupPoint        = &core.Error{Code: core.EINVALID, Message: "choose a pickup point of this shop"}
	ErrShippingOption     = &core.Error{Code: core.EINVALID, Message: "choose a shipping option of this shop"}
	ErrNotBuyer           = &core.Error{Code: core.EFORBIDDEN, Message: "this is not your order"}
	ErrMixedShops         = &core.Error{Code: core.EINVALID, Message: "one order is from one shop"}
	ErrDelivery           = &core.Error{Code: core.EINVALID, Message: "choose how to receive the order: pickup or shipping"}
	ErrChargeNotFound     = &core.Error{Code: core.ENOTFOUND, Message: "payment not found"}
	ErrStarsRefund        = &core.Error{Code: core.ECONFLICT, Message: "a Stars payment is refunded through Telegram by Vitrina, not confirmed by hand"}
	// ErrDuplicatePayment is the store's answer to a payment whose Telegram charge id
	// is already recorded; RecordPayment turns it into PaymentDuplicate.
	ErrDuplicatePayment = &core.Error{Code: core.ECONFLICT, Message: "this payment is already recorded"}
)

// MaxQuantity is the most of one variant a cart line or an order line holds.
const MaxQuantity = 999

// PaymentHold is how long a passed pre-checkout keeps the reservation alive at least,
// so the payment Telegram makes right after finds it.
const PaymentHold = 5 * time.Minute
