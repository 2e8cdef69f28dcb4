// Package groupbuy runs joint purchases ("совместные покупки"): an organizer
// (a shop's staff, or a KOL working with the shop) gathers participants for a
// product until a minimum is met by a deadline, the price falling in tiers as
// the group grows; at STOP (the deadline, or the organizer's call once the
// minimum is met) the final price is fixed and everyone pays; the goods are
// collected at pickup points with a personal code.
package groupbuy

import (
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

// ID identifies a purchase; orders name it (order.Order.GroupBuy).
type ID = core.GroupBuyID

// PlaceID identifies a participant's place in a purchase.
type PlaceID int64

// Status is where a purchase is in its life.
type Status string

const (
	StatusOpen      Status = "open"      // taking participants until its deadline
	StatusStopped   Status = "stopped"   // minimum met: the price is fixed, invoices are out
	StatusFailed    Status = "failed"    // the deadline came without the minimum
	StatusCancelled Status = "cancelled" // the organizer called it off
	StatusArrived   Status = "arrived"   // the goods are at the pickup points
	StatusClosed    Status = "closed"    // every place collected or given up
)

// PayMode is when participants pay.
type PayMode string

const (
	// PayAfterStop: joining is a commitment; invoices go out at STOP (the
	// classic way, and the default).
	PayAfterStop PayMode = "after_stop"
	// PayToJoin: a participant pays the current price when joining; when the
	// final tier is lower, the difference goes back.
	PayToJoin PayMode = "to_join"
)

// Purchase is a joint purchase of one product's variants.
type Purchase struct {
	ID        ID
	Shop      core.ShopID
	Organizer core.UserID
	Product   core.ProductID
	// Variants are the variants offered (sizes), in the order a size row
	// lists them.
	Variants []core.VariantID
	Title    string
	Tiers    Tiers
	Minimum  Minimum
	// FeeBP is the organizer's fee in basis points of the goods (1500 = 15 %),
	// shown apart on every screen and invoice.
	FeeBP    int
	Pickup   []core.PickupPointID
	Shipping bool
	Deadline time.Time
	// Extended is set once the organizer moved the deadline (once only).
	Extended bool
	// Cards is set once the purchase has a public card to keep up to date.
	Cards bool
	// ShippingTotal is the shipping to the pickup points, split after the
	// goods arrived (SplitShipping); zero before.
	ShippingTotal core.Money
	PayMode       PayMode
	// PayWindow is how long after STOP a participant has to pay.
	PayWindow time.Duration
	Status    Status
	Totals    Totals
	// Price is the final unit price, fixed at STOP; zero before.
	Price     core.Money
	StoppedAt time.Time
	CreatedAt time.Time
}

// Currency is the purchase's.
func (p Purchase) Currency() core.Currency { return p.Tiers[0].Price.Currency }

// Current is the tier the purchase is at now.
func (p Purchase) Current() Tier { return p.Tiers.At(p.Totals.Units) }

// MinimumMet reports whether the purchase may go ahead as it stands.
func (p Purchase) MinimumMet() bool { return p.Minimum.Met(p.Tiers, p.Variants, p.Totals) }

// Defaults of a purchase.
const (
	DefaultPayWindow = 72 * time.Hour
	MaxFeeBP         = 5000 // 50 %: beyond that it is not a fee
)

// Errors of group buys, shown to people by the bot in their language.
var (
	ErrTiers = &core.Error{Code: core.EINVALID,
		Message: "price tiers start at 1 unit, rise in units and fall in price, in one currency, at most 6"}
	ErrTitle          = &core.Error{Code: core.EINVALID, Message: "a title is 1 to 128 characters"}
	ErrPayMode        = &core.Error{Code: core.EINVALID, Message: "a purchase is paid after STOP or to join"}
	ErrMinimum        = &core.Error{Code: core.EINVALID, Message: "the minimum must be above zero"}
	ErrFee            = &core.Error{Code: core.EINVALID, Message: "the organizer's fee is 0-50 %"}
	ErrDeadline       = &core.Error{Code: core.EINVALID, Message: "the deadline must be in the future"}
	ErrNoVariants     = &core.Error{Code: core.EINVALID, Message: "a purchase offers at least one variant of its product"}
	ErrNoDelivery     = &core.Error{Code: core.EINVALID, Message: "a purchase needs a pickup point or shipping"}
	ErrNotFound       = &core.Error{Code: core.ENOTFOUND, Message: "no such group buy"}
	ErrClosed         = &core.Error{Code: core.ECONFLICT, Message: "this group buy no longer takes participants"}
	ErrQuantity       = &core.Error{Code: core.EINVALID, Message: "the quantity must be 1-99"}
	ErrNotOffered     = &core.Error{Code: core.EINVALID, Message: "this variant is not in the group buy"}
	ErrPickup         = &core.Error{Code: core.EINVALID, Message: "pick one of the group buy's pickup points"}
	ErrNotOrganizer   = &core.Error{Code: core.EFORBIDDEN, Message: "only the organizer can do this"}
	ErrMinimumNotMet  = &core.Error{Code: core.ECONFLICT, Message: "STOP needs the minimum met"}
	ErrNotParticipant = &core.Error{Code: core.ENOTFOUND, Message: "you have not joined this group buy"}
	ErrExtended       = &core.Error{Code: core.ECONFLICT, Message: "the deadline was extended once already"}
	ErrCode           = &core.Error{Code: core.ENOTFOUND, Message: "no place has this pickup code"}
	ErrCollected      = &core.Error{Code: core.ECONFLICT, Message: "this place was collected already"}
	ErrNotFailed      = &core.Error{Code: core.ECONFLICT, Message: "only a group buy that did not go ahead can be reopened"}
	ErrNotReady       = &core.Error{Code: core.ECONFLICT, Message: "this place's order is not ready for pickup (not paid, or cancelled)"}
)
