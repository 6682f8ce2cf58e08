// Package coverage is lifecircle's domain: the facility catalogue of the
// Chinese life-circle standards (GB 50180-2018, TD/T 1062-2021), the
// datasets planners load (facilities, population cells, administrative
// units), and the analysis that says who lives beyond a walk of the
// facilities they are entitled to: per-cell distances, coverage shares per
// type and unit, life-circle completeness, and gap areas.
//
// Distances come from a DistanceSource: straight line times a detour factor
// (Euclidean, method "euclidean") until a walking network is loaded.
package coverage

import "errors"

// Domain errors. Callers test with errors.Is; messages carry the detail.
var (
	ErrInvalid  = errors.New("invalid")
	ErrNotFound = errors.New("not found")
)

// FieldError says which input field (a query parameter, a JSON field) an
// error is about, so that callers can name it without checking again.
type FieldError struct {
	Field string
	Err   error
}

func (e *FieldError) Error() string { return e.Err.Error() }
func (e *FieldError) Unwrap() error { return e.Err }

func fieldErr(field string, err error) error { return &FieldError{Field: field, Err: err} }
