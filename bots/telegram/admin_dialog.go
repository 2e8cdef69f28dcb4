package telegram

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
)

// The seller side's conversations. Each kind has one step function that receives
// what the person gave (adminInput): typed text, a photo, a document, or a button
// of the step's prompt (callback "ad:<step>:<value>:<conversation>"; "/skip" and
// "/done" typed count as those buttons). A step either moves on (next: saving the
// collected data and prompting for the next step) or explains what it expected
// and asks again (again), keeping everything collected so far: stepMoves makes
// the two, and readText, readPrice and readCount read the usual answers.
//
// Step names are unique across kinds, and step buttons carry the id of their
// conversation, so a button of an old prompt never answers another conversation's
// question, even one at the same step.
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

// adminInput is what a person gave a conversation step: one field is set (a typed
// /skip or /done sets both button and command), or none for a message the bot
// cannot read (a sticker, a voice note).
type adminInput struct {
	text    string           // typed text, trimmed, with something visible in it
	blank   bool             // typed text with nothing visible: spaces, zero-width or filler characters
	photo   string           // the file id of a photo's largest size
	doc     *telego.Document // a file
	button  string           // a step button's value, or buttonSkip / buttonDone typed as /skip, /done
	command string           // a command the router does not know ("skip", "done" too), without "/"
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
		r.conv = conversationOf(st)
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
			return adminInput{button: buttonSkip, command: name}
		case "done":
			return adminInput{button: buttonDone, command: name}
		}
		return adminInput{command: name}
	}
	if text != "" && !core.Visible(text) {
		return adminInput{blank: true}
	}
	return adminInput{text: text}
}

// onDialogButton handles "ad:<step>:<value>:<conversation>": a button of the
// current step's prompt. A button of a step that is over, or of another
// conversation (one the person left, stopped at the same step), is answered so
// and changes nothing. Buttons made before conversations had ids lack the last
// argument and are taken on the step alone.
func (b *Bot) onDialogButton(ctx context.Context, r *request, d callbackData) error {
	if len(d.Args) != 2 && len(d.Args) != 3 {
		return errStaleButton
	}
	st, ok, err := b.dialogs.Get(ctx, r.userID(), r.chatID)
	if err != nil {
		return fmt.Errorf("get dialog: %w", err)
	}
	fn, known := b.routes.steps[st.Kind]
	conv := conversationOf(st)
	if !ok || !known || st.Step != d.Str(0) || len(d.Args) == 3 && d.Str(2) != conv {
		r.alert(b.label(r.lang, "adm_step_over"))
		return nil
	}
	r.conv = conv
	return fn(ctx, r, st, adminInput{button: d.Str(1)})
}

// stepButton is a button of a step's prompt: "ad:<step>:<value>". The id of the
// conversation is added when the prompt is shown (stampSteps), so prompts are
// built without knowing it.
func stepButton(text, step, value string) telego.InlineKeyboardButton {
	return button(text, verbAdminButton, step, value)
}

// stampSteps returns v with its step buttons carrying the conversation r.conv:
// "ad:<step>:<value>" becomes "ad:<step>:<value>:<conversation>". Outside a
// conversation v is returned as it is.
func stampSteps(r *request, v view) view {
	if r.conv == "" || v.kb == nil {
		return v
	}
	prefix := verbAdminButton + ":"
	rows := make([][]telego.InlineKeyboardButton, len(v.kb.InlineKeyboard))
	for i, row := range v.kb.InlineKeyboard {
		rows[i] = slices.Clone(row)
		for j := range rows[i] {
			data := &rows[i][j].CallbackData
			stamped := *data + ":" + r.conv
			if strings.HasPrefix(*data, prefix) && strings.Count(*data, ":") == 2 && len(stamped) <= maxCallbackData {
				*data = stamped
			}
		}
	}
	v.kb = &telego.InlineKeyboardMarkup{InlineKeyboard: rows}
	return v
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
	_, err := b.sendView(ctx, r.chatID, stampSteps(r, prompt))
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
	case in.doc != nil && want == "adm_want_photo" && strings.HasPrefix(in.doc.MimeType, "image/"):
		return b.t(lang, "adm_input_image_file")
	case in.doc != nil:
		return b.t(lang, "adm_input_document", htmlText(b.t(lang, want)))
	case in.blank:
		return b.t(lang, "adm_input_blank", htmlText(b.t(lang, want)))
	case in.button != "":
		return b.t(lang, "adm_input_button", htmlText(b.t(lang, want)))
	case in.text != "":
		return b.t(lang, "adm_input_text", htmlText(b.t(lang, want)))
	}
	return b.t(lang, "adm_input_unreadable", htmlText(b.t(lang, want)))
}

