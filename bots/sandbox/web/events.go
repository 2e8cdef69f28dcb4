package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
)

// eventView is one server-sent event, as the page reads it from the data line.
type eventView struct {
	// Kind is a sandbox.EventKind the persona is concerned by, or one of the stream's own:
	// "hello" (the stream is open: after a reconnect, reload), "resync" (events were lost: reload),
	// "activity" (a chat the persona does not see changed: other personas' unread counts moved),
	// "outage" (the simulated outage was switched, or its counts moved: Outage is its state).
	Kind    string       `json:"kind"`
	Seq     int64        `json:"seq,omitempty"`
	ChatID  int64        `json:"chat_id,omitempty"`
	Message *messageView `json:"message,omitempty"`
	// Action is a chat action ("typing").
	Action string `json:"action,omitempty"`
	// Status, MessageID and TotalText describe a payment of the persona: MessageID is the invoice
	// message paid (0 for an invoice link or a refund).
	Status    string      `json:"status,omitempty"`
	MessageID int         `json:"message_id,omitempty"`
	TotalText string      `json:"total_text,omitempty"`
	Error     string      `json:"error,omitempty"`
	Outage    *outageView `json:"outage,omitempty"`
}

// heartbeat is how often an idle stream sends a comment, so proxies and the browser keep it open.
const heartbeat = 15 * time.Second

// outageTick is how often a stream looks at the counts of an outage that is on (the bot's calls
// refused or held), so the page's banner shows the bot trying.
const outageTick = time.Second

func (h *Handler) handleEvents(w http.ResponseWriter, r *http.Request) {
	personaID, err := int64Param("persona", r.URL.Query().Get("persona"))
	if err != nil {
		writeErr(w, err)
		return
	}
	p, _, err := h.persona(personaID)
	if err != nil {
		writeErr(w, err)
		return
	}
	rc := http.NewResponseController(w)
	// The server's write timeout is for ordinary answers; a stream lives as long as the page.
	_ = rc.SetWriteDeadline(time.Time{})
	events, stop := h.s.Subscribe()
	defer stop()

	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	send := func(ev eventView) bool {
		data, err := json.Marshal(ev)
		if err != nil {
			h.log.Error("sandbox web: encode event", "kind", ev.Kind, "err", err)
			return true
		}
		if ev.Seq > 0 {
			_, err = fmt.Fprintf(w, "id: %d\ndata: %s\n\n", ev.Seq, data)
		} else {
			_, err = fmt.Fprintf(w, "data: %s\n\n", data)
		}
		if err == nil {
			err = rc.Flush()
		}
		return err == nil
	}
	// The page reads the outage's state from api/state after the hello; the stream tells it what
	// changes from the state before the hello, so a switch in between is not lost.
	outageChanged := h.outageSignal()
	lastOutage := h.outageView()
	// retry: how long the browser waits before reconnecting, in milliseconds.
	if _, err := fmt.Fprint(w, "retry: 2000\n\n"); err != nil {
		return
	}
	if !send(eventView{Kind: "hello"}) {
		return
	}
	tick := time.NewTicker(heartbeat)
	defer tick.Stop()
	outageTicker := time.NewTicker(outageTick)
	defer outageTicker.Stop()
	var last int64
	for {
		select {
		case <-r.Context().Done():
			return
		case <-h.done:
			return
		case <-tick.C:
			if _, err := fmt.Fprint(w, ": ping\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-outageChanged:
			outageChanged = h.outageSignal()
			lastOutage = h.outageView()
			if !send(eventView{Kind: "outage", Outage: &lastOutage}) {
				return
			}
		case <-outageTicker.C:
			if !lastOutage.On {
				continue
			}
			if v := h.outageView(); v != lastOutage {
				lastOutage = v
				if !send(eventView{Kind: "outage", Outage: &v}) {
					return
				}
			}
		case ev, ok := <-events:
			if !ok {
				return // the sandbox closed
			}
			if last != 0 && ev.Seq != last+1 && !send(eventView{Kind: "resync", Seq: ev.Seq}) {
				return
			}
			last = ev.Seq
			if view, ok := h.eventFor(p, ev); ok && !send(view) {
				return
			}
		}
	}
}

// eventFor turns a sandbox event into what persona p's page needs to know, if anything.
func (h *Handler) eventFor(p Persona, ev sandbox.Event) (eventView, bool) {
	out := eventView{Kind: string(ev.Kind), Seq: ev.Seq, ChatID: ev.ChatID}
	var chat *sandbox.ChatInfo
	if ev.ChatID != 0 {
		if c, err := h.chatOf(p, ev.ChatID); err == nil {
			chat = &c
		}
	}
	switch ev.Kind {
	case sandbox.EventMessageNew, sandbox.EventMessageEdited, sandbox.EventMessageDeleted:
		if chat == nil || ev.Message == nil {
			return eventView{Kind: "activity", Seq: ev.Seq, ChatID: ev.ChatID}, true
		}
		mv := h.viewer(p, *chat).message(*ev.Message)
		out.Message = &mv
		return out, true
	case sandbox.EventChatAction:
		out.Action = ev.Action
		return out, chat != nil
	case sandbox.EventPayment:
		if ev.UserID != p.UserID && chat == nil {
			return eventView{}, false
		}
		out.Status = string(ev.Status)
		if pay := ev.Payment; pay != nil {
			out.TotalText = formatAmount(pay.TotalAmount, pay.Currency)
			if ev.Status == sandbox.PayPaid {
				out.ChatID, out.MessageID = pay.ChatID, pay.MessageID
			}
		}
		return out, true
	case sandbox.EventWebhookFailed:
		out.Error = ev.Error
		return out, ev.UserID == 0 || ev.UserID == p.UserID
	default:
		// Callback answers reach the page as the answer to its press request.
		return eventView{}, false
	}
}
