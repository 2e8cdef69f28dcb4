package sandbox

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"time"

	"github.com/mymmrac/telego"
)

// ErrNotAnswered is returned when the bot did not answer a query (callback, inline, shipping,
// pre-checkout) before its deadline. A later answer gets "query is too old", as on Telegram.
var ErrNotAnswered = errors.New("sandbox: the bot did not answer the query in time")

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

type webhookState struct {
	url            string
	secret         string
	maxConnections int
	allowedUpdates []string
	sem            chan struct{} // bounds concurrent POSTs to maxConnections
	lastErrorDate  time.Time
	lastErrorMsg   string
}

type queuedUpdate struct {
	id   int
	body json.RawMessage
}

// sentUpdate is an update as it was sent, kept for redelivery.
type sentUpdate struct {
	id     int
	userID int64
	body   []byte
}

// recentLimit is how many sent updates the server keeps for RedeliverLast.
const recentLimit = 1000

var secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

// SetWebhook points update delivery at url with the secret token sent in the header
// X-Telegram-Bot-Api-Secret-Token (none when secret is empty), as the bot's own setWebhook call
// does. An empty url removes the webhook: updates then wait for getUpdates.
func (s *Server) SetWebhook(url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setWebhookLocked(url, secret, 40, nil)
}

// Webhook returns the webhook URL and secret in use; "" when updates go to getUpdates.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.webhook.url, s.st.webhook.secret
}

func (s *Server) setWebhookLocked(url, secret string, maxConnections int, allowed []string) {
	wh := &s.st.webhook
	wh.url, wh.secret = url, secret
	if url == "" {
		wh.secret = ""
	}
	wh.maxConnections = maxConnections
	wh.sem = make(chan struct{}, maxConnections)
	if allowed != nil {
		wh.allowedUpdates = allowed
	}
	// A poller waiting in getUpdates must learn that a webhook took over.
	s.st.wakePollers()
}

func (st *state) wakePollers() {
	close(st.queueWake)
	st.queueWake = make(chan struct{})
}

// updateKind names the update's type as allowed_updates does.
func updateKind(u *telego.Update) string {
	switch {
	case u.Message != nil:
		return "message"
	case u.EditedMessage != nil:
		return "edited_message"
	case u.ChannelPost != nil:
		return "channel_post"
	case u.EditedChannelPost != nil:
		return "edited_channel_post"
	case u.InlineQuery != nil:
		return "inline_query"
	case u.ChosenInlineResult != nil:
		return "chosen_inline_result"
	case u.CallbackQuery != nil:
		return "callback_query"
	case u.ShippingQuery != nil:
		return "shipping_query"
	case u.PreCheckoutQuery != nil:
		return "pre_checkout_query"
	case u.MyChatMember != nil:
		return "my_chat_member"
	case u.ChatMember != nil:
		return "chat_member"
	case u.MessageReaction != nil:
		return "message_reaction"
	case u.MessageReactionCount != nil:
		return "message_reaction_count"
	}
	return "unknown"
}

// allowedLocked applies allowed_updates; by default Telegram leaves out chat_member and reactions.
func (st *state) allowedLocked(kind string) bool {
	if len(st.webhook.allowedUpdates) == 0 {
		return kind != "chat_member" && kind != "message_reaction" && kind != "message_reaction_count"
	}
	return slices.Contains(st.webhook.allowedUpdates, kind)
}

