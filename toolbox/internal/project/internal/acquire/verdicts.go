package acquire

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"

	"github.com/moby/sys/atomicwriter"
)

// facts are what tbx remembers as one-line files in a directory of the
// user's own, one file per fact, named by the fact's hash. A project
// cannot write there. Without a directory nothing is remembered, and
// nothing is found.
type facts struct{ dir string }

func (f facts) has(fact string) bool {
	if f.dir == "" || fact == "" {
		return false
	}
	b, err := os.ReadFile(f.path(fact))
	return err == nil && string(b) == fact+"\n"
}

func (f facts) record(fact string) {
	if f.dir == "" || fact == "" {
		return
	}
	if os.MkdirAll(f.dir, 0o700) != nil {
		return
	}
	_ = atomicwriter.WriteFile(f.path(fact), []byte(fact+"\n"), 0o600)
}

func (f facts) path(fact string) string {
	sum := sha256.Sum256([]byte(fact))
	return filepath.Join(f.dir, hex.EncodeToString(sum[:]))
}

// verdicts remembers, in the user's cache, which image digests a key was
// verified to have signed: a verified digest is not asked of the registry
// again, so a run of it costs a stat. Losing them costs a verification.
type verdicts struct{ facts }

// signed reports whether digested (repository@digest) was verified as
// signed by the key of fingerprint fp.
func (v verdicts) signed(digested, fp string) bool { return v.has(digested + " " + fp) }

// recordSigned remembers that digested was verified as signed by fp.
func (v verdicts) recordSigned(digested, fp string) { v.record(digested + " " + fp) }

// builds is tbx's record, in the user's state, of the images it built:
// each by its image ID and the content hash it was built from, written
// only when a build this user ran returns. An image found under a tool's
// tag is "built here" only when it is in this record: a tag is a name
// anyone with the Engine can give to any image (docker tag, docker load).
type builds struct{ facts }

// builtHere reports whether this user's tbx built image id from the
// inputs of that content hash.
func (b builds) builtHere(id, hash string) bool { return b.has(id + " " + hash) }

// recordBuilt remembers that a build of this user's made image id from
// the inputs of that content hash.
func (b builds) recordBuilt(id, hash string) { b.record(id + " " + hash) }
