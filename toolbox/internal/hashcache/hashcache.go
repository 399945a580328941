// Package hashcache remembers the content hash of each file of a build
// context by its stat, as git's index does, so that a file whose size, times,
// inode and mode are unchanged is not read again. Any doubt means a re-read:
// a file changed within RacyWindow of the scan that hashed it is not
// remembered (git's "racy" rule), and a corrupt or foreign cache file is
// ignored and rewritten. It never answers with a hash it is not sure of.
package hashcache

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// format names the file layout; a file of another format is ignored.
const format = "tbx-hashcache-v1"

// RacyWindow is how close to a scan a file may have changed and still be
// remembered: filesystems keep times at a coarse grain (a second on some),
// so a later edit within the same grain could leave the stat unchanged.
const RacyWindow = 2 * time.Second

// Stat is what identifies a file's content without reading it.
type Stat struct {
	Size        int64
	ModNs, CtNs int64
	Ino, Dev    uint64
	Mode        uint32
}

type entry struct {
	Stat Stat
	Sum  string
}

// file is what is written: the format, the context it belongs to, and the
// entries; a checksum over the encoding follows it.
type file struct {
	Format  string
	Root    string
	Entries map[string]entry
}

// Cache is the remembered hashes of one build context.
type Cache struct {
	path  string
	root  string
	start time.Time // when this scan began: the racy rule's reference

	mu      sync.Mutex
	old     map[string]entry
	next    map[string]entry
	changed bool
}

// Open reads the cache of the context at root kept in dir. A missing,
// corrupt or foreign file gives an empty cache; dir "" gives one that
// remembers nothing.
func Open(dir, root string) *Cache {
	c := &Cache{root: root, start: time.Now(), old: map[string]entry{}, next: map[string]entry{}}
	if dir == "" {
		return c
	}
	key := sha256.Sum256([]byte(root))
	c.path = filepath.Join(dir, hex.EncodeToString(key[:16]))
	if f, err := read(c.path); err == nil && f.Format == format && f.Root == root {
		c.old = f.Entries
	} else {
		c.changed = c.path != "" // rewrite what was missing, corrupt or foreign
	}
	return c
}

// Sum returns the hash of the file at path (rel in the context), calling
// compute only when the cache cannot vouch for the file.
func (c *Cache) Sum(path, rel string, fi fs.FileInfo, compute func(string) (string, error)) (string, error) {
	st, ok := StatOf(fi)
	c.mu.Lock()
	e, hit := c.old[rel]
	c.mu.Unlock()
	if ok && hit && e.Stat == st {
		c.keep(rel, e)
		return e.Sum, nil
	}
	sum, err := compute(path)
	if err != nil {
		return "", err
	}
	if ok && !c.racy(st) {
		c.keep(rel, entry{Stat: st, Sum: sum})
	}
	c.mu.Lock()
	c.changed = true
	c.mu.Unlock()
	return sum, nil
}

func (c *Cache) keep(rel string, e entry) {
	c.mu.Lock()
	c.next[rel] = e
	c.mu.Unlock()
}

// racy reports whether the file changed so close to this scan that a later
// change might not show in its stat.
func (c *Cache) racy(st Stat) bool {
	limit := c.start.Add(-RacyWindow).UnixNano()
	return st.ModNs >= limit || st.CtNs >= limit
}

// Save writes what this scan learned, when it learned anything: entries for
// files that are gone are dropped with it.
func (c *Cache) Save() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.path == "" || !c.changed && len(c.next) == len(c.old) {
		return nil
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(file{Format: format, Root: c.root, Entries: c.next}); err != nil {
		return err
	}
	sum := sha256.Sum256(buf.Bytes())
	buf.Write(sum[:])
	return writeAtomic(c.path, buf.Bytes())
}

var errCorrupt = errors.New("corrupt hash cache")

func read(path string) (file, error) {
	var f file
	b, err := os.ReadFile(path)
	if err != nil {
		return f, err
	}
	if len(b) < sha256.Size {
		return f, errCorrupt
	}
	body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if want := sha256.Sum256(body); !bytes.Equal(want[:], sum) {
		return f, errCorrupt
	}
	if err := gob.NewDecoder(bytes.NewReader(body)).Decode(&f); err != nil {
		return f, errCorrupt
	}
	return f, nil
}

func writeAtomic(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("making the hash cache directory: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing the hash cache: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the hash cache: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
