package web

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
)

func randomToken() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// State.

type stateView struct {
	Bot      botView       `json:"bot"`
	Persona  *personaView  `json:"persona"` // nil when the sandbox has no persona yet
	Personas []personaView `json:"personas"`
	Chats    []chatView    `json:"chats"`
	// Commands are the bot's command menu for the persona (setMyCommands).
	Commands []commandView `json:"commands"`
	// Outage is the simulated Telegram outage (api/outage).
	Outage outageView `json:"outage"`
}

type botView struct {
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Username string `json:"username"`
}

type personaView struct {
	ID     int64  `json:"id"`
	Name   string `json:"name"`
	Role   string `json:"role,omitempty"`
	Unread int    `json:"unread"`
}

type chatView struct {
	ID       int64  `json:"id"`
	Type     string `json:"type"`
	Title    string `json:"title"`
	Username string `json:"username,omitempty"`
	// IsBot marks the persona's private chat with the bot.
	IsBot    bool      `json:"is_bot,omitempty"`
	CanWrite bool      `json:"can_write"`
	Unread   int       `json:"unread"`
	LastRead int       `json:"last_read"`
	Last     *lastView `json:"last,omitempty"`
}

type lastView struct {
	ID       int    `json:"id"`
	Date     int64  `json:"date"`
	Preview  string `json:"preview"`
	Sender   string `json:"sender"`
	Outgoing bool   `json:"outgoing"`
}

type commandView struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

func (h *Handler) handleState(w http.ResponseWriter, r *http.Request) {
	personas := h.personas()
	out := stateView{
		Bot:      botView{ID: h.s.BotID(), Name: h.opts.BotName, Username: h.s.BotUsername()},
		Personas: []personaView{},
		Chats:    []chatView{},
		Commands: []commandView{},
		Outage:   h.outageView(),
	}
	var current *Persona
	if raw := r.URL.Query().Get("persona"); raw != "" {
		id, err := int64Param("persona", raw)
		if err != nil {
			writeErr(w, err)
			return
		}
		p, _, err := h.persona(id)
		if err != nil {
			writeErr(w, err)
			return
		}
		current = &p
	} else if len(personas) > 0 {
		current = &personas[0]
	}
	for _, p := range personas {
		chats := h.chatViews(p)
		pv := personaView{ID: p.UserID, Name: p.Name, Role: p.Role}
		for _, c := range chats {
			pv.Unread += c.Unread
		}
		out.Personas = append(out.Personas, pv)
		if current != nil && p.UserID == current.UserID {
			out.Persona = &pv
			out.Chats = chats
		}
	}
	if current != nil {
		lang := ""
		if u := h.s.User(current.UserID); u != nil {
			lang = u.Spec().LanguageCode
		}
		for _, c := range h.s.Commands(current.UserID, lang) {
			out.Commands = append(out.Commands, commandView{Command: c.Command, Description: c.Description})
		}
	}
	writeJSON(w, http.StatusOK, out)
}

// chatViews lists p's chats for the chat list: the private chat with the bot first, then the others
// by their last activity.
func (h *Handler) chatViews(p Persona) []chatView {
	out := []chatView{}
	for _, c := range h.chatsOf(p) {
		out = append(out, h.chatView(p, c))
	}
	if len(out) > 1 {
		slices.SortStableFunc(out[1:], func(a, b chatView) int {
			return cmp.Compare(lastDate(b), lastDate(a))
		})
	}
	return out
}

// chatView describes chat c as p sees it in the chat list.
func (h *Handler) chatView(p Persona, c sandbox.ChatInfo) chatView {
	cv := chatView{ID: c.ID, Type: string(c.Type), Title: chatTitle(c, h.opts.BotName), Username: c.Username,
		IsBot: c.Type == sandbox.ChatPrivate, CanWrite: h.canWrite(p, c), LastRead: h.lastRead(p.UserID, c.ID)}
	if cv.IsBot {
		cv.Username = h.s.BotUsername()
	}
	var last *sandbox.Message
	msgs := h.s.Chat(c.ID).Messages()
	for i := range msgs {
		m := &msgs[i]
		if m.Deleted {
			continue
		}
		last = m
		if m.ID > cv.LastRead && m.From != p.UserID {
			cv.Unread++
		}
	}
	if last != nil {
		mv := h.viewer(p, c).message(*last)
		cv.Last = &lastView{ID: mv.ID, Date: mv.Date, Preview: preview(mv), Sender: mv.Sender.Name, Outgoing: mv.Outgoing}
	}
	return cv
}

