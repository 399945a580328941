//go:build linux

package cifiles

import (
	"crypto/elliptic"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// ciDir is where the CI files a team copies live.
var ciDir = filepath.Join("..", "..", "..", "docs", "ci")

// team is a team's repository as a CI system checks it out: a recipe with
// one built tool, jq (a fake that says its version), and the team
// registry; origin is the repository the jobs push to.
type team struct {
	project, registry string
	origin            string // a bare repository
	tbxGit, tbxRef    string // where the jobs install tbx from: this checkout
	// The team's signing key, as the CI system keeps it for the publishing
	// job: a file of it (a GitLab File variable) and its password. The
	// recipe requires its signature, unless the team signs keyless.
	signKeyFile, signPassword string
	// keyless is the Sigstore (Fulcio and Rekor) that signs as the CI
	// workflow, when the team signs keyless: the recipe then requires the
	// workflow's signature under its trusted root. cosignCalls is where the
	// stand-in for cosign, which the job's cosign step runs, records what
	// it was asked to sign.
	keyless     *testenv.Sigstore
	cosignCalls string
}

// The identity and issuer a GitHub Actions workflow signs keyless as: the
// workflow file of docs/ci/github-actions.yml at the main branch.
const (
	workflowIdentity = "https://github.com/acme/infra/.github/workflows/tools.yml@refs/heads/main"
	actionsIssuer    = "https://token.actions.githubusercontent.com"
)

// signers is the recipe's signature policy: the team's key, or the
// workflow's identity under the trusted root of the Sigstore that signs
// keyless, and the file it needs in the repository.
func (tm *team) signers(t *testing.T, repo string) string {
	t.Helper()
	if tm.keyless == nil {
		tm.signingKey(t, repo)
		return "signers = [\"ci/cosign.pub\"]\n"
	}
	writeRepoFile(t, repo, "ci/trusted_root.json", tm.keyless.TrustedRoot(t))
	return "signers = [\"ci/trusted_root.json\"]\ncertificate_identity = \"" + workflowIdentity + "\"\ncertificate_oidc_issuer = \"" + actionsIssuer + "\"\n"
}

// signingKey makes the team's key pair as `cosign generate-key-pair` does
// (an encrypted sigstore private key, a PEM public key): the public key
// goes into the repository, the private key to the CI system.
func (tm *team) signingKey(t *testing.T, repo string) {
	t.Helper()
	tm.signPassword = "team-secret"
	priv, pub, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), func(bool) ([]byte, error) { return []byte(tm.signPassword), nil })
	if err != nil {
		t.Fatal(err)
	}
	tm.signKeyFile = filepath.Join(t.TempDir(), "cosign.key")
	if err := os.WriteFile(tm.signKeyFile, priv, 0o600); err != nil {
		t.Fatal(err)
	}
	writeRepoFile(t, repo, "ci/cosign.pub", pub)
}

func writeRepoFile(t *testing.T, repo, name string, body []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(repo, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repo, name), body, 0o644); err != nil {
		t.Fatal(err)
	}
}

// newTeam makes the team's repository; with keyless, the team signs
// keyless as its CI workflow, else with its key.
func newTeam(t *testing.T, keyless bool) *team {
	t.Helper()
	c := testenv.Engine(t)
	testenv.Debian(t, c)
	tm := &team{project: testenv.Project(t, c), registry: testenv.Registry(t, ""), origin: t.TempDir()}
	tm.tbxGit, _ = filepath.Abs(filepath.Join("..", "..", ".."))
	tm.tbxRef = git(t, tm.tbxGit, "rev-parse", "HEAD")
	git(t, tm.origin, "init", "--quiet", "--bare", "--initial-branch=main")
	git(t, tm.origin, "config", "receive.advertisePushOptions", "true")
	hook := "#!/bin/sh\nenv | grep '^GIT_PUSH_OPTION_[0-9]' >> \"$GIT_DIR/push-options\"\nexit 0\n"
	if err := os.WriteFile(filepath.Join(tm.origin, "hooks", "pre-receive"), []byte(hook), 0o755); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	git(t, src, "init", "--quiet", "--initial-branch=main")
	if keyless {
		tm.keyless = testenv.NewSigstore(t)
	}
	writeRepoFile(t, src, "toolbox.toml", []byte("[toolbox]\nname = \""+tm.project+"\"\nregistry = \""+tm.registry+"\"\n"+tm.signers(t, src)+"\n[tools.jq]\nbuild = \"images/jq\"\n"))
	writeRepoFile(t, src, "images/jq/Dockerfile", []byte("FROM "+testenv.DebianBase+"\nRUN printf '#!/bin/sh\\necho jq-1.7-fake\\n' > /usr/local/bin/jq && chmod +x /usr/local/bin/jq\n"))
	git(t, src, "add", ".")
	git(t, src, "commit", "--quiet", "-m", "the team's tools")
	git(t, src, "push", "--quiet", tm.origin, "main")
	return tm
}

// checkout clones origin at branch, as a job's first step does.
func (tm *team) checkout(t *testing.T, branch string) string {
	t.Helper()
	ws := filepath.Join(t.TempDir(), "ws")
	if out, err := exec.Command("git", "clone", "--quiet", "--branch", branch, tm.origin, ws).CombinedOutput(); err != nil {
		t.Fatalf("checkout of %s: %v\n%s", branch, err, out)
	}
	return ws
}

