//go:build !windows

package commands

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/api/types/network"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// toolsProject is a project with the repository's az and ansible images (at
// the versions the repository's toolbox.toml pins), plus an sshd target
// image, all built.
type toolsProject struct {
	dir, project, net string
	c                 *client.Client
}

func newToolsProject(t *testing.T) *toolsProject {
	t.Helper()
	c := testenv.Engine(t)
	testenv.Debian(t, c)
	p := &toolsProject{c: c, project: testenv.Project(t, c), net: testenv.Network(t, c), dir: t.TempDir()}
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	var rec strings.Builder
	fmt.Fprintf(&rec, "[toolbox]\nname = %q\n", p.project)
	rec.WriteString(repoTools(t, "az", "ansible"))
	fmt.Fprintf(&rec, "ssh_agent = true\nnetwork = %q\n", p.net)
	rec.WriteString("[tools.target]\nbuild = \"target\"\ncommands = []\n")
	writeFiles(t, p.dir, map[string]string{
		"toolbox.toml": rec.String(),
		"target/Dockerfile": "FROM " + testenv.DebianBase + "\n" +
			"RUN apt-get update && apt-get install -y --no-install-recommends openssh-server python3 && rm -rf /var/lib/apt/lists/* \\\n" +
			" && mkdir -p /run/sshd && useradd -m -s /bin/sh deploy && usermod -p '*' deploy\n" +
			"COPY start.sh /start.sh\nCMD [\"/bin/sh\", \"/start.sh\"]\n",
		"target/start.sh": "set -e\nmkdir -p /home/deploy/.ssh\nprintf '%s\\n' \"$AUTHORIZED_KEYS\" > /home/deploy/.ssh/authorized_keys\n" +
			"chown -R deploy /home/deploy/.ssh && chmod 700 /home/deploy/.ssh && chmod 600 /home/deploy/.ssh/authorized_keys\n" +
			"ssh-keygen -A\nexec /usr/sbin/sshd -D -e\n",
		"inventory.ini": "[targets]\ntarget ansible_host=target ansible_user=deploy ansible_python_interpreter=/usr/bin/python3\n",
		"site.yml":      "- hosts: targets\n  gather_facts: false\n  tasks:\n    - name: leave proof\n      ansible.builtin.copy:\n        content: \"{{ proof }}\\n\"\n        dest: /tmp/tbx-proof\n",
	})
	mustTbx(t, "-f", filepath.Join(p.dir, "toolbox.toml"), "--progress", "plain", "prepare", "-j", "3")
	return p
}

