package environ

import "testing"

func TestLookup(t *testing.T) {
	env := []string{"A=1", "B=", "A=2", "C=x=y", "broken"}
	for name, want := range map[string]struct {
		v  string
		ok bool
	}{"A": {"2", true}, "B": {"", true}, "C": {"x=y", true}, "D": {"", false}, "broken": {"", false}} {
		if v, ok := Lookup(env, name); v != want.v || ok != want.ok {
			t.Errorf("%s: %q %v, want %q %v", name, v, ok, want.v, want.ok)
		}
	}
}