// stepMoves returns the two moves of a conversation step: again explains why the
// input was not taken and asks the step's question again; next saves data (a
// pointer to the conversation's data) at step and asks that step's question.
// prompt renders a step's question from the data as it is when called.
func (b *Bot) stepMoves(ctx context.Context, r *request, st dialog.State, data any,
	prompt func(step string) (view, error)) (again func(why string) error, next func(step string) error) {
	again = func(why string) error {
		v, err := prompt(st.Step)
		if err != nil {
			return err
		}
		return b.reprompt(ctx, r, why, v)
	}
	next = func(step string) error {
		if err := b.putStep(ctx, r, st, step, data); err != nil {
			return err
		}
		v, err := prompt(step)
		if err != nil {
			return err
		}
		return b.show(ctx, r, v)
	}
	return again, next
}

// textField is a typed answer some step takes: text of at most most characters,
// on one line unless multiline, with the catalog's rule for it checked early so
// the step can ask again. want names the text completing "here I need ..."
// (wrongInput), rule the one stating the limit.
type textField struct {
	most       int
	multiline  bool
	want, rule string
}

// The text fields of the seller side's conversations.
var (
	shopNameField    = textField{most: maxShopName, want: "sell_want_name", rule: "err_shop_name"}
	titleField       = textField{most: maxTitle, want: "adm_want_title", rule: "err_title"}
	descriptionField = textField{most: maxDescription, multiline: true, want: "adm_want_description", rule: "err_description"}
	variantNameField = textField{most: maxVariantName, want: "adm_want_vname", rule: "err_variant_name"}
	categoryField    = textField{most: maxCategory, want: "adm_want_category", rule: "err_category_name"}
	placeNameField   = textField{most: maxPlaceName, want: "adm_want_place_name", rule: "err_pickup_point_fields"}
	addressField     = textField{most: maxAddress, multiline: true, want: "adm_want_address", rule: "err_pickup_point_fields"}
	hoursField       = textField{most: maxHours, multiline: true, want: "adm_want_hours", rule: "err_pickup_point_fields"}
	optionNameField  = textField{most: maxPlaceName, want: "adm_want_option_name", rule: "err_shipping_option_fields"}
	trackingField    = textField{most: maxTrackingNote, multiline: true, want: "adm_want_tracking", rule: "err_note"}
)

// readText takes the answer to a step that asks for field f. When in is not one,
// text is "" and why explains it in lang.
func (b *Bot) readText(lang string, in adminInput, f textField) (text, why string) {
	switch {
	case in.text == "":
		return "", b.wrongInput(lang, in, f.want)
	case f.multiline && !validText(in.text, f.most), !f.multiline && !validLine(in.text, f.most):
		return "", b.t(lang, f.rule)
	}
	return in.text, ""
}

// readVariantName takes the name of a new variant of a product whose variants are
// named taken: names are told apart ignoring case. When in is not one, why
// explains it in lang.
func (b *Bot) readVariantName(lang string, in adminInput, taken []string) (name, why string) {
	name, why = b.readText(lang, in, variantNameField)
	if why != "" {
		return "", why
	}
	for _, t := range taken {
		if strings.EqualFold(t, name) {
			return "", b.t(lang, "adm_vname_taken", name)
		}
	}
	return name, ""
}

// readPrice takes the answer to a step that asks for a price in cur. When in is
// not one, why explains it in lang.
func (b *Bot) readPrice(lang string, in adminInput, cur core.Currency) (price core.Money, why string) {
	if in.text == "" {
		return core.Money{}, b.wrongInput(lang, in, "adm_want_price")
	}
	price, err := core.ParsePrice(in.text, cur)
	if err != nil {
		return core.Money{}, b.priceProblem(lang, err, cur)
	}
	return price, ""
}

// readCount takes the answer to a step that asks how many are in stock: a whole
// number from 0 to catalog.MaxStock. When in is not one, why explains it in lang.
func (b *Bot) readCount(lang string, in adminInput) (n int, why string) {
	if in.text == "" {
		return 0, b.wrongInput(lang, in, "adm_want_stock")
	}
	n, err := parseQuantity(in.text, 0, catalog.MaxStock)
	if err != nil {
		return 0, b.t(lang, "err_stock_quantity")
	}
	return n, ""
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

// putStep saves a conversation's data at a step, keeping the conversation's id.
func (b *Bot) putStep(ctx context.Context, r *request, st dialog.State, step string, data any) error {
	if r.conv == "" {
		r.conv = conversationOf(st)
	}
	if r.conv == "" {
		r.conv = newNonce()
	}
	return b.saveDialog(ctx, r, st.Kind, step, data)
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

// idAndCode reads callback data "<verb>:<id>:<code>" whose code is one of codes;
// errStaleButton for any other.
func idAndCode(d callbackData, codes ...string) (int64, string, error) {
	if err := d.want(2); err != nil {
		return 0, "", errStaleButton
	}
	id, err := d.Int(0)
	if err != nil || !slices.Contains(codes, d.Str(1)) {
		return 0, "", errStaleButton
	}
	return id, d.Str(1), nil
}

// withID adapts fn, a screen of one record, to the callback "<verb>:<id>"; data of
// another shape is a stale button.
func withID[T ~int64](fn func(context.Context, *request, T) error) callbackFunc {
	return func(ctx context.Context, r *request, d callbackData) error {
		id, err := idArg(d)
		if err != nil {
			return err
		}
		return fn(ctx, r, T(id))
	}
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
