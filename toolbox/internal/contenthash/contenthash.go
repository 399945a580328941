// Package contenthash computes the identity of a tool image: a content hash over
// everything that determines what a build produces, so that an image is
// rebuilt exactly when one of its inputs changes.
package contenthash

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"syscall"

	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/tbx-dev/tbx/toolbox/internal/buildkit"
	"github.com/tbx-dev/tbx/toolbox/internal/hashcache"
	"github.com/tbx-dev/tbx/toolbox/internal/safefile"
)

// scheme is mixed into every hash; bump it when what is hashed changes.
const scheme = "tbx-image-v2"

// Inputs are what a build is made from.
type Inputs struct {
	Context    string            // absolute path of the build context
	Dockerfile string            // the Dockerfile, relative to Context
	Args       map[string]string // build args
	Target     string            // build stage, or ""
	Secrets    []string          // the ids of the build's secrets (never their values)
	SSH        bool              // whether the build gets the SSH agent
	SSHIDs     []string          // with ssh = [...], the ids it names
	CacheDir   string            // where file hashes are remembered by stat; "" remembers nothing
}

// Resolver gives the ID of the image ref names on the Engine, if it is there.
type Resolver func(ref string) (id string, ok bool)

// Content is what a build is given from the host, hashed without the Engine:
// the Dockerfile, every context file that the ignore file keeps (path, mode,
// content), the build args, target, secret ids and SSH agent. It is what
// trust fingerprints, and half of a tool's identity.
type Content struct {
	Sum   string   // hex sha256
	Bases []string // the images the build starts from
	// Entries name what each entry of the context (by its path in the
	// context) is: a digest of what the hash took of it, its kind, mode
	// and contents or target. Two contents differ in the entries whose
	// digests differ, added or removed: what trust says changed.
	Entries map[string]string
	// Remote are the sources the Dockerfile's ADD lines fetch at build
	// time with nothing to pin them ("line N: ADD URL": a URL without
	// --checksum, a Git repository not at a commit): what they serve is
	// outside the content, so a change there makes no new image until a
	// forced build.
	Remote []string
	// Frontend is the `# syntax=` frontend a Dockerfile asks for, when
	// tbx does not carry it and its own grammar cannot read the Dockerfile
	// (a -labs flag, a newer instruction): the build is that frontend's
	// (the Engine fetches it), and the base images it names are not read,
	// so they are neither in the identity nor pinned.
	Frontend string
	// Broken is why the build cannot be read as one, in words that say
	// it whole: its Dockerfile does not parse (or a FROM does not
	// expand), or its context or Dockerfile is not there (a tool added to
	// the recipe before its files). The build would fail, but what is
	// there is hashed all the same, so trust can record it and the
	// recipe's other tools build and run.
	Broken error
}

// Identity is the result of hashing a build's inputs.
type Identity struct {
	Hash    string   // hex sha256
	Bases   []string // the images the build starts from
	Missing []string // bases the Engine does not have; the hash is provisional
}

// MaxDockerfile is the largest Dockerfile (or ignore file) tbx reads.
const MaxDockerfile = safefile.MaxSize

// ReadDockerfile returns the Dockerfile's bytes: a regular file inside the
// context once its links are followed, at most MaxDockerfile bytes.
func ReadDockerfile(in Inputs) ([]byte, error) {
	df, err := safefile.ReadWithin(in.Context, filepath.Join(in.Context, in.Dockerfile), MaxDockerfile)
	if err != nil {
		return nil, fmt.Errorf("reading the Dockerfile %s: %w", filepath.Join(in.Context, in.Dockerfile), unwrapPath(err))
	}
	return df, nil
}

// ReadContent hashes the inputs that come from the host. Files that are
// not there, or cannot be read as a build's, make it Broken: its tool
// alone is held up.
func ReadContent(in Inputs) Content {
	var c Content
	df, err := ReadDockerfile(in)
	if err != nil {
		if why := Absent(in); why != nil {
			return brokenContent(in, "absent", why)
		}
		return brokenContent(in, "unreadable", err)
	}
	f, err := readDockerfile(df, in.Args)
	if err != nil {
		if sx := buildkit.SyntaxOf(df); sx.Ref != "" && !sx.Carried {
			c.Frontend = sx.Ref // its grammar, not tbx's, decides
		} else {
			c.Broken = fmt.Errorf("its Dockerfile does not parse: %w", Located(filepath.Join(in.Context, in.Dockerfile), err))
		}
	}
	c.Bases, c.Remote = f.bases, f.remote
	h := sha256.New()
	fmt.Fprintf(h, "%s\ndockerfile %q\ntarget %q\n", scheme, filepath.ToSlash(in.Dockerfile), in.Target)
	hashArgs(h, in.Args)
	hashBuildMounts(h, in)
	c.Entries = map[string]string{}
	if err := hashContext(h, in, c.Entries); err != nil {
		return brokenContent(in, "unreadable", fmt.Errorf("its build context cannot be read: %w", err))
	}
	c.Sum = hex.EncodeToString(h.Sum(nil))
	return c
}

