package workers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core/groupbuy"
)

// Group buys' tasks: a purchase closes at its deadline (groupbuy.JobClose).

// groupBuyRoutes maps the job kinds of group buys to their queue (see routes).
var groupBuyRoutes = map[string]route{
	groupbuy.JobClose: {queue: QueueCritical, retention: 24 * time.Hour},
}

// GroupBuys is what the tasks of group buys need of groupbuy.Service.
type GroupBuys interface {
	// Close closes a purchase whose deadline has come; due is false before.
	Close(ctx context.Context, id groupbuy.ID) (groupbuy.Purchase, bool, error)
}

// GroupBuyTasks are the task handlers of group buys.
type GroupBuyTasks struct {
	w *Workers
	g GroupBuys
}

// initGroupBuys keeps the service of group buys.
func (w *Workers) initGroupBuys(g GroupBuys) { w.groupBuys = &GroupBuyTasks{w: w, g: g} }

// GroupBuys returns the task handlers of group buys.
func (w *Workers) GroupBuys() *GroupBuyTasks { return w.groupBuys }

// registerGroupBuys adds the task handlers of group buys to mux.
func (w *Workers) registerGroupBuys(mux *asynq.ServeMux) {
	mux.HandleFunc(groupbuy.JobClose, w.groupBuys.HandleClose)
}

// closeRecheck is when a close task that ran before the deadline (asynq keeps
// whole seconds, and a deadline may have been moved) looks again, at most.
const closeRecheck = time.Minute

// HandleClose closes a purchase at its deadline (groupbuy.JobClose): the
// service re-checks the deadline and the totals under the purchase's lock,
// so a task run twice, or early, changes nothing it should not.
func (t *GroupBuyTasks) HandleClose(ctx context.Context, task *asynq.Task) error {
	var p groupbuy.CloseJob
	if err := json.Unmarshal(task.Payload(), &p); err != nil || p.Purchase == 0 {
		return badPayload(task.Type(), err)
	}
	if t.g == nil {
		return errors.New("group buys are not wired")
	}
	got, due, err := t.g.Close(ctx, p.Purchase)
	if err != nil {
		return classify(err)
	}
	if !due {
		wait := min(max(time.Until(got.Deadline), time.Second), closeRecheck)
		return &errRetryIn{after: wait, wait: true, err: fmt.Errorf("group buy %d closes at %s", p.Purchase, got.Deadline)}
	}
	return nil
}
