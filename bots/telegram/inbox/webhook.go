package inbox

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// SecretHeader carries the secret token given to setWebhook in every webhook request.
const SecretHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxUpdateSize bounds a webhook request body. Updates are a few kilobytes; Telegram
// sends no files in them.
const maxUpdateSize = 1 << 20

// Webhook returns the handler of Telegram's webhook requests (mount it at POST
// /telegram/webhook). It answers:
//   - 405 to anything but POST;
//   - 401, storing nothing, when the X-Telegram-Bot-Api-Secret-Token header is missing
//     or is not secret (compared in constant time); an empty secret refuses every
//     request;
//   - 400 when the body is not a JSON object with an update_id, 413 when it is too
//     large;
//   - 500 when the update could not be stored: Telegram sends it again;
//   - 200 with the answer as its body, for an update Options.Express dealt with
//     within Options.ExpressTimeout (one it failed or was slow at is stored as any other);
//   - 200 as soon as the update is stored. Its chat is then drained in the background
//     by RunSweeper (or by the replica holding the chat), so a slow handler never holds
//     one of the few connections Telegram opens to the webhook. An update that does
//     not decode is stored already set aside as failed, and answered 200 too.
//
// Tests that post an update and look at what the bot did wait with WaitSettled.
func (i *Inbox) Webhook(secret string) http.Handler {
	want := sha256.Sum256([]byte(secret))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		// Hashing first makes the comparison constant-time in the length too.
		got := sha256.Sum256([]byte(r.Header.Get(SecretHeader)))
		if secret == "" || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxUpdateSize))
		if err != nil {
			if _, tooLarge := errors.AsType[*http.MaxBytesError](err); tooLarge {
				http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read the update", http.StatusBadRequest)
			return
		}
		if i.opt.Express != nil {
			ctx, cancel := context.WithTimeout(r.Context(), i.opt.ExpressTimeout)
			// Cleaned as the handler's copy is: a NUL in a name would fail the
			// whole batch of taps the express lane writes with it.
			answer, ok, err := i.opt.Express(ctx, clean(body))
			cancel()
			if err != nil {
				// Answering 500 would make Telegram hold this bot's later updates
				// behind this one; the inbox takes it instead, and the verb's
				// ordinary handler answers it (both are idempotent per tap).
				i.log.Warn("webhook: express update failed; the inbox takes it", "error", err)
				i.metrics.expressFallbacks.Inc()
				ok = false
			}
			if ok {
				i.metrics.received.WithLabelValues(kindExpress).Inc()
				var head struct {
					UpdateID int64 `json:"update_id"`
				}
				if json.Unmarshal(body, &head) == nil {
					i.markExpressed(head.UpdateID)
				}
				if answer != nil {
					w.Header().Set("Content-Type", "application/json")
				}
				w.WriteHeader(http.StatusOK)
				w.Write(answer)
				return
			}
		}
		in, err := i.accept(r.Context(), body)
		switch {
		case errors.Is(err, errNotUpdate):
			http.Error(w, "not an update", http.StatusBadRequest)
			return
		case errors.Is(err, ErrNoUpdateID):
			http.Error(w, "update has no update_id", http.StatusBadRequest)
			return
		case err != nil:
			i.log.Error("webhook: update not stored; Telegram will resend it", "update_id", in.updateID, "error", err)
			http.Error(w, "cannot store the update", http.StatusInternalServerError)
			return
		}
		if in.pending {
			i.enqueue(in.chat)
		}
		i.log.Debug("webhook: update stored", "update_id", in.updateID, "chat", in.chat, "pending", in.pending)
		w.WriteHeader(http.StatusOK)
	})
}

// defaultExpressTimeout bounds the express lane: a tap is answered there in
// milliseconds, and one that takes longer (a slow database) goes to the inbox
// rather than hold one of the few connections Telegram opens to the webhook.
const defaultExpressTimeout = 2 * time.Second

// kindExpress labels the updates the express lane answered (Options.Express).
const kindExpress = "express"

// errNotUpdate is returned by accept for a body that is not a JSON object.
var errNotUpdate = errors.New("not a JSON object")

// accepted is what accept did with an update.
type accepted struct {
	updateID int64
	chat     int64
	// pending is true when the update waits to be handled (stored now or before),
	// false when it was set aside as failed.
	pending bool
}

// accept stores an update as Telegram sent it (body). Only what storing needs is
// decoded: the update_id, and the chat (route) from the cleaned copy the handler will
// get. An update that does not decode is stored already set aside as failed. It
// returns errNotUpdate or ErrNoUpdateID for a body that cannot be stored, and the
// store's error.
func (i *Inbox) accept(ctx context.Context, body []byte) (accepted, error) {
	var head map[string]json.RawMessage
	if err := json.Unmarshal(body, &head); err != nil || head == nil {
		return accepted{}, errNotUpdate
	}
	var id int64
	if raw, ok := head["update_id"]; !ok || json.Unmarshal(raw, &id) != nil || id <= 0 {
		return accepted{}, ErrNoUpdateID
	}
	u, err := decodeUpdate(body)
	if err != nil {
		kind, reason := kindOfHead(head), "decode: "+err.Error()
		fresh, err := i.store.SaveFailed(ctx, i.opt.BotID, id, 0, body, reason)
		if err != nil {
			return accepted{updateID: id}, fmt.Errorf("store update %d: %w", id, err)
		}
		i.counted(kind, fresh)
		if fresh {
			i.setAside(id, kind, 0, reasonDecode, reason)
		}
		return accepted{updateID: id}, nil
	}
	kind, chat := route(u)
	fresh, err := i.store.SaveUpdate(ctx, i.opt.BotID, id, chat, body)
	if err != nil {
		return accepted{updateID: id}, fmt.Errorf("store update %d: %w", id, err)
	}
	i.counted(kind, fresh)
	return accepted{updateID: id, chat: chat, pending: true}, nil
}

// counted counts an update received, and a redelivery.
func (i *Inbox) counted(kind string, fresh bool) {
	i.metrics.received.WithLabelValues(kind).Inc()
	if !fresh {
		i.metrics.duplicates.WithLabelValues(kind).Inc()
	}
}

// kindOf returns the kind of an update that may not decode: the name of its field
// other than update_id ("message", ...), or "unknown".
func kindOf(body []byte) string {
	var head map[string]json.RawMessage
	if json.Unmarshal(body, &head) != nil {
		return "unknown"
	}
	return kindOfHead(head)
}

func kindOfHead(head map[string]json.RawMessage) string {
	var kinds []string
	for k := range head {
		if k != "update_id" {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) != 1 || len(kinds[0]) > 40 {
		return "unknown" // a metric label: never whatever a sender made up
	}
	return kinds[0]
}
