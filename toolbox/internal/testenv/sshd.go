//go:build !windows

package testenv

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"testing"
	"time"
)

// SSHD starts an sshd of the test's own on 127.0.0.1 (its own config, host
// key and authorized key) that lets the current user in by key, and puts an
// `ssh` first on PATH that uses the test's client config: OpenSSH reads
// ~/.ssh from the passwd home, not $HOME. It returns the DOCKER_HOST that
// reaches this machine's Engine through it, ssh://USER@127.0.0.1:PORT.
func SSHD(t testing.TB) string {
	t.Helper()
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("ssh:// reaches the Engine through `docker system dial-stdio` on the far side, and there is no docker CLI here")
	}
	s := SSHServer(t)
	return fmt.Sprintf("ssh://%s@127.0.0.1:%d", s.User, s.Port)
}

// SSH is an sshd of the test's own on 127.0.0.1: who may log in, where,
// and with which private key.
type SSH struct {
	User string
	Port int
	Key  string // the client's private key file
}

// SSHServer starts an sshd of the test's own, as SSHD does, and says how
// to reach it.
func SSHServer(t testing.TB) SSH {
	t.Helper()
	sshd := "/usr/sbin/sshd"
	if _, err := os.Stat(sshd); err != nil {
		t.Fatalf("these tests need sshd (apt-get install openssh-server; scripts/test.sh does): %v", err)
	}
	u, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "tbx-sshd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	_ = os.Chmod(dir, 0o700)
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "host_key"))
	run(t, "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", filepath.Join(dir, "client_key"))
	pub, _ := os.ReadFile(filepath.Join(dir, "client_key.pub"))
	writeFile(t, filepath.Join(dir, "authorized_keys"), string(pub), 0o600)
	port := freePortNumber(t)
	writeFile(t, filepath.Join(dir, "sshd_config"), fmt.Sprintf(`ListenAddress 127.0.0.1
Port %d
HostKey %s
AuthorizedKeysFile %s
PidFile %s
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
`, port, filepath.Join(dir, "host_key"), filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "sshd.pid")), 0o600)
	_ = os.MkdirAll("/run/sshd", 0o755) // its privilege separation directory
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	log, _ := os.Create(filepath.Join(dir, "sshd.log"))
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); log.Close() })
	writeFile(t, filepath.Join(dir, "ssh_config"), fmt.Sprintf(`Host *
  IdentityFile %s
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  LogLevel ERROR
`, filepath.Join(dir, "client_key")), 0o600)
	bin := filepath.Join(dir, "bin")
	real, err := exec.LookPath("ssh")
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(bin, "ssh"), fmt.Sprintf("#!/bin/sh\nexec %s -F %s \"$@\"\n", real, filepath.Join(dir, "ssh_config")), 0o755)
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	waitPort(t, port, filepath.Join(dir, "sshd.log"))
	return SSH{User: u.Username, Port: port, Key: filepath.Join(dir, "client_key")}
}

func writeFile(t testing.TB, path, content string, mode os.FileMode) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
}

func freePortNumber(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitPort(t testing.TB, port int, logPath string) {
	t.Helper()
	for i := 0; i < 100; i++ {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	b, _ := os.ReadFile(logPath)
	t.Fatalf("sshd did not listen on %d; its log ends:\n%s", port, tail(string(b), 20))
}
