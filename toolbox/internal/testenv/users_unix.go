//go:build !windows

package testenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// ChownTree gives dir and everything below it to uid:gid, and its parents
// search permission so that the user can reach it.
func ChownTree(t testing.TB, dir string, uid, gid int) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, uid, gid)
	})
	if err != nil {
		t.Fatal(err)
	}
	for d := filepath.Dir(dir); d != "/"; d = filepath.Dir(d) {
		if fi, err := os.Stat(d); err == nil && fi.Mode().Perm()&0o001 == 0 {
			_ = os.Chmod(d, fi.Mode().Perm()|0o011)
		}
	}
}

// SSHAgent starts an ssh-agent of the test's own as cred (nil: this user)
// holding a fresh key, stopped when the test ends, and returns its socket
// and the key's public half.
func SSHAgent(t testing.TB, cred *syscall.Credential) (sock, pub string) {
	t.Helper()
	dir := t.TempDir()
	if cred != nil {
		ChownTree(t, dir, int(cred.Uid), int(cred.Gid))
	}
	as := func(cmd *exec.Cmd) *exec.Cmd {
		if cred != nil {
			cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
		}
		return cmd
	}
	sock = filepath.Join(dir, "agent.sock")
	agent := as(exec.Command("ssh-agent", "-D", "-a", sock))
	if err := agent.Start(); err != nil {
		t.Fatalf("ssh-agent: %v", err)
	}
	t.Cleanup(func() { _ = agent.Process.Kill(); _ = agent.Wait() })
	for i := 0; i < 50; i++ {
		if _, err := os.Stat(sock); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	key := filepath.Join(dir, "id")
	// ssh-keygen wants a passwd entry, which a test's user may not have:
	// make the key here and hand it over.
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tbx-test-key", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v %s", err, out)
	}
	if cred != nil {
		ChownTree(t, dir, int(cred.Uid), int(cred.Gid))
	}
	add := as(exec.Command("ssh-add", key))
	add.Env = append(os.Environ(), "SSH_AUTH_SOCK="+sock)
	if out, err := add.CombinedOutput(); err != nil {
		t.Fatalf("ssh-add: %v %s", err, out)
	}
	b, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	return sock, strings.TrimSpace(string(b))
}
