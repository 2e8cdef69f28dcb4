package telegram

// Routing. HandleUpdate dispatches by the kind of update:
//
//   - a message with successful_payment -> the payment handler (OnPayment);
//   - a command ("/name arg") -> the command registered under that name (it first
//     ends any conversation the user is in);
//   - any other message from someone in a conversation -> the step handler of the
//     conversation's kind (dialog.State.Kind), with the state;
//   - any other text -> the text handler (OnText: the shopper's search);
//   - a callback query -> the handler of its verb ("<verb>:<arg>:...", callback.go);
//     the query is always answered when the handler returns, with r.Answer/r.Alert
//     text, or the error explained;
//   - inline, shipping and pre-checkout queries -> OnInline, OnShipping,
//     OnPreCheckout.
//
// A feature registers with the Router in its Register method, called by New:
//
//	r.Command("admin", b.cmdAdmin, "cmd_admin")   // "" as menu key keeps it out of the menu
//	r.Callback("am", b.onAdminMenu)               // verbs: 1-4 lowercase letters, unique
//	r.Conversation(kind, b.productStep, k.DialogStep) // conversation kinds, unique
//	r.AddTexts(texts())                           // keys unique across features
//	r.ShopRow(b.subscribeRow)                     // additions to other features' screens
//
// A name registered twice makes New fail. A handler returns nil, an application
// error (explained to the user in their language by ErrorText), or an
// infrastructure error (retried by the inbox; handlers must be idempotent).
// Conversations: StartDialog / DialogData / EndDialog; a command ends the one the
// user is in and says so (leaveDialog). Screens: Show (edits the pressed message in
// place; a handler wrapped in Fresh sends a new one), SendText, Keyboard and
// Button. Shared names: VerbAdminOrder (the staff notification's button) and
// InviteCommand ("/start inv_<token>" calls the command registered under it).

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
	"github.com/vitrina-shop/vitrina/core/order"
	"github.com/vitrina-shop/vitrina/core/user"
)

// Handlers. Each returns nil when the update is dealt with, an application error
// (core.Error other than EINTERNAL) that the router explains to the user in their
// language, or any other error for an infrastructure failure, which the inbox
// retries. A handler must therefore be safe to run twice for one update.
type (
	// commandFunc handles "/<command> <arg>" in a private chat.
	commandFunc func(ctx context.Context, r *Request, arg string) error
	// CallbackFunc handles a pressed inline button.
	CallbackFunc func(ctx context.Context, r *Request, d CallbackData) error
	// dialogFunc handles a message from someone in a conversation of its kind: text,
	// a photo, a document, or a command the router does not know (so a conversation
	// may take "/skip" or "/done").
	dialogFunc func(ctx context.Context, r *Request, st dialog.State) error
)

// Router maps updates to handlers. Each file registers its own with
// b.<side>Routes(r), called from New; registering a name twice is an error that New
// returns.
type Router struct {
	commands  map[string]commandFunc
	callbacks map[string]CallbackFunc
	dialogs   map[string]dialogFunc
	// steps are the step functions of the conversations registered with
	// conversation, which answer their prompts' step buttons (onDialogButton).
	steps map[string]StepFunc
	menu  []menuCommand
	texts []map[string]Text
	// errors are the features' error texts (AddErrors).
	errors []ErrorKey

	// The handlers of the updates that are not commands, buttons or conversation
	// steps: each registered once, by the feature that owns it.
	payment     func(ctx context.Context, r *Request) error // a successful_payment message
	preCheckout func(ctx context.Context, u telego.Update) error
	shipping    func(ctx context.Context, u telego.Update) error
	inline      func(ctx context.Context, u telego.Update) error
	// inlines are the handlers of inline queries that start with a prefix
	// ("gb_12": a group buy's card), and chosen the handlers of the results
	// chosen whose ids start with one; both by prefix.
	inlines     map[string]func(ctx context.Context, u telego.Update) error
	chosen      map[string]func(ctx context.Context, u telego.Update) error
	text        func(ctx context.Context, r *Request, text string) error // any other text (search)
	chatMember  func(ctx context.Context, u telego.Update) error         // my_chat_member: the bot's rights in a chat
	channelPost func(ctx context.Context, u telego.Update) error         // a channel's post (video chat service messages)
	invoice     InvoiceFunc
	// deepLinks are the handlers of "/start <prefix>_<arg>" registered by
	// features, by prefix.
	deepLinks map[string]commandFunc
	// express are the callback verbs answered in the webhook's response
	// (express.go).
	express map[string]ExpressFunc

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
	shopRowFunc func(ctx context.Context, r *Request, k *Keyboard, shop catalog.Shop) error
	// productFactsFunc returns lines of the product card.
	productFactsFunc func(ctx context.Context, lang string, p catalog.Product) ([]string, error)
	// productRowFunc adds a row of buttons to the product card.
	productRowFunc func(ctx context.Context, lang string, k *Keyboard, p catalog.Product) error
)

