// Package drops holds the tasks of live drops: a claim becomes an order whose
// invoice goes to the buyer (live.JobClaim); a lot's post in its channel is
// made, then kept up to date (live.JobLotPost); an order of a lot that ended
// unpaid gives its unit back (order.JobHeldEnded); a session is announced,
// reminded of, reported on, cancelled and called off.
package drops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/live"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/workers"
)

// Live is what the tasks of live drops need of live.Service.
type Live interface {
	// OrderClaim makes the order of a held claim (the same one every time);
	// live.ErrClaimReleased.
	OrderClaim(ctx context.Context, lot core.LotID, tap string) (order.Order, error)
	// ReleaseOrder gives the unit of an order that ended unpaid back to its lot.
	ReleaseOrder(ctx context.Context, lot core.LotID, id core.OrderID) (bool, error)
	// Lot returns a lot; live.ErrLotNotFound.
	Lot(ctx context.Context, id core.LotID) (live.Lot, error)
	// SetLotPost records the message of a lot's post.
	SetLotPost(ctx context.Context, id core.LotID, messageID int64) error
	// Session returns a session and its allocations; live.ErrSessionNotFound.
	Session(ctx context.Context, id live.SessionID) (live.Session, []live.Allocation, error)
	// RSVPs returns up to limit users reminded of a session, by id above after.
	RSVPs(ctx context.Context, id live.SessionID, after core.UserID, limit int) ([]core.UserID, error)
	// SetAnnouncement records the session's post in its channel.
	SetAnnouncement(ctx context.Context, id live.SessionID, messageID int64) error
	// Draw draws a lot's units among its draw's entrants; false while the
	// draw's window is open.
	Draw(ctx context.Context, id core.LotID) (bool, error)
	// Report returns what a session did; MarkReported records that its report
	// went (false: it had).
	Report(ctx context.Context, id live.SessionID) (live.Report, error)
	MarkReported(ctx context.Context, id live.SessionID) (bool, error)
	// Now is the live drops' clock.
	Now() time.Time
	// GroupLots returns the lots of a lot's post, its own first.
	GroupLots(ctx context.Context, id core.LotID) ([]live.Lot, error)
	// CallOff calls off the orders of a cancelled session (refunding the paid
	// ones); orders called off already are skipped.
	CallOff(ctx context.Context, id live.SessionID) (int, error)
}

// Bot is what the tasks of live drops need of the bot.
type Bot interface {
	// SendClaimInvoice sends the buyer of a claim's order the invoice to pay
	// it, unless one was sent (order.Order.InvoiceMessageID), and records it. A
	// call of its own, not a message of the sender: the invoice's message is
	// recorded, so that opening the bot from the tap's answer points at it
	// instead of sending another. A buyer who has not started the bot cannot be
	// written to: that is no error (they get it when they open the bot).
	SendClaimInvoice(ctx context.Context, o order.Order) error
	// PostLot posts a lot in its session's channel and returns the message. It
	// is a call of its own, not a message of the sender: the post's id is what
	// every later edit names.
	PostLot(ctx context.Context, l live.Lot) (int64, error)
	// LotPostEdit composes the edit of a lot's post as the lot is now (the units
	// left, sold out, ended), coalesced per lot (Message.Coalesce).
	LotPostEdit(ctx context.Context, l live.Lot) (core.Message, error)
	// Announce posts a session's announcement in its channel, with the button
	// that asks to be reminded, and returns the message (a call of its own).
	Announce(ctx context.Context, s live.Session) (int64, error)
	// ReminderMessage composes the reminder of a session to a follower who
	// asked, before its start (0: it starts now).
	ReminderMessage(ctx context.Context, s live.Session, to core.UserID, before time.Duration) (core.Message, error)
	// CancelledMessage composes what tells a follower who asked to be reminded
	// that the session was cancelled.
	CancelledMessage(ctx context.Context, s live.Session, to core.UserID) (core.Message, error)
	// RateLoweredMessage composes what tells a KOL that a shop lowered their
	// commission.
	RateLoweredMessage(ctx context.Context, j live.RateJob) (core.Message, error)
	// SendReport sends a session's report (its figures and a chart) to its KOL
	// and the shop's owners: calls of its own, a photo uploaded.
	SendReport(ctx context.Context, r live.Report) error
}

