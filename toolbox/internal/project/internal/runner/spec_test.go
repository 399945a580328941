package runner

import (
	"strings"
	"testing"

	"github.com/docker/docker/api/types/mount"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

func invocation(run recipe.Run) Invocation {
	return Invocation{
		Project: "p", Key: "p-0123", Root: "/work/my proj", Cwd: "/work/my proj/sub",
		Tool:  &recipe.Tool{Name: "az", Run: run},
		Image: "tbx/p/az:abc", Args: []string{"az", "version"},
		HostEnv:  []string{"HOME=/home/me", "HTTPS_PROXY=http://proxy", "AZURE_A=1", "SECRET=x", "SSH_AUTH_SOCK=/"},
		Identity: Identity{UID: 1234567, GID: 7654321, Name: "me", Home: "/home/me", HostHome: "/state/home/p/az", PasswdDir: "/state/etc/x"},
		Launcher: "42@host",
	}
}

func yes() *bool { b := true; return &b }
func no() *bool  { b := false; return &b }

func mountAt(ms []mount.Mount, target string) (mount.Mount, bool) {
	for _, m := range ms {
		if m.Target == target {
			return m, true
		}
	}
	return mount.Mount{}, false
}

func TestSpecDefaults(t *testing.T) {
	cfg, host, err := Spec(invocation(recipe.Run{Env: []string{"AZURE_*", "FIXED=v"}}))
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]bool{
		"user is the caller":        cfg.User == "1234567:7654321",
		"workdir is the caller's":   cfg.WorkingDir == "/work/my proj/sub",
		"command runs as named":     strings.Join(cfg.Cmd, " ") == "az version" && len(cfg.Entrypoint) == 1 && cfg.Entrypoint[0] == "",
		"stdin once, no tty":        cfg.OpenStdin && cfg.StdinOnce && !cfg.Tty,
		"auto remove and init":      host.AutoRemove && host.Init != nil && *host.Init,
		"labels":                    cfg.Labels[labels.Project] == "p" && cfg.Labels[labels.Tool] == "az" && cfg.Labels[labels.Launch] == "42@host",
		"env rules, proxy, no more": strings.Join(cfg.Env, " ") == "AZURE_A=1 FIXED=v HTTPS_PROXY=http://proxy HOME=/home/me USER=me LOGNAME=me",
		"no limits":                 host.Memory == 0 && host.NanoCPUs == 0 && host.PidsLimit == nil,
	}
	for what, ok := range checks {
		if !ok {
			t.Errorf("%s: cfg %+v host %+v", what, cfg, host)
		}
	}
	for target, src := range map[string]string{"/work/my proj": "/work/my proj", "/home/me": "/state/home/p/az", "/etc/passwd": "/state/etc/x/passwd", "/etc/group": "/state/etc/x/group"} {
		if m, ok := mountAt(host.Mounts, target); !ok || m.Source != src || m.Type != mount.TypeBind {
			t.Errorf("mount at %s: %+v", target, m)
		}
	}
}

func TestSpecKeys(t *testing.T) {
	run := recipe.Run{
		Volumes:  []string{"cache:/cache", "/etc:/host-etc:ro"},
		Workdir:  "/data",
		Network:  "none",
		SSHAgent: yes(), ReadOnly: yes(), Init: no(), Proxy: no(),
		Memory: 64 << 20, CPUs: 1.5, Pids: 100,
		Entrypoint: []string{"/wrap"},
	}
	inv := invocation(run)
	inv.TTY = true
	cfg, host, err := Spec(inv)
	if err != nil {
		t.Fatal(err)
	}
	if m, _ := mountAt(host.Mounts, "/cache"); m.Type != mount.TypeVolume || m.Source != "tbx_p-0123_cache" {
		t.Errorf("named volume: %+v", m)
	}
	if m, _ := mountAt(host.Mounts, "/host-etc"); !m.ReadOnly || m.Source != "/etc" {
		t.Errorf("host volume: %+v", m)
	}
	if m, ok := mountAt(host.Mounts, sshAgentPath); !ok || m.Source != "/" {
		t.Errorf("ssh agent: %+v", m)
	}
	env := strings.Join(cfg.Env, " ")
	if strings.Contains(env, "HTTPS_PROXY") || !strings.Contains(env, "SSH_AUTH_SOCK="+sshAgentPath) || !strings.Contains(env, "TERM=") {
		t.Errorf("env: %s", env)
	}
	if cfg.WorkingDir != "/data" || string(host.NetworkMode) != "none" || !host.ReadonlyRootfs || host.Tmpfs["/tmp"] == "" || *host.Init {
		t.Errorf("keys: cfg %+v host %+v", cfg, host)
	}
	if host.Memory != 64<<20 || host.MemorySwap != 64<<20 || host.NanoCPUs != 1.5e9 || *host.PidsLimit != 100 {
		t.Errorf("limits: %+v", host.Resources)
	}
	if strings.Join(cfg.Entrypoint, " ") != "/wrap" || strings.Join(cfg.Cmd, " ") != "version" || !cfg.Tty {
		t.Errorf("entrypoint %v cmd %v", cfg.Entrypoint, cfg.Cmd)
	}
}

func TestSpecUsers(t *testing.T) {
	for user, want := range map[string]string{"image": "", "root": "0:0", "caller": "1234567:7654321"} {
		cfg, host, err := Spec(invocation(recipe.Run{User: user}))
		if err != nil {
			t.Fatal(err)
		}
		_, passwd := mountAt(host.Mounts, "/etc/passwd")
		if cfg.User != want || passwd != (user == "caller") {
			t.Errorf("user %q: User %q, passwd mounted %v", user, cfg.User, passwd)
		}
	}
}

func TestSpecRefusesOutsideProject(t *testing.T) {
	inv := invocation(recipe.Run{})
	inv.Cwd = "/work/my project2"
	if _, _, err := Spec(inv); err == nil || !strings.Contains(err.Error(), "outside the project") {
		t.Errorf("err = %v", err)
	}
}

func TestEnvNamesHideValues(t *testing.T) {
	if got := strings.Join(EnvNames([]string{"A=secret", "B=x=y"}), ","); got != "A,B" {
		t.Errorf("EnvNames = %s", got)
	}
}

func TestIdentityFiles(t *testing.T) {
	id := Identity{UID: 1234567, GID: 7654321, Name: "me", Group: "staff", Home: "/home/me"}
	if err := id.Prepare(t.TempDir(), "p", "az"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(id.passwd(), "me:x:1234567:7654321:me:/home/me:/bin/sh\n") || !strings.Contains(id.group(), "staff:x:7654321:me\n") {
		t.Errorf("passwd %q group %q", id.passwd(), id.group())
	}
}
