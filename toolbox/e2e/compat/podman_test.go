//go:build linux

package compat

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tbx-dev/tbx/toolbox/front"
	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// podmanProject writes a project with a tool "box" built from the Debian
// base and a tool "deb" that is the base under a short name, as Podman
// stores it (localhost/bars/deb:1), plus extra TOML for box.
func podmanProject(t *testing.T, dir, extra string) {
	t.Helper()
	testenv.WriteFiles(t, dir, map[string]string{
		"toolbox.toml": "[toolbox]\nname = \"" + testenv.Name("t") + "\"\n" +
			"[tools.box]\nbuild = \"img\"\ncommands = [\"box-sh\"]\n" + extra +
			"[tools.deb]\nimage = \"bars/deb:1\"\ncommands = [\"head\"]\n",
		"img/Dockerfile": "FROM " + testenv.DebianBase + "\nRUN ln -s /bin/sh /usr/local/bin/box-sh\n",
	})
}

// onPodman starts a Podman with the Debian base, under its own name and the
// short name bars/deb:1, and returns a caller whose tbx reaches it.
func onPodman(t *testing.T, opts testenv.PodmanOptions) (*testenv.Podman, caller) {
	t.Helper()
	c := testenv.Engine(t)
	base := testenv.Debian(t, c)
	p := testenv.StartPodman(t, opts)
	p.Load(t, c, base)
	if err := p.Client.ImageTag(context.Background(), base, "bars/deb:1"); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "DOCKER_HOST=" + p.Host, "TBX_PROGRESS=plain", "TBX_SPARE=0"}
	return p, caller{env: env}
}

func TestPodmanRunsExactly(t *testing.T) {
	p, who := onPodman(t, testenv.PodmanOptions{})
	dir := t.TempDir()
	podmanProject(t, dir, "")
	who = who.with("HOME="+t.TempDir(), "XDG_STATE_HOME="+t.TempDir(), "TBX_TRUST="+dir)
	who.must(t, dir, "prepare")
	if r := who.must(t, dir, "doctor"); !strings.Contains(r.out, "ok    Podman 4.") || strings.Contains(r.out, "rootless") {
		t.Errorf("doctor does not name a rootful Podman:\n%s", r.out)
	}

	t.Run("exit codes", func(t *testing.T) {
		for _, code := range []int{0, 1, 2, 42, 125, 126, 127, 128, 129, 130, 137, 143, 200, 222, 254, 255} {
			if r := who.tbx(t, dir, nil, "run", "box-sh", "-c", fmt.Sprintf("exit %d", code)); r.code != code {
				t.Errorf("exit %d came back as %d: %s", code, r.code, r.err)
			}
		}
		if r := who.tbx(t, dir, nil, "run", "box-sh", "-c", "kill -TERM $$"); r.code != 143 {
			t.Errorf("a command killed by SIGTERM exited %d, want 143: %s", r.code, r.err)
		}
	})
	t.Run("streams", func(t *testing.T) { streamsExact(t, who, dir) })
	t.Run("short name", func(t *testing.T) {
		if r := who.tbx(t, dir, nil, "run", "head", "-c", "3", "/etc/debian_version"); r.code != 0 || r.out != "12." {
			t.Errorf("the short name bars/deb:1: exit %d, stdout %q, stderr %s", r.code, r.out, r.err)
		}
	})
	for _, c := range p.Containers(t) {
		t.Errorf("container %s (%s) is left after its run", c.ID[:12], c.Status)
	}

	warm := who.with("TBX_WARM=2m")
	t.Run("warm exit codes", func(t *testing.T) {
		for code := 0; code < 256; code++ {
			if r := warm.tbx(t, dir, nil, "run", "box-sh", "-c", fmt.Sprintf("exit %d", code)); r.code != code {
				t.Errorf("warm: exit %d came back as %d: %s", code, r.code, r.err)
			}
		}
	})
	t.Run("warm streams", func(t *testing.T) { streamsExact(t, warm, dir) })
	if n := warmContainers(t, p); n != 1 {
		t.Errorf("%d warm containers after the warm runs, want 1", n)
	}
}

