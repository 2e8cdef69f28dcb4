package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// Every package-level name in this file starts with "dialog": other tests share the
// package.

func TestDialog_Store(t *testing.T) {
	pool, _ := pgtest.NewDB(t)
	var store dialog.Store = NewDialogs(pool)
	ctx := context.Background()

	t.Run("NoConversation", func(t *testing.T) {
		if _, ok, err := store.Get(ctx, 1, 1); err != nil || ok {
			t.Errorf("Get = %v, %v; want none", ok, err)
		}
	})
	t.Run("PutGet", func(t *testing.T) {
		before := time.Now().Add(-time.Second)
		s := dialog.State{UserID: 1, ChatID: 1, Kind: "product:add", Step: "price", Data: []byte(`{"title":"Тапки"}`), MessageID: 42}
		if err := store.Put(ctx, s); err != nil {
			t.Fatal(err)
		}
		got, ok, err := store.Get(ctx, 1, 1)
		if err != nil || !ok {
			t.Fatalf("Get = %v, %v", ok, err)
		}
		if got.UserID != 1 || got.ChatID != 1 || got.Kind != "product:add" || got.Step != "price" ||
			string(got.Data) != `{"title": "Тапки"}` || got.MessageID != 42 || got.UpdatedAt.Before(before) {
			t.Errorf("Get = %+v", got)
		}
	})
	t.Run("PutReplaces", func(t *testing.T) {
		if err := store.Put(ctx, dialog.State{UserID: 1, ChatID: 1, Kind: "sell", Step: "name"}); err != nil {
			t.Fatal(err)
		}
		got, _, err := store.Get(ctx, 1, 1)
		if err != nil {
			t.Fatal(err)
		}
		if got.Kind != "sell" || got.Step != "name" || string(got.Data) != "{}" || got.MessageID != 0 {
			t.Errorf("Get after replace = %+v", got)
		}
	})
	t.Run("PerChat", func(t *testing.T) {
		if err := store.Put(ctx, dialog.State{UserID: 1, ChatID: -100, Kind: "other", Step: "x"}); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := store.Get(ctx, 1, 1); got.Kind != "sell" {
			t.Errorf("chat 1's state became %q", got.Kind)
		}
		if _, ok, _ := store.Get(ctx, 2, 1); ok {
			t.Error("user 2 has user 1's state")
		}
	})
	t.Run("NotJSON", func(t *testing.T) {
		err := store.Put(ctx, dialog.State{UserID: 3, ChatID: 3, Kind: "k", Step: "s", Data: []byte("{")})
		if !errors.Is(err, ErrDialogData) {
			t.Errorf("Put = %v, want ErrDialogData", err)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		if err := store.Delete(ctx, 1, 1); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := store.Get(ctx, 1, 1); err != nil || ok {
			t.Errorf("Get after Delete = %v, %v", ok, err)
		}
		if err := store.Delete(ctx, 1, 1); err != nil {
			t.Errorf("deleting nothing: %v", err)
		}
		if _, ok, _ := store.Get(ctx, 1, -100); !ok {
			t.Error("Delete removed another chat's state")
		}
	})
}
