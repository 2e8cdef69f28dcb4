package inbox

import (
	"context"
	"errors"
	"io"
	"net"
	"regexp"
	"strings"
	"syscall"
	"time"

	ta "github.com/mymmrac/telego/telegoapi"
)

// RetryAfter marks err as transient: the update is tried again after d (at the
// earliest), and the failure does not count toward Options.MaxAttempts; the update is
// given up only once it is older than Options.OutageWindow. Handlers use it for a
// limit of their own (a rate limit shared with the sender said to wait d). A nil err
// stays nil.
func RetryAfter(err error, d time.Duration) error {
	if err == nil {
		return nil
	}
	return &retryAfterError{err: err, after: max(d, 0)}
}

type retryAfterError struct {
	err   error
	after time.Duration
}

func (e *retryAfterError) Error() string { return e.err.Error() }
func (e *retryAfterError) Unwrap() error { return e.err }

// errClass says what a handler's error means for the update.
type errClass int

const (
	// classBug is any error not recognized below: a bug, or a state the handler
	// cannot deal with. It is retried a few times (Options.MaxAttempts).
	classBug errClass = iota
	// classOutage is Telegram's or the network's trouble (5xx, timeouts, connections
	// refused or reset) or PostgreSQL unreachable: it heals by itself, so the update
	// is retried for Options.OutageWindow.
	classOutage
	// classWait is a 429 (Telegram's retry_after) or an error marked by RetryAfter:
	// the update is tried again after exactly that wait.
	classWait
	// classPermanent is an answer of the Bot API that will not change for this update
	// (400 Bad Request, 401, 403 Forbidden: the user blocked the bot): trying again
	// would only hold the chat.
	classPermanent
)

func (c errClass) String() string {
	switch c {
	case classOutage:
		return "outage"
	case classWait:
		return "wait"
	case classPermanent:
		return "permanent"
	}
	return "error"
}

// serverError is how telego's HTTP callers report a 5xx answer of the Bot API: as text
// ("internal server error: 502"), without the answer's body, so there is no
// *telegoapi.Error to look at.
var serverError = regexp.MustCompile(`internal server error: 5\d\d\b`)

// sqlStater is implemented by PostgreSQL's errors (pgconn.PgError), so the class of a
// database error is read without importing the driver.
type sqlStater interface {
	error
	SQLState() string
}

// classify tells what err, returned by a handler, means for its update, and for
// classWait how long to wait.
func classify(err error) (errClass, time.Duration) {
	if ra, ok := errors.AsType[*retryAfterError](err); ok {
		return classWait, ra.after
	}
	if api, ok := errors.AsType[*ta.Error](err); ok {
		switch code := api.ErrorCode; {
		case code == 429:
			if api.Parameters != nil && api.Parameters.RetryAfter > 0 {
				return classWait, time.Duration(api.Parameters.RetryAfter) * time.Second
			}
			return classOutage, 0
		case code >= 500:
			return classOutage, 0
		case code == 400 || code == 401 || code == 403:
			return classPermanent, 0
		}
		return classBug, 0
	}
	if pg, ok := errors.AsType[sqlStater](err); ok {
		state := pg.SQLState()
		// 08: connection exceptions; 57P01-57P03: the server is shutting down or
		// starting; 53300: too many connections.
		if strings.HasPrefix(state, "08") || state == "57P01" || state == "57P02" || state == "57P03" || state == "53300" {
			return classOutage, 0
		}
		return classBug, 0
	}
	if serverError.MatchString(err.Error()) {
		return classOutage, 0
	}
	if _, ok := errors.AsType[net.Error](err); ok { // *url.Error, *net.OpError, timeouts
		return classOutage, 0
	}
	// A deadline that ran out (context.DeadlineExceeded: Options.HandleTimeout, or a
	// query's own) is taken for an outage, though it may be a bug: a query too slow for
	// one update, every time. Then the update holds its chat, and only its chat, for
	// Options.OutageWindow (3 hours), one attempt a minute at most, each warned of when
	// its number is a power of two and counted in vitrina_telegram_update_errors_total.
	// That is the lesser evil: a PostgreSQL slowed down by a drop, or a Bot API that
	// hangs, heal, and giving up after a few minutes would drop a successful_payment
	// or an order's answer for a shop that was only busy.
	for _, transient := range []error{
		context.DeadlineExceeded, io.ErrUnexpectedEOF, syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EPIPE,
	} {
		if errors.Is(err, transient) {
			return classOutage, 0
		}
	}
	return classBug, 0
}

// Reasons an update is given up on (the reason label of
// vitrina_telegram_updates_failed_total).
const (
	reasonDecode    = "decode"    // it does not decode into an update
	reasonPermanent = "permanent" // the Bot API refused what handling it needs (400, 401, 403)
	reasonAttempts  = "attempts"  // it failed Options.MaxAttempts times
	reasonOutage    = "outage"    // Telegram (or the network) failed for all of Options.OutageWindow
	reasonCrashed   = "crashed"   // Options.MaxAttempts attempts in a row never finished
)

// attemptState is what the store knows of an update when an attempt starts.
type attemptState struct {
	attempt    int           // attempts started, this one included
	unfinished int           // attempts started in a row without an outcome, this one included
	failures   int           // failed attempts before this one that count toward MaxAttempts
	age        time.Duration // since the update was stored, by the store's clock
}

// verdict is what becomes of an update whose attempt failed.
type verdict struct {
	giveUp     bool
	reason     string        // why it was given up
	counted    bool          // the failure counts toward MaxAttempts
	retryAfter time.Duration // when not given up
}

// policy decides the fate of updates; it is Options' retry fields.
type policy struct {
	maxAttempts      int
	retryBackoff     time.Duration
	outageWindow     time.Duration
	maxOutageBackoff time.Duration
}

// crashed reports whether an attempt about to start must not run: that many attempts
// in a row never recorded an outcome (each killed its process, or lost its lease).
func (p policy) crashed(a attemptState) bool { return a.unfinished > p.maxAttempts }

// afterFailure decides what becomes of an update whose attempt failed with an error
// of class (and wait, for classWait).
func (p policy) afterFailure(a attemptState, class errClass, wait time.Duration) verdict {
	switch class {
	case classPermanent:
		return verdict{giveUp: true, reason: reasonPermanent}
	case classWait, classOutage:
		if a.age >= p.outageWindow {
			return verdict{giveUp: true, reason: reasonOutage}
		}
		if class == classWait {
			return verdict{retryAfter: wait}
		}
		return verdict{retryAfter: doubling(p.retryBackoff, a.attempt, p.maxOutageBackoff)}
	}
	failures := a.failures + 1
	if failures >= p.maxAttempts {
		return verdict{giveUp: true, reason: reasonAttempts, counted: true}
	}
	return verdict{counted: true, retryAfter: doubling(p.retryBackoff, failures, maxRetryBackoff)}
}

// doubling is first doubled n-1 times, at most limit.
func doubling(first time.Duration, n int, limit time.Duration) time.Duration {
	d := first
	for range n - 1 {
		if d >= limit/2 {
			return limit
		}
		d *= 2
	}
	return min(d, limit)
}
