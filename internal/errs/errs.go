// Package errs holds the one error type of the product. Domain code returns
// *errs.Error with one of a few codes; the HTTP layer maps codes to statuses in
// one place (edge.Status) and only logs internal errors in detail.
//
// Every error a person can meet carries a message key of the catalogues in
// internal/i18n and its arguments besides its English text: the constructors
// take the key where they once took a format string (errs.E(errs.Conflict,
// "err.folder.exists", name, path)), resolve its English text into Message at
// once (so Error() and logs read as before), and LocalMessage gives the text
// in the reader's language. A string that is not a catalogue key is still
// taken as a format string (its text then cannot be translated, and the
// catalogue test names the call); internal errors need no key, since their
// text is never shown.
package errs

import (
	"errors"
	"fmt"

	"mysystems/internal/i18n"
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
	Timeout         Code = "timeout" // the request's body did not arrive in time
	// UnsupportedMedia: a request body not of the media type the endpoint
	// reads (a JSON body sent without Content-Type: application/json).
	UnsupportedMedia Code = "unsupported_media_type"
	Internal         Code = "internal"
)

// Error is a product error: a code, a human message safe to show to the
// client, and optionally the underlying cause (never shown).
type Error struct {
	Code Code
	// Message is the English text (of Key with Args, when Key is set).
	Message string
	// Key is the message's key in the catalogues, Args its arguments (see
	// internal/i18n for plural messages and translated arguments).
	Key  string
	Args []any
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

// E builds an error with the message of key and its arguments (or, for a
// string that is not a catalogue key, a formatted message).
func E(code Code, key string, args ...any) *Error {
	e := &Error{Code: code}
	e.SetMessage(key, args...)
	return e
}

// InvalidField builds an Invalid error that names a field.
func InvalidField(field, key string, args ...any) *Error {
	e := E(Invalid, key, args...)
	e.Field = field
	return e
}

// NotFoundf is shorthand for a not-found error.
func NotFoundf(key string, args ...any) *Error { return E(NotFound, key, args...) }

// SetMessage sets the message of e to key with args (see E) and returns e.
func (e *Error) SetMessage(key string, args ...any) *Error {
	if i18n.Has(key) {
		e.Key, e.Args, e.Message = key, args, i18n.T(i18n.Default, key, args...)
	} else {
		// Not a key: a format string of code that predates the catalogue
		// (not declared a printf wrapper, so that vet accepts keys).
		format := key
		e.Key, e.Args, e.Message = "", nil, fmt.Sprintf(format, args...)
	}
	return e
}

// In returns e's message in lang: its key translated, its English text
// when it has no key, and the generic text of an internal error.
func (e *Error) In(lang string) string {
	switch {
	case e.Code == Internal:
		return i18n.T(lang, keyInternal)
	case e.Key != "" && lang != i18n.Default:
		return i18n.T(lang, e.Key, e.Args...)
	}
	return e.Message
}

const keyInternal = "err.internal"

// LocalMessage returns the message a person reading lang sees for err: the
// translated message of a product error, the generic internal-error text for
// an internal or foreign one.
func LocalMessage(err error, lang string) string {
	if e, ok := As(err); ok {
		return e.In(lang)
	}
	return i18n.T(lang, keyInternal)
}

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

// LocalDetails are details with texts a person reads (the reason of each
// refusal, the error of each line): DetailsIn returns a copy of them with
// those texts in lang, the rest unchanged.
type LocalDetails interface {
	DetailsIn(lang string) any
}

// DetailsIn returns e's details for a reader of lang: as they are in the
// default language or when they hold no text, else translated (see
// LocalDetails).
func (e *Error) DetailsIn(lang string) any {
	if d, ok := e.Details.(LocalDetails); ok && lang != i18n.Default && i18n.IsLang(lang) {
		return d.DetailsIn(lang)
	}
	return e.Details
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
