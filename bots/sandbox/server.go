// Package sandbox is an in-process fake of Telegram's Bot API server.
//
// A Server speaks the Bot API over HTTP the way api.telegram.org does (paths /bot<token>/<method> and
// /file/bot<token>/<path>, parameters as JSON, URL-encoded or multipart forms, answers
// {"ok":true,"result":...} or {"ok":false,"error_code":...,"description":...}), so the bot under test
// is the production bot pointed at another URL. It holds a model of users, chats and messages, lets
// tests (and later the demo's web page) act as users: send messages, press buttons, run inline
// queries, pay invoices in Telegram's order. It records every API call and can inject faults.
//
// Updates go to the webhook when one is set (by the bot's setWebhook or Server.SetWebhook), one POST
// per update, and the acting call returns when the webhook has answered; without a webhook they are
// queued for getUpdates. The server is safe for concurrent use and never holds its lock while it
// talks to the bot, so the bot may call back into it while an update is in flight.
//
// The code is in rooms. This package is the server's front (HTTP, recorded calls, injected faults,
// delivering updates) and the users' side (User, Chat, payments as a payer makes them). The model
// both sides change, with its one lock, is in internal/world, whose types this package re-exports
// (types.go); the Bot API methods the bot calls are in internal/botapi, one table; Telegram's HTML
// parser is in internal/entity.
package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mymmrac/telego"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/botapi"
	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/world"
)

// Config configures a Server. Only Token is required.
type Config struct {
	// Token is the bot token the server accepts; it must look like a real one (`^\d+:[\w-]{35}$`),
	// since telego refuses anything else. Requests with another well-formed token get 401.
	Token string
	// BotID is the bot's user id; 0 takes the number before the colon in Token.
	BotID int64
	// BotUsername is the bot's username without "@"; default "sandbox_bot".
	BotUsername string
	// BotName is the bot's first name; default BotUsername.
	BotName string
	// InlineDisabled turns the bot's inline mode off: getMe says so and User.InlineQuery fails.
	InlineDisabled bool
	// InlineFeedback turns on what BotFather's /setinlinefeedback does: a result a user sends is
	// reported to the bot as a chosen_inline_result update, with its inline_message_id when the
	// message has an inline keyboard.
	InlineFeedback bool
	// ReadAllGroupMessages turns the bot's privacy mode off. With privacy mode on (Telegram's default)
	// the bot receives only commands, replies to its messages and mentions from groups.
	ReadAllGroupMessages bool
	// ProviderTokens, when not empty, lists the payment provider tokens sendInvoice accepts; any
	// other non-empty token gets "PAYMENT_PROVIDER_INVALID". Empty: every non-empty token is valid.
	ProviderTokens []string
	// AnswerTimeout bounds how long a callback, inline or shipping query waits for the bot's answer;
	// default 15 s. A later answer gets "query is too old".
	AnswerTimeout time.Duration
	// PreCheckoutTimeout bounds how long a pre-checkout query waits for answerPreCheckoutQuery;
	// default 10 s, as on Telegram. Past it the payment fails.
	PreCheckoutTimeout time.Duration
	// HTTPClient posts updates to the webhook and fetches files sent by URL; default a client with a
	// 60 s timeout.
	HTTPClient *http.Client
	// Limiter, when set, is asked before every call that sends or edits a message; a refusal is
	// answered 429 with retry_after. See NewRateLimiter for Telegram's published limits.
	Limiter Limiter
	// Now is the clock for message dates and rate limits; default time.Now.
	Now func() time.Time
	// Delivered, when set, is called with an update's id after the webhook answered it with 2xx
	// (and the call in its answer body, if any, ran), before the acting call (User.Send, Press,
	// Pay, SendRawUpdate, ...) returns. Tests use it to wait until the bot has handled the update
	// when the webhook answers before handling. It runs on the delivering goroutine, no lock held.
	Delivered func(updateID int)
}

var tokenPattern = regexp.MustCompile(`^\d+:[\w-]{35}$`)

// Server is a fake Telegram Bot API server. It is an http.Handler; create it with New.
type Server struct {
	cfg Config
	w   *world.World // the model and the one lock
	api *botapi.API  // the methods the bot calls

	// The calls recorded and the faults injected, guarded by the world's lock like the world.
	calls   []Call
	faults  []fault              // FailNext, used up in order
	outages map[string]*APIError // FailAll, by lower-case method ("" = every method)
	hangs   []*hang              // Hang, until released
	hanging int                  // calls held by a Hang now
}

