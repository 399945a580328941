package contenthash

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/hashcache"
)

// agedContext is a context whose files are older than the hash cache's racy
// window, as a checkout is, hashed once so that the cache holds every file.
func agedContext(t *testing.T) (Inputs, string) {
	t.Helper()
	in := newContext(t)
	in.CacheDir = t.TempDir()
	time.Sleep(hashcache.RacyWindow + 100*time.Millisecond)
	return in, hashOf(t, in, resolveAll)
}

func cacheFile(t *testing.T, in Inputs) string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(in.CacheDir, "*"))
	if len(files) != 1 {
		t.Fatalf("want one cache file in %s, found %v", in.CacheDir, files)
	}
	return files[0]
}

func TestHashCacheNeverGivesAWrongHash(t *testing.T) {
	in, orig := agedContext(t)
	uncached := func() string { c := in; c.CacheDir = ""; return hashOf(t, c, resolveAll) }
	if orig != uncached() {
		t.Fatal("the cached hash differs from the uncached one")
	}
	main := filepath.Join(in.Context, "app/main.sh")

	t.Run("touch keeps the tag", func(t *testing.T) {
		now := time.Now()
		must(t, os.Chtimes(main, now, now))
		if got := hashOf(t, in, resolveAll); got != orig {
			t.Errorf("touch changed the hash")
		}
	})
	t.Run("corrupt cache gives the right tag", func(t *testing.T) {
		path := cacheFile(t, in)
		b, err := os.ReadFile(path)
		must(t, err)
		b[len(b)/2] ^= 0xff
		must(t, os.WriteFile(path, b, 0o600))
		if got := hashOf(t, in, resolveAll); got != orig {
			t.Errorf("a corrupt cache changed the hash")
		}
	})
	t.Run("edit gives a new tag", func(t *testing.T) {
		writeTree(t, in.Context, map[string]string{"app/main.sh": "echo bye\n"})
		if got := hashOf(t, in, resolveAll); got == orig || got != uncached() {
			t.Errorf("an edit: hash %s (before %s, uncached %s)", got, orig, uncached())
		}
	})
	t.Run("same size in the same second gives a new tag", func(t *testing.T) {
		fi, err := os.Stat(main)
		must(t, err)
		before := hashOf(t, in, resolveAll)
		writeTree(t, in.Context, map[string]string{"app/main.sh": "echo BYE\n"}) // same size
		// As a filesystem with one-second times would record it.
		must(t, os.Chtimes(main, fi.ModTime(), fi.ModTime()))
		if got := hashOf(t, in, resolveAll); got == before || got != uncached() {
			t.Errorf("a same-size edit in the same second kept the hash %s", got)
		}
	})
}
