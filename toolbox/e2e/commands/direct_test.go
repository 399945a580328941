//go:build linux

package commands

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"
	"github.com/docker/docker/pkg/stdcopy"
	"golang.org/x/sys/unix"

	"github.com/tbx-dev/tbx/toolbox/internal/direct"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// dialEnv asks the test binary, started as a child, to send the request
// in it to the helper's socket in the directory on descriptor 3, and to
// print the helper's answer: a stand-in for a process of another user.
const dialEnv = "TBX_TEST_DIAL"

func init() {
	if req := os.Getenv(dialEnv); req != "" {
		os.Exit(dialMain(req))
	}
}

// dialMain is that child.
func dialMain(reqJSON string) int {
	var req direct.Request
	if err := json.Unmarshal([]byte(reqJSON), &req); err != nil {
		fmt.Println("bad request:", err)
		return 2
	}
	conn, err := direct.Dial("/proc/self/fd/3")
	if err != nil {
		fmt.Println("dial:", err)
		return 2
	}
	sess, err := conn.Start(req, []*os.File{os.Stdin, os.Stdout, os.Stderr, os.Stdout, os.Stderr})
	if err != nil {
		fmt.Println("answer:", err)
		return 0
	}
	code, err := sess.Wait()
	fmt.Println("ran:", code, err)
	return 0
}

// socketDir is the one directory of a warm container's socket in the
// test's state directory.
func socketDir(t *testing.T) string {
	t.Helper()
	dirs, _ := filepath.Glob(filepath.Join(os.Getenv("XDG_STATE_HOME"), "tbx", "direct", "*"))
	if len(dirs) != 1 {
		t.Fatalf("%d directories of warm sockets; want 1", len(dirs))
	}
	return dirs[0]
}

// A process of another uid that reaches the socket (its modes opened up,
// as a careless chmod would) is refused by the helper's SO_PEERCRED check:
// its command never runs, and the helper keeps serving its owner.
func TestDirectRefusesAnotherUID(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to act as another uid")
	}
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "warm = \"1m\"\n")
	sh(t, dir, "true")
	sock := socketDir(t)
	if fi, err := os.Stat(filepath.Join(sock, direct.Socket)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the socket: %v, %v; want mode 0600", fi, err)
	}
	if fi, err := os.Stat(sock); err != nil || fi.Mode().Perm() != 0o700 {
		t.Fatalf("the socket's directory: %v, %v; want mode 0700", fi, err)
	}
	if err := errors.Join(os.Chmod(filepath.Join(sock, direct.Socket), 0o666), os.Chmod(sock, 0o755)); err != nil {
		t.Fatal(err)
	}
	marker := filepath.Join(dir, "pwned")
	out := dialAs(t, sock, 65534, direct.Request{Argv: []string{"touch", marker}, Dir: "/"})
	if !strings.Contains(out, "refused the run") || !strings.Contains(out, "uid 65534") {
		t.Errorf("another uid's request: %q; want a refusal naming the uid", out)
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("another uid's command ran")
	}
	if r := sh(t, dir, "echo still"); r.code != 0 || r.out != "still\n" {
		t.Errorf("the owner's run after the refusal: %d %q %q", r.code, r.out, r.err)
	}
}

// dialAs runs the dialling child as uid, with the socket's directory as
// descriptor 3, and returns what it printed.
func dialAs(t *testing.T, sock string, uid uint32, req direct.Request) string {
	t.Helper()
	d, err := os.OpenFile(sock, unix.O_PATH|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	b, _ := json.Marshal(req)
	cmd := exec.Command(readableCopy(t, os.Args[0]))
	cmd.Env = append(os.Environ(), dialEnv+"="+string(b))
	cmd.ExtraFiles = []*os.File{d}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the dialling child: %v: %s", err, out)
	}
	return string(out)
}

// readableCopy copies the executable at path where every user may run it.
func readableCopy(t *testing.T, path string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "tbx-dial-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	b, err := os.ReadFile(path)
	if err == nil {
		err = os.Chmod(dir, 0o755)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "dial"), b, 0o755)
	}
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "dial")
}

