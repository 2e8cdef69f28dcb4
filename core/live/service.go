package live

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/shop"
)

// Store is what the live service needs of storage (livestore.Store). Methods
// that change stock, lots or claims do it in one transaction; the closures run
// with the rows they are given locked.
type Store interface {
	shop.Roles
	payoutStore
	reportStore

	// CreateInvite records an invitation.
	CreateInvite(ctx context.Context, inv Invite, now time.Time) error
	// AcceptInvite locks the invitation, lets check refuse it, marks it used by
	// kol and makes (or renews, at the invitation's rate) the link.
	// ErrInviteNotFound.
	AcceptInvite(ctx context.Context, token string, kol core.UserID, now time.Time, check func(Invite, bool) error) (Link, error)
	// Link returns the link of a shop and a KOL; ErrNotKOL if there is none.
	Link(ctx context.Context, id core.ShopID, kol core.UserID) (Link, error)
	// Links returns the shops a KOL works with.
	Links(ctx context.Context, kol core.UserID) ([]Link, error)
	// ShopLinks returns the KOLs working with a shop.
	ShopLinks(ctx context.Context, id core.ShopID) ([]Link, error)
	// ShopSessions returns a shop's sessions, the latest start first, at most limit.
	ShopSessions(ctx context.Context, id core.ShopID, limit int) ([]Session, error)
	// SetCommission changes a link's rate (sessions keep theirs), with job;
	// ErrNotKOL.
	SetCommission(ctx context.Context, id core.ShopID, kol core.UserID, c Commission, now time.Time, job core.Job) error

	// SaveChannel records a channel as Telegram describes it now.
	SaveChannel(ctx context.Context, ch Channel, now time.Time) error
	// Channel returns a connected channel; ErrChannelNotFound.
	Channel(ctx context.Context, chat int64) (Channel, error)
	// Channels returns the channels a KOL connected.
	Channels(ctx context.Context, kol core.UserID) ([]Channel, error)

	// CreateSession records a scheduled session, with the jobs jobs makes of it
	// (it has its id then), in one transaction.
	CreateSession(ctx context.Context, s Session, now time.Time, jobs func(Session) []core.Job) (Session, error)
	// SetRSVP records that user asks to be reminded of a session (on), or no
	// longer does (off); it reports whether anything changed.
	SetRSVP(ctx context.Context, id SessionID, user core.UserID, on bool, now time.Time) (bool, error)
	// RSVPs returns up to limit users reminded of a session, by id above after.
	RSVPs(ctx context.Context, id SessionID, after core.UserID, limit int) ([]core.UserID, error)
	// CountRSVPs returns how many ask to be reminded of a session.
	CountRSVPs(ctx context.Context, id SessionID) (int, error)
	// SetAnnouncement records the session's post in its channel, unless one is.
	SetAnnouncement(ctx context.Context, id SessionID, messageID int64) error
	// Session returns a session and its allocations; ErrSessionNotFound.
	Session(ctx context.Context, id SessionID) (Session, []Allocation, error)
	// UpdateSession locks a session and saves what fn makes of it (its title,
	// stream, start, status and reminders), with the jobs fn returns.
	UpdateSession(ctx context.Context, id SessionID, fn func(*Session) ([]core.Job, error)) (Session, error)
	// Allocate holds a.Quantity of the variant's stock for the session (a
	// reservation in the stock ledger, by actor) and records the allocation;
	// ErrOverAllocation when the variant has not that many available, and
	// ErrNotAllocated when the variant is not the session's shop's. An
	// allocation made already is replaced, the stock held adjusted by the
	// difference (never below what lots took).
	Allocate(ctx context.Context, a Allocation, actor core.UserID, now time.Time) error

	// DropLots locks the session and the variants' allocations, lets plan
	// make a lot of each, records them and counts their units dropped, with
	// their posts' jobs. The lots after the first are of the first's group
	// (Lot.Group): one post shows them all. ErrNotAllocated.
	DropLots(ctx context.Context, id SessionID, vs []core.VariantID, plan func(Session, Allocation) (Lot, error), now time.Time) ([]Lot, error)
	// GroupLots returns a group's lots, the first (id) first; a lot of its
	// own is a group of one.
	GroupLots(ctx context.Context, id LotID) ([]Lot, error)
	// Lot returns a lot; ErrLotNotFound.
	Lot(ctx context.Context, id LotID) (Lot, error)
	// DrawLot locks a lot and, when its draw's window has closed and it was not
	// drawn, lets pick choose the winners among its entrants (in the order they
	// entered) for its units: they get claims (their entry's tap id, so a tap
	// sent again finds it), the rest join the waiting list in the drawn order,
	// with the jobs of the claims and the post. drawn is false when the window
	// is still open at now.
	DrawLot(ctx context.Context, id LotID, now time.Time, pick func(entrants []core.UserID, units int) (winners, rest []core.UserID)) (drawn bool, err error)
	// UpdateLot locks a lot, lets fn change its status, end time and extended
	// mark (with the session, to check who acts), saves them and has its post
	// brought up to date (JobLotPost), with the post's update at its end time.
	UpdateLot(ctx context.Context, id LotID, fn func(*Lot, Session) error) (Lot, error)
	// SetLotPost records the lot's post in its channel, unless one is recorded.
	SetLotPost(ctx context.Context, id LotID, messageID int64) error
	// ClaimTaps records the batch's buyers as users, locks the lot, reads what
	// the buyers hold of it and the claims of the batch's tap ids, lets plan
	// decide, and records the new claims, the units left and the taps counted,
	// with a job for the new claims (JobClaim) and one for the lot's post
	// (JobLotPost). A lot that does not exist: every tap gets TapNoLot.
	ClaimTaps(ctx context.Context, id LotID, taps []Tap, plan func(l Lot, st Standing) TapPlan) (TapPlan, error)
	// JoinWaitlist puts user in a lot's waiting list (again, if they left it)
	// and returns their place in it, 1 the next served; 0 when a unit from it
	// became theirs already.
	JoinWaitlist(ctx context.Context, id LotID, user core.UserID, now time.Time) (int, error)
	// LeaveWaitlist takes user out of a lot's waiting list.
	LeaveWaitlist(ctx context.Context, id LotID, user core.UserID, now time.Time) error
	// ReleaseClaim releases a held claim without an order whose hold ended by
	// now, putting its unit back in the lot; false when it is not held, has an
	// order (its order's end releases it: ReleaseOrder), or its hold has not
	// ended.
	ReleaseClaim(ctx context.Context, lot LotID, tap string, now time.Time) (bool, error)
	// CallOffClaim releases a held claim without an order at once, its hold
	// ended or not (its session was called off); false as ReleaseClaim.
	CallOffClaim(ctx context.Context, lot LotID, tap string, now time.Time) (bool, error)
	// SessionOrders returns up to limit orders of a session's lots awaiting
	// payment or paid, by id above after.
	SessionOrders(ctx context.Context, id SessionID, after core.OrderID, limit int) ([]core.OrderID, error)
	// EndSession locks the session, lets fn end it, ends its open lots and
	// returns to the shop's stock what the session holds unsold: what lots did
	// not take of each allocation and what is left in its lots (a ledger
	// movement each). Units still claimed follow their claims: paid, they are
	// sold; released later, they go back to the shop (ReleaseOrder,
	// ReleaseClaim) since the session no longer holds them.
	EndSession(ctx context.Context, id SessionID, actor core.UserID, fn func(*Session) error) (Session, error)
	// KOLSessions returns a KOL's sessions, the latest start first, at most limit.
	KOLSessions(ctx context.Context, kol core.UserID, limit int) ([]Session, error)
	// ShopLots returns the lots of a session, oldest first.
	SessionLots(ctx context.Context, id SessionID) ([]Lot, error)
	// Claim returns the claim of a tap; ErrClaimNotFound.
	Claim(ctx context.Context, lot LotID, tap string) (Claim, error)
	// BuyerClaims returns a buyer's claims on a lot, oldest first.
	BuyerClaims(ctx context.Context, lot LotID, buyer core.UserID) ([]Claim, error)
	// ChannelSessions returns the sessions in a channel of a status that start
	// within [from, to), soonest first.
	ChannelSessions(ctx context.Context, chat int64, status SessionStatus, from, to time.Time) ([]Session, error)
	// SetClaimOrder records the order made of a claim; false when the claim
	// was released meanwhile (or names another order).
	SetClaimOrder(ctx context.Context, lot LotID, tap string, id core.OrderID) (bool, error)
	// ReleaseOrder releases the held claim of an order, putting its unit back
	// in the lot (in the shop's stock once the session ended); false when it
	// has none held.
	ReleaseOrder(ctx context.Context, lot LotID, id core.OrderID, now time.Time) (bool, error)
}

