package telegram

// Routing. HandleUpdate dispatches by the kind of update:
//
//   - a message with successful_payment -> payment.go;
//   - a command ("/name arg") -> the command registered under that name (it first
//     ends any conversation the user is in);
//   - any other message from someone in a conversation -> the step handler of the
//     conversation's kind (dialog.State.Kind), with the state;
//   - any other text -> search;
//   - a callback query -> the handler of its verb ("<verb>:<arg>:...", callback.go);
//     the query is always answered when the handler returns, with r.answer/r.alert
//     text, or the error explained;
//   - inline, shipping and pre-checkout queries -> inline.go, payment.go.
//
// Extension points for a side of the bot (shopper.go, admin*.go): in its
// <side>Routes(r) function, called by New,
//
//	r.command("admin", b.cmdAdmin, "cmd_admin")   // "" as menu key keeps it out of the menu
//	r.callback("am", b.onAdminMenu)               // verbs: 1-4 lowercase letters, unique
//	r.dialog("product:add", b.onProductAddStep)   // conversation kinds, unique
//
// and its texts in <side>Texts() (texts_admin.go for the seller side). A handler
// returns nil, an application error (explained to the user in their language by
// errorText), or an infrastructure error (retried by the inbox; handlers must be
// idempotent). Conversations: b.startDialog / dialogData / b.endDialog; a command
// ends the one the user is in and says so (leaveDialog). Screens: b.show (edits
// the pressed message in place; a handler wrapped in fresh sends a new one),
// b.sendText, keyboard and button.
// Shared names: verbAdminOrder (the staff notification's button) and
// inviteCommand ("/start inv_<token>" calls the command registered under it).

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/telegram/throttle"
	"github.com/vitrina-shop/vitrina/core"
	"github.com/vitrina-shop/vitrina/core/catalog"
	"github.com/vitrina-shop/vitrina/core/dialog"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Handlers. Each returns nil when the update is dealt with, an application error
// (core.Error other than EINTERNAL) that the router explains to the user in their
// language, or any other error for an infrastructure failure, which the inbox
// retries. A handler must therefore be safe to run twice for one update.
type (
	// commandFunc handles "/<command> <arg>" in a private chat.
	commandFunc func(ctx context.Context, r *request, arg string) error
	// callbackFunc handles a pressed inline button.
	callbackFunc func(ctx context.Context, r *request, d callbackData) error
	// dialogFunc handles a message from someone in a conversation of its kind: text,
	// a photo, a document, or a command the router does not know (so a conversation
	// may take "/skip" or "/done").
	dialogFunc func(ctx context.Context, r *request, st dialog.State) error
)

// router maps updates to handlers. Each file registers its own with
// b.<side>Routes(r), called from New; registering a name twice is an error that New
// returns.
type router struct {
	commands  map[string]commandFunc
	callbacks map[string]callbackFunc
	dialogs   map[string]dialogFunc
	// steps are the step functions of the conversations registered with
	// conversation, which answer their prompts' step buttons (onDialogButton).
	steps map[string]stepFunc
	menu  []menuCommand
	texts []map[string]text

	// The handlers of the updates that are not commands, buttons or conversation
	// steps: each registered once, by the feature that owns it.
	payment     func(ctx context.Context, r *request) error // a successful_payment message
	preCheckout func(ctx context.Context, u telego.Update) error
	shipping    func(ctx context.Context, u telego.Update) error
	inline      func(ctx context.Context, u telego.Update) error
	text        func(ctx context.Context, r *request, text string) error // any other text (search)

	// What features add to other features' screens, in the order registered.
	shopLines       []shopLineFunc
	shopRows        []shopRowFunc
	productFacts    []productFactsFunc
	productRows     []productRowFunc
	operatorButtons []operatorButton

	err error
}

