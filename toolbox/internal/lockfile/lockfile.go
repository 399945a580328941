// Package lockfile reads and writes toolbox.lock: what a team tested, pinned
// by digest. For each built tool it holds the content hash and the digest of
// the image pushed to the team registry; for each base image the digest it
// was pinned at; for each pulled tool the tag it names and the digest that
// tag had. The format is TOML, sorted, one fact a line, so that it diffs and
// reviews cleanly.
package lockfile

import (
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/tbx-dev/tbx/toolbox/internal/safefile"
)

// FileName is the lock's name, next to the recipe.
const FileName = "toolbox.lock"

// Version is the newest format this tbx reads and writes; it reads every
// version from 1 (2 added a published base's id, 3 the signers a tool
// requires) and writes the oldest that holds what the lock says, so that a
// lock without signers stays readable by the tbx of version 2.
const Version = 3

// Lock is a toolbox.lock.
type Lock struct {
	Version int
	Bases   map[string]Base // by the reference the Dockerfile names
	Tools   map[string]Tool // by tool name
}

// Base pins a base image.
type Base struct {
	Digest string // the manifest digest, sha256:…
	Image  string // where to pull it: repository@digest
	// ID is, for a base made on the publishing machine and published by
	// `tbx lock`, the image ID it had there: its identity in the tools'
	// hashes, which publishing it does not change. "" for a base pulled
	// from a registry, whose identity is Digest.
	ID string
}

// Tool pins a tool: a built tool by Hash and the Digest pushed to the team
// registry; a pulled tool by Ref (as the recipe names it), Digest and Image
// (repository@digest).
type Tool struct {
	Hash   string `toml:"hash,omitempty"`
	Ref    string `toml:"ref,omitempty"`
	Digest string `toml:"digest,omitempty"`
	Image  string `toml:"image,omitempty"`
	// Signers are the fingerprints (sha256:HEX of the public key, or
	// keyless:sha256:HEX of a trusted root and the identity signing under
	// it) of the signers one of which must have signed the tool's image, as
	// the recipe said when it was locked.
	Signers []string `toml:"signers,omitempty"`
}

// Path is where the lock of the recipe at recipePath lives.
func Path(recipePath string) string {
	return filepath.Join(filepath.Dir(recipePath), FileName)
}

// Read reads the lock at path; a missing file is a nil Lock.
func Read(path string) (*Lock, error) {
	src, err := safefile.Read(path, safefile.MaxSize)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", path, err)
	}
	var raw struct {
		Version int             `toml:"version"`
		Bases   map[string]base `toml:"bases"`
		Tools   map[string]Tool `toml:"tools"`
	}
	md, err := toml.Decode(string(src), &raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %s; run `tbx lock` to write it again", path, oneLine(err.Error()))
	}
	if un := md.Undecoded(); len(un) > 0 {
		return nil, fmt.Errorf("%s: unknown key %s; run `tbx lock` to write it again", path, un[0])
	}
	if raw.Version < 1 || raw.Version > Version {
		return nil, fmt.Errorf("%s: format version %d, this tbx reads %d; run `tbx lock` (or update tbx)", path, raw.Version, Version)
	}
	l := &Lock{Version: raw.Version, Bases: map[string]Base{}, Tools: raw.Tools}
	for k, b := range raw.Bases {
		l.Bases[k] = Base(b)
	}
	if l.Tools == nil {
		l.Tools = map[string]Tool{}
	}
	return l, nil
}

type base struct {
	Digest string `toml:"digest"`
	Image  string `toml:"image"`
	ID     string `toml:"id"`
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// New returns an empty lock of the current format.
func New() *Lock {
	return &Lock{Version: Version, Bases: map[string]Base{}, Tools: map[string]Tool{}}
}

// Write writes l to path, atomically.
func Write(path string, l *Lock) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := Encode(f, l); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	return os.Rename(tmp, path)
}

// format is the oldest version that holds what l says.
func (l *Lock) format() int {
	for _, t := range l.Tools {
		if len(t.Signers) > 0 {
			return 3
		}
	}
	return 2
}

// Encode writes l in its stable text form: a header, the version, then the
// bases and the tools, each sorted by name.
func Encode(w io.Writer, l *Lock) error {
	var b strings.Builder
	b.WriteString("# toolbox.lock: written by `tbx lock`. Commit it; do not edit it.\n")
	b.WriteString("# It pins what the team tested: `tbx prepare --frozen` runs exactly this.\n")
	fmt.Fprintf(&b, "version = %d\n", l.format())
	for _, name := range slices.Sorted(maps.Keys(l.Bases)) {
		base := l.Bases[name]
		fmt.Fprintf(&b, "\n[bases.%q]\ndigest = %q\nimage = %q\n", name, base.Digest, base.Image)
		if base.ID != "" {
			fmt.Fprintf(&b, "id = %q\n", base.ID)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(l.Tools)) {
		t := l.Tools[name]
		fmt.Fprintf(&b, "\n[tools.%s]\n", name)
		for _, kv := range [][2]string{{"hash", t.Hash}, {"ref", t.Ref}, {"digest", t.Digest}, {"image", t.Image}} {
			if kv[1] != "" {
				fmt.Fprintf(&b, "%s = %q\n", kv[0], kv[1])
			}
		}
		if len(t.Signers) > 0 {
			q := make([]string, len(t.Signers))
			for i, s := range t.Signers {
				q[i] = strconv.Quote(s)
			}
			fmt.Fprintf(&b, "signers = [%s]\n", strings.Join(q, ", "))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