// operatorButton is a row of the platform operators' menu, placed by rank.
type operatorButton struct {
	rank int
	fn   func(ctx context.Context, r *Request) []TelegoButton
}

// menuCommand is an entry of the command menu set by SetCommands.
type menuCommand struct {
	name           string
	descriptionKey string
}

func newRouter() *Router {
	return &Router{
		commands:  make(map[string]commandFunc),
		callbacks: make(map[string]CallbackFunc),
		dialogs:   make(map[string]dialogFunc),
		steps:     make(map[string]StepFunc),
		deepLinks: make(map[string]commandFunc),
		express:   make(map[string]ExpressFunc),
	}
}

// Command registers a command by its name without "/" (lowercase). A non-empty
// menuKey names the text that describes it in the command menu; "" keeps it out of
// the menu. A registered command ends any conversation the user is in.
func (r *Router) Command(name string, fn commandFunc, menuKey string) {
	if _, dup := r.commands[name]; dup {
		r.fail("command /%s registered twice", name)
		return
	}
	r.commands[name] = fn
	if menuKey != "" {
		r.menu = append(r.menu, menuCommand{name: name, descriptionKey: menuKey})
	}
}

// Callback registers the handler of a callback verb (see callback.go).
func (r *Router) Callback(verb string, fn CallbackFunc) {
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

// Dialog registers the step handler of a conversation kind (dialog.State.Kind).
func (r *Router) Dialog(kind string, fn dialogFunc) {
	if _, dup := r.dialogs[kind]; dup {
		r.fail("dialog %q registered twice", kind)
		return
	}
	r.dialogs[kind] = fn
}

// Command returns the handler of a command registered by some feature.
func (b *Bot) Command(name string) (commandFunc, bool) {
	fn, ok := b.routes.commands[name]
	return fn, ok
}

// Conversation registers a conversation kind made of steps (dialog.go): its
// messages go to fn through dialogStep, and so do its step buttons.
func (r *Router) Conversation(kind string, fn StepFunc, dialogStep func(StepFunc) dialogFunc) {
	if _, dup := r.steps[kind]; dup {
		r.fail("conversation %q registered twice", kind)
		return
	}
	r.steps[kind] = fn
	r.Dialog(kind, dialogStep(fn))
}

// AddTexts adds a feature's texts to the catalog; a key defined twice is an error.
func (r *Router) AddTexts(t map[string]Text) { r.texts = append(r.texts, t) }

// AddErrors adds a feature's error texts: a handler's error that wraps one of
// them is told with its text (Bot.ErrorText, and so every handler's error
// through finish), before the kernel's own. A key without a text is an error.
func (r *Router) AddErrors(keys ...ErrorKey) { r.errors = append(r.errors, keys...) }

// once sets *slot to fn, failing if a feature set it before.
func once[F any](r *Router, slot *F, fn F, what string) {
	if !reflect.ValueOf(*slot).IsNil() {
		r.fail("%s registered twice", what)
		return
	}
	*slot = fn
}

// OnPayment registers the handler of successful_payment messages.
func (r *Router) OnPayment(fn func(ctx context.Context, r *Request) error) {
	once(r, &r.payment, fn, "the payment handler")
}

// OnPreCheckout registers the handler of pre_checkout_query.
func (r *Router) OnPreCheckout(fn func(ctx context.Context, u telego.Update) error) {
	once(r, &r.preCheckout, fn, "the pre-checkout handler")
}

// OnShipping registers the handler of shipping_query.
func (r *Router) OnShipping(fn func(ctx context.Context, u telego.Update) error) {
	once(r, &r.shipping, fn, "the shipping handler")
}

// OnInline registers the handler of inline_query.
func (r *Router) OnInline(fn func(ctx context.Context, u telego.Update) error) {
	once(r, &r.inline, fn, "the inline handler")
}

// InlinePrefix registers the handler of the inline queries that start with
// prefix (a share button's switch_inline_query: "gb_12"); other queries go to
// OnInline's.
func (r *Router) InlinePrefix(prefix string, fn func(ctx context.Context, u telego.Update) error) {
	if overlaps(r.inlines, prefix) {
		r.fail("inline prefix %q empty, or one of another", prefix)
		return
	}
	if r.inlines == nil {
		r.inlines = map[string]func(ctx context.Context, u telego.Update) error{}
	}
	r.inlines[prefix] = fn
}

// OnChosenInline registers the handler of chosen_inline_result updates for
// the results whose ids start with prefix: a message sent through inline mode,
// with its inline_message_id when it has an inline keyboard. Telegram sends
// them only to a bot with inline feedback turned on (BotFather,
// /setinlinefeedback).
func (r *Router) OnChosenInline(prefix string, fn func(ctx context.Context, u telego.Update) error) {
	if overlaps(r.chosen, prefix) {
		r.fail("chosen inline prefix %q empty, or one of another", prefix)
		return
	}
	if r.chosen == nil {
		r.chosen = map[string]func(ctx context.Context, u telego.Update) error{}
	}
	r.chosen[prefix] = fn
}

// overlaps reports whether prefix is empty, or one prefix of handlers starts
// another (which would make byPrefix's choice a matter of chance).
func overlaps(handlers map[string]func(ctx context.Context, u telego.Update) error, prefix string) bool {
	for p := range handlers {
		if strings.HasPrefix(p, prefix) || strings.HasPrefix(prefix, p) {
			return true
		}
	}
	return prefix == ""
}

// byPrefix returns the handler of handlers whose prefix s starts with.
func byPrefix(handlers map[string]func(ctx context.Context, u telego.Update) error, s string) func(ctx context.Context, u telego.Update) error {
	for prefix, fn := range handlers {
		if strings.HasPrefix(s, prefix) {
			return fn
		}
	}
	return nil
}

// OnChatMember registers the handler of my_chat_member updates: the bot's own
// membership and rights in a chat changed.
func (r *Router) OnChatMember(fn func(ctx context.Context, u telego.Update) error) {
	once(r, &r.chatMember, fn, "the chat member handler")
}

// OnChannelPost registers the handler of channel posts (the bot sees them as a
// channel's administrator).
func (r *Router) OnChannelPost(fn func(ctx context.Context, u telego.Update) error) {
	once(r, &r.channelPost, fn, "the channel post handler")
}

// InvoiceFunc sends the invoice of an order awaiting payment to a chat, and
// records it with the order.
type InvoiceFunc func(ctx context.Context, chatID int64, lang string, shop catalog.Shop, o order.Order) error

// OnInvoice registers what sends invoices (the shopper's checkout), for the
// features that make orders of their own (live drops) to send theirs the same way.
func (r *Router) OnInvoice(fn InvoiceFunc) { once(r, &r.invoice, fn, "the invoice sender") }

// DeepLink registers the handler of the deep links "<prefix>_<arg>": "/start
// <prefix>_<arg>" calls fn with arg. The shopper's /start asks for it
// (DeepLinkHandler) when the payload is not one of its own.
func (r *Router) DeepLink(prefix string, fn func(ctx context.Context, r *Request, arg string) error) {
	if _, dup := r.deepLinks[prefix]; dup {
		r.fail("deep link prefix %q registered twice", prefix)
		return
	}
	r.deepLinks[prefix] = fn
}

// DeepLinkHandler returns the handler a feature registered for payload's
// prefix, with the rest of the payload.
func (b *Bot) DeepLinkHandler(payload string) (fn func(ctx context.Context, r *Request, arg string) error, arg string, ok bool) {
	if !validPayload(payload) {
		return nil, "", false
	}
	prefix, rest, found := strings.Cut(payload, "_")
	h, ok := b.routes.deepLinks[prefix]
	if !found || rest == "" || !ok {
		return nil, "", false
	}
	return h, rest, true
}

// SendInvoice sends the invoice of an order awaiting payment (see OnInvoice).
func (b *Bot) SendInvoice(ctx context.Context, chatID int64, lang string, shop catalog.Shop, o order.Order) error {
	if b.routes.invoice == nil {
		return errors.New("telegram: no invoice sender registered")
	}
	return b.routes.invoice(ctx, chatID, lang, shop, o)
}

// SendInvoiceOnce sends the invoice of an order awaiting payment unless one went
// or is going (order.Service.BeginInvoice: two paths may try at once, a double
// tap or a worker and the buyer); went is false then. A failed send gives the
// right back (AbortInvoice), for a retry.
func (b *Bot) SendInvoiceOnce(ctx context.Context, chatID int64, lang string, o order.Order) (went bool, err error) {
	ok, err := b.orders.BeginInvoice(ctx, o.ID, o.BuyerID)
	if err != nil || !ok {
		return false, err
	}
	shop, err := b.catalog.Shop(ctx, o.ShopID)
	if err == nil {
		err = b.SendInvoice(ctx, chatID, lang, shop, o)
	}
	if err != nil {
		if aerr := b.orders.AbortInvoice(context.WithoutCancel(ctx), o.ID); aerr != nil {
			return false, errors.Join(err, aerr)
		}
		return false, err
	}
	return true, nil
}

// OnText registers the handler of text that is neither a command nor a step of a
// conversation.
func (r *Router) OnText(fn func(ctx context.Context, r *Request, text string) error) {
	once(r, &r.text, fn, "the text handler")
}

// ShopLine, shopRow, productFacts and productRow add to the shopper's cards.
func (r *Router) ShopLine(fn shopLineFunc) { r.shopLines = append(r.shopLines, fn) }

func (r *Router) ShopRow(fn shopRowFunc) { r.shopRows = append(r.shopRows, fn) }

func (r *Router) ProductFact(fn productFactsFunc) { r.productFacts = append(r.productFacts, fn) }

func (r *Router) ProductRow(fn productRowFunc) { r.productRows = append(r.productRows, fn) }

// OperatorButton adds a row to the operators' menu; rows go by rank, lowest first.
func (r *Router) OperatorButton(rank int, fn func(ctx context.Context, r *Request) []TelegoButton) {
	i := len(r.operatorButtons)
	for i > 0 && r.operatorButtons[i-1].rank > rank {
		i--
	}
	r.operatorButtons = slices.Insert(r.operatorButtons, i, operatorButton{rank: rank, fn: fn})
}

func (r *Router) fail(format string, args ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, args...)
	}
}