// Additions to the screens of other features: a feature registers them so that the
// screen's owner need not know it (the shop card shows the shop's rating, which the
// reviews feature knows).
type (
	// shopLineFunc returns a line of the shop card ("" for none).
	shopLineFunc func(ctx context.Context, lang string, shop catalog.Shop) (string, error)
	// shopRowFunc adds a row of buttons to the shop card.
	shopRowFunc func(ctx context.Context, r *request, k *keyboard, shop catalog.Shop) error
	// productFactsFunc returns lines of the product card.
	productFactsFunc func(ctx context.Context, lang string, p catalog.Product) ([]string, error)
	// productRowFunc adds a row of buttons to the product card.
	productRowFunc func(ctx context.Context, lang string, k *keyboard, p catalog.Product) error
)

// operatorButton is a row of the platform operators' menu, placed by rank.
type operatorButton struct {
	rank int
	fn   func(ctx context.Context, r *request) []telegoButton
}

// menuCommand is an entry of the command menu set by SetCommands.
type menuCommand struct {
	name           string
	descriptionKey string
}

func newRouter() *router {
	return &router{
		commands:  make(map[string]commandFunc),
		callbacks: make(map[string]callbackFunc),
		dialogs:   make(map[string]dialogFunc),
		steps:     make(map[string]stepFunc),
	}
}

// command registers a command by its name without "/" (lowercase). A non-empty
// menuKey names the text that describes it in the command menu; "" keeps it out of
// the menu. A registered command ends any conversation the user is in.
func (r *router) command(name string, fn commandFunc, menuKey string) {
	if _, dup := r.commands[name]; dup {
		r.fail("command /%s registered twice", name)
		return
	}
	r.commands[name] = fn
	if menuKey != "" {
		r.menu = append(r.menu, menuCommand{name: name, descriptionKey: menuKey})
	}
}

// callback registers the handler of a callback verb (see callback.go).
func (r *router) callback(verb string, fn callbackFunc) {
	if !validVerb(verb) {
		r.fail("callback verb %q is not 1-4 lowercase letters", verb)
		return
	}
	if _, dup := r.callbacks[verb]; dup {
		r.fail("callback verb %q registered twice", verb)
		return
	}
	r.callbacks[verb] = fn
}

// dialog registers the step handler of a conversation kind (dialog.State.Kind).
func (r *router) dialog(kind string, fn dialogFunc) {
	if _, dup := r.dialogs[kind]; dup {
		r.fail("dialog %q registered twice", kind)
		return
	}
	r.dialogs[kind] = fn
}

// command returns the handler of a command registered by some feature.
func (b *Bot) command(name string) (commandFunc, bool) {
	fn, ok := b.routes.commands[name]
	return fn, ok
}

// conversation registers a conversation kind made of steps (admin_dialog.go): its
// messages go to fn through dialogStep, and so do its step buttons.
func (r *router) conversation(kind string, fn stepFunc, dialogStep func(stepFunc) dialogFunc) {
	if _, dup := r.steps[kind]; dup {
		r.fail("conversation %q registered twice", kind)
		return
	}
	r.steps[kind] = fn
	r.dialog(kind, dialogStep(fn))
}

// addTexts adds a feature's texts to the catalog; a key defined twice is an error.
func (r *router) addTexts(t map[string]text) { r.texts = append(r.texts, t) }

// once sets *slot to fn, failing if a feature set it before.
func once[F any](r *router, slot *F, fn F, what string) {
	if !reflect.ValueOf(*slot).IsNil() {
		r.fail("%s registered twice", what)
		return
	}
	*slot = fn
}

// onPayment registers the handler of successful_payment messages.
func (r *router) onPayment(fn func(ctx context.Context, r *request) error) {
	once(r, &r.payment, fn, "the payment handler")
}

// onPreCheckout registers the handler of pre_checkout_query.
func (r *router) onPreCheckout(fn func(ctx context.Context, u telego.Update) error) {
	once(r, &r.preCheckout, fn, "the pre-checkout handler")
}

