// Package broadcast holds the rules of sellers' broadcasts: a message to an
// audience of a shop (its customers, the buyers of a product, its subscribers),
// its progress, cancellation and opt-outs.
//
// A broadcast's life: Start records it running, with a JobStart job in the same
// transaction. The job's handler materializes the recipients (Materialize: one
// pending row per person the audience reaches now), then the workers compose
// and send their messages page by page (Page): one query tells which of
// a page's recipients are still to be sent (Sendable: not cancelled, still
// pending, not opted out), and their outcomes are recorded in batches
// (RecordOutcomes). A message that must be tried again later goes through the
// sender's queue, which asks ShouldSend just before it goes and tells
// RecordOutcome what became of it. Near the end, Finish finishes the broadcast
// once nothing is pending. Cancel stops it midway.
//
// Opt-outs: a person who taps "unsubscribe" on a broadcast of a shop (or on the
// shop's card) is left out of every audience of that shop, and skipped by its
// messages still queued, until they subscribe again.
package broadcast

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/shop"
)

// ID identifies a broadcast.
type ID int64

// Status is where a broadcast is in its life.
type Status string

const (
	StatusRunning   Status = "running"   // its messages are being sent
	StatusFinished  Status = "finished"  // every recipient's message was sent, refused or skipped
	StatusCancelled Status = "cancelled" // stopped midway by the shop's staff
)

// AudienceKind says who a broadcast is for.
type AudienceKind string

const (
	// AudienceCustomers is everyone with a paid, shipped, ready or completed
	// order in the shop.
	AudienceCustomers AudienceKind = "customers"
	// AudienceBuyers is everyone with such an order of one product.
	AudienceBuyers AudienceKind = "buyers"
	// AudienceSubscribers is everyone subscribed to the shop's news.
	AudienceSubscribers AudienceKind = "subscribers"
)

// Audience is who a broadcast is for: a kind, and the product for AudienceBuyers.
type Audience struct {
	Kind      AudienceKind
	ProductID core.ProductID // AudienceBuyers only
}

// Content is what a broadcast says: a text, or a photo with an optional caption,
// and buttons that open products of the shop.
type Content struct {
	// Text is what the seller typed, as typed (not HTML): the bot escapes it. For
	// a photo it is the caption.
	Text string
	// Photo is a Telegram file id; "" for a text message.
	Photo string
	// Products get a button each, in this order; at most MaxButtons.
	Products []core.ProductID
}

// Limits of a broadcast's content. They leave room for the line naming the shop
// that the bot puts above the text (Telegram allows 4096 characters in a text and
// 1024 in a caption).
const (
	MaxText    = 3800
	MaxCaption = 900
	MaxButtons = 3
)

// Draft is a broadcast to start.
type Draft struct {
	// Key makes the start idempotent: a second Start with the same shop and key
	// returns the first broadcast (a double tap on "Send").
	Key      string
	ShopID   core.ShopID
	Content  Content
	Audience Audience
	// ProgressChat and ProgressMessageID name the message, sent to the seller
	// before the start, that shows the broadcast's progress (edited in place);
	// zero for none.
	ProgressChat      int64
	ProgressMessageID int
}

// Broadcast is a message of a shop to an audience, and how far it got.
type Broadcast struct {
	ID        ID
	ShopID    core.ShopID
	CreatedBy core.UserID
	Content   Content
	Audience  Audience
	Status    Status
	// Materialized says the recipients are recorded; Total is their number then.
	Materialized bool
	Total        int
	// Outcomes so far: Skipped are recipients who opted out or became unreachable
	// before their turn; Cancelled those still pending when it was cancelled.
	Sent, Blocked, Failed, Skipped, Cancelled int
	ProgressChat                              int64
	ProgressMessageID                         int
	CreatedAt                                 time.Time
	FinishedAt                                time.Time // zero while running
}

// Done is the number of recipients whose message was sent, refused or skipped.
func (b Broadcast) Done() int { return b.Sent + b.Blocked + b.Failed + b.Skipped }

