package acquire

import (
	"errors"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// A frozen run refuses, in one line naming the tool, whatever the lock
// does not pin as the recipe says, before an image is looked for.
func TestFrozenRefusesWhatTheLockDoesNotPin(t *testing.T) {
	r := testRecipe(t)
	built, pulled := r.Tool("built"), r.Tool("pulled")
	lock := lockfile.New()
	for _, tc := range []struct {
		name     string
		lock     *lockfile.Lock
		registry string
		st       Status
		want     string
	}{
		{"no lock", nil, "reg", Status{Tool: built}, "--frozen needs toolbox.lock next to"},
		{"unlocked", lock, "reg", Status{Tool: built, Lock: Unlocked}, "tool built is not in toolbox.lock (--frozen)"},
		{"another image", lock, "reg", Status{Tool: pulled, Lock: Changed, Pinned: lockfile.Tool{Ref: "127.0.0.1:5000/jq:1.6"}}, "the recipe names 127.0.0.1:5000/jq:1.7, the lock 127.0.0.1:5000/jq:1.6"},
		{"other inputs", lock, "reg", Status{Tool: built, Lock: Changed, Hash: strings.Repeat("a", 64), Pinned: lockfile.Tool{Hash: strings.Repeat("b", 64)}}, "its build inputs changed since `tbx lock` (locked bbbbbbbbbbbbbbbb, now aaaaaaaaaaaaaaaa)"},
		{"no digest", lock, "reg", Status{Tool: built, Lock: Locked}, "has no digest for it"},
		{"no registry", lock, "", Status{Tool: built, Lock: Locked, Pinned: lockfile.Tool{Digest: "sha256:1"}}, "there is none: set [toolbox] registry"},
		{"pinned", lock, "reg", Status{Tool: built, Lock: Locked, Pinned: lockfile.Tool{Digest: "sha256:1"}}, ""},
		{"a pulled tool, pinned", lock, "", Status{Tool: pulled, Lock: Locked}, ""},
	} {
		pr := New(Config{Recipe: r, Registry: tc.registry, Lock: tc.lock, Frozen: true}).preparer()
		err := pr.frozenCheck(tc.st)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v; want %q", tc.name, err, tc.want)
		}
	}
}

// build and pull take only their own kind of tool.
func TestSelectTools(t *testing.T) {
	r := testRecipe(t)
	names := func(ts []*recipe.Tool) string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Name)
		}
		return strings.Join(out, " ")
	}
	for opts, want := range map[Options]string{{}: "built pulled", {Build: true}: "built", {Pull: true}: "pulled"} {
		if got := names(selectTools(r.Tools, opts)); got != want {
			t.Errorf("%+v: %q, want %q", opts, got, want)
		}
	}
}

// One failure is said as it is; several are named, each said once; an
// Engine that does not answer is said once for all the tools.
func TestPrepareSummarizesItsFailures(t *testing.T) {
	var out strings.Builder
	pr := New(Config{Recipe: testRecipe(t), Stderr: &out}).preparer()
	one := errors.New("tool az: boom")
	if err := pr.summarize([]string{"az"}, []error{one}, 3); err != one {
		t.Errorf("one failure: %v", err)
	}
	down := errors.New("Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?")
	if err := pr.summarize([]string{"az", "jq"}, []error{down, down}, 2); err != down || out.Len() != 0 {
		t.Errorf("the Engine down twice: %v, said %q", err, out.String())
	}
	err := pr.summarize([]string{"jq", "az"}, []error{errors.New("x"), errors.New("y")}, 3)
	if err == nil || err.Error() != "2 of 3 tools failed (az, jq); each one's error is above" || !strings.Contains(out.String(), "jq: failed: x") {
		t.Errorf("two failures: %v, said %q", err, out.String())
	}
	if pr.summarize(nil, nil, 3) != nil {
		t.Error("no failure failed")
	}
}
