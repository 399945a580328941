package project

import (
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// Only a pulled tool found by a tag follows it; a digest, the lock's or
// the recipe's, and a built tool's content-addressed tag do not move.
func TestFollowsTag(t *testing.T) {
	digest := "@sha256:" + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		build, ref string
		want       bool
	}{
		{"", "jq:1.7", true},
		{"", "registry.example.com/tools/jq:1.7", true},
		{"", "jq", true},
		{"", "registry.example.com/tools/jq" + digest, false},
		{"", "jq:1.7" + digest, false},
		{"", "not a reference", true},
		{"img", "tbx/p/jq:0123", false},
	} {
		if got := followsTag(&recipe.Tool{Build: tc.build}, tc.ref); got != tc.want {
			t.Errorf("followsTag(build %q, %q) = %v, want %v", tc.build, tc.ref, got, tc.want)
		}
	}
}