// Pending is the number of recipients whose message has not gone yet.
func (b Broadcast) Pending() int {
	if b.Status != StatusRunning {
		return 0
	}
	return max(0, b.Total-b.Done()-b.Cancelled)
}

// Recipient is a person a broadcast's message is still to go to, with the
// language to write to them in (their chosen one, else Telegram's; may be "").
type Recipient struct {
	UserID core.UserID
	Lang   string
}

// Page is a run of a broadcast's recipients in user id order, whatever their
// status: what a page task goes through at once.
type Page struct {
	// Pending are its recipients whose message has not gone yet.
	Pending []Recipient
	// Size is how many recipients it has, Last the last of them.
	Size int
	Last core.UserID
}

// Result is what became of the message to one recipient, to record with others
// (RecordOutcomes).
type Result struct {
	User    core.UserID
	Outcome Outcome
}

// Batch is what recording several outcomes at once tells.
type Batch struct {
	// Seqs are the places (see Settled.Seq) of the recipients the batch settled;
	// recipients that were not pending any more are left out.
	Seqs []int
	// Remaining is how many recipients were pending as the batch saw them, its
	// own included (see Settled.Remaining).
	Remaining int
	// Running says the broadcast still runs: false once it was cancelled or
	// finished, when its pages stop.
	Running bool
}

// Settled is what recording a recipient's outcome tells.
type Settled struct {
	// Seq is the recipient's place among the broadcast's recipients (1, 2, ...,
	// in user id order): every Nth shows the progress.
	Seq int
	// Remaining is how many recipients were pending as this outcome saw it,
	// itself included. Outcomes recorded at the same moment do not see each
	// other, so the last one may see a few more: near the end, ask Finish.
	Remaining int
}

// Outcome is what became of one recipient's message.
type Outcome string

const (
	OutcomeSent    Outcome = "sent"    // Telegram took it
	OutcomeBlocked Outcome = "blocked" // the person blocked the bot, or their chat is gone
	OutcomeFailed  Outcome = "failed"  // refused for another reason
	OutcomeSkipped Outcome = "skipped" // not sent: they opted out or became unreachable
)

// Job kinds the broadcast service writes to the outbox.
const (
	// JobStart materializes a broadcast's recipients and enqueues its messages;
	// payload JobPayload, key "broadcast:start:<id>".
	JobStart = "broadcast:start"
	// JobProgress shows a broadcast's progress (or final report) to the seller
	// again; payload JobPayload, key "broadcast:progress:<id>:<why>".
	JobProgress = "broadcast:progress"
)

// JobPayload is the payload of the broadcast jobs.
type JobPayload struct {
	BroadcastID ID `json:"broadcast_id"`
}

// Errors of the broadcast service.
var (
	ErrNotFound       = &core.Error{Code: core.ENOTFOUND, Message: "broadcast not found"}
	ErrEmpty          = &core.Error{Code: core.EINVALID, Message: "a broadcast needs a text or a photo"}
	ErrTextTooLong    = &core.Error{Code: core.EINVALID, Message: fmt.Sprintf("a broadcast's text is at most %d characters (%d under a photo)", MaxText, MaxCaption)}
	ErrTooManyButtons = &core.Error{Code: core.EINVALID, Message: fmt.Sprintf("a broadcast has at most %d buttons", MaxButtons)}
	ErrAudience       = &core.Error{Code: core.EINVALID, Message: "unknown audience"}
	ErrNobody         = &core.Error{Code: core.EINVALID, Message: "the audience reaches nobody"}
	ErrNoKey          = &core.Error{Code: core.EINVALID, Message: "a broadcast needs an idempotency key"}
	ErrOver           = &core.Error{Code: core.ECONFLICT, Message: "the broadcast is over"}
)

// New is a broadcast as the store records it.
type New struct {
	Draft
	CreatedBy core.UserID
	CreatedAt time.Time
}

