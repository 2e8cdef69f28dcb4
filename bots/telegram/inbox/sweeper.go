package inbox

import (
	"context"
	"sync"
	"time"
)

// RunSweeper looks every Options.SweepEvery for chats with updates no one is handling,
// and drains them in the background (at most Options.MaxParallel at once): updates
// whose replica crashed between storing and handling them (after Options.StaleAfter),
// whose lease ran out, or whose handler failed and is due for another attempt. Every
// minute it also deletes handled updates older than Options.Retention. Run it on every
// replica: the leases keep them from handling a chat twice at once.
//
// It returns nil when ctx ends, after the drains it started finish their update in
// progress. Store errors are logged and the next sweep tries again.
func (i *Inbox) RunSweeper(ctx context.Context) error {
	var drains sync.WaitGroup
	defer drains.Wait()
	t := time.NewTicker(i.opt.SweepEvery)
	defer t.Stop()
	var pruned time.Time
	for {
		i.sweep(ctx, &drains)
		if time.Since(pruned) >= pruneEvery && ctx.Err() == nil {
			pruned = time.Now()
			if n, err := i.store.Prune(ctx, i.opt.Retention); err != nil {
				i.log.Warn("sweeper: prune handled updates", "error", err)
			} else if n > 0 {
				i.log.Debug("sweeper: pruned handled updates", "deleted", n)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// sweep kicks a drain of every chat left with pending updates.
func (i *Inbox) sweep(ctx context.Context, drains *sync.WaitGroup) {
	chats, err := i.store.StaleChats(ctx, i.opt.StaleAfter, staleChatsBatch)
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
