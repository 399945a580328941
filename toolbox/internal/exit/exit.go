// Package exit is the contract between tbx's errors and its exit codes. It
// follows docker's convention: 125 when tbx itself fails, 126 when the command
// cannot be invoked, 127 when it is not found, 128+n when it was killed by
// signal n, and otherwise the command's own exit code.
package exit

import (
	"errors"
	"fmt"
)

// The exit codes tbx itself produces.
const (
	OK           = 0
	Failed       = 125 // tbx itself failed, or refused: the command did not run
	CannotInvoke = 126
	NotFound     = 127
)

// Error carries an exit code along with the error that caused it.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Errorf formats an error that exits with code.
func Errorf(code int, format string, args ...any) error {
	return &Error{Code: code, Err: fmt.Errorf(format, args...)}
}

// Status is the exit status of a proxied command. It is an error so that it
// travels up like one, but it is not reported: the command spoke for itself.
type Status int

func (s Status) Error() string { return fmt.Sprintf("exit status %d", int(s)) }

// Code maps an error to tbx's exit code: nil is 0, a Status is its own code,
// an Error is its code, and anything else is tbx's own failure.
func Code(err error) int {
	if err == nil {
		return OK
	}
	var st Status
	if errors.As(err, &st) {
		return int(st)
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Failed
}

// Silent reports whether err should exit without a message.
func Silent(err error) bool {
	var st Status
	return errors.As(err, &st)
}