// Store is what the broadcast service needs of storage (postgres.Broadcasts).
type Store interface {
	// Role returns user's role in a shop, "" if they are not its staff
	// (postgres.Roles).
	shop.Roles
	// ProductShop returns the shop of an active product; catalog.ErrProductNotFound
	// for one archived or unknown.
	ProductShop(ctx context.Context, id core.ProductID) (core.ShopID, error)
	// Count returns how many people a of shop reaches now: reachable users who did
	// not opt out of the shop.
	Count(ctx context.Context, shop core.ShopID, a Audience) (int, error)
	// Create records n running, with the jobs of job(broadcast) in the same
	// transaction, and returns it with created true. If the shop has a broadcast
	// with n.Key already, it returns that one, created false, and writes nothing.
	Create(ctx context.Context, n New, job func(Broadcast) []core.Job) (b Broadcast, created bool, err error)
	// Broadcast returns ErrNotFound.
	Broadcast(ctx context.Context, id ID) (Broadcast, error)
	// ByKey returns the shop's broadcast started with key; ok false for none.
	ByKey(ctx context.Context, shop core.ShopID, key string) (b Broadcast, ok bool, err error)
	// Broadcasts returns the shop's latest broadcasts, newest first.
	Broadcasts(ctx context.Context, shop core.ShopID, limit int) ([]Broadcast, error)
	// Cancel marks a running broadcast cancelled at at, and its pending
	// recipients cancelled, with the jobs of job(broadcast), in one transaction;
	// changed is false (and nothing written) for one not running. ErrNotFound.
	Cancel(ctx context.Context, id ID, at time.Time, job func(Broadcast) []core.Job) (b Broadcast, changed bool, err error)
	// Materialize records the recipients of a running broadcast once: a pending
	// row for each person its audience reaches now, and Total. A broadcast whose
	// audience is empty is finished at at. Again, or for a broadcast not running,
	// it changes nothing. ErrNotFound.
	Materialize(ctx context.Context, id ID, at time.Time) (Broadcast, error)
	// Recipients returns up to limit pending recipients with ids above after, by id.
	Recipients(ctx context.Context, id ID, after core.UserID, limit int) ([]Recipient, error)
	// ShouldSend reports whether the broadcast runs, the recipient is pending and
	// did not opt out of the shop; false for someone not a recipient.
	ShouldSend(ctx context.Context, id ID, user core.UserID) (bool, error)
	// Page returns up to limit recipients above after, by id, whatever their
	// status, with those pending.
	Page(ctx context.Context, id ID, after core.UserID, limit int) (Page, error)
	// Sendable is ShouldSend for many recipients in one query: whether the
	// broadcast runs, and those of users who are pending, reachable and did not
	// opt out of the shop (none when it does not run). ErrNotFound.
	Sendable(ctx context.Context, id ID, users []core.UserID) (running bool, send []core.UserID, err error)
	// RecipientAfter returns the n-th recipient (n >= 1) above after, in user id
	// order, whatever their status; ok false when fewer than n are above after.
	RecipientAfter(ctx context.Context, id ID, after core.UserID, n int) (user core.UserID, ok bool, err error)
	// RecordOutcome settles a pending recipient with o and counts it; changed is
	// false (nothing written) when the recipient was not pending.
	RecordOutcome(ctx context.Context, id ID, user core.UserID, o Outcome) (s Settled, changed bool, err error)
	// RecordOutcomes is RecordOutcome for many recipients in one statement:
	// those pending are settled and counted, the others left as they are.
	// ErrNotFound.
	RecordOutcomes(ctx context.Context, id ID, results []Result) (Batch, error)
	// Finish finishes a running broadcast at at if nothing is pending; finished
	// is false (nothing written) otherwise. ErrNotFound.
	Finish(ctx context.Context, id ID, at time.Time) (b Broadcast, finished bool, err error)
	// Unreported finishes at at the running broadcasts with nothing pending, and
	// returns up to limit broadcasts that are over and not marked reported.
	Unreported(ctx context.Context, at time.Time, limit int) ([]Broadcast, error)
	// MarkReported records that the final report of a broadcast was sent.
	MarkReported(ctx context.Context, id ID) error
	// Subscribed reports whether user subscribed to the shop's news.
	Subscribed(ctx context.Context, shop core.ShopID, user core.UserID) (bool, error)
	// Subscribe subscribes user to the shop's news and clears an opt-out.
	Subscribe(ctx context.Context, shop core.ShopID, user core.UserID) error
	// Unsubscribe ends the subscription and opts user out of the shop's
	// broadcasts.
	Unsubscribe(ctx context.Context, shop core.ShopID, user core.UserID) error
}

