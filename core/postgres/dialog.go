package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/dialog"
)

var _ dialog.Store = (*Dialogs)(nil)

// Dialogs keeps conversation states in the conversations table, one per person and
// chat, so any replica continues a conversation another one started.
type Dialogs struct {
	pool *pgxpool.Pool
}

// NewDialogs returns a Dialogs on pool.
func NewDialogs(pool *pgxpool.Pool) *Dialogs { return &Dialogs{pool: pool} }

// ErrDialogData is returned by Put when State.Data is not JSON.
var ErrDialogData = &core.Error{Code: core.EINVALID, Message: "conversation data is not JSON"}

// Get returns the person's state in the chat and true, or false when they are in no
// conversation there. Data comes back as PostgreSQL normalizes JSON (jsonb): the same
// values, perhaps with other spacing and key order.
func (d *Dialogs) Get(ctx context.Context, user core.UserID, chat int64) (dialog.State, bool, error) {
	s := dialog.State{UserID: user, ChatID: chat}
	var messageID int64
	err := d.pool.QueryRow(ctx, `
		SELECT kind, step, data, message_id, updated_at FROM conversations
		WHERE user_id = $1 AND chat_id = $2`,
		user, chat).Scan(&s.Kind, &s.Step, &s.Data, &messageID, &s.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return dialog.State{}, false, nil
	}
	if err != nil {
		return dialog.State{}, false, fmt.Errorf("get conversation of user %d in chat %d: %w", user, chat, err)
	}
	s.MessageID = int(messageID)
	return s, true, nil
}

// Put saves the state, replacing the person's earlier state in the chat. Empty Data is
// stored as {}; Data that is not JSON is refused with ErrDialogData. UpdatedAt is set
// to the database's time and s.UpdatedAt is ignored.
func (d *Dialogs) Put(ctx context.Context, s dialog.State) error {
	data := s.Data
	if len(data) == 0 {
		data = []byte("{}")
	}
	if !json.Valid(data) {
		return ErrDialogData
	}
	_, err := d.pool.Exec(ctx, `
		INSERT INTO conversations (user_id, chat_id, kind, step, data, message_id, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, now())
		ON CONFLICT (user_id, chat_id) DO UPDATE
		SET kind = excluded.kind, step = excluded.step, data = excluded.data,
		    message_id = excluded.message_id, updated_at = excluded.updated_at`,
		s.UserID, s.ChatID, s.Kind, s.Step, data, int64(s.MessageID))
	if err != nil {
		return fmt.Errorf("put conversation of user %d in chat %d: %w", s.UserID, s.ChatID, err)
	}
	return nil
}

// Delete ends the person's conversation in the chat; deleting none is not an error.
func (d *Dialogs) Delete(ctx context.Context, user core.UserID, chat int64) error {
	_, err := d.pool.Exec(ctx, `DELETE FROM conversations WHERE user_id = $1 AND chat_id = $2`, user, chat)
	if err != nil {
		return fmt.Errorf("delete conversation of user %d in chat %d: %w", user, chat, err)
	}
	return nil
}
