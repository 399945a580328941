package acquire

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
)

// A lock that runs or builds from another image than the recipe names is
// refused, whatever trust says: the locker reads the Dockerfiles, never the
// Engine.
func TestTheLockPinsOnlyWhatTheRecipeNames(t *testing.T) {
	r := testRecipe(t)
	d := "sha256:" + strings.Repeat("d", 64)
	good := func() *lockfile.Lock {
		l := lockfile.New()
		l.Tools["built"] = lockfile.Tool{Hash: strings.Repeat("a", 64), Digest: d}
		l.Tools["pulled"] = lockfile.Tool{Ref: "127.0.0.1:5000/jq:1.7", Digest: d, Image: "127.0.0.1:5000/jq@" + d}
		l.Bases["debian:bookworm-slim"] = lockfile.Base{Digest: d, Image: "docker.io/library/debian@" + d}
		return l
	}
	for _, tc := range []struct {
		name string
		edit func(l *lockfile.Lock)
		want string
	}{
		{"as written", func(*lockfile.Lock) {}, ""},
		{"a base through the team registry", func(l *lockfile.Lock) {
			l.Bases["debian:bookworm-slim"] = lockfile.Base{Digest: d, Image: "reg.example/team/base/debian:bookworm-slim@" + d}
		}, "the lock builds from reg.example/team/base/debian:bookworm-slim"}, // tagged: not a pin
		{"a tool the recipe lacks", func(l *lockfile.Lock) { l.Tools["gone"] = lockfile.Tool{Hash: "x"} }, "it pins tool gone, which the recipe does not have"},
		{"an image for a built tool", func(l *lockfile.Lock) { l.Tools["built"] = lockfile.Tool{Image: "evil.example/x@" + d} }, "tool built is built, but the lock pins an image for it"},
		{"a build for a pulled tool", func(l *lockfile.Lock) {
			l.Tools["pulled"] = lockfile.Tool{Ref: "127.0.0.1:5000/jq:1.7", Hash: "x"}
		}, "tool pulled is pulled, but the lock pins a build for it"},
		{"another repository", func(l *lockfile.Lock) {
			l.Tools["pulled"] = lockfile.Tool{Ref: "127.0.0.1:5000/jq:1.7", Digest: d, Image: "evil.example/jq@" + d}
		}, "the lock runs evil.example/jq@" + d + ", which is not 127.0.0.1:5000/jq"},
		{"another base", func(l *lockfile.Lock) {
			l.Bases["debian:bookworm-slim"] = lockfile.Base{Digest: d, Image: "evil.example/debian@" + d}
		}, "base image debian:bookworm-slim: the lock builds from evil.example/debian@"},
		{"not a digest", func(l *lockfile.Lock) { l.Tools["built"] = lockfile.Tool{Hash: "a", Digest: "sha256:nope"} }, `tool built: "sha256:nope" is not a digest`},
	} {
		l := good()
		tc.edit(l)
		err := New(Config{Recipe: r, Registry: "reg.example/team", Lock: l}).VerifyLock()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: refused: %v", tc.name, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v; want %q", tc.name, err, tc.want)
		}
	}
	l := good()
	l.Bases["debian:bookworm-slim"] = lockfile.Base{Digest: d, Image: "reg.example/team/base/debian@" + d}
	if err := New(Config{Recipe: r, Registry: "reg.example/team", Lock: l}).VerifyLock(); err != nil {
		t.Errorf("the team registry's copy of a base (tbx lock published it): %v", err)
	}
	if err := New(Config{Recipe: r, Registry: "other.example/team", Lock: l}).VerifyLock(); err == nil {
		t.Error("a copy in a registry neither in effect nor the recipe's was taken")
	}
	l.Bases["debian:bookworm-slim"] = lockfile.Base{Digest: d, Image: "reg.example/team/base/alpine@" + d}
	if err := New(Config{Recipe: r, Registry: "reg.example/team", Lock: l}).VerifyLock(); err == nil {
		t.Error("another base of the team registry was taken for debian")
	}
}

// lock --check names each way the lock and the recipe differ, one line
// each, with the Engine asked only for images.
func TestCheckLockNamesEachDifference(t *testing.T) {
	r := testRecipe(t)
	f := &fakeEngine{}
	d := "sha256:" + strings.Repeat("d", 64)
	l := lockfile.New()
	l.Tools["built"] = lockfile.Tool{Hash: strings.Repeat("a", 64)}
	l.Bases["alpine:3"] = lockfile.Base{Digest: d, Image: "docker.io/library/alpine@" + d}
	got, err := New(Config{Engine: f, Recipe: r, Lock: l}).CheckLock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"base image alpine:3: pinned, but no tool starts from it any more",
		"tool built: base image debian:bookworm-slim is not pinned",
		"tool built: build inputs changed (locked aaaaaaaaaaaaaaaa, now ",
		"tool pulled: not in the lock",
	}
	if len(got) != len(want) {
		t.Fatalf("lock --check: %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d: %q, want %q…", i, got[i], want[i])
		}
	}
	if got, _ := New(Config{Engine: f, Recipe: r}).CheckLock(context.Background()); !slices.Equal(got, []string{"there is no toolbox.lock next to the recipe; run `tbx lock`"}) {
		t.Errorf("no lock: %q", got)
	}
}