// New returns a Server for cfg. It panics if cfg.Token is malformed: that is a programming error in
// the test or demo that builds the server, not a runtime condition.
func New(cfg Config) *Server {
	if !tokenPattern.MatchString(cfg.Token) {
		panic(`sandbox: Config.Token must match ^\d+:[\w-]{35}$`)
	}
	if cfg.BotID == 0 {
		id, _ := strconv.ParseInt(cfg.Token[:strings.IndexByte(cfg.Token, ':')], 10, 64)
		cfg.BotID = id
	}
	if cfg.BotUsername == "" {
		cfg.BotUsername = "sandbox_bot"
	}
	cfg.BotUsername = strings.TrimPrefix(cfg.BotUsername, "@")
	if cfg.BotName == "" {
		cfg.BotName = cfg.BotUsername
	}
	if cfg.AnswerTimeout <= 0 {
		cfg.AnswerTimeout = 15 * time.Second
	}
	if cfg.PreCheckoutTimeout <= 0 {
		cfg.PreCheckoutTimeout = 10 * time.Second
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 60 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	w := world.New(world.Bot{ID: cfg.BotID, Username: cfg.BotUsername, Name: cfg.BotName}, cfg.Now)
	apiCfg := botapi.Config{ProviderTokens: cfg.ProviderTokens, ReadAllGroupMessages: cfg.ReadAllGroupMessages,
		InlineDisabled: cfg.InlineDisabled, HTTPClient: cfg.HTTPClient}
	if cfg.Limiter != nil {
		apiCfg.Limit = func(chat ChatInfo, method string, paidBroadcast bool) (time.Duration, bool) {
			return cfg.Limiter.Allow(LimitRequest{Chat: chat, Method: method, PaidBroadcast: paidBroadcast, Now: cfg.Now()})
		}
	}
	return &Server{cfg: cfg, w: w, api: botapi.New(w, apiCfg)}
}

// BotID returns the bot's user id.
func (s *Server) BotID() int64 { return s.cfg.BotID }

// BotUsername returns the bot's username without "@".
func (s *Server) BotUsername() string { return s.cfg.BotUsername }

// BotName returns the bot's display name (its first name in getMe).
func (s *Server) BotName() string { return s.cfg.BotName }

// Token returns the bot token the server accepts.
func (s *Server) Token() string { return s.cfg.Token }

// Close ends the server's waits: long polls return, pending queries fail, hung calls go on,
// subscriptions close. It
// does not stop an http.Server serving s; the caller owns that.
func (s *Server) Close() {
	s.w.Lock()
	s.w.CloseLocked()
	hangs := s.hangs
	s.w.Unlock()
	// Held calls go on, so an HTTP server in front of s can shut down.
	for _, h := range hangs {
		h.release(s)
	}
	s.w.EndSubscriptions()
}

// Commands returns the command menu a user sees in the private chat, resolved as Telegram
// resolves scopes: the chat's own scope, then all private chats, then the default; at each scope
// the user's language first, then the language-less list.
func (s *Server) Commands(userID int64, languageCode string) []telego.BotCommand {
	return s.api.Commands(userID, languageCode)
}

// Call is one Bot API call the server received, as recorded by Calls.
type Call struct {
	// Method is the method's canonical name ("sendMessage"), whatever case the request used.
	Method string
	// Params holds the parameters decoded generically: JSON values as encoding/json decodes them into
	// an any; form values as strings, except objects and arrays (reply_markup in a multipart request),
	// which are decoded from their JSON text. Use Param, Int and Decode to read them whatever the
	// encoding.
	Params map[string]any
	// Files lists the names of the multipart parts that carried files.
	Files []string
	// Result is the result JSON of a successful call.
	Result json.RawMessage
	// Err is the error answer of a failed call.
	Err *APIError
	// Time is when the call arrived, by Config.Now.
	Time time.Time
	// ViaWebhookReply is set for a call the bot made in the body of its webhook answer.
	ViaWebhookReply bool

	raw botapi.Params
}

// Param returns parameter key as text: a string as is, a number or bool as written, an object as
// its JSON; "" when absent.
func (c Call) Param(key string) string { return c.raw.Str(key) }

// Int returns parameter key as an integer; 0 when absent or not a number.
func (c Call) Int(key string) int64 {
	v, _, _ := c.raw.Integer(key)
	return v
}

// Decode decodes parameter key (a JSON value or a string holding JSON) into v. It returns an error
// when the parameter is absent or does not decode.
func (c Call) Decode(key string, v any) error {
	ok, err := c.raw.Decode(key, v)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("sandbox: call %s has no parameter %q", c.Method, key)
	}
	return nil
}