// Malformed requests are refused, each with a reason, and logged; none
// runs, and the helper keeps serving.
func TestDirectRefusesMalformedRequests(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "warm = \"1m\"\n")
	sh(t, dir, "true")
	sock := filepath.Join(socketDir(t), direct.Socket)
	marker := filepath.Join(dir, "ran")
	good, _ := json.Marshal(direct.Request{Version: direct.Version, Argv: []string{"touch", marker}, Dir: "/"})
	tty, _ := json.Marshal(direct.Request{Version: direct.Version, Argv: []string{"touch", marker}, Dir: "/", TTY: true})
	five := []*os.File{os.Stdin, os.Stdout, os.Stderr, os.Stdout, os.Stderr}
	for _, tc := range []struct {
		name  string
		frame []byte
		files []*os.File
		want  string
	}{
		{"not JSON", direct.AppendFrame(nil, direct.TypeRequest, []byte("{nope")), five, "malformed"},
		{"a signal first", direct.AppendFrame(nil, direct.TypeSignal, []byte{15}), five, "where a request belongs"},
		{"another version", direct.AppendFrame(nil, direct.TypeRequest, []byte(`{"v":9,"argv":["touch","`+marker+`"],"dir":"/"}`)), five, "version 9"},
		{"a frame of 4 GiB", []byte{direct.TypeRequest, 0xff, 0xff, 0xff, 0xff}, five, "over the"},
		{"two descriptors", direct.AppendFrame(nil, direct.TypeRequest, good), five[:2], "2 descriptors"},
		{"no descriptors", direct.AppendFrame(nil, direct.TypeRequest, good), nil, "0 descriptors"},
		{"descriptors with a terminal", direct.AppendFrame(nil, direct.TypeRequest, tty), five, "5 descriptors"},
		{"nine descriptors", direct.AppendFrame(nil, direct.TypeRequest, good), append(append([]*os.File{}, five...), five[:4]...), "descriptors"},
	} {
		answer := sendRaw(t, sock, tc.frame, tc.files)
		if !strings.Contains(answer, tc.want) {
			t.Errorf("%s: answered %q; want a refusal with %q", tc.name, answer, tc.want)
		}
	}
	if _, err := os.Stat(marker); err == nil {
		t.Error("a malformed request ran")
	}
	if r := sh(t, dir, "echo still"); r.code != 0 || r.out != "still\n" {
		t.Errorf("a run after the malformed ones: %d %q %q", r.code, r.out, r.err)
	}
	logs := containerLogs(t, c, warmContainers(t, c, project)[0].ID)
	if n := strings.Count(logs, "tbx-warm: refused a run"); n < 8 {
		t.Errorf("the helper logged %d refusals, want 8:\n%s", n, logs)
	}
}

// sendRaw sends frame with files on a new connection to sock and returns
// the helper's answer: the refusal's reason, or what went wrong.
func sendRaw(t *testing.T, sock string, frame []byte, files []*os.File) string {
	t.Helper()
	conn, err := net.DialUnix("unix", nil, &net.UnixAddr{Name: sock, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, _, err := conn.WriteMsgUnix(frame, direct.Rights(files), nil); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	typ, payload, err := direct.ReadFrame(conn)
	if err != nil {
		return "no answer: " + err.Error()
	}
	if typ != direct.TypeRefused {
		return fmt.Sprintf("a frame of type %q", typ)
	}
	if _, err := conn.Read(make([]byte, 1)); err != io.EOF {
		return "the connection stayed open after the refusal"
	}
	return direct.DecodeRefusal(payload).Reason
}

// When tbx is killed mid-run, the command gets SIGHUP as one whose
// terminal went away, and nothing stays behind in the warm container.
func TestDirectHangsUpWhenTbxIsKilled(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := runProject(t, c, "warm = \"1m\"\n")
	killedMidRunOf(t, dir, "trap 'echo hup > got-hup; exit 129' HUP; echo ready; while :; do sleep 0.1; done")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "got-hup")); err == nil && string(b) == "hup\n" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the command got no SIGHUP within 10s of tbx's kill")
		}
		time.Sleep(50 * time.Millisecond)
	}
	warm := warmContainers(t, c, project)
	if len(warm) != 1 {
		t.Fatalf("%d warm containers", len(warm))
	}
	if cmds := commandsIn(t, c, warm[0].ID); len(cmds) != 0 {
		t.Errorf("left behind in the warm container: %v", cmds)
	}
	// A command that ignores the hangup keeps running; its tbx is gone,
	// and gc, which keeps a warm container with a run in it, removes it.
	killedMidRunOf(t, dir, "trap '' HUP; echo ready; exec sleep 300")
	r := tbxIn(t, dir, "gc", "--warm")
	if r.code != 0 || !strings.Contains(r.out, "runs whose launchers are gone") {
		t.Errorf("gc --warm after a killed tbx whose command ignored SIGHUP: exit %d, out %q, err %q", r.code, r.out, r.err)
	}
	if left := warmContainers(t, c, project); len(left) != 0 {
		t.Errorf("%d warm containers left after gc", len(left))
	}
}

func containerLogs(t *testing.T, c *client.Client, id string) string {
	t.Helper()
	rc, err := c.ContainerLogs(t.Context(), id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	var out strings.Builder
	if _, err := stdcopy.StdCopy(&out, &out, rc); err != nil {
		t.Fatal(err)
	}
	return out.String()
}
