package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	"github.com/mymmrac/telego"
)

// The express lane: a few buttons are answered within the webhook's request,
// with the answer written as its response (the Bot API takes one method call
// there), instead of being stored in the inbox and handled in the background.
// A drop's Buy button is one: thousands of taps in seconds, each worth an
// answer at once, each durable by itself (the claim, keyed by the callback
// query's id) and so safe to answer again when Telegram sends the tap again.
// Long polling has no response to write to: there the same taps go through
// the inbox and the verb's ordinary handler.

// ExpressFunc answers a pressed button in the express lane: the answer to the
// callback query, or an error for Telegram to send the update again (the
// webhook answers 500). It must be idempotent and must not need the user's
// record: nothing else of the update is handled.
type ExpressFunc func(ctx context.Context, q *telego.CallbackQuery, d CallbackData) (telego.AnswerCallbackQueryParams, error)

// Express registers the express handler of a callback verb (see ExpressFunc);
// the verb keeps its ordinary handler (Callback) for long polling.
func (r *Router) Express(verb string, fn ExpressFunc) {
	if _, dup := r.express[verb]; dup {
		r.fail("express verb %q registered twice", verb)
		return
	}
	r.express[verb] = fn
}

// expressUpdate is what the express lane reads of an update.
type expressUpdate struct {
	CallbackQuery *telego.CallbackQuery `json:"callback_query"`
}

// answerMethod is answerCallbackQuery written as a webhook's response.
type answerMethod struct {
	Method string `json:"method"`
	telego.AnswerCallbackQueryParams
}

// Express answers an update in the webhook's response if it is a callback
// query of a verb registered with Router.Express (inbox.Options.Express): ok
// is false for any other update, which goes to the inbox.
func (b *Bot) Express(ctx context.Context, body []byte) (answer []byte, ok bool, err error) {
	if len(b.routes.express) == 0 || !bytes.Contains(body, []byte(`"callback_query"`)) {
		return nil, false, nil
	}
	var u expressUpdate
	if json.Unmarshal(body, &u) != nil || u.CallbackQuery == nil {
		return nil, false, nil
	}
	d, err := parseCallback(u.CallbackQuery.Data)
	if err != nil {
		return nil, false, nil
	}
	fn, ok := b.routes.express[d.Verb]
	if !ok {
		return nil, false, nil
	}
	a, err := fn(ctx, u.CallbackQuery, d)
	if err != nil {
		return nil, true, fmt.Errorf("express %s: %w", d.Verb, err)
	}
	a.CallbackQueryID = u.CallbackQuery.ID
	a.Text = Truncate(Plain(a.Text), 200)
	answer, err = json.Marshal(answerMethod{Method: "answerCallbackQuery", AnswerCallbackQueryParams: a})
	return answer, true, err
}
