package core

import (
	"encoding/json"
	"fmt"
	"time"
)

// Message is one message Vitrina sends on its own initiative, not as the answer to
// an update: a notification, a reminder, an alert, a broadcast, a channel post or
// an edit of one. The bot composes it (the Bot API call, in the recipient's
// language); the sender (workers/sender) delivers it at Telegram's limits, once.
type Message struct {
	// Key identifies the message for its lifetime (a day): a second message with the
	// same key is not sent, however often it is enqueued or its job retried
	// ("order:42:paid:staff:7001"). Required.
	Key string `json:"key"`
	// Chat is the chat written to: a user's private chat (the user's id), a group or
	// a channel.
	Chat int64 `json:"chat"`
	// User is the person the message is for when Chat is their private chat: a user
	// who blocked the bot is not written to, and a 403 marks them unreachable. Zero
	// for groups and channels.
	User UserID `json:"user,omitempty"`
	// Group says Chat is a group, supergroup or channel (20 messages a minute).
	Group bool `json:"group,omitempty"`
	// Priority orders the queues: payments and orders first, broadcasts last.
	Priority Priority `json:"priority"`
	// Method is the Bot API method ("sendMessage", "sendPhoto", "editMessageText")
	// and Params its parameters as JSON, chat_id included. Only the transport (the
	// bot) reads them.
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
	// Coalesce, when set, names the state the message shows (a channel post's
	// counter, a broadcast's progress): only the latest message enqueued with the
	// same Coalesce is sent; older ones not yet sent are dropped.
	Coalesce string `json:"coalesce,omitempty"`
	// Rank orders the states of one Coalesce when they are not enqueued in the
	// order they happened (two workers composing at once): a message ranked lower
	// than the latest one stored is dropped. A broadcast's progress ranks by how
	// many are done, its final report above any progress. Zero for all: the last
	// enqueued wins.
	Rank int64 `json:"rank,omitempty"`
	// Ref names what the message is part of ("broadcast:12"), "<kind>:<id>". The
	// sender asks the tracker of the kind whether it still should go just before
	// sending, and tells it the outcome.
	Ref string `json:"ref,omitempty"`
	// PaidBroadcast is set by the sender, not by who composes the message: send it
	// with allow_paid_broadcast (the bot pays Stars for going past 30 messages/s).
	PaidBroadcast bool `json:"-"`
}

// Validate reports what makes m unsendable.
func (m Message) Validate() error {
	switch {
	case m.Key == "":
		return Errorf(EINVALID, "message has no key")
	case m.Chat == 0:
		return Errorf(EINVALID, "message %s has no chat", m.Key)
	case m.Method == "":
		return Errorf(EINVALID, "message %s has no method", m.Key)
	case m.Priority < PriorityOrder || m.Priority > PriorityBroadcast:
		return Errorf(EINVALID, "message %s has priority %d", m.Key, m.Priority)
	}
	return nil
}

// Priority is how urgent a message is. Higher priorities are sent first and
// take the rate limit's free slots before lower ones.
type Priority int

// Priorities, most urgent first.
const (
	PriorityOrder     Priority = 1 // payments, orders, refunds: seconds matter
	PriorityReminder  Priority = 2 // reminders and alerts (unpaid order, back in stock, reviews)
	PriorityBroadcast Priority = 3 // sellers' broadcasts: bulk, paced
)

// Outcome is what became of a message.
type Outcome string

// Outcomes.
const (
	OutcomeSent    Outcome = "sent"    // Telegram took it
	OutcomeSkipped Outcome = "skipped" // not sent on purpose: its reason went away, the recipient opted out or is unreachable
	OutcomeBlocked Outcome = "blocked" // 403: the user blocked the bot or never started it; marked unreachable
	OutcomeGone    Outcome = "gone"    // 400: the chat or the message to edit no longer exists
	OutcomeFailed  Outcome = "failed"  // refused for good for another reason (bad parameters), or out of retries
)

// SendError is how a transport reports a Bot API call Telegram refused. Any other
// error (the network, a timeout) is retried by the sender as it is.
type SendError struct {
	// Code is Telegram's error_code: 429 too many requests, 403 forbidden, 400 bad
	// request.
	Code int
	// Gone is set on a 400 that says the chat or the message no longer exists ("chat
	// not found", "message to edit not found"): the message is dropped.
	Gone bool
	// RetryAfter is a 429's parameters.retry_after.
	RetryAfter time.Duration
	// Description is Telegram's description.
	Description string
}

func (e *SendError) Error() string {
	if e.RetryAfter > 0 {
		return fmt.Sprintf("telegram %d: %s (retry after %s)", e.Code, e.Description, e.RetryAfter)
	}
	return fmt.Sprintf("telegram %d: %s", e.Code, e.Description)
}
