package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/broadcast"
)

// Sellers' broadcasts. broadcast.JobStart (from the outbox) records the
// recipients and enqueues the first page task. A TypeBroadcastPage task sends
// its share of the broadcast itself, page by page: it reads the next PageSize
// recipients, has the bot compose the messages of those pending, finds in one
// Redis round trip those an earlier run sent (or handed to the sender's
// queue), asks the domain once which of the others are still to be sent (not
// cancelled, not opted out, reachable), and sends them from Senders goroutines
// through the sender's steps (a rate-limit slot at broadcast priority, the Bot
// API call, the sent key), recording the outcomes in batches. Only a message
// that must wait (a 429, a chat held longer than maxInlineWait, a network
// error or Telegram's 5xx) goes to the per-message sender queue, whose tracker
// asks before the send and records the outcome, as for any message. The sends
// stay as even as their slots (takeSlot, flights): Telegram answers bursts
// with 429s, after which every worker slows down for a minute.
//
// A task's share is fixed by position: the next TaskPages*PageSize recipients
// above its After, whatever their status (the recipients never change once
// recorded). Near the end of its share it enqueues the task of the next share,
// so that one starts while this one finishes and the sends go on without the
// gap of a task's pickup; two tasks never share a recipient, however often
// either is run again. A page run again (a retry, a crash) sends nobody twice:
// sent keys. Every ProgressEvery recipients (no more often than the seller's
// chat takes edits), and at the end, the seller's progress message is edited
// (coalesced: only the latest state is sent).

// Task types of broadcasts besides the jobs of core/broadcast.
const (
	// TypeBroadcastPage sends a share of a broadcast's messages, page by page;
	// payload broadcastPage, task id "broadcast:page:<id>:<after>".
	TypeBroadcastPage = "broadcast:page"
	// TypeBroadcastSweep finishes broadcasts whose last outcome was lost and
	// sends the final reports not sent yet. No payload.
	TypeBroadcastSweep = "broadcast:sweep"
)

// refBroadcast is the kind of the Ref of broadcast messages: "broadcast:<id>".
const refBroadcast = "broadcast"

// broadcastRoutes maps the job kinds of broadcasts to their queue (see routes).
var broadcastRoutes = map[string]route{
	broadcast.JobStart:    {queue: QueueDefault, retention: 24 * time.Hour},
	broadcast.JobProgress: {queue: QueueDefault, retention: 24 * time.Hour},
	TypeBroadcastPage:     {queue: QueueDefault, retention: 24 * time.Hour},
	TypeBroadcastSweep:    {queue: QueueDefault},
}

// Broadcasts is what the broadcast tasks need of broadcast.Service.
type Broadcasts interface {
	BroadcastForSystem(ctx context.Context, id broadcast.ID) (broadcast.Broadcast, error)
	Materialize(ctx context.Context, id broadcast.ID) (broadcast.Broadcast, error)
	Page(ctx context.Context, id broadcast.ID, after core.UserID, limit int) (broadcast.Page, error)
	RecipientAfter(ctx context.Context, id broadcast.ID, after core.UserID, n int) (core.UserID, bool, error)
	Sendable(ctx context.Context, id broadcast.ID, users []core.UserID) (bool, []core.UserID, error)
	ShouldSend(ctx context.Context, id broadcast.ID, user core.UserID) (bool, error)
	RecordOutcome(ctx context.Context, id broadcast.ID, user core.UserID, o broadcast.Outcome) (broadcast.Settled, bool, error)
	RecordOutcomes(ctx context.Context, id broadcast.ID, results []broadcast.Result) (broadcast.Batch, error)
	Finish(ctx context.Context, id broadcast.ID) (broadcast.Broadcast, bool, error)
	Unreported(ctx context.Context, limit int) ([]broadcast.Broadcast, error)
	MarkReported(ctx context.Context, id broadcast.ID) error
}

// BroadcastComposer composes the messages of broadcasts. Implemented by the bot.
type BroadcastComposer interface {
	// BroadcastMessages composes b's message to each recipient, in their
	// language: key "bc:<broadcast>:<user>", Ref "broadcast:<broadcast>",
	// priority core.PriorityBroadcast. Errors as in OrderMessages.
	BroadcastMessages(ctx context.Context, b broadcast.Broadcast, to []broadcast.Recipient) ([]core.Message, error)
	// BroadcastProgress composes what shows b's progress to the seller (an edit of
	// the progress message, coalesced), or its final report when it is over;
	// none when there is nothing to show. Errors as in OrderMessages.
	BroadcastProgress(ctx context.Context, b broadcast.Broadcast) ([]core.Message, error)
}

