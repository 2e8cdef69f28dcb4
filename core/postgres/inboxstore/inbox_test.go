package inboxstore

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
	"github.com/vitrina-shop/vitrina/migrations"
)

// Every package-level name in this file starts with "inbox": other tests share the
// package.

// inboxBot is the bot whose updates the tests store.
const inboxBot = 123456

func inboxSetup(t *testing.T) (*Store, context.Context) {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	return New(pool), context.Background()
}

// inboxBody is an update's JSON.
func inboxBody(id int) []byte {
	return fmt.Appendf(nil, `{"update_id": %d}`, id)
}

// inboxSave stores updates of inboxBot in chat, failing the test on an error.
func inboxSave(t *testing.T, s *Store, chat int64, ids ...int64) {
	t.Helper()
	for _, id := range ids {
		if _, err := s.SaveUpdate(context.Background(), inboxBot, id, chat, inboxBody(int(id))); err != nil {
			t.Fatal(err)
		}
	}
}

func TestInbox_SaveUpdate(t *testing.T) {
	t.Parallel()
	s, ctx := inboxSetup(t)
	fresh, err := s.SaveUpdate(ctx, inboxBot, 10, 1, inboxBody(10))
	if err != nil || !fresh {
		t.Fatalf("first save = %v, %v; want stored", fresh, err)
	}
	fresh, err = s.SaveUpdate(ctx, inboxBot, 10, 1, []byte(`{"other": true}`))
	if err != nil || fresh {
		t.Fatalf("second save = %v, %v; want a duplicate", fresh, err)
	}
	id, body, found, err := s.NextUpdate(ctx, inboxBot, 1)
	if err != nil || !found || id != 10 || string(body) != string(inboxBody(10)) {
		t.Errorf("NextUpdate = %d, %s, %v, %v; want the first body", id, body, found, err)
	}

	t.Run("AnotherBot", func(t *testing.T) {
		// update_id is unique per bot: a new token numbers from 1 again.
		fresh, err := s.SaveUpdate(ctx, 999, 10, 1, inboxBody(10))
		if err != nil || !fresh {
			t.Errorf("the same update_id of another bot = %v, %v; want stored", fresh, err)
		}
		if id, _, found, err := s.NextUpdate(ctx, 999, 1); err != nil || !found || id != 10 {
			t.Errorf("NextUpdate of the other bot = %d, %v, %v", id, found, err)
		}
	})
	t.Run("ByteForByte", func(t *testing.T) {
		// What a jsonb column refused: NUL escapes, lone surrogates, invalid UTF-8, and
		// whatever else arrives.
		for i, raw := range []string{
			`{"update_id":20,"message":{"text":"a\u0000b"}}`,
			`{"update_id":21,"message":{"text":"\ud800"}}`,
			"{\"update_id\":22,\"message\":{\"text\":\"\xff\xfe\"}}",
			"not json at all \x00",
		} {
			id := int64(20 + i)
			if fresh, err := s.SaveUpdate(ctx, inboxBot, id, 50+id, []byte(raw)); err != nil || !fresh {
				t.Fatalf("save %q = %v, %v", raw, fresh, err)
			}
			if _, body, _, err := s.NextUpdate(ctx, inboxBot, 50+id); err != nil || !bytes.Equal(body, []byte(raw)) {
				t.Errorf("stored %q, read back %q (%v)", raw, body, err)
			}
		}
	})
}

