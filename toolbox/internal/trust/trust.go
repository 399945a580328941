// Package trust remembers which projects their user has allowed to act. A
// project is trusted by its recipe's real path together with a snapshot of
// everything that decides what it does on this host: the recipe's bytes, the
// lock's, what each build is given, and where each host path it names really
// leads. Any change makes it untrusted again, as `direnv allow` does for an
// .envrc, and the store says what changed.
package trust

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/sys/atomicwriter"

	"github.com/tbx-dev/tbx/toolbox/internal/safefile"
	"github.com/tbx-dev/tbx/toolbox/internal/statedir"
)

// Status is what the store knows of a project.
type Status int

const (
	Untrusted  Status = iota // never trusted, or untrusted since
	Changed                  // trusted once, but it has changed since
	Redirected               // as trusted, but a host path now leads elsewhere
	Trusted                  // trusted as it is now
	Covered                  // under a directory of TBX_TRUST, or --trust
)

// OK reports whether a project with this status may act.
func (s Status) OK() bool { return s == Trusted || s == Covered }

// Snapshot is what trust fingerprints of a project, as it is now.
type Snapshot struct {
	Recipe    string            `json:"recipe"`            // the recipe's real path
	RecipeSum string            `json:"recipe_sum"`        // sha256 of the bytes parsed
	Keys      map[string]string `json:"keys"`              // recipe key → digest of its value, to say what changed
	LockSum   string            `json:"lock_sum"`          // sha256 of toolbox.lock, "" without one
	Contexts  map[string]string `json:"contexts"`          // built tool → content sum of what its build is given
	Paths     map[string]string `json:"paths"`             // host path as the recipe names it → where it leads ("" if nowhere)
	Signers   map[string]string `json:"signers,omitempty"` // public key file of signers → sha256 of its bytes ("" unreadable)
	// Files are, by built tool, the entries of what its build is given
	// (path in the context → digest: contenthash.Content.Entries), so that a
	// change of a context can be said file by file. They are kept beside
	// the record, read only when a context has changed.
	Files map[string]map[string]string `json:"-"`
}

// Verdict is a project's status with what differs from its record.
type Verdict struct {
	Status  Status
	Changes []string // one line each, when Changed or Redirected
	// Files are, by built tool whose context changed, every entry that
	// did (ChangedFiles), where the record kept its manifest: Changes
	// names a few, trust --show lists them all.
	Files map[string][]string
}

// Store keeps one record per trusted project in Dir.
type Store struct {
	Dir    string
	Covers []string // real directories under which every project is trusted
}

// recordVersion is the record format; records of another are not trusted.
const recordVersion = 2

type record struct {
	Version int `json:"version"`
	Snapshot
}

// Covered reports whether the recipe at real path lies under a directory
// of TBX_TRUST.
func (s *Store) Covered(path string) bool {
	for _, d := range s.Covers {
		if safefile.IsWithin(d, path) {
			return true
		}
	}
	return false
}

// Record returns the snapshot trusted for the recipe at real path, or nil.
func (s *Store) Record(path string) (*Snapshot, error) {
	b, err := safefile.Read(s.file(path), 16<<20)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading the trust store: %w", err)
	}
	var rec record
	if json.Unmarshal(b, &rec) != nil || rec.Version != recordVersion || rec.Recipe != path {
		return nil, nil // a record of an older tbx: trust again
	}
	return &rec.Snapshot, nil
}

// Check compares now with the record of its recipe, and returns that
// record (nil when there is none, or when a covering directory makes it
// unneeded). Contexts are compared only for the tools now has read.
func (s *Store) Check(now Snapshot) (Verdict, *Snapshot, error) {
	if s.Covered(now.Recipe) {
		return Verdict{Status: Covered}, nil, nil
	}
	rec, err := s.Record(now.Recipe)
	if err != nil || rec == nil {
		return Verdict{Status: Untrusted}, nil, err
	}
	s.LoadFiles(rec, now)
	return Compare(*rec, now), rec, nil
}

