package acquire

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
)

// verdicts remembers, in the user's cache, which image digests a key was
// verified to have signed, and which images were built here: a verified
// digest is not asked of the registry again, so a run of it costs a stat.
// The directory is the user's own; a project cannot write it. Without a
// directory nothing is remembered and every use verifies.
type verdicts struct{ dir string }

// signed reports whether digested (repository@digest) was verified as
// signed by the key of fingerprint fp.
func (v verdicts) signed(digested, fp string) bool {
	return v.has("signed", digested+" "+fp)
}

// recordSigned remembers that digested was verified as signed by fp.
func (v verdicts) recordSigned(digested, fp string) {
	v.record("signed", digested+" "+fp)
}

// builtHere reports whether the image of that ID was built by this user
// with tbx: its own build, not something a registry served.
func (v verdicts) builtHere(imageID string) bool { return v.has("built", imageID) }

// recordBuilt remembers that the image of that ID was built here.
func (v verdicts) recordBuilt(imageID string) { v.record("built", imageID) }

func (v verdicts) has(kind, fact string) bool {
	if v.dir == "" || fact == "" {
		return false
	}
	b, err := os.ReadFile(v.path(kind, fact))
	return err == nil && string(b) == fact+"\n"
}

func (v verdicts) record(kind, fact string) {
	if v.dir == "" || fact == "" {
		return
	}
	path := v.path(kind, fact)
	if os.MkdirAll(filepath.Dir(path), 0o700) != nil {
		return
	}
	tmp := path + ".tmp"
	if os.WriteFile(tmp, []byte(fact+"\n"), 0o600) == nil {
		os.Rename(tmp, path)
	}
}

func (v verdicts) path(kind, fact string) string {
	sum := sha256.Sum256([]byte(fact))
	return filepath.Join(v.dir, "signatures", kind, hex.EncodeToString(sum[:]))
}
