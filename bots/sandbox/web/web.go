// Package web is the human side of the Telegram sandbox: a Telegram-like web client, served over
// HTTP, in which a person switches between personas (shoppers, a seller, later a KOL), reads the
// chats each persona sees, and types and taps as that persona.
//
// The sandbox.Server stays the Bot API server the bot talks to; this package only acts through the
// sandbox's users (User.Send, Press, Pay, ...), so every tap produces the update Telegram would send,
// delivered to the bot's webhook with its secret. The page is plain HTML, CSS and JavaScript embedded
// in the binary (no build step); it talks to a small JSON API under the same prefix and follows the
// sandbox live through server-sent events.
//
// URL layout, relative to the prefix the handler is mounted at (Options.Prefix, "/sandbox/" by
// default):
//
//	GET  ./                          the page (index.html); static/app.js, static/app.css
//	GET  api/state?persona=ID         the bot, the personas, the persona's chats with unread counts
//	GET  api/chats/{chat}/messages?persona=ID[&before=MSG][&limit=N]
//	POST api/read       {persona, chat_id, message_id}          marks the chat read up to the message
//	POST api/send       {persona, chat_id, text}                types a message (a channel post for a
//	                                                            channel administrator)
//	POST api/press      {persona, chat_id, message_id, data}    taps a callback button -> the answer
//	POST api/open       {persona, url}                          follows a t.me link to the bot
//	POST api/inline     {persona, chat_id, query, offset}       "@bot query" -> results
//	POST api/inline/send {persona, chat_id, query_id, result_id} sends a chosen result via the bot
//	POST api/pay/shipping {persona, chat_id, message_id, address} the shipping query -> options
//	POST api/pay        {persona, chat_id, message_id, quote_id, shipping_option_id, address,
//	                     name, phone, email, fail_at_provider} pre-checkout, then the payment
//	POST api/upload     multipart: persona, chat_id, caption, as (photo|document), file
//	POST api/outage     {on, mode}                              simulates a Telegram outage: while on,
//	                                                            every Bot API call of the bot answers
//	                                                            500 (mode "error", the default) or
//	                                                            hangs (mode "hang"); answers the
//	                                                            outage's state, also in api/state
//	GET  api/events?persona=ID        server-sent events (text/event-stream)
//	GET  files/{file_id}[?download=1] a file's bytes (photos inline, documents as attachments)
//
// Errors are JSON {"error": "..."} with a status: 400 for a request the sandbox refuses (its message
// says why), 404 for an unknown persona, chat or message, 502 when the bot's webhook refused the
// update, 504 when the bot did not answer a query in time; a browser's cross-site POST gets 403.
//
// For browser tests the page marks what a test clicks and reads with stable data-testid attributes,
// the kind of thing in data-testid and the instance in data-* beside it:
//
//	persona        data-persona-id, data-persona-name, data-persona-role; aria-pressed="true" when current
//	chat           (chat list item) data-chat-id, data-chat-type, data-chat-title, data-unread
//	chat-title, chat-status, messages, message-input, send-button, start-button, attach-button,
//	file-input, menu-button, command (data-command), keyboard-toggle, reply-keyboard,
//	reply-button (data-button-text), toast (data-kind), alert-dialog, alert-text, alert-ok
//	message        data-message-id, data-chat-id, data-sender (me, bot, user, channel), data-edited;
//	               inside: message-text, message-photo, message-document (data-file-name),
//	               document-open, document-download, invoice (data-currency, data-total, data-paid),
//	               invoice-total, invoice-paid, via-bot, payment-receipt, message-edited
//	inline-button  data-button-text, data-kind (callback, url, ...), data-message-id; data-pending
//	               while the bot has not answered the tap
//	pay-button     an invoice's Pay button (data-message-id; data-button-text when the bot drew it)
//	payment-dialog with pay-name, pay-phone, pay-email, pay-address-*, pay-fail-provider,
//	               pay-continue, shipping-option (data-option-id), pay-confirm, pay-back,
//	               pay-cancel, pay-processing, pay-success, pay-failed (data-status), pay-error,
//	               pay-close
//	inline-results with inline-result (data-result-id, data-result-title), inline-more
//	document-viewer with document-table, viewer-download, viewer-close
//	outage-toggle  the outage switch (a checkbox; checked while Telegram is down), outage-mode (a
//	               select: error, hang)
//	outage-banner  shown while the outage is on: data-mode, data-refused (the bot's calls answered
//	               500 so far), data-held (its calls held now)
//
// The body carries data-ready="1" once the first state is shown, data-pending with the number of
// API requests in flight, and data-event-seq with the last live event's sequence number: a test
// waits for data-pending="0" after a tap instead of sleeping.
package web