// deliver hands one update to the bot on behalf of userID (0 for none). With a webhook it POSTs the
// update and returns when the webhook has answered: nil for 2xx, a *WebhookError otherwise. Without
// one it queues the update for getUpdates and returns at once. An update type the bot did not ask
// for (allowed_updates) is dropped, as Telegram drops it.
func (s *Server) deliver(ctx context.Context, userID int64, upd telego.Update) error {
	s.mu.Lock()
	if !s.st.allowedLocked(updateKind(&upd)) {
		s.mu.Unlock()
		return nil
	}
	s.st.updateSeq++
	s.st.notifyLocked()
	upd.UpdateID = s.st.updateSeq
	body, err := json.Marshal(upd)
	if err != nil {
		s.mu.Unlock()
		return fmt.Errorf("sandbox: encode update: %w", err)
	}
	su := sentUpdate{id: upd.UpdateID, userID: userID, body: body}
	s.st.recent = append(s.st.recent, su)
	if len(s.st.recent) > recentLimit {
		s.st.recent = slices.Delete(s.st.recent, 0, len(s.st.recent)-recentLimit)
	}
	if s.st.webhook.url == "" {
		s.st.queue = append(s.st.queue, queuedUpdate{id: su.id, body: body})
		s.st.wakePollers()
		s.mu.Unlock()
		return nil
	}
	wh := s.st.webhook
	s.mu.Unlock()
	return s.post(ctx, wh, su)
}

// post sends one update to the webhook. No lock is held: the bot calls back into the server while
// it handles the update.
func (s *Server) post(ctx context.Context, wh webhookState, su sentUpdate) error {
	select {
	case wh.sem <- struct{}{}:
		defer func() { <-wh.sem }()
	case <-ctx.Done():
		return ctx.Err()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.url, bytes.NewReader(su.body))
	if err != nil {
		return s.webhookFailed(su, &WebhookError{UpdateID: su.id, Err: err}, err.Error())
	}
	req.Header.Set("Content-Type", "application/json")
	if wh.secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", wh.secret)
	}
	resp, err := s.cfg.HTTPClient.Do(req)
	if err != nil {
		return s.webhookFailed(su, &WebhookError{UpdateID: su.id, Err: err}, err.Error())
	}
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		werr := &WebhookError{UpdateID: su.id, StatusCode: resp.StatusCode, Body: string(answer[:min(len(answer), 512)])}
		return s.webhookFailed(su, werr, "Wrong response from the webhook: "+resp.Status)
	}
	s.mu.Lock()
	s.st.failed = slices.DeleteFunc(s.st.failed, func(f sentUpdate) bool { return f.id == su.id })
	s.mu.Unlock()
	s.runWebhookReply(ctx, answer)
	if s.cfg.Delivered != nil {
		s.cfg.Delivered(su.id)
	}
	return nil
}

func (s *Server) webhookFailed(su sentUpdate, werr *WebhookError, message string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.webhook.lastErrorDate = s.cfg.Now()
	s.st.webhook.lastErrorMsg = message
	if !slices.ContainsFunc(s.st.failed, func(f sentUpdate) bool { return f.id == su.id }) {
		s.st.failed = append(s.st.failed, su)
	}
	s.publishLocked(Event{Kind: EventWebhookFailed, UserID: su.userID, Error: werr.Error()})
	return werr
}

// runWebhookReply executes the Bot API call a webhook may put in its answer body
// ({"method":"sendMessage",...}). As on Telegram, its result and errors go nowhere but Calls.
func (s *Server) runWebhookReply(ctx context.Context, body []byte) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return
	}
	var p params
	if json.Unmarshal(body, &p) != nil {
		return
	}
	name := p.str("method")
	if name == "" {
		return
	}
	m, ok := lookupMethod(name)
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
	s.mu.Lock()
	var su *sentUpdate
	for i := len(s.st.recent) - 1; i >= 0; i-- {
		if userID == 0 || s.st.recent[i].userID == userID {
			su = &s.st.recent[i]
			break
		}
	}
	if su == nil {
		s.mu.Unlock()
		return errors.New("sandbox: no update to redeliver")
	}
	return s.resendLocked(ctx, *su)
}

// resendLocked sends su again; s.mu is held on entry and released.
func (s *Server) resendLocked(ctx context.Context, su sentUpdate) error {
	if s.st.webhook.url == "" {
		s.st.queue = append(s.st.queue, queuedUpdate{id: su.id, body: su.body})
		s.st.wakePollers()
		s.mu.Unlock()
		return nil
	}
	wh := s.st.webhook
	s.mu.Unlock()
	return s.post(ctx, wh, su)
}