// Service is the broadcast rules over a Store.
type Service struct {
	store Store
	clock core.Clock
}

// NewService returns a Service.
func NewService(store Store, clock core.Clock) *Service {
	return &Service{store: store, clock: clock}
}

// requireStaff returns shop.ErrNotStaff unless actor works for the shop (any role).
func (s *Service) requireStaff(ctx context.Context, id core.ShopID, actor core.UserID) error {
	_, err := shop.Require(ctx, s.store, id, actor, shop.RoleManager)
	return err
}

// checkAudience returns ErrAudience for an unknown kind, and
// catalog.ErrProductNotFound for a product not active in the shop.
func (s *Service) checkAudience(ctx context.Context, shop core.ShopID, a Audience) error {
	switch a.Kind {
	case AudienceCustomers, AudienceSubscribers:
		if a.ProductID != 0 {
			return ErrAudience
		}
		return nil
	case AudienceBuyers:
		return s.checkProduct(ctx, shop, a.ProductID)
	}
	return ErrAudience
}

// checkProduct returns catalog.ErrProductNotFound unless id is an active product
// of shop.
func (s *Service) checkProduct(ctx context.Context, shop core.ShopID, id core.ProductID) error {
	owner, err := s.store.ProductShop(ctx, id)
	if err != nil {
		return fmt.Errorf("product %d: %w", id, err)
	}
	if owner != shop {
		return catalog.ErrProductNotFound
	}
	return nil
}

// CheckContent returns ErrEmpty, ErrTextTooLong or ErrTooManyButtons for content
// that cannot be sent. The products of the buttons are checked by Start.
func CheckContent(c Content) error {
	switch {
	case c.Photo == "" && !core.Visible(c.Text):
		return ErrEmpty
	case c.Photo == "" && utf8.RuneCountInString(c.Text) > MaxText,
		c.Photo != "" && utf8.RuneCountInString(c.Text) > MaxCaption:
		return ErrTextTooLong
	case len(c.Products) > MaxButtons:
		return ErrTooManyButtons
	}
	return nil
}

// Count returns how many people audience a of a shop reaches now: those it
// holds, less those who opted out of the shop and those who blocked the bot.
// shop.ErrNotStaff, ErrAudience, catalog.ErrProductNotFound.
func (s *Service) Count(ctx context.Context, actor core.UserID, shop core.ShopID, a Audience) (int, error) {
	if err := s.requireStaff(ctx, shop, actor); err != nil {
		return 0, err
	}
	if err := s.checkAudience(ctx, shop, a); err != nil {
		return 0, err
	}
	n, err := s.store.Count(ctx, shop, a)
	if err != nil {
		return 0, fmt.Errorf("count audience of shop %d: %w", shop, err)
	}
	return n, nil
}

