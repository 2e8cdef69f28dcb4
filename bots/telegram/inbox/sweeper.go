package inbox

import (
	"context"
	"sync"
	"time"
)

// RunSweeper has the chats of updates drained in the background, at most
// Options.MaxParallel at once, until ctx ends: the chats the webhook stored updates
// of, at once; and every Options.SweepEvery the chats with updates no one is handling:
// updates whose replica crashed between storing and handling them (after
// Options.StaleAfter), whose lease ran out, or whose handler failed and that are due
// for another attempt. Every minute it also deletes handled updates older than
// Options.Retention, and adopts pending updates stored before they were keyed by bot. Run it on every replica that takes updates (and one per Inbox):
// the leases keep them from handling a chat twice at once.
//
// It returns nil when ctx ends, after the drains it started finish their update in
// progress (the rest stays stored for the next sweep, here or on another replica).
// Store errors are logged and the next sweep tries again.
func (i *Inbox) RunSweeper(ctx context.Context) error {
	var drains sync.WaitGroup
	defer drains.Wait()
	t := time.NewTicker(i.opt.SweepEvery)
	defer t.Stop()
	var pruned time.Time
	sweep := true
	for {
		if sweep {
			i.sweep(ctx, &drains)
			if time.Since(pruned) >= pruneEvery && ctx.Err() == nil {
				pruned = time.Now()
				i.adopt(ctx)
				if n, err := i.store.Prune(ctx, i.opt.Retention); err != nil {
					i.log.Warn("sweeper: prune handled updates", "error", err)
				} else if n > 0 {
					i.log.Debug("sweeper: pruned handled updates", "deleted", n)
				}
			}
		}
		i.dispatch(ctx, &drains)
		select {
		case <-ctx.Done():
			return nil
		case <-i.wake:
			sweep = false
		case <-t.C:
			sweep = true
		}
	}
}

// adopt takes over the pending updates stored before updates were keyed by bot (bot
// 0, see migration 00012), so that the sweeps find them. It runs with the prunes:
// first when the sweeper starts, then every minute, which also covers a replica of an
// older version still storing updates during a rolling deploy.
func (i *Inbox) adopt(ctx context.Context) {
	if i.opt.BotID == 0 {
		return
	}
	n, err := i.store.AdoptUpdates(ctx, i.opt.BotID)
	if err != nil {
		i.log.Warn("sweeper: adopt updates stored without a bot", "error", err)
	} else if n > 0 {
		i.log.Info("sweeper: adopted pending updates stored without a bot", "updates", n)
	}
}

// sweep kicks a drain of every chat left with pending updates.
func (i *Inbox) sweep(ctx context.Context, drains *sync.WaitGroup) {
	chats, err := i.store.StaleChats(ctx, i.opt.BotID, i.opt.StaleAfter, staleChatsBatch)
	if err != nil {
		if ctx.Err() == nil {
			i.log.Warn("sweeper: look for stale chats", "error", err)
		}
		return
	}
	for _, chat := range chats {
		if !i.kick(ctx, drains, chat) {
			return
		}
	}
}

// enqueue has RunSweeper drain the chat soon. It never waits.
func (i *Inbox) enqueue(chat int64) {
	i.mu.Lock()
	if !i.inQueue[chat] {
		i.inQueue[chat] = true
		i.queued = append(i.queued, chat)
	}
	i.mu.Unlock()
	select {
	case i.wake <- struct{}{}:
	default: // RunSweeper was woken already
	}
}

// dispatch kicks a drain of every queued chat, in the order queued, until none is
// left or ctx ends.
func (i *Inbox) dispatch(ctx context.Context, drains *sync.WaitGroup) {
	for {
		i.mu.Lock()
		if len(i.queued) == 0 {
			i.mu.Unlock()
			return
		}
		chat := i.queued[0] // only dispatch takes chats out: it stays first
		i.mu.Unlock()
		// The chat leaves the queue only once kicked, so busy never misses it.
		if !i.kick(ctx, drains, chat) {
			return
		}
		i.mu.Lock()
		i.queued = i.queued[1:]
		if len(i.queued) == 0 {
			i.queued = nil
		}
		delete(i.inQueue, chat)
		i.mu.Unlock()
	}
}

// busy reports whether a drain of the chat is queued or running in this process.
func (i *Inbox) busy(chat int64) bool {
	i.mu.Lock()
	defer i.mu.Unlock()
	_, kicked := i.kicked[chat]
	return kicked || i.inQueue[chat]
}

// notifySettled wakes WaitSettled's waiters.
func (i *Inbox) notifySettled() {
	i.mu.Lock()
	defer i.mu.Unlock()
	i.notifyLocked()
}

// notifyLocked is notifySettled with i.mu held.
func (i *Inbox) notifyLocked() {
	close(i.settled)
	i.settled = make(chan struct{})
}

// settlePoll is how often WaitSettled looks at the store when nothing in this process
// told it to (another replica may handle the update).
const settlePoll = 20 * time.Millisecond

// WaitSettled returns once the update's current attempt has ended: it was handled or
// set aside as failed, or its attempt failed and it waits for a retry, or it waits
// behind an earlier update of its chat that waits for its retry; or ctx's error if
// ctx ends first, or the store's error. Tests call it after posting an update to the
// webhook, before they look at what the bot did.
func (i *Inbox) WaitSettled(ctx context.Context, updateID int64) error {
	for {
		i.mu.Lock()
		woken, expressed := i.settled, i.expressed[updateID]
		i.mu.Unlock()
		if expressed {
			return nil // answered in the webhook's response, not stored
		}
		chat, settled, found, err := i.store.UpdateStatus(ctx, i.opt.BotID, updateID)
		if err != nil {
			return err
		}
		if settled {
			return nil
		}
		if found && !i.busy(chat) {
			// Nothing here handles the chat: either another replica does, or its
			// next update waits for its retry time and this one behind it.
			pending, err := i.store.HasPending(ctx, i.opt.BotID, chat)
			if err != nil {
				return err
			}
			if !pending {
				return nil
			}
		}
		t := time.NewTimer(settlePoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-woken:
		case <-t.C:
		}
		t.Stop()
	}
}
