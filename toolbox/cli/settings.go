package cli

import (
	"os"
	"path/filepath"
	"strings"
	"time"

	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/front"
	"github.com/tbx-dev/tbx/toolbox/internal/direct"
	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/project"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/statedir"
	"github.com/tbx-dev/tbx/toolbox/internal/trust"
)

// deps are what tbx takes from outside its flags: how it reaches the
// Engine. Tests give a fake one.
type deps struct {
	// engine makes a client for the Engine and says where it points; it
	// makes no call to the Engine.
	engine func(engine.Where) (engine.Engine, string, error)
	// executable is this binary's path (os.Executable): where the front
	// that shims link to is found.
	executable func() (string, error)
}

func realDeps() deps {
	return deps{executable: os.Executable, engine: func(w engine.Where) (engine.Engine, string, error) {
		ep, err := engine.Locate(w)
		if err != nil {
			return nil, "", err
		}
		c, err := ep.Client()
		if err != nil {
			return nil, "", err
		}
		return c, ep.Host, nil
	}}
}

// engine makes the Engine client for where the flags and variables say,
// remembering where it points so that a failure to reach it can say so.
func (a *app) engine() (engine.Engine, error) {
	e, host, err := a.deps.engine(a.where)
	a.engineHost = host
	return e, err
}

// whereFrom reads where the Engine is, as the docker CLI is told.
func whereFrom(c *ucli.Context) engine.Where {
	return engine.Where{
		Host: c.String("host"), EnvHost: os.Getenv("DOCKER_HOST"),
		Context: c.String("context"), EnvContext: os.Getenv("DOCKER_CONTEXT"),
		ConfigDir:  engine.ConfigDir(os.Getenv("DOCKER_CONFIG"), homeDir()),
		APIVersion: os.Getenv("DOCKER_API_VERSION"),
		CertPath:   os.Getenv("DOCKER_CERT_PATH"),
		TLSVerify:  os.Getenv("DOCKER_TLS_VERIFY") != "",
	}
}

// settings reads the global flags and the TBX_* variables, once, for the
// project layer.
func (a *app) settings(c *ucli.Context) (project.Settings, error) {
	cwd, err := os.Getwd()
	if err != nil {
		return project.Settings{}, err
	}
	state, err := stateDir()
	if err != nil {
		return project.Settings{}, err
	}
	a.where = whereFrom(c)
	hashes, locks := cacheDirs(state)
	s := project.Settings{
		File:      c.String("file"),
		Cwd:       cwd,
		Environ:   os.Environ(),
		StateDir:  state,
		CacheDir:  hashes,
		LockDir:   locks,
		TrustDirs: trust.CoverDirs(os.Getenv("TBX_TRUST")),
		TrustOnce: c.Bool("trust"),
		Registry:  os.Getenv("TBX_REGISTRY"),
		Frozen:    envTrue("TBX_FROZEN"),
		Classic:   os.Getenv("TBX_BUILDKIT") == "0",
		NoDirect:  os.Getenv("TBX_DIRECT") == "0",
		SSHAgent:  os.Getenv("SSH_AUTH_SOCK"),
		Helper:    warmHelper(),
		Quiet:     strings.FieldsFunc(os.Getenv("TBX_QUIET"), func(r rune) bool { return r == ',' || r == ' ' }),
		UID:       os.Getuid(),
		GID:       os.Getgid(),
		Home:      homeDir(),
		Shell:     os.Getppid(),
		Stderr:    a.streams.Err,
		Signals:   a.signals,
		Progress:  a.streams.progressMode(c.String("progress")),
	}
	s.Host, _ = os.Hostname()
	s.Launcher = direct.Launcher(os.Getpid(), s.Host)
	s.DockerConfig = filepath.Join(a.where.ConfigDir, "config.json")
	if key := c.String("sign-key"); key != "" {
		s.SignKey = absFrom(cwd, key)
	}
	if core, err := os.Executable(); err == nil {
		s.Binaries = []string{core, front.NextTo(core)}
		s.Front = front.NextTo(core)
	}
	if ep, err := engine.Locate(a.where); err == nil {
		s.EngineHost = ep.Host
	}
	s.Fd, _ = fd(a.streams.Err)
	if c.Bool("debug") {
		s.Debug = a.streams.Err
	}
	for _, v := range []struct {
		name string
		dst  **time.Duration
	}{{"TBX_WARM", &s.Warm}, {"TBX_SPARE", &s.Spare}} {
		if val := os.Getenv(v.name); val != "" {
			d, err := recipe.ParseWarm(val)
			if err != nil {
				return s, exit.Errorf(exit.Failed, "%s: %v", v.name, err)
			}
			*v.dst = &d
		}
	}
	s.CI = envTrue("CI")
	s.MakeSpare = a.spareMaker(state, c.String("file"))
	return s, nil
}

// spareMaker has this core, again, make a spare in the background, on the
// Engine this call was told of.
func (a *app) spareMaker(state, file string) func(tool, command string, tty bool) {
	core, err := os.Executable()
	if err != nil || !strings.HasPrefix(filepath.Base(core), "tbx") {
		return nil // not tbx's core: a test binary that runs tbx in-process
	}
	var flags []string
	if file != "" {
		flags = append(flags, "--file", file)
	}
	if a.where.Host != "" {
		flags = append(flags, "--host", a.where.Host)
	}
	if a.where.Context != "" {
		flags = append(flags, "--context", a.where.Context)
	}
	return func(tool, command string, tty bool) {
		if statedir.Mkdir(state) == nil {
			front.MakeSpare(core, state, tool, command, tty, flags)
		}
	}
}

// stateDir is tbx's state directory: $XDG_STATE_HOME/tbx, or
// ~/.local/state/tbx.
func stateDir() (string, error) {
	return statedir.Dir(os.Getenv("XDG_STATE_HOME"), homeDir())
}

// cacheDirs are where file hashes are remembered ("" where the user has
// no cache directory) and where build locks are kept: in the user's cache,
// else in tbx's state directory state, never a shared place another user
// could make first.
func cacheDirs(state string) (hashes, locks string) {
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", filepath.Join(state, "locks")
	}
	return filepath.Join(cache, "tbx", "hashes"), filepath.Join(cache, "tbx", "locks")
}

// homeDir is the caller's home directory, "" where none is known.
func homeDir() string {
	home, _ := os.UserHomeDir()
	return home
}

func envTrue(name string) bool {
	v := os.Getenv(name)
	return v == "1" || v == "true"
}

func (a *app) openWith(s project.Settings) (*project.Project, error) {
	e, err := a.engine()
	if err != nil {
		return nil, err
	}
	p, err := project.Open(s, e)
	if err != nil {
		closeEngine(e)
		return nil, err
	}
	return p, nil
}

func closeEngine(e engine.Engine) {
	if c, ok := e.(interface{ Close() error }); ok {
		_ = c.Close()
	}
}

// absFrom is path read from dir, when it is relative.
func absFrom(dir, path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(dir, path)
}