// Start records a broadcast and has it sent (a JobStart job). Starting again with
// the same shop and key returns the broadcast started first, and starts nothing.
// shop.ErrNotStaff, ErrNoKey, ErrEmpty, ErrTextTooLong, ErrTooManyButtons,
// ErrAudience, catalog.ErrProductNotFound (a product of the audience or of a
// button not active in the shop), ErrNobody when the audience reaches nobody.
func (s *Service) Start(ctx context.Context, actor core.UserID, d Draft) (Broadcast, error) {
	if err := s.requireStaff(ctx, d.ShopID, actor); err != nil {
		return Broadcast{}, err
	}
	if strings.TrimSpace(d.Key) == "" {
		return Broadcast{}, ErrNoKey
	}
	// A double tap, or a retried update, finds the broadcast the first one started,
	// even if its audience has changed since.
	if b, ok, err := s.store.ByKey(ctx, d.ShopID, d.Key); err != nil || ok {
		return b, err
	}
	if err := CheckContent(d.Content); err != nil {
		return Broadcast{}, err
	}
	if err := s.checkAudience(ctx, d.ShopID, d.Audience); err != nil {
		return Broadcast{}, err
	}
	seen := make([]core.ProductID, 0, len(d.Content.Products))
	for _, p := range d.Content.Products {
		if slices.Contains(seen, p) {
			continue
		}
		if err := s.checkProduct(ctx, d.ShopID, p); err != nil {
			return Broadcast{}, err
		}
		seen = append(seen, p)
	}
	d.Content.Products = seen
	n, err := s.store.Count(ctx, d.ShopID, d.Audience)
	if err != nil {
		return Broadcast{}, fmt.Errorf("count audience of shop %d: %w", d.ShopID, err)
	}
	if n == 0 {
		return Broadcast{}, ErrNobody
	}
	b, _, err := s.store.Create(ctx, New{Draft: d, CreatedBy: actor, CreatedAt: s.clock.Now()}, func(b Broadcast) []core.Job {
		return []core.Job{jobOf(JobStart, b.ID, "")}
	})
	if err != nil {
		return Broadcast{}, fmt.Errorf("start broadcast of shop %d: %w", d.ShopID, err)
	}
	return b, nil
}

// jobOf returns a broadcast job of kind for id; why tells jobs of one kind and
// broadcast apart.
func jobOf(kind string, id ID, why string) core.Job {
	key := fmt.Sprintf("%s:%d", kind, id)
	if why != "" {
		key += ":" + why
	}
	return core.Job{Kind: kind, Key: key, Payload: fmt.Appendf(nil, `{"broadcast_id":%d}`, id)}
}

// Broadcast returns a broadcast to the staff of its shop. ErrNotFound (also for
// someone else, so ids cannot be probed).
func (s *Service) Broadcast(ctx context.Context, actor core.UserID, id ID) (Broadcast, error) {
	b, err := s.store.Broadcast(ctx, id)
	if err != nil {
		return Broadcast{}, fmt.Errorf("broadcast %d: %w", id, err)
	}
	if err := s.requireStaff(ctx, b.ShopID, actor); errors.Is(err, shop.ErrNotStaff) {
		return Broadcast{}, ErrNotFound
	} else if err != nil {
		return Broadcast{}, err
	}
	return b, nil
}

// BroadcastForSystem returns a broadcast to the workers. ErrNotFound.
func (s *Service) BroadcastForSystem(ctx context.Context, id ID) (Broadcast, error) {
	b, err := s.store.Broadcast(ctx, id)
	if err != nil {
		return Broadcast{}, fmt.Errorf("broadcast %d: %w", id, err)
	}
	return b, nil
}

// Broadcasts returns up to limit of the shop's latest broadcasts, newest first.
// shop.ErrNotStaff.
func (s *Service) Broadcasts(ctx context.Context, actor core.UserID, shop core.ShopID, limit int) ([]Broadcast, error) {
	if err := s.requireStaff(ctx, shop, actor); err != nil {
		return nil, err
	}
	list, err := s.store.Broadcasts(ctx, shop, limit)
	if err != nil {
		return nil, fmt.Errorf("list broadcasts of shop %d: %w", shop, err)
	}
	return list, nil
}

