package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/core/user"
)

// userSetup returns a users service on a fresh database.
func userSetup(t *testing.T) (*user.Service, *core.FakeClock) {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	clock := core.NewFakeClock(time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC))
	return user.NewService(postgres.NewUsers(pool), clock), clock
}

func TestUser_Touch(t *testing.T) {
	t.Parallel()
	svc, _ := userSetup(t)
	ctx := context.Background()

	u, err := svc.Touch(ctx, user.Seen{ID: 42, FirstName: "Аня", Username: "anya", TelegramLang: "ru"})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != 42 || u.FirstName != "Аня" || u.Username != "anya" || u.Lang() != "ru" || u.Unreachable || u.CreatedAt.IsZero() {
		t.Errorf("first Touch() = %+v", u)
	}

	t.Run("UpdatesNameKeepsLanguageWhenNotSent", func(t *testing.T) {
		u, err := svc.Touch(ctx, user.Seen{ID: 42, FirstName: "Anna"})
		if err != nil {
			t.Fatal(err)
		}
		if u.FirstName != "Anna" || u.Username != "" || u.TelegramLang != "ru" {
			t.Errorf("Touch() = %+v", u)
		}
	})
	t.Run("ChosenLanguageWins", func(t *testing.T) {
		if err := svc.SetLanguage(ctx, 42, "en"); err != nil {
			t.Fatal(err)
		}
		u, err := svc.Touch(ctx, user.Seen{ID: 42, FirstName: "Anna", TelegramLang: "ru"})
		if err != nil || u.Lang() != "en" || u.TelegramLang != "ru" {
			t.Errorf("Touch() = %+v, %v", u, err)
		}
		if err := svc.SetLanguage(ctx, 42, "de"); !errors.Is(err, user.ErrLanguage) {
			t.Errorf("SetLanguage(de) = %v", err)
		}
	})
	t.Run("UnreachableUntilTheyWriteAgain", func(t *testing.T) {
		if err := svc.MarkUnreachable(ctx, 42); err != nil {
			t.Fatal(err)
		}
		if u, err := svc.User(ctx, 42); err != nil || !u.Unreachable {
			t.Errorf("User() after MarkUnreachable = %+v, %v", u, err)
		}
		if u, err := svc.Touch(ctx, user.Seen{ID: 42, FirstName: "Anna"}); err != nil || u.Unreachable {
			t.Errorf("Touch() after MarkUnreachable = %+v, %v", u, err)
		}
	})
	t.Run("Unknown", func(t *testing.T) {
		_, err := svc.User(ctx, 7)
		if !errors.Is(err, user.ErrNotFound) || core.ErrorCode(err) != core.ENOTFOUND {
			t.Errorf("User(unknown) = %v", err)
		}
		if err := svc.SetLanguage(ctx, 7, "en"); !errors.Is(err, user.ErrNotFound) {
			t.Errorf("SetLanguage(unknown) = %v", err)
		}
		if err := svc.MarkUnreachable(ctx, 7); err != nil {
			t.Errorf("MarkUnreachable(unknown) = %v", err)
		}
	})
}
