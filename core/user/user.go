// Package user keeps what Vitrina knows about the people it talks to: their name,
// their language and whether they can still be reached.
package user

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/vitrina-shop/vitrina/core"
)

// User is a Telegram user who has written to the bot.
type User struct {
	ID           core.UserID
	FirstName    string
	Username     string
	Language     string // chosen with /language; "" means TelegramLang decides
	TelegramLang string // the language_code Telegram sent last
	Unreachable  bool   // they blocked the bot; cleared when they write again
	CreatedAt    time.Time
}

// Lang returns the language to talk to u in: the chosen one, else Telegram's.
func (u User) Lang() string {
	if u.Language != "" {
		return u.Language
	}
	return u.TelegramLang
}

// Seen is what an update tells about its sender.
type Seen struct {
	ID           core.UserID
	FirstName    string
	Username     string
	TelegramLang string
}

// Store keeps users.
type Store interface {
	// Touch inserts or updates the user from what an update said, clears Unreachable,
	// and returns the stored user. An empty TelegramLang keeps the stored one.
	Touch(ctx context.Context, s Seen) (User, error)
	// User returns ErrNotFound if id never wrote.
	User(ctx context.Context, id core.UserID) (User, error)
	// SetLanguage returns ErrNotFound if id never wrote.
	SetLanguage(ctx context.Context, id core.UserID, lang string) error
	// SetUnreachable marks the user unreachable since at (the first time counts);
	// nothing happens for a user who never wrote.
	SetUnreachable(ctx context.Context, id core.UserID, at time.Time) error
}

// Service is the users' service.
type Service struct {
	store Store
	clock core.Clock
}

// NewService returns a Service over store.
func NewService(store Store, clock core.Clock) *Service {
	return &Service{store: store, clock: clock}
}

// Languages Vitrina speaks.
var Languages = []string{"ru", "en"}

// Errors of the users' service.
var (
	ErrLanguage = &core.Error{Code: core.EINVALID, Message: "unsupported language"}
	ErrNotFound = &core.Error{Code: core.ENOTFOUND, Message: "user not found"}
)

// Touch records that the user wrote (or tapped) just now: it stores their name and
// Telegram's language, and clears Unreachable.
func (s *Service) Touch(ctx context.Context, seen Seen) (User, error) {
	u, err := s.store.Touch(ctx, seen)
	if err != nil {
		return User{}, fmt.Errorf("touch user: %w", err)
	}
	return u, nil
}

// User returns the user with id; ErrNotFound if they never wrote.
func (s *Service) User(ctx context.Context, id core.UserID) (User, error) {
	u, err := s.store.User(ctx, id)
	if err != nil {
		return User{}, fmt.Errorf("user %d: %w", id, err)
	}
	return u, nil
}

// Reachable reports whether the bot may write to the user first: false once a
// message was refused (they blocked the bot), until they write again. A user
// Vitrina never saw is reachable as far as it knows (Telegram will tell).
func (s *Service) Reachable(ctx context.Context, id core.UserID) (bool, error) {
	u, err := s.store.User(ctx, id)
	if core.ErrorCode(err) == core.ENOTFOUND {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("user %d: %w", id, err)
	}
	return !u.Unreachable, nil
}

// SetLanguage sets the user's chosen language; ErrLanguage if Vitrina does not speak
// it, ErrNotFound if they never wrote.
func (s *Service) SetLanguage(ctx context.Context, id core.UserID, lang string) error {
	if !slices.Contains(Languages, lang) {
		return ErrLanguage
	}
	if err := s.store.SetLanguage(ctx, id, lang); err != nil {
		return fmt.Errorf("set language: %w", err)
	}
	return nil
}

// MarkUnreachable records that a message to the user was refused (they blocked the
// bot), so senders stop trying until they write again.
func (s *Service) MarkUnreachable(ctx context.Context, id core.UserID) error {
	if err := s.store.SetUnreachable(ctx, id, s.clock.Now()); err != nil {
		return fmt.Errorf("mark unreachable: %w", err)
	}
	return nil
}
