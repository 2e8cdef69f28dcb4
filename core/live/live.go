// Package live holds the rules of live drops: a seller works with KOLs
// (influencers) who sell the shop's products in their own Telegram channels.
//
// A seller invites a KOL with a one-time link at a commission rate (Invite,
// Accept). The KOL connects a channel by making the bot its administrator
// (ConnectChannel; losing the rights pauses its lots), and schedules a session
// there (Schedule) with the seller's products allocated to it: per variant a
// drop price, a quantity held out of the shop's stock for the session, and a
// per-buyer limit (Allocate). During the session the KOL drops lots into the
// channel (Drop): units of one allocated variant at the drop price until an end
// time. A tap on a lot's Buy button claims a unit for the shopper (Tap), held at
// that price for the shop's reservation time; a claim not paid in time is
// released and the unit goes back to the lot (Release).
//
// Taps come by the thousand within seconds of a drop, all for one row. A Gate
// gathers the taps of a lot that arrive while its previous batch is being
// written and plans them together under one lock of the lot (PlanTaps): the
// lock is taken once per batch, not once per tap, and nothing is oversold
// however many replicas tap at once.
package live

import (
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

// Typed ids of live drops' records.
type (
	SessionID int64
	LotID     = core.LotID
	ClaimID   int64
)

// Commission is a rate in basis points: 1/100 of a percent of the paid amount.
type Commission int

// MaxCommission is 100 %.
const MaxCommission Commission = 10_000

// Of returns the commission on amount, rounded down to a minor unit: what a KOL
// earns is never more than the rate.
func (c Commission) Of(amount core.Money) core.Money {
	return core.Money{Amount: amount.Amount * int64(c) / int64(MaxCommission), Currency: amount.Currency}
}

// Link is a KOL working with a shop.
type Link struct {
	Shop       core.ShopID
	KOL        core.UserID
	Commission Commission
	Since      time.Time
}

// Invite is a one-time invitation of a KOL to work with a shop.
type Invite struct {
	Token      string
	Shop       core.ShopID
	Commission Commission
	By         core.UserID
	Expires    time.Time
}

// Channel is a Telegram channel a KOL connected.
type Channel struct {
	Chat     int64
	KOL      core.UserID
	Title    string
	Username string
	// CanPost is whether the bot may post and edit there, as Telegram last said.
	CanPost bool
}

// SessionStatus is where a session is in its life.
type SessionStatus string

const (
	SessionScheduled SessionStatus = "scheduled"
	SessionLive      SessionStatus = "live"
	SessionEnded     SessionStatus = "ended"
	SessionCancelled SessionStatus = "cancelled"
)

// Session is a drop scheduled in a KOL's channel for one shop.
type Session struct {
	ID         SessionID
	Shop       core.ShopID
	KOL        core.UserID
	Channel    int64
	Title      string
	StreamURL  string
	StartsAt   time.Time
	Status     SessionStatus
	Currency   core.Currency
	Commission Commission // the rate when it was scheduled
	OpenedAt   time.Time  // zero until it opens
	EndedAt    time.Time
	// Reminders are when followers who asked are reminded, before the start.
	Reminders []time.Duration
	// Announcement is the session's post in the channel; 0 until posted.
	Announcement int64
	// Reported: its report went (live:report).
	Reported bool
}

// DefaultReminders remind a day before, a quarter of an hour before, and at the
// start.
var DefaultReminders = []time.Duration{24 * time.Hour, 15 * time.Minute, 0}

// RemindLead is how long before a reminder is due its messages are put in the
// sender's queue, each due at the reminder's time: thousands of them are queued
// by then, and none goes early.
const RemindLead = 2 * time.Minute

// Allocation is what the seller gave a session of one variant.
type Allocation struct {
	Session  SessionID
	Variant  core.VariantID
	Price    core.Money
	Quantity int
	PerBuyer int
	Dropped  int // taken by lots so far
}

// LotStatus is where a lot is in its life. A lot whose units are all claimed is
// still open (sold out): a released claim puts its unit back.
type LotStatus string

const (
	LotOpen      LotStatus = "open"
	LotEnded     LotStatus = "ended"
	LotCancelled LotStatus = "cancelled"
)

// Lot is units of one allocated variant dropped into the channel, at a price
// that lives until EndsAt.
type Lot struct {
	ID        LotID
	Session   SessionID
	Variant   core.VariantID
	Price     core.Money
	Quantity  int
	Remaining int
	PerBuyer  int
	// Hold is how long a claim holds its unit for the buyer to pay.
	Hold     time.Duration
	Status   LotStatus
	StartsAt time.Time
	EndsAt   time.Time
	Extended bool
	// Post is the lot's message in the channel; 0 until posted.
	Post int64
	Taps int64
	// Paused: the bot lost the right to post in the lot's channel (its post
	// can no longer show what is left), so the lot takes no taps until the
	// KOL gives it back.
	Paused bool
	// Mode is first come or draw; a draw's taps enter it until DrawUntil, and
	// the units are drawn then (Drawn).
	Mode      LotMode
	DrawUntil time.Time
	Drawn     bool
	// Group is the lot whose post this lot shares, a product's variants
	// dropped together; 0 for a lot with a post of its own, or the group's.
	Group LotID
}

// PostLot is the lot whose post shows this lot: its group's, or its own.
func (l Lot) PostLot() LotID {
	if l.Group != 0 {
		return l.Group
	}
	return l.ID
}

// LotMode is how a lot's units go to the people who tap.
type LotMode string

const (
	// FirstCome: the first taps get the units.
	FirstCome LotMode = "first_come"
	// Draw: taps during a short window enter a draw, and the units are drawn at
	// random among the entrants then: no speed advantage for scripts. The others
	// join the waiting list.
	Draw LotMode = "draw"
)

// DrawWindow is how long a draw takes entries.
const DrawWindow = 30 * time.Second

// Drawing reports whether the lot's draw takes entries at now.
func (l Lot) Drawing(now time.Time) bool {
	return l.Mode == Draw && !l.Drawn && now.Before(l.DrawUntil)
}

// SoldOut reports whether every unit is claimed.
func (l Lot) SoldOut() bool { return l.Remaining == 0 }

// Over reports whether the lot takes no more taps at now: ended, cancelled or
// past its end time.
func (l Lot) Over(now time.Time) bool { return l.Status != LotOpen || !now.Before(l.EndsAt) }

// ClaimStatus is where a claim is in its life.
type ClaimStatus string

const (
	ClaimHeld     ClaimStatus = "held"     // the unit waits for the buyer's payment
	ClaimPaid     ClaimStatus = "paid"     // sold
	ClaimReleased ClaimStatus = "released" // not paid in time, or given up: the unit went back
)

// Claim is a unit of a lot claimed by a tap.
type Claim struct {
	ID        ClaimID
	Lot       LotID
	Buyer     core.UserID
	Tap       string // Telegram's callback query id
	Status    ClaimStatus
	HeldUntil time.Time
	Order     core.OrderID // 0 until an order is made of it
}

// Errors the bot explains to people in their language.
var (
	ErrInviteNotFound  = &core.Error{Code: core.ENOTFOUND, Message: "this invitation does not exist"}
	ErrInviteUsed      = &core.Error{Code: core.ECONFLICT, Message: "this invitation was used already"}
	ErrInviteExpired   = &core.Error{Code: core.ECONFLICT, Message: "this invitation has expired"}
	ErrNotKOL          = &core.Error{Code: core.EFORBIDDEN, Message: "only a KOL working with this shop can do this"}
	ErrCommission      = &core.Error{Code: core.EINVALID, Message: "a commission is between 0 and 100 %"}
	ErrCommissionRaise = &core.Error{Code: core.EINVALID, Message: "the new rate must be lower than the current one"}
	ErrChannelNotFound = &core.Error{Code: core.ENOTFOUND, Message: "this channel is not connected"}
	ErrChannelNotYours = &core.Error{Code: core.EFORBIDDEN, Message: "this channel was connected by someone else"}
	ErrCannotPost      = &core.Error{Code: core.ECONFLICT, Message: "the bot may not post in this channel"}
	ErrSessionNotFound = &core.Error{Code: core.ENOTFOUND, Message: "this session does not exist"}
	ErrSessionState    = &core.Error{Code: core.ECONFLICT, Message: "the session is not in a state that allows this"}
	ErrTitle           = &core.Error{Code: core.EINVALID, Message: "a title has 1 to 128 characters"}
	ErrStartsInPast    = &core.Error{Code: core.EINVALID, Message: "the start time has passed"}
	ErrReminderPast    = &core.Error{Code: core.EINVALID, Message: "that reminder's time has passed"}
	ErrReminder        = &core.Error{Code: core.EINVALID, Message: "that is not one of the reminders offered"}
	ErrStreamURL       = &core.Error{Code: core.EINVALID, Message: "a stream link is an https:// link"}
	ErrPriceBelow      = &core.Error{Code: core.EINVALID, Message: "a drop's price is at least the seller's price for it"}
	ErrAllocation      = &core.Error{Code: core.EINVALID, Message: "an allocation needs a price, a quantity and a per-buyer limit above zero"}
	ErrNotAllocated    = &core.Error{Code: core.ENOTFOUND, Message: "this product is not allocated to the session"}
	ErrOverAllocation  = &core.Error{Code: core.ECONFLICT, Message: "not that many units are left of the allocation"}
	ErrLotNotFound     = &core.Error{Code: core.ENOTFOUND, Message: "this lot does not exist"}
	ErrLotDuration     = &core.Error{Code: core.EINVALID, Message: "a lot lasts from 1 minute to 2 hours"}
	ErrLotState        = &core.Error{Code: core.ECONFLICT, Message: "the lot is not in a state that allows this"}
	ErrClaimNotFound   = &core.Error{Code: core.ENOTFOUND, Message: "this reservation does not exist"}
	ErrClaimReleased   = &core.Error{Code: core.ECONFLICT, Message: "this reservation has ended"}
	ErrSessionOver     = &core.Error{Code: core.ECONFLICT, Message: "this session is over"}
)

// Limits of a lot's life.
const (
	MinLotDuration     = time.Minute
	MaxLotDuration     = 2 * time.Hour
	DefaultLotDuration = 5 * time.Minute
)
