// Package orphan keeps orphan payments: money Telegram took (a successful_payment
// arrived) for an invoice whose payload names no order of ours. The payload is not
// one of our invoices, or it names an order that does not exist. Such a payment
// cannot pay anything, and retrying the update cannot help. So it is recorded once
// per Telegram charge id, the payer is told it is being checked, and the platform
// operators are told. From their menu they refund a Stars payment through Telegram
// or mark a card payment resolved, since cards are refunded at the provider.
//
// It is a package of its own rather than part of core/order because an orphan has
// no order, shop or stock to change in one transaction with it. It belongs to the
// platform operators, not to a shop's staff.
//
// A payment for an order that exists is never an orphan, even when it cannot pay
// that order (someone else paid it, the amount differs, it was paid already).
// order.Service.RecordPayment records it against the order for a refund, because
// the shop's own provider took the money.
package orphan

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
)

// ID identifies an orphan payment.
type ID int64

// Status is where an orphan payment is in its life:
//
//	new -> refunded (Stars: refunded through Telegram after an operator asked)
//	new -> resolved (an operator settled it by other means: a card refund at the
//	                 provider, the goods given by hand)
type Status string

const (
	StatusNew      Status = "new"
	StatusRefunded Status = "refunded"
	StatusResolved Status = "resolved"
)

// Reason says why a payment is an orphan.
type Reason string

const (
	// ReasonPayload: the invoice payload is not one Vitrina makes.
	ReasonPayload Reason = "payload"
	// ReasonNoOrder: the payload names an order that does not exist.
	ReasonNoOrder Reason = "no_order"
)

// Received is a successful payment that names no order, as Telegram reported it.
type Received struct {
	TelegramChargeID string
	ProviderChargeID string // "" for Stars
	Amount           core.Money
	PayerID          core.UserID
	PayerName        string // first and last name as Telegram gave them
	PayerUsername    string // without "@"; "" if none
	Payload          []byte // the invoice payload as received
	Reason           Reason
}

// Payment is a recorded orphan payment.
type Payment struct {
	ID               ID
	TelegramChargeID string
	ProviderChargeID string
	Amount           core.Money
	PayerID          core.UserID
	PayerName        string
	PayerUsername    string
	Payload          []byte
	Reason           Reason
	Status           Status
	ReceivedAt       time.Time
	// RefundRequestedAt is when an operator (RefundRequestedBy) asked for the Stars
	// refund; zero if none did. The refund is under way until Status is refunded.
	RefundRequestedAt time.Time
	RefundRequestedBy core.UserID
	// SettledAt is when it was refunded or resolved, and SettledBy who resolved it
	// (0 for a refund the worker made). Zero while new.
	SettledAt time.Time
	SettledBy core.UserID
}

// Stars reports whether the payment is in Telegram Stars, which Vitrina can refund
// itself (refundStarPayment). Card payments are refunded at the provider.
func (p Payment) Stars() bool { return p.Amount.Currency == core.Stars }

// RefundUnderway reports whether a refund was asked for and is not done yet.
func (p Payment) RefundUnderway() bool {
	return p.Status == StatusNew && !p.RefundRequestedAt.IsZero()
}

// Filter selects orphan payments; a nil Status does not filter.
type Filter struct {
	Status *Status
	Limit  int // default 10, at most 50
	Offset int
}

// Events of orphan payments, told through the outbox (JobNotify).
type Event string

const (
	EventReceived Event = "received" // to the operators: a payment to check
	EventRefunded Event = "refunded" // to the payer: the Stars are back
)

// Job kinds this package writes to the outbox.
const (
	// JobNotify tells people about an event (NotifyPayload); key
	// "orphan:notify:<id>:<event>".
	JobNotify = "orphan:notify"
	// JobRefund refunds a Stars orphan through Telegram (RefundPayload); key
	// "orphan:refund:<id>:<requested unix>": a refund asked for again by the sweep is
	// a new task, even while the old one's id is still kept.
	JobRefund = "orphan:refund"
)

type NotifyPayload struct {
	ID    ID    `json:"orphan_id"`
	Event Event `json:"event"`
}

type RefundPayload struct {
	ID ID `json:"orphan_id"`
}

