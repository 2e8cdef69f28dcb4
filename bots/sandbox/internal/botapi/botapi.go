// Package botapi is the bot's side of the sandbox: the Bot API methods a bot calls (sendMessage,
// editMessageText, sendPhoto, sendInvoice, answerCallbackQuery, setWebhook, getUpdates, ...), how
// their parameters are read, how they change the world and how they answer, with Telegram's checks
// and error texts. It is a package of its own so that a reader looking for what one method does
// finds it in a table here, apart from the users' side (package sandbox) and the model both sides
// change (package world).
package botapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// Config is what the methods need to know beyond the world.
type Config struct {
	// ProviderTokens, when not empty, lists the payment provider tokens sendInvoice accepts.
	ProviderTokens []string
	// ReadAllGroupMessages and InlineDisabled are what getMe reports.
	ReadAllGroupMessages bool
	InlineDisabled       bool
	// HTTPClient fetches the files the bot sends by URL.
	HTTPClient *http.Client
	// Limit, when set, is asked before every call that sends or edits a message in chat, with the
	// world's lock held; a refusal is answered 429 with retry_after.
	Limit func(chat world.ChatInfo, method string, paidBroadcast bool) (retryAfter time.Duration, ok bool)
}

// API serves the Bot API methods on a world.
type API struct {
	w   *world.World
	cfg Config
}

// New returns the methods of w.
func New(w *world.World, cfg Config) *API {
	return &API{w: w, cfg: cfg}
}

// request is one API call being served.
type request struct {
	ctx    context.Context
	method string
	p      Params
	files  map[string]Upload
}

type handlerFunc func(a *API, r *request) (any, error)

// Method is one Bot API method. Its handler runs with the world's lock held, except selfLocking
// ones, which wait (getUpdates) or fetch files by URL and take the lock themselves.
type Method struct {
	// Name is the method's canonical name ("sendMessage").
	Name        string
	fn          handlerFunc
	selfLocking bool
}

// methodTable maps lower-cased method names (Telegram's are case-insensitive) to their handlers.
var methodTable = sync.OnceValue(func() map[string]Method {
	all := []Method{
		{Name: "getMe", fn: getMe},
		{Name: "logOut", fn: acceptTrue},
		{Name: "close", fn: acceptTrue},
		{Name: "setMyCommands", fn: setMyCommands},
		{Name: "getMyCommands", fn: getMyCommands},
		{Name: "deleteMyCommands", fn: deleteMyCommands},
		{Name: "setMyName", fn: setBotText("name")},
		{Name: "getMyName", fn: getBotText("name")},
		{Name: "setMyDescription", fn: setBotText("description")},
		{Name: "getMyDescription", fn: getBotText("description")},
		{Name: "setMyShortDescription", fn: setBotText("short_description")},
		{Name: "getMyShortDescription", fn: getBotText("short_description")},
		{Name: "setChatMenuButton", fn: setChatMenuButton},
		{Name: "getChatMenuButton", fn: getChatMenuButton},
		{Name: "setWebhook", fn: setWebhook},
		{Name: "deleteWebhook", fn: deleteWebhook},
		{Name: "getWebhookInfo", fn: getWebhookInfo},
		{Name: "getUpdates", fn: getUpdates, selfLocking: true},
		{Name: "sendMessage", fn: sendMessage},
		{Name: "editMessageText", fn: editMessageText},
		{Name: "editMessageCaption", fn: editMessageCaption},
		{Name: "editMessageReplyMarkup", fn: editMessageReplyMarkup},
		{Name: "editMessageMedia", fn: editMessageMedia, selfLocking: true},
		{Name: "deleteMessage", fn: deleteMessage},
		{Name: "deleteMessages", fn: deleteMessages},
		{Name: "sendChatAction", fn: sendChatAction},
		{Name: "answerCallbackQuery", fn: answerCallbackQuery},
		{Name: "answerInlineQuery", fn: answerInlineQuery},
		{Name: "getChat", fn: getChat},
		{Name: "getChatMember", fn: getChatMember},
		{Name: "sendPhoto", fn: sendPhoto, selfLocking: true},
		{Name: "sendDocument", fn: sendDocument, selfLocking: true},
		{Name: "sendMediaGroup", fn: sendMediaGroup, selfLocking: true},
		{Name: "getFile", fn: getFile},
		{Name: "sendInvoice", fn: sendInvoice},
		{Name: "createInvoiceLink", fn: createInvoiceLink},
		{Name: "answerShippingQuery", fn: answerShippingQuery},
		{Name: "answerPreCheckoutQuery", fn: answerPreCheckoutQuery},
		{Name: "refundStarPayment", fn: refundStarPayment},
		{Name: "getStarTransactions", fn: getStarTransactions},
	}
	table := make(map[string]Method, len(all))
	for _, m := range all {
		table[strings.ToLower(m.Name)] = m
	}
	return table
})

// Lookup finds a method by name, in any case.
func Lookup(name string) (Method, bool) {
	m, ok := methodTable()[strings.ToLower(name)]
	return m, ok
}

func acceptTrue(*API, *request) (any, error) { return true, nil }

// Call runs method m with parameters p and uploaded files, taking the world's lock for it unless
// the method takes it itself. It returns the JSON result with the optional description of a
// successful answer, or the error answer.
func (a *API) Call(ctx context.Context, m Method, p Params, files map[string]Upload) (json.RawMessage, string, *APIError) {
	req := &request{ctx: ctx, method: m.Name, p: p, files: files}
	var (
		result any
		err    error
	)
	if m.selfLocking {
		result, err = m.fn(a, req)
	} else {
		a.w.Lock()
		result, err = m.fn(a, req)
		a.w.Unlock()
	}
	if err != nil {
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			apiErr = &APIError{Code: http.StatusInternalServerError, Description: "Internal Server Error: " + err.Error()}
		}
		return nil, "", apiErr
	}
	var description string
	if d, ok := result.(described); ok {
		result, description = d.value, d.description
	}
	if r, ok := result.(rawJSON); ok {
		return json.RawMessage(r), description, nil
	}
	raw, err := json.Marshal(result)
	if err != nil {
		return nil, "", &APIError{Code: http.StatusInternalServerError, Description: "Internal Server Error: encode result: " + err.Error()}
	}
	return raw, description, nil
}

// described is a successful result with a description, as Telegram answers setWebhook:
// {"ok":true,"result":true,"description":"Webhook was set"}.
type described struct {
	value       any
	description string
}

// rawJSON is a result written as is: getUpdates passes updates on byte for byte, as Telegram does,
// where encoding/json would compact them and escape <, > and &.
type rawJSON []byte
