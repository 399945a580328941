// Package project is the one way a command reaches a project: Inspect reads
// it for the commands that only look (ls, doctor, trust --show), and Open
// hands out a Project, which alone can build, pull, push, lock, run and
// collect, only for a project whose user trusts it as it is now. What was
// trusted is what acts: host paths are resolved again and compared with
// the trust record, then used by their real paths; what each build is given
// is checked against the record before the Engine is asked anything.
package project

import (
	"io"
	"path/filepath"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/progress"
	"github.com/tbx-dev/tbx/toolbox/internal/project/internal/runner"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// Settings are what a command was asked for and what it takes from its
// process, read once by the command line and passed down.
type Settings struct {
	File      string         // the recipe (--file); "" finds the nearest one upwards from Cwd
	Cwd       string         // the working directory
	Environ   []string       // the caller's environment, for the recipe's env rules
	StateDir  string         // tbx's state directory: trust store, HOMEs
	CacheDir  string         // where file hashes are remembered; "" remembers nothing
	LockDir   string         // where build locks are kept, so that two tbx never build one image at once
	TrustDirs []string       // TBX_TRUST: directories under which every project is trusted
	TrustOnce bool           // --trust: trust the project for this one command
	Registry  string         // TBX_REGISTRY, over the recipe's; "" for the recipe's
	Frozen    bool           // --frozen or TBX_FROZEN: exactly what toolbox.lock pins
	SignKey   string         // --sign-key or TBX_SIGN_KEY: the cosign private key that signs what is pushed
	LockAsIs  bool           // open a project whose lock pins what the recipe does not name: for `tbx lock`, which checks or rewrites it
	Warm      *time.Duration // TBX_WARM, over the recipe's warm; nil for the recipe's
	Spare     *time.Duration // TBX_SPARE, over the recipe's spare; nil for the recipe's
	CI        bool           // CI=true: a CI agent, where spares are off unless asked for
	// MakeSpare has the spare for the next run of command (of tool) made in
	// the background, off the caller's path; nil makes none.
	MakeSpare func(tool, command string, tty bool)
	NoDirect  bool     // TBX_DIRECT=0: warm runs through the Engine's exec, never the helper's socket
	Classic   bool     // TBX_BUILDKIT=0: the classic builder
	SSHAgent  string   // SSH_AUTH_SOCK
	Helper    Helper   // the warm helper binary on the host
	Binaries  []string // tbx's own: the core and the front beside it
	Front     string   // tbx's front binary: it also watches a route's build files
	Quiet     []string // TBX_QUIET: the warnings not to say (ssh-agent)
	UID       int      // the caller's uid, which owns what tbx makes
	GID       int      // the caller's primary gid
	Home      string   // the caller's home directory, which ~ names in the recipe
	// Launcher is this process as gc tells whether a run's tbx is alive:
	// pid@host (direct.Launcher).
	Launcher string
	// Host is this machine's name, as in Launcher: gc ends only the runs
	// of gone tbx processes of this host.
	Host string
	// Shell is the process that started tbx (its parent pid): some
	// warnings are said once per shell.
	Shell int
	// EngineHost is the Engine that --host, --context, DOCKER_HOST and
	// DOCKER_CONTEXT select, as the docker CLI finds it ("" where none
	// could be found): the trust screen names its socket.
	EngineHost string
	// DockerConfig is the Docker client's configuration file (DOCKER_CONFIG,
	// else ~/.docker), which names its current context.
	DockerConfig string
	Stderr       io.Writer
	Debug        io.Writer // --debug: what containers and builds are made of; nil for none
	Progress     progress.Mode
	Fd           uintptr             // the terminal behind Stderr, for live progress
	Signals      runner.SignalRouter // hands the process's signals to a command once it may start
}

// Helper is the binary warm containers run as their helper, and why it was
// chosen (or why there is none: Path is then "").
type Helper struct {
	Path, Why string
}

// RecipeOptions are what the recipe is read for: the Engine's socket, which
// no volume may name, the home directory ~ names, and the working
// directory a relative --file is read from.
func (s Settings) RecipeOptions() recipe.Options {
	return recipe.Options{EngineSocket: s.engineSocket(), Home: s.Home, Cwd: s.Cwd}
}

// engineSocket is the host path of the Engine's unix socket, or "".
func (s Settings) engineSocket() string {
	sock, _ := engine.SocketPath(s.EngineHost)
	return sock
}

// buildsDir is where tbx records the images this user's tbx built: in its
// state, which a project cannot write; "" without a state directory.
func (s Settings) buildsDir() string {
	if s.StateDir == "" {
		return ""
	}
	return filepath.Join(s.StateDir, "built")
}
