package workers

import "github.com/hibiken/asynq"

// broadcastRoutes maps the job kinds of broadcasts to their queue (see routes).
var broadcastRoutes = map[string]route{}

// BroadcastDeps are what the tasks of broadcasts need.
type BroadcastDeps struct{}

// initBroadcasts keeps the deps of broadcasts and adds their periodic tasks (w.periodic).
func (w *Workers) initBroadcasts(d BroadcastDeps) {
	w.broadcasts = d
}

// registerBroadcasts adds the task handlers of broadcasts to mux.
func (w *Workers) registerBroadcasts(mux *asynq.ServeMux) {}
