package inbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	ta "github.com/mymmrac/telego/telegoapi"
)

// UpdatesAPI is the Bot API's getUpdates returning each update as Telegram sent it.
type UpdatesAPI interface {
	GetUpdates(ctx context.Context, offset int64, timeout time.Duration, allowedUpdates []string) ([]json.RawMessage, error)
}

// BotAPI calls getUpdates through a telego API caller (the bot's own, so that its
// timeouts and the scrubbing of the token from errors apply) and leaves the updates
// undecoded: telego's Bot.GetUpdates decodes the whole batch at once, so one update it
// cannot decode would fail every call and stop the bot for everyone.
type BotAPI struct {
	// Caller makes the request; nil is telegoapi.DefaultHTTPCaller.
	Caller ta.Caller
	// Server is the Bot API server's URL; "" is https://api.telegram.org.
	Server string
	// Token is the bot's token.
	Token string
}

// GetUpdates calls getUpdates. allowedUpdates nil keeps Telegram's setting.
func (a BotAPI) GetUpdates(ctx context.Context, offset int64, timeout time.Duration, allowedUpdates []string) ([]json.RawMessage, error) {
	params, err := json.Marshal(struct {
		Offset         int64    `json:"offset,omitempty"`
		Timeout        int      `json:"timeout,omitempty"`
		AllowedUpdates []string `json:"allowed_updates,omitempty"`
	}{offset, int(timeout / time.Second), allowedUpdates})
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %w", err)
	}
	caller, server := a.Caller, a.Server
	if caller == nil {
		caller = ta.DefaultHTTPCaller
	}
	if server == "" {
		server = "https://api.telegram.org"
	}
	resp, err := caller.Call(ctx, strings.TrimRight(server, "/")+"/bot"+a.Token+"/getUpdates",
		&ta.RequestData{ContentType: ta.ContentTypeJSON, BodyRaw: params})
	if err != nil {
		return nil, fmt.Errorf("getUpdates: %w", err)
	}
	if !resp.Ok {
		if resp.Error != nil {
			return nil, fmt.Errorf("getUpdates: %w", resp.Error)
		}
		return nil, errors.New("getUpdates: not ok")
	}
	var updates []json.RawMessage
	if err := json.Unmarshal(resp.Result, &updates); err != nil {
		return nil, fmt.Errorf("getUpdates: result: %w", err)
	}
	return updates, nil
}

// Poll receives updates by long polling (getUpdates) until ctx ends, then waits for
// the drains it started and returns nil. Each batch is stored update by update, each
// as Telegram sent it; one that does not decode is stored set aside as failed. The
// offset moves past an update only once it is stored, so an update that could not be
// stored is fetched again. The batch's chats are then drained in the background, at
// most Options.MaxParallel at once. Errors of getUpdates or of the store are logged
// and retried with a growing pause (1 s to 30 s).
//
// allowedUpdates is passed to getUpdates (nil keeps Telegram's setting). A webhook
// must not be set: Telegram refuses getUpdates while one is.
func (i *Inbox) Poll(ctx context.Context, api UpdatesAPI, allowedUpdates []string) error {
	var drains sync.WaitGroup
	defer drains.Wait()
	pause := backoff{min: time.Second, max: 30 * time.Second}
	var offset int64
	for ctx.Err() == nil {
		updates, err := api.GetUpdates(ctx, offset, i.opt.PollTimeout, allowedUpdates)
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
		for _, raw := range updates {
			in, err := i.accept(ctx, raw)
			if errors.Is(err, errNotUpdate) || errors.Is(err, ErrNoUpdateID) {
				// Telegram never sends one; there is no id to move the offset past.
				i.log.Warn("poll: skipping what is not an update", "error", err, "size", len(raw))
				continue
			}
			if err != nil {
				if ctx.Err() == nil {
					i.log.Warn("poll: update not stored; fetching it again", "update_id", in.updateID, "error", err)
				}
				stored = false
				break
			}
			offset = max(offset, in.updateID+1)
			if in.pending && !seen[in.chat] {
				seen[in.chat] = true
				chats = append(chats, in.chat)
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
