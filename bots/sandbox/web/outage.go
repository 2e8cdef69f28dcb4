package web

import (
	"net/http"
	"time"
)

// A simulated Telegram outage, switched from the page: every Bot API call of the bot fails with
// 500 Internal Server Error, or hangs, until it is switched off. A visitor sees what the bot does
// when Telegram is down (nothing, then every pending answer once Telegram is back) without
// touching the network.

// Outage modes.
const (
	outageError = "error" // every call answers 500 Internal Server Error
	outageHang  = "hang"  // every call is held without an answer
)

// outageState is the switch as the page set it. A zero value is "Telegram is up".
type outageState struct {
	on    bool
	mode  string
	since time.Time
	// baseline is how many calls had failed with 500 when the outage began, so the page counts the
	// outage's refusals only.
	baseline int
	release  func() // ends a hang
}

type outageView struct {
	On    bool   `json:"on"`
	Mode  string `json:"mode,omitempty"`
	Since int64  `json:"since,omitempty"` // unix seconds
	// Refused counts the bot's calls answered 500 since the outage began (mode "error").
	Refused int `json:"refused"`
	// Held counts the bot's calls held now, waiting for an answer (mode "hang").
	Held int `json:"held"`
}

// failedCalls counts the recorded calls that failed with 500.
func (h *Handler) failedCalls() int {
	n := 0
	for _, c := range h.s.Calls() {
		if c.Err != nil && c.Err.Code == http.StatusInternalServerError {
			n++
		}
	}
	return n
}

// outageView describes the outage now.
func (h *Handler) outageView() outageView {
	h.mu.Lock()
	o := h.outage
	h.mu.Unlock()
	if !o.on {
		return outageView{}
	}
	v := outageView{On: true, Mode: o.mode, Since: o.since.Unix()}
	switch o.mode {
	case outageError:
		// The record of calls is bounded: when old calls drop out, the count may fall under the
		// baseline.
		v.Refused = max(h.failedCalls()-o.baseline, 0)
	case outageHang:
		v.Held = h.s.Hanging()
	}
	return v
}

// outageSignal returns a channel closed at the next change of the switch.
func (h *Handler) outageSignal() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.outageChanged
}

// setOutage switches the outage on in mode, or off. Switching on in another mode ends the first one.
func (h *Handler) setOutage(on bool, mode string) {
	h.outageMu.Lock()
	defer h.outageMu.Unlock()
	h.mu.Lock()
	prev := h.outage
	h.mu.Unlock()
	if prev.on == on && (!on || prev.mode == mode) {
		return
	}
	next := outageState{}
	if on {
		next = outageState{on: true, mode: mode, since: prev.since}
		if !prev.on {
			next.since = time.Now()
		}
		switch mode {
		case outageError:
			next.baseline = h.failedCalls()
			h.s.FailAll("", http.StatusInternalServerError, "Internal Server Error", 0)
		case outageHang:
			// The 500s of an error outage end first, so that the calls held from now on are
			// answered normally once released.
			h.s.ClearFailures()
			next.release = h.s.Hang("")
		}
	} else {
		h.s.ClearFailures()
	}
	// A hang ends after the new failures are in place: the calls it held then get the new
	// outage's answer (a 500), or go through when the outage is over.
	if prev.release != nil {
		prev.release()
	}
	h.mu.Lock()
	h.outage = next
	close(h.outageChanged)
	h.outageChanged = make(chan struct{})
	h.mu.Unlock()
}

// handleOutage serves POST api/outage {"on": true|false, "mode": "error"|"hang"}: it switches the
// simulated outage and answers its state.
func (h *Handler) handleOutage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		On   *bool  `json:"on"`
		Mode string `json:"mode"`
	}
	if err := readJSON(w, r, &req); err != nil {
		writeErr(w, err)
		return
	}
	if req.On == nil {
		writeErr(w, badRequest(`say "on": true or false`))
		return
	}
	if req.Mode == "" {
		req.Mode = outageError
	}
	if req.Mode != outageError && req.Mode != outageHang {
		writeErr(w, badRequest(`the outage's mode is "error" (500 answers) or "hang" (no answer), not %q`, req.Mode))
		return
	}
	h.setOutage(*req.On, req.Mode)
	writeJSON(w, http.StatusOK, h.outageView())
}