func lastDate(c chatView) int64 {
	if c.Last == nil {
		return 0
	}
	return c.Last.Date
}

// Messages.

const (
	defaultPage = 100
	maxPage     = 500
)

type messagesView struct {
	Chat     chatView      `json:"chat"`
	Messages []messageView `json:"messages"`
	// HasMore tells that older messages exist: ask again with before set to the first id.
	HasMore bool `json:"has_more"`
}

func (h *Handler) handleMessages(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	personaID, err := int64Param("persona", q.Get("persona"))
	if err != nil {
		writeErr(w, err)
		return
	}
	chatID, err := int64Param("chat", r.PathValue("chat"))
	if err != nil {
		writeErr(w, err)
		return
	}
	limit, before := defaultPage, 0
	if raw := q.Get("limit"); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 {
			writeErr(w, badRequest("limit must be a positive number"))
			return
		}
		limit = min(n, maxPage)
	}
	if raw := q.Get("before"); raw != "" {
		if before, err = strconv.Atoi(raw); err != nil {
			writeErr(w, badRequest("before must be a message id"))
			return
		}
	}
	p, _, err := h.persona(personaID)
	if err != nil {
		writeErr(w, err)
		return
	}
	c, err := h.chatOf(p, chatID)
	if err != nil {
		writeErr(w, err)
		return
	}
	cv := h.chatView(p, c)
	msgs := h.s.Chat(c.ID).Messages()
	msgs = slices.DeleteFunc(msgs, func(m sandbox.Message) bool { return m.Deleted || (before > 0 && m.ID >= before) })
	out := messagesView{Chat: cv, Messages: []messageView{}, HasMore: len(msgs) > limit}
	v := h.viewer(p, c)
	for _, m := range msgs[max(len(msgs)-limit, 0):] {
		out.Messages = append(out.Messages, v.message(m))
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) handleRead(w http.ResponseWriter, r *http.Request) {
	var req struct {
		actor
		MessageID int `json:"message_id"`
	}
	if err := readJSON(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	p, _, err := h.persona(req.Persona)
	if err != nil {
		writeErr(w, err)
		return
	}
	if _, err := h.chatOf(p, req.ChatID); err != nil {
		writeErr(w, err)
		return
	}
	h.markRead(p.UserID, req.ChatID, req.MessageID)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// message returns the current state of a message p sees; the error is an *apiError.
func (h *Handler) message(p Persona, chatID int64, id int) (sandbox.ChatInfo, sandbox.Message, error) {
	c, err := h.chatOf(p, chatID)
	if err != nil {
		return c, sandbox.Message{}, err
	}
	for _, m := range h.s.Chat(chatID).Messages() {
		if m.ID == id && !m.Deleted {
			return c, m, nil
		}
	}
	return c, sandbox.Message{}, &apiError{status: http.StatusNotFound, msg: "this message was deleted"}
}

// Typing and tapping.

// maxTextLength is Telegram's limit on a message, in UTF-16 code units.
const maxTextLength = 4096

func (h *Handler) handleSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		actor
		Text string `json:"text"`
	}
	if err := readJSON(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	text := strings.TrimFunc(req.Text, unicode.IsSpace)
	switch {
	case text == "":
		writeErr(w, badRequest("type a message first"))
		return
	case len(utf16.Encode([]rune(text))) > maxTextLength:
		writeErr(w, badRequest("a message is at most %d characters", maxTextLength))
		return
	}
	p, u, err := h.persona(req.Persona)
	if err != nil {
		writeErr(w, err)
		return
	}
	c, err := h.chatOf(p, req.ChatID)
	if err != nil {
		writeErr(w, err)
		return
	}
	ctx, cancel := actionContext(r)
	defer cancel()
	before := h.lastID(c.ID)
	if c.Type == sandbox.ChatChannel {
		if !h.canWrite(p, c) {
			writeErr(w, badRequest("only the channel's administrators post in %s", c.Title))
			return
		}
		err = h.s.Chat(c.ID).Post(ctx, text)
	} else {
		err = u.SendTo(ctx, c.ID, text)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	h.markOwn(p, c, before)
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

type answerView struct {
	Text      string `json:"text,omitempty"`
	ShowAlert bool   `json:"show_alert,omitempty"`
	URL       string `json:"url,omitempty"`
}

func (h *Handler) handlePress(w http.ResponseWriter, r *http.Request) {
	var req struct {
		actor
		MessageID int    `json:"message_id"`
		Data      string `json:"data"`
	}
	p, u, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	_, msg, err := h.message(p, req.ChatID, req.MessageID)
	if err != nil {
		writeErr(w, err)
		return
	}
	ctx, cancel := actionContext(r)
	defer cancel()
	ans, err := u.Press(ctx, msg, req.Data)
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, answerView{Text: ans.Text, ShowAlert: ans.ShowAlert, URL: ans.URL})
}

// botLink parses a link to the bot: t.me/<bot>[?start=<payload>] (also telegram.me, with or
// without a scheme, and tg://resolve?domain=<bot>). hasStart tells whether the link carries a start
// parameter at all.
func botLink(link, botUsername string) (payload string, hasStart, ok bool) {
	raw := strings.TrimSpace(link)
	if !strings.Contains(raw, "://") {
		raw = "https://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", false, false
	}
	var bot string
	switch {
	case u.Scheme == "tg" && u.Host == "resolve":
		bot = u.Query().Get("domain")
	case (u.Scheme == "https" || u.Scheme == "http") && (u.Host == "t.me" || u.Host == "telegram.me"):
		bot = strings.Trim(u.Path, "/")
	default:
		return "", false, false
	}
	if !strings.EqualFold(bot, botUsername) {
		return "", false, false
	}
	_, hasStart = u.Query()["start"]
	return u.Query().Get("start"), hasStart, true
}

func (h *Handler) handleOpen(w http.ResponseWriter, r *http.Request) {
	var req struct {
		actor        // only the persona: a link opens its own chat
		URL   string `json:"url"`
	}
	p, u, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	_, hasStart, ok := botLink(req.URL, h.s.BotUsername())
	if !ok {
		writeErr(w, badRequest("%s is not a link to @%s", req.URL, h.s.BotUsername()))
		return
	}
	// A link with a start parameter sends "/start <payload>", as a client does; one without only
	// opens the chat (where a fresh chat shows its START button).
	if hasStart {
		ctx, cancel := actionContext(r)
		defer cancel()
		if err := u.OpenLink(ctx, req.URL); err != nil {
			writeErr(w, err)
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]int64{"chat_id": p.UserID})
}

// Inline mode.

type inlineEntry struct {
	persona int64
	results []sandbox.InlineResult
}

type inlineView struct {
	QueryID    string             `json:"query_id"`
	Results    []inlineResultView `json:"results"`
	NextOffset string             `json:"next_offset,omitempty"`
}

type inlineResultView struct {
	ID          string `json:"id"`
	Type        string `json:"type"`
	Title       string `json:"title,omitempty"`
	Description string `json:"description,omitempty"`
	// Text is what choosing the result sends: the message text, or the photo's caption.
	Text     string `json:"text,omitempty"`
	ThumbURL string `json:"thumb_url,omitempty"`
}

func (h *Handler) handleInline(w http.ResponseWriter, r *http.Request) {
	var req struct {
		actor
		Query  string `json:"query"`
		Offset string `json:"offset"`
	}
	p, u, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	if _, err := h.chatOf(p, req.ChatID); err != nil {
		writeErr(w, err)
		return
	}
	ctx, cancel := actionContext(r)
	defer cancel()
	ans, err := u.InlineQueryInChat(ctx, req.ChatID, req.Query, req.Offset)
	if err != nil {
		writeErr(w, err)
		return
	}
	out := inlineView{Results: []inlineResultView{}, NextOffset: ans.NextOffset}
	out.QueryID = h.inline.put(inlineEntry{persona: p.UserID, results: ans.Results})
	for _, res := range ans.Results {
		rv := inlineResultView{ID: res.ID, Type: res.Type, Title: res.Title, Description: res.Description,
			Text: res.MessageText}
		if rv.Text == "" {
			rv.Text = res.Caption
		}
		switch {
		case res.PhotoFileID != "":
			rv.ThumbURL = "files/" + url.PathEscape(res.PhotoFileID)
		case res.ThumbnailURL != "":
			rv.ThumbURL = res.ThumbnailURL
		case res.PhotoURL != "":
			rv.ThumbURL = res.PhotoURL
		}
		out.Results = append(out.Results, rv)
	}
	writeJSON(w, http.StatusOK, out)
}

func (h *Handler) handleInlineSend(w http.ResponseWriter, r *http.Request) {
	var req struct {
		actor
		QueryID  string `json:"query_id"`
		ResultID string `json:"result_id"`
	}
	p, u, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	if _, err := h.chatOf(p, req.ChatID); err != nil {
		writeErr(w, err)
		return
	}
	entry, ok := h.inline.get(req.QueryID)
	if !ok || entry.persona != p.UserID {
		writeErr(w, badRequest("these results are too old: type the query again"))
		return
	}
	i := slices.IndexFunc(entry.results, func(res sandbox.InlineResult) bool { return res.ID == req.ResultID })
	if i < 0 {
		writeErr(w, badRequest("no result %q among the bot's answers", req.ResultID))
		return
	}
	ctx, cancel := actionContext(r)
	defer cancel()
	if err := u.SendInlineResult(ctx, req.ChatID, entry.results[i]); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// Payments.

type addressView struct {
	CountryCode string `json:"country_code"`
	State       string `json:"state"`
	City        string `json:"city"`
	StreetLine1 string `json:"street_line1"`
	StreetLine2 string `json:"street_line2"`
	PostCode    string `json:"post_code"`
}

var countryCode = regexp.MustCompile(`^[A-Za-z]{2}$`)

// shippingAddress checks an address as Telegram's payment form does; the error is an *apiError.
func (a *addressView) shippingAddress() (*sandbox.ShippingAddress, error) {
	trim := strings.TrimSpace
	addr := &sandbox.ShippingAddress{CountryCode: strings.ToUpper(trim(a.CountryCode)), State: trim(a.State),
		City: trim(a.City), StreetLine1: trim(a.StreetLine1), StreetLine2: trim(a.StreetLine2), PostCode: trim(a.PostCode)}
	var missing []string
	if !countryCode.MatchString(addr.CountryCode) {
		missing = append(missing, "a two-letter country code")
	}
	if addr.City == "" {
		missing = append(missing, "a city")
	}
	if addr.StreetLine1 == "" {
		missing = append(missing, "a street address")
	}
	if addr.PostCode == "" {
		missing = append(missing, "a post code")
	}
	if len(missing) > 0 {
		return nil, badRequest("the shipping address needs %s", strings.Join(missing, ", "))
	}
	return addr, nil
}

type quoteEntry struct {
	persona int64
	chatID  int64
	msgID   int
	quote   sandbox.ShippingQuote
}

type shippingView struct {
	QuoteID      string               `json:"quote_id,omitempty"`
	Status       string               `json:"status"` // "ok", "shipping_rejected", "timed_out"
	ErrorMessage string               `json:"error_message,omitempty"`
	Options      []shippingOptionView `json:"options"`
}

type shippingOptionView struct {
	ID        string      `json:"id"`
	Title     string      `json:"title"`
	Prices    []priceView `json:"prices"`
	Amount    int         `json:"amount"`
	AmountTxt string      `json:"amount_text"`
	// Total and TotalText are the invoice's total with this option.
	Total     int    `json:"total"`
	TotalText string `json:"total_text"`
}

func (h *Handler) handleShipping(w http.ResponseWriter, r *http.Request) {
	var req struct {
		actor
		MessageID int         `json:"message_id"`
		Address   addressView `json:"address"`
	}
	p, u, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	_, msg, err := h.message(p, req.ChatID, req.MessageID)
	if err != nil {
		writeErr(w, err)
		return
	}
	if msg.Invoice == nil {
		writeErr(w, badRequest("this message is not an invoice"))
		return
	}
	addr, err := req.Address.shippingAddress()
	if err != nil {
		writeErr(w, err)
		return
	}
	ctx, cancel := actionContext(r)
	defer cancel()
	quote, err := u.QuoteShipping(ctx, msg, addr)
	if err != nil {
		writeErr(w, err)
		return
	}
	out := shippingView{Status: "ok", ErrorMessage: quote.ErrorMessage, Options: []shippingOptionView{}}
	if quote.Status != "" {
		out.Status = string(quote.Status)
	} else {
		out.QuoteID = h.quotes.put(quoteEntry{persona: p.UserID, chatID: msg.ChatID, msgID: msg.ID, quote: quote})
	}
	cur, total := msg.Invoice.Currency, msg.Invoice.Total()
	for _, o := range quote.Options {
		ov := shippingOptionView{ID: o.ID, Title: o.Title, Prices: []priceView{}}
		for _, pr := range o.Prices {
			ov.Amount += pr.Amount
			ov.Prices = append(ov.Prices, priceView{Label: pr.Label, Amount: pr.Amount, AmountText: formatAmount(pr.Amount, cur)})
		}
		ov.AmountTxt = formatAmount(ov.Amount, cur)
		ov.Total, ov.TotalText = total+ov.Amount, formatAmount(total+ov.Amount, cur)
		out.Options = append(out.Options, ov)
	}
	writeJSON(w, http.StatusOK, out)
}

type payView struct {
	// Status is sandbox.PayStatus: "paid", "declined", "shipping_rejected", "timed_out",
	// "provider_failed".
	Status       string `json:"status"`
	ErrorMessage string `json:"error_message,omitempty"`
	Total        int    `json:"total"`
	TotalText    string `json:"total_text"`
	// ReceiptID is the id of the successful_payment message.
	ReceiptID int `json:"receipt_id,omitempty"`
	// Warning is set when the money was taken but the bot's webhook refused the receipt.
	Warning string `json:"warning,omitempty"`
}

func (h *Handler) handlePay(w http.ResponseWriter, r *http.Request) {
	var req struct {
		actor
		MessageID        int          `json:"message_id"`
		QuoteID          string       `json:"quote_id"`
		ShippingOptionID string       `json:"shipping_option_id"`
		Address          *addressView `json:"address"`
		Name             string       `json:"name"`
		Phone            string       `json:"phone"`
		Email            string       `json:"email"`
		FailAtProvider   bool         `json:"fail_at_provider"`
	}
	p, u, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	_, msg, err := h.message(p, req.ChatID, req.MessageID)
	if err != nil {
		writeErr(w, err)
		return
	}
	inv := msg.Invoice
	if inv == nil {
		writeErr(w, badRequest("this message is not an invoice"))
		return
	}
	opts := sandbox.PayOptions{ShippingOptionID: req.ShippingOptionID, FailAtProvider: req.FailAtProvider,
		Name: strings.TrimSpace(req.Name), PhoneNumber: strings.TrimSpace(req.Phone), Email: strings.TrimSpace(req.Email)}
	stars := inv.Currency == "XTR"
	if !stars {
		var missing []string
		if inv.NeedName && opts.Name == "" {
			missing = append(missing, "a name")
		}
		if inv.NeedPhoneNumber && opts.PhoneNumber == "" {
			missing = append(missing, "a phone number")
		}
		if inv.NeedEmail && !strings.Contains(opts.Email, "@") {
			missing = append(missing, "an email address")
		}
		if len(missing) > 0 {
			writeErr(w, badRequest("the payment form needs %s", strings.Join(missing, ", ")))
			return
		}
	}
	switch {
	case stars:
	case inv.IsFlexible:
		entry, ok := h.quotes.get(req.QuoteID)
		if !ok || entry.persona != p.UserID || entry.chatID != msg.ChatID || entry.msgID != msg.ID {
			writeErr(w, badRequest("enter the shipping address first"))
			return
		}
		opts.Quote = &entry.quote
		if opts.ShippingOptionID == "" {
			writeErr(w, badRequest("choose a shipping option"))
			return
		}
	case inv.NeedShippingAddress:
		if req.Address == nil {
			writeErr(w, badRequest("enter the shipping address first"))
			return
		}
		if opts.ShippingAddress, err = req.Address.shippingAddress(); err != nil {
			writeErr(w, err)
			return
		}
	}
	ctx, cancel := actionContext(r)
	defer cancel()
	res, err := u.Pay(ctx, msg, opts)
	out := payView{Status: string(res.Status), ErrorMessage: res.ErrorMessage, Total: res.TotalAmount,
		TotalText: formatAmount(res.TotalAmount, inv.Currency), ReceiptID: res.Receipt.ID}
	var we *sandbox.WebhookError
	switch {
	case err != nil && res.Status == sandbox.PayPaid && errors.As(err, &we):
		out.Warning = "the payment went through, but the bot's webhook refused the receipt"
	case err != nil:
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// Files.

// maxUpload bounds an upload: Telegram takes files up to 50 MB from a bot, 2 GB from a user; a
// sandbox needs less.
const maxUpload = 20 << 20

// documentTypes names the types of files the page sends by their extension, since browsers label
// a CSV differently (text/csv, application/vnd.ms-excel, or nothing).
var documentTypes = map[string]string{
	".csv": "text/csv", ".tsv": "text/tab-separated-values", ".txt": "text/plain", ".json": "application/json",
	".pdf": "application/pdf", ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	".xls": "application/vnd.ms-excel", ".zip": "application/zip",
}

func (h *Handler) handleUpload(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxUpload+1<<20)
	if err := r.ParseMultipartForm(maxUpload); err != nil {
		writeErr(w, badRequest("the file is too big or the form is broken (at most %d MB): %v", maxUpload>>20, err))
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	personaID, err := int64Param("persona", r.FormValue("persona"))
	if err != nil {
		writeErr(w, err)
		return
	}
	chatID, err := int64Param("chat_id", r.FormValue("chat_id"))
	if err != nil {
		writeErr(w, err)
		return
	}
	p, u, err := h.persona(personaID)
	if err != nil {
		writeErr(w, err)
		return
	}
	if _, err := h.chatOf(p, chatID); err != nil {
		writeErr(w, err)
		return
	}
	f, fh, err := r.FormFile("file")
	if err != nil {
		writeErr(w, badRequest("choose a file to send"))
		return
	}
	data, err := io.ReadAll(f)
	_ = f.Close()
	if err != nil {
		writeErr(w, badRequest("read the file: %v", err))
		return
	}
	if len(data) == 0 {
		writeErr(w, badRequest("the file is empty"))
		return
	}
	name := path.Base(strings.ReplaceAll(fh.Filename, `\`, "/"))
	if name == "." || name == "/" || name == "" {
		name = "file"
	}
	caption := strings.TrimFunc(r.FormValue("caption"), unicode.IsSpace)
	detected := http.DetectContentType(data)
	as := r.FormValue("as")
	if as == "" {
		as = "document"
		if detected == "image/jpeg" || detected == "image/png" || detected == "image/gif" {
			as = "photo"
		}
	}
	ctx, cancel := actionContext(r)
	defer cancel()
	switch as {
	case "photo":
		err = u.SendPhotoTo(ctx, chatID, name, data, caption)
	case "document":
		mimeType := documentTypes[strings.ToLower(path.Ext(name))]
		if mimeType == "" {
			mimeType, _, _ = mime.ParseMediaType(fh.Header.Get("Content-Type"))
		}
		if mimeType == "" || mimeType == "application/octet-stream" {
			mimeType, _, _ = mime.ParseMediaType(detected)
		}
		err = u.SendDocumentTo(ctx, chatID, name, data, mimeType, caption)
	default:
		err = badRequest(`"as" must be "photo" or "document"`)
	}
	if err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// inlineImages are the types a browser may show from this origin; anything else is sent as an
// attachment, so a file a user or the bot uploaded never runs as a page of the sandbox.
var inlineImages = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

func (h *Handler) handleFile(w http.ResponseWriter, r *http.Request) {
	data, att, ok := h.s.FileData(r.PathValue("file"))
	if !ok {
		writeError(w, http.StatusNotFound, "no such file")
		return
	}
	contentType := att.MIMEType
	if contentType == "" {
		contentType = http.DetectContentType(data)
	}
	mediaType, _, _ := mime.ParseMediaType(contentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Cache-Control", "private, max-age=3600") // a file_id's bytes never change
	name := att.FileName
	if name == "" {
		name = "file" + extension(mediaType)
	}
	if inlineImages[mediaType] && r.URL.Query().Get("download") == "" {
		w.Header().Set("Content-Type", mediaType)
	} else {
		if mediaType == "" {
			mediaType = "application/octet-stream"
		}
		w.Header().Set("Content-Type", mediaType)
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	if r.Method == http.MethodHead {
		return
	}
	_, _ = io.Copy(w, bytes.NewReader(data))
}

func extension(mediaType string) string {
	switch mediaType {
	case "image/jpeg":
		return ".jpg"
	case "image/png":
		return ".png"
	case "image/gif":
		return ".gif"
	}
	if exts, _ := mime.ExtensionsByType(mediaType); len(exts) > 0 {
		return exts[0]
	}
	return ""
}

// actor is what every action of the page names: who acts, and in which chat.
type actor struct {
	Persona int64 `json:"persona"`
	ChatID  int64 `json:"chat_id"`
}

func (a *actor) actorOf() *actor { return a }

// decode reads an action's JSON into req and finds the persona who acts. On false it has
// written the error.
func (h *Handler) decode(w http.ResponseWriter, r *http.Request, req interface{ actorOf() *actor }) (Persona, *sandbox.User, bool) {
	if err := readJSON(w, r, req); err != nil {
		writeErr(w, err)
		return Persona{}, nil, false
	}
	p, u, err := h.persona(req.actorOf().Persona)
	if err != nil {
		writeErr(w, err)
		return Persona{}, nil, false
	}
	return p, u, true
}

// Live drops on a channel: its administrator starts or ends its video chat (the bot
// opens the session scheduled around then), and anyone watching may let a crowd of
// followers rush a post's button.

// maxRush bounds the followers of one rush.
const maxRush = 1000

func (h *Handler) handleVideoChat(w http.ResponseWriter, r *http.Request) {
	var req struct {
		actor
		Started bool `json:"started"`
	}
	p, _, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	c, err := h.chatOf(p, req.ChatID)
	if err != nil {
		writeErr(w, err)
		return
	}
	if c.Type != sandbox.ChatChannel || !h.canWrite(p, c) {
		writeErr(w, badRequest("only a channel's administrators start its video chat"))
		return
	}
	ctx, cancel := actionContext(r)
	defer cancel()
	if err := h.s.Chat(c.ID).VideoChat(ctx, req.Started); err != nil {
		writeErr(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (h *Handler) handleRush(w http.ResponseWriter, r *http.Request) {
	var req struct {
		actor
		MessageID int    `json:"message_id"`
		Data      string `json:"data"`
		N         int    `json:"n"`
	}
	p, _, ok := h.decode(w, r, &req)
	if !ok {
		return
	}
	c, msg, err := h.message(p, req.ChatID, req.MessageID)
	if err != nil {
		writeErr(w, err)
		return
	}
	if c.Type != sandbox.ChatChannel || req.N < 1 || req.N > maxRush {
		writeErr(w, badRequest("a rush is 1-%d followers tapping a channel post's button", maxRush))
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Minute)
	defer cancel()
	counts, err := h.s.Chat(c.ID).Rush(ctx, msg, req.Data, req.N)
	if err != nil {
		writeErr(w, err)
		return
	}
	type outcome struct {
		Answer string `json:"answer"`
		Taps   int    `json:"taps"`
	}
	out := make([]outcome, 0, len(counts))
	for text, n := range counts {
		out = append(out, outcome{Answer: text, Taps: n})
	}
	slices.SortFunc(out, func(a, b outcome) int { return b.Taps - a.Taps })
	writeJSON(w, http.StatusOK, map[string]any{"outcomes": out})
}
