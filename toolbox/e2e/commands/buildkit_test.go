//go:build !windows

package commands

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// bkProject writes a project whose tool "b" builds img/Dockerfile (from
// Debian) with extra keys, and returns its directory.
func bkProject(t *testing.T, c *client.Client, dockerfile, extra string, files map[string]string) (dir, project string) {
	t.Helper()
	testenv.Debian(t, c)
	t.Setenv("XDG_STATE_HOME", t.TempDir())
	project = testenv.Project(t, c)
	dir = t.TempDir()
	all := map[string]string{
		"toolbox.toml":   "[toolbox]\nname = \"" + project + "\"\n[tools.b]\nbuild = \"img\"\n" + extra,
		"img/Dockerfile": "FROM " + testenv.DebianBase + "\n" + dockerfile,
	}
	for k, v := range files {
		all[k] = v
	}
	writeFiles(t, dir, all)
	return dir, project
}

// catIn runs cat in tool b's image and returns what it printed.
func catIn(t *testing.T, dir, path string) string {
	t.Helper()
	r := tbxIn(t, dir, "run", "--tool", "b", "--", "cat", path)
	if r.code != 0 {
		t.Fatalf("cat %s: exit %d: %s", path, r.code, r.err)
	}
	return r.out
}

// A change before a RUN with a cache mount runs it again, and it finds what
// the first build left in the mount.
func TestBuildKitCacheMountIsReused(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := bkProject(t, c,
		"COPY round.txt /round.txt\n"+
			"RUN --mount=type=cache,target=/var/cache/apt,id=PROJECT sh -c 'ls /var/cache/apt > /seen; touch /var/cache/apt/from-$(cat /round.txt)'\n",
		"", map[string]string{"img/round.txt": "1"})
	testenv.PruneBuildCache(t, c, project)
	df := filepath.Join(dir, "img/Dockerfile")
	writeFiles(t, dir, map[string]string{"img/Dockerfile": strings.Replace(readFile(t, df), "PROJECT", project, 1)})

	mustTbx(t, "-f", filepath.Join(dir, "toolbox.toml"), "--progress", "plain", "build")
	if got := catIn(t, dir, "/seen"); got != "" {
		t.Fatalf("the first build found %q in a fresh cache mount", got)
	}
	writeFiles(t, dir, map[string]string{"img/round.txt": "2"})
	mustTbx(t, "-f", filepath.Join(dir, "toolbox.toml"), "--progress", "plain", "build")
	if got := catIn(t, dir, "/seen"); got != "from-1\n" {
		t.Errorf("the second build found %q in the cache mount, want what the first left (from-1)", got)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// A secret reaches RUN --mount=type=secret from a variable and from a file,
// and its value is nowhere after: not in the image's layers or config, not
// in its labels, not in what tbx printed with --debug, not in the tag.
func TestBuildKitSecretsNeverLeak(t *testing.T) {
	const tokenValue, fileValue = "tok-3f9c1d7e-never-leak", "npm-8a2b4c6d-never-leak"
	c := testenv.Engine(t)
	dir, _ := bkProject(t, c,
		"RUN --mount=type=secret,id=token --mount=type=secret,id=npmrc sh -c 'sha256sum /run/secrets/token /run/secrets/npmrc | cut -c1-64 > /sums'\n",
		"secrets = [\"id=token,env=TBX_TEST_FEED_TOKEN\", \"id=npmrc,src=npmrc.secret\"]\n",
		map[string]string{"npmrc.secret": fileValue})
	t.Setenv("TBX_TEST_FEED_TOKEN", tokenValue)
	recipe := filepath.Join(dir, "toolbox.toml")

	r := mustTbx(t, "-f", recipe, "--debug", "--progress", "plain", "build")
	if !strings.Contains(r.err, "secrets [token (variable TBX_TEST_FEED_TOKEN), npmrc (file ") {
		t.Errorf("--debug does not name the secrets: %s", r.err)
	}
	if got, want := catIn(t, dir, "/sums"), sha(tokenValue)+"\n"+sha(fileValue)+"\n"; got != want {
		t.Fatalf("the build saw other secrets: sums %q, want %q", got, want)
	}
	ref := lsJSON(t, recipe)[0].Image
	for _, v := range []string{tokenValue, fileValue} {
		if strings.Contains(r.out+r.err, v) {
			t.Errorf("tbx printed the secret %q", v)
		}
		if imageHolds(t, c, ref, v) {
			t.Errorf("the saved image holds the secret %q", v)
		}
	}
	im, err := c.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range im.Config.Labels {
		if strings.Contains(k+v, "never-leak") {
			t.Errorf("label %s=%s holds a secret", k, v)
		}
	}
	t.Setenv("TBX_TEST_FEED_TOKEN", "another value")
	if e := lsJSON(t, recipe)[0]; e.Image != ref || e.State != "ready" {
		t.Errorf("a new secret value changed the tool's identity: %+v, was %s", e, ref)
	}
}

func sha(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// imageHolds reports whether `docker save` of ref contains s anywhere.
func imageHolds(t *testing.T, c *client.Client, ref, s string) bool {
	t.Helper()
	rc, err := c.ImageSave(context.Background(), []string{ref})
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil || len(b) == 0 {
		t.Fatalf("docker save: %d bytes, %v", len(b), err)
	}
	return bytes.Contains(b, []byte(s))
}

func TestBuildKitHeredoc(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := bkProject(t, c, "RUN <<EOF\nset -e\necho made by a heredoc > /heredoc.txt\nEOF\n", "", nil)
	mustTbx(t, "-f", filepath.Join(dir, "toolbox.toml"), "--progress", "plain", "build")
	if got := catIn(t, dir, "/heredoc.txt"); got != "made by a heredoc\n" {
		t.Errorf("heredoc RUN wrote %q", got)
	}
}

// ssh = true hands the caller's agent to RUN --mount=type=ssh, whatever
// id the mount names.
func TestBuildKitSSHMount(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := bkProject(t, c,
		// The same first step as TestSSHAgentIsForwarded, so BuildKit reuses it.
		"RUN apt-get update && apt-get install -y --no-install-recommends openssh-client && rm -rf /var/lib/apt/lists/*\n"+
			"RUN --mount=type=ssh ssh-add -l > /agent-keys\n"+
			"RUN --mount=type=ssh,id=github ssh-add -l > /github-keys\n",
		"ssh = true\n", nil)
	recipe := filepath.Join(dir, "toolbox.toml")
	t.Setenv("SSH_AUTH_SOCK", "")
	if r := tbx(t, "-f", recipe, "build"); r.code != 125 || !strings.Contains(r.err, "tool b has ssh = true, but SSH_AUTH_SOCK is not set") {
		t.Errorf("without an agent: exit %d, %q", r.code, r.err)
	}
	sock, _ := testenv.SSHAgent(t, nil)
	t.Setenv("SSH_AUTH_SOCK", sock)
	mustTbx(t, "-f", recipe, "--progress", "plain", "build")
	if got := catIn(t, dir, "/agent-keys"); !strings.Contains(got, "tbx-test-key") {
		t.Errorf("ssh-add -l in the build listed %q", got)
	}
	// ssh = true serves every id the Dockerfile asks for, not only default.
	if got := catIn(t, dir, "/github-keys"); !strings.Contains(got, "tbx-test-key") {
		t.Errorf("ssh-add -l under id=github listed %q", got)
	}
}

// TBX_BUILDKIT=0 builds with the classic builder: what an Engine without
// BuildKit gets. It says so, and refuses what only BuildKit can do.
func TestClassicBuilder(t *testing.T) {
	c := testenv.Engine(t)
	t.Setenv("TBX_BUILDKIT", "0")
	recipe, _ := buildProject(t, c)
	r := mustTbx(t, "-f", recipe, "--progress", "plain", "build")
	if strings.Count(r.err, "building with the classic builder") != 1 || !strings.Contains(r.err, "Step 1/") {
		t.Errorf("classic build output:\n%s", r.err)
	}
	if e := lsJSON(t, recipe)[0]; e.State != "ready" {
		t.Errorf("after a classic build: %+v", e)
	}
	dir, _ := bkProject(t, c, "RUN true\n", "ssh = true\n", nil)
	if r := tbx(t, "-f", filepath.Join(dir, "toolbox.toml"), "build"); r.code != 125 || !strings.Contains(r.err, "need BuildKit, and TBX_BUILDKIT=0 asks for the classic builder") {
		t.Errorf("ssh with the classic builder: exit %d, %q", r.code, r.err)
	}
}

// `# syntax=docker/dockerfile:1` (and its variants) builds offline on the
// frontend tbx carries; a syntax it does not carry, which cannot be
// fetched here, fails in one line that names the directive and the fix.
func TestSyntaxDirectiveBuildsOffline(t *testing.T) {
	c := testenv.Engine(t)
	for _, directive := range []string{"# syntax=docker/dockerfile:1", "#syntax = docker/dockerfile:1.4", "# syntax=docker.io/docker/dockerfile:1.2"} {
		dir, _ := bkProject(t, c, "RUN <<EOF\necho heredoc > /made\nEOF\n", "", nil)
		df := filepath.Join(dir, "img/Dockerfile")
		writeFiles(t, dir, map[string]string{"img/Dockerfile": directive + "\n" + readFile(t, df)})
		r := tbxIn(t, dir, "--debug", "--progress", "plain", "prepare")
		if r.code != 0 || !strings.Contains(r.err, "runs on the Dockerfile frontend tbx carries") {
			t.Fatalf("%s: exit %d, %s", directive, r.code, lastLine(r.err))
		}
		if got := catIn(t, dir, "/made"); got != "heredoc\n" {
			t.Errorf("%s: /made is %q", directive, got)
		}
	}
	dir, _ := bkProject(t, c, "RUN true\n", "", nil)
	df := filepath.Join(dir, "img/Dockerfile")
	writeFiles(t, dir, map[string]string{"img/Dockerfile": "# syntax=docker/dockerfile:99\n" + readFile(t, df)})
	r := tbxIn(t, dir, "--progress", "plain", "prepare")
	last := lastLine(r.err)
	if r.code != 125 || !strings.Contains(last, "`# syntax=docker/dockerfile:99`") || !strings.Contains(last, "drop the line") {
		t.Errorf("an uncarried syntax, offline: exit %d, %q", r.code, last)
	}
}

// ssh = ["ID=KEYFILE"] serves a key file under an id, as docker build --ssh
// does, with no agent at all; the key file is a host path trust records.
func TestBuildKitSSHKeyFile(t *testing.T) {
	c := testenv.Engine(t)
	dir, project := bkProject(t, c,
		// The same first step as TestSSHAgentIsForwarded, so BuildKit reuses it.
		"RUN apt-get update && apt-get install -y --no-install-recommends openssh-client && rm -rf /var/lib/apt/lists/*\n"+
			"RUN --mount=type=ssh,id=deploy ssh-add -l > /deploy-keys # PROJECT: a step of this run's own\n",
		"ssh = [\"deploy=./deploy_key\"]\n", nil)
	df := filepath.Join(dir, "img/Dockerfile")
	writeFiles(t, dir, map[string]string{"img/Dockerfile": strings.Replace(readFile(t, df), "PROJECT", project, 1)})
	testenv.PruneBuildCache(t, c, project)
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "tbx-deploy-key", "-f", filepath.Join(dir, "deploy_key")).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v: %s", err, out)
	}
	t.Setenv("SSH_AUTH_SOCK", "")
	recipe := filepath.Join(dir, "toolbox.toml")
	t.Setenv("TBX_TRUST", "")
	if r := mustTbx(t, "-f", recipe, "trust", "--show"); !strings.Contains(r.out, "id deploy: your key file "+filepath.Join(dir, "deploy_key")) {
		t.Errorf("trust --show does not list the key file:\n%s", r.out)
	}
	mustTbx(t, "-f", recipe, "trust")
	mustTbx(t, "-f", recipe, "--progress", "plain", "build")
	fp, err := exec.Command("ssh-keygen", "-l", "-f", filepath.Join(dir, "deploy_key.pub")).Output()
	if err != nil {
		t.Fatal(err)
	}
	sum := strings.Fields(string(fp))[1] // 256 SHA256:… COMMENT (ED25519)
	if got := catIn(t, dir, "/deploy-keys"); !strings.Contains(got, sum) {
		t.Errorf("ssh-add -l under id=deploy listed %q, not the key %s", got, sum)
	}
}

// COPY --exclude and a secret as a variable are honoured where the Engine's
// BuildKit can, and refused in one line naming the line where it cannot:
// never silently ignored (an old BuildKit drops the exclusion).
func TestBuildKitFeaturesAreHonouredOrRefused(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := bkProject(t, c, "COPY --exclude=*.log . /data/\n", "", map[string]string{"img/kept": "k", "img/drop.log": "l"})
	r := tbxIn(t, dir, "--progress", "plain", "prepare")
	if r.code == 0 {
		if got := tbxIn(t, dir, "run", "--tool", "b", "--", "ls", "/data"); got.out != "Dockerfile\nkept\n" {
			t.Errorf("COPY --exclude=*.log built, and /data holds %q", got.out)
		}
	} else if last := lastLine(r.err); r.code != 125 || !strings.Contains(last, "line 2 of the Dockerfile: COPY --exclude needs a BuildKit with file.copy.includeexcludepatterns, and the Engine's is") {
		t.Errorf("COPY --exclude on this Engine: exit %d, %q", r.code, last)
	}
	t.Setenv("TBX_TEST_SECRET", "s3cret")
	dir, _ = bkProject(t, c, "RUN --mount=type=secret,id=tok,env=TOK test \"$TOK\" = s3cret && echo ok > /made\n",
		"secrets = [\"id=tok,env=TBX_TEST_SECRET\"]\n", nil)
	r = tbxIn(t, dir, "--progress", "plain", "prepare")
	if r.code == 0 {
		if got := catIn(t, dir, "/made"); got != "ok\n" {
			t.Errorf("secret env= built, and /made is %q", got)
		}
	} else if last := lastLine(r.err); r.code != 125 || !strings.Contains(last, "line 2 of the Dockerfile: RUN --mount=type=secret,env= needs a BuildKit with exec.secretenv") {
		t.Errorf("a secret as a variable on this Engine: exit %d, %q", r.code, last)
	}
}