// Request is one update being handled, with the acting user.
type Request struct {
	Update telego.Update
	User   user.User
	Lang   string // "ru" or "en"
	// ChatID is the private chat with the user, where answers go. For a private chat
	// it equals the user's id, which is also where updates without a chat (inline,
	// payment queries) are answered.
	ChatID int64
	// Msg is the message the update carries, or the bot's message whose button was
	// pressed; nil for inline and payment queries and inaccessible messages.
	Msg      *telego.Message
	Callback *telego.CallbackQuery

	// The answer to the callback query, sent when the handler returns.
	answerText  string
	answerAlert bool
	answerURL   string

	// Conv is the id of the conversation being handled, which its step buttons
	// carry (stampSteps); "" outside conversations.
	Conv string
	// Left is the kind of the conversation a command ended, "" if none.
	Left string
	// Fresh makes show send a new message instead of editing the pressed one.
	Fresh bool
}

// UserID returns the acting user's id.
func (r *Request) UserID() core.UserID { return r.User.ID }

// Answer sets a short notice shown at the top of the chat when the callback is
// answered.
func (r *Request) Answer(text string) { r.answerText, r.answerAlert = text, false }

// Alert sets a notice the user must dismiss, for refusals they need to read.
func (r *Request) Alert(text string) { r.answerText, r.answerAlert = text, true }