import (
	"cmp"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
)

//go:embed static
var staticFiles embed.FS

// Persona is one user the page lets a person act as.
type Persona struct {
	// UserID is the persona's sandbox user (Server.NewUser); the user may be added after New.
	UserID int64
	// Name is the name shown; default the user's first and last name.
	Name string
	// Role is a short label shown beside the name: "Shopper", "Seller", "KOL".
	Role string
	// Chats lists the groups and channels the persona sees besides its private chat with the bot, in
	// the sandbox's chat ids. Nil shows every group and channel the user is a member of
	// (Chat.AddMember), as Telegram shows the chats one has joined.
	Chats []int64
}

// Options configure the web client. All are optional.
type Options struct {
	// Personas are the users offered, in this order. Empty offers every user of the sandbox, each
	// under its own name.
	Personas []Persona
	// BotName is the bot's display name in the chat list; default the sandbox's bot name.
	BotName string
	// Prefix is the URL path the handler is mounted at, with or without the trailing slash; default
	// "/sandbox/". A request path that starts with it has it removed before routing, and one that does
	// not is routed as it is, so the handler also works behind http.StripPrefix. The page itself uses
	// relative URLs only.
	Prefix string
	// Logger gets the failures the page cannot explain to its user (an event stream that broke);
	// default a logger that discards.
	Logger *slog.Logger
}

// actionTimeout bounds one user action (a message, a tap, a payment) from the page: the webhook has
// to take the update and the bot to answer its queries within it. It is detached from the browser's
// request, so a closed tab does not cut the bot off halfway through an update.
const actionTimeout = 60 * time.Second

// Handler serves the web client; create it with New. It is an http.Handler.
type Handler struct {
	s      *sandbox.Server
	opts   Options
	prefix string // Options.Prefix without the trailing slash
	log    *slog.Logger
	routes http.Handler // the API and the page, behind the cross-origin check

	mu      sync.Mutex
	read    map[readKey]int // the last message each persona has seen in each chat
	inline  *memo[inlineEntry]
	quotes  *memo[quoteEntry]
	done    chan struct{}
	closing bool

	// outageMu serializes switching the outage (the sandbox's faults change with it); h.mu guards
	// the state read by every request.
	outageMu      sync.Mutex
	outage        outageState
	outageChanged chan struct{} // closed and replaced when the outage is switched
}

type readKey struct {
	persona int64
	chat    int64
}

// New returns the web client of s. It keeps in memory only what a browser session needs between two
// requests (what each persona has read, the last inline results and shipping quotes); the chats live
// in s.
func New(s *sandbox.Server, opts Options) *Handler {
	if opts.BotName == "" {
		opts.BotName = s.BotName()
	}
	if opts.Prefix == "" {
		opts.Prefix = "/sandbox/"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Personas = slices.Clone(opts.Personas)
	h := &Handler{
		s:      s,
		opts:   opts,
		prefix: "/" + strings.Trim(opts.Prefix, "/"),
		log:    opts.Logger,
		read:   make(map[readKey]int),
		inline: newMemo[inlineEntry](256),
		quotes: newMemo[quoteEntry](256),
		done:   make(chan struct{}),

		outageChanged: make(chan struct{}),
	}
	if h.prefix == "/" {
		h.prefix = ""
	}
	static, _ := fs.Sub(staticFiles, "static")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", h.serveIndex)
	mux.Handle("GET /static/", http.StripPrefix("/static/", noCache(http.FileServerFS(static))))
	mux.HandleFunc("GET /api/state", h.handleState)
	mux.HandleFunc("GET /api/chats/{chat}/messages", h.handleMessages)
	mux.HandleFunc("POST /api/read", h.handleRead)
	mux.HandleFunc("POST /api/send", h.handleSend)
	mux.HandleFunc("POST /api/press", h.handlePress)
	mux.HandleFunc("POST /api/open", h.handleOpen)
	mux.HandleFunc("POST /api/inline", h.handleInline)
	mux.HandleFunc("POST /api/inline/send", h.handleInlineSend)
	mux.HandleFunc("POST /api/pay/shipping", h.handleShipping)
	mux.HandleFunc("POST /api/pay", h.handlePay)
	mux.HandleFunc("POST /api/upload", h.handleUpload)
	mux.HandleFunc("POST /api/outage", h.handleOutage)
	mux.HandleFunc("POST /api/videochat", h.handleVideoChat)
	mux.HandleFunc("POST /api/rush", h.handleRush)
	mux.HandleFunc("GET /api/events", h.handleEvents)
	mux.HandleFunc("GET /files/{file}", h.handleFile)
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API call: "+r.Method+" "+r.URL.Path)
	})
	// The API acts as whoever the request names: another site open in the same browser must not
	// be able to post to it.
	h.routes = http.NewCrossOriginProtection().Handler(mux)
	return h
}

