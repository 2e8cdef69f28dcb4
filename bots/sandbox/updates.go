package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/botapi"
	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// Delivering updates to the bot: to the webhook, or into the queue getUpdates serves.

// WebhookError reports that the webhook did not take an update: it answered outside 2xx, or the
// request failed. The update stays pending; Server.RedeliverPending sends it again.
type WebhookError struct {
	UpdateID int
	// StatusCode is the webhook's HTTP status; 0 when no answer came.
	StatusCode int
	// Body is the start of the webhook's answer.
	Body string
	// Err is the transport error when no answer came.
	Err error
}

func (e *WebhookError) Error() string {
	if e.StatusCode == 0 {
		return fmt.Sprintf("sandbox: webhook did not take update %d: %v", e.UpdateID, e.Err)
	}
	return fmt.Sprintf("sandbox: webhook answered update %d with %d: %s", e.UpdateID, e.StatusCode, e.Body)
}

func (e *WebhookError) Unwrap() error { return e.Err }

// SetWebhook points update delivery at url with the secret token sent in the header
// X-Telegram-Bot-Api-Secret-Token (none when secret is empty), as the bot's own setWebhook call
// does. An empty url removes the webhook: updates then wait for getUpdates.
func (s *Server) SetWebhook(url, secret string) {
	s.w.Lock()
	defer s.w.Unlock()
	s.w.SetWebhookLocked(url, secret, 40, nil)
}

// Webhook returns the webhook URL and secret in use; "" when updates go to getUpdates.
func (s *Server) Webhook() (url, secret string) {
	s.w.Lock()
	defer s.w.Unlock()
	return s.w.Webhook.URL, s.w.Webhook.Secret
}

// deliver hands one update to the bot on behalf of userID (0 for none). With a webhook it POSTs the
// update and returns when the webhook has answered: nil for 2xx, a *WebhookError otherwise. Without
// one it queues the update for getUpdates and returns at once. An update type the bot did not ask
// for (allowed_updates) is dropped, as Telegram drops it.
func (s *Server) deliver(ctx context.Context, userID int64, upd telego.Update) error {
	s.w.Lock()
	if !s.w.AllowedLocked(world.UpdateKind(&upd)) {
		s.w.Unlock()
		return nil
	}
	s.w.UpdateSeq++
	s.w.NotifyLocked()
	upd.UpdateID = s.w.UpdateSeq
	body, err := json.Marshal(upd)
	if err != nil {
		s.w.Unlock()
		return fmt.Errorf("sandbox: encode update: %w", err)
	}
	su := world.SentUpdate{ID: upd.UpdateID, UserID: userID, Body: body}
	s.w.RememberLocked(su)
	return s.resendLocked(ctx, su)
}

// post sends one update to the webhook. No lock is held: the bot calls back into the server while
// it handles the update.
func (s *Server) post(ctx context.Context, wh world.Webhook, su world.SentUpdate) error {
	select {
	case wh.Sem <- struct{}{}:
		defer func() { <-wh.Sem }()
	case <-ctx.Done():
		return ctx.Err()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.URL, bytes.NewReader(su.Body))
	if err != nil {
		return s.webhookFailed(su, &WebhookError{UpdateID: su.ID, Err: err}, err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	if wh.Secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", wh.Secret)
	}
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return s.webhookFailed(su, &WebhookError{UpdateID: su.ID, Err: err}, err.Error())
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		werr := &WebhookError{UpdateID: su.ID, StatusCode: resp.StatusCode, Body: string(answer[:min(len(answer), 512)])}
		return s.webhookFailed(su, werr, "Wrong response from the webhook: "+resp.Status)
	}
	s.w.Lock()
	s.w.Failed = slices.DeleteFunc(s.w.Failed, func(f world.SentUpdate) bool { return f.ID == su.ID })
	s.w.Unlock()
	s.runWebhookReply(ctx, answer)
	if s.cfg.Delivered != nil {
		s.cfg.Delivered(su.ID)
	}
	return nil
}

