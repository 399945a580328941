package trust

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/recipe"
	"github.com/tbx-dev/tbx/toolbox/testenv"
)

func project(t *testing.T) (string, *recipe.Recipe) {
	t.Helper()
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{
		"toolbox.toml":   "[toolbox]\nname = \"p\"\n[tools.a]\nbuild = \"img\"\n",
		"img/Dockerfile": "FROM scratch\n",
	})
	return dir, load(t, filepath.Join(dir, "toolbox.toml"))
}

func load(t *testing.T, path string) *recipe.Recipe {
	t.Helper()
	r, err := recipe.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func status(t *testing.T, s *Store, r *recipe.Recipe) Status {
	t.Helper()
	st, err := s.Status(r)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestAllowChangeRevoke(t *testing.T) {
	dir, r := project(t)
	s := &Store{Dir: filepath.Join(t.TempDir(), "state", "trust")}
	if st := status(t, s, r); st != Untrusted {
		t.Fatalf("a new recipe is %v", st)
	}
	if err := s.Allow(r); err != nil {
		t.Fatal(err)
	}
	if st := status(t, s, r); st != Trusted {
		t.Fatalf("after Allow: %v", st)
	}
	fi, err := os.Stat(s.Dir)
	if err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("the store's directory: %v, %v; want 0700", fi.Mode(), err)
	}
	records, _ := os.ReadDir(s.Dir)
	if len(records) != 1 {
		t.Fatalf("%d records", len(records))
	}
	if info, _ := records[0].Info(); info.Mode().Perm() != 0o600 {
		t.Errorf("a record has mode %o, want 0600", info.Mode().Perm())
	}

	// The same recipe through a symlinked directory is the same recipe.
	link := filepath.Join(t.TempDir(), "link")
	if err := os.Symlink(dir, link); err != nil {
		t.Fatal(err)
	}
	if st := status(t, s, load(t, filepath.Join(link, "toolbox.toml"))); st != Trusted {
		t.Errorf("through a symlink: %v", st)
	}

	// A change to the Dockerfile it builds is a change.
	if err := os.WriteFile(filepath.Join(dir, "img", "Dockerfile"), []byte("FROM scratch\nCOPY / /\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if st := status(t, s, r); st != Changed {
		t.Errorf("after a Dockerfile edit: %v, want Changed", st)
	}
	if had, err := s.Revoke(r.Path); !had || err != nil {
		t.Errorf("Revoke = %v, %v", had, err)
	}
	if st := status(t, s, r); st != Untrusted {
		t.Errorf("after Revoke: %v", st)
	}
	if had, err := s.Revoke(r.Path); had || err != nil {
		t.Errorf("second Revoke = %v, %v", had, err)
	}
}

func TestCovers(t *testing.T) {
	dir, r := project(t)
	if got := CoverDirs("relative:" + string(filepath.ListSeparator) + "/nonexistent"); len(got) != 1 || got[0] != "/nonexistent" {
		t.Errorf("CoverDirs kept %v", got)
	}
	s := &Store{Dir: t.TempDir(), Covers: CoverDirs(filepath.Dir(dir))}
	if st := status(t, s, r); st != Covered {
		t.Errorf("under a covered directory: %v", st)
	}
	s.Covers = CoverDirs(dir + "-sibling")
	if st := status(t, s, r); st != Untrusted {
		t.Errorf("next to a covered directory: %v", st)
	}
}