// Cancel stops a running broadcast: the recipients it has not reached yet get
// nothing, and its progress message shows the final report (a JobProgress job).
// ErrNotFound, ErrOver for a broadcast that finished or was cancelled already
// (with the broadcast).
func (s *Service) Cancel(ctx context.Context, actor core.UserID, id ID) (Broadcast, error) {
	if _, err := s.Broadcast(ctx, actor, id); err != nil {
		return Broadcast{}, err
	}
	b, changed, err := s.store.Cancel(ctx, id, s.clock.Now(), func(b Broadcast) []core.Job {
		return []core.Job{jobOf(JobProgress, b.ID, "cancel")}
	})
	if err != nil {
		return Broadcast{}, fmt.Errorf("cancel broadcast %d: %w", id, err)
	}
	if !changed {
		return b, ErrOver
	}
	return b, nil
}

// Materialize records the recipients of a running broadcast, once (see
// Store.Materialize). ErrNotFound.
func (s *Service) Materialize(ctx context.Context, id ID) (Broadcast, error) {
	b, err := s.store.Materialize(ctx, id, s.clock.Now())
	if err != nil {
		return Broadcast{}, fmt.Errorf("materialize broadcast %d: %w", id, err)
	}
	return b, nil
}

// Recipients returns up to limit recipients still pending, with ids above after,
// in id order: a page of the broadcast's messages to compose.
func (s *Service) Recipients(ctx context.Context, id ID, after core.UserID, limit int) ([]Recipient, error) {
	rs, err := s.store.Recipients(ctx, id, after, limit)
	if err != nil {
		return nil, fmt.Errorf("recipients of broadcast %d: %w", id, err)
	}
	return rs, nil
}

// ShouldSend reports whether the broadcast's message to user should still go:
// the broadcast runs, user is pending, and did not opt out of the shop.
func (s *Service) ShouldSend(ctx context.Context, id ID, user core.UserID) (bool, error) {
	ok, err := s.store.ShouldSend(ctx, id, user)
	if err != nil {
		return false, fmt.Errorf("should broadcast %d go to %d: %w", id, user, err)
	}
	return ok, nil
}

// Page returns the next limit recipients above after, in id order, whatever
// their status, and which of them are still pending: a page task's page. Its
// recipients are found by their keys alone, so a page costs the same however
// many of the broadcast's messages went already.
func (s *Service) Page(ctx context.Context, id ID, after core.UserID, limit int) (Page, error) {
	p, err := s.store.Page(ctx, id, after, limit)
	if err != nil {
		return Page{}, fmt.Errorf("page of broadcast %d after %d: %w", id, after, err)
	}
	return p, nil
}

// Sendable reports, in one query for a page of recipients, whether the
// broadcast still runs and which of users its messages should still go to:
// those pending, reachable and not opted out of the shop (see ShouldSend).
// ErrNotFound.
func (s *Service) Sendable(ctx context.Context, id ID, users []core.UserID) (running bool, send []core.UserID, err error) {
	running, send, err = s.store.Sendable(ctx, id, users)
	if err != nil {
		return false, nil, fmt.Errorf("sendable recipients of broadcast %d: %w", id, err)
	}
	return running, send, nil
}

// RecipientAfter returns the n-th recipient above after, in user id order,
// whatever their status: the recipients of a broadcast never change once
// recorded, so the same arguments always name the same person, and a page task
// can tell where its share of the broadcast ends. ok is false when fewer than n
// recipients are above after.
func (s *Service) RecipientAfter(ctx context.Context, id ID, after core.UserID, n int) (core.UserID, bool, error) {
	if n < 1 {
		return 0, false, core.Errorf(core.EINVALID, "recipient after %d: n %d must be positive", after, n)
	}
	u, ok, err := s.store.RecipientAfter(ctx, id, after, n)
	if err != nil {
		return 0, false, fmt.Errorf("recipient %d after %d of broadcast %d: %w", n, after, id, err)
	}
	return u, ok, nil
}

