package inbox_test

import (
	"context"
	"testing"

	"github.com/vitrina-shop/vitrina/bots/telegram/inbox"
)

// TestInbox_PendingBeforeBotKey handles an update that was still pending when
// migration 00012 keyed updates by bot (it left the row to bot 0): the sweeper adopts
// it for its bot and handles it, instead of leaving it pending forever.
func TestInbox_PendingBeforeBotKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := b.pool.Exec(context.Background(),
		`INSERT INTO telegram_updates (bot_id, update_id, chat_key, body) VALUES (0, 41, 9, $1)`,
		messageJSON(41, 9)); err != nil {
		t.Fatal(err)
	}
	runSweeper(t, b.newInbox(t, "a", inbox.Options{}))
	waitFor(t, "the update stored before the migration handled", func() bool { return len(b.bot.handled(9)) == 1 })
}
