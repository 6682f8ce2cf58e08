package coverage

import (
	"errors"
	"fmt"
)

// Chinese first: an error a planner may read carries a Chinese text beside
// the English one. The English text stays Error(); the Chinese one is
// reached with MessageZH. Callers (the API) choose which comes first.

// zhError adds a Chinese text to an error.
type zhError struct {
	zh  string
	err error
}

func (e *zhError) Error() string { return e.err.Error() }
func (e *zhError) Unwrap() error { return e.err }

// WithZH attaches a Chinese text to err (nil stays nil). The outermost
// Chinese text in a chain is the one shown.
func WithZH(err error, format string, args ...any) error {
	if err == nil {
		return nil
	}
	return &zhError{zh: fmt.Sprintf(format, args...), err: err}
}

// MessageZH returns the outermost Chinese text in err's chain, or "" when
// it has none.
func MessageZH(err error) string {
	switch e := err.(type) {
	case nil:
		return ""
	case *zhError:
		if e.zh != "" {
			return e.zh
		}
		return MessageZH(e.err)
	case interface{ Unwrap() []error }:
		for _, x := range e.Unwrap() {
			if m := MessageZH(x); m != "" {
				return m
			}
		}
		return ""
	}
	return MessageZH(errors.Unwrap(err))
}

// AsInvalid makes err an ErrInvalid error (a bad request rather than a
// missing resource), keeping its Chinese text.
func AsInvalid(err error) error {
	if errors.Is(err, ErrInvalid) {
		return err
	}
	return &zhError{zh: MessageZH(err), err: fmt.Errorf("%v: %w", err, ErrInvalid)}
}

// errZH builds a domain error with both texts: en is a format whose last
// verb wraps kind (ErrInvalid or ErrNotFound) with %w.
func errZH(kind error, zh, en string, args ...any) error {
	return &zhError{zh: zh, err: fmt.Errorf(en+": %w", append(args, kind)...)}
}
