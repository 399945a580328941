package recipe

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/tbx-dev/tbx/toolbox/internal/hostargs"
)

// run reads the container keys of the table at `at` ([defaults] or a tool).
func (p *parser) run(at []string) (Run, error) {
	var r Run
	var err error
	if r.Env, err = p.env(at); err != nil {
		return r, err
	}
	if r.Volumes, err = p.volumes(at); err != nil {
		return r, err
	}
	if r.Home, err = p.homeEntries(at); err != nil {
		return r, err
	}
	r.HostPaths = p.str(at, "host_paths")
	if _, err := hostargs.ParseMode(r.HostPaths); err != nil {
		return r, p.errAt(keyPath(at, "host_paths"), "%v", err)
	}
	r.PathEnv = p.strings(at, "path_env")
	for _, name := range r.PathEnv {
		if !envName.MatchString(name) {
			return r, p.errAt(keyPath(at, "path_env"), "%q is not a variable name", name)
		}
	}
	r.Workdir = p.str(at, "workdir")
	if r.Workdir != "" && !strings.HasPrefix(r.Workdir, "/") {
		return r, p.errAt(keyPath(at, "workdir"), "%q must be an absolute path in the container", r.Workdir)
	}
	r.Entrypoint = p.strings(at, "entrypoint")
	r.Network = p.str(at, "network")
	r.User = p.str(at, "user")
	if r.User != "" && r.User != "caller" && r.User != "image" && r.User != "root" {
		return r, p.errAt(keyPath(at, "user"), `%q is not one of "caller" (the default), "image", "root"`, r.User)
	}
	r.SSHAgent, r.ReadOnly = p.flag(at, "ssh_agent"), p.flag(at, "read_only")
	r.Docker = p.flag(at, "docker")
	for _, k := range []struct {
		key string
		dst **time.Duration
	}{{"warm", &r.Warm}, {"spare", &r.Spare}} {
		if v := p.str(at, k.key); p.has(at, k.key) {
			d, err := ParseWarm(v)
			if err != nil {
				return r, p.errAt(keyPath(at, k.key), "%v", err)
			}
			*k.dst = &d
		}
	}
	r.Init, r.Proxy = p.flag(at, "init"), p.flag(at, "proxy")
	if err := p.limits(at, &r); err != nil {
		return r, err
	}
	if ca := p.str(at, "ca_bundle"); ca != "" {
		r.CABundle = p.hostPath(ca)
		if fi, err := os.Stat(r.CABundle); err != nil || fi.IsDir() {
			return r, p.errAt(keyPath(at, "ca_bundle"), "no CA bundle file at %s", r.CABundle)
		}
	}
	return r, nil
}

func (p *parser) limits(at []string, r *Run) error {
	if v := p.value(at, "memory"); v != nil {
		n, err := size(v)
		if err != nil || n < 6*1024*1024 {
			return p.errAt(keyPath(at, "memory"), "%v is not a memory limit of at least 6m (write it as \"512m\" or \"2g\")", v)
		}
		r.Memory = n
	}
	if v := p.value(at, "cpus"); v != nil {
		r.CPUs = toFloat(v)
		if r.CPUs <= 0 {
			return p.errAt(keyPath(at, "cpus"), "%v is not a positive number of CPUs", v)
		}
	}
	if v, ok := p.value(at, "pids").(int64); ok {
		if v <= 0 {
			return p.errAt(keyPath(at, "pids"), "%d is not a positive process limit", v)
		}
		r.Pids = v
	}
	return nil
}

func toFloat(v any) float64 {
	switch v := v.(type) {
	case int64:
		return float64(v)
	case float64:
		return v
	}
	return 0
}

func (p *parser) env(at []string) ([]string, error) {
	list := p.strings(at, "env")
	for _, e := range list {
		name, _, fixed := strings.Cut(e, "=")
		ok := envName.MatchString(name) || !fixed && envGlob.MatchString(name)
		if !fixed && strings.Trim(name, "*?") == "" {
			return nil, p.errAt(keyPath(at, "env"), "%q would pass every variable, secrets included; name them, or use a glob with a prefix such as AZURE_*", name)
		}
		if !ok {
			return nil, p.errAt(keyPath(at, "env"), "%q is not NAME, a glob such as AZURE_*, or NAME=value", name)
		}
	}
	return list, nil
}