// Orders is what the live service needs of order.Service: a claim becomes an
// order the buyer pays like any other.
type Orders interface {
	Checkout(ctx context.Context, req order.CheckoutRequest) (order.Order, error)
	// CallOff cancels an order whose sale was called off, refunding a paid
	// one; order.ErrTransition for one past that.
	CallOff(ctx context.Context, id core.OrderID, reason string) (order.Order, error)
}

// Jobs live drops write with their changes.
const (
	// JobClaim makes the orders of a batch's claims and sends the buyers their
	// invoices; key "live:claim:<lot>:<first tap>".
	JobClaim = "live:claim"
	// JobAnnounce posts a session's announcement in its channel, with the
	// button that asks to be reminded; key "live:announce:<session>".
	JobAnnounce = "live:announce"
	// JobRemind reminds the followers who asked of a session, Before its start;
	// key "live:remind:<session>:<seconds before>", due RemindLead before.
	JobRemind = "live:remind"
	// JobCancelled tells a cancelled session's followers who asked to be
	// reminded; key "live:cancelled:<session>".
	JobCancelled = "live:cancelled"
	// JobCallOff calls off the orders of a session cancelled while live (see
	// Service.CallOff); key "live:calloff:<session>". An order a claim makes
	// while the session is being cancelled is called off by OrderClaim.
	JobCallOff = "live:calloff"
	// JobRateLowered tells a KOL that a shop lowered their commission (RateJob);
	// key "live:rate:<shop>:<kol>:<when, µs>".
	JobRateLowered = "live:rate"
	// JobDraw draws a lot's units among its draw's entrants when the window
	// closes; key "live:draw:<lot>", due at the lot's DrawUntil.
	JobDraw = "live:draw"
	// JobLotPost brings a lot's post in the channel up to date (posts it the
	// first time; then the counter, sold out, ended); key "live:lot:post:<lot>",
	// and "live:lot:post:<lot>:end" due at the lot's end.
	JobLotPost = "live:lot:post"
)