// onShipping registers the handler of shipping_query.
func (r *router) onShipping(fn func(ctx context.Context, u telego.Update) error) {
	once(r, &r.shipping, fn, "the shipping handler")
}

// onInline registers the handler of inline_query.
func (r *router) onInline(fn func(ctx context.Context, u telego.Update) error) {
	once(r, &r.inline, fn, "the inline handler")
}

// onText registers the handler of text that is neither a command nor a step of a
// conversation.
func (r *router) onText(fn func(ctx context.Context, r *request, text string) error) {
	once(r, &r.text, fn, "the text handler")
}

// shopLine, shopRow, productFacts and productRow add to the shopper's cards.
func (r *router) shopLine(fn shopLineFunc)        { r.shopLines = append(r.shopLines, fn) }
func (r *router) shopRow(fn shopRowFunc)          { r.shopRows = append(r.shopRows, fn) }
func (r *router) productFact(fn productFactsFunc) { r.productFacts = append(r.productFacts, fn) }
func (r *router) productRow(fn productRowFunc)    { r.productRows = append(r.productRows, fn) }

// operatorButton adds a row to the operators' menu; rows go by rank, lowest first.
func (r *router) operatorButton(rank int, fn func(ctx context.Context, r *request) []telegoButton) {
	i := len(r.operatorButtons)
	for i > 0 && r.operatorButtons[i-1].rank > rank {
		i--
	}
	r.operatorButtons = slices.Insert(r.operatorButtons, i, operatorButton{rank: rank, fn: fn})
}

func (r *router) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

// request is one update being handled, with the acting user.
type request struct {
	update telego.Update
	user   user.User
	lang   string // "ru" or "en"
	// chatID is the private chat with the user, where answers go. For a private chat
	// it equals the user's id, which is also where updates without a chat (inline,
	// payment queries) are answered.
	chatID int64
	// msg is the message the update carries, or the bot's message whose button was
	// pressed; nil for inline and payment queries and inaccessible messages.
	msg      *telego.Message
	callback *telego.CallbackQuery

	// The answer to the callback query, sent when the handler returns.
	answerText  string
	answerAlert bool

	// conv is the id of the conversation being handled, which its step buttons
	// carry (stampSteps); "" outside conversations.
	conv string
	// left is the kind of the conversation a command ended, "" if none.
	left string
	// fresh makes show send a new message instead of editing the pressed one.
	fresh bool
}

// userID returns the acting user's id.
func (r *request) userID() core.UserID { return r.user.ID }

// answer sets a short notice shown at the top of the chat when the callback is
// answered.
func (r *request) answer(text string) { r.answerText, r.answerAlert = text, false }

// alert sets a notice the user must dismiss, for refusals they need to read.
func (r *request) alert(text string) { r.answerText, r.answerAlert = text, true }

// HandleUpdate handles one update synchronously: it returns when every reply is
// sent. It returns an error only for a failure a retry may fix (the database or the
// Bot API unreachable, a 429); bad input, stale buttons and refused actions are
// answered to the user and return nil. A panic in a handler is returned as an error.
func (b *Bot) HandleUpdate(ctx context.Context, u telego.Update) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("update %d: panic: %v\n%s", u.UpdateID, p, debug.Stack())
		}
	}()
	switch {
	case u.PreCheckoutQuery != nil && b.routes.preCheckout != nil:
		return b.routes.preCheckout(ctx, u)
	case u.ShippingQuery != nil && b.routes.shipping != nil:
		return b.routes.shipping(ctx, u)
	case u.Message != nil:
		return b.onMessage(ctx, u)
	case u.CallbackQuery != nil:
		return b.onCallback(ctx, u)
	case u.InlineQuery != nil && b.routes.inline != nil:
		return b.routes.inline(ctx, u)
	}
	// Other kinds (edits, chat member changes) are not used yet.
	return nil
}