// BroadcastDeps are what the tasks of broadcasts need. Without Broadcasts and
// Composer the broadcast tasks fail (and retry) and nothing is tracked.
type BroadcastDeps struct {
	// Broadcasts is the broadcast service (broadcast.Service).
	Broadcasts Broadcasts
	// Composer composes the messages (the bot).
	Composer BroadcastComposer
	// PageSize is how many recipients a page task reads, composes and checks at
	// once. Default 500.
	PageSize int
	// TaskPages is how many pages' worth of recipients one page task sends
	// before the next task takes over. Default 20.
	TaskPages int
	// Senders is how many of a page task's messages wait for their slot, or
	// are being sent, at once. Default 64.
	Senders int
	// ProgressEvery is after how many recipients the progress message is
	// edited. Default 50.
	ProgressEvery int
	// SweepEvery is the period of the broadcast sweep. Default a minute.
	SweepEvery time.Duration
}

// Defaults of BroadcastDeps.
const (
	DefaultBroadcastPage       = 500
	DefaultBroadcastTaskPages  = 20
	DefaultBroadcastSenders    = 64
	DefaultBroadcastProgress   = 50
	DefaultBroadcastSweepEvery = time.Minute
)

// initBroadcasts keeps the deps of broadcasts and adds their periodic tasks (w.periodic).
func (w *Workers) initBroadcasts(d BroadcastDeps) {
	if d.PageSize <= 0 {
		d.PageSize = DefaultBroadcastPage
	}
	if d.TaskPages <= 0 {
		d.TaskPages = DefaultBroadcastTaskPages
	}
	if d.Senders <= 0 {
		d.Senders = DefaultBroadcastSenders
	}
	if d.ProgressEvery <= 0 {
		d.ProgressEvery = DefaultBroadcastProgress
	}
	if d.SweepEvery <= 0 {
		d.SweepEvery = DefaultBroadcastSweepEvery
	}
	w.broadcasts = d
	if d.Broadcasts == nil {
		return
	}
	w.Track(refBroadcast, broadcastTracker{w: w})
	w.periodic = append(w.periodic, periodicTask{kind: TypeBroadcastSweep, every: d.SweepEvery})
}

// registerBroadcasts adds the task handlers of broadcasts to mux.
func (w *Workers) registerBroadcasts(mux *asynq.ServeMux) {
	mux.HandleFunc(broadcast.JobStart, w.HandleBroadcastStart)
	mux.HandleFunc(broadcast.JobProgress, w.HandleBroadcastProgress)
	mux.HandleFunc(TypeBroadcastPage, w.HandleBroadcastPage)
	mux.HandleFunc(TypeBroadcastSweep, w.HandleBroadcastSweep)
}

// broadcastPage is the payload of TypeBroadcastPage: the task's share starts
// above the recipient After.
type broadcastPage struct {
	BroadcastID broadcast.ID `json:"broadcast_id"`
	After       core.UserID  `json:"after"`
}

// broadcastReady returns an error unless the broadcast deps are wired.
func (w *Workers) broadcastReady() error {
	if w.broadcasts.Broadcasts == nil || w.broadcasts.Composer == nil {
		return errors.New("no broadcast service or composer wired")
	}
	return nil
}

// HandleBroadcastStart records a broadcast's recipients, once, and enqueues its
// first page (broadcast.JobStart). A broadcast cancelled meanwhile is a success
// with nothing done; one whose audience turned out empty is reported at once.
func (w *Workers) HandleBroadcastStart(ctx context.Context, t *asynq.Task) error {
	var p broadcast.JobPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.BroadcastID == 0 {
		return badPayload(t.Type(), err)
	}
	if err := w.broadcastReady(); err != nil {
		return err
	}
	b, err := w.broadcasts.Broadcasts.Materialize(ctx, p.BroadcastID)
	if err != nil {
		return classify(err)
	}
	if b.Status != broadcast.StatusRunning {
		return w.reportBroadcast(ctx, b)
	}
	return w.enqueuePage(ctx, broadcastPage{BroadcastID: b.ID})
}

// enqueuePage enqueues the page task p under its deterministic id.
func (w *Workers) enqueuePage(ctx context.Context, p broadcastPage) error {
	payload, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("broadcast %d page: %w", p.BroadcastID, err)
	}
	rt := w.route(TypeBroadcastPage)
	_, err = w.queue.EnqueueContext(ctx, asynq.NewTask(TypeBroadcastPage, payload),
		asynq.Queue(rt.queue),
		asynq.TaskID(fmt.Sprintf("%s:%d:%d", TypeBroadcastPage, p.BroadcastID, p.After)),
		asynq.Retention(rt.retention),
	)
	if err != nil && !errors.Is(err, asynq.ErrTaskIDConflict) {
		return fmt.Errorf("enqueue broadcast %d page after %d: %w", p.BroadcastID, p.After, err)
	}
	return nil
}

