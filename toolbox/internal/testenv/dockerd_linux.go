package testenv

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/client"
)

// SecondEngine starts a Docker Engine of the test's own, empty: dockerd with
// its own config file, data root, exec root, pidfile and socket, iptables
// off, and a bridge of its own (never --bridge=none in the host's network
// namespace: dockerd would delete the host's docker0). It uses the storage
// driver of the Engine main. Everything is stopped and removed when the test
// ends. It returns a client and the DOCKER_HOST that reaches it.
func SecondEngine(t testing.TB, main *client.Client) (*client.Client, string) {
	t.Helper()
	c, host, _ := secondEngine(t, main)
	return c, host
}

// SecondEngineOnline is SecondEngine whose containers and builds reach the
// network beyond the host, as the main Engine's do (to build from Debian's
// packages): its bridge is masqueraded and forwarded by iptables rules
// that carry the bridge's name and are deleted when the test ends.
func SecondEngineOnline(t testing.TB, main *client.Client) (*client.Client, string) {
	t.Helper()
	c, host, bridge := secondEngine(t, main)
	out, err := exec.Command("ip", "-4", "-o", "addr", "show", "dev", bridge).Output()
	f := strings.Fields(string(out))
	if err != nil || len(f) < 4 {
		t.Fatalf("the second Engine's bridge %s has no IPv4 address: %v %q", bridge, err, out)
	}
	_, subnet, err := net.ParseCIDR(f[3])
	if err != nil {
		t.Fatal(err)
	}
	comment := []string{"-m", "comment", "--comment", "tbx-test-" + bridge}
	forward := "FORWARD"
	if exec.Command("iptables", "-n", "-L", "DOCKER-USER").Run() == nil {
		forward = "DOCKER-USER" // the main Engine's FORWARD drops what it does not know
	}
	rules := [][]string{
		append([]string{"-t", "nat", "POSTROUTING", "-s", subnet.String(), "!", "-o", bridge, "-j", "MASQUERADE"}, comment...),
		append([]string{"-t", "filter", forward, "-i", bridge, "-j", "ACCEPT"}, comment...),
		append([]string{"-t", "filter", forward, "-o", bridge, "-m", "conntrack", "--ctstate", "RELATED,ESTABLISHED", "-j", "ACCEPT"}, comment...),
	}
	for _, r := range rules {
		r := r
		args := append([]string{r[0], r[1], "-I", r[2]}, r[3:]...)
		run(t, "iptables", args...)
		t.Cleanup(func() { _ = exec.Command("iptables", append([]string{r[0], r[1], "-D", r[2]}, r[3:]...)...).Run() })
	}
	return c, host
}

func secondEngine(t testing.TB, main *client.Client) (*client.Client, string, string) {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("a second dockerd needs root")
	}
	bin, err := exec.LookPath("dockerd")
	if err != nil {
		t.Fatalf("a second Engine needs dockerd: %v", err)
	}
	info, err := main.Info(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "tbx-dockerd-")
	if err != nil {
		t.Fatal(err)
	}
	bridge := Name("tbxb")[:12]
	run(t, "ip", "link", "add", "name", bridge, "type", "bridge")
	d := &daemon{dir: dir, bridge: bridge}
	t.Cleanup(d.stop)
	if err := os.WriteFile(filepath.Join(dir, "daemon.json"), []byte("{}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "docker.sock")
	log, err := os.Create(filepath.Join(dir, "dockerd.log"))
	if err != nil {
		t.Fatal(err)
	}
	d.cmd = exec.Command(bin, "--config-file", filepath.Join(dir, "daemon.json"),
		"--data-root", filepath.Join(dir, "data"), "--exec-root", filepath.Join(dir, "exec"),
		"--pidfile", filepath.Join(dir, "dockerd.pid"), "-H", "unix://"+sock,
		"--bridge", bridge, "--iptables=false", "--ip-masq=false", "--ip-forward=false",
		"--storage-driver", info.Driver)
	d.cmd.Stdout, d.cmd.Stderr = log, log
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	host := "unix://" + sock
	c, err := client.NewClientWithOpts(client.WithHost(host), client.WithAPIVersionNegotiation())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	d.wait(t, c)
	return c, host, bridge
}

type daemon struct {
	dir, bridge string
	cmd         *exec.Cmd
}

func (d *daemon) wait(t testing.TB, c *client.Client) {
	t.Helper()
	waitForEngine(t, c, "the second dockerd", filepath.Join(d.dir, "dockerd.log"))
}

// waitForEngine waits up to a minute for an Engine of the test's own, what,
// to answer c's ping, and fails the test with the end of its log if not.
func waitForEngine(t testing.TB, c *client.Client, what, logPath string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		_, err := c.Ping(ctx)
		cancel()
		if err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	b, _ := os.ReadFile(logPath)
	t.Fatalf("%s did not answer within a minute; its log ends:\n%s", what, tail(string(b), 20))
}

// stop ends dockerd (and the containerd it started), then removes its
// bridge, whatever it left mounted, and its directories.
func (d *daemon) stop() {
	if d.cmd != nil && d.cmd.Process != nil {
		_ = d.cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = d.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
	}
	_ = exec.Command("ip", "link", "del", d.bridge).Run()
	unmountBelow(d.dir)
	_ = os.RemoveAll(d.dir)
}

// unmountBelow lazily unmounts every mount under dir, deepest first.
func unmountBelow(dir string) {
	b, err := os.ReadFile("/proc/mounts")
	if err != nil {
		return
	}
	var points []string
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 1 && strings.HasPrefix(f[1], dir+"/") {
			points = append(points, f[1])
		}
	}
	for i := len(points) - 1; i >= 0; i-- {
		_ = syscall.Unmount(points[i], syscall.MNT_DETACH)
	}
}
