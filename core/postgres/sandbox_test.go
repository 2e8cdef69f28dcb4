package postgres_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/vitrina-shop/vitrina/core/postgres"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

func TestSandboxStates(t *testing.T) {
	t.Parallel()
	pool, _ := pgtest.NewDB(t)
	store := postgres.NewSandboxStates(pool)
	ctx := context.Background()

	if _, ok, err := store.Load(ctx, "demo"); ok || err != nil {
		t.Fatalf("Load of nothing saved = %v, %v", ok, err)
	}
	// Bytes as they are: a snapshot may hold anything.
	first := []byte("{\"a\":\"\\u0000\xff\"}\x00")
	if err := store.Save(ctx, "demo", first); err != nil {
		t.Fatal(err)
	}
	if err := store.Save(ctx, "other", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if got, ok, err := store.Load(ctx, "demo"); !ok || err != nil || !bytes.Equal(got, first) {
		t.Fatalf("Load = %q, %v, %v", got, ok, err)
	}
	if err := store.Save(ctx, "demo", []byte("second")); err != nil {
		t.Fatal(err)
	}
	if got, _, _ := store.Load(ctx, "demo"); string(got) != "second" {
		t.Fatalf("after a second Save: %q", got)
	}

	if id, err := store.MaxUpdateID(ctx, 777); err != nil || id != 0 {
		t.Fatalf("MaxUpdateID of an empty inbox = %d, %v", id, err)
	}
	for _, row := range []struct{ bot, id int64 }{{777, 41}, {777, 42}, {888, 900}} {
		if _, err := pool.Exec(ctx, `INSERT INTO telegram_updates (bot_id, update_id, chat_key, body) VALUES ($1, $2, 1, '')`,
			row.bot, row.id); err != nil {
			t.Fatal(err)
		}
	}
	if id, err := store.MaxUpdateID(ctx, 777); err != nil || id != 42 {
		t.Fatalf("MaxUpdateID = %d, %v; want 42 (another bot's ids do not count)", id, err)
	}
}
