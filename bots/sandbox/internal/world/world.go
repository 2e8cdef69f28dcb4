// Package world holds the sandbox's model of Telegram: the users and chats, the messages in them,
// the files and payments, the queries waiting for the bot's answer, the webhook and the updates
// waiting for the bot, and the events a live view subscribes to; it also renders them as the Bot
// API's objects and saves them as snapshots. It is a package of its own so that the two sides that
// act on one model under one lock, the Bot API methods the bot calls (package botapi) and the users
// that tests and the demo act as (package sandbox), can both reach it without importing each other.
package world

import (
	"encoding/json"
	"slices"
	"sync"
	"time"

	"github.com/mymmrac/telego"
)

// World is the model. Its mutex is the sandbox's one lock: it guards every field, and every method
// whose name ends in Locked expects it held. Nobody holds it while talking to the bot, so the bot
// may call back into the sandbox while an update is in flight.
type World struct {
	sync.Mutex

	// Bot is the bot's identity; Now is the clock for message dates. Both are set by New and never
	// change, so they may be read without the lock.
	Bot Bot
	Now func() time.Time

	Users      map[int64]*UserState
	Chats      map[int64]*ChatState
	NextUserID int64
	NextChatID int64

	Files     map[string]*File // by file_id
	FilePaths map[string]*File // by file_path
	FileSeq   int

	UpdateSeq int
	Webhook   Webhook
	Queue     []QueuedUpdate // for getUpdates, when no webhook is set
	QueueWake chan struct{}  // closed and replaced when the queue grows or pollers must wake
	PollGen   int            // counts getUpdates calls; a newer one ends a waiting one
	Recent    []SentUpdate   // the last updates sent, for redelivery
	Failed    []SentUpdate   // updates the webhook refused, oldest first

	Queries  map[string]*Query
	querySeq int

	InvoiceLinks map[string]*Invoice
	// InlineMessages are the messages users sent through the bot's inline mode
	// with an inline keyboard, by inline_message_id: the bot edits them so.
	InlineMessages map[string]InlineRef
	Payments       []*Payment
	StarTxns       []telego.StarTransaction

	Commands    map[string][]telego.BotCommand // by scope and language
	MenuButtons map[int64]json.RawMessage      // by chat id; 0 is the default
	BotTexts    map[string]string              // name, description, short_description by language

	// Closed is set by CloseLocked: waits end and new queries expire at once.
	Closed bool

	changed    chan struct{} // closed and replaced on every change of the model
	generation uint64        // counts the changes of the model

	subs subscribers // has its own lock; see events.go
}

// New returns an empty world for bot, with now as its clock.
func New(bot Bot, now func() time.Time) *World {
	return &World{
		Bot:            bot,
		Now:            now,
		Users:          make(map[int64]*UserState),
		Chats:          make(map[int64]*ChatState),
		NextUserID:     1000001,
		NextChatID:     1,
		Files:          make(map[string]*File),
		FilePaths:      make(map[string]*File),
		QueueWake:      make(chan struct{}),
		Webhook:        Webhook{MaxConnections: 40},
		Queries:        make(map[string]*Query),
		InvoiceLinks:   make(map[string]*Invoice),
		InlineMessages: make(map[string]InlineRef),
		Commands:       make(map[string][]telego.BotCommand),
		MenuButtons:    make(map[int64]json.RawMessage),
		BotTexts:       make(map[string]string),
		changed:        make(chan struct{}),
		subs:           subscribers{chans: make(map[int]chan Event)},
	}
}

// NotifyLocked wakes everything waiting for a change of the model (ChangedLocked) and counts the
// change (GenerationLocked). Every change a Snapshot would show calls it.
func (w *World) NotifyLocked() {
	w.generation++
	close(w.changed)
	w.changed = make(chan struct{})
}

// ChangedLocked returns a channel closed at the next change of the model.
func (w *World) ChangedLocked() <-chan struct{} { return w.changed }

// GenerationLocked returns the number of changes of the model so far.
func (w *World) GenerationLocked() uint64 { return w.generation }

// WakePollersLocked wakes a getUpdates waiting for updates, to look at the queue again.
func (w *World) WakePollersLocked() {
	close(w.QueueWake)
	w.QueueWake = make(chan struct{})
}

// CloseLocked ends the world's waits: long polls return, pending queries fail.
func (w *World) CloseLocked() {
	w.Closed = true
	w.WakePollersLocked()
	for _, q := range w.Queries {
		q.ExpireLocked()
	}
	w.NotifyLocked()
}

// UserState is a persona as the world holds it.
type UserState struct {
	Spec    UserSpec
	Started bool // the user has talked to the bot, so the bot may write to them
	Blocked bool // the user blocked the bot
}

// ChatState is a chat with its history.
type ChatState struct {
	Info     ChatInfo
	Messages []*Message // in id order
	LastID   int
	Members  map[int64]MemberStatus
	Action   string // the bot's last chat action, and when it came
	ActionAt time.Time
}

// Message returns the message with id, deleted or not; nil when there is none.
func (c *ChatState) Message(id int) *Message {
	// Ids increase with the slice index, so search.
	i, found := slices.BinarySearchFunc(c.Messages, id, func(m *Message, id int) int { return m.ID - id })
	if !found {
		return nil
	}
	return c.Messages[i]
}

// CopyMessages returns copies of the chat's messages, to keep after the lock is released.
func (c *ChatState) CopyMessages() []Message {
	out := make([]Message, len(c.Messages))
	for i, m := range c.Messages {
		out[i] = CopyMessage(m)
	}
	return out
}

// AppendLocked adds m to chat with the next message id and announces it.
func (w *World) AppendLocked(c *ChatState, m *Message) *Message {
	c.LastID++
	m.ID = c.LastID
	m.ChatID = c.Info.ID
	if m.Date.IsZero() {
		m.Date = w.Now()
	}
	c.Messages = append(c.Messages, m)
	w.PublishLocked(Event{Kind: EventMessageNew, ChatID: c.Info.ID, Message: new(CopyMessage(m))})
	return m
}

// InlineRef is where a message sent through inline mode is.
type InlineRef struct {
	ChatID    int64
	MessageID int
}
