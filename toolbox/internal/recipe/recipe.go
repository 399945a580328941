// Package recipe reads a team's toolbox.toml: it finds the file, decodes it
// strictly, applies [defaults] to every tool and validates the result. Every
// problem is reported as an *Error naming the file, line, column and key.
package recipe

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/distribution/reference"

	"github.com/tbx-dev/tbx/toolbox/internal/safefile"

	"github.com/tbx-dev/tbx/toolbox/internal/hostargs"
)

// FileName is the recipe's name in a project root.
const FileName = "toolbox.toml"

// Recipe is a validated toolbox.toml.
type Recipe struct {
	Path     string            // absolute path of the recipe file
	Sum      string            // SHA-256 of the bytes that were parsed, hex
	Keys     map[string]string // every key that has a value → a digest of the value, to say what changed
	Dir      string            // project root: the directory holding the recipe
	Name     string            // [toolbox] name: names images and labels
	Registry string            // [toolbox] registry: the team registry, host[:port][/path], or ""
	// Mirrors are where copies of the team registry's images may also be
	// served ([toolbox] mirrors, each host[:port][/path]): a signature
	// naming the image under the registry or any mirror counts, and the
	// lock holds through any of them.
	Mirrors []string
	Signers []string // [toolbox] signers: absolute paths of the public keys (or Sigstore trusted roots) that sign the team's tools
	// SignedBy is who signs the team's tools keyless ([toolbox]
	// certificate_identity and certificate_oidc_issuer), or zero.
	SignedBy Identity
	Defaults Run // [defaults]
	Tools    []*Tool
}

// Tool is one [tools.NAME] table with [defaults] applied.
type Tool struct {
	Name        string
	Description string
	Image       string            // a reference to pull; empty for a built tool
	Build       string            // absolute build context; empty for a pulled tool
	Dockerfile  string            // path of the Dockerfile relative to Build
	Target      string            // build stage
	Args        map[string]string // build args
	Secrets     []Secret          // build secrets for RUN --mount=type=secret
	SSH         bool              // the build gets SSH for RUN --mount=type=ssh
	SSHKeys     []SSHKey          // ssh = [...]: what each id gets; none: the agent under every id
	// Entitlements are what the build may do beyond its sandbox
	// (EntitlementHostNetwork), as buildx's --allow.
	Entitlements []string
	Version      string   // what `tbx ls` shows as its version
	Commands     []string // commands the tool provides
	// Signers are the public key files (absolute paths) one of which must
	// have signed the tool's image before it runs; none: no signature is
	// required. A built tool gets [toolbox] signers unless it names its
	// own; a pulled tool only its own. A signer may also be a Sigstore
	// trusted root (trusted_root.json), for signatures made keyless by
	// SignedBy.
	Signers  []string
	SignedBy Identity
	Run      Run // how its containers run
}

// Identity is who signs keyless, as cosign's verify names them: the
// subject of the signing certificate (--certificate-identity: a CI
// workflow's ref, an email) and the OIDC issuer that vouched for it
// (--certificate-oidc-issuer). Both are matched exactly.
type Identity struct {
	Subject string
	Issuer  string
}

// Secret is a build secret: an id, and where its value comes from (an
// environment variable or a file). Only the id is part of the image's
// identity; the value never leaves the build's session.
type Secret struct {
	ID  string
	Env string // variable name, or ""
	Src string // absolute file path, or ""
}

// SSHKey is one entry of ssh = ["ID", "ID=KEYFILE"]: the id a RUN
// --mount=type=ssh names, and the private key file it gets, or the
// caller's agent when Key is "".
type SSHKey struct {
	ID  string
	Key string // absolute path, or ""
}

// Run holds the keys that shape a tool's containers; [defaults] and each tool
// share them. Unset booleans are nil so that defaults can be told apart.
type Run struct {
	Env        []string // NAME, glob (AZURE_*) or NAME=value
	Volumes    []string // host-path:container-path[:ro] or volume:container-path
	Workdir    string
	Entrypoint []string
	Network    string
	User       string // "" (the caller), "root" or "image"
	SSHAgent   *bool
	Docker     *bool          // mount the Engine's socket (root on the host)
	Warm       *time.Duration // keep a container for runs, stopped after this idle time; 0 is off
	Spare      *time.Duration // keep a spare for the next throwaway run, removed after this idle time; 0 is off
	Memory     int64          // bytes; 0 is no limit
	CPUs       float64        // 0 is no limit
	Pids       int64          // 0 is no limit
	ReadOnly   *bool
	Init       *bool
	Proxy      *bool  // pass the host's proxy variables (default true)
	CABundle   string // absolute path of an extra CA bundle
	// Home are the entries of the caller's HOME shared with the tool, in
	// its own HOME at the same place (home = ["~/.kube", "~/.azure:rw"]).
	Home []HomeEntry
	// HostPaths is what a run's arguments (and PathEnv's variables) may
	// give the tool of the host outside the project: host_paths = "off"
	// (""), "args" or "args:rw".
	HostPaths string
	PathEnv   []string // the variables that name host paths (KUBECONFIG)
}

