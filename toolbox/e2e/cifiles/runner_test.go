//go:build linux

package cifiles

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// machine is a fresh CI machine as a hosted runner gives one: an empty
// HOME (so an empty tbx state directory and Docker config), no terminal,
// CI=true, and the test's Go caches, so that installing tbx compiles only
// what changed.
type machine struct {
	home, temp string
	path       []string // PATH, with what jobs added first
	env        map[string]string
}

func newMachine(t *testing.T) *machine {
	t.Helper()
	m := &machine{home: t.TempDir(), temp: t.TempDir(), path: filepath.SplitList(os.Getenv("PATH")), env: map[string]string{"CI": "true"}}
	for _, kv := range os.Environ() {
		if k, v, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "GO") || k == "DOCKER_HOST" {
			m.env[k] = v
		}
	}
	for _, k := range []string{"GOCACHE", "GOMODCACHE", "GOPATH"} {
		out, err := exec.Command("go", "env", k).Output()
		if err != nil {
			t.Fatalf("go env %s: %v", k, err)
		}
		m.env[k] = strings.TrimSpace(string(out))
	}
	return m
}

// environ is the machine's environment with job's variables over it.
func (m *machine) environ(job map[string]string) []string {
	all := map[string]string{"HOME": m.home, "PATH": strings.Join(m.path, string(os.PathListSeparator))}
	for k, v := range m.env {
		all[k] = v
	}
	for k, v := range job {
		all[k] = v
	}
	out := make([]string, 0, len(all))
	for k, v := range all {
		out = append(out, k+"="+v)
	}
	return out
}

// shell runs script as a runner's bash does (-e, pipefail, no profile, no
// terminal) in dir, and returns what it printed on both streams.
func (m *machine) shell(t *testing.T, dir, script string, env map[string]string) (string, error) {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir, cmd.Env = dir, m.environ(env)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// fakeCommand puts an executable name on the machine's PATH that records
// its arguments, one call a line, in the returned file.
func (m *machine) fakeCommand(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	calls := filepath.Join(dir, name+".calls")
	script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >> %q\n", calls)
	if err := os.WriteFile(filepath.Join(dir, name), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	m.path = append([]string{dir}, m.path...)
	return calls
}

// expand replaces ${{ expr }} with what values gives for expr.
func expand(s string, values map[string]string) string {
	return expr.ReplaceAllStringFunc(s, func(m string) string {
		return values[strings.TrimSpace(expr.FindStringSubmatch(m)[1])]
	})
}

var expr = regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)

// git runs git in dir and fails the test if it fails.
func git(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}
