// Package trust remembers which recipes their user has allowed to act. A
// recipe is trusted by its real path together with a fingerprint of its bytes
// and of the Dockerfiles it builds, so that any change makes it untrusted
// again, as `direnv allow` does for an .envrc.
package trust

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/tbx-dev/tbx/toolbox/recipe"
	"github.com/tbx-dev/tbx/toolbox/statedir"
)

// Status is what the store knows of a recipe.
type Status int

const (
	Untrusted Status = iota // never trusted, or untrusted since
	Changed                 // trusted once, but it has changed since
	Trusted                 // trusted as it is now
	Covered                 // under a directory of TBX_TRUST
)

// OK reports whether a recipe with this status may act.
func (s Status) OK() bool { return s == Trusted || s == Covered }

// Store keeps one record per trusted recipe in Dir.
type Store struct {
	Dir    string
	Covers []string // directories under which every recipe is trusted
}

// Open returns the user's store under the state directory, covering the
// directories of TBX_TRUST.
func Open() (*Store, error) {
	state, err := statedir.Dir()
	if err != nil {
		return nil, err
	}
	return &Store{Dir: filepath.Join(state, "trust"), Covers: CoverDirs(os.Getenv("TBX_TRUST"))}, nil
}

// CoverDirs splits a TBX_TRUST value, PATH[:PATH...], into real absolute
// directories; empty and relative entries are ignored.
func CoverDirs(list string) []string {
	var dirs []string
	for _, d := range filepath.SplitList(list) {
		if filepath.IsAbs(d) {
			dirs = append(dirs, recipe.RealPath(d))
		}
	}
	return dirs
}

// Status tells whether r may act.
func (s *Store) Status(r *recipe.Recipe) (Status, error) {
	path := recipe.RealPath(r.Path)
	for _, d := range s.Covers {
		if recipe.Within(d, path) {
			return Covered, nil
		}
	}
	rec, err := os.ReadFile(s.record(path))
	if errors.Is(err, os.ErrNotExist) {
		return Untrusted, nil
	}
	if err != nil {
		return Untrusted, fmt.Errorf("reading the trust store: %w", err)
	}
	fp, err := Fingerprint(r)
	if err != nil {
		return Untrusted, err
	}
	if recorded, _ := parseRecord(rec); recorded != fp {
		return Changed, nil
	}
	return Trusted, nil
}

// Allow records r, as it is now, as trusted.
func (s *Store) Allow(r *recipe.Recipe) error {
	fp, err := Fingerprint(r)
	if err != nil {
		return err
	}
	if err := statedir.Mkdir(s.Dir); err != nil {
		return fmt.Errorf("making the trust store %s: %w", s.Dir, err)
	}
	path := recipe.RealPath(r.Path)
	tmp, err := os.CreateTemp(s.Dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("writing the trust store: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := fmt.Fprintf(tmp, "%s\n%s\n", fp, path); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the trust store: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the trust store: %w", err)
	}
	return os.Rename(tmp.Name(), s.record(path)) // CreateTemp made it 0600
}

// Revoke removes the record of the recipe at path; it reports whether there
// was one.
func (s *Store) Revoke(path string) (bool, error) {
	err := os.Remove(s.record(recipe.RealPath(path)))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("removing the trust record: %w", err)
}

// record is the file that holds the trust of the recipe at real path.
func (s *Store) record(path string) string {
	sum := sha256.Sum256([]byte(path))
	return filepath.Join(s.Dir, hex.EncodeToString(sum[:16]))
}

// parseRecord reads "FINGERPRINT\nPATH\n".
func parseRecord(b []byte) (fingerprint, path string) {
	fingerprint, rest, _ := strings.Cut(string(b), "\n")
	return fingerprint, strings.TrimSuffix(rest, "\n")
}

// Fingerprint hashes the recipe's bytes and every Dockerfile it builds with:
// the files whose change alters what the recipe may do. The recipe counts
// as the bytes that were parsed, not as the file is now, so that what is
// trusted is what acts.
func Fingerprint(r *recipe.Recipe) (string, error) {
	h := sha256.New()
	fmt.Fprintf(h, "tbx trust v1\nrecipe %s\n", r.Sum)
	for _, name := range r.ToolNames() {
		if t := r.Tool(name); t.Build != "" {
			if err := hashFile(h, "dockerfile "+name, filepath.Join(t.Build, t.Dockerfile)); err != nil {
				return "", err
			}
		}
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(h io.Writer, what, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("reading %s to check its trust: %w", path, err)
	}
	fmt.Fprintf(h, "%s %d\n", what, len(b))
	h.Write(b)
	return nil
}