// newRequest records that from acted (users.Touch) and returns the request with
// their language.
func (b *Bot) newRequest(ctx context.Context, u telego.Update, from telego.User) (*request, error) {
	usr, err := b.users.Touch(ctx, user.Seen{
		ID:           core.UserID(from.ID),
		FirstName:    from.FirstName,
		Username:     from.Username,
		TelegramLang: from.LanguageCode,
	})
	if err != nil {
		return nil, fmt.Errorf("touch user: %w", err)
	}
	return &request{update: u, user: usr, lang: langOf(usr.Lang()), chatID: from.ID}, nil
}

func (b *Bot) onMessage(ctx context.Context, u telego.Update) error {
	m := u.Message
	if m.From == nil {
		return nil
	}
	// Vitrina talks to people in private chats; groups and channels come with live
	// drops (later). A payment is money taken wherever its invoice was paid (an
	// invoice forwarded to a group): it is recorded all the same, and the payer is
	// answered in their private chat with the bot, not in front of the group.
	if m.Chat.Type != telego.ChatTypePrivate && m.SuccessfulPayment == nil {
		return nil
	}
	r, err := b.newRequest(ctx, u, *m.From)
	if err != nil {
		return err
	}
	r.msg = m
	if m.Chat.Type == telego.ChatTypePrivate {
		r.chatID = m.Chat.ID
	}
	return b.finish(ctx, r, b.routeMessage(ctx, r))
}

func (b *Bot) routeMessage(ctx context.Context, r *request) error {
	m := r.msg
	if m.SuccessfulPayment != nil {
		if b.routes.payment == nil {
			return errors.New("a successful payment, and no feature takes payments")
		}
		return b.routes.payment(ctx, r)
	}
	name, arg, isCommand := parseCommand(m.Text, b.username)
	if isCommand {
		if fn, ok := b.routes.commands[name]; ok {
			if err := b.leaveDialog(ctx, r); err != nil {
				return err
			}
			return fn(ctx, r, arg)
		}
	}
	st, inDialog, err := b.dialogs.Get(ctx, r.userID(), r.chatID)
	if err != nil {
		return fmt.Errorf("get dialog: %w", err)
	}
	if inDialog {
		if fn, ok := b.routes.dialogs[st.Kind]; ok {
			return fn(ctx, r, st)
		}
		// A conversation of a kind no longer known (an older replica's): end it.
		if err := b.dialogs.Delete(ctx, r.userID(), r.chatID); err != nil {
			return fmt.Errorf("end dialog: %w", err)
		}
	}
	switch {
	case isCommand:
		return b.sendText(ctx, r.chatID, b.t(r.lang, "unknown_command"), nil)
	case core.Visible(m.Text) && b.routes.text != nil:
		return b.routes.text(ctx, r, m.Text)
	default:
		return b.sendText(ctx, r.chatID, b.t(r.lang, "send_words"), nil)
	}
}

// leaveDialog ends the conversation the user is in, if any, because they sent a
// command: they changed their mind. They are told what is left unfinished, so
// nothing is lost without a word; r.left records its kind. A conversation whose
// action is done (stepDone) leaves silently. The notice goes before the
// conversation ends, so that a retried update says it again rather than nothing.
func (b *Bot) leaveDialog(ctx context.Context, r *request) error {
	st, ok, err := b.dialogs.Get(ctx, r.userID(), r.chatID)
	if err != nil {
		return fmt.Errorf("get dialog: %w", err)
	}
	if !ok {
		return nil
	}
	if st.Step != stepDone {
		r.left = st.Kind
		notice := b.t(r.lang, "cancel_done")
		if key := dialogNameKey(st.Kind); b.texts[key] != (text{}) {
			notice = b.t(r.lang, "dialog_cancelled", htmlText(b.t(r.lang, key)))
		}
		if err := b.sendText(ctx, r.chatID, notice, nil); err != nil {
			return err
		}
	}
	return b.endDialog(ctx, r)
}

