package inbox

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	ta "github.com/mymmrac/telego/telegoapi"
)

// pgError is what PostgreSQL's driver errors answer to SQLState.
type pgError struct{ state string }

func (e pgError) Error() string    { return "pg " + e.state }
func (e pgError) SQLState() string { return e.state }

func TestClassify(t *testing.T) {
	t.Parallel()
	api := func(code, retryAfter int) error {
		e := &ta.Error{ErrorCode: code, Description: "x"}
		if retryAfter > 0 {
			e.Parameters = &ta.ResponseParameters{RetryAfter: retryAfter}
		}
		// As telego returns it: wrapped twice.
		return fmt.Errorf("telego: sendMessage: %w", fmt.Errorf("api: %w", e))
	}
	tests := []struct {
		name  string
		err   error
		class errClass
		wait  time.Duration
	}{
		{"429", api(429, 7), classWait, 7 * time.Second},
		{"429WithoutRetryAfter", api(429, 0), classOutage, 0},
		{"500", api(500, 0), classOutage, 0},
		{"502AsText", errors.New("telego: sendMessage: internal execution: request call: internal server error: 502"), classOutage, 0},
		{"400", api(400, 0), classPermanent, 0},
		{"401", api(401, 0), classPermanent, 0},
		{"403", api(403, 0), classPermanent, 0},
		{"404", api(404, 0), classBug, 0},
		{"Marked", RetryAfter(api(400, 0), time.Minute), classWait, time.Minute},
		{"MarkedWrapped", fmt.Errorf("checkout: %w", RetryAfter(errors.New("limit"), time.Second)), classWait, time.Second},
		{"URLError", &url.Error{Op: "Post", URL: "https://api.telegram.org/bot.../sendMessage", Err: errors.New("EOF")}, classOutage, 0},
		{"Timeout", &net.OpError{Op: "dial", Err: &timeoutError{}}, classOutage, 0},
		{"Refused", fmt.Errorf("send: %w", syscall.ECONNREFUSED), classOutage, 0},
		{"Reset", fmt.Errorf("send: %w", syscall.ECONNRESET), classOutage, 0},
		{"UnexpectedEOF", fmt.Errorf("read: %w", io.ErrUnexpectedEOF), classOutage, 0},
		{"Deadline", fmt.Errorf("query: %w", context.DeadlineExceeded), classOutage, 0},
		{"PostgresConnection", fmt.Errorf("load order: %w", pgError{"08006"}), classOutage, 0},
		{"PostgresShuttingDown", pgError{"57P01"}, classOutage, 0},
		{"PostgresConstraint", pgError{"23505"}, classBug, 0},
		{"Bug", errors.New("nil pointer somewhere"), classBug, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			class, wait := classify(tt.err)
			if class != tt.class || wait != tt.wait {
				t.Errorf("classify(%v) = %v, %v; want %v, %v", tt.err, class, wait, tt.class, tt.wait)
			}
		})
	}
}

type timeoutError struct{}

func (timeoutError) Error() string   { return "i/o timeout" }
func (timeoutError) Timeout() bool   { return true }
func (timeoutError) Temporary() bool { return true }

// TestClassify_PostgresUnreachable classifies what the driver answers when no
// PostgreSQL listens: an outage.
func TestClassify_PostgresUnreachable(t *testing.T) {
	t.Parallel()
	pool, err := pgxpool.New(context.Background(), "postgres://postgres@127.0.0.1:1/none?connect_timeout=2")
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	_, err = pool.Exec(context.Background(), "SELECT 1")
	if err == nil {
		t.Fatal("a query on port 1 worked")
	}
	if class, _ := classify(fmt.Errorf("load order: %w", err)); class != classOutage {
		t.Errorf("classify(%v) = %v, want outage", err, class)
	}
}

func TestPolicy_AfterFailure(t *testing.T) {
	t.Parallel()
	p := policy{maxAttempts: 3, retryBackoff: time.Second, outageWindow: time.Hour, maxOutageBackoff: time.Minute}
	tests := []struct {
		name  string
		a     attemptState
		class errClass
		wait  time.Duration
		want  verdict
	}{
		{"BugFirst", attemptState{attempt: 1}, classBug, 0, verdict{counted: true, retryAfter: time.Second}},
		{"BugSecond", attemptState{attempt: 2, failures: 1}, classBug, 0, verdict{counted: true, retryAfter: 2 * time.Second}},
		{"BugLast", attemptState{attempt: 3, failures: 2}, classBug, 0, verdict{giveUp: true, reason: reasonAttempts, counted: true}},
		{"BugAfterAnOutage", attemptState{attempt: 40, failures: 0}, classBug, 0, verdict{counted: true, retryAfter: time.Second}},
		{"OutageEarly", attemptState{attempt: 2, age: time.Minute}, classOutage, 0, verdict{retryAfter: 2 * time.Second}},
		{"OutageCapped", attemptState{attempt: 30, age: 50 * time.Minute}, classOutage, 0, verdict{retryAfter: time.Minute}},
		{"OutageOver", attemptState{attempt: 80, age: time.Hour}, classOutage, 0, verdict{giveUp: true, reason: reasonOutage}},
		{"Wait", attemptState{attempt: 9, failures: 2, age: time.Minute}, classWait, 42 * time.Second, verdict{retryAfter: 42 * time.Second}},
		{"WaitOver", attemptState{attempt: 9, age: 2 * time.Hour}, classWait, time.Second, verdict{giveUp: true, reason: reasonOutage}},
		{"Permanent", attemptState{attempt: 1}, classPermanent, 0, verdict{giveUp: true, reason: reasonPermanent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := p.afterFailure(tt.a, tt.class, tt.wait); got != tt.want {
				t.Errorf("afterFailure(%+v, %v) = %+v, want %+v", tt.a, tt.class, got, tt.want)
			}
		})
	}
}

func TestPolicy_Crashed(t *testing.T) {
	t.Parallel()
	p := policy{maxAttempts: 3}
	for _, tt := range []struct {
		a    attemptState
		want bool
	}{
		{attemptState{attempt: 3, unfinished: 3}, false},
		{attemptState{attempt: 4, unfinished: 4}, true},
		{attemptState{attempt: 100, unfinished: 1}, false}, // a long outage, every attempt recorded
	} {
		if got := p.crashed(tt.a); got != tt.want {
			t.Errorf("crashed(%+v) = %v, want %v", tt.a, got, tt.want)
		}
	}
}

func TestDoubling(t *testing.T) {
	t.Parallel()
	want := []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 16 * time.Second,
		32 * time.Second, 64 * time.Second, 128 * time.Second, 256 * time.Second, maxRetryBackoff, maxRetryBackoff}
	for i, w := range want {
		if got := doubling(time.Second, i+1, maxRetryBackoff); got != w {
			t.Errorf("doubling after attempt %d = %v, want %v", i+1, got, w)
		}
	}
	if got := doubling(time.Second, 1000, maxRetryBackoff); got != maxRetryBackoff {
		t.Errorf("doubling after attempt 1000 = %v, want the cap", got)
	}
}

func TestBotID(t *testing.T) {
	t.Parallel()
	for token, want := range map[string]int64{
		"123456:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr": 123456,
		"7000000001:x": 7000000001,
		"":             0,
		"abc:def":      0,
	} {
		if got := BotID(token); got != want {
			t.Errorf("BotID(%q) = %d, want %d", token, got, want)
		}
	}
}