// volumes reads SOURCE:TARGET[:ro|rw] entries, making host sources absolute.
func (p *parser) volumes(at []string) ([]string, error) {
	list := p.strings(at, "volumes")
	for i, v := range list {
		parts := strings.Split(v, ":")
		bad := len(parts) < 2 || len(parts) > 3 || parts[0] == "" || !strings.HasPrefix(parts[1], "/") ||
			len(parts) == 3 && parts[2] != "ro" && parts[2] != "rw"
		if bad {
			return nil, p.errAt(keyPath(at, "volumes"), "%q is not SOURCE:/container/path[:ro]", v)
		}
		if isHostPath(parts[0]) {
			parts[0] = p.hostPath(parts[0])
			if isEngineSocket(parts[0], p.engine) {
				return nil, p.errAt(keyPath(at, "volumes"), "%q mounts the Docker Engine's socket, which is root on the host; write docker = true instead, so that the recipe says so", v)
			}
		} else if !namePattern.MatchString(parts[0]) {
			return nil, p.errAt(keyPath(at, "volumes"), "%q is neither a host path (/, ./, ~) nor a volume name", parts[0])
		}
		list[i] = strings.Join(parts, ":")
	}
	return list, nil
}

// ParseWarm reads a warm idle time: a duration such as "15m", or "off"
// (also "0").
func ParseWarm(s string) (time.Duration, error) {
	if s == "off" || s == "0" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second || d > 24*time.Hour {
		return 0, fmt.Errorf("%q is not an idle time between 1s and 24h (such as \"15m\"), or \"off\"", s)
	}
	return d, nil
}

// DefaultEngineSocket is where a local Docker Engine listens unless it is
// told otherwise.
const DefaultEngineSocket = "/var/run/docker.sock"

// isEngineSocket reports whether the host path p is, or leads by symlinks
// to, a Docker Engine socket: any docker.sock, or engine.
func isEngineSocket(p, engine string) bool {
	for _, q := range []string{p, RealPath(p)} {
		if filepath.Base(q) == "docker.sock" || engine != "" && q == engine {
			return true
		}
	}
	return false
}

func isHostPath(s string) bool {
	return strings.HasPrefix(s, "/") || strings.HasPrefix(s, ".") || strings.HasPrefix(s, "~")
}

// hostPath expands ~ and makes a path relative to the recipe absolute.
func (p *parser) hostPath(s string) string {
	if s == "~" || strings.HasPrefix(s, "~/") {
		return filepath.Join(p.home, s[1:])
	}
	if filepath.IsAbs(s) {
		return filepath.Clean(s)
	}
	return filepath.Join(p.dir, s)
}

// homeEntries reads home = ["~/.kube", "~/.azure:rw"]: entries of the
// caller's HOME, each a path under it, read-only unless marked :rw.
func (p *parser) homeEntries(at []string) ([]HomeEntry, error) {
	var out []HomeEntry
	for _, v := range p.strings(at, "home") {
		path, mode, marked := strings.Cut(v, ":")
		rel, under := strings.CutPrefix(path, "~/")
		rel = strings.TrimSuffix(rel, "/")
		switch {
		case marked && mode != "rw" && mode != "ro":
			return nil, p.errAt(keyPath(at, "home"), "%q: write ~/PATH, or ~/PATH:rw to let the tool write it", v)
		case !under || rel == "" || rel == "." || slices.Contains(strings.Split(rel, "/"), ".."):
			return nil, p.errAt(keyPath(at, "home"), "%q is not an entry of your HOME: write ~/PATH (~/.kube, ~/.config/gh)", v)
		}
		out = append(out, HomeEntry{Src: p.hostPath("~/" + rel), Rel: rel, RW: mode == "rw"})
	}
	return out, nil
}

// merge applies a tool's own keys over the defaults; lists add up.
func merge(d, t Run) Run {
	m := d
	m.Env = append(append([]string{}, d.Env...), t.Env...)
	m.Volumes = append(append([]string{}, d.Volumes...), t.Volumes...)
	m.Home = append(append([]HomeEntry{}, d.Home...), t.Home...)
	m.PathEnv = append(append([]string{}, d.PathEnv...), t.PathEnv...)
	pick(&m.HostPaths, t.HostPaths)
	pick(&m.Workdir, t.Workdir)
	pick(&m.Network, t.Network)
	pick(&m.User, t.User)
	pick(&m.CABundle, t.CABundle)
	if t.Entrypoint != nil {
		m.Entrypoint = t.Entrypoint
	}
	if t.Warm != nil {
		m.Warm = t.Warm
	}
	if t.Spare != nil {
		m.Spare = t.Spare
	}
	for _, b := range []struct {
		dst **bool
		src *bool
	}{{&m.SSHAgent, t.SSHAgent}, {&m.Docker, t.Docker}, {&m.ReadOnly, t.ReadOnly}, {&m.Init, t.Init}, {&m.Proxy, t.Proxy}} {
		if b.src != nil {
			*b.dst = b.src
		}
	}
	if t.Memory != 0 {
		m.Memory = t.Memory
	}
	if t.CPUs != 0 {
		m.CPUs = t.CPUs
	}
	if t.Pids != 0 {
		m.Pids = t.Pids
	}
	return m
}

func pick(dst *string, src string) {
	if src != "" {
		*dst = src
	}
}