// Sender is what the tasks need of the workers' sender (*workers.Workers).
type Sender interface {
	Send(ctx context.Context, msgs ...core.Message) error
	SendIn(ctx context.Context, m core.Message, delay time.Duration) error
}

// Deps are what the tasks of live drops need; nil fields make their tasks
// fail (and retry) until wired.
type Deps struct {
	Live   Live
	Bot    Bot
	Sender Sender
	// Log is where the tasks tell of what they did; default discard.
	Log *slog.Logger
}

// Tasks are the task handlers of live drops.
type Tasks struct {
	d Deps
}

// New returns the task handlers of live drops.
func New(d Deps) *Tasks {
	if d.Log == nil {
		d.Log = slog.New(slog.DiscardHandler)
	}
	return &Tasks{d: d}
}

// Register adds the task handlers of live drops to mux.
func (t *Tasks) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(live.JobClaim, t.HandleLiveClaim)
	mux.HandleFunc(live.JobLotPost, t.HandleLotPost)
	mux.HandleFunc(order.JobHeldEnded, t.HandleHeldEnded)
	mux.HandleFunc(live.JobAnnounce, t.HandleAnnounce)
	mux.HandleFunc(live.JobRemind, t.HandleLiveRemind)
	mux.HandleFunc(live.JobReport, t.HandleLiveReport)
	mux.HandleFunc(live.JobDraw, t.HandleDraw)
	mux.HandleFunc(live.JobCancelled, t.HandleCancelled)
	mux.HandleFunc(live.JobCallOff, t.HandleCallOff)
	mux.HandleFunc(live.JobRateLowered, t.HandleRateLowered)
}

// drawRecheck is when a draw task that ran before its window closed (asynq
// keeps whole seconds) comes back.
const drawRecheck = time.Second

// HandleDraw draws a lot's units among its entrants once its window closed
// (live.JobDraw); early, it comes back a second later. The claims' job sends
// the winners their invoices.
func (t *Tasks) HandleDraw(ctx context.Context, task *asynq.Task) error {
	p, err := payload(t, task, func(p live.LotPostJob) bool { return p.Lot != 0 })
	if err != nil {
		return err
	}
	drawn, err := t.d.Live.Draw(ctx, p.Lot)
	if err != nil {
		return workers.Classify(err)
	}
	if !drawn {
		return workers.RetryIn(drawRecheck, fmt.Errorf("the draw of lot %d is not due", p.Lot))
	}
	return nil
}

// HandleCancelled tells a cancelled session's followers who asked to be
// reminded (live.JobCancelled); each message once, by its key.
func (t *Tasks) HandleCancelled(ctx context.Context, task *asynq.Task) error {
	p, err := payload(t, task, func(p live.SessionJob) bool { return p.Session != 0 })
	if err != nil {
		return err
	}
	s, _, err := t.d.Live.Session(ctx, p.Session)
	if err != nil {
		return workers.Classify(err)
	}
	if s.Status != live.SessionCancelled {
		return nil
	}
	return t.eachFollower(ctx, s.ID, func(u core.UserID) error {
		m, err := t.d.Bot.CancelledMessage(ctx, s, u)
		if err != nil {
			return workers.Classify(err)
		}
		return workers.Classify(t.d.Sender.Send(ctx, m))
	})
}

// HandleCallOff calls off the orders of a session cancelled while live
// (live.JobCallOff): the buyers are told, and paid orders refunded, through the
// order's own jobs. Run again, it skips what it did.
func (t *Tasks) HandleCallOff(ctx context.Context, task *asynq.Task) error {
	p, err := payload(t, task, func(p live.SessionJob) bool { return p.Session != 0 })
	if err != nil {
		return err
	}
	n, err := t.d.Live.CallOff(ctx, p.Session)
	if err != nil {
		return workers.Classify(err)
	}
	if n > 0 {
		t.d.Log.Info("live session called off", "session", p.Session, "orders", n)
	}
	return nil
}

