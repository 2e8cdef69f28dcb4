package telegram

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

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
	DialogSell     = "sell"           // admin/settings: open a shop, or change how it is paid
	DialogProduct  = "admin:product"  // admin: add a product
	DialogEdit     = "admin:edit"     // admin: one field of a product, variant or shop
	DialogVariant  = "admin:variant"  // admin: add a variant
	DialogCategory = "admin:category" // admin: a new category
	DialogStock    = "admin:stock"    // admin: adjust a variant's stock
	DialogImport   = "admin:import"   // admin: a stock file, its preview, confirm
	DialogShip     = "admin:ship"     // admin/orders: the tracking note
	DialogPickup   = "admin:pickup"   // admin/settings: a new pickup point
	DialogShipping = "admin:shipping" // admin/settings: a new shipping option
)

// stepDone is the step of a conversation whose action is done and whose result is
// being shown.
const stepDone = "done"

// Values of the common step buttons.
const (
	ButtonSkip = "skip"
	ButtonDone = "done"
)

// Input is what a person gave a conversation step: one field is set (a typed
// /skip or /done sets both button and command), or none for a message the bot
// cannot read (a sticker, a voice note).
type Input struct {
	Text    string           // typed text, trimmed, with something visible in it
	blank   bool             // typed text with nothing visible: spaces, zero-width or filler characters
	Photo   string           // the file id of a photo's largest size
	Caption string           // a photo's caption, trimmed
	Doc     *telego.Document // a file
	Button  string           // a step button's value, or buttonSkip / buttonDone typed as /skip, /done
	Command string           // a command the router does not know ("skip", "done" too), without "/"
}

// StepFunc handles one input of a conversation.
type StepFunc func(ctx context.Context, r *Request, st dialog.State, in Input) error

// DialogStep adapts a step function to the router: it reads the message into an
// adminInput and finishes a conversation left at stepDone.
func (b *Bot) DialogStep(fn StepFunc) dialogFunc {
	return func(ctx context.Context, r *Request, st dialog.State) error {
		if st.Step == stepDone {
			return b.resumeDone(ctx, r, st)
		}
		r.Conv = ConversationOf(st)
		return fn(ctx, r, st, b.inputOf(r.Msg))
	}
}

// inputOf reads a message.
func (b *Bot) inputOf(m *telego.Message) Input {
	switch {
	case m == nil:
		return Input{}
	case len(m.Photo) > 0:
		return Input{Photo: m.Photo[len(m.Photo)-1].FileID, Caption: strings.TrimSpace(m.Caption)}
	case m.Document != nil:
		return Input{Doc: m.Document}
	}
	text := strings.TrimSpace(m.Text)
	if name, _, ok := parseCommand(text, b.username); ok {
		switch name {
		case "skip":
			return Input{Button: ButtonSkip, Command: name}
		case "done":
			return Input{Button: ButtonDone, Command: name}
		}
		return Input{Command: name}
	}
	if text != "" && !core.Visible(text) {
		return Input{blank: true}
	}
	return Input{Text: text}
}

// OnDialogButton handles "ad:<step>:<value>:<conversation>": a button of the
// current step's prompt. A button of a step that is over, or of another
// conversation (one the person left, stopped at the same step), is answered so
// and changes nothing. Buttons made before conversations had ids lack the last
// argument and are taken on the step alone.
func (b *Bot) OnDialogButton(ctx context.Context, r *Request, d CallbackData) error {
	if len(d.Args) != 2 && len(d.Args) != 3 {
		return ErrStaleButton
	}
	st, ok, err := b.dialogs.Get(ctx, r.UserID(), r.ChatID)
	if err != nil {
		return fmt.Errorf("get dialog: %w", err)
	}
	fn, known := b.routes.steps[st.Kind]
	conv := ConversationOf(st)
	if !ok || !known || st.Step != d.Str(0) || len(d.Args) == 3 && d.Str(2) != conv {
		r.Alert(b.Label(r.Lang, "adm_step_over"))
		return nil
	}
	r.Conv = conv
	return fn(ctx, r, st, Input{Button: d.Str(1)})
}

// StepButton is a button of a step's prompt: "ad:<step>:<value>". The id of the
// conversation is added when the prompt is shown (stampSteps), so prompts are
// built without knowing it.
func StepButton(text, step, value string) telego.InlineKeyboardButton {
	return Button(text, VerbAdminButton, step, value)
}