// ClaimJob is JobClaim's payload: the claims a batch of taps made, by tap. One
// job a batch, not one a claim: the batch's transaction holds the lot's lock.
type ClaimJob struct {
	Lot  LotID    `json:"lot"`
	Taps []string `json:"taps"`
}

// RateJob is JobRateLowered's payload.
type RateJob struct {
	Shop core.ShopID `json:"shop"`
	KOL  core.UserID `json:"kol"`
	From Commission  `json:"from"`
	To   Commission  `json:"to"`
	At   int64       `json:"at"` // when, µs: each change is told once
}

// SessionJob is JobAnnounce's payload.
type SessionJob struct {
	Session SessionID `json:"session"`
}

// RemindJob is JobRemind's payload.
type RemindJob struct {
	Session SessionID `json:"session"`
	Before  int64     `json:"before"` // seconds before the start
}

// LotPostJob is JobLotPost's payload.
type LotPostJob struct {
	Lot LotID `json:"lot"`
}

// InviteTTL is how long a KOL invitation can be opened.
const InviteTTL = 7 * 24 * time.Hour

// Service runs live drops.
type Service struct {
	store  Store
	orders Orders
	clock  core.Clock
	// hold is how long a claim holds its unit for the buyer to pay.
	hold time.Duration
}

// DefaultHold is how long a claim holds its unit: a drop moves fast, and an
// unpaid unit should go to the next buyer soon.
const DefaultHold = 5 * time.Minute

// NewService returns a Service on store, making orders of claims with orders.
// Claims hold their units for hold (DefaultHold if zero).
func NewService(store Store, orders Orders, clock core.Clock, hold time.Duration) *Service {
	if hold == 0 {
		hold = DefaultHold
	}
	return &Service{store: store, orders: orders, clock: clock, hold: hold}
}

// Invite makes a one-time invitation for a KOL to work with a shop at
// commission; the actor must be the shop's owner.
func (s *Service) Invite(ctx context.Context, actor core.UserID, id core.ShopID, c Commission) (Invite, error) {
	if _, err := shop.Require(ctx, s.store, id, actor, shop.RoleOwner); err != nil {
		return Invite{}, err
	}
	if c < 0 || c > MaxCommission {
		return Invite{}, ErrCommission
	}
	now := s.clock.Now()
	inv := Invite{Token: strings.ToLower(rand.Text()[:16]), Shop: id, Commission: c, By: actor, Expires: now.Add(InviteTTL)}
	if err := s.store.CreateInvite(ctx, inv, now); err != nil {
		return Invite{}, fmt.Errorf("invite a KOL to shop %d: %w", id, err)
	}
	return inv, nil
}

// Accept makes kol a KOL of the invitation's shop. ErrInviteNotFound,
// ErrInviteUsed (by someone else; the same person opening it again gets the
// link), ErrInviteExpired.
func (s *Service) Accept(ctx context.Context, kol core.UserID, token string) (Link, error) {
	now := s.clock.Now()
	return s.store.AcceptInvite(ctx, token, kol, now, func(inv Invite, usedBySomeoneElse bool) error {
		switch {
		case usedBySomeoneElse:
			return ErrInviteUsed
		case !now.Before(inv.Expires):
			return ErrInviteExpired
		}
		return nil
	})
}

// LowerCommission lowers a KOL's rate for the sessions scheduled from now on;
// the actor must be the shop's owner. The KOL is told (JobRateLowered). ErrCommissionRaise: a rate is raised only
// by a new invitation the KOL accepts.
func (s *Service) LowerCommission(ctx context.Context, actor core.UserID, id core.ShopID, kol core.UserID, c Commission) (Link, error) {
	if _, err := shop.Require(ctx, s.store, id, actor, shop.RoleOwner); err != nil {
		return Link{}, err
	}
	link, err := s.store.Link(ctx, id, kol)
	if err != nil {
		return Link{}, err
	}
	if c < 0 || c > MaxCommission {
		return Link{}, ErrCommission
	}
	if c >= link.Commission {
		return Link{}, ErrCommissionRaise
	}
	now := s.clock.Now()
	job := core.Job{Kind: JobRateLowered, Key: fmt.Sprintf("%s:%d:%d:%d", JobRateLowered, id, kol, now.UnixMicro()),
		Payload: mustJSON(RateJob{Shop: id, KOL: kol, From: link.Commission, To: c, At: now.UnixMicro()})}
	if err := s.store.SetCommission(ctx, id, kol, c, now, job); err != nil {
		return Link{}, err
	}
	link.Commission = c
	return link, nil
}