// repoTools is the TOML of the named tools as the repository's
// toolbox.toml pins them, with absolute build contexts, so that a test
// project of any name builds exactly the shipped images.
func repoTools(t testing.TB, names ...string) string {
	t.Helper()
	repo, _ := filepath.Abs("../../..")
	pinned, err := recipe.Load(filepath.Join(repo, recipe.FileName), recipe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var rec strings.Builder
	for _, name := range names {
		tool := pinned.Tool(name)
		fmt.Fprintf(&rec, "[tools.%s]\nbuild = %q\ncommands = %s\nargs = {", name, tool.Build, tomlList(tool.Commands))
		for _, k := range sortedKeys(tool.Args) {
			fmt.Fprintf(&rec, " %s = %q,", k, tool.Args[k])
		}
		rec.WriteString(" }\n")
	}
	return rec.String()
}

// exampleProject is a project of the repository's three example tools.
func exampleProject(t testing.TB, c *client.Client) (dir, project string) {
	t.Helper()
	project, dir = testenv.Project(t, c), t.TempDir()
	writeFiles(t, dir, map[string]string{"toolbox.toml": "[toolbox]\nname = \"" + project + "\"\n" + repoTools(t, "az", "ansible", "kubectl")})
	return dir, project
}

func tomlList(items []string) string {
	q := make([]string, len(items))
	for i, s := range items {
		q[i] = fmt.Sprintf("%q", s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestToolImages(t *testing.T) {
	p := newToolsProject(t)
	t.Run("az version", p.azVersion)
	t.Run("isolated stacks", p.isolatedStacks)
	t.Run("ansible localhost setup", p.ansibleSetup)
	t.Run("ansible playbook over ssh", p.ansiblePlaybook)
	t.Run("az config persists as a non-root caller", p.azConfigAsUser)
	t.Run("shims", p.shims)
}

func (p *toolsProject) azVersion(t *testing.T) {
	r := tbxIn(t, p.dir, "run", "az", "version")
	var v map[string]any
	if r.code != 0 || json.Unmarshal([]byte(r.out), &v) != nil {
		t.Fatalf("az version: exit %d, stdout %q, stderr %q", r.code, r.out, r.err)
	}
	if v["azure-cli"] != "2.45.0" {
		t.Errorf("az version reports %v, want the pinned 2.45.0", v["azure-cli"])
	}
}

func (p *toolsProject) isolatedStacks(t *testing.T) {
	check := func(tool, script, want string) {
		t.Helper()
		r := tbxIn(t, p.dir, "run", "--tool", tool, "--", "sh", "-c", script)
		if r.out != want {
			t.Errorf("%s: %q: got %q (stderr %q), want %q", tool, script, r.out, r.err, want)
		}
	}
	check("az", "python3 -c 'import azure.cli.core, sys; print(sys.executable)'", "/usr/bin/python3\n")
	check("ansible", "python3 -c 'import ansible, sys; print(sys.executable)'", "/usr/bin/python3\n")
	check("az", "command -v ansible ansible-playbook; python3 -c 'import ansible' 2>/dev/null || echo no ansible", "no ansible\n")
	check("ansible", "command -v az; python3 -c 'import azure.cli.core' 2>/dev/null || echo no az", "no az\n")
}

func (p *toolsProject) ansibleSetup(t *testing.T) {
	r := tbxIn(t, p.dir, "run", "ansible", "localhost", "-m", "setup", "-a", "filter=ansible_python_version")
	if r.code != 0 || !strings.Contains(r.out, "ansible_python_version") || !strings.Contains(r.out, "SUCCESS") {
		t.Fatalf("ansible localhost -m setup: exit %d\n%s\n%s", r.code, r.out, r.err)
	}
}

func (p *toolsProject) ansiblePlaybook(t *testing.T) {
	rootAgent, rootPub := testenv.SSHAgent(t, nil)
	userHome, userAgent, userPub := p.nonRootAgent(t)
	target := p.startTarget(t, rootPub+"\n"+userPub)

	t.Setenv("SSH_AUTH_SOCK", rootAgent)
	r := tbxIn(t, p.dir, "run", "ansible-playbook", "-i", "inventory.ini", "site.yml", "-e", "proof=root-run")
	if r.code != 0 || readFromContainer(t, p.c, target, "/tmp/tbx-proof") != "root-run\n" {
		t.Fatalf("playbook as root: exit %d\n%s\n%s", r.code, r.out, r.err)
	}

	cmd := tbxProcess(p.dir, "run", "ansible-playbook", "-i", "inventory.ini", "site.yml", "-e", "proof=user-run")
	asUser(t, cmd, testUID, testGID, userHome)
	cmd.Env = append(cmd.Env, "SSH_AUTH_SOCK="+userAgent)
	out, err := cmd.CombinedOutput()
	if exitCode(err) != 0 || readFromContainer(t, p.c, target, "/tmp/tbx-proof") != "user-run\n" {
		t.Fatalf("playbook as uid %d: exit %d\n%s", testUID, exitCode(err), out)
	}
}

const testUID, testGID = 1234567, 7654321

// nonRootAgent gives the test user a home, the project, and an agent.
func (p *toolsProject) nonRootAgent(t *testing.T) (home, sock, pub string) {
	t.Helper()
	home = filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	testenv.ChownTree(t, home, testUID, testGID)
	testenv.ChownTree(t, p.dir, testUID, testGID)
	sock, pub = testenv.SSHAgent(t, &syscall.Credential{Uid: testUID, Gid: testGID})
	return home, sock, pub
}

// startTarget runs the sshd target on the project's network as "target".
func (p *toolsProject) startTarget(t *testing.T, keys string) string {
	t.Helper()
	ctx := context.Background()
	var ref string
	for _, e := range lsJSON(t, filepath.Join(p.dir, "toolbox.toml")) {
		if e.Tool == "target" {
			ref = e.Image
		}
	}
	created, err := p.c.ContainerCreate(ctx,
		&container.Config{Image: ref, Env: []string{"AUTHORIZED_KEYS=" + keys}, Labels: map[string]string{labels.Project: p.project}},
		&container.HostConfig{NetworkMode: container.NetworkMode(p.net)},
		&network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{p.net: {Aliases: []string{"target"}}}},
		nil, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.c.ContainerStart(ctx, created.ID, container.StartOptions{}); err != nil {
		t.Fatal(err)
	}
	waitLog(t, p.c, created.ID, "Server listening")
	return created.ID
}

func waitLog(t *testing.T, c *client.Client, id, want string) {
	t.Helper()
	for i := 0; i < 300; i++ {
		rc, err := c.ContainerLogs(context.Background(), id, container.LogsOptions{ShowStdout: true, ShowStderr: true})
		if err == nil {
			b, _ := io.ReadAll(rc)
			rc.Close()
			if bytes.Contains(b, []byte(want)) {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("container %s never logged %q", id, want)
}

func readFromContainer(t *testing.T, c *client.Client, id, path string) string {
	t.Helper()
	rc, _, err := c.CopyFromContainer(context.Background(), id, path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	if _, err := tr.Next(); err != nil {
		return "(" + err.Error() + ")"
	}
	b, _ := io.ReadAll(tr)
	return string(b)
}

func (p *toolsProject) azConfigAsUser(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	if err := os.MkdirAll(home, 0o755); err != nil {
		t.Fatal(err)
	}
	testenv.ChownTree(t, home, testUID, testGID)
	testenv.ChownTree(t, p.dir, testUID, testGID)
	run := func(args ...string) string {
		cmd := tbxProcess(p.dir, append([]string{"run", "az"}, args...)...)
		asUser(t, cmd, testUID, testGID, home)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if code := exitCode(cmd.Run()); code != 0 {
			t.Fatalf("az %v: exit %d: %s", args, code, errb.String())
		}
		return out.String()
	}
	run("config", "set", "core.output=table")
	var got struct{ Name, Value string }
	if out := run("config", "get", "core.output", "--output", "json"); json.Unmarshal([]byte(out), &got) != nil || got.Value != "table" {
		t.Errorf("az config get core.output in a second run: %+v", got)
	}
	homes, _ := filepath.Glob(filepath.Join(home, ".local", "state", "tbx", "home", p.project+"-*", "az"))
	if len(homes) != 1 {
		t.Fatalf("az's HOMEs on the host: %v", homes)
	}
	cfg := filepath.Join(homes[0], ".azure", "config")
	fi, err := os.Stat(cfg)
	if err != nil {
		t.Fatalf("az wrote no config on the host: %v", err)
	}
	if st := fi.Sys().(*syscall.Stat_t); st.Uid != testUID || st.Gid != testGID {
		t.Errorf("%s belongs to %d:%d, want %d:%d", cfg, st.Uid, st.Gid, testUID, testGID)
	}
}

func (p *toolsProject) shims(t *testing.T) {
	shimDir, realDir, outside := t.TempDir(), t.TempDir(), t.TempDir()
	writeFiles(t, realDir, map[string]string{"az": "#!/bin/sh\necho real az \"$@\"\n"})
	if err := os.Chmod(filepath.Join(realDir, "az"), 0o755); err != nil {
		t.Fatal(err)
	}
	install := tbxProcess(p.dir, "shims", "install", "--dir", shimDir)
	if out, err := install.CombinedOutput(); err != nil || !strings.Contains(string(out), filepath.Join(shimDir, "az")) {
		t.Fatalf("shims install: %v\n%s", err, out)
	}
	path := shimDir + ":" + realDir + ":" + os.Getenv("PATH")
	az := func(dir string) (string, error) {
		cmd := exec.Command("sh", "-c", "az version")
		cmd.Dir, cmd.Env = dir, append(os.Environ(), "PATH="+path)
		out, err := cmd.Output()
		return string(out), err
	}
	out, err := az(p.dir)
	var v map[string]any
	if err != nil || json.Unmarshal([]byte(out), &v) != nil || v["azure-cli"] != "2.45.0" {
		t.Errorf("az version through the shim in the project: %v %q", err, out)
	}
	if out, err := az(outside); err != nil || out != "real az version\n" {
		t.Errorf("outside any project the shim ran %q (%v), want the next az on PATH", out, err)
	}
	remove := tbxProcess(p.dir, "shims", "remove", "--dir", shimDir)
	if out, err := remove.CombinedOutput(); err != nil {
		t.Fatalf("shims remove: %v\n%s", err, out)
	}
	if left, _ := os.ReadDir(shimDir); len(left) != 0 {
		t.Errorf("shims left: %v", left)
	}
}