// StampSteps returns v with its step buttons carrying the conversation r.conv:
// "ad:<step>:<value>" becomes "ad:<step>:<value>:<conversation>". Outside a
// conversation v is returned as it is.
func StampSteps(r *Request, v View) View {
	if r.Conv == "" || v.Keyboard == nil {
		return v
	}
	prefix := VerbAdminButton + ":"
	rows := make([][]telego.InlineKeyboardButton, len(v.Keyboard.InlineKeyboard))
	for i, row := range v.Keyboard.InlineKeyboard {
		rows[i] = slices.Clone(row)
		for j := range rows[i] {
			data := &rows[i][j].CallbackData
			stamped := *data + ":" + r.Conv
			if strings.HasPrefix(*data, prefix) && strings.Count(*data, ":") == 2 && len(stamped) <= maxCallbackData {
				*data = stamped
			}
		}
	}
	v.Keyboard = &telego.InlineKeyboardMarkup{InlineKeyboard: rows}
	return v
}

// Reprompt explains why the input was not taken and asks the step's question
// again: as a new message after a typed input, or as an alert and the prompt after
// a button.
func (b *Bot) Reprompt(ctx context.Context, r *Request, why string, prompt View) error {
	if r.Callback != nil {
		r.Alert(Plain(why))
		return b.Show(ctx, r, prompt)
	}
	prompt.Text = why + "\n\n" + prompt.Text
	_, err := b.SendView(ctx, r.ChatID, StampSteps(r, prompt))
	return err
}

// WrongInput explains an input of the wrong kind for a step that wants want: a
// photo where text is asked, text where a photo is asked, and so on.
func (b *Texts) WrongInput(lang string, in Input, want string) string {
	switch {
	case in.Command != "":
		return b.T(lang, "adm_input_command", "/"+in.Command)
	case in.Photo != "":
		return b.T(lang, "adm_input_photo", HTML(b.T(lang, want)))
	case in.Doc != nil && want == "adm_want_photo" && strings.HasPrefix(in.Doc.MimeType, "image/"):
		return b.T(lang, "adm_input_image_file")
	case in.Doc != nil:
		return b.T(lang, "adm_input_document", HTML(b.T(lang, want)))
	case in.blank:
		return b.T(lang, "adm_input_blank", HTML(b.T(lang, want)))
	case in.Button != "":
		return b.T(lang, "adm_input_button", HTML(b.T(lang, want)))
	case in.Text != "":
		return b.T(lang, "adm_input_text", HTML(b.T(lang, want)))
	}
	return b.T(lang, "adm_input_unreadable", HTML(b.T(lang, want)))
}

// StepMoves returns the two moves of a conversation step: again explains why the
// input was not taken and asks the step's question again; next saves data (a
// pointer to the conversation's data) at step and asks that step's question.
// prompt renders a step's question from the data as it is when called.
func (b *Bot) StepMoves(ctx context.Context, r *Request, st dialog.State, data any,
	prompt func(step string) (View, error)) (again func(why string) error, next func(step string) error) {
	again = func(why string) error {
		v, err := prompt(st.Step)
		if err != nil {
			return err
		}
		return b.Reprompt(ctx, r, why, v)
	}
	next = func(step string) error {
		if err := b.PutStep(ctx, r, st, step, data); err != nil {
			return err
		}
		v, err := prompt(step)
		if err != nil {
			return err
		}
		return b.Show(ctx, r, v)
	}
	return again, next
}

// TextField is a typed answer some step takes: text of at most most characters,
// on one line unless multiline, with the catalog's rule for it checked early so
// the step can ask again. want names the text completing "here I need ..."
// (wrongInput), rule the one stating the limit.
type TextField struct {
	Most       int
	Multiline  bool
	Want, Rule string
}

// The text fields of the seller side's conversations.
var (
	ShopNameField    = TextField{Most: maxShopName, Want: "sell_want_name", Rule: "err_shop_name"}
	TitleField       = TextField{Most: maxTitle, Want: "adm_want_title", Rule: "err_title"}
	DescriptionField = TextField{Most: maxDescription, Multiline: true, Want: "adm_want_description", Rule: "err_description"}
	VariantNameField = TextField{Most: maxVariantName, Want: "adm_want_vname", Rule: "err_variant_name"}
	CategoryField    = TextField{Most: maxCategory, Want: "adm_want_category", Rule: "err_category_name"}
	PlaceNameField   = TextField{Most: maxPlaceName, Want: "adm_want_place_name", Rule: "err_pickup_point_fields"}
	AddressField     = TextField{Most: maxAddress, Multiline: true, Want: "adm_want_address", Rule: "err_pickup_point_fields"}
	HoursField       = TextField{Most: maxHours, Multiline: true, Want: "adm_want_hours", Rule: "err_pickup_point_fields"}
	OptionNameField  = TextField{Most: maxPlaceName, Want: "adm_want_option_name", Rule: "err_shipping_option_fields"}
	TrackingField    = TextField{Most: maxTrackingNote, Multiline: true, Want: "adm_want_tracking", Rule: "err_note"}
)

