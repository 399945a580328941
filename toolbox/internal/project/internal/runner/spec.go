// Package runner proxies a command into a throwaway container so that it
// behaves like a local binary: same files and working directory, the caller's
// identity, the terminal or byte-exact pipes, forwarded signals and the
// command's own exit code. It also holds what a warm run shares with it (the
// container's configuration, the held mounts, the streams, terminal and
// signals), which package reuse builds on.
package runner

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/mount"

	"github.com/tbx-dev/tbx/toolbox/internal/environ"
	"github.com/tbx-dev/tbx/toolbox/internal/hostargs"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// Where tbx puts what it mounts into a container.
const (
	sshAgentPath = "/run/tbx/ssh-agent.sock"
	enginePath   = "/var/run/docker.sock"
	caBundlePath = "/etc/ssl/certs/tbx-ca-bundle.pem"
)

// Invocation is one command to run in a tool's image.
type Invocation struct {
	Project    string            // the recipe's name, for labels
	Key        string            // the project's name and identity, for the names of its containers and volumes
	Labels     map[string]string // more labels for its containers and volumes: owner, project identity
	Root       string            // project root: mounted at the same path
	Tool       *recipe.Tool
	Image      string   // the image to run
	Args       []string // the command and its arguments
	Entrypoint []string // overrides the recipe's entrypoint (tbx shell)
	Cwd        string   // the caller's working directory
	HostEnv    []string // the caller's environment
	TTY        bool
	Identity   Identity
	Launcher   string // pid@host of this tbx, so gc can find orphans
	// HostPaths are the host paths outside the project that this run's
	// arguments and path variables name (hostargs.Find): mounted where
	// they were named, for this run only.
	HostPaths []hostargs.Path
	// EngineSocket is the host path of the Engine's socket, mounted for a
	// tool with docker = true; "" otherwise.
	EngineSocket string
	// KeepID keeps the caller's uid on the host through the Engine's
	// keep-id user namespace: rootless Podman maps uid 0 to the caller, and
	// the caller's own uid to another.
	KeepID bool
	// Direct is the host directory under which warm containers serve their
	// helper's socket (the direct path); "" has warm runs go through the
	// Engine's exec, for the reason in NoDirect.
	Direct   string
	NoDirect string
	// Local is true when the Engine's bind sources are this host's paths
	// (Linux, a local Engine outside a VM): tbx then holds the project's
	// host paths as checked and has the container's helper check, before
	// the command starts, that the Engine mounted those.
	Local bool
}

// Spec maps an invocation to the container's configuration.
func Spec(inv Invocation) (*container.Config, *container.HostConfig, error) {
	run := inv.Tool.Run
	workdir, err := workdirFor(inv)
	if err != nil {
		return nil, nil, err
	}
	cfg := &container.Config{
		Image:        inv.Image,
		Cmd:          inv.Args,
		Entrypoint:   []string{""}, // the command runs as named, whatever the image's ENTRYPOINT
		WorkingDir:   workdir,
		Env:          resolveEnv(run.Env, inv.HostEnv, recipe.Flag(run.Proxy, true)),
		Tty:          inv.TTY,
		OpenStdin:    true,
		StdinOnce:    true,
		AttachStdin:  true,
		AttachStdout: true,
		AttachStderr: true,
		Labels:       inv.LabelsWith(map[string]string{labels.Launch: inv.Launcher}),
	}
	if ep := entrypoint(inv); ep != nil {
		cfg.Entrypoint = ep
		if inv.Entrypoint == nil {
			cfg.Cmd = inv.Args[1:] // the recipe's entrypoint runs the command's arguments
		}
	}
	if inv.TTY {
		cfg.Env = append(cfg.Env, "TERM="+termOf(inv.HostEnv))
	}
	host := &container.HostConfig{
		AutoRemove:     true,
		Init:           boolPtr(recipe.Flag(run.Init, true)),
		NetworkMode:    container.NetworkMode(run.Network),
		ReadonlyRootfs: recipe.Flag(run.ReadOnly, false),
		Resources:      resources(run),
		Mounts:         []mount.Mount{Bind(inv.Root, inContainer(inv.Root), false)},
	}
	if host.ReadonlyRootfs {
		host.Tmpfs = map[string]string{"/tmp": "rw,exec,nosuid,size=512m"}
	}
	applyUser(inv, cfg, host)
	if err := applyExtras(inv, cfg, host); err != nil {
		return nil, nil, err
	}
	return cfg, host, nil
}

