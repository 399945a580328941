// Package route remembers how a warm command was last started through its
// helper's socket, so that the next identical call starts it the same way
// without reading the recipe or asking the Engine: tbx's front reads the
// route, checks that nothing it was made of has changed, and connects.
//
// A route is found by the call: the working directory, the command and
// whether it runs on a terminal. It holds the request (less the caller's
// arguments, and with the values it took from the caller's environment
// left out: those are taken again from the call, never written), a hash of
// the variables that tbx or the recipe's env rules read, the caller's uid
// and gid, stamps of every file the call's inputs name (the project's
// Inputs, where also the places a nearer recipe would be found are) and
// where each path led. Any difference is a miss: the call goes the whole
// way, which writes a new route. A route file is read only when it is a
// regular file of the caller's, without blocking.
package route

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tbx-dev/tbx/toolbox/internal/direct"
	"github.com/tbx-dev/tbx/toolbox/internal/hostargs"
)

// version is the format of a route; a route of another is a miss.
const version = 5

// maxSize bounds a route file.
const maxSize = 4 << 20

// Call is what a call of tbx is made of, for the purpose of finding its
// route.
type Call struct {
	Cwd      string
	Command  string
	TTY      bool
	Environ  []string
	UID, GID int
}

// key names the call's route.
func (c Call) key() string {
	h := sha256.New()
	for _, s := range []string{strconv.Itoa(version), c.Cwd, c.Command, strconv.FormatBool(c.TTY), strconv.Itoa(c.UID)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Route is how a call was started.
type Route struct {
	Version int            `json:"version"`
	Socket  string         `json:"socket"`  // the host directory of the helper's socket
	Server  int            `json:"server"`  // the host pid of the helper that serves it
	Prefix  []string       `json:"prefix"`  // the argv before the caller's command and arguments
	Request direct.Request `json:"request"` // the environment, directory and user; no argv
	Stamps  []Stamp        `json:"stamps"`
	// Watched are the stamps of the builds' files, when a watcher keeps
	// them (package watch): WatchKey, their digest, names it. While it
	// vouches for them, the front does not stamp them itself; they are
	// kept in a file of their own, named by the key, read only when no
	// watcher vouches.
	Watched  []Stamp           `json:"-"`
	WatchKey string            `json:"watchKey,omitempty"`
	Links    map[string]string `json:"links"` // host path → where it led and what was there (Lead; "" nowhere)
	Rules    []string          `json:"rules"` // the names and patterns of the tool's env rules
	EnvSum   string            `json:"env"`   // a hash of the watched variables as they were
	UID      int               `json:"uid"`   // the caller's uid and gid
	GID      int               `json:"gid"`
	// Spare is the tool whose spare the socket is: it serves one run, after
	// which the front has the next one made.
	Spare string `json:"spare,omitempty"`
	// HostArgs says that the tool's arguments may name host paths outside
	// the project (host_paths), which a run mounts for itself: a call that
	// names one goes the whole way. Root is the project's real root.
	HostArgs bool   `json:"hostArgs,omitempty"`
	Root     string `json:"root,omitempty"`

	state string // the state directory it was read from
}

// Dir is where the routes are kept under tbx's state directory.
func Dir(state string) string { return filepath.Join(state, "routes") }

// Read returns the route of call, or an error when there is none. Its
// request's environment is whole again, from the call's.
func Read(state string, call Call) (*Route, error) {
	b, err := readOwn(filepath.Join(Dir(state), call.key()), call.UID)
	if err != nil {
		return nil, err
	}
	var r Route
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	if r.Version != version || r.Socket == "" {
		return nil, errors.New("a route of another format")
	}
	r.state = state
	env, ok := expand(r.Request.Env, call.Environ)
	if !ok {
		return nil, errors.New("a variable the route takes is gone")
	}
	r.Request.Env = env
	return &r, nil
}

// fromCaller leaves out of env (NAME=VALUE) the values that are the
// caller's, of the variables the route watches, as NAME alone: they are
// taken again from the caller's environment when the route is read (where
// the hash says they are as they were).
func fromCaller(env, environ, rules []string) []string {
	out := make([]string, len(env))
	for i, kv := range env {
		out[i] = kv
		if name, _, _ := strings.Cut(kv, "="); watched(name, rules) && slices.Contains(environ, kv) {
			out[i] = name
		}
	}
	return out
}

// expand is env with each NAME alone given its value in environ.
func expand(env, environ []string) ([]string, bool) {
	out := make([]string, len(env))
	for i, kv := range env {
		out[i] = kv
		if strings.Contains(kv, "=") {
			continue
		}
		v, ok := lookup(environ, kv)
		if !ok {
			return nil, false
		}
		out[i] = kv + "=" + v
	}
	return out, true
}

func lookup(environ []string, name string) (string, bool) {
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}

// Write keeps r as the route of call: written whole, then renamed into
// place, readable by the user only.
func Write(state string, call Call, r Route) error {
	r.Version = version
	r.EnvSum = envSum(call.Environ, r.Rules)
	r.UID, r.GID = call.UID, call.GID
	r.Request.Env = fromCaller(r.Request.Env, call.Environ, r.Rules)
	if err := os.MkdirAll(Dir(state), 0o700); err != nil {
		return err
	}
	if r.WatchKey != "" {
		b, err := json.Marshal(r.Watched)
		if err == nil {
			err = writeWhole(watchedFile(state, r.WatchKey), b)
		}
		if err != nil {
			return err
		}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	return writeWhole(filepath.Join(Dir(state), call.key()), b)
}

// writeWhole writes b to path, whole or not at all, readable by the user
// only.
func writeWhole(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".new-")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		_ = os.Remove(f.Name())
	}
	return err
}

// Clear forgets every route: what a build, a pull, a trust or a gc may
// have changed is then found the whole way again.
func Clear(state string) error {
	err := os.RemoveAll(Dir(state))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Fresh reports whether call's environment has the watched variables as
// they were, every stamped file is as it was and every host path still
// leads where it led. The files a watcher keeps are stamped only when
// vouched, asked with the route's WatchKey, says no.
func (r *Route) Fresh(call Call, vouched func(key string) bool) bool {
	if envSum(call.Environ, r.Rules) != r.EnvSum || call.UID != r.UID || call.GID != r.GID {
		return false
	}
	if !same(r.Stamps) {
		return false
	}
	if r.WatchKey != "" && !vouched(r.WatchKey) && !r.watchedSame() {
		return false
	}
	for p, lead := range r.Links {
		if Lead(p) != lead {
			return false
		}
	}
	return true
}

// Lead is where the host path p leads once every link is followed, and
// what is there, its device and inode: a file or directory replaced at
// the same name (an editor's save, `rm -rf out && mkdir out`, a checkout)
// is another one, which a container started before does not see. ""
// when p leads nowhere.
func Lead(p string) string {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return ""
	}
	fi, err := os.Stat(real)
	if err != nil {
		return ""
	}
	dev, ino := identity(fi)
	return fmt.Sprintf("%s@%d:%d", real, dev, ino)
}

// watchedSame reports whether the files a watcher keeps are as the route
// stamped them, stamping each: the slow way, with no watcher to ask.
func (r *Route) watchedSame() bool {
	b, err := readOwn(watchedFile(r.state, r.WatchKey), r.UID)
	var stamps []Stamp
	if err == nil {
		err = json.Unmarshal(b, &stamps)
	}
	return err == nil && Digest(stamps) == r.WatchKey && same(stamps)
}

// watchedFile keeps the stamps of the files a watcher of key keeps.
func watchedFile(state, key string) string { return filepath.Join(Dir(state), "watched-"+key) }

// same reports whether every file is as its stamp says.
func same(stamps []Stamp) bool {
	for _, s := range stamps {
		if StampOf(s.Path) != s {
			return false
		}
	}
	return true
}

// StampsOf stamps each of paths.
func StampsOf(paths []string) []Stamp {
	out := make([]Stamp, len(paths))
	for i, p := range paths {
		out[i] = StampOf(p)
	}
	return out
}

// Digest names a list of stamps: what a watcher checks them against.
func Digest(stamps []Stamp) string {
	h := sha256.New()
	enc := json.NewEncoder(h)
	for _, s := range stamps {
		_ = enc.Encode(s)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Stamp is what a file is as the file system says: any edit, replacement
// or removal changes it.
type Stamp struct {
	Path  string `json:"path"`
	Size  int64  `json:"size"`
	MTime int64  `json:"mtime"`
	CTime int64  `json:"ctime"`
	Inode uint64 `json:"inode"`
	Mode  uint32 `json:"mode"`
	Gone  bool   `json:"gone,omitempty"`
}

// StampOf stamps the file at path (not following a last symlink).
func StampOf(path string) Stamp {
	fi, err := os.Lstat(path)
	if err != nil {
		return Stamp{Path: path, Gone: true}
	}
	ctime, inode := sysStamp(fi)
	return Stamp{Path: path, Size: fi.Size(), MTime: fi.ModTime().UnixNano(), CTime: ctime, Inode: inode, Mode: uint32(fi.Mode())}
}

// watchedPrefixes and watchedNames are the variables tbx reads, itself or
// through the Docker client, and those that shape a tool's environment.
var (
	watchedPrefixes = []string{"TBX_", "DOCKER_", "XDG_", "SSH_"}
	watchedNames    = []string{"HOME", "USER", "LOGNAME", "TERM"}
)

// Watched is the part of environ a route depends on, sorted: tbx's own
// variables, the proxies, and those that rules (env rule names or
// patterns) pass to the tool.
func Watched(environ, rules []string) []string {
	var out []string
	for _, kv := range environ {
		name, _, _ := strings.Cut(kv, "=")
		if watched(name, rules) {
			out = append(out, kv)
		}
	}
	slices.Sort(out)
	return out
}

// envSum is a hash of the watched part of environ: a route keeps no value.
func envSum(environ, rules []string) string {
	h := sha256.New()
	for _, kv := range Watched(environ, rules) {
		h.Write([]byte(kv))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

func watched(name string, rules []string) bool {
	if slices.Contains(watchedNames, name) || strings.HasSuffix(strings.ToUpper(name), "_PROXY") {
		return true
	}
	for _, p := range watchedPrefixes {
		if strings.HasPrefix(name, p) {
			return true
		}
	}
	for _, rule := range rules {
		if ok, _ := path.Match(rule, name); ok || rule == name {
			return true
		}
	}
	return false
}

// NamesHostPaths reports whether args (the command and its arguments, as
// the caller gave them in cwd) name a path outside the project that the
// core would mount for the run, where the route's tool takes host paths,
// or, where it does not, that exists: such a call goes the whole way, as
// its container needs mounts of its own, or the core says the tool does
// not see it. Paths under the image's system directories are never
// mounted.
func (r *Route) NamesHostPaths(args []string, cwd string) bool {
	if r.Root == "" {
		return false
	}
	for _, a := range args {
		for _, w := range hostargs.Values(a) {
			if !hostargs.Named(w) {
				continue
			}
			if !filepath.IsAbs(w) {
				w = filepath.Join(cwd, w)
			}
			if w = filepath.Clean(w); w == r.Root || strings.HasPrefix(w, r.Root+"/") || hostargs.System(w) {
				continue
			}
			if _, err := os.Lstat(w); r.HostArgs || err == nil {
				return true
			}
		}
	}
	return false
}
