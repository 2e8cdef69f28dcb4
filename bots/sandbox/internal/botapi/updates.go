package botapi

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"time"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// The webhook and polling methods.

var secretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func setWebhook(a *API, r *request) (any, error) {
	rawURL := r.p.Str("url")
	if rawURL == "" {
		return deleteWebhook(a, r)
	}
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		// Telegram demands HTTPS; the sandbox also takes http for in-process test servers.
		return nil, badRequest("bad webhook: HTTPS url must be provided for webhook")
	}
	secret := r.p.Str("secret_token")
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
	if _, err := r.p.Decode("allowed_updates", &allowed); err != nil {
		return nil, err
	}
	if allowed == nil && r.p.has("allowed_updates") {
		allowed = []string{}
	}
	if r.p.boolean("drop_pending_updates") {
		a.w.Queue, a.w.Failed = nil, nil
	}
	a.w.SetWebhookLocked(rawURL, secret, maxConn, allowed)
	return described{true, "Webhook was set"}, nil
}

func deleteWebhook(a *API, r *request) (any, error) {
	if r.p.boolean("drop_pending_updates") {
		a.w.Queue, a.w.Failed = nil, nil
	}
	if a.w.Webhook.URL == "" {
		return described{true, "Webhook is already deleted"}, nil
	}
	a.w.SetWebhookLocked("", "", 40, nil)
	return described{true, "Webhook was deleted"}, nil
}

func getWebhookInfo(a *API, _ *request) (any, error) {
	wh := a.w.Webhook
	info := telego.WebhookInfo{URL: wh.URL, PendingUpdateCount: a.w.PendingLocked()}
	if wh.URL != "" {
		info.MaxConnections = wh.MaxConnections
		info.AllowedUpdates = wh.AllowedUpdates
		info.IPAddress = "127.0.0.1"
		if !wh.LastErrorDate.IsZero() {
			info.LastErrorDate = wh.LastErrorDate.Unix()
			info.LastErrorMessage = wh.LastErrorMsg
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
func getUpdates(a *API, r *request) (any, error) {
	offset, _, err := r.p.Integer("offset")
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
	if _, err := r.p.Decode("allowed_updates", &allowed); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(time.Duration(max(timeout, 0)) * time.Second)

	a.w.Lock()
	defer a.w.Unlock()
	if a.w.Webhook.URL != "" {
		return nil, errWebhookActive
	}
	if allowed != nil || r.p.has("allowed_updates") {
		a.w.Webhook.AllowedUpdates = allowed
	}
	a.w.PollGen++
	gen := a.w.PollGen
	a.w.WakePollersLocked()
	for {
		switch {
		case offset > 0:
			a.w.Queue = slices.DeleteFunc(a.w.Queue, func(q world.QueuedUpdate) bool { return int64(q.ID) < offset })
		case offset < 0 && int64(len(a.w.Queue)) > -offset:
			a.w.Queue = slices.Delete(a.w.Queue, 0, len(a.w.Queue)-int(-offset))
		}
		if len(a.w.Queue) > 0 {
			n := min(limit, len(a.w.Queue))
			out := []byte{'['}
			for i := range n {
				if i > 0 {
					out = append(out, ',')
				}
				out = append(out, a.w.Queue[i].Body...)
			}
			return rawJSON(append(out, ']')), nil
		}
		if a.w.Webhook.URL != "" {
			return nil, errWebhookActive
		}
		if gen != a.w.PollGen {
			return nil, errPollConflict
		}
		wait := time.Until(deadline)
		if wait <= 0 || a.w.Closed {
			return []json.RawMessage{}, nil
		}
		wake := a.w.QueueWake
		a.w.Unlock()
		timer := time.NewTimer(wait)
		select {
		case <-wake:
		case <-timer.C:
		case <-r.ctx.Done():
		}
		timer.Stop()
		a.w.Lock()
		if r.ctx.Err() != nil {
			return []json.RawMessage{}, nil
		}
	}
}
