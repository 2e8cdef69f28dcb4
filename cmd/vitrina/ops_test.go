package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/vitrina-shop/vitrina/bots/sandbox"
	"github.com/vitrina-shop/vitrina/core/postgres/pgtest"
)

// TestRunStages checks the shutdown order: when the signal comes, the worker is told to stop
// taking tasks (stopping) while the intake still runs; the intake stops and finishes; only
// then is the worker's context canceled.
func TestRunStages(t *testing.T) {
	a := &app{logger: slog.New(slog.DiscardHandler), stopping: make(chan struct{})}
	var (
		mu     sync.Mutex
		events []string
	)
	record := func(e string) {
		mu.Lock()
		events = append(events, e)
		mu.Unlock()
	}
	intake := func(ctx context.Context) error {
		<-ctx.Done()
		record("intake canceled")
		select {
		case <-a.stopping:
		default:
			t.Error("the intake was canceled before shutdown began")
		}
		record("intake finished in-flight work")
		return nil
	}
	worker := func(ctx context.Context) error {
		<-a.stopping
		record("worker stops taking tasks")
		<-ctx.Done()
		record("worker canceled")
		return nil
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		done <- a.runStages(ctx, []func(context.Context) error{intake}, []func(context.Context) error{worker})
	}()
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if i, j := slices.Index(events, "intake finished in-flight work"), slices.Index(events, "worker canceled"); i < 0 || j < 0 || i > j {
		t.Errorf("events = %q: the worker must be canceled after the intake finished", events)
	}
	if !a.draining.Load() {
		t.Error("/readyz is not draining after shutdown")
	}

	t.Run("PartFails", func(t *testing.T) {
		a := &app{logger: slog.New(slog.DiscardHandler), stopping: make(chan struct{})}
		boom := errors.New("listen: address in use")
		err := a.runStages(t.Context(),
			[]func(context.Context) error{func(context.Context) error { return boom }},
			[]func(context.Context) error{func(ctx context.Context) error { <-ctx.Done(); return nil }},
		)
		if !errors.Is(err, boom) {
			t.Errorf("runStages = %v, want the failing part's error", err)
		}
	})
}

// TestRun_ServeLongPolling runs serve without a webhook URL: it deletes any webhook, then
// takes updates with getUpdates for the update kinds the bot asks for.
func TestRun_ServeLongPolling(t *testing.T) {
	t.Parallel()
	_, dbURL := pgtest.NewDB(t)
	env, tg := testEnv(t, dbURL, nil)
	tg.SetWebhook("https://old.example.com/hook", "old-secret") // left over from a webhook deployment

	s := start(t, env, "serve")
	shopper := tg.NewUser(sandbox.UserSpec{ID: 5101, FirstName: "Ivan", LanguageCode: "ru"})
	// serve deletes the webhook, then polls: from then on updates wait for getUpdates.
	s.logs.waitFor(t, "telegram: receiving updates by long polling (run one serve process only)", s.done)
	if err := shopper.Send(t.Context(), "/start"); err != nil {
		t.Fatalf("send /start: %v", err)
	}
	if _, err := shopper.WaitMessage(t.Context(), func(m sandbox.Message) bool { return m.FromBot }); err != nil {
		t.Fatalf("the bot did not answer /start by long polling: %v\nlogs:\n%s", err, s.logs)
	}
	if url, _ := tg.Webhook(); url != "" {
		t.Errorf("the webhook %q is still set", url)
	}
	var methods []string
	for _, c := range tg.Calls() {
		methods = append(methods, c.Method)
	}
	del, poll := slices.Index(methods, "deleteWebhook"), slices.Index(methods, "getUpdates")
	if del < 0 || poll < 0 || del > poll {
		t.Errorf("calls %q: want deleteWebhook before the first getUpdates", methods)
	}
	if got := tg.CallsTo("getUpdates")[0].Params["allowed_updates"]; !sameStrings(got, allowedUpdates) {
		t.Errorf("getUpdates allowed_updates = %v, want %v", got, allowedUpdates)
	}
	if err := s.stop(t); err != nil {
		t.Errorf("serve returned %v after cancel", err)
	}
	// Nothing above info level on a clean run.
	s.logs.mu.Lock()
	defer s.logs.mu.Unlock()
	for _, line := range s.logs.lines {
		if line["level"] == "WARN" || line["level"] == "ERROR" {
			t.Errorf("unexpected %s line: %v", line["level"], line)
		}
	}
}

// sameStrings reports whether v (a decoded JSON array) holds exactly want, in order.
func sameStrings(v any, want []string) bool {
	list, ok := v.([]any)
	if !ok || len(list) != len(want) {
		return false
	}
	for i, x := range list {
		if x != want[i] {
			return false
		}
	}
	return true
}

func TestRun_Healthcheck(t *testing.T) {
	t.Parallel()
	ok := startHTTP(t, http.StatusOK)
	down := startHTTP(t, http.StatusServiceUnavailable)
	if err := run(t.Context(), []string{"vitrina", "healthcheck", "--url", ok + "/healthz"}, mapenv(nil), io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck of a healthy server = %v", err)
	}
	if err := run(t.Context(), []string{"vitrina", "healthcheck", "--url", down + "/healthz"}, mapenv(nil), io.Discard, io.Discard); err == nil {
		t.Error("healthcheck of a failing server succeeded")
	}
	// Without --url it asks VITRINA_HTTP_ADDR, with 0.0.0.0 meaning this machine.
	port := ok[strings.LastIndexByte(ok, ':')+1:]
	env := mapenv(map[string]string{"VITRINA_HTTP_ADDR": "0.0.0.0:" + port})
	if err := run(t.Context(), []string{"vitrina", "healthcheck"}, env, io.Discard, io.Discard); err != nil {
		t.Errorf("healthcheck on VITRINA_HTTP_ADDR = %v", err)
	}
}

// startHTTP starts a server answering every request with code, and returns its base URL.
func startHTTP(t *testing.T, code int) string {
	t.Helper()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(code) })}
	ln, err := listenHTTP("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

func TestLocalAddr(t *testing.T) {
	for in, want := range map[string]string{
		":8080":          "127.0.0.1:8080",
		"0.0.0.0:8080":   "127.0.0.1:8080",
		"[::]:8080":      "127.0.0.1:8080",
		"127.0.0.1:9000": "127.0.0.1:9000",
		"10.0.0.5:8080":  "10.0.0.5:8080",
		"vitrina:8080":   "vitrina:8080",
	} {
		if got := localAddr(in); got != want {
			t.Errorf("localAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestDockerfileGoVersion keeps the Go of the Docker build equal to go.mod's.
func TestDockerfileGoVersion(t *testing.T) {
	gomod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	dockerfile, err := os.ReadFile("../../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	got := regexp.MustCompile(`(?m)^ARG GO_VERSION=(\S+)`).FindSubmatch(dockerfile)
	if want == nil || got == nil {
		t.Fatalf("cannot find the go line of go.mod (%v) or ARG GO_VERSION in the Dockerfile (%v)", want != nil, got != nil)
	}
	if string(got[1]) != string(want[1]) {
		t.Errorf("Dockerfile builds with Go %s, go.mod says %s", got[1], want[1])
	}
}