// Errors the bot explains to people in their language.
var (
	ErrNotFound       = &core.Error{Code: core.ENOTFOUND, Message: "orphan payment not found"}
	ErrNotStars       = &core.Error{Code: core.ECONFLICT, Message: "only a Stars payment is refunded through Telegram; a card payment is refunded at the provider"}
	ErrSettled        = &core.Error{Code: core.ECONFLICT, Message: "this payment is already refunded or resolved"}
	ErrRefundUnderway = &core.Error{Code: core.ECONFLICT, Message: "the refund of this payment is under way"}
	ErrNoCharge       = &core.Error{Code: core.EINVALID, Message: "a payment without a charge id"}
	// ErrNotRequested is the refund worker's answer to a refund job of a payment
	// whose refund nobody asked for: the job is wrong, and it gives nothing back.
	ErrNotRequested = &core.Error{Code: core.ECONFLICT, Message: "nobody asked for the refund of this payment"}
)

// Change is what a plan decides: the payment as it is to be saved, and the jobs
// to write with it.
type Change struct {
	Payment Payment
	Jobs    []core.Job
}

// Limits on what is kept of a payment's text fields, which come from Telegram.
const (
	maxName    = 256
	maxPayload = 1024 // Telegram's payload is at most 128 bytes; a margin for the unexpected
)

// newPayment is the record of r received at now. Names are made storable text
// (valid UTF-8 without NUL, bounded); the payload is kept as bytes.
func newPayment(r Received, now time.Time) (Payment, error) {
	if r.TelegramChargeID == "" {
		return Payment{}, ErrNoCharge
	}
	payload := r.Payload
	if len(payload) > maxPayload {
		payload = payload[:maxPayload]
	}
	return Payment{
		TelegramChargeID: storable(r.TelegramChargeID, maxName),
		ProviderChargeID: storable(r.ProviderChargeID, maxName),
		Amount:           core.Money{Amount: r.Amount.Amount, Currency: core.Currency(storable(string(r.Amount.Currency), 16))},
		PayerID:          r.PayerID,
		PayerName:        storable(r.PayerName, maxName),
		PayerUsername:    storable(r.PayerUsername, maxName),
		Payload:          append([]byte(nil), payload...),
		Reason:           r.Reason,
		Status:           StatusNew,
		ReceivedAt:       now,
	}, nil
}

// storable makes s text PostgreSQL takes: valid UTF-8, no NUL, at most max bytes.
func storable(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	for len(s) > max {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// planRefund asks for the Stars refund of p, by actor at now.
func planRefund(p Payment, actor core.UserID, now time.Time) (*Change, error) {
	switch {
	case p.Status != StatusNew:
		return nil, ErrSettled
	case !p.Stars():
		return nil, ErrNotStars
	case p.RefundUnderway():
		return nil, ErrRefundUnderway
	}
	p.RefundRequestedAt, p.RefundRequestedBy = now, actor
	return &Change{Payment: p, Jobs: []core.Job{refundJob(p)}}, nil
}

// planRefunded records that p's Stars came back at now; the payer is told. A
// payment refunded already changes nothing (nil).
func planRefunded(p Payment, now time.Time) (*Change, error) {
	switch {
	case p.Status == StatusRefunded:
		return nil, nil
	case p.Status != StatusNew:
		return nil, ErrSettled
	case !p.Stars():
		return nil, ErrNotStars
	case !p.RefundUnderway():
		return nil, ErrNotRequested
	}
	p.Status, p.SettledAt = StatusRefunded, now
	return &Change{Payment: p, Jobs: []core.Job{notifyJob(p.ID, EventRefunded)}}, nil
}

// planResolve marks p resolved by actor at now. Resolved already changes nothing.
func planResolve(p Payment, actor core.UserID, now time.Time) (*Change, error) {
	switch {
	case p.Status == StatusResolved:
		return nil, nil
	case p.Status != StatusNew:
		return nil, ErrSettled
	case p.RefundUnderway():
		// The worker is giving the Stars back; resolving now could not stop it.
		return nil, ErrRefundUnderway
	}
	p.Status, p.SettledAt, p.SettledBy = StatusResolved, now, actor
	return &Change{Payment: p}, nil
}

// notifyJob tells people about event e of orphan id.
func notifyJob(id ID, e Event) core.Job {
	return core.Job{
		Kind:    JobNotify,
		Key:     fmt.Sprintf("%s:%d:%s", JobNotify, id, e),
		Payload: mustJSON(NotifyPayload{ID: id, Event: e}),
	}
}

// refundJob refunds p, keyed by when the refund was asked for.
func refundJob(p Payment) core.Job {
	return core.Job{
		Kind:    JobRefund,
		Key:     fmt.Sprintf("%s:%d:%d", JobRefund, p.ID, p.RefundRequestedAt.Unix()),
		Payload: mustJSON(RefundPayload{ID: p.ID}),
	}
}

// mustJSON encodes a payload of this package, which always encodes.
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("orphan: encode %T: %v", v, err))
	}
	return b
}