// ReadText takes the answer to a step that asks for field f. When in is not one,
// text is "" and why explains it in lang.
func (b *Texts) ReadText(lang string, in Input, f TextField) (text, why string) {
	switch {
	case in.Text == "":
		return "", b.WrongInput(lang, in, f.Want)
	case f.Multiline && !validText(in.Text, f.Most), !f.Multiline && !validLine(in.Text, f.Most):
		return "", b.T(lang, f.Rule)
	}
	return in.Text, ""
}

// ReadVariantName takes the name of a new variant of a product whose variants are
// named taken: names are told apart ignoring case. When in is not one, why
// explains it in lang.
func (b *Texts) ReadVariantName(lang string, in Input, taken []string) (name, why string) {
	name, why = b.ReadText(lang, in, VariantNameField)
	if why != "" {
		return "", why
	}
	for _, t := range taken {
		if strings.EqualFold(t, name) {
			return "", b.T(lang, "adm_vname_taken", name)
		}
	}
	return name, ""
}

// ReadPrice takes the answer to a step that asks for a price in cur. When in is
// not one, why explains it in lang.
func (b *Texts) ReadPrice(lang string, in Input, cur core.Currency) (price core.Money, why string) {
	if in.Text == "" {
		return core.Money{}, b.WrongInput(lang, in, "adm_want_price")
	}
	price, err := core.ParsePrice(in.Text, cur)
	if err != nil {
		return core.Money{}, b.PriceProblem(lang, err, cur)
	}
	return price, ""
}

// ReadCount takes the answer to a step that asks how many are in stock: a whole
// number from 0 to catalog.MaxStock. When in is not one, why explains it in lang.
func (b *Texts) ReadCount(lang string, in Input) (n int, why string) {
	if in.Text == "" {
		return 0, b.WrongInput(lang, in, "adm_want_stock")
	}
	n, err := ParseQuantity(in.Text, 0, catalog.MaxStock)
	if err != nil {
		return 0, b.T(lang, "err_stock_quantity")
	}
	return n, ""
}

// dialogResult is what a finished conversation shows: a notice and the screen of
// a callback of the admin menu.
type dialogResult struct {
	Notice string `json:"notice,omitempty"` // HTML
	Next   string `json:"next,omitempty"`   // callback data of the screen to show
}

// FinishDialog ends a conversation whose action is done: it records the result at
// stepDone, shows it, and ends the conversation. next is the admin screen to show
// (callback data made with EncodeCallback), notice a line said before it.
func (b *Bot) FinishDialog(ctx context.Context, r *Request, kind, notice, next string) error {
	res := dialogResult{Notice: notice, Next: next}
	if err := b.StartDialog(ctx, r, kind, stepDone, res); err != nil {
		return err
	}
	return b.showResult(ctx, r, res)
}

// resumeDone finishes a conversation found at stepDone: a retried update whose
// result was not shown.
func (b *Bot) resumeDone(ctx context.Context, r *Request, st dialog.State) error {
	var res dialogResult
	if err := DialogData(st, &res); err != nil {
		return b.EndDialog(ctx, r)
	}
	return b.showResult(ctx, r, res)
}

// showResult shows a finished conversation's notice and next screen, then ends the
// conversation.
func (b *Bot) showResult(ctx context.Context, r *Request, res dialogResult) error {
	if res.Notice != "" {
		if r.Callback != nil {
			r.Answer(Plain(res.Notice))
		} else if err := b.SendText(ctx, r.ChatID, res.Notice, nil); err != nil {
			return err
		}
	}
	var err error
	if res.Next != "" {
		err = b.ShowScreen(ctx, r, res.Next)
		if err != nil && !UserFacing(err) {
			return err
		}
	}
	if derr := b.EndDialog(ctx, r); derr != nil {
		return derr
	}
	return err
}