// LoadFiles reads into rec the manifests of the contexts trusted, when a
// context read in now differs from rec's: what Changes names file by
// file. A record without them (of an older tbx) says only which tool.
func (s *Store) LoadFiles(rec *Snapshot, now Snapshot) {
	if rec.Files != nil || len(changedContexts(*rec, now)) == 0 {
		return
	}
	b, err := safefile.Read(s.file(rec.Recipe)+filesSuffix, 64<<20)
	if err == nil {
		_ = json.Unmarshal(b, &rec.Files) // unreadable: said by tool only
	}
}

// filesSuffix names the file beside a record that keeps its manifests.
const filesSuffix = ".files"

// Compare says how now differs from the trusted snapshot was.
func Compare(was, now Snapshot) Verdict {
	if changes := Changes(was, now); len(changes) > 0 {
		files := map[string][]string{}
		for _, tool := range changedContexts(was, now) {
			if changed := ChangedFiles(was.Files[tool], now.Files[tool]); len(changed) > maxNamed {
				files[tool] = changed
			}
		}
		return Verdict{Status: Changed, Changes: changes, Files: files}
	}
	if moved := Moved(was, now); len(moved) > 0 {
		return Verdict{Status: Redirected, Changes: moved}
	}
	return Verdict{Status: Trusted}
}

// Changes lists what differs in the recipe, the lock and the contexts.
func Changes(was, now Snapshot) []string {
	var out []string
	if was.RecipeSum != now.RecipeSum {
		out = append(out, keyChanges(was.Keys, now.Keys)...)
		if len(out) == 0 {
			out = append(out, "the recipe's text (comments or layout)")
		}
	}
	switch {
	case was.LockSum == now.LockSum:
	case now.LockSum == "":
		out = append(out, "toolbox.lock was removed")
	case was.LockSum == "":
		out = append(out, "toolbox.lock was added")
	default:
		out = append(out, "toolbox.lock")
	}
	for _, tool := range changedContexts(was, now) {
		out = append(out, "the files the build of tool "+tool+" is given"+FileChanges(was.Files[tool], now.Files[tool]))
	}
	for _, key := range slices.Sorted(maps.Keys(now.Signers)) {
		if old, ok := was.Signers[key]; !ok || old != now.Signers[key] {
			out = append(out, "the signers' key file "+key)
		}
	}
	return out
}

// changedContexts are the tools, read in both, whose contexts differ.
func changedContexts(was, now Snapshot) []string {
	var out []string
	for _, tool := range slices.Sorted(maps.Keys(now.Contexts)) {
		if old, ok := was.Contexts[tool]; ok && old != now.Contexts[tool] {
			out = append(out, tool)
		}
	}
	return out
}

// maxNamed bounds how many files a change names.
const maxNamed = 6

// FileChanges says which entries differ between two manifests of one
// context (Snapshot.Files), as ": a changed, b added, c removed" with at
// most maxNamed names; "" when either is unknown.
func FileChanges(was, now map[string]string) string {
	said := ChangedFiles(was, now)
	if len(said) == 0 {
		return ""
	}
	if len(said) > maxNamed {
		said = append(said[:maxNamed:maxNamed], fmt.Sprintf("and %d more", len(said)-maxNamed))
	}
	return ": " + strings.Join(said, ", ")
}

// ChangedFiles lists every entry that differs between two manifests of
// one context, each as "PATH changed", "PATH added" or "PATH removed";
// none when either is unknown.
func ChangedFiles(was, now map[string]string) []string {
	if was == nil || now == nil {
		return nil
	}
	var said []string
	for _, p := range slices.Sorted(maps.Keys(now)) {
		switch old, ok := was[p]; {
		case !ok:
			said = append(said, p+" added")
		case old != now[p]:
			said = append(said, p+" changed")
		}
	}
	for _, p := range slices.Sorted(maps.Keys(was)) {
		if _, ok := now[p]; !ok {
			said = append(said, p+" removed")
		}
	}
	return said
}