// AnswerLink sets a notice and a link the user's app opens with it: a t.me link
// into the bot (StartURL), from a button on a channel post.
func (r *Request) AnswerLink(text, url string) {
	r.answerText, r.answerAlert, r.answerURL = text, false, url
}

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
	case u.InlineQuery != nil:
		if fn := byPrefix(b.routes.inlines, strings.TrimSpace(u.InlineQuery.Query)); fn != nil {
			return fn(ctx, u)
		}
		if b.routes.inline != nil {
			return b.routes.inline(ctx, u)
		}
	case u.ChosenInlineResult != nil:
		if fn := byPrefix(b.routes.chosen, u.ChosenInlineResult.ResultID); fn != nil {
			return fn(ctx, u)
		}
	case u.MyChatMember != nil && b.routes.chatMember != nil:
		return b.routes.chatMember(ctx, u)
	case u.ChannelPost != nil && b.routes.channelPost != nil:
		return b.routes.channelPost(ctx, u)
	}
	// Other kinds (edits, chat member changes) are not used yet.
	return nil
}

// NewRequest records that from acted (users.Touch) and returns the request with
// their language.
func (b *Bot) NewRequest(ctx context.Context, u telego.Update, from telego.User) (*Request, error) {
	usr, err := b.users.Touch(ctx, user.Seen{
		ID:           core.UserID(from.ID),
		FirstName:    from.FirstName,
		Username:     from.Username,
		TelegramLang: from.LanguageCode,
	})
	if err != nil {
		return nil, fmt.Errorf("touch user: %w", err)
	}
	return &Request{Update: u, User: usr, Lang: LangOf(usr.Lang()), ChatID: from.ID}, nil
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
	r, err := b.NewRequest(ctx, u, *m.From)
	if err != nil {
		return err
	}
	r.Msg = m
	if m.Chat.Type == telego.ChatTypePrivate {
		r.ChatID = m.Chat.ID
	}
	return b.finish(ctx, r, b.routeMessage(ctx, r))
}

