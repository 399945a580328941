// Package imageid computes the identity of a tool image: a content hash over
// everything that determines what a build produces, so that an image is
// rebuilt exactly when one of its inputs changes.
package imageid

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/tbx-dev/tbx/toolbox/hashcache"
)

// scheme is mixed into every hash; bump it when what is hashed changes.
const scheme = "tbx-image-v1"

// Inputs are what a build is made from.
type Inputs struct {
	Context    string            // absolute path of the build context
	Dockerfile string            // the Dockerfile, relative to Context
	Args       map[string]string // build args
	Target     string            // build stage, or ""
	Secrets    []string          // the ids of the build's secrets (never their values)
	SSH        bool              // whether the build gets the SSH agent
	CacheDir   string            // where file hashes are remembered by stat; "" remembers nothing
}

// Resolver gives the ID of the image ref names on the Engine, if it is there.
type Resolver func(ref string) (id string, ok bool)

// Identity is the result of hashing a build's inputs.
type Identity struct {
	Hash    string   // hex sha256
	Bases   []string // the images the build starts from
	Missing []string // bases the Engine does not have; the hash is provisional
}

// Compute hashes the Dockerfile, every context file that .dockerignore keeps
// (path, mode, content), the build args and target, and the IDs of the base
// images as resolve finds them.
func Compute(in Inputs, resolve Resolver) (Identity, error) {
	var id Identity
	df, err := os.ReadFile(filepath.Join(in.Context, in.Dockerfile))
	if err != nil {
		return id, fmt.Errorf("reading Dockerfile: %w", err)
	}
	if id.Bases, err = Bases(df, in.Args); err != nil {
		return id, err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\ndockerfile %q\ntarget %q\n", scheme, filepath.ToSlash(in.Dockerfile), in.Target)
	hashArgs(h, in.Args)
	hashBuildMounts(h, in)
	for _, ref := range id.Bases {
		imageID, ok := resolve(ref)
		if !ok {
			id.Missing = append(id.Missing, ref)
			imageID = "missing"
		}
		fmt.Fprintf(h, "from %q %s\n", ref, imageID)
	}
	if err := hashContext(h, in); err != nil {
		return id, err
	}
	id.Hash = hex.EncodeToString(h.Sum(nil))
	return id, nil
}

func hashArgs(h hash.Hash, args map[string]string) {
	keys := make([]string, 0, len(args))
	for k := range args {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "arg %q %q\n", k, args[k])
	}
}

// hashBuildMounts adds the secret ids and the SSH agent, which change what
// a build may do; a build with neither hashes as it always has.
func hashBuildMounts(h hash.Hash, in Inputs) {
	ids := append([]string{}, in.Secrets...)
	sort.Strings(ids)
	for _, id := range ids {
		fmt.Fprintf(h, "secret %q\n", id)
	}
	if in.SSH {
		fmt.Fprintf(h, "ssh\n")
	}
}

// Excludes returns the context's .dockerignore patterns, with the Dockerfile
// and .dockerignore kept as docker keeps them: the builder needs both.
func Excludes(in Inputs) ([]string, error) {
	f, err := os.Open(filepath.Join(in.Context, ".dockerignore"))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading .dockerignore: %w", err)
	}
	if len(patterns) == 0 {
		return nil, nil
	}
	return append(patterns, "!"+filepath.ToSlash(in.Dockerfile), "!.dockerignore"), nil
}

// hashContext walks the context in lexical order, as the upload sees it.
func hashContext(h hash.Hash, in Inputs) error {
	patterns, err := Excludes(in)
	if err != nil {
		return err
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return fmt.Errorf("reading .dockerignore: %w", err)
	}
	cache := hashcache.Open(in.CacheDir, in.Context)
	err = filepath.WalkDir(in.Context, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(in.Context, path)
		if rel == "." {
			return nil
		}
		rel = filepath.ToSlash(rel)
		skip, err := pm.MatchesOrParentMatches(rel)
		if err != nil {
			return err
		}
		if skip {
			if d.IsDir() && !reincludes(pm, rel) {
				return filepath.SkipDir
			}
			return nil
		}
		return hashEntry(h, cache, path, rel, d)
	})
	if err != nil {
		return err
	}
	_ = cache.Save() // a cache that cannot be written only costs the next run a re-read
	return nil
}

// reincludes reports whether an exception pattern may keep something below
// the excluded directory dir, so the walk has to go in.
func reincludes(pm *patternmatcher.PatternMatcher, dir string) bool {
	if !pm.Exclusions() {
		return false
	}
	for _, p := range pm.Patterns() {
		if p.Exclusion() && (strings.HasPrefix(p.String(), dir+"/") || strings.ContainsAny(p.String(), "*?[")) {
			return true
		}
	}
	return false
}

func hashEntry(h hash.Hash, cache *hashcache.Cache, path, rel string, d os.DirEntry) error {
	fi, err := d.Info()
	if err != nil {
		return err
	}
	mode := fi.Mode()
	switch {
	case mode.IsDir():
		fmt.Fprintf(h, "dir %q %o\n", rel, mode.Perm())
	case mode&os.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "link %q %q\n", rel, target)
	case mode.IsRegular():
		sum, err := cache.Sum(path, rel, fi, fileSum)
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "file %q %o %s\n", rel, mode.Perm(), sum)
	}
	return nil
}

func fileSum(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
