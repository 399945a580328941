package front

import "testing"

func TestOnlyPlainRunsAndShimsAreRoutable(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"tbx", "run", "az", "vm", "list"}, "az"},
		{[]string{"tbx", "shim", "kubectl", "get", "pods"}, "kubectl"},
		{[]string{"tbx", "run", "az", "--frozen"}, "az"}, // az's own flag
		{[]string{"tbx", "run", "--frozen", "az"}, ""},
		{[]string{"tbx", "run", "--tool", "box", "--", "true"}, ""},
		{[]string{"tbx", "--debug", "run", "az"}, ""},
		{[]string{"tbx", "run"}, ""},
		{[]string{"tbx", "ls"}, ""},
		{[]string{"tbx", "run", "az", "--generate-bash-completion"}, ""},
	} {
		got, ok := routable(tc.args)
		if got != tc.want || ok != (tc.want != "") {
			t.Errorf("%q: %q %v; want %q", tc.args, got, ok, tc.want)
		}
	}
	t.Setenv("TBX_DEBUG", "1")
	if _, ok := routable([]string{"tbx", "run", "az"}); ok {
		t.Error("TBX_DEBUG=1 left the call to the front, which says nothing of its path")
	}
}
