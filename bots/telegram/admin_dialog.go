package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/dialog"
)

// The seller side's conversations. Each kind has one step function that receives
// what the person gave (adminInput): typed text, a photo, a document, or a button
// of the step's prompt (callback "ad:<step>:<value>"; "/skip" and "/done" typed
// count as those buttons). A step either moves on (saving the collected data with
// startDialog and prompting for the next step) or explains what it expected and
// asks again, keeping everything collected so far.
//
// Step names are unique across kinds, so a button of an old prompt never answers
// another conversation's question.
//
// A conversation ends with finishDialog: it saves the conversation at stepDone
// with what to show, shows it, and only then ends the conversation. If showing
// fails and the update is retried, the retry finds stepDone and shows the result
// again instead of repeating the action (creating a second shop).

// Conversation kinds of the seller side (dialog.State.Kind).
const (
	dialogSell     = "sell"           // sell.go: open a shop, or change how it is paid
	dialogProduct  = "admin:product"  // admin_product_add.go
	dialogEdit     = "admin:edit"     // admin_products.go: one field of a product, variant or shop
	dialogVariant  = "admin:variant"  // admin_products.go: add a variant
	dialogCategory = "admin:category" // admin_products.go: a new category
	dialogStock    = "admin:stock"    // admin_stock.go: adjust a variant's stock
	dialogImport   = "admin:import"   // admin_stock.go: a stock file, its preview, confirm
	dialogShip     = "admin:ship"     // admin_orders.go: the tracking note
	dialogPickup   = "admin:pickup"   // admin_settings.go: a new pickup point
	dialogShipping = "admin:shipping" // admin_settings.go: a new shipping option
)

// stepDone is the step of a conversation whose action is done and whose result is
// being shown.
const stepDone = "done"

// Values of the common step buttons.
const (
	buttonSkip = "skip"
	buttonDone = "done"
)

// adminInput is what a person gave a conversation step; exactly one field is set,
// or none for a message the bot cannot read (a sticker, a voice note).
type adminInput struct {
	text    string           // typed text, trimmed
	photo   string           // the file id of a photo's largest size
	doc     *telego.Document // a file
	button  string           // a step button's value, or buttonSkip / buttonDone typed as /skip, /done
	command string           // another command the router does not know, without "/"
}

// stepFunc handles one input of a conversation.
type stepFunc func(ctx context.Context, r *request, st dialog.State, in adminInput) error

// adminDialogs lists the seller side's conversations.
func (b *Bot) adminDialogs() map[string]stepFunc {
	return map[string]stepFunc{
		dialogSell:     b.sellStep,
		dialogProduct:  b.productStep,
		dialogEdit:     b.editStep,
		dialogVariant:  b.variantStep,
		dialogCategory: b.categoryStep,
		dialogStock:    b.stockStep,
		dialogImport:   b.importStep,
		dialogShip:     b.shipStep,
		dialogPickup:   b.pickupStep,
		dialogShipping: b.shippingStep,
	}
}

// dialogStep adapts a step function to the router: it reads the message into an
// adminInput and finishes a conversation left at stepDone.
func (b *Bot) dialogStep(fn stepFunc) dialogFunc {
	return func(ctx context.Context, r *request, st dialog.State) error {
		if st.Step == stepDone {
			return b.resumeDone(ctx, r, st)
		}
		return fn(ctx, r, st, b.inputOf(r.msg))
	}
}

// inputOf reads a message.
func (b *Bot) inputOf(m *telego.Message) adminInput {
	switch {
	case m == nil:
		return adminInput{}
	case len(m.Photo) > 0:
		return adminInput{photo: m.Photo[len(m.Photo)-1].FileID}
	case m.Document != nil:
		return adminInput{doc: m.Document}
	}
	text := strings.TrimSpace(m.Text)
	if name, _, ok := parseCommand(text, b.username); ok {
		switch name {
		case "skip":
			return adminInput{button: buttonSkip}
		case "done":
			return adminInput{button: buttonDone}
		}
		return adminInput{command: name}
	}
	return adminInput{text: text}
}

// onDialogButton handles "ad:<step>:<value>": a button of the current step's
// prompt. A button of a step that is over is answered so, and changes nothing.
func (b *Bot) onDialogButton(ctx context.Context, r *request, d callbackData) error {
	if err := d.want(2); err != nil {
		return errStaleButton
	}
	st, ok, err := b.dialogs.Get(ctx, r.userID(), r.chatID)
	if err != nil {
		return fmt.Errorf("get dialog: %w", err)
	}
	fn, known := b.adminDialogs()[st.Kind]
	if !ok || !known || st.Step != d.Str(0) {
		r.alert(b.label(r.lang, "adm_step_over"))
		return nil
	}
	return fn(ctx, r, st, adminInput{button: d.Str(1)})
}

// stepButton is a button of a step's prompt.
func stepButton(text, step, value string) telego.InlineKeyboardButton {
	return button(text, verbAdminButton, step, value)
}

// reprompt explains why the input was not taken and asks the step's question
// again: as a new message after a typed input, or as an alert and the prompt after
// a button.
func (b *Bot) reprompt(ctx context.Context, r *request, why string, prompt view) error {
	if r.callback != nil {
		r.alert(plain(why))
		return b.show(ctx, r, prompt)
	}
	prompt.text = why + "\n\n" + prompt.text
	_, err := b.sendView(ctx, r.chatID, prompt)
	return err
}