// Absent says that a build's context, or its Dockerfile, is not there;
// nil when both are.
func Absent(in Inputs) error {
	if fi, err := os.Stat(in.Context); err != nil || !fi.IsDir() {
		return fmt.Errorf("its build context %s is not a directory", in.Context)
	}
	df := filepath.Join(in.Context, in.Dockerfile)
	if _, err := os.Lstat(df); errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("there is no Dockerfile at %s", df)
	}
	return nil
}

// brokenContent is the content of a build whose files are not there, or
// cannot be read as a build's (a Dockerfile that leads outside its
// context, an ignore file that does not parse, a file that cannot be
// read): its sum says what is wrong, so that trust records it and a
// change there is a change, and the tool alone is broken.
func brokenContent(in Inputs, kind string, why error) Content {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s %q\ndockerfile %q\n", scheme, kind, why.Error(), filepath.ToSlash(in.Dockerfile))
	return Content{Broken: why, Sum: hex.EncodeToString(h.Sum(nil)), Entries: map[string]string{}}
}

// Identity adds the base images, as resolve finds them, to the content.
func (c Content) Identity(resolve Resolver) Identity {
	id := Identity{Bases: c.Bases}
	h := sha256.New()
	fmt.Fprintf(h, "%s\ncontent %s\n", scheme, c.Sum)
	for _, ref := range c.Bases {
		imageID, ok := resolve(ref)
		if !ok {
			id.Missing = append(id.Missing, ref)
			imageID = "missing"
		}
		fmt.Fprintf(h, "from %q %s\n", ref, imageID)
	}
	id.Hash = hex.EncodeToString(h.Sum(nil))
	return id
}

// Compute is ReadContent and Identity in one.
func Compute(in Inputs, resolve Resolver) Identity {
	return ReadContent(in).Identity(resolve)
}

// unwrapPath drops the operation and path an *os.PathError repeats.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
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
	for _, id := range slices.Sorted(slices.Values(in.SSHIDs)) {
		fmt.Fprintf(h, "ssh id %q\n", id)
	}
}

// IgnoreFile is the ignore file the build uses: <Dockerfile>.dockerignore
// next to the Dockerfile before the context's .dockerignore, as BuildKit
// chooses; "" when there is none.
func IgnoreFile(in Inputs) string {
	for _, p := range []string{filepath.Join(in.Context, in.Dockerfile) + ".dockerignore", filepath.Join(in.Context, ".dockerignore")} {
		if _, err := os.Lstat(p); err == nil {
			return p
		}
	}
	return ""
}

// Excludes returns the build's ignore patterns, with the Dockerfile and
// .dockerignore kept as docker keeps them: the builder needs both.
func Excludes(in Inputs) ([]string, error) {
	patterns, _, err := excludes(in)
	return patterns, err
}

// excludes is Excludes, and the patterns compiled once for a walk: a
// pattern that does not compile is said by the ignore file's line.
func excludes(in Inputs) ([]string, *patternmatcher.PatternMatcher, error) {
	path := IgnoreFile(in)
	if path == "" {
		pm, err := patternmatcher.New(nil)
		return nil, pm, err
	}
	src, err := safefile.ReadWithin(in.Context, path, MaxDockerfile)
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, unwrapPath(err))
	}
	patterns, err := ignorefile.ReadAll(bytes.NewReader(src))
	if err != nil {
		return nil, nil, fmt.Errorf("reading %s: %w", path, err)
	}
	if len(patterns) == 0 {
		patterns = nil
	} else {
		patterns = append(patterns, "!"+filepath.ToSlash(in.Dockerfile), "!.dockerignore")
	}
	pm, err := patternmatcher.New(patterns)
	if err != nil {
		return nil, nil, badPattern(path, src, err)
	}
	return patterns, pm, nil
}