// HostPathMode is what host_paths lets a run's arguments give the tool
// (its value was checked when the recipe was read).
func (r Run) HostPathMode() hostargs.Mode {
	m, _ := hostargs.ParseMode(r.HostPaths)
	return m
}

// HomeEntry is one entry of the caller's HOME that a tool sees in its own
// HOME: read-only unless the recipe marks it :rw.
type HomeEntry struct {
	Src string // the absolute host path, under the caller's HOME
	Rel string // where under HOME, as a slash path: .kube, .config/gh
	RW  bool
}

// CheckRegistry tells whether s names a registry (host[:port][/path]) that
// tool images can be pushed under; it returns why not.
func CheckRegistry(s string) error {
	ref, err := reference.ParseNormalizedNamed(s + "/project/tool:tag")
	if err != nil || strings.Contains(s, "@") || strings.HasSuffix(s, "/") {
		return fmt.Errorf("%q is not a registry: write host[:port][/path], e.g. registry.example.com/team or 127.0.0.1:5000", s)
	}
	if d := reference.Domain(ref); d == "docker.io" && !strings.HasPrefix(s, "docker.io") {
		return fmt.Errorf("%q names no registry host: write host[:port][/path], e.g. registry.example.com/team", s)
	}
	return nil
}

// Flag reads an optional boolean with its default.
func Flag(b *bool, def bool) bool {
	if b == nil {
		return def
	}
	return *b
}

// Tool returns the tool called name, or nil.
func (r *Recipe) Tool(name string) *Tool {
	for _, t := range r.Tools {
		if t.Name == name {
			return t
		}
	}
	return nil
}

// Command returns the tool that provides command, or nil.
func (r *Recipe) Command(command string) *Tool {
	for _, t := range r.Tools {
		for _, c := range t.Commands {
			if c == command {
				return t
			}
		}
	}
	return nil
}

// ToolNames lists the tools' names, sorted.
func (r *Recipe) ToolNames() []string {
	names := make([]string, len(r.Tools))
	for i, t := range r.Tools {
		names[i] = t.Name
	}
	sort.Strings(names)
	return names
}

// ErrNotFound is returned by Find when no recipe is above the directory.
var ErrNotFound = errors.New("no " + FileName + " found")

// Find walks up from dir to the nearest toolbox.toml, as git finds .git.
func Find(dir string) (string, error) {
	path, _, err := Discover(dir)
	return path, err
}

// Discover is Find, with the places it passed over: the recipe's name in
// each directory between dir and the recipe's. A recipe that appears in
// one of them is the one a call from dir reads, so a decision made from
// this recipe holds only while they stay absent.
func Discover(dir string) (path string, passed []string, err error) {
	dir, err = filepath.Abs(dir)
	if err != nil {
		return "", nil, err
	}
	for d := dir; ; d = filepath.Dir(d) {
		p := filepath.Join(d, FileName)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
			return p, passed, nil
		}
		passed = append(passed, p)
		if filepath.Dir(d) == d {
			return "", nil, fmt.Errorf("%w in %s or any parent directory; run `tbx init` to make one, or pass --file", ErrNotFound, dir)
		}
	}
}

// MaxSize is the largest recipe tbx reads: far beyond any real one, small
// enough that a wrong --file (a log, a disk image) fails at once.
const MaxSize = safefile.MaxSize

// Load reads, decodes and validates the recipe at path, relative to
// o.Cwd; errors name it relative to o.Cwd when that is shorter.
func Load(path string, o Options) (*Recipe, error) {
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(o.Cwd, path)
	}
	abs = filepath.Clean(abs)
	name := displayName(abs, o.Cwd)
	src, err := read(abs, name)
	if err != nil {
		return nil, err
	}
	return Parse(abs, name, src, o)
}

// read returns the recipe file's bytes, or an error that names the file and
// says what is wrong with it. A FIFO, a device or a huge file is refused at
// once, without blocking or reading it.
func read(abs, name string) ([]byte, error) {
	src, err := safefile.Read(abs, MaxSize)
	switch {
	case err == nil:
		return src, nil
	case errors.Is(err, safefile.ErrTooBig):
		var size int64
		if fi, serr := os.Stat(abs); serr == nil {
			size = fi.Size()
		}
		return nil, fmt.Errorf("the recipe %s is %d bytes; a recipe is at most %d (is it the right file?)", name, size, MaxSize)
	case errors.Is(err, safefile.ErrNotRegular):
		if fi, serr := os.Stat(abs); serr == nil && fi.IsDir() {
			return nil, fmt.Errorf("the recipe %s is a directory; pass the file: --file %s", name, filepath.Join(name, FileName))
		}
		return nil, fmt.Errorf("the recipe %s is %v", name, err)
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return nil, fmt.Errorf("cannot read the recipe %s: %w", name, err)
}

// displayName is how errors name the file: relative to the working
// directory wd when that is shorter.
func displayName(abs, wd string) string {
	if wd == "" {
		return abs
	}
	rel, err := filepath.Rel(wd, abs)
	if err != nil || len(rel) >= len(abs) {
		return abs
	}
	return rel
}
