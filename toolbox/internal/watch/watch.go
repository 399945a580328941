// Package watch keeps a route's build-context files under watch, so that
// tbx's front need not stamp thousands of them on every call: a watcher
// process, started by the core once it has stamped them, watches their
// directories with inotify and vouches that nothing changed since, until
// something does (it then stops vouching and exits) or it has been idle
// for a while. The front asks it with a cookie: a file it makes in a
// directory the watcher watches, which the watcher removes in the order
// of the events before it, so that a change made before the call is
// always seen first (as git's fsmonitor does). With no live watcher, the
// front stamps every file, as before.
package watch

import (
	"path/filepath"
	"time"
)

// Command is the hidden first argument that makes tbx's front a watcher:
// `tbx __watch STATE KEY`.
const Command = "__watch"

// Idle is how long a watcher waits for a call before it exits.
const Idle = 30 * time.Minute

// ready is what a watcher's lock file says while the watcher vouches.
const ready = "ready"

// Dir is where the watchers of the user whose state directory is state
// keep their lists, locks and cookies.
func Dir(state string) string { return filepath.Join(state, "watch") }

// The files of the watcher of key: the paths it watches (written by the
// core), its lock (held while it runs, saying ready while it vouches) and
// the directory of the cookies calls make.
func listFile(state, key string) string  { return filepath.Join(Dir(state), key+".list") }
func lockFile(state, key string) string  { return filepath.Join(Dir(state), key+".lock") }
func cookieDir(state, key string) string { return filepath.Join(Dir(state), key+".cookies") }
