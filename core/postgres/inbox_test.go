package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// Every package-level name in this file starts with "inbox": other tests share the
// package.

func inboxSetup(t *testing.T) (*Inbox, context.Context) {
	t.Helper()
	pool, _ := pgtest.NewDB(t)
	return NewInbox(pool), context.Background()
}

// inboxBody is an update's JSON as PostgreSQL returns it.
func inboxBody(id int) []byte {
	return fmt.Appendf(nil, `{"update_id": %d}`, id)
}

func TestInbox_SaveUpdate(t *testing.T) {
	s, ctx := inboxSetup(t)
	fresh, err := s.SaveUpdate(ctx, 10, 1, inboxBody(10))
	if err != nil || !fresh {
		t.Fatalf("first save = %v, %v; want stored", fresh, err)
	}
	fresh, err = s.SaveUpdate(ctx, 10, 1, []byte(`{"other": true}`))
	if err != nil || fresh {
		t.Fatalf("second save = %v, %v; want a duplicate", fresh, err)
	}
	id, body, found, err := s.NextUpdate(ctx, 1)
	if err != nil || !found || id != 10 || string(body) != string(inboxBody(10)) {
		t.Errorf("NextUpdate = %d, %s, %v, %v; want the first body", id, body, found, err)
	}
	if _, err := s.SaveUpdate(ctx, 11, 1, []byte(`not json`)); err == nil {
		t.Error("saving a body that is not JSON succeeded")
	}
}

// TestInbox_HandledForgetsBody checks that a handled update keeps only what
// de-duplication needs: what a person typed is not kept for the retention period.
func TestInbox_HandledForgetsBody(t *testing.T) {
	s, ctx := inboxSetup(t)
	secret := []byte(`{"update_id": 12, "message": {"text": "381764678:LIVE:provider-secret"}}`)
	if _, err := s.SaveUpdate(ctx, 12, 1, secret); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkHandled(ctx, 12); err != nil {
		t.Fatal(err)
	}
	var body string
	if err := s.pool.QueryRow(ctx, `SELECT body::text FROM telegram_updates WHERE update_id = 12`).Scan(&body); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(body, "provider-secret") {
		t.Errorf("a handled update still holds its text: %s", body)
	}
	if fresh, err := s.SaveUpdate(ctx, 12, 1, secret); err != nil || fresh {
		t.Errorf("redelivery after handling = %v, %v; want a duplicate", fresh, err)
	}
}

