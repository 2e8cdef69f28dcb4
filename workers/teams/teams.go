// Package teams holds the tasks of team buys: a member's order changed
// (order.JobTeam) settles the team; a team's time ends (teambuy.JobExpire);
// the members are told that it filled or failed, and a failed team's orders
// are called off (paid ones refunded by the orders' own jobs).
package teams

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/teambuy"
	"github.com/vitrina-shop/vitrina/workers"
)

// Teams is what the tasks need of teambuy.Service.
type Teams interface {
	Settle(ctx context.Context, id teambuy.ID) (teambuy.Team, error)
	Expire(ctx context.Context, id teambuy.ID) (teambuy.Team, bool, error)
	CallOff(ctx context.Context, id teambuy.ID) (teambuy.Team, []teambuy.Member, error)
	Team(ctx context.Context, id teambuy.ID) (teambuy.Team, []teambuy.Member, error)
	Now() time.Time
}

// Bot is what the tasks need of the bot.
type Bot interface {
	// TeamMessage composes what tells a member that their team filled (their
	// order goes ahead) or failed (their payment comes back).
	TeamMessage(ctx context.Context, t teambuy.Team, m teambuy.Member) (core.Message, error)
}

// Sender is what the tasks need of the workers' sender (*workers.Workers).
type Sender interface {
	Send(ctx context.Context, msgs ...core.Message) error
}

// Deps are what the tasks of team buys need; nil fields make their tasks fail
// (and retry) until wired.
type Deps struct {
	Teams  Teams
	Bot    Bot
	Sender Sender
}

// Tasks are the task handlers of team buys.
type Tasks struct{ d Deps }

// New returns the task handlers of team buys.
func New(d Deps) *Tasks { return &Tasks{d: d} }

// Register adds the task handlers of team buys to mux.
func (t *Tasks) Register(mux *asynq.ServeMux) {
	mux.HandleFunc(order.JobTeam, t.HandleOrder)
	mux.HandleFunc(teambuy.JobExpire, t.HandleExpire)
	mux.HandleFunc(teambuy.JobFilled, t.HandleFilled)
	mux.HandleFunc(teambuy.JobFailed, t.HandleFailed)
}

func (t *Tasks) wired(bot bool) error {
	if t.d.Teams == nil || bot && (t.d.Bot == nil || t.d.Sender == nil) {
		return errors.New("team buys are not wired")
	}
	return nil
}

func teamOf(task *asynq.Task) (teambuy.ID, error) {
	p, err := workers.Payload(task, func(p teambuy.TeamJob) bool { return p.Team != 0 })
	return p.Team, err
}

// HandleOrder settles a team whose member's order was paid, expired or
// cancelled (order.JobTeam).
func (t *Tasks) HandleOrder(ctx context.Context, task *asynq.Task) error {
	p, err := workers.Payload(task, func(p order.TeamPayload) bool { return p.Team != 0 })
	if err != nil {
		return err
	}
	if err := t.wired(false); err != nil {
		return err
	}
	_, err = t.d.Teams.Settle(ctx, p.Team)
	return workers.Classify(err)
}

// HandleExpire ends a team at its time (teambuy.JobExpire); early (asynq
// keeps whole seconds), it comes back.
func (t *Tasks) HandleExpire(ctx context.Context, task *asynq.Task) error {
	id, err := teamOf(task)
	if err != nil {
		return err
	}
	if err := t.wired(false); err != nil {
		return err
	}
	team, due, err := t.d.Teams.Expire(ctx, id)
	if err != nil {
		return workers.Classify(err)
	}
	if !due {
		left := team.ExpiresAt.Sub(t.d.Teams.Now())
		return workers.RetryIn(max(left, time.Second), fmt.Errorf("team %d ends at %s", id, team.ExpiresAt))
	}
	return nil
}

// HandleFilled tells every member that their team filled (teambuy.JobFilled).
func (t *Tasks) HandleFilled(ctx context.Context, task *asynq.Task) error {
	return t.tell(ctx, task, teambuy.StatusFilled, false)
}

// HandleFailed calls off a failed team's orders and tells every member
// (teambuy.JobFailed).
func (t *Tasks) HandleFailed(ctx context.Context, task *asynq.Task) error {
	return t.tell(ctx, task, teambuy.StatusFailed, true)
}

// tell tells the members of a team in status, each once by their message's
// key; callOff first calls off the orders of a failed one.
func (t *Tasks) tell(ctx context.Context, task *asynq.Task, status teambuy.Status, callOff bool) error {
	id, err := teamOf(task)
	if err != nil {
		return err
	}
	if err := t.wired(true); err != nil {
		return err
	}
	team, members, err := t.d.Teams.Team(ctx, id)
	if callOff && err == nil {
		team, members, err = t.d.Teams.CallOff(ctx, id)
	}
	if err != nil {
		return workers.Classify(err)
	}
	if team.Status != status {
		return nil
	}
	msgs := make([]core.Message, 0, len(members))
	for _, m := range members {
		if m.Order == 0 {
			continue
		}
		msg, err := t.d.Bot.TeamMessage(ctx, team, m)
		if err != nil {
			return workers.Classify(err)
		}
		msgs = append(msgs, msg)
	}
	return workers.Classify(t.d.Sender.Send(ctx, msgs...))
}
