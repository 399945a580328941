package hashcache

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// counter is a compute function that counts its calls.
type counter struct{ n int }

func (c *counter) sum(path string) (string, error) {
	c.n++
	b, err := os.ReadFile(path)
	return string(b), err
}

// scan hashes one file through a cache opened with its scan clock moved
// ahead, so that files just written count as old enough to remember.
func scan(t *testing.T, dir, root, path string, cnt *counter) string {
	t.Helper()
	c := Open(dir, root)
	c.start = time.Now().Add(2 * RacyWindow)
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	sum, err := c.Sum(path, filepath.Base(path), fi, cnt.sum)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Save(); err != nil {
		t.Fatal(err)
	}
	return sum
}

func write(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestUnchangedFileIsNotReadAgain(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	f := filepath.Join(root, "a")
	write(t, f, "one")
	var cnt counter
	first := scan(t, dir, root, f, &cnt)
	second := scan(t, dir, root, f, &cnt)
	if first != "one" || second != "one" || cnt.n != 1 {
		t.Fatalf("two scans of an unchanged file read it %d times", cnt.n)
	}
	write(t, f, "two")
	if got := scan(t, dir, root, f, &cnt); got != "two" || cnt.n != 2 {
		t.Errorf("after an edit: %q, %d reads", got, cnt.n)
	}
}

func TestRacyFileIsNotRemembered(t *testing.T) {
	dir, root := t.TempDir(), t.TempDir()
	f := filepath.Join(root, "a")
	write(t, f, "one")
	var cnt counter
	for i := 0; i < 2; i++ {
		c := Open(dir, root) // the real clock: the file changed just now
		fi, _ := os.Lstat(f)
		if _, err := c.Sum(f, "a", fi, cnt.sum); err != nil {
			t.Fatal(err)
		}
		if err := c.Save(); err != nil {
			t.Fatal(err)
		}
	}
	if cnt.n != 2 {
		t.Errorf("a file changed within the racy window was trusted: %d reads, want 2", cnt.n)
	}
}

func TestCorruptOrForeignCacheIsIgnoredAndRewritten(t *testing.T) {
	dir, root, other := t.TempDir(), t.TempDir(), t.TempDir()
	f := filepath.Join(root, "a")
	write(t, f, "one")
	var cnt counter
	scan(t, dir, root, f, &cnt)
	path := Open(dir, root).path
	good, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"truncated":    good[:len(good)/2],
		"flipped byte": append(append([]byte{}, good[:10]...), append([]byte{good[10] ^ 0xff}, good[11:]...)...),
		"empty":        {},
		"foreign":      foreignCache(t, dir, other, f),
	} {
		write(t, path, string(bad))
		before := cnt.n
		if got := scan(t, dir, root, f, &cnt); got != "one" || cnt.n != before+1 {
			t.Errorf("%s cache: %q after %d reads, want a re-read", name, got, cnt.n-before)
		}
		if now, _ := os.ReadFile(path); string(now) != string(good) {
			t.Errorf("%s cache was not rewritten", name)
		}
	}
}

// foreignCache is a valid cache file written for another context.
func foreignCache(t *testing.T, dir, other, f string) []byte {
	t.Helper()
	var cnt counter
	scan(t, dir, other, f, &cnt)
	b, err := os.ReadFile(Open(dir, other).path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
