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
package sandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
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

	mu sync.Mutex
	st state // the model (users, chats, messages, files, updates); see model.go

	subsMu   sync.Mutex
	subs     map[int]chan Event
	nextSub  int
	eventSeq int64
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
	s := &Server{cfg: cfg, subs: make(map[int]chan Event)}
	s.st.init()
	return s
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
	s.mu.Lock()
	s.st.closed = true
	s.st.wakePollers()
	for _, q := range s.st.queries {
		q.expireLocked()
	}
	s.st.notifyLocked()
	hangs := s.st.hangs
	s.mu.Unlock()
	// Held calls go on, so an HTTP server in front of s can shut down.
	for _, h := range hangs {
		h.release(s)
	}

	s.subsMu.Lock()
	for id, ch := range s.subs {
		close(ch)
		delete(s.subs, id)
	}
	s.subsMu.Unlock()
}

// APIError is a Bot API error answer: {"ok":false,"error_code":Code,"description":Description,...}.
type APIError struct {
	Code        int
	Description string
	// RetryAfter is parameters.retry_after in seconds (429 answers).
	RetryAfter int
	// MigrateToChatID is parameters.migrate_to_chat_id.
	MigrateToChatID int64
}

func (e *APIError) Error() string {
	return fmt.Sprintf("telegram %d: %s", e.Code, e.Description)
}

func badRequest(format string, args ...any) *APIError {
	return &APIError{Code: http.StatusBadRequest, Description: "Bad Request: " + fmt.Sprintf(format, args...)}
}

func forbidden(description string) *APIError {
	return &APIError{Code: http.StatusForbidden, Description: "Forbidden: " + description}
}

func tooManyRequests(retryAfter int) *APIError {
	if retryAfter < 1 {
		retryAfter = 1
	}
	return &APIError{
		Code:        http.StatusTooManyRequests,
		Description: fmt.Sprintf("Too Many Requests: retry after %d", retryAfter),
		RetryAfter:  retryAfter,
	}
}

var (
	errNotFound     = &APIError{Code: http.StatusNotFound, Description: "Not Found"}
	errUnauthorized = &APIError{Code: http.StatusUnauthorized, Description: "Unauthorized"}
	errChatNotFound = badRequest("chat not found")
)

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

	raw params
}

// Param returns parameter key as text: a string as is, a number or bool as written, an object as
// its JSON; "" when absent.
func (c Call) Param(key string) string { return c.raw.str(key) }

// Int returns parameter key as an integer; 0 when absent or not a number.
func (c Call) Int(key string) int64 {
	v, _, _ := c.raw.integer(key)
	return v
}

// Decode decodes parameter key (a JSON value or a string holding JSON) into v. It returns an error
// when the parameter is absent or does not decode.
func (c Call) Decode(key string, v any) error {
	ok, err := c.raw.decode(key, v)
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
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.st.calls...)
}

// CallsTo returns the recorded calls of one method (compared case-insensitively), in arrival order.
func (s *Server) CallsTo(method string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.st.calls {
		if strings.EqualFold(c.Method, method) {
			out = append(out, c)
		}
	}
	return out
}

// ResetCalls forgets the recorded calls.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.calls = nil
}

// FailNext makes the next call to method (case-insensitive; "" means any method) fail with code and
// description before it does anything; retryAfter, when positive, goes into parameters.retry_after.
// An empty description gets Telegram's wording for the code ("Too Many Requests: retry after N" for
// 429). Injected failures queue up: two FailNext calls fail the next two matching calls.
func (s *Server) FailNext(method string, code int, description string, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.faults = append(s.st.faults, fault{method: method, err: faultError(code, description, retryAfter)})
}

// ServeHTTP serves the Bot API (/bot<token>/<method>) and file downloads (/file/bot<token>/<path>).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case strings.HasPrefix(path, "/file/bot"):
		s.serveFile(w, r, strings.TrimPrefix(path, "/file/bot"))
	case strings.HasPrefix(path, "/bot"):
		s.serveAPI(w, r, strings.TrimPrefix(path, "/bot"))
	default:
		writeError(w, errNotFound)
	}
}

// checkToken splits "<token>/<rest>" and checks the token the way Telegram does: a malformed token
// is 404 Not Found, a well-formed wrong one 401 Unauthorized.
func (s *Server) checkToken(path string) (rest string, apiErr *APIError) {
	token, rest, ok := strings.Cut(path, "/")
	if !ok || !tokenPattern.MatchString(token) {
		return "", errNotFound
	}
	if token != s.cfg.Token {
		return "", errUnauthorized
	}
	return rest, nil
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request, path string) {
	name, apiErr := s.checkToken(path)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		writeError(w, errNotFound)
		return
	}
	m, ok := lookupMethod(name)
	if !ok {
		writeError(w, errNotFound)
		return
	}
	p, files, err := readParams(r)
	if err != nil {
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			apiErr = badRequest("%v", err)
		}
		s.record(Call{Method: m.name, Err: apiErr, Time: s.cfg.Now(), raw: p})
		writeError(w, apiErr)
		return
	}
	result, description, apiErr := s.invoke(r.Context(), m, p, files, false)
	if apiErr != nil {
		writeError(w, apiErr)
		return
	}
	writeResult(w, result, description)
}

