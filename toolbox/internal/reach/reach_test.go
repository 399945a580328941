package reach

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

func load(t *testing.T, text string) *recipe.Recipe {
	t.Helper()
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"img/Dockerfile": "FROM x\n", recipe.FileName: text})
	r, err := recipe.Load(filepath.Join(dir, recipe.FileName), recipe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// What a user reads before trusting: every key that reaches the host,
// with the Engine's socket as the settings locate it; a tool that reaches
// nothing more says so.
func TestTheSummaryNamesWhatEachToolReaches(t *testing.T) {
	r := load(t, "[toolbox]\nname = \"p\"\nregistry = \"reg.example.com/team\"\n"+
		"[tools.pwn]\nimage = \"docker.io/library/alpine:3.19\"\ncommands = [\"pwn\"]\ndocker = true\nuser = \"root\"\nnetwork = \"host\"\nenv = [\"AWS_*\", \"GITHUB_TOKEN\"]\nssh_agent = true\nvolumes = [\"/:/host\"]\n"+
		"[tools.calm]\nbuild = \"img\"\ncommands = [\"calm\"]\n")
	tools := Of(r, r.Registry, "/run/user/1000/docker.sock")
	var b strings.Builder
	Write(&b, r, tools)
	out := b.String()
	for _, want := range []string{
		"host path     / at /host, read-write (outside the project)",
		"engine        the Docker Engine's socket /run/user/1000/docker.sock: root on this host",
		"user          root",
		"network       host",
		"env           AWS_*, GITHUB_TOKEN",
		"ssh agent",
		"image         docker.io/library/alpine:3.19, from outside the team registry",
		"tool calm: nothing more",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the summary lacks %q:\n%s", want, out)
		}
	}
	if Count(tools) != 7 {
		t.Errorf("%d items; want 7:\n%s", Count(tools), out)
	}
	if engine := Of(r, r.Registry, ""); !strings.Contains(engine[0].Items[1].What, "not on a local socket") {
		t.Errorf("an Engine not on a socket: %+v", engine[0].Items)
	}
}

// trust --show says which key signs which tools, and which need none.
func TestTheSummaryNamesTheSigners(t *testing.T) {
	dir := t.TempDir()
	testenv.WriteFiles(t, dir, map[string]string{"img/Dockerfile": "FROM x\n", "ci/cosign.pub": testKey, "ci/vendor.pub": "v",
		recipe.FileName: "[toolbox]\nname = \"p\"\nsigners = [\"ci/cosign.pub\"]\n[tools.az]\nbuild = \"img\"\n[tools.jq]\nimage = \"jq:1\"\n[tools.yq]\nimage = \"yq:1\"\nsigners = [\"ci/vendor.pub\"]\n"})
	r, err := recipe.Load(filepath.Join(dir, recipe.FileName), recipe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	Write(&b, r, Of(r, "", ""))
	for _, want := range []string{"ci/cosign.pub (" + testKeyFingerprint + ") signs az\n", "ci/vendor.pub (unreadable: " + filepath.Join(dir, "ci", "vendor.pub") + ": not a PEM public key", "no signature is required of jq\n"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("the summary lacks %q:\n%s", want, b.String())
		}
	}
}

// testKey is a public key as cosign writes cosign.pub; its fingerprint,
// the SHA-256 of its DER form, as openssl computes it.
const (
	testKey = `-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAETo1bdr5gt706Fe90BcQeGeQoVIh5
VFcdPcDMCgPjqUn+5/tSir5F+8Ix7FihRWWtouRfXRTrOA5RebBeHPfXJg==
-----END PUBLIC KEY-----
`
	testKeyFingerprint = "sha256:907f5b941b5b76b2b6e1dc7f901ebd16c123600c33e11f2f1889727096229b84"
)