// ConnectChannel records a channel the bot was made an administrator of by kol,
// who the caller checked is an administrator of it too. ErrChannelNotYours when
// another KOL connected it; ErrCannotPost when the bot may not post there.
func (s *Service) ConnectChannel(ctx context.Context, kol core.UserID, ch Channel) (Channel, error) {
	if old, err := s.store.Channel(ctx, ch.Chat); err == nil && old.KOL != kol {
		return Channel{}, ErrChannelNotYours
	} else if err != nil && core.ErrorCode(err) != core.ENOTFOUND {
		return Channel{}, err
	}
	ch.KOL = kol
	if err := s.store.SaveChannel(ctx, ch, s.clock.Now()); err != nil {
		return Channel{}, err
	}
	if !ch.CanPost {
		return ch, ErrCannotPost
	}
	return ch, nil
}

// ChannelRights records what Telegram now says the bot may do in a connected
// channel (a my_chat_member update): losing the right to post pauses its lots.
// It returns the channel, and ErrChannelNotFound for one never connected.
func (s *Service) ChannelRights(ctx context.Context, chat int64, canPost bool) (Channel, error) {
	ch, err := s.store.Channel(ctx, chat)
	if err != nil {
		return Channel{}, err
	}
	ch.CanPost = canPost
	return ch, s.store.SaveChannel(ctx, ch, s.clock.Now())
}

// Schedule records a session of kol for a shop they work with, in a channel
// they connected, at the link's commission.
func (s *Service) Schedule(ctx context.Context, kol core.UserID, sess Session) (Session, error) {
	link, err := s.store.Link(ctx, sess.Shop, kol)
	if err != nil {
		return Session{}, err
	}
	ch, err := s.store.Channel(ctx, sess.Channel)
	if err != nil {
		return Session{}, err
	}
	if ch.KOL != kol {
		return Session{}, ErrChannelNotYours
	}
	if sess.Title, err = checkTitle(sess.Title); err != nil {
		return Session{}, err
	}
	if sess.StreamURL, err = checkStream(sess.StreamURL); err != nil {
		return Session{}, err
	}
	now := s.clock.Now()
	if !sess.StartsAt.After(now) {
		return Session{}, ErrStartsInPast
	}
	sess.KOL, sess.Status, sess.Commission = kol, SessionScheduled, link.Commission
	if len(sess.Reminders) == 0 {
		sess.Reminders = DefaultReminders
	}
	return s.store.CreateSession(ctx, sess, now, func(made Session) []core.Job {
		return sessionJobs(made, now)
	})
}

// sessionJobs are the jobs of a session scheduled at now: its announcement, and
// its reminders still to come.
func sessionJobs(s Session, now time.Time) []core.Job {
	jobs := []core.Job{{Kind: JobAnnounce, Key: fmt.Sprintf("%s:%d", JobAnnounce, s.ID), Payload: mustJSON(SessionJob{Session: s.ID})}}
	return append(jobs, remindJobs(s, s.Reminders, now)...)
}

