// Package errs holds the one error type of the product. Domain code returns
// *errs.Error with one of a few codes; the HTTP layer maps codes to statuses in
// one place (edge.Status) and only logs internal errors in detail.
package errs

import (
	"errors"
	"fmt"
)

// Code is a stable, machine-readable error class.
type Code string

// The codes. Keep this list short: clients switch on them.
const (
	Invalid         Code = "invalid"
	Unauthenticated Code = "unauthenticated"
	NotFound        Code = "not_found"
	Conflict        Code = "conflict"
	Forbidden       Code = "forbidden" // only where existence is not a secret
	RateLimited     Code = "rate_limited"
	Internal        Code = "internal"
)

// Error is a product error: a code, a human message safe to show to the
// client, and optionally the underlying cause (never shown).
type Error struct {
	Code    Code
	Message string
	// Field names the offending input field for Invalid errors, if any.
	Field string
	// RetryAfterSeconds is set on RateLimited errors.
	RetryAfterSeconds int
	// Details carries structured, client-safe detail, e.g. the per-item
	// reasons of a refused all-or-nothing operation.
	Details any
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error with a formatted message.
func E(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidField builds an Invalid error that names a field.
func InvalidField(field, format string, args ...any) *Error {
	return &Error{Code: Invalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFoundf is shorthand for a not-found error.
func NotFoundf(format string, args ...any) *Error { return E(NotFound, format, args...) }

// Wrap makes an internal error from an unexpected cause. The message shown to
// clients stays generic.
func Wrap(err error, what string) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: Internal, Message: "internal error", Err: fmt.Errorf("%s: %w", what, err)}
}

// CodeOf returns the code of err, Internal for foreign errors and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// Is reports whether err carries the code.
func Is(err error, code Code) bool { return CodeOf(err) == code }

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// DetailsAs returns the structured details of the *Error in err's chain when
// they are a T: the one way callers read typed details back (e.g.
// errs.DetailsAs[fleet.ImportReport](err)).
func DetailsAs[T any](err error) (T, bool) {
	var zero T
	e, ok := As(err)
	if !ok {
		return zero, false
	}
	d, ok := e.Details.(T)
	return d, ok
}