// HandleBroadcastPage sends a share of a broadcast's messages (see the top of
// this file). A broadcast no longer running is a success with nothing done, as
// is a share whose broadcast is cancelled or finished midway.
func (w *Workers) HandleBroadcastPage(ctx context.Context, t *asynq.Task) error {
	var p broadcastPage
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.BroadcastID == 0 {
		return badPayload(t.Type(), err)
	}
	if err := w.broadcastReady(); err != nil {
		return err
	}
	if w.send.transport == nil || w.send.limiter == nil {
		return errors.New("sender: no transport or Redis wired")
	}
	b, err := w.broadcasts.Broadcasts.BroadcastForSystem(ctx, p.BroadcastID)
	if err != nil {
		return classify(err)
	}
	if b.Status != broadcast.StatusRunning {
		return nil
	}
	run, err := w.newPageRun(ctx, b, p.After)
	if err != nil {
		return classify(err)
	}
	return run.run(ctx)
}

// HandleBroadcastProgress shows a broadcast's progress, or its final report, to
// the seller again (broadcast.JobProgress): after a cancel.
func (w *Workers) HandleBroadcastProgress(ctx context.Context, t *asynq.Task) error {
	var p broadcast.JobPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.BroadcastID == 0 {
		return badPayload(t.Type(), err)
	}
	if err := w.broadcastReady(); err != nil {
		return err
	}
	b, err := w.broadcasts.Broadcasts.BroadcastForSystem(ctx, p.BroadcastID)
	if err != nil {
		return classify(err)
	}
	if b.Status == broadcast.StatusRunning {
		return classify(w.sendProgress(ctx, b))
	}
	return w.reportBroadcast(ctx, b)
}

// sweepBroadcastLimit bounds the reports one sweep sends.
const sweepBroadcastLimit = 100