// wrongInput explains an input of the wrong kind for a step that wants want: a
// photo where text is asked, text where a photo is asked, and so on.
func (b *Bot) wrongInput(lang string, in adminInput, want string) string {
	switch {
	case in.command != "":
		return b.t(lang, "adm_input_command", "/"+in.command)
	case in.photo != "":
		return b.t(lang, "adm_input_photo", htmlText(b.t(lang, want)))
	case in.doc != nil:
		return b.t(lang, "adm_input_document", htmlText(b.t(lang, want)))
	case in.button != "":
		return b.t(lang, "adm_input_button", htmlText(b.t(lang, want)))
	case in.text != "":
		return b.t(lang, "adm_input_text", htmlText(b.t(lang, want)))
	}
	return b.t(lang, "adm_input_unreadable", htmlText(b.t(lang, want)))
}

// dialogResult is what a finished conversation shows: a notice and the screen of
// a callback of the admin menu.
type dialogResult struct {
	Notice string `json:"notice,omitempty"` // HTML
	Next   string `json:"next,omitempty"`   // callback data of the screen to show
}

// finishDialog ends a conversation whose action is done: it records the result at
// stepDone, shows it, and ends the conversation. next is the admin screen to show
// (callback data made with encodeCallback), notice a line said before it.
func (b *Bot) finishDialog(ctx context.Context, r *request, kind, notice, next string) error {
	res := dialogResult{Notice: notice, Next: next}
	if err := b.startDialog(ctx, r, kind, stepDone, res); err != nil {
		return err
	}
	return b.showResult(ctx, r, res)
}

// resumeDone finishes a conversation found at stepDone: a retried update whose
// result was not shown.
func (b *Bot) resumeDone(ctx context.Context, r *request, st dialog.State) error {
	var res dialogResult
	if err := dialogData(st, &res); err != nil {
		return b.endDialog(ctx, r)
	}
	return b.showResult(ctx, r, res)
}

// showResult shows a finished conversation's notice and next screen, then ends the
// conversation.
func (b *Bot) showResult(ctx context.Context, r *request, res dialogResult) error {
	if res.Notice != "" {
		if r.callback != nil {
			r.answer(plain(res.Notice))
		} else if err := b.sendText(ctx, r.chatID, res.Notice, nil); err != nil {
			return err
		}
	}
	var err error
	if res.Next != "" {
		err = b.showScreen(ctx, r, res.Next)
		if err != nil && !userFacing(err) {
			return err
		}
	}
	if derr := b.endDialog(ctx, r); derr != nil {
		return derr
	}
	return err
}

// showScreen shows the admin screen that callback data names, as if its button
// were pressed (editing r's message when r is a pressed button).
func (b *Bot) showScreen(ctx context.Context, r *request, data string) error {
	d, err := parseCallback(data)
	if err != nil {
		return fmt.Errorf("screen %q: %w", data, err)
	}
	fn, ok := b.routes.callbacks[d.Verb]
	if !ok {
		return fmt.Errorf("screen %q: no such verb", data)
	}
	return fn(ctx, r, d)
}

// screen returns the callback data of an admin screen, for finishDialog.
func screen(verb string, args ...any) string {
	data, err := encodeCallback(verb, args...)
	if err != nil {
		panic(fmt.Sprintf("screen %s %v: %v", verb, args, err))
	}
	return data
}

// putStep saves a conversation's data at a step.
func (b *Bot) putStep(ctx context.Context, r *request, st dialog.State, step string, data any) error {
	return b.startDialog(ctx, r, st.Kind, step, data)
}

// intArgs reads n integer arguments of callback data; errStaleButton if d has
// another number of arguments or one is not an integer.
func intArgs(d callbackData, n int) ([]int64, error) {
	if err := d.want(n); err != nil {
		return nil, errStaleButton
	}
	out := make([]int64, n)
	for i := range n {
		v, err := d.Int(i)
		if err != nil {
			return nil, errStaleButton
		}
		out[i] = v
	}
	return out, nil
}

// idArg reads callback data with one id argument.
func idArg(d callbackData) (int64, error) {
	a, err := intArgs(d, 1)
	if err != nil {
		return 0, err
	}
	return a[0], nil
}

// decode reads a conversation's data; a conversation whose data does not decode
// (written by an incompatible version) is ended with an apology.
func (b *Bot) decode(ctx context.Context, r *request, st dialog.State, v any) (ok bool, err error) {
	if err := dialogData(st, v); err != nil {
		if err := b.endDialog(ctx, r); err != nil {
			return false, err
		}
		return false, b.sendText(ctx, r.chatID, b.t(r.lang, "adm_dialog_lost"), nil)
	}
	return true, nil
}

// formatID writes an id for a text.
func formatID[T ~int64](id T) string { return strconv.FormatInt(int64(id), 10) }

// userLabel names a person for the seller: their first name and @username.
func (b *Bot) userLabel(ctx context.Context, id core.UserID) string {
	u, err := b.users.User(ctx, id)
	if err != nil {
		return "#" + formatID(id)
	}
	s := u.FirstName
	if s == "" {
		s = "#" + formatID(id)
	}
	if u.Username != "" {
		s += " (@" + u.Username + ")"
	}
	return s
}
