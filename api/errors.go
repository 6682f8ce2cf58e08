package api

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"lifecircle/coverage"
)

// errorBody is every error answer: a message a person can act on and, when
// one parameter is at fault, its name.
type errorBody struct {
	Error     string `json:"error"`
	Parameter string `json:"parameter,omitempty"`
}

// paramError blames one query parameter.
type paramError struct {
	param string
	err   error
}

func (e *paramError) Error() string { return e.err.Error() }
func (e *paramError) Unwrap() error { return e.err }

func badParam(param, format string, args ...any) error {
	return &paramError{param, fmt.Errorf(format+": %w", append(args, coverage.ErrInvalid)...)}
}

func notFound(param, format string, args ...any) error {
	return &paramError{param, fmt.Errorf(format+": %w", append(args, coverage.ErrNotFound)...)}
}

// blame attaches a parameter name to a domain error.
func blame(param string, err error) error {
	if err == nil {
		return nil
	}
	return &paramError{param, err}
}

// statusOf is the only error → status mapping.
func statusOf(err error) int {
	switch {
	case errors.Is(err, coverage.ErrInvalid):
		return http.StatusBadRequest
	case errors.Is(err, coverage.ErrNotFound):
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

func writeError(c *gin.Context, err error) {
	status := statusOf(err)
	body := errorBody{Error: err.Error()}
	var pe *paramError
	var fe *coverage.FieldError
	switch {
	case errors.As(err, &pe):
		body.Parameter = pe.param
	case errors.As(err, &fe):
		body.Parameter = fe.Field
	}
	if status == http.StatusInternalServerError {
		c.Error(err) //nolint:errcheck // recorded for the log line
		body = errorBody{Error: "internal error"}
	}
	c.AbortWithStatusJSON(status, body)
}