// dialogNameKey is the key of the text naming a conversation kind ("dialog_" and
// the kind, ':' made '_'), in the catalog of the side that registers the kind.
func dialogNameKey(kind string) string {
	return "dialog_" + strings.ReplaceAll(kind, ":", "_")
}

// parseCommand splits "/name@bot arg" into its lowercase name and argument. A
// command addressed to another bot is not a command for us.
func parseCommand(text, username string) (name, arg string, ok bool) {
	if !strings.HasPrefix(text, "/") {
		return "", "", false
	}
	head, arg, _ := strings.Cut(text[1:], " ")
	if i := strings.IndexAny(head, "\n"); i >= 0 {
		head, arg = head[:i], head[i+1:]+" "+arg
	}
	head, to, addressed := strings.Cut(head, "@")
	if addressed && !strings.EqualFold(to, username) {
		return "", "", false
	}
	if head == "" {
		return "", "", false
	}
	return strings.ToLower(head), strings.TrimSpace(arg), true
}

func (b *Bot) onCallback(ctx context.Context, u telego.Update) (err error) {
	q := u.CallbackQuery
	r, err := b.newRequest(ctx, u, q.From)
	if err != nil {
		// The button spins until answered; answer it even though we cannot do more.
		b.answerCallback(ctx, q.ID, b.t(langOf(q.From.LanguageCode), "error_internal"), true)
		return err
	}
	r.callback = q
	if q.Message != nil {
		r.chatID = q.Message.GetChat().ID
		if q.Message.IsAccessible() {
			r.msg = q.Message.Message()
		}
	}
	// The query is answered once: when the handler returns, or earlier, when a reply
	// is about to wait for its rate-limit slot (throttle), so that the button does not
	// spin for the wait. Handlers decide their answer before they show a screen, so
	// the early answer says the same; only an error after it goes unsaid, and such an
	// error brings the update back anyway.
	answered := false
	answer := func(text string, alert bool) {
		if !answered {
			answered = true
			b.answerCallback(ctx, q.ID, text, alert)
		}
	}
	ctx = throttle.BeforeWait(ctx, func() { answer(r.answerText, r.answerAlert) })
	defer func() {
		if p := recover(); p != nil {
			answer(b.t(r.lang, "error_internal"), true)
			panic(p)
		}
		answer(r.answerText, r.answerAlert)
	}()
	return b.finish(ctx, r, b.routeCallback(ctx, r, q.Data))
}

func (b *Bot) routeCallback(ctx context.Context, r *request, data string) error {
	d, err := parseCallback(data)
	if err != nil {
		return errStaleButton
	}
	fn, ok := b.routes.callbacks[d.Verb]
	if !ok {
		return errStaleButton
	}
	return fn(ctx, r, d)
}

// fresh makes fn show its screen in a new message, leaving the pressed one as it
// is: for the buttons of notifications and receipts, which are worth keeping in
// the chat.
func fresh(fn callbackFunc) callbackFunc {
	return func(ctx context.Context, r *request, d callbackData) error {
		r.fresh = true
		return fn(ctx, r, d)
	}
}

// errStaleButton answers a button the bot no longer understands: an old message
// from before an upgrade, or data the bot did not make.
var errStaleButton = &core.Error{Code: core.EINVALID, Message: "this button no longer works"}

// finish deals with a handler's error: application errors are explained to the
// user, a user who blocked the bot is marked unreachable, a request Telegram refused
// for good is logged, and whatever a retry may fix is returned for the inbox.
func (b *Bot) finish(ctx context.Context, r *request, err error) error {
	if err == nil {
		return nil
	}
	if userFacing(err) {
		return b.tell(ctx, r, b.errorText(r.lang, err))
	}
	if code := apiErrorCode(err); code != 0 {
		switch {
		case code == 403:
			if err := b.users.MarkUnreachable(ctx, r.userID()); err != nil {
				return fmt.Errorf("mark unreachable: %w", err)
			}
			return nil
		case code == 400:
			// A retry would be refused the same way: a bug to fix, not to retry.
			b.log.ErrorContext(ctx, "telegram refused a request", "err", err, "update_id", r.update.UpdateID)
			return b.tell(ctx, r, b.t(r.lang, "error_internal"))
		}
	}
	if r.callback != nil {
		r.alert(b.t(r.lang, "error_internal"))
	}
	return err
}