func (b *Bot) routeMessage(ctx context.Context, r *Request) error {
	m := r.Msg
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
	st, inDialog, err := b.dialogs.Get(ctx, r.UserID(), r.ChatID)
	if err != nil {
		return fmt.Errorf("get dialog: %w", err)
	}
	if inDialog {
		if fn, ok := b.routes.dialogs[st.Kind]; ok {
			return fn(ctx, r, st)
		}
		// A conversation of a kind no longer known (an older replica's): end it.
		if err := b.dialogs.Delete(ctx, r.UserID(), r.ChatID); err != nil {
			return fmt.Errorf("end dialog: %w", err)
		}
	}
	switch {
	case isCommand:
		return b.SendText(ctx, r.ChatID, b.T(r.Lang, "unknown_command"), nil)
	case core.Visible(m.Text) && b.routes.text != nil:
		return b.routes.text(ctx, r, m.Text)
	default:
		return b.SendText(ctx, r.ChatID, b.T(r.Lang, "send_words"), nil)
	}
}

// leaveDialog ends the conversation the user is in, if any, because they sent a
// command: they changed their mind. They are told what is left unfinished, so
// nothing is lost without a word; r.left records its kind. A conversation whose
// action is done (stepDone) leaves silently. The notice goes before the
// conversation ends, so that a retried update says it again rather than nothing.
func (b *Bot) leaveDialog(ctx context.Context, r *Request) error {
	st, ok, err := b.dialogs.Get(ctx, r.UserID(), r.ChatID)
	if err != nil {
		return fmt.Errorf("get dialog: %w", err)
	}
	if !ok {
		return nil
	}
	if st.Step != stepDone {
		r.Left = st.Kind
		notice := b.T(r.Lang, "cancel_done")
		if key := dialogNameKey(st.Kind); b.texts[key] != (Text{}) {
			notice = b.T(r.Lang, "dialog_cancelled", HTML(b.T(r.Lang, key)))
		}
		if err := b.SendText(ctx, r.ChatID, notice, nil); err != nil {
			return err
		}
	}
	return b.EndDialog(ctx, r)
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
	r, err := b.NewRequest(ctx, u, q.From)
	if err != nil {
		// The button spins until answered; answer it even though we cannot do more.
		b.answerCallback(ctx, q.ID, b.T(LangOf(q.From.LanguageCode), "error_internal"), true, "")
		return err
	}
	r.Callback = q
	if q.Message != nil {
		r.ChatID = q.Message.GetChat().ID
		if q.Message.IsAccessible() {
			r.Msg = q.Message.Message()
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
			b.answerCallback(ctx, q.ID, text, alert, r.answerURL)
		}
	}
	ctx = throttle.BeforeWait(ctx, func() { answer(r.answerText, r.answerAlert) })
	defer func() {
		if p := recover(); p != nil {
			answer(b.T(r.Lang, "error_internal"), true)
			panic(p)
		}
		answer(r.answerText, r.answerAlert)
	}()
	return b.finish(ctx, r, b.routeCallback(ctx, r, q.Data))
}

func (b *Bot) routeCallback(ctx context.Context, r *Request, data string) error {
	d, err := parseCallback(data)
	if err != nil {
		return ErrStaleButton
	}
	fn, ok := b.routes.callbacks[d.Verb]
	if !ok {
		return ErrStaleButton
	}
	return fn(ctx, r, d)
}

