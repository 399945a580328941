// Package route remembers how a warm command was last started through its
// helper's socket, so that the next identical call starts it the same way
// without reading the recipe or asking the Engine: tbx's front reads the
// route, checks that nothing it was made of has changed, and connects.
//
// A route is found by the call: the working directory, the command and
// whether it runs on a terminal. It holds the request (less the caller's
// arguments), the variables of the environment that tbx or the recipe's
// env rules read, stamps of every file whose change could change what the
// call does (the recipe, the lock, the trust record, what the builds are
// given, tbx's own binaries, the Docker client's configuration) and where
// each host path of the recipe led. Any difference is a miss: the call goes
// the whole way, which writes a new route.
package route

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/tbx-dev/tbx/toolbox/direct"
)

// version is the format of a route; a route of another is a miss.
const version = 1

// Call is what a call of tbx is made of, for the purpose of finding its
// route.
type Call struct {
	Cwd     string
	Command string
	TTY     bool
	Environ []string
}

// key names the call's route.
func (c Call) key() string {
	h := sha256.New()
	for _, s := range []string{strconv.Itoa(version), c.Cwd, c.Command, strconv.FormatBool(c.TTY)} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Route is how a call was started.
type Route struct {
	Version int               `json:"version"`
	Socket  string            `json:"socket"`  // the host directory of the helper's socket
	Prefix  []string          `json:"prefix"`  // the argv before the caller's command and arguments
	Request direct.Request    `json:"request"` // the environment, directory and user; no argv
	Stamps  []Stamp           `json:"stamps"`
	Links   map[string]string `json:"links"` // host path → where it led ("" nowhere)
	Rules   []string          `json:"rules"` // the names and patterns of the tool's env rules
	Env     []string          `json:"env"`   // the watched variables as they were, NAME=VALUE, sorted
}

// Dir is where the routes are kept under tbx's state directory.
func Dir(state string) string { return filepath.Join(state, "routes") }

// Read returns the route of call, or an error when there is none.
func Read(state string, call Call) (*Route, error) {
	b, err := os.ReadFile(filepath.Join(Dir(state), call.key()))
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
	return &r, nil
}

// Write keeps r as the route of call: written whole, then renamed into
// place, readable by the user only.
func Write(state string, call Call, r Route) error {
	r.Version = version
	r.Env = Watched(call.Environ, r.Rules)
	b, err := json.Marshal(r)
	if err != nil {
		return err
	}
	dir := Dir(state)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".new-")
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, call.key()))
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
// leads where it led.
func (r *Route) Fresh(call Call) bool {
	if !slices.Equal(Watched(call.Environ, r.Rules), r.Env) {
		return false
	}
	for _, s := range r.Stamps {
		if StampOf(s.Path) != s {
			return false
		}
	}
	for p, lead := range r.Links {
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			real = ""
		}
		if real != lead {
			return false
		}
	}
	return true
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
	watchedNames    = []string{"HOME", "USER", "LOGNAME"}
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
