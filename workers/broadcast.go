package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/broadcast"
)

// Sellers' broadcasts. broadcast.JobStart (from the outbox) records the
// recipients and enqueues the first page task; each TypeBroadcastPage task
// composes and enqueues the messages of up to PageSize pending recipients, then
// enqueues the next page as a task of its own, so a crash resumes at the page it
// was on, and a retried page sends nobody twice (message keys). The sender asks
// the "broadcast" tracker before each message and tells it the outcome; every
// ProgressEvery recipients, and at the end, the seller's progress message is
// edited (coalesced: only the latest state is sent).

// Task types of broadcasts besides the jobs of core/broadcast.
const (
	// TypeBroadcastPage composes and enqueues a page of a broadcast's messages;
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
	Recipients(ctx context.Context, id broadcast.ID, after core.UserID, limit int) ([]broadcast.Recipient, error)
	ShouldSend(ctx context.Context, id broadcast.ID, user core.UserID) (bool, error)
	RecordOutcome(ctx context.Context, id broadcast.ID, user core.UserID, o broadcast.Outcome) (broadcast.Settled, bool, error)
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
	// PageSize is how many messages one page task enqueues. Default 500.
	PageSize int
	// ProgressEvery is after how many recipients the progress message is
	// edited. Default 50.
	ProgressEvery int
	// SweepEvery is the period of the broadcast sweep. Default a minute.
	SweepEvery time.Duration
}

// Defaults of BroadcastDeps.
const (
	DefaultBroadcastPage       = 500
	DefaultBroadcastProgress   = 50
	DefaultBroadcastSweepEvery = time.Minute
)

// initBroadcasts keeps the deps of broadcasts and adds their periodic tasks (w.periodic).
func (w *Workers) initBroadcasts(d BroadcastDeps) {
	if d.PageSize <= 0 {
		d.PageSize = DefaultBroadcastPage
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

// broadcastPage is the payload of TypeBroadcastPage: the recipients with ids
// above After are the page's.
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

// HandleBroadcastPage composes and enqueues the messages of a page of a
// broadcast's pending recipients, then enqueues the next page (TypeBroadcastPage).
// A broadcast no longer running is a success with nothing done.
func (w *Workers) HandleBroadcastPage(ctx context.Context, t *asynq.Task) error {
	var p broadcastPage
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.BroadcastID == 0 {
		return badPayload(t.Type(), err)
	}
	if err := w.broadcastReady(); err != nil {
		return err
	}
	svc := w.broadcasts.Broadcasts
	b, err := svc.BroadcastForSystem(ctx, p.BroadcastID)
	if err != nil {
		return classify(err)
	}
	if b.Status != broadcast.StatusRunning {
		return nil
	}
	to, err := svc.Recipients(ctx, b.ID, p.After, w.broadcasts.PageSize)
	if err != nil {
		return classify(err)
	}
	if len(to) == 0 {
		return nil
	}
	msgs, err := w.broadcasts.Composer.BroadcastMessages(ctx, b, to)
	if err != nil {
		return classify(fmt.Errorf("compose broadcast %d: %w", b.ID, err))
	}
	if err := w.Send(ctx, msgs...); err != nil {
		return classify(fmt.Errorf("broadcast %d: %w", b.ID, err))
	}
	if len(to) < w.broadcasts.PageSize {
		return nil
	}
	return w.enqueuePage(ctx, broadcastPage{BroadcastID: b.ID, After: to[len(to)-1].UserID})
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

// finishWindow is how close to the end an outcome must see itself to ask
// whether it was the last: outcomes recorded at the same moment do not see each
// other, so the last one may see up to as many more pending as there are sends
// in flight across the workers. A broadcast whose end none of them saw is
// finished by the sweep.
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
