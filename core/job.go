package core

import "time"

// Job is work to be done after a state change commits: a reservation to expire, a
// notification to send, a refund to make. Services return jobs alongside the change;
// the store writes them to the outbox in the same transaction, and a relay hands them
// to the job queue. So a job exists if and only if its change committed.
type Job struct {
	// Kind names the work ("order:expire", "order:notify"); workers map it to a handler.
	Kind string
	// Key makes the job unique: a second job with the same key is dropped while the
	// first is pending ("order:expire:42"). Empty means the outbox row id.
	Key string
	// RunAt is when the job is due; zero means now.
	RunAt time.Time
	// Payload is the job's arguments as JSON.
	Payload []byte
	// Cancel makes the job delete the scheduled job of the same Kind, Key and RunAt
	// from the queue instead of scheduling one: a reminder whose reason went away.
	// A job running already is not stopped; its handler re-reads the state and finds
	// nothing to do, which is what makes a cancel safe to lose.
	Cancel bool
	// Pending makes a job whose key waits in the outbox already (not yet
	// relayed) leave that one as it is, instead of updating it: for work that
	// reads the state when it runs (bring a card up to date), where a burst of
	// changes needs one job, and a row written once instead of at every change.
	Pending bool
}
