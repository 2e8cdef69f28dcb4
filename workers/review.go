package workers

import "github.com/hibiken/asynq"

// reviewRoutes maps the job kinds of reviews to their queue (see routes).
var reviewRoutes = map[string]route{}

// ReviewDeps are what the tasks of reviews need.
type ReviewDeps struct{}

// initReviews keeps the deps of reviews and adds their periodic tasks (w.periodic).
func (w *Workers) initReviews(d ReviewDeps) {
	w.reviews = d
}

// registerReviews adds the task handlers of reviews to mux.
func (w *Workers) registerReviews(mux *asynq.ServeMux) {}
