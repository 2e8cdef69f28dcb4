package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/vitrina-shop/vitrina/bots/demo"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// restartTestRedisURL is the demo's job queue in TestDemo_Restart: database 11, which no other
// test uses.
const restartTestRedisURL = "redis://127.0.0.1:6379/11"

// restartStepTimeout bounds one step (a start, the bot's answer): a hang guard, not a speed check.
const restartStepTimeout = 60 * time.Second

// TestDemo_Restart runs `vitrina demo` twice on the same database, as `make demo` does: the
// second run answers /start (its sandbox continues the update numbering the inbox has seen,
// where a fresh one would start again from 1 and be dropped as a redelivery), still shows the
// first run's chats, and its seeding adds nothing twice. A third run whose sandbox lost its
// saved chats (a demo killed before its first save) still answers: the inbox's update ids are
// the numbering's floor.
func TestDemo_Restart(t *testing.T) {
	t.Parallel()
	pool, dbURL := pgtest.NewDB(t)
	flushRedis(t, restartTestRedisURL)
	env, _ := testEnv(t, dbURL, map[string]string{"VITRINA_REDIS_URL": restartTestRedisURL})
	john := demoPersona(t, "John")

	// 1. The first run: John starts the bot.
	first := startDemo(t, env)
	first.send(t, john.ID, john.ID, "/start")
	greeting := first.waitBotMessage(t, john.ID, 0, "Hello, John")
	channelBefore := first.messages(t, john.ID, demo.ChannelID)
	if err := first.stop(t); err != nil {
		t.Fatalf("first run: %v", err)
	}

	// 2. The second run on the same database shows the first run's chat and answers again.
	second := startDemo(t, env)
	history := second.messages(t, john.ID, john.ID)
	if !hasMessage(history, func(m restartMessage) bool { return m.ID == greeting.ID && m.Text == greeting.Text }) ||
		!hasMessage(history, func(m restartMessage) bool { return m.Sender.Kind == "user" && m.Text == "/start" }) {
		t.Fatalf("the second run lost John's chat with the bot: %+v", history)
	}
	if channel := second.messages(t, john.ID, demo.ChannelID); len(channel) != len(channelBefore) {
		t.Fatalf("the channel has %d posts after a restart, %d before: the seeding posted again", len(channel), len(channelBefore))
	}
	second.send(t, john.ID, john.ID, "/start")
	second.waitBotMessage(t, john.ID, greeting.ID, "Hello, John")
	if err := second.stop(t); err != nil {
		t.Fatalf("second run: %v", err)
	}

	// 3. A run whose saved chats are gone still continues the numbering.
	if _, err := pool.Exec(t.Context(), `DELETE FROM sandbox_states`); err != nil {
		t.Fatal(err)
	}
	third := startDemo(t, env)
	third.send(t, john.ID, john.ID, "/start")
	third.waitBotMessage(t, john.ID, 0, "Hello, John")
}

// demoRun is one `vitrina demo` in a test, with the address of its HTTP server.
type demoRun struct {
	*started
	base string // http://host:port/sandbox
}

func startDemo(t *testing.T, env func(string) string) *demoRun {
	t.Helper()
	s := start(t, env, "demo")
	addr := s.logs.waitFor(t, "http server listening", s.done)["addr"].(string)
	return &demoRun{started: s, base: "http://" + addr + "/sandbox"}
}

// restartMessage is what the test reads of a message of the sandbox page's API.
type restartMessage struct {
	ID     int    `json:"id"`
	Text   string `json:"text"`
	Sender struct {
		Kind string `json:"kind"`
	} `json:"sender"`
}

func hasMessage(msgs []restartMessage, match func(restartMessage) bool) bool {
	for _, m := range msgs {
		if match(m) {
			return true
		}
	}
	return false
}

// send types text as persona in a chat on the sandbox page.
func (d *demoRun) send(t *testing.T, persona, chat int64, text string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"persona": persona, "chat_id": chat, "text": text})
	resp, err := http.Post(d.base+"/api/send", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("send %q: %d %s\nlogs:\n%s", text, resp.StatusCode, answer, d.logs)
	}
}

// messages returns the chat's latest messages as persona sees them on the sandbox page.
func (d *demoRun) messages(t *testing.T, persona, chat int64) []restartMessage {
	t.Helper()
	resp, err := http.Get(fmt.Sprintf("%s/api/chats/%d/messages?persona=%d&limit=100", d.base, chat, persona))
	if err != nil {
		t.Fatalf("messages of chat %d: %v", chat, err)
	}
	defer resp.Body.Close()
	var out struct {
		Messages []restartMessage `json:"messages"`
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("messages of chat %d: %s", chat, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("messages of chat %d: %v", chat, err)
	}
	return out.Messages
}

// waitBotMessage waits for a message of the bot in the persona's chat, newer than after,
// containing text.
func (d *demoRun) waitBotMessage(t *testing.T, persona int64, after int, text string) restartMessage {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), restartStepTimeout)
	defer cancel()
	for {
		for _, m := range d.messages(t, persona, persona) {
			if m.ID > after && m.Sender.Kind == "bot" && strings.Contains(m.Text, text) {
				return m
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the bot did not answer with %q in chat %d: %+v\nlogs:\n%s",
				text, persona, d.messages(t, persona, persona), d.logs)
		case <-d.done:
			t.Fatalf("the demo stopped: %v\nlogs:\n%s", d.err, d.logs)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