// HandleBroadcastSweep finishes the broadcasts with nothing pending whose last
// outcome did not finish them, and sends every final report not sent yet
// (TypeBroadcastSweep).
func (w *Workers) HandleBroadcastSweep(ctx context.Context, t *asynq.Task) error {
	if err := w.broadcastReady(); err != nil {
		return err
	}
	list, err := w.broadcasts.Broadcasts.Unreported(ctx, sweepBroadcastLimit)
	if err != nil {
		return err
	}
	var errs []error
	for _, b := range list {
		if err := w.reportBroadcast(ctx, b); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// reportBroadcast sends the final report of a broadcast that is over and marks
// it reported.
func (w *Workers) reportBroadcast(ctx context.Context, b broadcast.Broadcast) error {
	if err := w.sendProgress(ctx, b); err != nil {
		return classify(err)
	}
	return classify(w.broadcasts.Broadcasts.MarkReported(ctx, b.ID))
}

// sendProgress has the bot compose b's progress (or report) and enqueues it.
func (w *Workers) sendProgress(ctx context.Context, b broadcast.Broadcast) error {
	msgs, err := w.broadcasts.Composer.BroadcastProgress(ctx, b)
	if err != nil {
		return fmt.Errorf("compose progress of broadcast %d: %w", b.ID, err)
	}
	if err := w.Send(ctx, msgs...); err != nil {
		return fmt.Errorf("progress of broadcast %d: %w", b.ID, err)
	}
	return nil
}

// broadcastTracker is the sender's tracker of broadcast messages.
type broadcastTracker struct{ w *Workers }

// broadcastRef reads the broadcast of a message's Ref, "broadcast:<id>".
func broadcastRef(m core.Message) (broadcast.ID, error) {
	_, id, _ := strings.Cut(m.Ref, ":")
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 || m.User == 0 {
		return 0, core.Errorf(core.EINVALID, "message %s: bad broadcast ref %q or no user", m.Key, m.Ref)
	}
	return broadcast.ID(n), nil
}

// ShouldSend says whether a broadcast's message still goes: the broadcast was
// not cancelled, the recipient is pending and did not opt out.
func (tr broadcastTracker) ShouldSend(ctx context.Context, m core.Message) (bool, error) {
	id, err := broadcastRef(m)
	if err != nil {
		return false, err
	}
	return tr.w.broadcasts.Broadcasts.ShouldSend(ctx, id, m.User)
}

// broadcastOutcomes maps the sender's outcomes to a recipient's.
var broadcastOutcomes = map[core.Outcome]broadcast.Outcome{
	core.OutcomeSent:    broadcast.OutcomeSent,
	core.OutcomeSkipped: broadcast.OutcomeSkipped,
	core.OutcomeBlocked: broadcast.OutcomeBlocked,
	core.OutcomeGone:    broadcast.OutcomeBlocked, // the person's chat is no more
	core.OutcomeFailed:  broadcast.OutcomeFailed,
}

// finishWindow is how close to the end an outcome (or a batch of them) must
// see itself to ask whether it was the last: outcomes recorded at the same
// moment do not see each other, so the last one may see up to as many more
// pending as there are sends in flight, and outcomes not recorded yet, across
// the workers. A broadcast whose end none of them saw is finished by the sweep.
const finishWindow = 512

// Done records the recipient's outcome, once; every ProgressEvery recipients
// (by their place in the broadcast) it updates the seller's progress message,
// and near the end it finishes the broadcast and sends the report.
func (tr broadcastTracker) Done(ctx context.Context, m core.Message, o core.Outcome) error {
	id, err := broadcastRef(m)
	if err != nil {
		return err
	}
	outcome, ok := broadcastOutcomes[o]
	if !ok {
		outcome = broadcast.OutcomeFailed
	}
	w := tr.w
	svc := w.broadcasts.Broadcasts
	st, changed, err := svc.RecordOutcome(ctx, id, m.User, outcome)
	if err != nil || !changed {
		return err
	}
	if st.Remaining <= finishWindow {
		b, finished, err := svc.Finish(ctx, id)
		if err != nil {
			return err
		}
		if finished {
			return w.reportBroadcast(ctx, b)
		}
	}
	if st.Seq%w.broadcasts.ProgressEvery != 0 {
		return nil
	}
	b, err := svc.BroadcastForSystem(ctx, id)
	if err != nil || b.Status != broadcast.StatusRunning {
		return err
	}
	return w.sendProgress(ctx, b)
}

// Tuning of a page task.
const (
	// handoverLead is how long before the end of its share, at the configured
	// global rate, a page task enqueues the next share's task: longer than a
	// task waits to be picked up from a queue found empty (asynq's
	// TaskCheckInterval, 0.5-1.5 s).
	handoverLead = 2 * time.Second
	// recheckAfter: a page's recipients not handed to a sender within this long
	// of their check are checked again, so that an opt-out or a cancel is
	// honoured within about a second even when a page takes long to send.
	recheckAfter = time.Second
	// flushMax and flushEvery bound a batch of outcomes: recorded once this many
	// are waiting, or this long after the first of them.
	flushMax   = 256
	flushEvery = 20 * time.Millisecond
	// resultsBuffer is how many outcomes may wait for the recorder: enough for
	// the senders to go on through a slow batch (a commit waiting for the
	// disk) at a thousand messages a second.
	resultsBuffer = 1024
	// pageTimeout bounds each of a page's own calls that must complete even
	// when the task is stopping: recording a batch, handing a message over.
	pageTimeout = 10 * time.Second
	// lateSlots bounds how many of a page's messages may reach Telegram
	// together beyond its rate: a sender later to its slot than this many
	// slots at the global rate takes another (send, takeSlot), and this many
	// calls may be under way beyond what the rate needs (flights). Telegram
	// takes short bursts (the sandbox 30 messages at once: a second's worth at
	// the free rate); twelve leave room for another process's senders.
	// lateFloor and lateCeiling bound the time.
	lateSlots   = 12
	lateFloor   = 5 * time.Millisecond
	lateCeiling = time.Second
	// maxRebook is how many late slots a message leaves before it goes anyway.
	maxRebook = 2
	// pageMaxErrors: after this many sends in a row failed for a reason a retry
	// may fix (the network, Telegram's 5xx), the page stops and its task is
	// retried later, rather than hand the whole broadcast to the queue one
	// message at a time.
	pageMaxErrors = 16
)

// errBroadcastOver stops a page whose broadcast was cancelled or finished.
var errBroadcastOver = errors.New("the broadcast is over")

// pageRun is one run of a TypeBroadcastPage task.
type pageRun struct {
	w   *Workers
	svc Broadcasts
	b   broadcast.Broadcast
	// The task's share: the recipients above after, up to until (0: to the end).
	after, until core.UserID
	// handoverAt: once a page reaches this recipient, the next share's task is
	// enqueued (0: there is none).
	handoverAt core.UserID
	handedOver bool

	stop        context.CancelCauseFunc
	results     chan broadcast.Result
	progressDue chan struct{}
	errors      atomic.Int32 // sends in a row that failed for a reason a retry may fix
	// maxLate is how late a sender may get to its slot and still use it.
	maxLate time.Duration
	// progressInterval is the shortest time between two progress edits.
	progressInterval time.Duration
}

// pageMessage is a message a page hands to its senders.
type pageMessage struct {
	m        core.Message
	composed time.Time
}

// newPageRun fixes the share of the task whose share starts above after.
func (w *Workers) newPageRun(ctx context.Context, b broadcast.Broadcast, after core.UserID) (*pageRun, error) {
	d := w.broadcasts
	limits := w.send.limiter.Limits()
	global := limits.Global
	r := &pageRun{w: w, svc: d.Broadcasts, b: b, after: after,
		maxLate:          min(max(time.Duration(lateSlots/global*float64(time.Second)), lateFloor), lateCeiling),
		progressInterval: time.Duration(float64(time.Second) / limits.PerChat),
	}
	share := d.PageSize * d.TaskPages
	until, ok, err := r.svc.RecipientAfter(ctx, b.ID, after, share)
	if err != nil || !ok {
		return r, err
	}
	r.until = until
	// The next share starts handoverLead before this one ends at the global
	// rate, and no earlier than halfway, so at most two tasks overlap.
	ahead := min(max(d.PageSize, int(global*handoverLead.Seconds())), share/2)
	r.handoverAt, _, err = r.svc.RecipientAfter(ctx, b.ID, after, max(share-ahead, 1))
	return r, err
}

// run sends the task's share: prepare reads and composes the pages, one ahead,
// handOut checks each and hands its messages to the senders, which hand their
// outcomes to the recorder, which asks showProgress to edit the seller's
// progress message. Every goroutine is done when it returns.
func (r *pageRun) run(parent context.Context) error {
	ctx, stop := context.WithCancelCause(parent)
	defer stop(nil)
	r.stop = stop
	d := r.w.broadcasts
	r.results = make(chan broadcast.Result, resultsBuffer)
	r.progressDue = make(chan struct{}, 1)
	var (
		background sync.WaitGroup
		recordErr  error
		prepareErr error
	)
	background.Go(func() { r.showProgress(ctx) })
	background.Go(func() { recordErr = r.record(ctx) })
	work := make(chan pageMessage)
	var senders sync.WaitGroup
	for range d.Senders {
		senders.Go(func() {
			for pm := range work {
				r.send(ctx, pm)
			}
		})
	}
	prepared := make(chan preparedPage, 1)
	var preparing sync.WaitGroup
	// An error of a run already stopping is the stop's doing (a call cut short):
	// the stop's cause says what happened.
	preparing.Go(func() {
		defer close(prepared)
		if err := r.prepare(ctx, prepared); err != nil && ctx.Err() == nil {
			prepareErr = err
			stop(err)
		}
	})
	err := r.handOut(ctx, prepared, work)
	if err != nil && ctx.Err() == nil {
		stop(err)
	} else {
		err = nil
	}
	preparing.Wait()
	close(work)
	senders.Wait()
	close(r.results) // the recorder records what is left, then closes progressDue
	background.Wait()
	err = errors.Join(err, prepareErr, recordErr)
	cause := context.Cause(ctx)
	switch {
	case err != nil:
		return classify(err)
	case errors.Is(cause, errBroadcastOver):
		return nil
	case cause != nil:
		return cause // a send that could not go on, or the task's end
	}
	if r.until != 0 && !r.handedOver {
		return r.w.enqueuePage(parent, broadcastPage{BroadcastID: r.b.ID, After: r.until})
	}
	return nil
}

// preparedPage is a page's messages, composed.
type preparedPage struct {
	msgs     []core.Message
	composed time.Time
}

// prepare goes through the task's share page by page, until it is done or the
// run stops, and hands each page's messages still to be sent to handOut: those
// of its pending recipients, less those an earlier run sent or handed over.
func (r *pageRun) prepare(ctx context.Context, out chan<- preparedPage) error {
	size := r.w.broadcasts.PageSize
	after := r.after
	for ctx.Err() == nil {
		page, err := r.svc.Page(ctx, r.b.ID, after, size)
		if err != nil {
			return err
		}
		if page.Size == 0 {
			return nil
		}
		to, last := page.Pending, page.Size < size
		if r.until != 0 && page.Last >= r.until {
			// The rest belong to the next share.
			to = slices.DeleteFunc(to, func(rc broadcast.Recipient) bool { return rc.UserID > r.until })
			last = true
		}
		after = page.Last
		if r.handoverAt != 0 && !r.handedOver && after >= r.handoverAt {
			if err := r.w.enqueuePage(ctx, broadcastPage{BroadcastID: r.b.ID, After: r.until}); err != nil {
				return err
			}
			r.handedOver = true
		}
		if len(to) > 0 {
			msgs, err := r.compose(ctx, to)
			if err != nil {
				return err
			}
			composed := time.Now()
			if msgs, err = r.settleEarlier(ctx, msgs); err != nil {
				return err
			}
			select {
			case out <- preparedPage{msgs: msgs, composed: composed}:
			case <-ctx.Done():
				return nil
			}
		}
		if last {
			return nil
		}
	}
	return nil
}

// compose has the bot compose the messages to a page's recipients, and checks
// that they are this broadcast's.
func (r *pageRun) compose(ctx context.Context, to []broadcast.Recipient) ([]core.Message, error) {
	msgs, err := r.w.broadcasts.Composer.BroadcastMessages(ctx, r.b, to)
	if err != nil {
		return nil, fmt.Errorf("compose broadcast %d: %w", r.b.ID, err)
	}
	for _, m := range msgs {
		if err := m.Validate(); err != nil {
			return nil, err
		}
		if id, err := broadcastRef(m); err != nil {
			return nil, err
		} else if id != r.b.ID {
			return nil, core.Errorf(core.EINVALID, "message %s: composed for broadcast %d, not %d", m.Key, id, r.b.ID)
		}
	}
	return msgs, nil
}

// handOut checks each prepared page's recipients, just before it goes, and
// hands the messages of those still to be sent to the senders; it checks the
// ones left again after recheckAfter.
func (r *pageRun) handOut(ctx context.Context, in <-chan preparedPage, work chan<- pageMessage) error {
	for page := range in {
		msgs := page.msgs
		for len(msgs) > 0 {
			var err error
			if msgs, err = r.check(ctx, msgs); err != nil {
				return err
			}
			checked := time.Now()
			for len(msgs) > 0 && time.Since(checked) < recheckAfter {
				select {
				case work <- pageMessage{m: msgs[0], composed: page.composed}:
					msgs = msgs[1:]
				case <-ctx.Done():
					return nil
				}
			}
		}
	}
	return nil
}

// settleEarlier finds, in one Redis round trip, the messages an earlier run of
// the page sent (their outcome is recorded again: sent) or handed to the
// sender's queue (enqueued again: the task id makes that once), and returns
// the others.
func (r *pageRun) settleEarlier(ctx context.Context, msgs []core.Message) ([]core.Message, error) {
	s := r.w.send
	pipe := s.rdb.Pipeline()
	sent := make([]*redis.IntCmd, len(msgs))
	queued := make([]*redis.IntCmd, len(msgs))
	for i, m := range msgs {
		sent[i] = pipe.Exists(ctx, s.sentKey(m.Key))
		queued[i] = pipe.Exists(ctx, s.queuedKey(m.Key))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("broadcast %d: sent keys: %w", r.b.ID, err)
	}
	rest := msgs[:0:0]
	for i, m := range msgs {
		switch {
		case sent[i].Val() > 0:
			s.duplicate.Inc()
			r.result(m, core.OutcomeSent)
		case queued[i].Val() > 0:
			if err := r.w.enqueueMessage(ctx, m); err != nil {
				return nil, err
			}
		default:
			rest = append(rest, m)
		}
	}
	return rest, nil
}

// check asks the domain which of msgs' recipients are still to be sent,
// records the others skipped, and returns the messages to send. It stops the
// run when the broadcast is over.
func (r *pageRun) check(ctx context.Context, msgs []core.Message) ([]core.Message, error) {
	users := make([]core.UserID, len(msgs))
	for i, m := range msgs {
		users[i] = m.User
	}
	running, send, err := r.svc.Sendable(ctx, r.b.ID, users)
	if err != nil {
		return nil, err
	}
	if !running {
		r.stop(errBroadcastOver)
		return nil, nil
	}
	keep := msgs[:0:0]
	for _, m := range msgs {
		if _, ok := slices.BinarySearch(send, m.User); ok {
			keep = append(keep, m)
			continue
		}
		r.w.send.sent.WithLabelValues(priorityLabel(m.Priority), string(core.OutcomeSkipped)).Inc()
		r.result(m, core.OutcomeSkipped)
	}
	return keep, nil
}

// result hands m's outcome to the recorder, which takes results until the
// run's end, stopping or not.
func (r *pageRun) result(m core.Message, o core.Outcome) {
	outcome, ok := broadcastOutcomes[o]
	if !ok {
		outcome = broadcast.OutcomeFailed
	}
	r.results <- broadcast.Result{User: m.User, Outcome: outcome}
}

// send sends one message as the sender does, at broadcast priority, and hands
// its outcome to the recorder; a message that must wait or be tried again is
// handed to the sender's queue. A failure that stops the page stops the run.
func (r *pageRun) send(ctx context.Context, pm pageMessage) {
	w, m := r.w, pm.m
	if ctx.Err() != nil {
		return // stopping: it stays pending for the run to come, if any
	}
	// A slot reached late is left unused, as is one whose call would wait
	// for the calls under way: either way the message would reach Telegram
	// bunched with others (see takeSlot and flights).
	for rebooked := 0; ; rebooked++ {
		due, err := r.takeSlot(ctx, m)
		if retry, ok := errors.AsType[*errRetryIn](err); ok {
			r.handOver(ctx, m, retry.after)
			return
		}
		if err != nil {
			if ctx.Err() == nil {
				r.stop(err)
			}
			return
		}
		if w.send.flights.acquire(ctx) != nil {
			return // stopping
		}
		if time.Since(due) <= r.maxLate || rebooked == maxRebook {
			break
		}
		w.send.flights.release(0)
	}
	started := time.Now()
	o, err := w.call(ctx, m, pm.composed)
	w.send.flights.release(time.Since(started))
	if err != nil {
		retry, is429 := errors.AsType[*errRetryIn](err)
		if !is429 && r.errors.Add(1) >= pageMaxErrors {
			r.stop(err)
		}
		var after time.Duration
		if is429 {
			after = retry.after
		}
		r.handOver(ctx, m, after)
		return
	}
	r.errors.Store(0)
	w.send.sent.WithLabelValues(priorityLabel(m.Priority), string(o)).Inc()
	r.result(m, o)
}

// takeSlot waits until the rate limits grant m a slot, as waitSlot does, and
// returns when the slot was due: a page's sender that gets to it late (a busy
// machine, a garbage collection that stalled the process) takes another, for
// senders woken late together would reach Telegram in a burst, which it
// answers with 429s, and the whole bot then slows down for a minute.
func (r *pageRun) takeSlot(ctx context.Context, m core.Message) (time.Time, error) {
	limiter := r.w.send.limiter
	for {
		asked := time.Now()
		g, err := limiter.Take(ctx, m.Chat, m.Group, lookahead[m.Priority])
		if err != nil {
			return time.Time{}, fmt.Errorf("message %s: %w", m.Key, err)
		}
		if !g.OK && g.Wait > maxInlineWait {
			return time.Time{}, &errRetryIn{after: g.Wait, wait: true, err: fmt.Errorf("message %s waits for its rate limit", m.Key)}
		}
		if g.Wait > 0 {
			timer := time.NewTimer(g.Wait)
			select {
			case <-ctx.Done():
				timer.Stop()
				return time.Time{}, ctx.Err()
			case <-timer.C:
			}
		}
		if g.OK {
			// Due at most g.Wait after the question: Redis answered after it.
			return asked.Add(g.Wait), nil
		}
	}
}

// flights bounds the Bot API calls that the page tasks of a process have
// under way to what the global rate needs at the usual duration of a call (the
// median of the last flightSamples), plus lateSlots. It never holds the sends
// back at that rate; but when the way to Telegram stalls (a connection,
// Telegram's edge, on a busy machine the process that stands for Telegram),
// the calls that pile up meanwhile all arrive together when it resumes, and
// this keeps their number within the burst Telegram takes. Senders waiting
// for a call to end meanwhile get to their slots late and take others (send).
// The median, not a mean: the stalls themselves must not widen the bound. One
// per process, as two page tasks run at once when one hands over to the next.
type flights struct {
	mu      sync.Mutex
	n       int     // calls under way
	rate    float64 // the global rate, messages per second
	limit   int     // calls that may be under way
	waiting []chan struct{}
	samples [flightSamples]time.Duration
	next    int // where the next sample goes; the ring is full once next >= flightSamples
}

// flightSamples is how many call durations the median of flights is taken of.
const flightSamples = 64

func newFlights(rate float64) *flights {
	return &flights{rate: rate, limit: lateSlots}
}

// acquire waits, first come first served, until a call may start; ctx's error
// when ctx ends first.
func (f *flights) acquire(ctx context.Context) error {
	f.mu.Lock()
	if f.n < f.limit && len(f.waiting) == 0 {
		f.n++
		f.mu.Unlock()
		return nil
	}
	turn := make(chan struct{})
	f.waiting = append(f.waiting, turn)
	f.mu.Unlock()
	select {
	case <-turn:
		return nil
	case <-ctx.Done():
		f.mu.Lock()
		if i := slices.Index(f.waiting, turn); i >= 0 {
			f.waiting = slices.Delete(f.waiting, i, i+1)
			f.mu.Unlock()
			return ctx.Err()
		}
		f.mu.Unlock()
		f.release(0) // its turn came meanwhile
		return ctx.Err()
	}
}

// release ends a call that took took (zero: it was not made), and lets the
// next waiting ones start.
func (f *flights) release(took time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.n--
	if took > 0 {
		f.samples[f.next%flightSamples] = took
		f.next++
		sorted := slices.Clone(f.samples[:min(f.next, flightSamples)])
		slices.Sort(sorted)
		f.limit = lateSlots + int(math.Ceil(f.rate*sorted[len(sorted)/2].Seconds()))
	}
	for len(f.waiting) > 0 && f.n < f.limit {
		f.n++
		close(f.waiting[0])
		f.waiting = f.waiting[1:]
	}
}

// handOver puts m in the sender's queue, to go in delay, marked first so that a
// page run again leaves it to the queue. A message the queue could not take
// stops the run: the task is tried again, and its run hands it over then.
func (r *pageRun) handOver(ctx context.Context, m core.Message, delay time.Duration) {
	s := r.w.send
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pageTimeout)
	defer cancel()
	err := s.rdb.Set(ctx, s.queuedKey(m.Key), 1, s.opt.KeyLifetime).Err()
	if err == nil {
		err = r.w.enqueueMessageIn(ctx, m, delay)
	}
	if err != nil {
		r.stop(fmt.Errorf("hand message %s to the queue: %w", m.Key, err))
	}
}

// record records the outcomes handed to it in batches until the results are
// closed, and returns the first failure; after one it drops the rest (a run
// again records them). Batches are recorded even when the run stops: what was
// sent is counted.
func (r *pageRun) record(ctx context.Context) error {
	var (
		batch  []broadcast.Result
		failed error
	)
	timer := time.NewTimer(flushEvery)
	timer.Stop()
	flush := func() {
		timer.Stop()
		if len(batch) > 0 && failed == nil {
			if failed = r.flush(ctx, batch); failed != nil {
				r.stop(failed)
			}
		}
		batch = batch[:0]
	}
	defer close(r.progressDue)
	for {
		select {
		case res, ok := <-r.results:
			if !ok {
				flush()
				return failed
			}
			if len(batch) == 0 {
				timer.Reset(flushEvery)
			}
			if batch = append(batch, res); len(batch) >= flushMax {
				flush()
			}
		case <-timer.C:
			flush()
		}
	}
}

// flush records a batch of outcomes; near the end it finishes the broadcast
// and sends the report, every ProgressEvery recipients it shows the progress,
// and it stops the run when the broadcast is over.
func (r *pageRun) flush(ctx context.Context, batch []broadcast.Result) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pageTimeout)
	defer cancel()
	w, id := r.w, r.b.ID
	st, err := r.svc.RecordOutcomes(ctx, id, batch)
	if err != nil {
		return err
	}
	if !st.Running {
		r.stop(errBroadcastOver)
	}
	if len(st.Seqs) > 0 && st.Remaining <= finishWindow {
		b, finished, err := r.svc.Finish(ctx, id)
		if err != nil {
			return err
		}
		if finished {
			r.stop(errBroadcastOver)
			return w.reportBroadcast(ctx, b)
		}
	}
	if st.Running && slices.ContainsFunc(st.Seqs, func(seq int) bool { return seq%w.broadcasts.ProgressEvery == 0 }) {
		select {
		case r.progressDue <- struct{}{}:
		default: // due already: it will show this batch too
		}
	}
	return nil
}

// showProgress edits the seller's progress message when the recorder says it
// is due, until the recorder is done, no more often than the seller's chat
// takes edits (the per-chat limit: a second): each edit shows the latest
// counts, and states composed faster would only replace each other in the
// queue. The progress is only shown: a failure to show it is logged, and the
// next one shows the progress then.
func (r *pageRun) showProgress(ctx context.Context) {
	var shown time.Time
	for range r.progressDue {
		if time.Since(shown) < r.progressInterval {
			continue
		}
		shown = time.Now()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), pageTimeout)
		b, err := r.svc.BroadcastForSystem(ctx, r.b.ID)
		if err == nil && b.Status == broadcast.StatusRunning {
			err = r.w.sendProgress(ctx, b)
		}
		cancel()
		if err != nil {
			r.w.log.Warn("show a broadcast's progress", "broadcast", r.b.ID, "error", err)
		}
	}
}
