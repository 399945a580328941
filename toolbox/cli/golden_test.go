//go:build !windows

package cli

import (
	"bytes"
	"context"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/project"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// listingEngine answers the image lookups `tbx ls` makes from a list, and
// lists no containers (no warm ones).
type listingEngine struct {
	others
	testenv.Images
}

// others are the calls listingEngine leaves to gateEngine, one level down.
type others struct{ gateEngine }

// testdata is the package's testdata directory, wherever a test has gone.
var testdata, _ = filepath.Abs("testdata")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(testdata, name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to make it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s--- want\n%s", name, got, want)
	}
}

func TestLsRendering(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"images/az/Dockerfile":      "FROM debian:bookworm-slim\n",
		"images/ansible/Dockerfile": "FROM debian:bookworm-slim\n",
	})
	src := `[toolbox]
name = "platform"
registry = "registry.example.com"
[tools.az]
build = "images/az"
args = { AZURE_CLI_VERSION = "2.45.0-1" }
[tools.ansible]
build = "images/ansible"
commands = ["ansible", "ansible-playbook"]
[tools.jq]
image = "registry.example.com/tools/jq:1.7"
`
	writeFiles(t, dir, map[string]string{recipe.FileName: src})
	st := project.Settings{File: filepath.Join(dir, recipe.FileName), Cwd: dir, StateDir: t.TempDir(), UID: 1000}
	v, err := project.Inspect(st)
	if err != nil {
		t.Fatal(err)
	}
	fake := &listingEngine{Images: testenv.Images{List: []image.Summary{{ID: "sha256:base", RepoTags: []string{"debian:bookworm-slim"}}}}}
	sts, err := v.Statuses(context.Background(), fake)
	if err != nil {
		t.Fatal(err)
	}
	fake.List = append(fake.List,
		// az was pulled from the team registry: tbx did not build it here, and it is az's.
		image.Summary{ID: "sha256:az", RepoTags: []string{sts[0].Ref}, RepoDigests: []string{"registry.example.com/platform/az@sha256:" + strings.Repeat("a", 64)}},
		image.Summary{ID: "sha256:old", Labels: map[string]string{labels.Project: "platform", labels.Tool: "ansible"}})
	for name, opts := range map[string]lsOptions{"ls.golden": {}, "ls-json.golden": {JSON: true}} {
		var out bytes.Buffer
		if err := runLs(context.Background(), v, fake, opts, &Streams{Out: &out, Err: io.Discard}); err != nil {
			t.Fatal(err)
		}
		golden(t, name, strings.ReplaceAll(out.String(), dir, "DIR"))
	}
	// With a lock: az as locked, ansible pinned at other inputs, jq not in it.
	l := lockfile.New()
	l.Tools["az"] = lockfile.Tool{Hash: sts[0].Hash, Digest: "sha256:" + strings.Repeat("a", 64)}
	l.Tools["ansible"] = lockfile.Tool{Hash: strings.Repeat("0", 64)}
	if err := lockfile.Write(filepath.Join(dir, lockfile.FileName), l); err != nil {
		t.Fatal(err)
	}
	if v, err = project.Inspect(st); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := runLs(context.Background(), v, fake, lsOptions{}, &Streams{Out: &out, Err: io.Discard}); err != nil {
		t.Fatal(err)
	}
	golden(t, "ls-locked.golden", out.String())
}
func TestTrustShowHostile(t *testing.T) {
	t.Setenv("TBX_TRUST", "")
	t.Setenv("TBX_REGISTRY", "")
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	t.Setenv("DOCKER_HOST", "unix:///var/run/docker.sock")
	root := t.TempDir()
	t.Setenv("HOME", filepath.Join(root, "home"))
	dir := filepath.Join(root, "repo")
	writeFiles(t, dir, map[string]string{
		"toolbox.toml": `[toolbox]
name = "hostile"
registry = "127.0.0.1:5000/team"

[tools.pwn]
image = "alpine:3.19"
volumes = ["/:/host", "~/.aws:/aws:ro", "./data:/data", "./escape:/escape", "cache:/cache"]
docker = true
user = "root"
network = "host"
env = ["AWS_*", "GITHUB_TOKEN", "MODE=prod"]
ssh_agent = true

[tools.builder]
build = "../outside"
secrets = ["id=npm,src=~/.npmrc", "id=token,env=GH_TOKEN"]
ssh = true

[tools.jq]
image = "127.0.0.1:5000/team/jq:1.7"
user = "image"
`,
		"data/x":                "",
		"../outside/Dockerfile": "FROM scratch\n",
	})
	if err := os.Symlink("/etc", filepath.Join(dir, "escape")); err != nil {
		t.Fatal(err)
	}
	r := mustTbxIn(t, dir, "trust", "--show")
	golden(t, "trust-show-hostile.golden", strings.ReplaceAll(r.out, root, "$TMP"))
	if r.err != "" {
		t.Errorf("trust --show wrote to stderr: %q", r.err)
	}
}
