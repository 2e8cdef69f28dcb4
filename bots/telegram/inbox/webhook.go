package inbox

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"

	"github.com/mymmrac/telego"
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
//   - 400 when the body is not an update with an update_id, 413 when it is too large;
//   - 500 when the update could not be stored: Telegram sends it again;
//   - 200 once the update is stored and its chat's pending updates were handled by this
//     request (or are being handled by the replica that holds the chat). A handler
//     error still answers 200: the update is safe and the sweeper retries it.
//
// So a test that posts an update sees the bot's calls when the request returns, unless
// another replica holds the chat.
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
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				http.Error(w, "update too large", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, "cannot read the update", http.StatusBadRequest)
			return
		}
		var u telego.Update
		if err := json.Unmarshal(body, &u); err != nil {
			http.Error(w, "not an update", http.StatusBadRequest)
			return
		}
		// The body as received is stored: it keeps fields this telego version does not
		// know.
		chat, err := i.save(r.Context(), u, body)
		if errors.Is(err, ErrNoUpdateID) {
			http.Error(w, "update has no update_id", http.StatusBadRequest)
			return
		}
		if err != nil {
			i.log.Error("webhook: update not stored; Telegram will resend it", "update_id", u.UpdateID, "error", err)
			http.Error(w, "cannot store the update", http.StatusInternalServerError)
			return
		}
		i.drain(r.Context(), chat)
		w.WriteHeader(http.StatusOK)
	})
}