// badPattern names the line of the ignore file at path (its bytes src)
// whose pattern err is about: the first that does not compile alone.
func badPattern(path string, src []byte, err error) error {
	for i, line := range strings.Split(string(src), "\n") {
		p, _ := ignorefile.ReadAll(strings.NewReader(line))
		if _, perr := patternmatcher.New(p); perr != nil {
			return fmt.Errorf("%s:%d: %q: %w", path, i+1, strings.TrimSpace(line), perr)
		}
	}
	return fmt.Errorf("%s: %w", path, err)
}

// hashContext walks the context in lexical order, as the upload sees it.
func hashContext(h hash.Hash, in Inputs, entries map[string]string) error {
	_, pm, err := excludes(in)
	if err != nil {
		return err
	}
	var cache *hashcache.Cache
	err = walkContext(in, pm, func(root string) { cache = hashcache.Open(in.CacheDir, root) }, func(path, rel string, d os.DirEntry) error {
		line, err := entryLine(cache, path, rel, d)
		if err != nil || line == "" {
			return err
		}
		io.WriteString(h, line)
		sum := sha256.Sum256([]byte(line))
		entries[rel] = hex.EncodeToString(sum[:8])
		return nil
	})
	if err != nil {
		return err
	}
	_ = cache.Save() // a cache that cannot be written only costs the next run a re-read
	return nil
}

// ErrTooMany stops ContextFiles past its limit.
var ErrTooMany = errors.New("more files than the limit")

// ContextFiles lists, in the walk's order, every path of the build's
// context that its ignore rules keep (what the build is given, and what
// its identity hashes), with the context's root, the Dockerfile and the
// ignore file: the files
// a decision on the tool's image depends on. It stops with ErrTooMany
// past limit paths.
func ContextFiles(in Inputs, limit int) ([]string, error) {
	if Absent(in) != nil {
		// What is not there yet: its coming is a change.
		return []string{in.Context, filepath.Join(in.Context, in.Dockerfile)}, nil
	}
	_, pm, err := excludes(in)
	if err != nil {
		// Broken by its ignore file alone, whatever else is there: a
		// change of that file is the change.
		return []string{in.Context, IgnoreFile(in), filepath.Join(in.Context, in.Dockerfile)}, nil
	}
	var out []string
	if f := IgnoreFile(in); f != "" {
		out = append(out, f)
	}
	out = append(out, filepath.Join(in.Context, in.Dockerfile))
	add := func(root string) { out = append(out, root) } // an entry added or removed at the top
	err = walkContext(in, pm, add, func(path, _ string, _ os.DirEntry) error {
		if out = append(out, path); len(out) > limit {
			return ErrTooMany
		}
		return nil
	})
	return out, err
}

// walkContext calls each, in lexical order, for every entry of the
// context that the build's ignore rules (pm, from excludes) keep, once it
// has called start with the context's real root.
func walkContext(in Inputs, pm *patternmatcher.PatternMatcher, start func(root string), each func(path, rel string, d os.DirEntry) error) error {
	// A context reached through a symbolic link is its target's files, as
	// the build is given them: the walk does not follow a link, not even
	// the root's.
	root, err := filepath.EvalSymlinks(in.Context)
	if err != nil {
		return fmt.Errorf("reading the build context %s: %w", in.Context, err)
	}
	start(root)
	return filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
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
		return each(path, rel, d)
	})
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

// entryLine is what the hash takes of one entry of the context: its
// kind, path, mode and contents' sum or link target; "" for anything else.
func entryLine(cache *hashcache.Cache, path, rel string, d os.DirEntry) (string, error) {
	fi, err := d.Info()
	if err != nil {
		return "", err
	}
	mode := fi.Mode()
	switch {
	case mode.IsDir():
		return fmt.Sprintf("dir %q %o\n", rel, mode.Perm()), nil
	case mode&os.ModeSymlink != 0:
		target, err := os.Readlink(path)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("link %q %q\n", rel, target), nil
	case mode.IsRegular():
		sum, err := cache.Sum(path, rel, fi, fileSum)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("file %q %o %s\n", rel, mode.Perm(), sum), nil
	}
	return "", nil
}

func fileSum(path string) (string, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0) // a FIFO swapped in does not block
	if err != nil {
		return "", err
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is no longer a regular file", path)
	}
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
