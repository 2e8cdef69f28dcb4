package world

import (
	"sync"
	"time"
)

// EventKind names what an Event reports.
type EventKind string

// Event kinds.
const (
	// EventMessageNew: a message appeared in a chat (from the bot, a user or a payment).
	EventMessageNew EventKind = "message_new"
	// EventMessageEdited: the bot edited a message (text, caption, media or keyboard).
	EventMessageEdited EventKind = "message_edited"
	// EventMessageDeleted: a message was deleted.
	EventMessageDeleted EventKind = "message_deleted"
	// EventCallbackAnswered: the bot answered a user's button press; Answer holds the answer.
	EventCallbackAnswered EventKind = "callback_answered"
	// EventChatAction: the bot sent a chat action ("typing", ...); Action holds it.
	EventChatAction EventKind = "chat_action"
	// EventPayment: a payment changed: paid, declined, timed out or refunded; Payment holds it
	// for paid and refunded payments, Status the outcome.
	EventPayment EventKind = "payment"
	// EventWebhookFailed: the webhook refused an update; Error says why.
	EventWebhookFailed EventKind = "webhook_failed"
)

// Event is one change in the sandbox, for a live view such as the demo's web page.
type Event struct {
	// Seq increases by one per event published; a gap tells a subscriber it lost events (it was too
	// slow) and should reload the state.
	Seq    int64
	Kind   EventKind
	Time   time.Time
	ChatID int64
	// UserID is the persona the event concerns (callback answers, payments), 0 otherwise.
	UserID  int64
	Message *Message
	Answer  *CallbackAnswer
	Action  string
	Payment *Payment
	Status  PayStatus
	Error   string
}

// subscribers are the channels of Subscribe. They have a lock of their own, taken inside the world's
// lock (PublishLocked) or alone, never the other way round.
type subscribers struct {
	mu    sync.Mutex
	chans map[int]chan Event
	next  int
	seq   int64
}

// subscriberBuffer is how many events a subscriber may lag behind before it loses some.
const subscriberBuffer = 256

// Subscribe returns a channel of every event from now on, and a function that ends the subscription
// and closes the channel. Publishing never waits for a subscriber: one that falls behind by more
// than 256 events loses events, which the gap in Event.Seq reveals. It does not take the world's
// lock.
func (w *World) Subscribe() (<-chan Event, func()) {
	subs := &w.subs
	subs.mu.Lock()
	defer subs.mu.Unlock()
	ch := make(chan Event, subscriberBuffer)
	id := subs.next
	subs.next++
	subs.chans[id] = ch
	return ch, func() {
		subs.mu.Lock()
		defer subs.mu.Unlock()
		if c, ok := subs.chans[id]; ok {
			close(c)
			delete(subs.chans, id)
		}
	}
}

// EndSubscriptions closes every subscription's channel. It does not take the world's lock.
func (w *World) EndSubscriptions() {
	subs := &w.subs
	subs.mu.Lock()
	defer subs.mu.Unlock()
	for id, ch := range subs.chans {
		close(ch)
		delete(subs.chans, id)
	}
}

// PublishLocked sends ev to every subscriber and wakes waiters on the model.
func (w *World) PublishLocked(ev Event) {
	w.NotifyLocked()
	subs := &w.subs
	subs.mu.Lock()
	defer subs.mu.Unlock()
	subs.seq++
	ev.Seq = subs.seq
	if ev.Time.IsZero() {
		ev.Time = w.Now()
	}
	for _, ch := range subs.chans {
		select {
		case ch <- ev:
		default:
		}
	}
}
