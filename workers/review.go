package workers

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/review"
)

// reviewRoutes maps the job kinds of reviews to their queue (see routes).
var reviewRoutes = map[string]route{
	review.JobNew: {queue: QueueDefault, retention: 24 * time.Hour},
}

// ReviewComposer composes the messages of reviews (the bot).
type ReviewComposer interface {
	// NewReviewMessages compose what tells a shop's staff of a new review of
	// one of its products, with the way to answer it.
	NewReviewMessages(ctx context.Context, id review.ID) ([]core.Message, error)
}

// ReviewDeps are what the tasks of reviews need; a nil Composer makes them
// fail (and retry) until wired.
type ReviewDeps struct {
	Composer ReviewComposer
}

// initReviews keeps the deps of reviews and adds their periodic tasks (w.periodic).
func (w *Workers) initReviews(d ReviewDeps) {
	w.reviews = d
}

// registerReviews adds the task handlers of reviews to mux.
func (w *Workers) registerReviews(mux *asynq.ServeMux) {
	mux.HandleFunc(review.JobNew, w.HandleNewReview)
}

// HandleNewReview tells a shop's staff of a new review (review.JobNew): each
// message once, by its key, so a task run again sends nothing twice.
func (w *Workers) HandleNewReview(ctx context.Context, t *asynq.Task) error {
	p, err := Payload(t, func(p review.NewJob) bool { return p.Review != 0 })
	if err != nil {
		return err
	}
	if w.reviews.Composer == nil {
		return errors.New("the reviews' composer is not wired")
	}
	msgs, err := w.reviews.Composer.NewReviewMessages(ctx, p.Review)
	if err == nil {
		err = w.Send(ctx, msgs...)
	}
	if err != nil {
		return classify(fmt.Errorf("tell of review %d: %w", p.Review, err))
	}
	return nil
}