// HandleRateLowered tells a KOL that a shop lowered their commission
// (live.JobRateLowered); the message's key keeps it to one.
func (t *Tasks) HandleRateLowered(ctx context.Context, task *asynq.Task) error {
	p, err := payload(t, task, func(p live.RateJob) bool { return p.KOL != 0 && p.Shop != 0 })
	if err != nil {
		return err
	}
	m, err := t.d.Bot.RateLoweredMessage(ctx, p)
	if err != nil {
		return workers.Classify(err)
	}
	return workers.Classify(t.d.Sender.Send(ctx, m))
}

// eachFollower calls fn for each follower who asked to be reminded of a
// session, reading them a page at a time.
func (t *Tasks) eachFollower(ctx context.Context, id live.SessionID, fn func(core.UserID) error) error {
	var after core.UserID
	for {
		users, err := t.d.Live.RSVPs(ctx, id, after, remindPage)
		if err != nil {
			return workers.Classify(err)
		}
		for _, u := range users {
			if err := fn(u); err != nil {
				return err
			}
		}
		if len(users) < remindPage {
			return nil
		}
		after = users[len(users)-1]
	}
}

// HandleLiveReport sends a session's report once it ended (live.JobReport), and
// records that it went: a task run again after that sends nothing. (One that
// dies between the two sends it again.)
func (t *Tasks) HandleLiveReport(ctx context.Context, task *asynq.Task) error {
	p, err := payload(t, task, func(p live.SessionJob) bool { return p.Session != 0 })
	if err != nil {
		return err
	}
	r, err := t.d.Live.Report(ctx, p.Session)
	if err != nil {
		return workers.Classify(err)
	}
	if r.Session.Status != live.SessionEnded || r.Session.Reported {
		return nil
	}
	if err := t.d.Bot.SendReport(ctx, r); err != nil {
		return workers.Classify(fmt.Errorf("report of session %d: %w", p.Session, err))
	}
	_, err = t.d.Live.MarkReported(ctx, p.Session)
	return workers.Classify(err)
}

// HandleAnnounce posts a session's announcement in its channel, once
// (live.JobAnnounce); a session over by then is not announced.
func (t *Tasks) HandleAnnounce(ctx context.Context, task *asynq.Task) error {
	p, err := payload(t, task, func(p live.SessionJob) bool { return p.Session != 0 })
	if err != nil {
		return err
	}
	s, _, err := t.d.Live.Session(ctx, p.Session)
	if err != nil {
		return workers.Classify(err)
	}
	if s.Announcement != 0 || s.Status == live.SessionEnded || s.Status == live.SessionCancelled {
		return nil
	}
	id, err := t.d.Bot.Announce(ctx, s)
	if err != nil {
		return workers.Classify(fmt.Errorf("announce session %d: %w", s.ID, err))
	}
	return workers.Classify(t.d.Live.SetAnnouncement(ctx, s.ID, id))
}

// remindPage is how many followers' reminders one read of the RSVPs composes.
const remindPage = 500

// HandleLiveRemind reminds the followers who asked of a session (live.JobRemind).
// It runs RemindLead before the reminder is due and queues every follower's
// message in the sender, each due at the reminder's time (rounded up to a
// second: asynq keeps whole seconds, and a reminder never goes early). Run again,
// the messages' keys keep each to one. A session over, or moved so that this
// reminder is no longer one of it, is reminded of nothing.
func (t *Tasks) HandleLiveRemind(ctx context.Context, task *asynq.Task) error {
	p, err := payload(t, task, func(p live.RemindJob) bool { return p.Session != 0 && p.Before >= 0 })
	if err != nil {
		return err
	}
	s, _, err := t.d.Live.Session(ctx, p.Session)
	if err != nil {
		return workers.Classify(err)
	}
	before := time.Duration(p.Before) * time.Second
	if s.Status == live.SessionEnded || s.Status == live.SessionCancelled || !slices.Contains(s.Reminders, before) {
		return nil
	}
	due := workers.CeilSecond(s.StartsAt.Add(-before))
	return t.eachFollower(ctx, s.ID, func(u core.UserID) error {
		m, err := t.d.Bot.ReminderMessage(ctx, s, u, before)
		if err != nil {
			return workers.Classify(fmt.Errorf("remind %d of session %d: %w", u, s.ID, err))
		}
		return t.d.Sender.SendIn(ctx, m, time.Until(due))
	})
}