func TestInbox_SaveFailed(t *testing.T) {
	t.Parallel()
	s, ctx := inboxSetup(t)
	raw := []byte(`{"update_id":5,"message":{"forward_origin":{"type":"new"}}}`)
	fresh, err := s.SaveFailed(ctx, inboxBot, 5, 0, raw, "decode: unknown origin \x00")
	if err != nil || !fresh {
		t.Fatalf("SaveFailed = %v, %v", fresh, err)
	}
	if fresh, err := s.SaveFailed(ctx, inboxBot, 5, 0, raw, "again"); err != nil || fresh {
		t.Errorf("SaveFailed again = %v, %v; want a duplicate", fresh, err)
	}
	if fresh, err := s.SaveUpdate(ctx, inboxBot, 5, 0, raw); err != nil || fresh {
		t.Errorf("SaveUpdate of a failed update = %v, %v; want a duplicate", fresh, err)
	}
	var body []byte
	var lastError string
	if err := s.pool.QueryRow(ctx, `SELECT body, last_error FROM telegram_updates WHERE update_id = 5 AND failed_at IS NOT NULL`).Scan(&body, &lastError); err != nil {
		t.Fatalf("not stored as failed: %v", err)
	}
	if !bytes.Equal(body, raw) || lastError != "decode: unknown origin " {
		t.Errorf("stored %s with %q", body, lastError)
	}
	if pending, err := s.HasPending(ctx, inboxBot, 0); err != nil || pending {
		t.Errorf("HasPending = %v, %v; a failed update is not pending", pending, err)
	}
}

// TestInbox_HandledForgetsBody checks that a handled update keeps only what
// de-duplication needs: what a person typed is not kept for the retention period.
func TestInbox_HandledForgetsBody(t *testing.T) {
	t.Parallel()
	s, ctx := inboxSetup(t)
	secret := []byte(`{"update_id": 12, "message": {"text": "381764678:LIVE:provider-secret"}}`)
	if _, err := s.SaveUpdate(ctx, inboxBot, 12, 1, secret); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkHandled(ctx, inboxBot, 12); err != nil {
		t.Fatal(err)
	}
	var body []byte
	if err := s.pool.QueryRow(ctx, `SELECT body FROM telegram_updates WHERE update_id = 12`).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if len(body) != 0 {
		t.Errorf("a handled update still holds its body: %s", body)
	}
	if fresh, err := s.SaveUpdate(ctx, inboxBot, 12, 1, secret); err != nil || fresh {
		t.Errorf("redelivery after handling = %v, %v; want a duplicate", fresh, err)
	}
}

