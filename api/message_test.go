package api

import (
	"errors"
	"fmt"
	"testing"

	"lifecircle/coverage"
)

// What a person reads carries no sentinel words, wherever they were
// wrapped; errors.Is still tells the kind.
func TestMessageDropsSentinelWords(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{fmt.Errorf("no type %q: %w", "castle", coverage.ErrNotFound), `no type "castle"`},
		{fmt.Errorf("fits 3 units: a; b; give the code: %w: %w", errors.New("ambiguous"), coverage.ErrInvalid), "fits 3 units: a; b; give the code"},
		{fmt.Errorf("import: %w (nothing was written)", fmt.Errorf("x.csv row 3: lon 200: %w", coverage.ErrInvalid)), "import: x.csv row 3: lon 200 (nothing was written)"},
		{fmt.Errorf("import: %s (nothing was written) / %s: %w", "facilities look like gcj02", "设施像 GCJ-02", coverage.ErrInvalid), "import: facilities look like gcj02 (nothing was written) / 设施像 GCJ-02"},
		{fmt.Errorf("a: %v: %w", fmt.Errorf("b: %w", coverage.ErrInvalid), coverage.ErrInvalid), "a: b"},
		{coverage.ErrStale, "the version read is no longer current"},
		{fmt.Errorf("the token is invalid here"), "the token is invalid here"},
		{fmt.Errorf("status not found-ish: %s", "invalid value"), "status not found-ish: invalid value"},
	} {
		if got := Message(c.err); got != c.want {
			t.Errorf("Message(%q) = %q, want %q", c.err.Error(), got, c.want)
		}
	}
	err := fmt.Errorf("no type: %w", coverage.ErrNotFound)
	if Message(err); !errors.Is(err, coverage.ErrNotFound) {
		t.Error("errors.Is lost")
	}
}
