package inbox

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/mymmrac/telego"
)

// Poll receives updates by long polling (getUpdates) until ctx ends, then waits for
// the drains it started and returns nil. Each batch is stored update by update; the
// offset moves past an update only once it is stored, so an update that could not be
// stored is fetched again. The batch's chats are then drained in the background, at
// most Options.MaxParallel at once. Errors of getUpdates or of the store are logged
// and retried with a growing pause (1 s to 30 s).
//
// allowedUpdates is passed to getUpdates (nil keeps Telegram's setting). A webhook
// must not be set: Telegram refuses getUpdates while one is.
func (i *Inbox) Poll(ctx context.Context, bot *telego.Bot, allowedUpdates []string) error {
	var drains sync.WaitGroup
	defer drains.Wait()
	pause := backoff{min: time.Second, max: 30 * time.Second}
	offset := 0
	for ctx.Err() == nil {
		updates, err := bot.GetUpdates(ctx, &telego.GetUpdatesParams{
			Offset:         offset,
			Timeout:        int(i.opt.PollTimeout / time.Second),
			AllowedUpdates: allowedUpdates,
		})
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			i.log.Warn("poll: get updates", "error", err)
			sleep(ctx, pause.next())
			continue
		}
		var chats []int64
		seen := map[int64]bool{}
		stored := true
		for _, u := range updates {
			chat, err := i.savePolled(ctx, u)
			if err != nil {
				if ctx.Err() == nil {
					i.log.Warn("poll: update not stored; fetching it again", "update_id", u.UpdateID, "error", err)
				}
				stored = false
				break
			}
			if u.UpdateID >= offset {
				offset = u.UpdateID + 1
			}
			if !seen[chat] {
				seen[chat] = true
				chats = append(chats, chat)
			}
		}
		for _, chat := range chats {
			if !i.kick(ctx, &drains, chat) {
				break
			}
		}
		if stored {
			pause.reset()
		} else {
			sleep(ctx, pause.next())
		}
	}
	return nil
}

// savePolled stores an update received by getUpdates.
func (i *Inbox) savePolled(ctx context.Context, u telego.Update) (int64, error) {
	body, err := json.Marshal(u)
	if err != nil {
		return 0, fmt.Errorf("encode update %d: %w", u.UpdateID, err)
	}
	return i.save(ctx, u, body)
}

// backoff is a pause that doubles on each failure up to max.
type backoff struct {
	min, max, cur time.Duration
}

func (b *backoff) next() time.Duration {
	if b.cur == 0 {
		b.cur = b.min
	} else {
		b.cur = min(2*b.cur, b.max)
	}
	return b.cur
}

func (b *backoff) reset() { b.cur = 0 }

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
