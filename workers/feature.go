package workers

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
)

// A feature's tasks live in a package of their own under workers/ (drops,
// groupbuys) and reach the kernel through what this file exports: the sender,
// the classification of errors, and the mux. Their job kinds' queues stay in
// the kernel's routes: the relay routes every kind, and runs before a worker
// has built its features.

// Feature is a package of task handlers.
type Feature interface {
	// Register adds the feature's task handlers to mux.
	Register(mux *asynq.ServeMux)
}

// Add adds features whose handlers Register registers with the kernel's.
func (w *Workers) Add(f ...Feature) { w.features = append(w.features, f...) }

// SendIn queues a message to be sent no sooner than in delay; its key keeps
// it to one.
func (w *Workers) SendIn(ctx context.Context, m core.Message, delay time.Duration) error {
	if err := m.Validate(); err != nil {
		return Permanent(err)
	}
	return w.enqueueMessageIn(ctx, m, delay)
}

// Classify returns err as it is when a retry may fix it (an infrastructure
// failure), and marks it permanent when it is an application error (invalid,
// not found, conflict, forbidden): the same call would fail the same way.
func Classify(err error) error { return classify(err) }

// Permanent marks err as one that retrying cannot fix: asynq archives the task
// instead of retrying it.
func Permanent(err error) error { return permanent(err) }

// BadPayload is the permanent error of a task whose payload cannot be read
// (err) or lacks a field (err is nil).
func BadPayload(kind string, err error) error { return badPayload(kind, err) }

// RetryIn is the error of a task that is not due yet: it comes back after
// after, and does not count as a failure (no warning, no retry spent).
func RetryIn(after time.Duration, err error) error {
	return &errRetryIn{after: after, wait: true, err: err}
}

// CeilSecond rounds t up to a whole second (see ceilSecond).
func CeilSecond(t time.Time) time.Time { return ceilSecond(t) }

// Payload reads a task's JSON payload into a T. One that does not read, or
// that valid refuses (a required field missing), is BadPayload.
func Payload[T any](task *asynq.Task, valid func(T) bool) (T, error) {
	var p T
	if err := json.Unmarshal(task.Payload(), &p); err != nil || !valid(p) {
		return p, BadPayload(task.Type(), err)
	}
	return p, nil
}