// Calls returns every API call received since the start or the last ResetCalls, in arrival order
// (the last 10,000 at least; older ones are dropped).
func (s *Server) Calls() []Call {
	s.w.Lock()
	defer s.w.Unlock()
	return append([]Call(nil), s.calls...)
}

// CallsTo returns the recorded calls of one method (compared case-insensitively), in arrival order.
func (s *Server) CallsTo(method string) []Call {
	s.w.Lock()
	defer s.w.Unlock()
	var out []Call
	for _, c := range s.calls {
		if strings.EqualFold(c.Method, method) {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the recorded calls.
func (s *Server) ResetCalls() {
	s.w.Lock()
	defer s.w.Unlock()
	s.calls = nil
}

// ServeHTTP serves the Bot API (/bot<token>/<method>) and file downloads (/file/bot<token>/<path>).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/file/bot"):
		filePath, apiErr := s.checkToken(strings.TrimPrefix(path, "/file/bot"))
		if apiErr != nil {
			botapi.WriteError(w, apiErr)
			return
		}
		s.api.ServeFile(w, r, filePath)
	case strings.HasPrefix(path, "/bot"):
		s.serveAPI(w, r, strings.TrimPrefix(path, "/bot"))
	default:
		botapi.WriteError(w, botapi.ErrNotFound)
	}
}

// checkToken splits "<token>/<rest>" and checks the token the way Telegram does: a malformed token
// is 404 Not Found, a well-formed wrong one 401 Unauthorized.
func (s *Server) checkToken(path string) (rest string, apiErr *APIError) {
	token, rest, ok := strings.Cut(path, "/")
	if !ok || !tokenPattern.MatchString(token) {
		return "", botapi.ErrNotFound
	}
	if token != s.cfg.Token {
		return "", botapi.ErrUnauthorized
	}
	return rest, nil
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, path string) {
	name, apiErr := s.checkToken(path)
	if apiErr != nil {
		botapi.WriteError(w, apiErr)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		botapi.WriteError(w, botapi.ErrNotFound)
		return
	}
	m, ok := botapi.Lookup(name)
	if !ok {
		botapi.WriteError(w, botapi.ErrNotFound)
		return
	}
	p, files, apiErr := botapi.ReadParams(r)
	if apiErr != nil {
		s.record(Call{Method: m.Name, Err: apiErr, Time: s.cfg.Now(), raw: p})
		botapi.WriteError(w, apiErr)
		return
	}
	result, description, apiErr := s.invoke(r.Context(), m, p, files, false)
	if apiErr != nil {
		botapi.WriteError(w, apiErr)
		return
	}
	botapi.WriteResult(w, result, description)
}

// invoke runs one method, unless a fault injected for it answers first, and records the call. It
// returns the JSON result with the optional description of a successful answer, or the error
// answer.
func (s *Server) invoke(ctx context.Context, m botapi.Method, p botapi.Params, files map[string]botapi.Upload, viaWebhook bool) (json.RawMessage, string, *APIError) {
	call := Call{Method: m.Name, Params: p.Generic(), Time: s.cfg.Now(), ViaWebhookReply: viaWebhook, raw: p}
	for name := range files {
		call.Files = append(call.Files, name)
	}

	if err := s.waitHangs(ctx, m.Name); err != nil {
		// The client gave up on a hung call: nothing happens, as nobody would see the answer.
		call.Err = &APIError{Code: http.StatusGatewayTimeout, Description: "Gateway Timeout: the request ended while hung"}
		s.record(call)
		return nil, "", call.Err
	}
	if injected := s.takeFault(m.Name); injected != nil {
		call.Err = injected
		s.record(call)
		return nil, "", injected
	}

	raw, description, apiErr := s.api.Call(ctx, m, p, files)
	if apiErr != nil {
		call.Err = apiErr
		s.record(call)
		return nil, "", apiErr
	}
	call.Result = raw
	s.record(call)
	return raw, description, nil
}

// callsLimit bounds the recorded calls, so a long-running demo does not grow without end.
const callsLimit = 10000

func (s *Server) record(c Call) {
	s.w.Lock()
	defer s.w.Unlock()
	s.calls = append(s.calls, c)
	if len(s.calls) > callsLimit+callsLimit/10 {
		s.calls = slices.Clone(s.calls[len(s.calls)-callsLimit:])
	}
}
