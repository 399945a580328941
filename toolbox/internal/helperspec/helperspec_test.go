package helperspec

import (
	"slices"
	"testing"
)

func TestSpecRoundTrips(t *testing.T) {
	owner := uint32(1000)
	in := Spec{Idle: "5m0s", Owner: &owner, User: "1000:1000", Groups: []string{"999"}, Expect: []Mount{{Target: "/w", Dev: 1, Ino: 2}}}
	out, err := DecodeSpec(in.Encode())
	if err != nil || out.Idle != in.Idle || *out.Owner != owner || out.User != in.User || !slices.Equal(out.Groups, in.Groups) || !slices.Equal(out.Expect, in.Expect) {
		t.Errorf("%+v %v", out, err)
	}
	if _, err := DecodeSpec("{"); err == nil {
		t.Error("a broken spec was read")
	}
	want := []Mount{{Target: "/w", Dev: 1, Ino: 2}}
	if m, err := DecodeMounts(EncodeMounts(want)); err != nil || !slices.Equal(m, want) {
		t.Errorf("the mounts as the starter's argument: %v %v", m, err)
	}
}

// Where tbx said whose container it is, a command that does not start is
// said with its tool and image.
func TestUnrunnableNamesToolAndImage(t *testing.T) {
	for _, tc := range []struct {
		missing bool
		want    string
	}{
		{true, `tool jq: command not found in the image tbx/p/jq:0123: exec: "x": not found`},
		{false, `tool jq: command cannot be invoked in the image tbx/p/jq:0123: exec: "x": not found`},
	} {
		if got := Unrunnable(tc.missing, "jq", "tbx/p/jq:0123", `exec: "x": not found`); got != tc.want {
			t.Errorf("Unrunnable(%v) = %q, want %q", tc.missing, got, tc.want)
		}
	}
	if got := Unrunnable(true, "", "", "d"); got != "command not found in the image: d" {
		t.Errorf("with no tool: %q", got)
	}
}