// streamsExact checks that stdin reaches the command byte for byte and that
// stdout and stderr stay apart.
func streamsExact(t *testing.T, who caller, dir string) {
	in := make([]byte, 1<<20)
	_, _ = rand.Read(in)
	r := who.tbx(t, dir, bytes.NewReader(in), "run", "box-sh", "-c", "cat")
	if r.code != 0 || r.out != string(in) {
		t.Errorf("stdin through cat: exit %d, %d bytes back of %d, equal %v: %s", r.code, len(r.out), len(in), r.out == string(in), r.err)
	}
	r = who.tbx(t, dir, nil, "run", "box-sh", "-c", "echo out; echo err >&2; exit 3")
	if r.code != 3 || r.out != "out\n" || !strings.HasSuffix(r.err, "err\n") {
		t.Errorf("separate streams: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
}

func warmContainers(t *testing.T, p *testenv.Podman) int {
	n := 0
	for _, c := range p.Containers(t) {
		if c.Labels[labels.Warm] != "" {
			n++
		}
	}
	return n
}

func TestPodmanWithoutCatatonitSaysSo(t *testing.T) {
	_, who := onPodman(t, testenv.PodmanOptions{NoInit: true})
	dir := t.TempDir()
	podmanProject(t, dir, "")
	who = who.with("HOME="+t.TempDir(), "XDG_STATE_HOME="+t.TempDir(), "TBX_TRUST="+dir)
	r := who.tbx(t, dir, nil, "run", "head", "-c", "3", "/etc/debian_version")
	lines := strings.Split(strings.TrimSpace(r.err), "\n")
	if r.code != 125 || len(lines) != 1 || !strings.Contains(r.err, "install catatonit") || !strings.Contains(r.err, "init = false") {
		t.Errorf("init without catatonit: exit %d, stderr %q; want 125 and one line saying to install catatonit or set init = false", r.code, r.err)
	}
	// The warm helper is its own init: warm runs need no catatonit.
	if r := who.with("TBX_WARM=1m").tbx(t, dir, nil, "run", "head", "-c", "3", "/etc/debian_version"); r.code != 0 || r.out != "12." {
		t.Errorf("a warm run without catatonit: exit %d, stdout %q, stderr %s", r.code, r.out, r.err)
	}
}

func TestRootlessPodmanKeepsTheCallerTheOwner(t *testing.T) {
	u := testenv.RootlessUser(t)
	p, who := onPodman(t, testenv.PodmanOptions{User: u})
	who = who.with("HOME="+u.Home, "USER="+u.Name)
	who.cred = &syscall.Credential{Uid: uint32(u.UID), Gid: uint32(u.GID)}
	dir := filepath.Join(u.Home, "proj")
	extra := ""
	fi, err := os.Stat("/dev/net/tun")
	noTun := err != nil || fi.Mode().Perm()&0o006 != 0o006
	if noTun {
		// Rootless networks need /dev/net/tun; this sandbox keeps it from
		// other users. The user namespace is what is under test; tool deb,
		// on Podman's default network, meets the missing device.
		t.Log("/dev/net/tun is not open to other users here: box uses network = \"host\"")
		extra = "network = \"host\"\n"
	}
	podmanProject(t, dir, extra)
	testenv.ChownTree(t, dir, u.UID, u.GID)
	who.must(t, dir, "trust")
	who.must(t, dir, "prepare")
	doctor := who.tbx(t, dir, nil, "doctor")
	if !strings.Contains(doctor.out, "ok    Podman 4.") || !strings.Contains(doctor.out, "(rootless, yours") {
		t.Errorf("doctor does not name a rootless Podman of the caller's:\n%s", doctor.out)
	}
	if noTun {
		t.Run("no /dev/net/tun", func(t *testing.T) {
			if doctor.code != 1 || !strings.Contains(doctor.out, "cannot give containers a network, because open /dev/net/tun: permission denied") || !strings.Contains(doctor.out, "sudo chmod 0666 /dev/net/tun") {
				t.Errorf("doctor on a rootless Podman without /dev/net/tun: exit %d\n%s", doctor.code, doctor.out)
			}
			r := who.tbx(t, dir, nil, "run", "head", "-c", "3", "/etc/debian_version")
			want := "tbx: tool deb: the rootless Podman at " + p.Host + " cannot give its container a network, because open /dev/net/tun: permission denied"
			if r.code != 125 || !strings.HasPrefix(r.err, want) || strings.Count(r.err, "\n") != 1 || !strings.Contains(r.err, `set network = "none"`) {
				t.Errorf("a run on a rootless Podman without /dev/net/tun: exit %d, stderr %q; want 125 and one line starting %q", r.code, r.err, want)
			}
		})
	} else if doctor.code != 0 {
		t.Errorf("doctor: exit %d\n%s", doctor.code, doctor.out)
	}

	r := who.tbx(t, dir, nil, "--debug", "run", "box-sh", "-c", "id -u; touch made; exit 3")
	if r.code != 3 || r.out != strconv.Itoa(u.UID)+"\n" || !strings.Contains(r.err, "(keep-id)") {
		t.Fatalf("rootless run: exit %d, stdout %q (want %d), stderr %s", r.code, r.out, u.UID, r.err)
	}
	ownedBy(t, filepath.Join(dir, "made"), u)
	r = who.with("TBX_WARM=1m").tbx(t, dir, nil, "run", "box-sh", "-c", "touch made-warm; exit 4")
	if r.code != 4 {
		t.Fatalf("rootless warm run: exit %d, stderr %s", r.code, r.err)
	}
	ownedBy(t, filepath.Join(dir, "made-warm"), u)
	if n := warmContainers(t, p); n != 1 {
		t.Errorf("%d warm containers after the warm run, want 1", n)
	}
}

func ownedBy(t *testing.T, path string, u *testenv.User) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st := fi.Sys().(*syscall.Stat_t); int(st.Uid) != u.UID || int(st.Gid) != u.GID {
		t.Errorf("%s belongs to %d:%d, want the caller %d:%d", filepath.Base(path), st.Uid, st.Gid, u.UID, u.GID)
	}
}

// docs/podman.md's setup without systemd, run as written by a rootless user
// of the test's own: the service starts, and tbx doctor finds a rootless
// Podman of the user's. (The sandbox's containers.conf is the one thing
// added: runc here cannot apply Podman's default ulimits.)
func TestRootlessPodmanSetupAsDocumented(t *testing.T) {
	u := testenv.RootlessUser(t)
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "podman.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "<!-- podman-setup -->\n```sh\n")
	block, _, ok2 := strings.Cut(block, "```\n<!-- /podman-setup -->")
	if !ok || !ok2 {
		t.Fatal("docs/podman.md has no podman-setup block")
	}
	runtime := filepath.Join(t.TempDir(), "xdg")
	conf := filepath.Join(filepath.Dir(runtime), "containers.conf")
	testenv.WriteFiles(t, filepath.Dir(runtime), map[string]string{"containers.conf": "[containers]\ndefault_ulimits = []\n", "xdg/.keep": ""})
	_ = os.Chmod(filepath.Dir(runtime), 0o755)
	_ = os.Chmod(conf, 0o644)
	testenv.ChownTree(t, runtime, u.UID, u.GID)
	_ = os.Chmod(runtime, 0o700)
	cmd := exec.Command("bash", "-c", block)
	cmd.Dir = u.Home
	cmd.Env = []string{"PATH=" + filepath.Dir(tbxBin) + ":" + os.Getenv("PATH"), "HOME=" + u.Home, "USER=" + u.Name,
		"XDG_RUNTIME_DIR=" + runtime, "CONTAINERS_CONF=" + conf}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Credential: &syscall.Credential{Uid: uint32(u.UID), Gid: uint32(u.GID)}}
	// A file, not a pipe: the service the block starts in the background
	// keeps its streams open after the block ends.
	log, err := os.Create(filepath.Join(t.TempDir(), "setup.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer log.Close()
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(2 * time.Minute):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		t.Fatal("the documented setup did not finish in 2 minutes")
	}
	out, _ := os.ReadFile(log.Name())
	if !strings.Contains(string(out), "ok    Podman 4.") || !strings.Contains(string(out), "(rootless, yours") ||
		!strings.Contains(string(out), "unix://"+runtime+"/podman/podman.sock") {
		t.Errorf("tbx doctor after the documented setup:\n%s", out)
	}
}

// Spares on Podman: a run takes the spare tbx made after the last one, in
// a container of its own, and gc removes the next.
func TestPodmanSpares(t *testing.T) {
	p, who := onPodman(t, testenv.PodmanOptions{})
	dir := t.TempDir()
	podmanProject(t, dir, "")
	state := t.TempDir()
	who = who.with("HOME="+t.TempDir(), "XDG_STATE_HOME="+state, "TBX_TRUST="+dir, "TBX_SPARE=1m")
	who.must(t, dir, "prepare")
	who.must(t, dir, "run", "box-sh", "-c", "true")
	first := podmanSpare(t, p, state)
	const sleepers = `for p in /proc/[0-9]*; do cat $p/comm 2>/dev/null; done | grep -c '^sleep$' || true`
	r := who.tbx(t, dir, nil, "run", "box-sh", "-c", "hostname; echo left > /tmp/mark; setsid sleep 300 </dev/null >/dev/null 2>&1 & sleep 0.2; "+sleepers+"; exit 3")
	if r.code != 3 || r.out != first+"\n1\n" {
		t.Fatalf("a run in the spare %s: exit %d, stdout %q, stderr %s", first, r.code, r.out, r.err)
	}
	second := podmanSpare(t, p, state)
	r = who.tbx(t, dir, nil, "run", "box-sh", "-c", "hostname; cat /tmp/mark 2>/dev/null || echo no-mark; "+sleepers)
	if r.code != 0 || r.out != second+"\nno-mark\n0\n" || second == first {
		t.Errorf("the next run: exit %d, stdout %q (spares %s, %s), stderr %s", r.code, r.out, first, second, r.err)
	}
	podmanSpare(t, p, state)
	who.must(t, dir, "gc")
	for _, c := range p.Containers(t) {
		if c.Labels[labels.Spare] != "" {
			t.Errorf("gc left the spare %s (%s)", c.ID[:12], c.State)
		}
	}
}

// podmanSpare waits until no tbx makes a spare, and returns the hostname
// of the one running spare.
func podmanSpare(t *testing.T, p *testenv.Podman, state string) string {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); testenv.MakingSpare(filepath.Dir(tbxBin)); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("a spare was still being made after 60s")
		}
	}
	var hosts []string
	for _, c := range p.Containers(t) {
		if c.Labels[labels.Spare] != "" && c.State == "running" {
			ins, err := p.Client.ContainerInspect(context.Background(), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			hosts = append(hosts, ins.Config.Hostname)
		}
	}
	if len(hosts) != 1 {
		log, _ := os.ReadFile(filepath.Join(state, "tbx", front.SpareLog))
		t.Fatalf("%d running spares, want 1; the maker said: %q", len(hosts), log)
	}
	return hosts[0]
}
