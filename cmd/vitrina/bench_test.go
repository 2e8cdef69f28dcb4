package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// envAsMain makes the test binary act as vitrina itself: the broadcast
// benchmark starts its worker processes from its own executable, which in a
// test is this binary.
const envAsMain = "VITRINA_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envAsMain) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// TestBench_Broadcast runs a small `vitrina bench broadcast` with two worker
// processes and checks that everything arrived, within the limits, and that it
// reports in the documented form. How fast is the benchmark's business, not
// the test's.
func TestBench_Broadcast(t *testing.T) {
	t.Setenv(envAsMain, "1") // for the worker processes it starts
	for _, via := range []string{"sender", "broadcast"} {
		t.Run(via, func(t *testing.T) { benchBroadcast(t, via) })
	}
}

func benchBroadcast(t *testing.T, via string) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"vitrina", "bench", "broadcast", "--messages", "400", "--workers", "2", "--via", via,
		"--database-url", "postgres://postgres@127.0.0.1:5432/vitrina_bench_test?sslmode=disable",
		"--redis-url", "redis://127.0.0.1:6379/12"}, func(string) string { return "" }, &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	last := lines[len(lines)-1]
	var messages, got429, gap, wait, workers int
	var seconds, fraction float64
	if _, err := fmt.Sscanf(last, "broadcast: messages=%d seconds=%g rate_fraction=%g got_429=%d min_chat_gap_ms=%d payment_wait_ms=%d workers=%d",
		&messages, &seconds, &fraction, &got429, &gap, &wait, &workers); err != nil {
		t.Fatalf("last line %q: %v", last, err)
	}
	if messages != 401 || workers != 2 {
		t.Errorf("messages=%d workers=%d, want 401 (the broadcast and the payment) and 2", messages, workers)
	}
	// A 429 is the benchmark's figure, not a failure: on a loaded machine (the
	// whole test suite at once) sends booked apart can reach the sandbox together,
	// and the sender then retries them after retry_after. Everything arrived once
	// (messages above) is what must hold.
	t.Logf("%s", last)
	if !(fraction > 0 && fraction <= 1.05) {
		t.Errorf("rate_fraction=%v: above the global limit", fraction)
	}
}

// TestBench_Drop runs a small `vitrina bench drop` with two serve processes and
// checks what must hold whatever the speed: every tap of the first phase
// claimed, exactly the scarce lot's units reserved, nobody over the limit, no
// error, and the report in its documented form.
func TestBench_Drop(t *testing.T) {
	t.Setenv(envAsMain, "1") // for the serve processes it starts
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"vitrina", "bench", "drop", "--taps", "600", "--units", "40", "--serve", "2",
		"--shoppers", "16", "--scarce-shoppers", "32", "--hot-row", "300ms",
		"--database-url", "postgres://postgres@127.0.0.1:5432/vitrina_bench_drop_test?sslmode=disable",
		"--redis-url", "redis://127.0.0.1:6379/13"}, func(string) string { return "" }, &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	last := lines[len(lines)-1]
	var rate, p50, p99, hot, ratio float64
	var reserved, stock, oversold, overLimit, errs int
	if _, err := fmt.Sscanf(last, "drop: reservations_per_s=%g p50_ms=%g p99_ms=%g hot_row_tps=%g ratio=%g scarce_reserved=%d stock=%d oversold=%d over_limit=%d errors=%d",
		&rate, &p50, &p99, &hot, &ratio, &reserved, &stock, &oversold, &overLimit, &errs); err != nil {
		t.Fatalf("last line %q: %v", last, err)
	}
	t.Logf("%s", last)
	if reserved != 40 || stock != 40 || oversold != 0 || overLimit != 0 || errs != 0 {
		t.Errorf("reserved=%d of %d, oversold=%d, over_limit=%d, errors=%d\nthe serve processes said:\n%s",
			reserved, stock, oversold, overLimit, errs, &stderr)
	}
	if !strings.Contains(stdout.String(), "600 claimed, 0 errors") {
		t.Errorf("not every tap of the first phase claimed:\n%s", &stdout)
	}
}

// TestBench_DropKilled kills the serve process (SIGKILL) in the middle of the
// scarcity phase and starts it again; the taps cut off are sent again, as
// Telegram does. What PostgreSQL recorded and what the shoppers were answered
// agree, and no unit is sold twice.
func TestBench_DropKilled(t *testing.T) {
	t.Setenv(envAsMain, "1")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var stdout, stderr bytes.Buffer
	err := run(ctx, []string{"vitrina", "bench", "drop", "--taps", "600", "--units", "40", "--kill-after", "20",
		"--shoppers", "16", "--scarce-shoppers", "32", "--hot-row", "100ms",
		"--database-url", "postgres://postgres@127.0.0.1:5432/vitrina_bench_kill_test?sslmode=disable",
		"--redis-url", "redis://127.0.0.1:6379/14"}, func(string) string { return "" }, &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench: %v\nstdout:\n%s\nstderr:\n%s", err, &stdout, &stderr)
	}
	out := stdout.String()
	if !strings.Contains(out, "40 claims recorded, 40 taps answered reserved, 0 disagree") {
		t.Errorf("the record and the answers after the kill:\n%s", out)
	}
	if !strings.Contains(out, "scarce_reserved=40 stock=40 oversold=0 over_limit=0 errors=0") {
		t.Errorf("the last line:\n%s", out)
	}
}