// Moved lists the host paths that lead elsewhere than when trusted.
func Moved(was, now Snapshot) []string {
	var out []string
	for _, p := range slices.Sorted(maps.Keys(now.Paths)) {
		old, ok := was.Paths[p]
		if !ok || old == now.Paths[p] || old == "" && now.Paths[p] == p {
			continue // made since, where it was named, through no link: nothing was redirected
		}
		out = append(out, fmt.Sprintf("%s now leads to %s, not to %s as when you trusted it", p, orNothing(now.Paths[p]), orNothing(old)))
	}
	return out
}

func orNothing(p string) string {
	if p == "" {
		return "nothing"
	}
	return p
}

func keyChanges(was, now map[string]string) []string {
	added, removed := newTools(was, now), newTools(now, was)
	var out []string
	said := map[string]bool{}
	whole := func(k string, tools map[string]bool, verb string) bool {
		tool := toolOf(k)
		if !tools[tool] {
			return false
		}
		if !said[tool] {
			said[tool] = true
			out = append(out, "tool "+tool+" was "+verb)
		}
		return true
	}
	for _, k := range slices.Sorted(maps.Keys(now)) {
		switch old, ok := was[k]; {
		case !ok && whole(k, added, "added"):
		case !ok:
			out = append(out, "key "+k+" was added")
		case old != now[k]:
			out = append(out, "key "+k+" changed")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(was)) {
		if _, ok := now[k]; !ok && !whole(k, removed, "removed") {
			out = append(out, "key "+k+" was removed")
		}
	}
	return out
}

// newTools are the tools that have keys in now and none in was: a tool
// added whole is said as one change, not as its first key.
func newTools(was, now map[string]string) map[string]bool {
	had := map[string]bool{}
	for k := range was {
		had[toolOf(k)] = true
	}
	out := map[string]bool{}
	for k := range now {
		if t := toolOf(k); t != "" && !had[t] {
			out[t] = true
		}
	}
	return out
}

// toolOf is the tool a recipe key belongs to (tools.NAME.…), or "".
func toolOf(key string) string {
	rest, ok := strings.CutPrefix(key, "tools.")
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, ".")
	return name
}

// Allow records now as trusted, with its manifests beside.
func (s *Store) Allow(now Snapshot) error {
	if err := statedir.Mkdir(s.Dir); err != nil {
		return fmt.Errorf("making the trust store %s: %w", s.Dir, err)
	}
	files, err := json.Marshal(now.Files)
	if err != nil {
		return err
	}
	if err := s.write(s.file(now.Recipe)+filesSuffix, files); err != nil {
		return err
	}
	b, err := json.MarshalIndent(record{Version: recordVersion, Snapshot: now}, "", "  ")
	if err != nil {
		return err
	}
	return s.write(s.file(now.Recipe), append(b, '\n'))
}

// write replaces the file at path in the store with b, whole, readable by
// its owner only.
func (s *Store) write(path string, b []byte) error {
	if err := atomicwriter.WriteFile(path, b, 0o600); err != nil {
		return fmt.Errorf("writing the trust store: %w", err)
	}
	return nil
}

// Revoke removes the record of the recipe at real path; it reports whether
// there was one.
func (s *Store) Revoke(path string) (bool, error) {
	_ = os.Remove(s.file(path) + filesSuffix)
	err := os.Remove(s.file(path))
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, os.ErrNotExist):
		return false, nil
	}
	return false, fmt.Errorf("removing the trust record: %w", err)
}

// RecordFile is the file that holds the trust of the recipe at real path.
func (s *Store) RecordFile(path string) string { return s.file(path) }

// file is the file that holds the trust of the recipe at real path.
func (s *Store) file(path string) string {
	sum := sha256.Sum256([]byte(path))
	return filepath.Join(s.Dir, hex.EncodeToString(sum[:16]))
}

// CoverDirs splits a TBX_TRUST value, PATH[:PATH...], into real absolute
// directories; empty and relative entries are ignored.
func CoverDirs(list string) []string {
	var dirs []string
	for _, d := range filepath.SplitList(list) {
		if !filepath.IsAbs(d) {
			continue
		}
		if real, err := filepath.EvalSymlinks(d); err == nil {
			d = real
		}
		dirs = append(dirs, d)
	}
	return dirs
}