// ciJob runs a CI file's job in a workspace on a fresh machine and returns
// what its steps printed.
type ciJob func(t *testing.T, m *machine, tm *team, job, workspace string) string

// publishThenConsume runs the file's publishing job on the main branch,
// checks that it pushed each tool once and proposed the lock on a branch
// of its own, then runs its tools job on a fresh machine whose Engine has
// none of the tools, from the lock's branch: every tool is pulled by
// digest and runs.
func publishThenConsume(t *testing.T, keyless bool, run ciJob, proposed func(m *machine) bool) {
	tm := newTeam(t, keyless)
	m := newMachine(t)
	ws := tm.checkout(t, "main")
	sha := git(t, ws, "rev-parse", "HEAD")
	out := run(t, m, tm, "publish", ws)
	m.leftNothing(t, "publish", out)
	branch := "tbx/lock-" + sha[:8]
	lockBranch := ""
	for _, b := range strings.Fields(git(t, tm.origin, "branch", "--list", "tbx/lock-*", "--format=%(refname:short)")) {
		if strings.HasPrefix(b, branch) {
			lockBranch = b
		}
	}
	if lockBranch == "" || !proposed(m) {
		t.Fatalf("the publishing job proposed no lock (branches %q):\n%s", git(t, tm.origin, "branch", "--list"), out)
	}
	lws := tm.checkout(t, lockBranch)
	l, err := lockfile.Read(filepath.Join(lws, lockfile.FileName))
	if err != nil || l == nil || len(l.Tools["jq"].Hash) < 16 {
		t.Fatalf("the proposed lock: %+v, %v", l, err)
	}
	tags := slices.DeleteFunc(testenv.Tags(t, tm.registry, tm.project+"/jq"), func(tag string) bool { return strings.HasSuffix(tag, ".sig") })
	if len(tags) != 1 || tags[0] != l.Tools["jq"].Hash[:16] {
		t.Errorf("jq's image tags in the team registry: %v, want the lock's hash alone (%.16s)", tags, l.Tools["jq"].Hash)
	}
	if n := strings.Count(out, "jq: pushed "+tm.registry); n != 1 {
		t.Errorf("the publishing job pushed jq %d times:\n%s", n, out)
	}
	signer := "ci/cosign.pub"
	if tm.keyless != nil {
		signer = workflowIdentity + " keyless (issuer " + actionsIssuer + ", trusted root ci/trusted_root.json)"
		tm.signedKeyless(t, tm.registry+"/"+tm.project+"/jq:"+l.Tools["jq"].Hash[:16]+"@"+l.Tools["jq"].Digest)
	} else if n := strings.Count(out, "jq: signed "+l.Tools["jq"].Digest+" with "); n != 1 {
		t.Errorf("the publishing job signed jq's image %d times (want 1):\n%s", n, out)
	}
	if len(l.Tools["jq"].Signers) != 1 {
		t.Errorf("the lock requires jq's signers %v; want the recipe's one", l.Tools["jq"].Signers)
	}

	testenv.RemoveProject(t, testenv.Engine(t), tm.project) // a fresh agent: none of the tools
	consumer := newMachine(t)
	out = run(t, consumer, tm, "tools", lws)
	consumer.leftNothing(t, "tools", out)
	if !strings.Contains(out, "jq: signature verified: "+signer+" signed "+l.Tools["jq"].Digest) || !strings.Contains(out, "jq: ready, pulled from the team registry") || !strings.Contains(out, "jq-1.7-fake") || strings.Contains(out, "does not match") {
		t.Errorf("the tools job did not take the locked tools:\n%s", out)
	}
}

// signedKeyless checks that the publishing job asked cosign to sign the
// image exactly once, keyless, and signs it as the workflow would have been
// (the test's Sigstore stands in for Fulcio and Rekor, which the job's
// OIDC token reaches on GitHub): a bundle attached to the image.
func (tm *team) signedKeyless(t *testing.T, image string) {
	t.Helper()
	b, _ := os.ReadFile(tm.cosignCalls)
	if calls := strings.TrimSpace(string(b)); calls != "sign --yes "+image {
		t.Fatalf("the publishing job asked cosign %q; want to sign %s once, keyless", calls, image)
	}
	ref, err := name.NewDigest(image)
	if err != nil {
		t.Fatal(err)
	}
	subject := strings.TrimPrefix(ref.DigestStr(), "sha256:")
	testenv.AttachBundle(t, ref, tm.keyless.Bundle(t, workflowIdentity, actionsIssuer, testenv.SignStatement("https://sigstore.dev/cosign/sign/v1", subject)))
}

// leftNothing checks that a job kept to itself: it logged in to the team
// registry, and nothing of it (the login's password, tbx, tbx's state) is
// in the runner user's HOME, which later jobs share on a persistent runner.
func (m *machine) leftNothing(t *testing.T, job, out string) {
	t.Helper()
	if !strings.Contains(out, "Login Succeeded") {
		t.Errorf("job %s did not log in to the team registry:\n%s", job, out)
	}
	for _, p := range []string{".docker", ".local"} {
		if _, err := os.Stat(filepath.Join(m.home, p)); err == nil {
			t.Errorf("job %s left ~/%s in the runner user's HOME", job, p)
		}
	}
}