func TestInbox_NextUpdate(t *testing.T) {
	s, ctx := inboxSetup(t)
	for _, id := range []int64{5, 3, 4} {
		if _, err := s.SaveUpdate(ctx, id, 7, inboxBody(int(id))); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SaveUpdate(ctx, 1, 8, inboxBody(1)); err != nil { // another chat
		t.Fatal(err)
	}
	var order []int64
	for {
		id, _, found, err := s.NextUpdate(ctx, 7)
		if err != nil {
			t.Fatal(err)
		}
		if !found {
			break
		}
		order = append(order, id)
		if err := s.MarkHandled(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if !slices.Equal(order, []int64{3, 4, 5}) {
		t.Errorf("order %v, want [3 4 5]", order)
	}
	if pending, err := s.HasPending(ctx, 7); err != nil || pending {
		t.Errorf("HasPending(7) = %v, %v after all were handled", pending, err)
	}
	if pending, err := s.HasPending(ctx, 8); err != nil || !pending {
		t.Errorf("HasPending(8) = %v, %v", pending, err)
	}
}

func TestInbox_Lease(t *testing.T) {
	s, ctx := inboxSetup(t)
	const ttl = 200 * time.Millisecond
	inboxAcquire := func(holder string) bool {
		t.Helper()
		ok, err := s.AcquireLease(ctx, 1, holder, ttl)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	t.Run("OneHolderAtATime", func(t *testing.T) {
		if !inboxAcquire("a") {
			t.Fatal("a did not get a free chat")
		}
		if inboxAcquire("b") {
			t.Error("b got a chat a holds")
		}
		if inboxAcquire("a") {
			t.Error("a got the chat twice")
		}
		if ok, err := s.AcquireLease(ctx, 2, "b", ttl); err != nil || !ok {
			t.Errorf("b did not get another chat: %v, %v", ok, err)
		}
	})
	t.Run("Renew", func(t *testing.T) {
		for range 3 {
			time.Sleep(ttl / 2)
			if ok, err := s.RenewLease(ctx, 1, "a", ttl); err != nil || !ok {
				t.Fatalf("RenewLease = %v, %v", ok, err)
			}
		}
		if inboxAcquire("b") {
			t.Error("b got a renewed lease")
		}
		if ok, err := s.RenewLease(ctx, 1, "b", ttl); err != nil || ok {
			t.Errorf("b renewed a's lease: %v, %v", ok, err)
		}
	})
	t.Run("Release", func(t *testing.T) {
		if err := s.ReleaseLease(ctx, 1, "b"); err != nil { // not b's: nothing happens
			t.Fatal(err)
		}
		if inboxAcquire("b") {
			t.Error("b released a's lease")
		}
		if err := s.ReleaseLease(ctx, 1, "a"); err != nil {
			t.Fatal(err)
		}
		if !inboxAcquire("b") {
			t.Error("b did not get a released chat")
		}
	})
	t.Run("Expiry", func(t *testing.T) {
		time.Sleep(ttl + 50*time.Millisecond)
		if !inboxAcquire("c") {
			t.Fatal("c did not get a chat whose lease ran out")
		}
		if ok, err := s.RenewLease(ctx, 1, "b", ttl); err != nil || ok {
			t.Errorf("b renewed a lease c took: %v, %v", ok, err)
		}
	})
}

func TestInbox_Attempts(t *testing.T) {
	s, ctx := inboxSetup(t)
	if _, err := s.SaveUpdate(ctx, 1, 1, inboxBody(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SaveUpdate(ctx, 2, 1, inboxBody(2)); err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 3; want++ {
		attempt, run, err := s.StartAttempt(ctx, 1, 3)
		if err != nil || attempt != want || !run {
			t.Fatalf("StartAttempt %d = %d, %v, %v", want, attempt, run, err)
		}
		failed, err := s.FailAttempt(ctx, 1, "boom\x00 \xff", 3, 0)
		if err != nil || failed != (want == 3) {
			t.Errorf("FailAttempt %d = %v, %v", want, failed, err)
		}
	}
	var lastError string
	if err := s.pool.QueryRow(ctx, `SELECT last_error FROM telegram_updates WHERE update_id = 1`).Scan(&lastError); err != nil {
		t.Fatal(err)
	}
	if lastError != "boom ?" {
		t.Errorf("last_error %q", lastError)
	}
	// Failed, it no longer holds the chat back, and is no longer tried.
	if id, _, found, err := s.NextUpdate(ctx, 1); err != nil || !found || id != 2 {
		t.Errorf("NextUpdate = %d, %v, %v; want 2", id, found, err)
	}
	if attempt, run, err := s.StartAttempt(ctx, 1, 3); err != nil || attempt != 0 || run {
		t.Errorf("StartAttempt on a failed update = %d, %v, %v; want 0, false", attempt, run, err)
	}
	if failed, err := s.FailAttempt(ctx, 1, "again", 3, 0); err != nil || failed {
		t.Errorf("a failed update changed: %v, %v", failed, err)
	}
	long := strings.Repeat("é", inboxMaxErrorText)
	if _, err := s.FailAttempt(ctx, 2, long, 5, 0); err != nil {
		t.Fatalf("a long error: %v", err)
	}
}

// An update whose attempts all started and none recorded its outcome (each killed its
// process) is given up by the next StartAttempt, without running it again.
func TestInbox_AttemptsThatNeverFinish(t *testing.T) {
	s, ctx := inboxSetup(t)
	if _, err := s.SaveUpdate(ctx, 1, 1, inboxBody(1)); err != nil {
		t.Fatal(err)
	}
	for want := 1; want <= 2; want++ {
		if attempt, run, err := s.StartAttempt(ctx, 1, 2); err != nil || attempt != want || !run {
			t.Fatalf("StartAttempt %d = %d, %v, %v", want, attempt, run, err)
		}
	}
	attempt, run, err := s.StartAttempt(ctx, 1, 2)
	if err != nil || attempt != 2 || run {
		t.Fatalf("third StartAttempt = %d, %v, %v; want 2 attempts made, given up", attempt, run, err)
	}
	var lastError string
	if err := s.pool.QueryRow(ctx, `SELECT last_error FROM telegram_updates WHERE update_id = 1 AND failed_at IS NOT NULL`).Scan(&lastError); err != nil {
		t.Fatalf("update 1 not failed: %v", err)
	}
	if !strings.Contains(lastError, "no attempt finished") {
		t.Errorf("last_error %q", lastError)
	}
}

// A failed attempt makes the update wait for its retry time, and the chat's later
// updates with it: NextUpdate, HasPending and StaleChats see nothing to do until then.
func TestInbox_RetryAt(t *testing.T) {
	s, ctx := inboxSetup(t)
	for _, id := range []int64{1, 2} {
		if _, err := s.SaveUpdate(ctx, id, 7, inboxBody(int(id))); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.StartAttempt(ctx, 1, 5); err != nil {
		t.Fatal(err)
	}
	if failed, err := s.FailAttempt(ctx, 1, "down", 5, time.Hour); err != nil || failed {
		t.Fatalf("FailAttempt = %v, %v", failed, err)
	}
	if _, _, found, err := s.NextUpdate(ctx, 7); err != nil || found {
		t.Errorf("NextUpdate while update 1 waits = %v, %v; want nothing (2 waits behind it)", found, err)
	}
	if pending, err := s.HasPending(ctx, 7); err != nil || pending {
		t.Errorf("HasPending while update 1 waits = %v, %v", pending, err)
	}
	if chats, err := s.StaleChats(ctx, 0, 10); err != nil || len(chats) != 0 {
		t.Errorf("StaleChats while update 1 waits = %v, %v", chats, err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE telegram_updates SET retry_at = now() - interval '1 second' WHERE update_id = 1`); err != nil {
		t.Fatal(err)
	}
	if id, _, found, err := s.NextUpdate(ctx, 7); err != nil || !found || id != 1 {
		t.Errorf("NextUpdate when due = %d, %v, %v; want 1", id, found, err)
	}
	if chats, err := s.StaleChats(ctx, 0, 10); err != nil || !slices.Equal(chats, []int64{7}) {
		t.Errorf("StaleChats when due = %v, %v; want [7]", chats, err)
	}
}

func TestInbox_StaleChats(t *testing.T) {
	s, ctx := inboxSetup(t)
	for _, u := range []struct{ id, chat int64 }{{1, 10}, {2, 20}, {3, 30}, {4, 10}} {
		if _, err := s.SaveUpdate(ctx, u.id, u.chat, inboxBody(int(u.id))); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.MarkHandled(ctx, 3); err != nil { // chat 30 has nothing pending
		t.Fatal(err)
	}
	if chats, err := s.StaleChats(ctx, time.Hour, 10); err != nil || len(chats) != 0 {
		t.Errorf("StaleChats(1h) = %v, %v; want none this fresh", chats, err)
	}
	if _, err := s.AcquireLease(ctx, 20, "a", time.Minute); err != nil { // chat 20 is being handled
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	chats, err := s.StaleChats(ctx, 10*time.Millisecond, 10)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(chats, []int64{10}) {
		t.Errorf("StaleChats = %v, want [10]", chats)
	}
}

func TestInbox_Prune(t *testing.T) {
	s, ctx := inboxSetup(t)
	for id := int64(1); id <= 4; id++ {
		if _, err := s.SaveUpdate(ctx, id, 1, inboxBody(int(id))); err != nil {
			t.Fatal(err)
		}
	}
	// 1 handled and 2 failed long ago, 3 pending long ago, 4 handled just now. Failed
	// updates are kept for an operator to replay.
	if _, err := s.pool.Exec(ctx, `UPDATE telegram_updates SET received_at = now() - interval '8 days' WHERE update_id IN (1, 2, 3)`); err != nil {
		t.Fatal(err)
	}
	for _, id := range []int64{1, 4} {
		if err := s.MarkHandled(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := s.StartAttempt(ctx, 2, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := s.FailAttempt(ctx, 2, "x", 1, 0); err != nil {
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