// ServeHTTP routes a request of the page or its API.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if h.prefix != "" {
		if path == h.prefix {
			// Relative URLs resolve against the directory: the page must be at "<prefix>/".
			http.Redirect(w, r, h.prefix+"/", http.StatusMovedPermanently)
			return
		}
		if rest, ok := strings.CutPrefix(path, h.prefix+"/"); ok {
			path = "/" + rest
		}
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = path
	r2.URL.RawPath = ""
	h.routes.ServeHTTP(w, r2)
}

// Close ends the open event streams, so that an http.Server can shut down; the page reconnects to
// whatever serves it next. Requests after Close still work, but streams end at once.
func (h *Handler) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closing {
		h.closing = true
		close(h.done)
	}
}

func (h *Handler) serveIndex(w http.ResponseWriter, r *http.Request) {
	data, err := staticFiles.ReadFile("static/index.html")
	if err != nil {
		writeError(w, http.StatusInternalServerError, "the page is missing from the binary")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	_, _ = w.Write(data)
}

func noCache(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The assets change with the binary and carry no version in their names: revalidate.
		w.Header().Set("Cache-Control", "no-cache")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		next.ServeHTTP(w, r)
	})
}

// Personas.

// personas returns the personas offered, resolved against the sandbox's users: those of
// Options.Personas that exist, or every user.
func (h *Handler) personas() []Persona {
	users := h.s.Users()
	byID := make(map[int64]sandbox.UserSpec, len(users))
	for _, u := range users {
		byID[u.ID] = u
	}
	var out []Persona
	if len(h.opts.Personas) == 0 {
		for _, u := range users {
			out = append(out, Persona{UserID: u.ID, Name: fullName(u)})
		}
		return out
	}
	for _, p := range h.opts.Personas {
		u, ok := byID[p.UserID]
		if !ok {
			continue
		}
		if p.Name == "" {
			p.Name = fullName(u)
		}
		out = append(out, p)
	}
	return out
}

func fullName(u sandbox.UserSpec) string {
	return strings.TrimSpace(u.FirstName + " " + u.LastName)
}

// persona resolves the persona id of a request; the error is an *apiError.
func (h *Handler) persona(id int64) (Persona, *sandbox.User, error) {
	for _, p := range h.personas() {
		if p.UserID == id {
			return p, h.s.User(id), nil
		}
	}
	return Persona{}, nil, &apiError{status: http.StatusNotFound, msg: fmt.Sprintf("unknown persona %d", id)}
}

// chatsOf returns the chats p sees: the private chat with the bot first, then the groups and
// channels.
func (h *Handler) chatsOf(p Persona) []sandbox.ChatInfo {
	all := h.s.Chats()
	var private *sandbox.ChatInfo
	var others []sandbox.ChatInfo
	for i, c := range all {
		switch {
		case c.ID == p.UserID:
			private = &all[i]
		case c.Type == sandbox.ChatPrivate:
		case p.Chats != nil:
			if slices.Contains(p.Chats, c.ID) {
				others = append(others, c)
			}
		default:
			if isMember(h.s.Chat(c.ID).Member(p.UserID)) {
				others = append(others, c)
			}
		}
	}
	if p.Chats != nil {
		slices.SortStableFunc(others, func(a, b sandbox.ChatInfo) int {
			return cmp.Compare(slices.Index(p.Chats, a.ID), slices.Index(p.Chats, b.ID))
		})
	}
	var out []sandbox.ChatInfo
	if private != nil {
		out = append(out, *private)
	}
	return append(out, others...)
}

func isMember(st sandbox.MemberStatus) bool {
	return st == sandbox.StatusMember || st == sandbox.StatusAdministrator || st == sandbox.StatusCreator
}

// chatOf returns the chat with id if p sees it; the error is an *apiError.
func (h *Handler) chatOf(p Persona, id int64) (sandbox.ChatInfo, error) {
	for _, c := range h.chatsOf(p) {
		if c.ID == id {
			return c, nil
		}
	}
	return sandbox.ChatInfo{}, &apiError{status: http.StatusNotFound, msg: fmt.Sprintf("%s does not see chat %d", p.Name, id)}
}

