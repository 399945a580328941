package trust

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func snap() Snapshot {
	return Snapshot{
		Recipe: "/p/toolbox.toml", RecipeSum: "r1",
		Keys:     map[string]string{"toolbox.name": "a", "tools.box.build": "b", "tools.box.volumes": "c"},
		LockSum:  "l1",
		Contexts: map[string]string{"box": "c1"},
		Paths:    map[string]string{"/p/data": "/p/data", "/p/img": "/p/img"},
	}
}

func check(t *testing.T, s *Store, now Snapshot) Verdict {
	t.Helper()
	v, _, err := s.Check(now)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAllowChangeRevoke(t *testing.T) {
	s := &Store{Dir: filepath.Join(t.TempDir(), "state", "trust")}
	if v := check(t, s, snap()); v.Status != Untrusted {
		t.Fatalf("a new project is %v", v.Status)
	}
	if err := s.Allow(snap()); err != nil {
		t.Fatal(err)
	}
	if v := check(t, s, snap()); v.Status != Trusted {
		t.Fatalf("after Allow: %v", v)
	}
	fi, err := os.Stat(s.Dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the store's directory: %v, %v; want 0700", fi.Mode(), err)
	}
	records, _ := os.ReadDir(s.Dir)
	if len(records) != 2 {
		t.Fatalf("%d files in the store, want the record and its manifests", len(records))
	}
	for _, r := range records {
		if info, _ := r.Info(); info.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %o, want 0600", r.Name(), info.Mode().Perm())
		}
	}
	if had, err := s.Revoke(snap().Recipe); !had || err != nil {
		t.Errorf("Revoke = %v, %v", had, err)
	}
	if left, _ := os.ReadDir(s.Dir); len(left) != 0 {
		t.Errorf("Revoke left %d files", len(left))
	}
	if v := check(t, s, snap()); v.Status != Untrusted {
		t.Errorf("after Revoke: %v", v.Status)
	}
	if had, err := s.Revoke(snap().Recipe); had || err != nil {
		t.Errorf("second Revoke = %v, %v", had, err)
	}
}

// Each kind of change is named, so that a re-trust is an informed one.
func TestChangesAreNamed(t *testing.T) {
	was := snap()
	cases := map[string]struct {
		edit func(*Snapshot)
		want Status
		line string
	}{
		"a key":     {func(s *Snapshot) { s.RecipeSum = "r2"; s.Keys["tools.box.volumes"] = "x" }, Changed, "key tools.box.volumes changed"},
		"a new key": {func(s *Snapshot) { s.RecipeSum = "r2"; s.Keys["tools.box.docker"] = "x" }, Changed, "key tools.box.docker was added"},
		"a comment": {func(s *Snapshot) { s.RecipeSum = "r2" }, Changed, "the recipe's text"},
		"a new tool": {func(s *Snapshot) {
			s.RecipeSum = "r2"
			s.Keys["tools.pwn.image"], s.Keys["tools.pwn.volumes"], s.Keys["tools.pwn.docker"] = "i", "v", "d"
		}, Changed, "tool pwn was added"},
		"a tool removed": {func(s *Snapshot) {
			s.RecipeSum = "r2"
			for k := range s.Keys {
				if strings.HasPrefix(k, "tools.box.") {
					delete(s.Keys, k)
				}
			}
		}, Changed, "tool box was removed"},
		"the lock":       {func(s *Snapshot) { s.LockSum = "l2" }, Changed, "toolbox.lock"},
		"a context":      {func(s *Snapshot) { s.Contexts["box"] = "c2" }, Changed, "the files the build of tool box is given"},
		"a symlink swap": {func(s *Snapshot) { s.Paths["/p/data"] = "/" }, Redirected, "/p/data now leads to /, not to /p/data"},
		"a removed dir":  {func(s *Snapshot) { s.Paths["/p/data"] = "" }, Redirected, "/p/data now leads to nothing"},
		"a signer's key": {func(s *Snapshot) { s.Signers = map[string]string{"/p/ci/cosign.pub": "k2"} }, Changed, "the signers' key file /p/ci/cosign.pub"},
	}
	for name, c := range cases {
		now := snap()
		now.Keys = map[string]string{}
		for k, v := range was.Keys {
			now.Keys[k] = v
		}
		now.Contexts = map[string]string{"box": "c1"}
		now.Paths = map[string]string{"/p/data": "/p/data", "/p/img": "/p/img"}
		c.edit(&now)
		v := Compare(was, now)
		if v.Status != c.want || len(v.Changes) == 0 || !strings.Contains(v.Changes[0], c.line) {
			t.Errorf("%s: %v %q; want %v and %q", name, v.Status, v.Changes, c.want, c.line)
		}
	}
	// A path that led nowhere when trusted and now is a directory of its
	// own, where it was named, redirects nothing; one that is now a link
	// does.
	made := snap()
	made.Paths = map[string]string{"/p/data": "", "/p/img": "/p/img"}
	now0 := snap()
	if v := Compare(made, now0); v.Status != Trusted {
		t.Errorf("a path made since, at its name: %v %v", v.Status, v.Changes)
	}
	now0.Paths = map[string]string{"/p/data": "/etc", "/p/img": "/p/img"}
	if v := Compare(made, now0); v.Status != Redirected {
		t.Errorf("a path made since as a link: %v %v", v.Status, v.Changes)
	}
	// A context that was not read now is not a change.
	now := snap()
	now.Contexts = map[string]string{}
	if v := Compare(was, now); v.Status != Trusted {
		t.Errorf("with contexts unread: %v %v", v.Status, v.Changes)
	}
}

func TestCovers(t *testing.T) {
	if got := CoverDirs("relative:" + string(filepath.ListSeparator) + "/nonexistent"); len(got) != 1 || got[0] != "/nonexistent" {
		t.Errorf("CoverDirs kept %v", got)
	}
	s := &Store{Dir: t.TempDir(), Covers: CoverDirs("/")}
	if v := check(t, s, snap()); v.Status != Covered {
		t.Errorf("under a covered directory: %v", v.Status)
	}
	s.Covers = CoverDirs("/p-sibling")
	if v := check(t, s, snap()); v.Status != Untrusted {
		t.Errorf("next to a covered directory: %v", v.Status)
	}
}

// A changed context is said file by file, from the manifests kept beside
// the record: a few in the line, every one in the verdict's Files.
func TestChangedFilesAreNamed(t *testing.T) {
	s := &Store{Dir: filepath.Join(t.TempDir(), "trust")}
	was := snap()
	was.Files = map[string]map[string]string{"box": {"a": "1", "b": "2", "c": "3"}}
	if err := s.Allow(was); err != nil {
		t.Fatal(err)
	}
	now := snap()
	now.Contexts = map[string]string{"box": "c2"}
	now.Files = map[string]map[string]string{"box": {"a": "1", "b": "9", "d": "4"}}
	v := check(t, s, now)
	if want := "the files the build of tool box is given: b changed, d added, c removed"; v.Status != Changed || len(v.Changes) != 1 || v.Changes[0] != want {
		t.Errorf("Changes = %q, want %q", v.Changes, want)
	}
	many := map[string]string{}
	for i := range 10 {
		many[string(rune('k'+i))] = "x"
	}
	now.Files["box"] = many
	v = check(t, s, now)
	if !strings.HasSuffix(v.Changes[0], ", and 7 more") || len(v.Files["box"]) != 13 {
		t.Errorf("13 changes: %q, all of them %q", v.Changes, v.Files["box"])
	}
}