// RecordOutcomes records what became of several recipients' messages, each
// once, in one statement (see RecordOutcome): a page's outcomes in a batch.
// Like RecordOutcome it does not finish the broadcast: Finish does, when
// Batch.Remaining says the end is near. ErrNotFound.
func (s *Service) RecordOutcomes(ctx context.Context, id ID, results []Result) (Batch, error) {
	for _, r := range results {
		if !r.Outcome.valid() {
			return Batch{}, core.Errorf(core.EINVALID, "unknown outcome %q", r.Outcome)
		}
	}
	b, err := s.store.RecordOutcomes(ctx, id, results)
	if err != nil {
		return Batch{}, fmt.Errorf("record %d outcomes of broadcast %d: %w", len(results), id, err)
	}
	return b, nil
}

// valid reports whether o is one of the outcomes.
func (o Outcome) valid() bool {
	switch o {
	case OutcomeSent, OutcomeBlocked, OutcomeFailed, OutcomeSkipped:
		return true
	}
	return false
}

// RecordOutcome records what became of the message to user, once: changed is
// false when it was recorded already (or user is not pending: the broadcast
// was cancelled). It does not finish the broadcast: Finish does, when
// s.Remaining says the end is near.
func (s *Service) RecordOutcome(ctx context.Context, id ID, user core.UserID, o Outcome) (st Settled, changed bool, err error) {
	if !o.valid() {
		return Settled{}, false, core.Errorf(core.EINVALID, "unknown outcome %q", o)
	}
	st, changed, err = s.store.RecordOutcome(ctx, id, user, o)
	if err != nil {
		return Settled{}, false, fmt.Errorf("record %s of broadcast %d to %d: %w", o, id, user, err)
	}
	return st, changed, nil
}

// Finish finishes a running broadcast whose recipients are all settled, and
// returns it with finished true; once only, however many ask at the same time.
// A broadcast with recipients pending, or over already, is returned with
// finished false. ErrNotFound.
func (s *Service) Finish(ctx context.Context, id ID) (Broadcast, bool, error) {
	b, finished, err := s.store.Finish(ctx, id, s.clock.Now())
	if err != nil {
		return Broadcast{}, false, fmt.Errorf("finish broadcast %d: %w", id, err)
	}
	return b, finished, nil
}

// Unreported finishes the running broadcasts that have nothing pending (their
// last outcome's update was lost) and returns up to limit broadcasts that are
// over and whose final report is not recorded sent (MarkReported).
func (s *Service) Unreported(ctx context.Context, limit int) ([]Broadcast, error) {
	list, err := s.store.Unreported(ctx, s.clock.Now(), limit)
	if err != nil {
		return nil, fmt.Errorf("unreported broadcasts: %w", err)
	}
	return list, nil
}

// MarkReported records that a broadcast's final report was sent.
func (s *Service) MarkReported(ctx context.Context, id ID) error {
	if err := s.store.MarkReported(ctx, id); err != nil {
		return fmt.Errorf("mark broadcast %d reported: %w", id, err)
	}
	return nil
}

// Subscribed reports whether user is subscribed to the shop's news.
func (s *Service) Subscribed(ctx context.Context, shop core.ShopID, user core.UserID) (bool, error) {
	ok, err := s.store.Subscribed(ctx, shop, user)
	if err != nil {
		return false, fmt.Errorf("subscription of %d to shop %d: %w", user, shop, err)
	}
	return ok, nil
}

// Subscribe subscribes user to the shop's news; it clears an earlier opt-out, so
// the shop's other broadcasts reach them again. Subscribing twice is one
// subscription.
func (s *Service) Subscribe(ctx context.Context, user core.UserID, shop core.ShopID) error {
	if err := s.store.Subscribe(ctx, shop, user); err != nil {
		return fmt.Errorf("subscribe %d to shop %d: %w", user, shop, err)
	}
	return nil
}

// Unsubscribe opts user out of every broadcast of the shop, at once: they leave
// its audiences, and its messages still queued for them are skipped. It ends a
// subscription too. Unsubscribing twice changes nothing.
func (s *Service) Unsubscribe(ctx context.Context, user core.UserID, shop core.ShopID) error {
	if err := s.store.Unsubscribe(ctx, shop, user); err != nil {
		return fmt.Errorf("unsubscribe %d from shop %d: %w", user, shop, err)
	}
	return nil
}