// tell shows text to the user: as the callback's answer when there is a callback
// (so nothing is sent twice), else as a message. A failure to send it is returned
// only when a retry may fix it.
func (b *Bot) tell(ctx context.Context, r *request, text string) error {
	if r.callback != nil {
		r.alert(text)
		return nil
	}
	err := b.sendText(ctx, r.chatID, text, nil)
	if code := apiErrorCode(err); code == 403 || code == 400 {
		return nil
	}
	return err
}

// userFacing reports whether err is an application error a user should read, as
// opposed to an infrastructure failure.
func userFacing(err error) bool {
	code := core.ErrorCode(err)
	return code != "" && code != core.EINTERNAL
}

// --- conversations ---

// startDialog puts the user in a new conversation of kind at step, with data (a
// struct that marshals to a JSON object) collected so far. The conversation gets a
// fresh id (r.conv), which its step buttons carry, so that a button of an earlier
// conversation answers nothing in this one.
func (b *Bot) startDialog(ctx context.Context, r *request, kind, step string, data any) error {
	r.conv = newNonce()
	return b.saveDialog(ctx, r, kind, step, data)
}

// saveDialog saves the user's conversation of kind at step with data, under the
// conversation id r.conv.
func (b *Bot) saveDialog(ctx context.Context, r *request, kind, step string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("marshal dialog %s: %w", kind, err)
	}
	raw = withConversation(raw, r.conv)
	st := dialog.State{UserID: r.userID(), ChatID: r.chatID, Kind: kind, Step: step, Data: raw, UpdatedAt: b.clock.Now()}
	if err := b.dialogs.Put(ctx, st); err != nil {
		return fmt.Errorf("put dialog %s: %w", kind, err)
	}
	return nil
}

// endDialog ends the user's conversation in this chat, if any.
func (b *Bot) endDialog(ctx context.Context, r *request) error {
	if err := b.dialogs.Delete(ctx, r.userID(), r.chatID); err != nil {
		return fmt.Errorf("end dialog: %w", err)
	}
	return nil
}

// errNoDialogData is returned when a conversation's saved data does not decode: it
// was written by an incompatible version; the conversation should start over.
var errNoDialogData = errors.New("dialog data does not decode")

// conversationKey is the field of a conversation's saved data that holds its id;
// the data structs of the conversations never use it.
const conversationKey = "_conv"

// withConversation adds the conversation id conv to raw, a JSON object.
func withConversation(raw []byte, conv string) []byte {
	if conv == "" || len(raw) < 2 || raw[0] != '{' {
		return raw
	}
	field := strconv.Quote(conversationKey) + ":" + strconv.Quote(conv)
	if strings.TrimSpace(string(raw[1:])) == "}" {
		return []byte("{" + field + "}")
	}
	return append([]byte("{"+field+","), raw[1:]...)
}

// conversationOf returns the id of a saved conversation; "" for one saved before
// conversations had ids.
func conversationOf(st dialog.State) string {
	var id struct {
		Conv string `json:"_conv"`
	}
	if len(st.Data) == 0 || json.Unmarshal(st.Data, &id) != nil {
		return ""
	}
	return id.Conv
}

// dialogData decodes a conversation's data into v.
func dialogData(st dialog.State, v any) error {
	if len(st.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(st.Data, v); err != nil {
		return fmt.Errorf("%w: %v", errNoDialogData, err)
	}
	return nil
}