// canWrite reports whether p may write in c: not in a channel, unless p runs it.
func (h *Handler) canWrite(p Persona, c sandbox.ChatInfo) bool {
	if c.Type != sandbox.ChatChannel {
		return true
	}
	st := h.s.Chat(c.ID).Member(p.UserID)
	return st == sandbox.StatusAdministrator || st == sandbox.StatusCreator
}

// Read markers.

func (h *Handler) lastRead(persona, chat int64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.read[readKey{persona, chat}]
}

func (h *Handler) markRead(persona, chat int64, upTo int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := readKey{persona, chat}
	h.read[k] = max(h.read[k], upTo)
}

// markOwn marks the chat read up to the first message the persona wrote after message id after:
// one who has just written has seen everything before, including a channel post, which is signed
// by the channel and so carries no author.
func (h *Handler) markOwn(p Persona, c sandbox.ChatInfo, after int) {
	for _, m := range h.s.Chat(c.ID).Messages() {
		if m.ID > after && (m.From == p.UserID || (c.Type == sandbox.ChatChannel && m.From == 0)) {
			h.markRead(p.UserID, c.ID, m.ID)
			return
		}
	}
}

// lastID returns the id of the chat's last message, deleted or not; 0 for an empty chat.
func (h *Handler) lastID(chat int64) int {
	msgs := h.s.Chat(chat).Messages()
	if len(msgs) == 0 {
		return 0
	}
	return msgs[len(msgs)-1].ID
}

// memo keeps the last n values under random ids: the inline results and shipping quotes a page
// refers back to in its next request.
type memo[T any] struct {
	mu    sync.Mutex
	n     int
	seq   int
	order []string
	items map[string]T
}

func newMemo[T any](n int) *memo[T] {
	return &memo[T]{n: n, items: make(map[string]T)}
}

func (m *memo[T]) put(v T) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.seq++
	id := strconv.Itoa(m.seq) + "-" + randomToken()
	m.items[id] = v
	m.order = append(m.order, id)
	if len(m.order) > m.n {
		delete(m.items, m.order[0])
		m.order = slices.Delete(m.order, 0, 1)
	}
	return id
}

func (m *memo[T]) get(id string) (T, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	v, ok := m.items[id]
	return v, ok
}

// Errors and JSON.

// apiError is an answer the page shows as is.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, msg: fmt.Sprintf(format, args...)}
}

// writeErr answers err as JSON: an *apiError with its status; the sandbox's errors with the status
// that says whose fault it is.
func writeErr(w http.ResponseWriter, err error) {
	var ae *apiError
	var we *sandbox.WebhookError
	switch {
	case errors.As(err, &ae):
		writeError(w, ae.status, ae.msg)
	case errors.As(err, &we):
		msg := "the bot's webhook did not take the update"
		if we.StatusCode != 0 {
			msg = fmt.Sprintf("the bot's webhook answered %d: %s", we.StatusCode, strings.TrimSpace(we.Body))
		} else if we.Err != nil {
			msg += ": " + we.Err.Error()
		}
		writeError(w, http.StatusBadGateway, msg)
	case errors.Is(err, sandbox.ErrNotAnswered):
		writeError(w, http.StatusGatewayTimeout, "the bot did not answer in time")
	case errors.Is(err, context.DeadlineExceeded):
		writeError(w, http.StatusGatewayTimeout, "the bot took too long")
	case errors.Is(err, sandbox.ErrAlreadyPaid):
		writeError(w, http.StatusBadRequest, "this invoice was already paid")
	default:
		writeError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "sandbox: "))
	}
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// maxJSONBody bounds a JSON request: a message is at most 4096 characters.
const maxJSONBody = 1 << 20

// readJSON decodes a request body into v; the error is an *apiError.
func readJSON(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxJSONBody))
	if err := dec.Decode(v); err != nil {
		return badRequest("the request is not the JSON expected: %v", err)
	}
	return nil
}

// actionContext is the context of a user action: detached from the browser's request (see
// actionTimeout).
func actionContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), actionTimeout)
}

// int64Param parses a query or path parameter; the error is an *apiError.
func int64Param(name, value string) (int64, error) {
	n, err := strconv.ParseInt(value, 10, 64)
	if err != nil {
		return 0, badRequest("%s must be a number, got %q", name, value)
	}
	return n, nil
}
