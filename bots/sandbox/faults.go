package sandbox

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"sync"

	"github.com/vitrina-shop/vitrina/bots/sandbox/internal/botapi"
)

// Fault injection: a failure of the next call (FailNext), outages (FailAll) and hangs (Hang), for
// tests of how the bot lives through a Telegram that answers 5xx or 429 for minutes, or does not
// answer at all.

// faultError builds the error answer FailNext and FailAll inject; an empty description gets
// Telegram's wording for the code.
func faultError(code int, description string, retryAfter int) *APIError {
	if description == "" {
		switch code {
		case http.StatusTooManyRequests:
			description = botapi.TooManyRequests(retryAfter).Description
		case http.StatusBadRequest:
			description = "Bad Request"
		case http.StatusUnauthorized:
			description = "Unauthorized"
		case http.StatusForbidden:
			description = "Forbidden"
		case http.StatusNotFound:
			description = "Not Found"
		default:
			description = http.StatusText(code)
		}
	}
	return &APIError{Code: code, Description: description, RetryAfter: max(retryAfter, 0)}
}

// fault is a failure FailNext queued for a call of method ("" = any).
type fault struct {
	method string
	err    *APIError
}

// FailNext makes the next call to method (case-insensitive; "" means any method) fail with code and
// description before it does anything; retryAfter, when positive, goes into parameters.retry_after.
// An empty description gets Telegram's wording for the code ("Too Many Requests: retry after N" for
// 429). Injected failures queue up: two FailNext calls fail the next two matching calls.
func (s *Server) FailNext(method string, code int, description string, retryAfter int) {
	s.w.Lock()
	defer s.w.Unlock()
	s.faults = append(s.faults, fault{method: method, err: faultError(code, description, retryAfter)})
}

// FailAll makes every call of method (case-insensitive; "" means every method, getMe included)
// fail with code and description until ClearFailures, as during a Telegram outage. retryAfter,
// when positive, goes into parameters.retry_after; an empty description gets Telegram's wording for
// the code. A later FailAll for the same method replaces the earlier one; one queued by FailNext
// fires first.
func (s *Server) FailAll(method string, code int, description string, retryAfter int) {
	s.w.Lock()
	defer s.w.Unlock()
	if s.outages == nil {
		s.outages = make(map[string]*APIError)
	}
	s.outages[strings.ToLower(method)] = faultError(code, description, retryAfter)
}

// ClearFailures ends every FailAll outage and drops the failures FailNext queued.
func (s *Server) ClearFailures() {
	s.w.Lock()
	defer s.w.Unlock()
	s.outages = nil
	s.faults = nil
}

// hang holds calls of one method ("" = any) until released.
type hang struct {
	method   string
	released chan struct{}
	once     sync.Once
}

// Hang makes calls of method (case-insensitive; "" means any method) block, as a Telegram that
// accepted the connection and does not answer, until release is called or the request's context
// ends. Released calls then proceed normally; a call whose request ended while it hung is dropped
// without effect (the client is gone). Calls arriving after release are not held. release may be
// called more than once.
func (s *Server) Hang(method string) (release func()) {
	h := &hang{method: strings.ToLower(method), released: make(chan struct{})}
	s.w.Lock()
	s.hangs = append(s.hangs, h)
	s.w.Unlock()
	return func() { h.release(s) }
}

func (h *hang) release(s *Server) {
	h.once.Do(func() {
		s.w.Lock()
		s.hangs = slices.DeleteFunc(s.hangs, func(x *hang) bool { return x == h })
		s.w.Unlock()
		close(h.released)
	})
}

// Hanging returns how many calls a Hang holds now, so a test can wait until the bot is stuck.
func (s *Server) Hanging() int {
	s.w.Lock()
	defer s.w.Unlock()
	return s.hanging
}

// waitHangs blocks while a Hang holds method; it returns ctx's error when the request ends first.
func (s *Server) waitHangs(ctx context.Context, method string) error {
	for {
		var h *hang
		s.w.Lock()
		for _, x := range s.hangs {
			if x.method == "" || strings.EqualFold(x.method, method) {
				h = x
				break
			}
		}
		if h == nil {
			s.w.Unlock()
			return nil
		}
		s.hanging++
		s.w.Unlock()
		var err error
		select {
		case <-h.released:
		case <-ctx.Done():
			err = ctx.Err()
		}
		s.w.Lock()
		s.hanging--
		s.w.Unlock()
		if err != nil {
			return err
		}
	}
}

// takeFault returns the failure injected for a call of method: a queued FailNext first (used up),
// then an outage of that method, then one of every method.
func (s *Server) takeFault(method string) *APIError {
	s.w.Lock()
	defer s.w.Unlock()
	for i, f := range s.faults {
		if f.method == "" || strings.EqualFold(f.method, method) {
			s.faults = append(s.faults[:i:i], s.faults[i+1:]...)
			return f.err
		}
	}
	if e, ok := s.outages[strings.ToLower(method)]; ok {
		return e
	}
	if e, ok := s.outages[""]; ok {
		return e
	}
	return nil
}
