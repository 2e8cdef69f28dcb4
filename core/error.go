package core

import (
	"errors"
	"fmt"
)

// Error codes. A code says what kind of failure happened; adapters map it to a
// message in the user's language (the bot) or to a retry decision (workers).
const (
	EINVALID   = "invalid"   // the input is wrong; retrying it will fail again
	ENOTFOUND  = "not_found" // the thing does not exist (or is not visible to the actor)
	ECONFLICT  = "conflict"  // the thing is not in a state that allows the action
	EFORBIDDEN = "forbidden" // the actor may not do this
	EINTERNAL  = "internal"  // anything else: the user sees only "something went wrong"
)

// Error is an application error whose Message is safe to show to a user (in English;
// the bot translates well-known errors by their identity, see errors.Is).
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf returns an application error with the given code.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first application error in err's chain,
// EINTERNAL for any other non-nil error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the safe message of the first application error in err's
// chain, or a generic one for internal errors.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