// RedeliverPending sends the updates the webhook refused again, oldest first, and stops at the first
// one refused again. Telegram retries such updates on its own; the sandbox does it when asked, so
// tests stay deterministic.
func (s *Server) RedeliverPending(ctx context.Context) error {
	for {
		s.mu.Lock()
		if len(s.st.failed) == 0 {
			s.mu.Unlock()
			return nil
		}
		if err := s.resendLocked(ctx, s.st.failed[0]); err != nil {
			return err
		}
	}
}

// PendingUpdates returns how many updates wait: refused by the webhook, or queued for getUpdates.
func (s *Server) PendingUpdates() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.failed) + len(s.st.queue)
}

// Updates returns the last updates sent to the bot (up to 1000), oldest first, as the bot saw them.
func (s *Server) Updates() []telego.Update {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]telego.Update, 0, len(s.st.recent))
	for _, su := range s.st.recent {
		var u telego.Update
		if json.Unmarshal(su.body, &u) == nil {
			out = append(out, u)
		}
	}
	return out
}

// Queries: callback, inline, shipping and pre-checkout queries wait for the bot's answer.

type pendingQuery struct {
	id       string
	kind     string
	userID   int64
	done     chan struct{} // closed when answered or expired
	answered bool
	expired  bool
	answer   any
}

func (q *pendingQuery) expireLocked() {
	if !q.answered && !q.expired {
		q.expired = true
		close(q.done)
	}
}

func (q *pendingQuery) answerLocked(answer any) {
	q.answered, q.answer = true, answer
	close(q.done)
}

var errQueryTooOld = badRequest("query is too old and response timeout expired or query ID is invalid")

func (s *Server) newQueryLocked(kind string, userID int64) *pendingQuery {
	s.st.querySeq++
	id := strconv.FormatUint(rand.Uint64()>>8+uint64(s.st.querySeq), 10)
	q := &pendingQuery{id: id, kind: kind, userID: userID, done: make(chan struct{})}
	s.st.queries[id] = q
	if s.st.closed {
		q.expireLocked()
	}
	return q
}

// openQueryLocked finds a query the bot may still answer, or fails as Telegram does.
func (s *Server) openQueryLocked(kind, id string) (*pendingQuery, error) {
	q, ok := s.st.queries[id]
	if !ok || q.kind != kind || q.answered || q.expired {
		return nil, errQueryTooOld
	}
	return q, nil
}

// awaitAnswer waits for the bot's answer to q until deadline or ctx ends; ErrNotAnswered past the
// deadline, after which the query can no longer be answered.
func (s *Server) awaitAnswer(ctx context.Context, q *pendingQuery, deadline time.Time) (any, error) {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case <-q.done:
	case <-timer.C:
	case <-ctx.Done():
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	// Once waited for, a query is done: a further answer gets "query is too old".
	delete(s.st.queries, q.id)
	if q.answered {
		return q.answer, nil
	}
	q.expireLocked()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return nil, ErrNotAnswered
}

// The webhook and polling methods.

func setWebhook(s *Server, r *request) (any, error) {
	rawURL := r.p.str("url")
	if rawURL == "" {
		return deleteWebhook(s, r)
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// Telegram demands HTTPS; the sandbox also takes http for in-process test servers.
		return nil, badRequest("bad webhook: HTTPS url must be provided for webhook")
	}
	secret := r.p.str("secret_token")
	if secret != "" && !secretPattern.MatchString(secret) {
		return nil, badRequest("secret token contains unallowed characters")
	}
	maxConn, err := r.p.optInt("max_connections", 40)
	if err != nil {
		return nil, err
	}
	if maxConn < 1 || maxConn > 100 {
		maxConn = min(max(maxConn, 1), 100)
	}
	var allowed []string
	if _, err := r.p.decode("allowed_updates", &allowed); err != nil {
		return nil, err
	}
	if allowed == nil && r.p.has("allowed_updates") {
		allowed = []string{}
	}
	if r.p.boolean("drop_pending_updates") {
		s.st.queue, s.st.failed = nil, nil
	}
	s.setWebhookLocked(rawURL, secret, maxConn, allowed)
	return described{true, "Webhook was set"}, nil
}