// ShowScreen shows the admin screen that callback data names, as if its button
// were pressed (editing r's message when r is a pressed button).
func (b *Bot) ShowScreen(ctx context.Context, r *Request, data string) error {
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

// Screen returns the callback data of an admin screen, for finishDialog.
func Screen(verb string, args ...any) string {
	data, err := EncodeCallback(verb, args...)
	if err != nil {
		panic(fmt.Sprintf("screen %s %v: %v", verb, args, err))
	}
	return data
}

// PutStep saves a conversation's data at a step, keeping the conversation's id.
func (b *Bot) PutStep(ctx context.Context, r *Request, st dialog.State, step string, data any) error {
	if r.Conv == "" {
		r.Conv = ConversationOf(st)
	}
	if r.Conv == "" {
		r.Conv = NewNonce()
	}
	return b.saveDialog(ctx, r, st.Kind, step, data)
}

// IntArgs reads n integer arguments of callback data; errStaleButton if d has
// another number of arguments or one is not an integer.
func IntArgs(d CallbackData, n int) ([]int64, error) {
	if err := d.Want(n); err != nil {
		return nil, ErrStaleButton
	}
	out := make([]int64, n)
	for i := range n {
		v, err := d.Int(i)
		if err != nil {
			return nil, ErrStaleButton
		}
		out[i] = v
	}
	return out, nil
}

// IDArg reads callback data with one id argument.
func IDArg(d CallbackData) (int64, error) {
	a, err := IntArgs(d, 1)
	if err != nil {
		return 0, err
	}
	return a[0], nil
}

// IDAndCode reads callback data "<verb>:<id>:<code>" whose code is one of codes;
// errStaleButton for any other.
func IDAndCode(d CallbackData, codes ...string) (int64, string, error) {
	if err := d.Want(2); err != nil {
		return 0, "", ErrStaleButton
	}
	id, err := d.Int(0)
	if err != nil || !slices.Contains(codes, d.Str(1)) {
		return 0, "", ErrStaleButton
	}
	return id, d.Str(1), nil
}

// WithID adapts fn, a screen of one record, to the callback "<verb>:<id>"; data of
// another shape is a stale button.
func WithID[T ~int64](fn func(context.Context, *Request, T) error) CallbackFunc {
	return func(ctx context.Context, r *Request, d CallbackData) error {
		id, err := IDArg(d)
		if err != nil {
			return err
		}
		return fn(ctx, r, T(id))
	}
}

// Decode reads a conversation's data; a conversation whose data does not decode
// (written by an incompatible version) is ended with an apology.
func (b *Bot) Decode(ctx context.Context, r *Request, st dialog.State, v any) (ok bool, err error) {
	if err := DialogData(st, v); err != nil {
		if err := b.EndDialog(ctx, r); err != nil {
			return false, err
		}
		return false, b.SendText(ctx, r.ChatID, b.T(r.Lang, "adm_dialog_lost"), nil)
	}
	return true, nil
}

// FormatID writes an id for a text.
func FormatID[T ~int64](id T) string { return strconv.FormatInt(int64(id), 10) }

// UserLabel names a person for the seller: their first name and @username.
func (b *Bot) UserLabel(ctx context.Context, id core.UserID) string {
	u, err := b.users.User(ctx, id)
	if err != nil {
		return "#" + FormatID(id)
	}
	s := u.FirstName
	if s == "" {
		s = "#" + FormatID(id)
	}
	if u.Username != "" {
		s += " (@" + u.Username + ")"
	}
	return s
}

// Values of the add-product conversation's buttons.
const (
	ButtonCancel = "cancel"
)

// Limits of the catalog, checked in conversations so they can ask again at once.
const (
	maxTitle       = 128
	maxDescription = 1000
	maxVariantName = 64
	maxCategory    = 64
	maxPlaceName   = 64
	maxAddress     = 256
	maxHours       = 128
)

// PriceProblem explains why a typed price was refused, in lang: the reason, and
// for too many decimals how many the currency has.
func (b *Texts) PriceProblem(lang string, err error, cur core.Currency) string {
	why := b.ErrorText(lang, err)
	if errors.Is(err, core.ErrPriceTooPrecise) {
		if exp, _ := cur.Exponent(); exp == 0 {
			why += " " + b.T(lang, "adm_price_whole", string(cur))
		} else {
			why += " " + b.T(lang, "adm_price_decimals", string(cur), exp)
		}
	}
	return why
}

// maxShopName is the catalog's limit on a shop's name, checked here too so the
// conversation can ask again at once.
const maxShopName = 64

// validLine reports whether s, trimmed, is one line of 1 to most characters
// without control characters, something visible among them: the catalog's rule
// for names, checked early so a conversation can ask again, and a name nobody can
// see refused.
func validLine(s string, most int) bool {
	s = strings.TrimSpace(s)
	n := utf8.RuneCountInString(s)
	return n >= 1 && n <= most && utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl) && core.Visible(s)
}

// validText reports whether s, trimmed, is at most most characters without control
// characters other than line breaks and tabs: the catalog's rule for descriptions
// and addresses.
func validText(s string, most int) bool {
	s = strings.TrimSpace(s)
	return utf8.RuneCountInString(s) <= most && utf8.ValidString(s) &&
		!strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' })
}
