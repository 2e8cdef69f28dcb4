package web_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

type outage struct {
	On      bool   `json:"on"`
	Mode    string `json:"mode"`
	Since   int64  `json:"since"`
	Refused int    `json:"refused"`
	Held    int    `json:"held"`
}

func (e *testEnv) outage(t *testing.T) outage {
	t.Helper()
	var st struct {
		Outage outage `json:"outage"`
	}
	e.mustCall(t, http.MethodGet, "api/state?persona=1001", nil, &st)
	return st.Outage
}

func (e *testEnv) setOutage(t *testing.T, body map[string]any) outage {
	t.Helper()
	var o outage
	e.mustCall(t, http.MethodPost, "api/outage", body, &o)
	return o
}

// sendAsync types text as persona in chat without waiting; the channel gets the answer's status
// (0 when the request failed).
func (e *testEnv) sendAsync(persona, chat int64, text string) <-chan int {
	out := make(chan int, 1)
	body := fmt.Sprintf(`{"persona":%d,"chat_id":%d,"text":%q}`, persona, chat, text)
	go func() {
		resp, err := http.Post(e.srv.URL+"/sandbox/api/send", "application/json", strings.NewReader(body))
		if err != nil {
			out <- 0
			return
		}
		_ = resp.Body.Close()
		out <- resp.StatusCode
	}()
	return out
}

// waitOutage polls api/state until its outage satisfies ok.
func (e *testEnv) waitOutage(t *testing.T, what string, ok func(outage) bool) outage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		o := e.outage(t)
		if ok(o) {
			return o
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: the outage is still %+v", what, o)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestHandler_Outage(t *testing.T) {
	t.Run("Error", func(t *testing.T) {
		e := setup(t)
		ctx := ctxT(t)
		if o := e.outage(t); o.On {
			t.Fatalf("a new sandbox has an outage: %+v", o)
		}
		events := sse(t, e.srv.URL+"/sandbox/api/events?persona=1001")
		waitEvent(ctx, t, events, func(ev map[string]any) bool { return ev["kind"] == "hello" })

		o := e.setOutage(t, map[string]any{"on": true})
		if !o.On || o.Mode != "error" || o.Since == 0 || o.Refused != 0 {
			t.Errorf("switched on: %+v", o)
		}
		on := waitEvent(ctx, t, events, func(ev map[string]any) bool { return ev["kind"] == "outage" })
		if ev := on["outage"].(map[string]any); ev["on"] != true || ev["mode"] != "error" {
			t.Errorf("outage event = %+v", on)
		}
		if o := e.outage(t); !o.On || o.Mode != "error" {
			t.Errorf("api/state during the outage: %+v", o)
		}

		// The bot's answer is refused with 500, as Telegram does in an outage; the fake bot answers
		// its webhook with the error.
		if status := e.call(t, http.MethodPost, "api/send", map[string]any{"persona": annaID, "chat_id": annaID, "text": "hi"}, nil); status != http.StatusBadGateway {
			t.Errorf("send during the outage: status %d, want 502 from the fake bot's webhook", status)
		}
		calls := e.s.CallsTo("sendMessage")
		if len(calls) != 1 || calls[0].Err == nil || calls[0].Err.Code != http.StatusInternalServerError {
			t.Fatalf("sendMessage during the outage: %+v", calls)
		}
		if msgs := e.messages(t, annaID, annaID); len(msgs) != 1 || !msgs[0].Outgoing {
			t.Errorf("the chat during the outage: %+v", msgs)
		}
		if o := e.outage(t); o.Refused != 1 {
			t.Errorf("refused = %d, want 1", o.Refused)
		}
		// The page hears of the refusals without asking.
		waitEvent(ctx, t, events, func(ev map[string]any) bool {
			o, _ := ev["outage"].(map[string]any)
			return ev["kind"] == "outage" && o["refused"] == float64(1)
		})

		// Off: the failures end and the bot answers again.
		if o := e.setOutage(t, map[string]any{"on": false}); o.On || o.Refused != 0 {
			t.Errorf("switched off: %+v", o)
		}
		waitEvent(ctx, t, events, func(ev map[string]any) bool {
			o, _ := ev["outage"].(map[string]any)
			return ev["kind"] == "outage" && o["on"] == false
		})
		e.send(t, annaID, annaID, "again")
		e.last(t, annaID, annaID, hasText("You said: again"))

		// A second outage counts its own refusals only.
		e.setOutage(t, map[string]any{"on": true, "mode": "error"})
		if o := e.outage(t); o.Refused != 0 {
			t.Errorf("a new outage starts with %d refused", o.Refused)
		}
		e.setOutage(t, map[string]any{"on": false})
	})

	t.Run("Hang", func(t *testing.T) {
		e := setup(t)
		o := e.setOutage(t, map[string]any{"on": true, "mode": "hang"})
		if !o.On || o.Mode != "hang" || o.Held != 0 {
			t.Errorf("switched on: %+v", o)
		}
		sent := e.sendAsync(annaID, annaID, "hello")
		e.waitOutage(t, "the bot's answer is held", func(o outage) bool { return o.Held == 1 })
		if msgs := e.messages(t, annaID, annaID); len(msgs) != 1 {
			t.Errorf("the chat while the answer is held: %+v", msgs)
		}
		e.setOutage(t, map[string]any{"on": false})
		if status := <-sent; status != http.StatusOK {
			t.Errorf("send after the hang: status %d", status)
		}
		e.last(t, annaID, annaID, hasText("You said: hello"))
	})

	t.Run("HangThenError", func(t *testing.T) {
		// A call held by a hang gets the 500 of the error outage that replaces it.
		e := setup(t)
		e.setOutage(t, map[string]any{"on": true, "mode": "hang"})
		sent := e.sendAsync(annaID, annaID, "hello")
		e.waitOutage(t, "the bot's answer is held", func(o outage) bool { return o.Held == 1 })
		if o := e.setOutage(t, map[string]any{"on": true, "mode": "error"}); o.Mode != "error" {
			t.Errorf("switched to errors: %+v", o)
		}
		if status := <-sent; status != http.StatusBadGateway {
			t.Errorf("send: status %d, want 502", status)
		}
		e.waitOutage(t, "the held call is refused", func(o outage) bool { return o.Refused == 1 && o.Held == 0 })
		e.setOutage(t, map[string]any{"on": false})
	})

	t.Run("BadRequest", func(t *testing.T) {
		e := setup(t)
		for _, body := range []map[string]any{{}, {"on": true, "mode": "slow"}} {
			var out map[string]string
			if status := e.call(t, http.MethodPost, "api/outage", body, &out); status != http.StatusBadRequest || out["error"] == "" {
				t.Errorf("POST api/outage %v: status %d, %v", body, status, out)
			}
		}
		if o := e.outage(t); o.On {
			t.Errorf("a refused request switched the outage: %+v", o)
		}
	})
}
