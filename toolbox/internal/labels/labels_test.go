package labels

import (
	"slices"
	"testing"
)

// What a user collects or reuses is matched by its owner and the
// project's identity; with no identity, every project of the owner's, but
// never an object without tbx's identity label.
func TestOwnedMatchesByOwnerAndIdentity(t *testing.T) {
	f := Owned("1000", "abc")
	if got := f.Get("label"); !slices.Equal(sortd(got), []string{Owner + "=1000", Root + "=abc"}) {
		t.Errorf("one project: %v", got)
	}
	f = Owned("1000", "")
	if got := f.Get("label"); !slices.Equal(sortd(got), []string{Owner + "=1000", Root}) {
		t.Errorf("every project: %v", got)
	}
	if f.ExactMatch("label", Project) {
		t.Error("matched by the project's name")
	}
}

func sortd(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}