// LabelsWith are the labels of the invocation's objects, with more added.
func (inv Invocation) LabelsWith(more map[string]string) map[string]string {
	l := map[string]string{labels.Project: inv.Project, labels.Tool: inv.Tool.Name}
	for k, v := range inv.Labels {
		l[k] = v
	}
	for k, v := range more {
		l[k] = v
	}
	return l
}

func entrypoint(inv Invocation) []string {
	if inv.Entrypoint != nil {
		return inv.Entrypoint
	}
	return inv.Tool.Run.Entrypoint
}

// workdirFor is the recipe's workdir, else the caller's, which must be
// inside the project so that it exists in the container.
func workdirFor(inv Invocation) (string, error) {
	if inv.Tool.Run.Workdir != "" {
		return inv.Tool.Run.Workdir, nil
	}
	if !recipe.Within(inv.Root, inv.Cwd) {
		return "", fmt.Errorf("the working directory %s is outside the project %s, which is all the container sees; cd into the project", inv.Cwd, inv.Root)
	}
	return inContainer(inv.Cwd), nil
}

func resources(run recipe.Run) container.Resources {
	r := container.Resources{NanoCPUs: int64(run.CPUs * 1e9)}
	if run.Memory > 0 {
		r.Memory, r.MemorySwap = run.Memory, run.Memory // no swap beyond the limit
	}
	if run.Pids > 0 {
		r.PidsLimit = &run.Pids
	}
	return r
}

// applyUser runs the process as the caller (default), root, or the image's
// own user, with a name and a persistent HOME.
func applyUser(inv Invocation, cfg *container.Config, host *container.HostConfig) {
	id := inv.Identity
	switch inv.Tool.Run.User {
	case "image":
		return
	case "root":
		id.UID, id.GID, id.Name, id.Home = 0, 0, "root", "/root"
	}
	cfg.User = fmt.Sprintf("%d:%d", id.UID, id.GID)
	cfg.Env = append(cfg.Env, "HOME="+id.Home, "USER="+id.Name, "LOGNAME="+id.Name)
	host.Mounts = append(host.Mounts, Bind(id.HostHome, id.Home, false))
	for _, h := range inv.Tool.Run.Home {
		if _, err := os.Stat(h.Src); err == nil { // none here: none there, as for a local binary
			host.Mounts = append(host.Mounts, Bind(h.Src, path.Join(id.Home, h.Rel), !h.RW))
		}
	}
	if id.UID != 0 {
		if inv.KeepID {
			host.UsernsMode = "keep-id"
		}
		host.Mounts = append(host.Mounts,
			Bind(filepath.Join(id.PasswdDir, "passwd"), "/etc/passwd", true),
			Bind(filepath.Join(id.PasswdDir, "group"), "/etc/group", true))
	}
}

// DesktopAgent is where Docker Desktop for Mac and OrbStack serve the Mac's
// SSH agent inside their VM: a socket on the Mac cannot be mounted there.
const DesktopAgent = "/run/host-services/ssh-auth.sock"

// AgentSource is the bind source that gives a container the SSH agent at
// sock (SSH_AUTH_SOCK) for a tbx on the system goos: the socket itself on
// Linux, Docker Desktop's forwarded agent on macOS; Windows' agent is a
// named pipe, which no Engine forwards.
func AgentSource(goos, sock string) (string, error) {
	switch goos {
	case "darwin":
		return DesktopAgent, nil
	case "windows":
		return "", errors.New("the SSH agent of Windows cannot be forwarded to a container; run tbx in WSL, or use a key file")
	}
	if _, err := os.Stat(sock); err != nil {
		return "", fmt.Errorf("SSH_AUTH_SOCK=%s does not exist; restart your agent (eval $(ssh-agent); ssh-add)", sock)
	}
	return sock, nil
}