// remindJobs are the jobs of a session's reminders before its start, those
// still to come at now.
func remindJobs(s Session, reminders []time.Duration, now time.Time) []core.Job {
	var jobs []core.Job
	for _, before := range reminders {
		at := s.StartsAt.Add(-before)
		if !at.After(now) {
			continue
		}
		jobs = append(jobs, core.Job{
			Kind:    JobRemind,
			Key:     fmt.Sprintf("%s:%d:%d", JobRemind, s.ID, int64(before/time.Second)),
			RunAt:   maxTime(at.Add(-RemindLead), now),
			Payload: mustJSON(RemindJob{Session: s.ID, Before: int64(before / time.Second)}),
		})
	}
	return jobs
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// RSVP records that user asks to be reminded of a session, which must not be
// over; asking again changes nothing. ErrSessionOver.
func (s *Service) RSVP(ctx context.Context, user core.UserID, id SessionID) (Session, error) {
	sess, _, err := s.store.Session(ctx, id)
	if err != nil {
		return Session{}, err
	}
	if sess.Status == SessionEnded || sess.Status == SessionCancelled {
		return sess, ErrSessionOver
	}
	if _, err := s.store.SetRSVP(ctx, id, user, true, s.clock.Now()); err != nil {
		return Session{}, err
	}
	return sess, nil
}

// CancelRSVP stops reminding user of a session; cancelling again changes nothing.
func (s *Service) CancelRSVP(ctx context.Context, user core.UserID, id SessionID) (Session, error) {
	sess, _, err := s.store.Session(ctx, id)
	if err != nil {
		return Session{}, err
	}
	_, err = s.store.SetRSVP(ctx, id, user, false, s.clock.Now())
	return sess, err
}

// RSVPs returns up to limit users reminded of a session, by id above after.
func (s *Service) RSVPs(ctx context.Context, id SessionID, after core.UserID, limit int) ([]core.UserID, error) {
	return s.store.RSVPs(ctx, id, after, limit)
}

// CountRSVPs returns how many ask to be reminded of a session.
func (s *Service) CountRSVPs(ctx context.Context, id SessionID) (int, error) {
	return s.store.CountRSVPs(ctx, id)
}

// SetAnnouncement records the session's post in its channel.
func (s *Service) SetAnnouncement(ctx context.Context, id SessionID, messageID int64) error {
	return s.store.SetAnnouncement(ctx, id, messageID)
}

// Allocate gives a session units of a variant of its shop at a drop price with
// a per-buyer limit, held out of the shop's stock; the actor must be the shop's
// staff. ErrOverAllocation when the stock is not there.
func (s *Service) Allocate(ctx context.Context, actor core.UserID, a Allocation) error {
	sess, _, err := s.store.Session(ctx, a.Session)
	if err != nil {
		return err
	}
	if _, err := shop.Require(ctx, s.store, sess.Shop, actor, shop.RoleManager); err != nil {
		return err
	}
	if sess.Status == SessionEnded || sess.Status == SessionCancelled {
		return ErrSessionState
	}
	if err := checkAllocation(a, sess.Currency); err != nil {
		return err
	}
	return s.store.Allocate(ctx, a, actor, s.clock.Now())
}

// Open opens a scheduled session: by its KOL from the bot, or by itself when
// the channel's video chat starts (kol 0). Opening a live session again is not
// an error.
func (s *Service) Open(ctx context.Context, kol core.UserID, id SessionID) (Session, error) {
	now := s.clock.Now()
	return s.store.UpdateSession(ctx, id, func(sess *Session) ([]core.Job, error) {
		if kol != 0 && sess.KOL != kol {
			return nil, ErrNotKOL
		}
		switch sess.Status {
		case SessionLive:
			return nil, nil
		case SessionScheduled:
			sess.Status, sess.OpenedAt = SessionLive, now
			return nil, nil
		}
		return nil, ErrSessionState
	})
}

// ReminderChoices are the reminders a KOL may pick for a session, before its
// start.
var ReminderChoices = []time.Duration{24 * time.Hour, 3 * time.Hour, time.Hour, 15 * time.Minute, 0}

// ToggleReminder turns one of a scheduled session's reminders (one of
// ReminderChoices) on or off. A reminder turned on gets its job (the
// reminder's task skips one turned off again: it reads the session); one whose
// time has passed cannot be turned on: ErrReminderPast.
func (s *Service) ToggleReminder(ctx context.Context, kol core.UserID, id SessionID, before time.Duration) (Session, error) {
	if !slices.Contains(ReminderChoices, before) {
		return Session{}, ErrReminder
	}
	now := s.clock.Now()
	return s.store.UpdateSession(ctx, id, func(sess *Session) ([]core.Job, error) {
		if sess.KOL != kol {
			return nil, ErrNotKOL
		}
		if sess.Status != SessionScheduled {
			return nil, ErrSessionState
		}
		if i := slices.Index(sess.Reminders, before); i >= 0 {
			sess.Reminders = slices.Delete(slices.Clone(sess.Reminders), i, i+1)
			return nil, nil
		}
		if !sess.StartsAt.Add(-before).After(now) {
			return nil, ErrReminderPast
		}
		sess.Reminders = append(slices.Clone(sess.Reminders), before)
		slices.SortFunc(sess.Reminders, func(a, b time.Duration) int { return cmp.Compare(b, a) })
		return remindJobs(*sess, []time.Duration{before}, now), nil
	})
}

// Drop posts a lot: units of an allocated variant at the drop price until the
// drop's end; the actor must be the session's KOL.
func (s *Service) Drop(ctx context.Context, kol core.UserID, d Drop) (Lot, error) {
	lots, err := s.DropVariants(ctx, kol, d, []core.VariantID{d.Variant})
	if err != nil {
		return Lot{}, err
	}
	return lots[0], nil
}

// maxGroup bounds the variants dropped in one post: a button each, and
// Telegram's keyboards are for thumbs.
const maxGroup = 12

// DropVariants posts variants of one product together, a lot each under one
// post with a Buy button per variant (sizes, colours): each lot takes what is
// left of its allocation at its own drop price and limit, for d's duration and
// mode (d.Variant, Quantity, Price and PerBuyer are not read). The actor must
// be the session's KOL. ErrNotAllocated, ErrAllocation for no variants or more
// than twelve.
func (s *Service) DropVariants(ctx context.Context, kol core.UserID, d Drop, vs []core.VariantID) ([]Lot, error) {
	if len(vs) == 0 || len(vs) > maxGroup {
		return nil, ErrAllocation
	}
	now := s.clock.Now()
	return s.store.DropLots(ctx, d.Session, vs, func(sess Session, a Allocation) (Lot, error) {
		if sess.KOL != kol {
			return Lot{}, ErrNotKOL
		}
		one := d
		if len(vs) > 1 {
			one.Quantity, one.Price, one.PerBuyer = 0, core.Money{}, 0
		}
		return PlanLot(sess, a, one, s.hold, now)
	}, now)
}

// GroupLots returns the lots of a lot's post: its group's, the first first.
func (s *Service) GroupLots(ctx context.Context, id LotID) ([]Lot, error) {
	return s.store.GroupLots(ctx, id)
}

// JoinWaitlist puts user in the waiting list of an open lot, and returns their
// place in it (0: a unit from it is theirs already). A unit that comes back
// while the lot runs goes to the first in it who holds fewer than the per-buyer
// limit: a reservation of their own, and its invoice. ErrLotState for a lot
// over.
func (s *Service) JoinWaitlist(ctx context.Context, user core.UserID, id LotID) (int, Lot, error) {
	l, err := s.store.Lot(ctx, id)
	if err != nil {
		return 0, Lot{}, err
	}
	now := s.clock.Now()
	if l.Over(now) {
		return 0, l, ErrLotState
	}
	n, err := s.store.JoinWaitlist(ctx, id, user, now)
	return n, l, err
}

// LeaveWaitlist takes user out of a lot's waiting list.
func (s *Service) LeaveWaitlist(ctx context.Context, user core.UserID, id LotID) error {
	return s.store.LeaveWaitlist(ctx, id, user, s.clock.Now())
}

// Draw draws a lot's units among its draw's entrants once its window closed
// (JobDraw): the winners get reservations and invoices, the others the waiting
// list. false when the window is still open (the job comes back then); drawing
// again does nothing.
func (s *Service) Draw(ctx context.Context, id LotID) (bool, error) {
	return s.store.DrawLot(ctx, id, s.clock.Now(), func(entrants []core.UserID, units int) ([]core.UserID, []core.UserID) {
		var seed [32]byte
		rand.Read(seed[:])
		r := mrand.New(mrand.NewChaCha8(seed))
		return DrawWinners(entrants, units, r.Shuffle)
	})
}

// EndLot ends an open lot of kol's session now, before its time: it takes no
// more taps, and its post says it ended. Ending an ended lot is not an error.
func (s *Service) EndLot(ctx context.Context, kol core.UserID, id LotID) (Lot, error) {
	now := s.clock.Now()
	return s.store.UpdateLot(ctx, id, func(l *Lot, sess Session) error {
		if sess.KOL != kol {
			return ErrNotKOL
		}
		if l.Over(now) {
			return nil
		}
		l.Status, l.EndsAt = LotEnded, now
		return nil
	})
}

// ExtendLot gives an open lot of kol's session more time, once.
// ErrLotState for a lot over or extended already.
func (s *Service) ExtendLot(ctx context.Context, kol core.UserID, id LotID, by time.Duration) (Lot, error) {
	now := s.clock.Now()
	return s.store.UpdateLot(ctx, id, func(l *Lot, sess Session) error {
		switch {
		case sess.KOL != kol:
			return ErrNotKOL
		case l.Over(now) || l.Extended:
			return ErrLotState
		case by < MinLotDuration || l.EndsAt.Add(by).Sub(l.StartsAt) > MaxLotDuration:
			return ErrLotDuration
		}
		l.EndsAt, l.Extended = l.EndsAt.Add(by), true
		return nil
	})
}

// Tap answers a batch of taps on one lot (see Gate, which makes the batches):
// each claims a unit or is told why not (PlanTaps).
func (s *Service) Tap(ctx context.Context, id LotID, taps []Tap) ([]TapResult, error) {
	now := s.clock.Now()
	plan, err := s.store.ClaimTaps(ctx, id, taps, func(l Lot, st Standing) TapPlan {
		return PlanTaps(l, st, taps, now)
	})
	if err != nil {
		return nil, fmt.Errorf("taps on lot %d: %w", id, err)
	}
	return plan.Results, nil
}

// Release gives a claim's unit back to its lot once its hold has ended unpaid;
// false when there was nothing to release (paid, released already, or early).
func (s *Service) Release(ctx context.Context, id LotID, tap string) (bool, error) {
	return s.store.ReleaseClaim(ctx, id, tap, s.clock.Now())
}

// OrderClaim makes the order of a held claim, for its buyer to pay: one unit
// at the lot's price, awaiting payment until the claim's hold ends (see
// order.Held). The same claim always makes the same order (its checkout key);
// ErrClaimReleased when the claim was released, ErrClaimNotFound.
func (s *Service) OrderClaim(ctx context.Context, id LotID, tap string) (order.Order, error) {
	c, err := s.store.Claim(ctx, id, tap)
	if err != nil {
		return order.Order{}, err
	}
	if c.Status == ClaimReleased {
		return order.Order{}, ErrClaimReleased
	}
	l, err := s.store.Lot(ctx, id)
	if err != nil {
		return order.Order{}, err
	}
	sess, _, err := s.store.Session(ctx, l.Session)
	if err != nil {
		return order.Order{}, err
	}
	if sess.Status == SessionCancelled && c.Order == 0 {
		// The sale was called off before the claim became an order: no order.
		if _, err := s.store.CallOffClaim(ctx, id, tap, s.clock.Now()); err != nil {
			return order.Order{}, err
		}
		return order.Order{}, ErrClaimReleased
	}
	o, err := s.orders.Checkout(ctx, order.CheckoutRequest{
		Key:     fmt.Sprintf("lot:%d:%s", id, tap),
		BuyerID: c.Buyer, ShopID: sess.Shop,
		Items:    []order.Item{{VariantID: l.Variant, Quantity: 1}},
		Delivery: order.DeliveryShipping, // a Stars shop delivers nothing: the order says so
		Held:     &order.Held{Lot: id, Price: l.Price, Until: c.HeldUntil},
	})
	if err != nil {
		return order.Order{}, fmt.Errorf("order of claim %s on lot %d: %w", tap, id, err)
	}
	recorded, err := s.store.SetClaimOrder(ctx, id, tap, o.ID)
	if err != nil {
		return order.Order{}, err
	}
	// The session read again after the order was made: cancelled since, the
	// order is called off here; cancelled later, its call-off (JobCallOff,
	// written with the cancel) finds the order, made before. A claim released
	// meanwhile (the same claim called off by a run of this that saw the
	// cancel) leaves the order without its unit: called off too.
	if sess, _, err = s.store.Session(ctx, l.Session); err != nil {
		return order.Order{}, err
	}
	if !recorded || sess.Status == SessionCancelled {
		reason := CallOffReason
		if sess.Status != SessionCancelled {
			reason = ClaimEndedReason
		}
		if _, err := s.orders.CallOff(ctx, o.ID, reason); err != nil && !errors.Is(err, order.ErrTransition) {
			return order.Order{}, err
		}
		return order.Order{}, ErrClaimReleased
	}
	return o, nil
}

// ReleaseOrder gives the unit of a lot's order back to the lot once the order
// ended unpaid (order.JobHeldEnded); false when there was nothing to release
// (released already).
func (s *Service) ReleaseOrder(ctx context.Context, lot LotID, id core.OrderID) (bool, error) {
	return s.store.ReleaseOrder(ctx, lot, id, s.clock.Now())
}

// BuyerClaims returns a buyer's claims on a lot, oldest first.
func (s *Service) BuyerClaims(ctx context.Context, id LotID, buyer core.UserID) ([]Claim, error) {
	return s.store.BuyerClaims(ctx, id, buyer)
}

// AutoOpenWindow is how far from its start a session opens by itself when its
// channel's video chat starts.
const AutoOpenWindow = 2 * time.Hour

// OpenByChannel opens the session scheduled in a channel nearest to now (within
// AutoOpenWindow of its start) when the channel's video chat starts; ok is false
// when there is none.
func (s *Service) OpenByChannel(ctx context.Context, chat int64) (sess Session, ok bool, err error) {
	now := s.clock.Now()
	found, err := s.store.ChannelSessions(ctx, chat, SessionScheduled, now.Add(-AutoOpenWindow), now.Add(AutoOpenWindow))
	if err != nil || len(found) == 0 {
		return Session{}, false, err
	}
	nearest := found[0]
	for _, f := range found[1:] {
		if f.StartsAt.Sub(now).Abs() < nearest.StartsAt.Sub(now).Abs() {
			nearest = f
		}
	}
	sess, err = s.Open(ctx, 0, nearest.ID)
	return sess, err == nil, err
}

// End ends a live or scheduled session of kol. Its lots end, and what it holds
// unsold goes back to the shop's stock (Store.EndSession). Ending an ended
// session is not an error.
func (s *Service) End(ctx context.Context, kol core.UserID, id SessionID) (Session, error) {
	now := s.clock.Now()
	return s.store.EndSession(ctx, id, kol, func(sess *Session) error {
		if sess.KOL != kol {
			return ErrNotKOL
		}
		switch sess.Status {
		case SessionEnded, SessionCancelled:
			return nil
		}
		sess.Status, sess.EndedAt = SessionEnded, now
		return nil
	})
}

// Cancel calls off a scheduled or live session of kol: its lots end, what it
// was allocated and holds unsold goes back to the shop's stock, and the
// followers who asked to be reminded are told (JobCancelled). A live session's
// orders are called off too (JobCallOff): reservations released, payments
// refunded. An ended session is past cancelling: ErrSessionState. Cancelling a
// cancelled session is not an error.
func (s *Service) Cancel(ctx context.Context, kol core.UserID, id SessionID) (Session, error) {
	now := s.clock.Now()
	return s.store.EndSession(ctx, id, kol, func(sess *Session) error {
		if sess.KOL != kol {
			return ErrNotKOL
		}
		switch sess.Status {
		case SessionCancelled:
			return nil
		case SessionScheduled, SessionLive:
			sess.Status, sess.EndedAt = SessionCancelled, now
			return nil
		}
		return ErrSessionState
	})
}

// callOffPage is how many orders CallOff reads at a time.
const callOffPage = 100

// CallOff calls off the orders of a cancelled session's lots (JobCallOff):
// each unpaid one is cancelled, its unit going back to the shop, and each paid
// one not yet shipped is cancelled and refunded; the buyers are told. Orders
// called off already are skipped, so it can run again; a session not cancelled
// is left alone. It returns how many orders it called off.
func (s *Service) CallOff(ctx context.Context, id SessionID) (int, error) {
	sess, _, err := s.store.Session(ctx, id)
	if err != nil {
		return 0, err
	}
	if sess.Status != SessionCancelled {
		return 0, nil
	}
	var after core.OrderID
	n := 0
	for {
		ids, err := s.store.SessionOrders(ctx, id, after, callOffPage)
		if err != nil {
			return n, err
		}
		for _, o := range ids {
			_, err := s.orders.CallOff(ctx, o, CallOffReason)
			switch {
			case err == nil:
				n++
			case !errors.Is(err, order.ErrTransition):
				return n, err
			}
		}
		if len(ids) < callOffPage {
			return n, nil
		}
		after = ids[len(ids)-1]
	}
}

// Reasons the system cancels a lot's order with (order.Order.CancelReason);
// the bot tells them in the buyer's language.
const (
	// CallOffReason: the order's session was cancelled.
	CallOffReason = "the live session was cancelled"
	// ClaimEndedReason: the claim's hold ran out before its order was made.
	ClaimEndedReason = "the drop's reservation ended"
)

// Channel returns a connected channel; ErrChannelNotFound.
func (s *Service) Channel(ctx context.Context, chat int64) (Channel, error) {
	return s.store.Channel(ctx, chat)
}

// Channels returns the channels a KOL connected.
func (s *Service) Channels(ctx context.Context, kol core.UserID) ([]Channel, error) {
	return s.store.Channels(ctx, kol)
}

// Links returns the shops a KOL works with.
func (s *Service) Links(ctx context.Context, kol core.UserID) ([]Link, error) {
	return s.store.Links(ctx, kol)
}

// ShopKOLs returns the KOLs working with a shop and its latest sessions, for
// its staff.
func (s *Service) ShopKOLs(ctx context.Context, actor core.UserID, id core.ShopID, limit int) ([]Link, []Session, error) {
	if _, err := shop.Require(ctx, s.store, id, actor, shop.RoleManager); err != nil {
		return nil, nil, err
	}
	links, err := s.store.ShopLinks(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	sessions, err := s.store.ShopSessions(ctx, id, limit)
	return links, sessions, err
}

// Sessions returns a KOL's latest sessions, the latest start first.
func (s *Service) Sessions(ctx context.Context, kol core.UserID, limit int) ([]Session, error) {
	return s.store.KOLSessions(ctx, kol, limit)
}

// Lots returns the lots of a session, oldest first.
func (s *Service) Lots(ctx context.Context, id SessionID) ([]Lot, error) {
	return s.store.SessionLots(ctx, id)
}

// LiveInChannel returns the session live in a channel, if any.
func (s *Service) LiveInChannel(ctx context.Context, chat int64) (Session, bool, error) {
	found, err := s.store.ChannelSessions(ctx, chat, SessionLive, time.Time{}, s.clock.Now().Add(100*365*24*time.Hour))
	if err != nil || len(found) == 0 {
		return Session{}, false, err
	}
	return found[len(found)-1], true, nil
}

// Claim returns the claim of a tap; ErrClaimNotFound.
func (s *Service) Claim(ctx context.Context, id LotID, tap string) (Claim, error) {
	return s.store.Claim(ctx, id, tap)
}

// Lot returns a lot.
func (s *Service) Lot(ctx context.Context, id LotID) (Lot, error) { return s.store.Lot(ctx, id) }

// Session returns a session and its allocations.
func (s *Service) Session(ctx context.Context, id SessionID) (Session, []Allocation, error) {
	return s.store.Session(ctx, id)
}

// SetLotPost records the message of a lot's post in its channel; a post
// recorded already stays (the first one is the one edited).
func (s *Service) SetLotPost(ctx context.Context, id LotID, messageID int64) error {
	return s.store.SetLotPost(ctx, id, messageID)
}

// Now is the service's clock: what a lot's post says is decided at this time.
func (s *Service) Now() time.Time { return s.clock.Now() }