func deleteWebhook(s *Server, r *request) (any, error) {
	if r.p.boolean("drop_pending_updates") {
		s.st.queue, s.st.failed = nil, nil
	}
	if s.st.webhook.url == "" {
		return described{true, "Webhook is already deleted"}, nil
	}
	s.setWebhookLocked("", "", 40, nil)
	return described{true, "Webhook was deleted"}, nil
}

func getWebhookInfo(s *Server, _ *request) (any, error) {
	wh := s.st.webhook
	info := telego.WebhookInfo{URL: wh.url, PendingUpdateCount: len(s.st.failed) + len(s.st.queue)}
	if wh.url != "" {
		info.MaxConnections = wh.maxConnections
		info.AllowedUpdates = wh.allowedUpdates
		info.IPAddress = "127.0.0.1"
		if !wh.lastErrorDate.IsZero() {
			info.LastErrorDate = wh.lastErrorDate.Unix()
			info.LastErrorMessage = wh.lastErrorMsg
		}
	}
	return info, nil
}

var (
	errWebhookActive = &APIError{Code: http.StatusConflict,
		Description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
	errPollConflict = &APIError{Code: http.StatusConflict,
		Description: "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"}
)

// getUpdates serves long polling: it confirms updates below offset, then returns up to limit
// queued updates, waiting up to timeout seconds for one. A newer getUpdates ends a waiting one with
// 409, as on Telegram.
func getUpdates(s *Server, r *request) (any, error) {
	offset, _, err := r.p.integer("offset")
	if err != nil {
		return nil, err
	}
	limit, err := r.p.optInt("limit", 100)
	if err != nil {
		return nil, err
	}
	limit = min(max(limit, 1), 100)
	timeout, err := r.p.optInt("timeout", 0)
	if err != nil {
		return nil, err
	}
	var allowed []string
	if _, err := r.p.decode("allowed_updates", &allowed); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(time.Duration(max(timeout, 0)) * time.Second)

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.webhook.url != "" {
		return nil, errWebhookActive
	}
	if allowed != nil || r.p.has("allowed_updates") {
		s.st.webhook.allowedUpdates = allowed
	}
	s.st.pollGen++
	gen := s.st.pollGen
	s.st.wakePollers()
	for {
		switch {
		case offset > 0:
			s.st.queue = slices.DeleteFunc(s.st.queue, func(q queuedUpdate) bool { return int64(q.id) < offset })
		case offset < 0 && int64(len(s.st.queue)) > -offset:
			s.st.queue = slices.Delete(s.st.queue, 0, len(s.st.queue)-int(-offset))
		}
		if len(s.st.queue) > 0 {
			n := min(limit, len(s.st.queue))
			out := []byte{'['}
			for i := range n {
				if i > 0 {
					out = append(out, ',')
				}
				out = append(out, s.st.queue[i].body...)
			}
			return rawJSON(append(out, ']')), nil
		}
		if s.st.webhook.url != "" {
			return nil, errWebhookActive
		}
		if gen != s.st.pollGen {
			return nil, errPollConflict
		}
		wait := time.Until(deadline)
		if wait <= 0 || s.st.closed {
			return []json.RawMessage{}, nil
		}
		wake := s.st.queueWake
		s.mu.Unlock()
		timer := time.NewTimer(wait)
		select {
		case <-wake:
		case <-timer.C:
		case <-r.ctx.Done():
		}
		timer.Stop()
		s.mu.Lock()
		if r.ctx.Err() != nil {
			return []json.RawMessage{}, nil
		}
	}
}