func (s *Server) webhookFailed(su world.SentUpdate, werr *WebhookError, message string) error {
	s.w.Lock()
	defer s.w.Unlock()
	s.w.Webhook.LastErrorDate = s.cfg.Now()
	s.w.Webhook.LastErrorMsg = message
	if !slices.ContainsFunc(s.w.Failed, func(f world.SentUpdate) bool { return f.ID == su.ID }) {
		s.w.Failed = append(s.w.Failed, su)
	}
	s.w.PublishLocked(Event{Kind: EventWebhookFailed, UserID: su.UserID, Error: werr.Error()})
	return werr
}

// runWebhookReply executes the Bot API call a webhook may put in its answer body
// ({"method":"sendMessage",...}). As on Telegram, its result and errors go nowhere but Calls.
func (s *Server) runWebhookReply(ctx context.Context, body []byte) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return
	}
	var p botapi.Params
	if json.Unmarshal(body, &p) != nil {
		return
	}
	name := p.Str("method")
	if name == "" {
		return
	}
	m, ok := botapi.Lookup(name)
	if !ok {
		return
	}
	delete(p, "method")
	_, _, _ = s.invoke(ctx, m, p, nil, true)
}

// RedeliverLast sends the most recent update again with the same update_id, as Telegram does when it
// did not get an answer it trusts. It returns the webhook's verdict like the original delivery.
// Without a webhook the update is queued again for getUpdates (where an offset past it drops it).
func (s *Server) RedeliverLast(ctx context.Context) error {
	return s.redeliverLast(ctx, 0)
}

func (s *Server) redeliverLast(ctx context.Context, userID int64) error {
	s.w.Lock()
	var su *world.SentUpdate
	for i := len(s.w.Recent) - 1; i >= 0; i-- {
		if userID == 0 || s.w.Recent[i].UserID == userID {
			su = &s.w.Recent[i]
			break
		}
	}
	if su == nil {
		s.w.Unlock()
		return errors.New("sandbox: no update to redeliver")
	}
	return s.resendLocked(ctx, *su)
}

// resendLocked sends su: it queues it for getUpdates, or posts it to the webhook. The world's lock
// is held on entry and released.
func (s *Server) resendLocked(ctx context.Context, su world.SentUpdate) error {
	if s.w.Webhook.URL == "" {
		s.w.Queue = append(s.w.Queue, world.QueuedUpdate{ID: su.ID, Body: su.Body})
		s.w.WakePollersLocked()
		s.w.Unlock()
		return nil
	}
	wh := s.w.Webhook
	s.w.Unlock()
	return s.post(ctx, wh, su)
}

// RedeliverPending sends the updates the webhook refused again, oldest first, and stops at the first
// one refused again. Telegram retries such updates on its own; the sandbox does it when asked, so
// tests stay deterministic.
func (s *Server) RedeliverPending(ctx context.Context) error {
	for {
		s.w.Lock()
		if len(s.w.Failed) == 0 {
			s.w.Unlock()
			return nil
		}
		if err := s.resendLocked(ctx, s.w.Failed[0]); err != nil {
			return err
		}
	}
}

// PendingUpdates returns how many updates wait: refused by the webhook, or queued for getUpdates.
func (s *Server) PendingUpdates() int {
	s.w.Lock()
	defer s.w.Unlock()
	return s.w.PendingLocked()
}

// Updates returns the last updates sent to the bot (up to 1000), oldest first, as the bot saw them.
func (s *Server) Updates() []telego.Update {
	s.w.Lock()
	defer s.w.Unlock()
	out := make([]telego.Update, 0, len(s.w.Recent))
	for _, su := range s.w.Recent {
		var u telego.Update
		if json.Unmarshal(su.Body, &u) == nil {
			out = append(out, u)
		}
	}
	return out
}