// invoke runs one method and records the call. It returns the JSON result with the optional
// description of a successful answer, or the error answer.
func (s *Server) invoke(ctx context.Context, m method, p params, files map[string]upload, viaWebhook bool) (json.RawMessage, string, *APIError) {
	call := Call{Method: m.name, Params: p.generic(), Time: s.cfg.Now(), ViaWebhookReply: viaWebhook, raw: p}
	for name := range files {
		call.Files = append(call.Files, name)
	}

	if err := s.waitHangs(ctx, m.name); err != nil {
		// The client gave up on a hung call: nothing happens, as nobody would see the answer.
		call.Err = &APIError{Code: http.StatusGatewayTimeout, Description: "Gateway Timeout: the request ended while hung"}
		s.record(call)
		return nil, "", call.Err
	}
	if injected := s.takeFault(m.name); injected != nil {
		call.Err = injected
		s.record(call)
		return nil, "", injected
	}

	req := &request{ctx: ctx, method: m.name, p: p, files: files}
	var (
		result any
		err    error
	)
	if m.selfLocking {
		result, err = m.fn(s, req)
	} else {
		s.mu.Lock()
		result, err = m.fn(s, req)
		s.mu.Unlock()
	}
	if err != nil {
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			apiErr = &APIError{Code: http.StatusInternalServerError, Description: "Internal Server Error: " + err.Error()}
		}
		call.Err = apiErr
		s.record(call)
		return nil, "", apiErr
	}
	var description string
	if d, ok := result.(described); ok {
		result, description = d.value, d.description
	}
	var raw json.RawMessage
	var merr error
	if r, ok := result.(rawJSON); ok {
		raw = json.RawMessage(r)
	} else {
		raw, merr = json.Marshal(result)
	}
	if merr != nil {
		apiErr := &APIError{Code: http.StatusInternalServerError, Description: "Internal Server Error: encode result: " + merr.Error()}
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
	s.mu.Lock()
	defer s.mu.Unlock()
	s.st.calls = append(s.st.calls, c)
	if len(s.st.calls) > callsLimit+callsLimit/10 {
		s.st.calls = slices.Clone(s.st.calls[len(s.st.calls)-callsLimit:])
	}
}

// request is one API call being served.
type request struct {
	ctx    context.Context
	method string
	p      params
	files  map[string]upload
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

// writeResult writes {"ok":true,"result":...} with result verbatim (encoding/json would rewrite it).
func writeResult(w http.ResponseWriter, result json.RawMessage, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	buf := make([]byte, 0, len(result)+64)
	buf = append(buf, `{"ok":true,"result":`...)
	buf = append(buf, result...)
	if description != "" {
		d, _ := json.Marshal(description)
		buf = append(buf, `,"description":`...)
		buf = append(buf, d...)
	}
	buf = append(buf, "}\n"...)
	_, _ = w.Write(buf)
}

type errorBody struct {
	OK          bool            `json:"ok"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *errorParameter `json:"parameters,omitempty"`
}

type errorParameter struct {
	MigrateToChatID int64 `json:"migrate_to_chat_id,omitempty"`
	RetryAfter      int   `json:"retry_after,omitempty"`
}

func writeError(w http.ResponseWriter, e *APIError) {
	body := errorBody{ErrorCode: e.Code, Description: e.Description}
	if e.RetryAfter > 0 || e.MigrateToChatID != 0 {
		body.Parameters = &errorParameter{MigrateToChatID: e.MigrateToChatID, RetryAfter: e.RetryAfter}
	}
	w.Header().Set("Content-Type", "application/json")
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	}
	w.WriteHeader(e.Code)
	_ = json.NewEncoder(w).Encode(body)
}

// upload is a file part of a multipart request.
type upload struct {
	filename    string
	contentType string
	data        []byte
}

// maxRequestBytes bounds a request body: Telegram takes uploads up to 50 MB.
const maxRequestBytes = 50 << 20

// readParams collects a request's parameters from its query string and its body (JSON, URL-encoded
// or multipart form), as Telegram accepts all of them.
func readParams(r *http.Request) (params, map[string]upload, error) {
	p := params{}
	for k, vs := range r.URL.Query() {
		if len(vs) > 0 {
			p.setString(k, vs[0])
		}
	}
	if r.Body == nil {
		return p, nil, nil
	}
	body := http.MaxBytesReader(nil, r.Body, maxRequestBytes+1<<20)
	mediaType, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch mediaType {
	case "application/json":
		data, err := io.ReadAll(body)
		if err != nil {
			return p, nil, tooLarge(err)
		}
		if len(strings.TrimSpace(string(data))) == 0 {
			return p, nil, nil
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(data, &obj); err != nil {
			return p, nil, badRequest("can't parse JSON object")
		}
		for k, v := range obj {
			p[k] = v
		}
		return p, nil, nil
	case "application/x-www-form-urlencoded":
		r.Body = body
		if err := r.ParseForm(); err != nil {
			return p, nil, tooLarge(err)
		}
		for k, vs := range r.PostForm {
			if len(vs) > 0 {
				p.setString(k, vs[0])
			}
		}
		return p, nil, nil
	case "multipart/form-data":
		r.Body = body
		if err := r.ParseMultipartForm(maxRequestBytes); err != nil {
			return p, nil, tooLarge(err)
		}
		for k, vs := range r.MultipartForm.Value {
			if len(vs) > 0 {
				p.setString(k, vs[0])
			}
		}
		files := make(map[string]upload)
		for k, fhs := range r.MultipartForm.File {
			if len(fhs) == 0 {
				continue
			}
			f, err := fhs[0].Open()
			if err != nil {
				return p, nil, err
			}
			data, err := io.ReadAll(f)
			_ = f.Close()
			if err != nil {
				return p, nil, err
			}
			files[k] = upload{filename: fhs[0].Filename, contentType: fhs[0].Header.Get("Content-Type"), data: data}
		}
		return p, files, nil
	default:
		return p, nil, nil
	}
}

func tooLarge(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return &APIError{Code: http.StatusRequestEntityTooLarge, Description: "Request Entity Too Large"}
	}
	return badRequest("%v", err)
}
