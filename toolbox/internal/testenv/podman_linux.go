package testenv

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
)

// Podman is a Podman of the test's own serving the Docker API on a socket
// of its own, with its own storage: rootful in a network namespace of its
// own (its bridge and firewall rules never touch the host's), or rootless
// as a user of the test's.
type Podman struct {
	Host   string // unix://…/podman.sock
	Client *client.Client
	dir    string
	user   *User
}

// PodmanOptions shape the Podman a test starts.
type PodmanOptions struct {
	User   *User // rootless, as this user; nil: rootful
	NoInit bool  // no init binary (catatonit) for its containers
}

// StartPodman starts `podman system service` for the test and stops it,
// with everything it made, when the test ends.
func StartPodman(t testing.TB, opts PodmanOptions) *Podman {
	t.Helper()
	bin, err := exec.LookPath("podman")
	if err != nil {
		t.Fatalf("these tests need podman and catatonit (apt-get install podman catatonit uidmap; scripts/test.sh does): %v", err)
	}
	dir, err := os.MkdirTemp("", "tbx-podman-")
	if err != nil {
		t.Fatal(err)
	}
	p := &Podman{dir: dir, user: opts.User}
	t.Cleanup(p.stop)
	p.writeConf(t)
	sock := filepath.Join(dir, "podman.sock")
	args := []string{bin, "--root", filepath.Join(dir, "root"), "--runroot", filepath.Join(dir, "run"),
		"system", "service", "--time=0", "unix://" + sock}
	cmd := p.command(t, args, opts.NoInit)
	log, err := os.Create(filepath.Join(dir, "podman.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = cmd.Wait(); log.Close() }()
	p.Host = "unix://" + sock
	p.Client, err = client.NewClientWithOpts(client.WithHost(p.Host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	waitForEngine(t, p.Client, "podman system service", filepath.Join(dir, "podman.log"))
	return p
}

// writeConf writes the containers.conf of this Podman: in containerised
// sandboxes runc cannot apply Podman's default ulimits.
func (p *Podman) writeConf(t testing.TB) {
	conf := "[containers]\ndefault_ulimits = []\n[engine]\nevents_logger = \"file\"\n" +
		fmt.Sprintf("events_logfile_path = %q\n", p.Events())
	writeFile(t, filepath.Join(p.dir, "containers.conf"), conf, 0o644)
	if p.user != nil {
		writeFile(t, filepath.Join(p.dir, "xdg", ".keep"), "", 0o600)
		for _, d := range []string{p.dir, filepath.Join(p.dir, "xdg")} {
			_ = os.Chmod(d, 0o700)
			if err := os.Chown(d, p.user.UID, p.user.GID); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// command runs Podman in a network namespace of its own (rootful), or as
// the test's user (rootless). Without init, it runs in a mount namespace
// of its own where Podman's helper directory, with catatonit, is empty.
func (p *Podman) command(t testing.TB, args []string, noInit bool) *exec.Cmd {
	env := []string{"PATH=" + os.Getenv("PATH"), "CONTAINERS_CONF=" + filepath.Join(p.dir, "containers.conf")}
	if p.user == nil {
		ns := "tbx-" + filepath.Base(p.dir)
		run(t, "ip", "netns", "add", ns)
		run(t, "ip", "-n", ns, "link", "set", "lo", "up")
		// nsenter, not `ip netns exec`, which mounts a /sys without cgroups.
		args = append([]string{"nsenter", "--net=/run/netns/" + ns, "--"}, args...)
		if noInit {
			hide := `mount -t tmpfs tmpfs /usr/libexec/podman && exec "$@"`
			args = append([]string{"unshare", "--mount", "--propagation", "private", "--", "sh", "-c", hide, "sh"}, args...)
		}
		cmd := exec.Command(args[0], args[1:]...)
		cmd.Env = env
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		return cmd
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(env, "HOME="+p.user.Home, "USER="+p.user.Name, "XDG_RUNTIME_DIR="+filepath.Join(p.dir, "xdg"))
	cmd.Dir = p.dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: &syscall.Credential{Uid: uint32(p.user.UID), Gid: uint32(p.user.GID)}}
	return cmd
}

// Load copies image ref from the Engine c into this Podman, through the
// Engine API on both sides.
func (p *Podman) Load(t testing.TB, c *client.Client, ref string) {
	t.Helper()
	ctx := context.Background()
	rd, err := c.ImageSave(ctx, []string{ref})
	if err != nil {
		t.Fatal(err)
	}
	defer rd.Close()
	resp, err := p.Client.ImageLoad(ctx, rd, client.ImageLoadWithQuiet(true))
	if err != nil {
		t.Fatalf("loading %s into Podman: %v", ref, err)
	}
	resp.Body.Close()
}

// Events is the file where this Podman logs its events, one JSON object a
// line: Podman 4's events API leaves out most of them.
func (p *Podman) Events() string { return filepath.Join(p.dir, "events.log") }

// Containers lists every container of this Podman, running or not.
func (p *Podman) Containers(t testing.TB) []container.Summary {
	t.Helper()
	list, err := p.Client.ContainerList(context.Background(), container.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	return list
}

// stop removes every container (all of them are the test's), stops the
// service and whatever it left running (conmon, rootless Podman's pause
// process), then its network namespace, mounts and directories.
func (p *Podman) stop() {
	if p.Client != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		if list, err := p.Client.ContainerList(ctx, container.ListOptions{All: true}); err == nil {
			for _, c := range list {
				_ = p.Client.ContainerRemove(ctx, c.ID, container.RemoveOptions{Force: true, RemoveVolumes: true})
			}
		}
		cancel()
		p.Client.Close()
	}
	killMentioning(p.dir)
	if p.user != nil {
		killUser(p.user.UID)
	} else {
		_ = exec.Command("ip", "netns", "del", "tbx-"+filepath.Base(p.dir)).Run()
	}
	unmountBelow(p.dir)
	_ = os.RemoveAll(p.dir)
}

// killMentioning kills every process whose command line names dir: the
// service and the conmon processes it detached.
func killMentioning(dir string) {
	for _, pid := range pids() {
		b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		if err == nil && strings.Contains(string(b), dir) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	time.Sleep(100 * time.Millisecond)
}

// killUser kills every process of uid.
func killUser(uid int) {
	for _, pid := range pids() {
		fi, err := os.Stat(filepath.Join("/proc", strconv.Itoa(pid)))
		if st, ok := fiSys(fi, err); ok && int(st.Uid) == uid {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	time.Sleep(100 * time.Millisecond)
}

func fiSys(fi os.FileInfo, err error) (*syscall.Stat_t, bool) {
	if err != nil {
		return nil, false
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	return st, ok
}

func pids() []int {
	entries, _ := os.ReadDir("/proc")
	var out []int
	for _, e := range entries {
		if pid, err := strconv.Atoi(e.Name()); err == nil && pid != os.Getpid() {
			out = append(out, pid)
		}
	}
	return out
}

// User is a user of the test's own, with subordinate uid and gid ranges
// for rootless containers.
type User struct {
	Name     string
	UID, GID int
	Home     string
}

// RootlessUser adds a user with a home and subordinate id ranges of its
// own, and removes them when the test ends. It skips the test, saying why,
// where this machine cannot run rootless containers.
func RootlessUser(t testing.TB) *User {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("adding a user for rootless Podman needs root")
	}
	for _, tool := range []string{"useradd", "newuidmap", "newgidmap"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("rootless Podman needs %s (apt-get install uidmap): %v", tool, err)
		}
	}
	if b, err := os.ReadFile("/proc/sys/user/max_user_namespaces"); err == nil && strings.TrimSpace(string(b)) == "0" {
		t.Skip("this machine allows no user namespaces (user.max_user_namespaces = 0)")
	}
	name := Name("tbxu")[:12]
	first := freeSubIDs()
	ids := fmt.Sprintf("%d-%d", first, first+65535)
	run(t, "useradd", "--create-home", "--shell", "/bin/sh", "-K", "SUB_UID_COUNT=0", "-K", "SUB_GID_COUNT=0", name)
	t.Cleanup(func() {
		if u, err := user.Lookup(name); err == nil {
			uid, _ := strconv.Atoi(u.Uid)
			killUser(uid)
		}
		_ = exec.Command("usermod", "--del-subuids", ids, "--del-subgids", ids, name).Run()
		_ = exec.Command("userdel", "--remove", name).Run()
	})
	run(t, "usermod", "--add-subuids", ids, "--add-subgids", ids, name)
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	return &User{Name: name, UID: uid, GID: gid, Home: u.HomeDir}
}

// freeSubIDs is the start of a 65,536-id range above every range that
// /etc/subuid and /etc/subgid give out.
func freeSubIDs() int {
	top := 100000
	for _, f := range []string{"/etc/subuid", "/etc/subgid"} {
		b, _ := os.ReadFile(f)
		for _, line := range strings.Split(string(b), "\n") {
			parts := strings.Split(line, ":")
			if len(parts) != 3 {
				continue
			}
			start, err1 := strconv.Atoi(parts[1])
			n, err2 := strconv.Atoi(parts[2])
			if err1 == nil && err2 == nil && start+n > top {
				top = start + n
			}
		}
	}
	return (top + 65535) / 65536 * 65536
}