func TestInbox_NextUpdate(t *testing.T) {
	t.Parallel()
	s, ctx := inboxSetup(t)
	inboxSave(t, s, 7, 5, 3, 4)
	inboxSave(t, s, 8, 1)                                                 // another chat
	if _, err := s.SaveUpdate(ctx, 999, 2, 7, inboxBody(2)); err != nil { // another bot
		t.Fatal(err)
	}
	var order []int64
	for {
		id, _, found, err := s.NextUpdate(ctx, inboxBot, 7)
		if err != nil {
			t.Fatal(err)
		}
		if !found {
			break
		}
		order = append(order, id)
		if err := s.MarkHandled(ctx, inboxBot, id); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(order, []int64{3, 4, 5}) {
		t.Errorf("order %v, want [3 4 5]", order)
	}
	if pending, err := s.HasPending(ctx, inboxBot, 7); err != nil || pending {
		t.Errorf("HasPending(7) = %v, %v after all were handled", pending, err)
	}
	if pending, err := s.HasPending(ctx, inboxBot, 8); err != nil || !pending {
		t.Errorf("HasPending(8) = %v, %v", pending, err)
	}
}

// TestInbox_Lease runs leases out in SQL instead of waiting for them. Each subtest
// has a database of its own, and sets up the leases it starts from.
func TestInbox_Lease(t *testing.T) {
	t.Parallel()
	const ttl = time.Minute
	// setup returns a store, and acquire, which takes chat 1's lease for holder.
	setup := func(t *testing.T) (s *Store, ctx context.Context, acquire func(holder string) bool) {
		t.Helper()
		s, ctx = inboxSetup(t)
		return s, ctx, func(holder string) bool {
			t.Helper()
			ok, err := s.AcquireLease(ctx, 1, holder, ttl)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
	}
	t.Run("OneHolderAtATime", func(t *testing.T) {
		t.Parallel()
		s, ctx, acquire := setup(t)
		if !acquire("a") {
			t.Fatal("a did not get a free chat")
		}
		if acquire("b") {
			t.Error("b got a chat a holds")
		}
		if acquire("a") {
			t.Error("a got the chat twice")
		}
		if ok, err := s.AcquireLease(ctx, 2, "b", ttl); err != nil || !ok {
			t.Errorf("b did not get another chat: %v, %v", ok, err)
		}
	})
	t.Run("Renew", func(t *testing.T) {
		t.Parallel()
		s, ctx, acquire := setup(t)
		if !acquire("a") {
			t.Fatal("a did not get a free chat")
		}
		// About to run out: the renewal gives it the whole TTL again.
		if _, err := s.pool.Exec(ctx, `UPDATE chat_leases SET expires_at = now() + interval '1 second' WHERE chat_key = 1`); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.RenewLease(ctx, 1, "a", ttl); err != nil || !ok {
			t.Fatalf("RenewLease = %v, %v", ok, err)
		}
		var left time.Duration
		if err := s.pool.QueryRow(ctx, `SELECT expires_at - now() FROM chat_leases WHERE chat_key = 1`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left < ttl-10*time.Second {
			t.Errorf("renewed lease runs out in %v, want about %v", left, ttl)
		}
		if acquire("b") {
			t.Error("b got a renewed lease")
		}
		if ok, err := s.RenewLease(ctx, 1, "b", ttl); err != nil || ok {
			t.Errorf("b renewed a's lease: %v, %v", ok, err)
		}
	})
	t.Run("Release", func(t *testing.T) {
		t.Parallel()
		s, ctx, acquire := setup(t)
		if !acquire("a") {
			t.Fatal("a did not get a free chat")
		}
		if err := s.ReleaseLease(ctx, 1, "b"); err != nil { // not b's: nothing happens
			t.Fatal(err)
		}
		if acquire("b") {
			t.Error("b released a's lease")
		}
		if err := s.ReleaseLease(ctx, 1, "a"); err != nil {
			t.Fatal(err)
		}
		if !acquire("b") {
			t.Error("b did not get a released chat")
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		t.Parallel()
		s, ctx, acquire := setup(t)
		if !acquire("b") {
			t.Fatal("b did not get a free chat")
		}
		if _, err := s.pool.Exec(ctx, `UPDATE chat_leases SET expires_at = now() - interval '1 second' WHERE chat_key = 1`); err != nil {
			t.Fatal(err)
		}
		if !acquire("c") {
			t.Fatal("c did not get a chat whose lease ran out")
		}
		if ok, err := s.RenewLease(ctx, 1, "b", ttl); err != nil || ok {
			t.Errorf("b renewed a lease c took: %v, %v", ok, err)
		}
		if err := s.ReleaseLease(ctx, 1, "b"); err != nil {
			t.Fatal(err)
		}
		if acquire("d") {
			t.Error("b released the lease c took")
		}
	})
}

// inboxStart is StartAttempt's answer.
type inboxStart struct{ attempt, unfinished, failures int }

func TestInbox_Attempts(t *testing.T) {
	t.Parallel()
	s, ctx := inboxSetup(t)
	inboxSave(t, s, 1, 1, 2)
	start := func(id int64) inboxStart {
		t.Helper()
		a, u, f, age, err := s.StartAttempt(ctx, inboxBot, id)
		if err != nil {
			t.Fatal(err)
		}
		if a > 0 && (age < 0 || age > time.Minute) {
			t.Errorf("age %v of a fresh update", age)
		}
		return inboxStart{a, u, f}
	}
	// A counted failure, an outage failure (not counted), two attempts that never
	// finished, then a counted failure that gives up.
	if got := start(1); got != (inboxStart{1, 1, 0}) {
		t.Errorf("attempt 1 = %+v", got)
	}
	if ok, err := s.FailAttempt(ctx, inboxBot, 1, "bug", true, false, 0); err != nil || !ok {
		t.Fatalf("FailAttempt = %v, %v", ok, err)
	}
	if got := start(1); got != (inboxStart{2, 1, 1}) {
		t.Errorf("attempt 2 = %+v", got)
	}
	if _, err := s.FailAttempt(ctx, inboxBot, 1, "502", false, false, 0); err != nil {
		t.Fatal(err)
	}
	start(1)
	if got := start(1); got != (inboxStart{4, 2, 1}) {
		t.Errorf("attempt 4, after one that never finished = %+v", got)
	}
	if ok, err := s.FailAttempt(ctx, inboxBot, 1, "boom\x00 \xff", true, true, 0); err != nil || !ok {
		t.Fatalf("FailAttempt giving up = %v, %v", ok, err)
	}
	var lastError string
	var failures, unfinished int
	if err := s.pool.QueryRow(ctx, `SELECT last_error, failures, unfinished FROM telegram_updates WHERE update_id = 1 AND failed_at IS NOT NULL`).Scan(&lastError, &failures, &unfinished); err != nil {
		t.Fatalf("update 1 not failed: %v", err)
	}
	if lastError != "boom ?" || failures != 2 || unfinished != 0 {
		t.Errorf("last_error %q, failures %d, unfinished %d", lastError, failures, unfinished)
	}
	// Failed, it no longer holds the chat back, and is no longer tried.
	if id, _, found, err := s.NextUpdate(ctx, inboxBot, 1); err != nil || !found || id != 2 {
		t.Errorf("NextUpdate = %d, %v, %v; want 2", id, found, err)
	}
	if got := start(1); got != (inboxStart{}) {
		t.Errorf("StartAttempt on a failed update = %+v; want nothing", got)
	}
	if ok, err := s.FailAttempt(ctx, inboxBot, 1, "again", true, true, 0); err != nil || ok {
		t.Errorf("a failed update changed: %v, %v", ok, err)
	}
	long := strings.Repeat("é", 2000) // longer than a text kept (store.ErrorText)
	if _, err := s.FailAttempt(ctx, inboxBot, 2, long, true, false, 0); err != nil {
		t.Fatalf("a long error: %v", err)
	}
}

func TestInbox_AttemptAge(t *testing.T) {
	t.Parallel()
	s, ctx := inboxSetup(t)
	inboxSave(t, s, 1, 1)
	if _, err := s.pool.Exec(ctx, `UPDATE telegram_updates SET received_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	_, _, _, age, err := s.StartAttempt(ctx, inboxBot, 1)
	if err != nil || age < 2*time.Hour || age > 2*time.Hour+time.Minute {
		t.Errorf("age = %v, %v; want 2 hours", age, err)
	}
}

func TestInbox_UpdateStatus(t *testing.T) {
	t.Parallel()
	s, ctx := inboxSetup(t)
	inboxSave(t, s, 7, 1)
	status := func() (settled, found bool) {
		t.Helper()
		chat, settled, found, err := s.UpdateStatus(ctx, inboxBot, 1)
		if err != nil || (found && chat != 7) {
			t.Fatalf("UpdateStatus = %d, %v", chat, err)
		}
		return settled, found
	}
	if settled, found := status(); settled || !found {
		t.Errorf("never tried: settled %v, found %v", settled, found)
	}
	s.StartAttempt(ctx, inboxBot, 1)
	if settled, _ := status(); settled {
		t.Error("settled while its attempt runs")
	}
	s.FailAttempt(ctx, inboxBot, 1, "x", true, false, time.Hour)
	if settled, _ := status(); !settled {
		t.Error("not settled while it waits for a retry")
	}
	s.StartAttempt(ctx, inboxBot, 1)
	s.MarkHandled(ctx, inboxBot, 1)
	if settled, _ := status(); !settled {
		t.Error("not settled once handled")
	}
	if _, _, found, err := s.UpdateStatus(ctx, inboxBot, 2); err != nil || found {
		t.Errorf("an update never stored: found %v, %v", found, err)
	}
}

// A failed attempt makes the update wait for its retry time, and the chat's later
// updates with it: NextUpdate, HasPending and StaleChats see nothing to do until then.
func TestInbox_RetryAt(t *testing.T) {
	t.Parallel()
	s, ctx := inboxSetup(t)
	inboxSave(t, s, 7, 1, 2)
	if _, _, _, _, err := s.StartAttempt(ctx, inboxBot, 1); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.FailAttempt(ctx, inboxBot, 1, "down", false, false, time.Hour); err != nil || !ok {
		t.Fatalf("FailAttempt = %v, %v", ok, err)
	}
	if _, _, found, err := s.NextUpdate(ctx, inboxBot, 7); err != nil || found {
		t.Errorf("NextUpdate while update 1 waits = %v, %v; want nothing (2 waits behind it)", found, err)
	}
	if pending, err := s.HasPending(ctx, inboxBot, 7); err != nil || pending {
		t.Errorf("HasPending while update 1 waits = %v, %v", pending, err)
	}
	if chats, err := s.StaleChats(ctx, inboxBot, 0, 10); err != nil || len(chats) != 0 {
		t.Errorf("StaleChats while update 1 waits = %v, %v", chats, err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE telegram_updates SET retry_at = now() - interval '1 second' WHERE update_id = 1`); err != nil {
		t.Fatal(err)
	}
	if id, _, found, err := s.NextUpdate(ctx, inboxBot, 7); err != nil || !found || id != 1 {
		t.Errorf("NextUpdate when due = %d, %v, %v; want 1", id, found, err)
	}
	if chats, err := s.StaleChats(ctx, inboxBot, 0, 10); err != nil || !slices.Equal(chats, []int64{7}) {
		t.Errorf("StaleChats when due = %v, %v; want [7]", chats, err)
	}
}

func TestInbox_StaleChats(t *testing.T) {
	t.Parallel()
	s, ctx := inboxSetup(t)
	for _, u := range []struct{ id, chat int64 }{{1, 10}, {2, 20}, {3, 30}, {4, 10}} {
		inboxSave(t, s, u.chat, u.id)
	}
	if _, err := s.SaveUpdate(ctx, 999, 9, 40, inboxBody(9)); err != nil { // another bot's
		t.Fatal(err)
	}
	if err := s.MarkHandled(ctx, inboxBot, 3); err != nil { // chat 30 has nothing pending
		t.Fatal(err)
	}
	if chats, err := s.StaleChats(ctx, inboxBot, time.Hour, 10); err != nil || len(chats) != 0 {
		t.Errorf("StaleChats(1h) = %v, %v; want none this fresh", chats, err)
	}
	if _, err := s.AcquireLease(ctx, 20, "a", time.Minute); err != nil { // chat 20 is being handled
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE telegram_updates SET received_at = now() - interval '2 hours'`); err != nil {
		t.Fatal(err)
	}
	chats, err := s.StaleChats(ctx, inboxBot, time.Hour, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(chats, []int64{10}) {
		t.Errorf("StaleChats = %v, want [10]", chats)
	}
}

func TestInbox_Prune(t *testing.T) {
	t.Parallel()
	s, ctx := inboxSetup(t)
	inboxSave(t, s, 1, 1, 2, 3, 4)
	// 1 handled and 2 failed long ago, 3 pending long ago, 4 handled just now. Failed
	// updates are kept for an operator to replay.
	if _, err := s.pool.Exec(ctx, `UPDATE telegram_updates SET received_at = now() - interval '8 days' WHERE update_id IN (1, 2, 3)`); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{1, 4} {
		if err := s.MarkHandled(ctx, inboxBot, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, _, _, err := s.StartAttempt(ctx, inboxBot, 2); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FailAttempt(ctx, inboxBot, 2, "x", true, true, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO chat_leases VALUES (5, 'dead', now() - interval '2 hours'), (6, 'alive', now() + interval '1 minute')`); err != nil {
		t.Fatal(err)
	}
	n, err := s.Prune(ctx, 7*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("Prune = %d, %v; want 1", n, err)
	}
	var left []int64
	rows, _ := s.pool.Query(ctx, `SELECT update_id FROM telegram_updates ORDER BY update_id`)
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		left = append(left, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left, []int64{2, 3, 4}) {
		t.Errorf("left %v, want [2 3 4]", left)
	}
	var leases int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM chat_leases`).Scan(&leases); err != nil || leases != 1 {
		t.Errorf("%d leases left (%v), want the live one", leases, err)
	}
}

// TestInbox_MigrationToBytes applies the migrations up to 00011 in a schema of its own,
// stores updates the old way (jsonb, keyed by update_id), and checks that 00012 keeps
// them: the body as its JSON text, bot 0, pending ones still pending.
func TestInbox_MigrationToBytes(t *testing.T) {
	t.Parallel()
	pool, url := pgtest.NewDB(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE SCHEMA old`); err != nil {
		t.Fatal(err)
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		t.Fatal(err)
	}
	cfg.RuntimeParams["search_path"] = "old"
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, migrations.FS, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.UpTo(ctx, 11); err != nil {
		t.Fatalf("up to 11: %v", err)
	}
	if _, err := db.ExecContext(ctx, `
		INSERT INTO telegram_updates (update_id, chat_key, body, attempts) VALUES
			(1, 7, '{"update_id": 1, "message": {"text": "привет"}}', 2),
			(2, 7, '{}', 0)`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, `UPDATE telegram_updates SET handled_at = now() WHERE update_id = 2`); err != nil {
		t.Fatal(err)
	}
	if _, err := provider.UpTo(ctx, 12); err != nil {
		t.Fatalf("up to 12: %v", err)
	}
	var body []byte
	var botID int64
	var failures int
	if err := db.QueryRowContext(ctx, `SELECT body, bot_id, failures FROM telegram_updates WHERE update_id = 1 AND handled_at IS NULL`).Scan(&body, &botID, &failures); err != nil {
		t.Fatal(err)
	}
	if string(body) != `{"message": {"text": "привет"}, "update_id": 1}` || botID != 0 || failures != 2 {
		t.Errorf("update 1 became %s, bot %d, failures %d", body, botID, failures)
	}
	// The same update_id of another bot is another update.
	if _, err := db.ExecContext(ctx, `INSERT INTO telegram_updates (bot_id, update_id, chat_key, body) VALUES (5, 1, 7, '\x00')`); err != nil {
		t.Errorf("update 1 of bot 5: %v", err)
	}
	if _, err := provider.DownTo(ctx, 11); err == nil {
		t.Error("down to 11 converted a body that is not JSON")
	}
	if _, err := db.ExecContext(ctx, `DELETE FROM telegram_updates WHERE bot_id = 5`); err != nil {
		t.Fatal(err)
	}
	if _, err := provider.DownTo(ctx, 11); err != nil {
		t.Errorf("down to 11: %v", err)
	}
}

// TestInbox_AdoptUpdates takes over the pending updates migration 00012 left to bot 0,
// except one whose id the bot has already, and leaves handled and failed ones alone.
func TestInbox_AdoptUpdates(t *testing.T) {
	t.Parallel()
	s, ctx := inboxSetup(t)
	if _, err := s.pool.Exec(ctx, `
		INSERT INTO telegram_updates (bot_id, update_id, chat_key, body, handled_at, failed_at) VALUES
			(0, 1, 7, '\x7b7d', NULL, NULL),
			(0, 2, 7, '\x7b7d', now(), NULL),
			(0, 3, 7, '\x7b7d', NULL, now()),
			(0, 4, 8, '\x7b7d', NULL, NULL)`); err != nil {
		t.Fatal(err)
	}
	inboxSave(t, s, 8, 4) // the bot's own update 4: bot 0's stays behind
	n, err := s.AdoptUpdates(ctx, inboxBot)
	if err != nil || n != 1 {
		t.Fatalf("AdoptUpdates = %d, %v; want 1", n, err)
	}
	id, _, found, err := s.NextUpdate(ctx, inboxBot, 7)
	if err != nil || !found || id != 1 {
		t.Errorf("NextUpdate of chat 7 = %d, %v, %v; want the adopted update 1", id, found, err)
	}
	var left []int64
	rows, err := s.pool.Query(ctx, `SELECT update_id FROM telegram_updates WHERE bot_id = 0 ORDER BY update_id`)
	if err != nil {
		t.Fatal(err)
	}
	if left, err = pgx.CollectRows(rows, pgx.RowTo[int64]); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(left, []int64{2, 3, 4}) {
		t.Errorf("left to bot 0: %v, want [2 3 4]", left)
	}
}