// Fresh makes fn show its screen in a new message, leaving the pressed one as it
// is: for the buttons of notifications and receipts, which are worth keeping in
// the chat.
func Fresh(fn CallbackFunc) CallbackFunc {
	return func(ctx context.Context, r *Request, d CallbackData) error {
		r.Fresh = true
		return fn(ctx, r, d)
	}
}

// ErrStaleButton answers a button the bot no longer understands: an old message
// from before an upgrade, or data the bot did not make.
var ErrStaleButton = &core.Error{Code: core.EINVALID, Message: "this button no longer works"}

// finish deals with a handler's error: application errors are explained to the
// user, a user who blocked the bot is marked unreachable, a request Telegram refused
// for good is logged, and whatever a retry may fix is returned for the inbox.
func (b *Bot) finish(ctx context.Context, r *Request, err error) error {
	if err == nil {
		return nil
	}
	if UserFacing(err) {
		return b.Tell(ctx, r, b.ErrorText(r.Lang, err))
	}
	if code := APIErrorCode(err); code != 0 {
		switch {
		case code == 403:
			if err := b.users.MarkUnreachable(ctx, r.UserID()); err != nil {
				return fmt.Errorf("mark unreachable: %w", err)
			}
			return nil
		case code == 400:
			// A retry would be refused the same way: a bug to fix, not to retry.
			b.log.ErrorContext(ctx, "telegram refused a request", "err", err, "update_id", r.Update.UpdateID)
			return b.Tell(ctx, r, b.T(r.Lang, "error_internal"))
		}
	}
	if r.Callback != nil {
		r.Alert(b.T(r.Lang, "error_internal"))
	}
	return err
}

// Tell shows text to the user: as the callback's answer when there is a callback
// (so nothing is sent twice), else as a message. A failure to send it is returned
// only when a retry may fix it.
func (b *Bot) Tell(ctx context.Context, r *Request, text string) error {
	if r.Callback != nil {
		r.Alert(text)
		return nil
	}
	err := b.SendText(ctx, r.ChatID, text, nil)
	if code := APIErrorCode(err); code == 403 || code == 400 {
		return nil
	}
	return err
}

// UserFacing reports whether err is an application error a user should read, as
// opposed to an infrastructure failure.
func UserFacing(err error) bool {
	code := core.ErrorCode(err)
	return code != "" && code != core.EINTERNAL
}

// StartDialog puts the user in a new conversation of kind at step, with data (a
// struct that marshals to a JSON object) collected so far. The conversation gets a
// fresh id (r.conv), which its step buttons carry, so that a button of an earlier
// conversation answers nothing in this one.
func (b *Bot) StartDialog(ctx context.Context, r *Request, kind, step string, data any) error {
	r.Conv = NewNonce()
	return b.saveDialog(ctx, r, kind, step, data)
}

// saveDialog saves the user's conversation of kind at step with data, under the
// conversation id r.conv.
func (b *Bot) saveDialog(ctx context.Context, r *Request, kind, step string, data any) error {
	raw, err := json.Marshal(data)
	if err != nil {
		return fmt.Errorf("marshal dialog %s: %w", kind, err)
	}
	raw = withConversation(raw, r.Conv)
	st := dialog.State{UserID: r.UserID(), ChatID: r.ChatID, Kind: kind, Step: step, Data: raw, UpdatedAt: b.clock.Now()}
	if err := b.dialogs.Put(ctx, st); err != nil {
		return fmt.Errorf("put dialog %s: %w", kind, err)
	}
	return nil
}

// EndDialog ends the user's conversation in this chat, if any.
func (b *Bot) EndDialog(ctx context.Context, r *Request) error {
	if err := b.dialogs.Delete(ctx, r.UserID(), r.ChatID); err != nil {
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

// ConversationOf returns the id of a saved conversation; "" for one saved before
// conversations had ids.
func ConversationOf(st dialog.State) string {
	var id struct {
		Conv string `json:"_conv"`
	}
	if len(st.Data) == 0 || json.Unmarshal(st.Data, &id) != nil {
		return ""
	}
	return id.Conv
}

// DialogData decodes a conversation's data into v.
func DialogData(st dialog.State, v any) error {
	if len(st.Data) == 0 {
		return nil
	}
	if err := json.Unmarshal(st.Data, v); err != nil {
		return fmt.Errorf("%w: %v", errNoDialogData, err)
	}
	return nil
}