// applyExtras adds the recipe's volumes, the SSH agent, the CA bundle and
// the host paths the run names.
func applyExtras(inv Invocation, cfg *container.Config, host *container.HostConfig) error {
	run := inv.Tool.Run
	for _, v := range run.Volumes {
		m, err := volumeMount(inv.Key, v)
		if err != nil {
			return err
		}
		host.Mounts = append(host.Mounts, m)
	}
	if sock := lookupEnv(inv.HostEnv, "SSH_AUTH_SOCK"); recipe.Flag(run.SSHAgent, false) && sock != "" {
		src, err := AgentSource(runtime.GOOS, sock)
		if err != nil {
			return fmt.Errorf("tool %s has ssh_agent = true, but %w", inv.Tool.Name, err)
		}
		host.Mounts = append(host.Mounts, Bind(src, sshAgentPath, false))
		cfg.Env = append(cfg.Env, "SSH_AUTH_SOCK="+sshAgentPath)
	}
	if inv.EngineSocket != "" {
		if err := mountEngine(inv, cfg, host); err != nil {
			return err
		}
	}
	if run.CABundle != "" {
		host.Mounts = append(host.Mounts, Bind(run.CABundle, caBundlePath, true))
		for _, k := range caVars {
			cfg.Env = append(cfg.Env, k+"="+caBundlePath)
		}
	}
	for _, hp := range inv.HostPaths {
		host.Mounts = append(host.Mounts, Bind(hp.Real, hp.Named, !hp.Write))
	}
	return nil
}

// mountEngine gives the container the Engine's socket, and a caller who is
// not root the socket's group, as the docker CLI inside expects.
func mountEngine(inv Invocation, cfg *container.Config, host *container.HostConfig) error {
	fi, err := os.Stat(inv.EngineSocket)
	if err != nil {
		return fmt.Errorf("tool %s has docker = true but the Engine's socket %s is not there: %v", inv.Tool.Name, inv.EngineSocket, err)
	}
	host.Mounts = append(host.Mounts, Bind(inv.EngineSocket, enginePath, false))
	cfg.Env = append(cfg.Env, "DOCKER_HOST=unix://"+enginePath)
	if gid, ok := fileGroup(fi); ok && cfg.User != "" {
		host.GroupAdd = append(host.GroupAdd, strconv.Itoa(gid))
	}
	return nil
}

// VolumeName is the Engine volume behind a recipe's named volume, for the
// project whose key (name and identity) is key.
func VolumeName(key, name string) string {
	return "tbx_" + key + "_" + name
}

func volumeMount(key, spec string) (mount.Mount, error) {
	parts := strings.Split(spec, ":")
	ro := len(parts) == 3 && parts[2] == "ro"
	if !filepath.IsAbs(parts[0]) {
		return mount.Mount{Type: mount.TypeVolume, Source: VolumeName(key, parts[0]), Target: parts[1], ReadOnly: ro}, nil
	}
	if _, err := os.Stat(parts[0]); err != nil {
		return mount.Mount{}, fmt.Errorf("volume %s: the host path %s does not exist; create it or fix the recipe", spec, parts[0])
	}
	return Bind(parts[0], parts[1], ro), nil
}

// Bind mounts the host path src at dst in the container, read-only when ro.
func Bind(src, dst string, ro bool) mount.Mount {
	return mount.Mount{Type: mount.TypeBind, Source: src, Target: dst, ReadOnly: ro}
}

func lookupEnv(env []string, name string) string {
	v, _ := environ.Lookup(env, name)
	return v
}

func termOf(env []string) string {
	if t := lookupEnv(env, "TERM"); t != "" {
		return t
	}
	return "xterm"
}

func boolPtr(b bool) *bool { return &b }
