package world

import (
	"context"
	"errors"
	"math/rand/v2"
	"strconv"
	"time"
)

// Queries: callback, inline, shipping and pre-checkout queries wait for the bot's answer.

// ErrNotAnswered is returned when the bot did not answer a query (callback, inline, shipping,
// pre-checkout) before its deadline. A later answer gets "query is too old", as on Telegram.
var ErrNotAnswered = errors.New("sandbox: the bot did not answer the query in time")

// Query is a query sent to the bot, waiting for its answer.
type Query struct {
	ID       string
	Kind     string // the update's kind: "callback_query", "inline_query", ...
	UserID   int64
	done     chan struct{} // closed when answered or expired
	answered bool
	expired  bool
	answer   any
}

// ExpireLocked ends q unanswered, unless it was answered.
func (q *Query) ExpireLocked() {
	if !q.answered && !q.expired {
		q.expired = true
		close(q.done)
	}
}

// AnswerLocked gives q the bot's answer. The query must be open (OpenQueryLocked).
func (q *Query) AnswerLocked(answer any) {
	q.answered, q.answer = true, answer
	close(q.done)
}

// NewQueryLocked opens a query of kind from userID with a fresh id.
func (w *World) NewQueryLocked(kind string, userID int64) *Query {
	w.querySeq++
	id := strconv.FormatUint(rand.Uint64()>>8+uint64(w.querySeq), 10)
	q := &Query{ID: id, Kind: kind, UserID: userID, done: make(chan struct{})}
	w.Queries[id] = q
	if w.Closed {
		q.ExpireLocked()
	}
	return q
}

// OpenQueryLocked finds a query of kind the bot may still answer; ok is false when there is none,
// for which Telegram says "query is too old".
func (w *World) OpenQueryLocked(kind, id string) (q *Query, ok bool) {
	q, ok = w.Queries[id]
	if !ok || q.Kind != kind || q.answered || q.expired {
		return nil, false
	}
	return q, true
}

// AwaitAnswer waits for the bot's answer to q until deadline or ctx ends; ErrNotAnswered past the
// deadline, after which the query can no longer be answered. It takes the lock.
func (w *World) AwaitAnswer(ctx context.Context, q *Query, deadline time.Time) (any, error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-q.done:
	case <-timer.C:
	case <-ctx.Done():
	}
	w.Lock()
	defer w.Unlock()
	// Once waited for, a query is done: a further answer gets "query is too old".
	delete(w.Queries, q.ID)
	if q.answered {
		return q.answer, nil
	}
	q.ExpireLocked()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, ErrNotAnswered
}

// TakeAnswer returns q's answer if the bot gave one, and expires q otherwise. It takes the lock.
func (w *World) TakeAnswer(q *Query) (any, bool) {
	w.Lock()
	defer w.Unlock()
	delete(w.Queries, q.ID)
	if q.answered {
		return q.answer, true
	}
	q.ExpireLocked()
	return nil, false
}
