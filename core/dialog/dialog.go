// Package dialog keeps the step a person is at in a guided conversation (opening a
// shop, adding a product, importing stock), in storage, so that whichever replica
// takes their next message continues where they were.
package dialog

import (
	"context"
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

// State is one person's place in a conversation in one chat.
type State struct {
	UserID    core.UserID
	ChatID    int64
	Kind      string // which conversation: "sell", "product:add", ...
	Step      string // where in it
	Data      []byte // what was collected so far, as JSON
	MessageID int    // the bot's message edited in place, if any
	UpdatedAt time.Time
}

// Store keeps conversation states. Implemented by core/postgres.
type Store interface {
	// Get returns the state and true, or false if the person is in no conversation.
	Get(ctx context.Context, user core.UserID, chat int64) (State, bool, error)
	// Put saves the state, replacing any earlier one of the person in the chat.
	Put(ctx context.Context, s State) error
	// Delete ends the conversation; deleting none is not an error.
	Delete(ctx context.Context, user core.UserID, chat int64) error
}