// payload reads a task's payload (workers.Payload) and checks the wiring.
func payload[T any](t *Tasks, task *asynq.Task, valid func(T) bool) (T, error) {
	p, err := workers.Payload(task, valid)
	if err != nil {
		return p, err
	}
	return p, t.liveWired()
}

func (t *Tasks) liveWired() error {
	if t.d.Live == nil || t.d.Bot == nil || t.d.Sender == nil {
		return errors.New("live drops are not wired")
	}
	return nil
}

// HandleLiveClaim makes the orders of a batch's claimed units and sends the
// buyers their invoices (live.JobClaim). Run again, it finds the orders made
// and the invoices recorded, and does the rest; a claim released meanwhile is
// skipped.
func (t *Tasks) HandleLiveClaim(ctx context.Context, task *asynq.Task) error {
	p, err := payload(t, task, func(p live.ClaimJob) bool { return p.Lot != 0 && len(p.Taps) != 0 })
	if err != nil {
		return err
	}
	for _, tap := range p.Taps {
		if err := t.orderClaim(ctx, p.Lot, tap); err != nil {
			return err
		}
	}
	return nil
}

// orderClaim makes the order of one claim and sends its invoice, once.
func (t *Tasks) orderClaim(ctx context.Context, lot core.LotID, tap string) error {
	o, err := t.d.Live.OrderClaim(ctx, lot, tap)
	if errors.Is(err, live.ErrClaimReleased) {
		return nil
	}
	if err != nil {
		return workers.Classify(err)
	}
	if o.Status != order.StatusAwaitingPayment || o.InvoiceMessageID != 0 {
		return nil // its invoice went when they opened the bot; or it is over
	}
	if err := t.d.Bot.SendClaimInvoice(ctx, o); err != nil {
		return workers.Classify(fmt.Errorf("claim %s of lot %d: %w", tap, lot, err))
	}
	return nil
}

// HandleLotPost posts a lot in its channel the first time, and then brings the
// post up to date (live.JobLotPost): the edits are coalesced, so a burst of
// claims makes a few edits within the channel's limit, the last one showing
// the lot as it is.
func (t *Tasks) HandleLotPost(ctx context.Context, task *asynq.Task) error {
	p, err := payload(t, task, func(p live.LotPostJob) bool { return p.Lot != 0 })
	if err != nil {
		return err
	}
	l, err := t.d.Live.Lot(ctx, p.Lot)
	if err == nil && l.Group != 0 {
		l, err = t.d.Live.Lot(ctx, l.Group) // the group's post shows this lot
	}
	if err != nil {
		return workers.Classify(err)
	}
	if l.Post == 0 {
		group, err := t.d.Live.GroupLots(ctx, l.ID)
		if err != nil {
			return workers.Classify(err)
		}
		now := t.d.Live.Now()
		if !slices.ContainsFunc(group, func(g live.Lot) bool { return !g.Over(now) }) {
			// Never posted while any of it ran (the workers were away, or it
			// was seeded over): a post now would only say it ended.
			return nil
		}
		id, err := t.d.Bot.PostLot(ctx, l)
		if err != nil {
			return workers.Classify(fmt.Errorf("post lot %d: %w", l.ID, err))
		}
		return workers.Classify(t.d.Live.SetLotPost(ctx, l.ID, id))
	}
	m, err := t.d.Bot.LotPostEdit(ctx, l)
	if err != nil {
		return workers.Classify(fmt.Errorf("edit the post of lot %d: %w", l.ID, err))
	}
	return workers.Classify(t.d.Sender.Send(ctx, m))
}

// HandleHeldEnded gives the unit of a lot's order that ended unpaid back to
// the lot (order.JobHeldEnded); done already is a success.
func (t *Tasks) HandleHeldEnded(ctx context.Context, task *asynq.Task) error {
	p, err := payload(t, task, func(p order.HeldEndedPayload) bool { return p.OrderID != 0 && p.Lot != 0 })
	if err != nil {
		return err
	}
	_, err = t.d.Live.ReleaseOrder(ctx, p.Lot, p.OrderID)
	return workers.Classify(err)
}
