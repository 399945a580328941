package exit

import (
	"errors"
	"fmt"
	"testing"
)

// Every error maps to one documented code, through any wrapping: the
// command's own status as it is (and said by no one but the command),
// tbx's refusals and failures as theirs, anything else 125.
func TestEveryErrorHasItsCode(t *testing.T) {
	for _, tc := range []struct {
		err    error
		code   int
		silent bool
	}{
		{nil, 0, false},
		{Status(3), 3, true},
		{fmt.Errorf("running az: %w", Status(130)), 130, true},
		{Errorf(NotFound, "jq: not found"), 127, false},
		{fmt.Errorf("tool az: %w", Errorf(CannotInvoke, "not executable")), 126, false},
		{errors.New("the Engine went away"), Failed, false},
	} {
		if got := Code(tc.err); got != tc.code || Silent(tc.err) != tc.silent {
			t.Errorf("%v: code %d, silent %v; want %d, %v", tc.err, got, Silent(tc.err), tc.code, tc.silent)
		}
	}
}
