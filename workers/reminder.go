package workers

import "github.com/hibiken/asynq"

// reminderRoutes maps the job kinds of reminders to their queue (see routes).
var reminderRoutes = map[string]route{}

// ReminderDeps are what the tasks of reminders need.
type ReminderDeps struct{}

// initReminders keeps the deps of reminders and adds their periodic tasks (w.periodic).
func (w *Workers) initReminders(d ReminderDeps) {
	w.reminders = d
}

// registerReminders adds the task handlers of reminders to mux.
func (w *Workers) registerReminders(mux *asynq.ServeMux) {}
