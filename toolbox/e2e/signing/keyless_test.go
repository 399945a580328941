//go:build linux

package signing

import (
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tbx-dev/tbx/toolbox/internal/imagesig"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// The identity and issuer a GitHub Actions workflow signs as.
const (
	workflow = "https://github.com/acme/infra/.github/workflows/publish.yml@refs/heads/main"
	actions  = "https://token.actions.githubusercontent.com"
)

// A tool whose recipe names a Sigstore trusted root, a certificate
// identity and its issuer runs only once a bundle signed keyless by that
// identity, under that root's CA and log, is found beside its image in
// the registry: verified offline, as `cosign verify --trusted-root
// --certificate-identity --certificate-oidc-issuer` verifies the same
// bundle. The CA and the log are the test's own (sigstore-go's testing
// package), as a CI workflow's are Fulcio and Rekor.
func testKeyless(t *testing.T, w *world, unsigned pushed) {
	sigstore := testenv.NewSigstore(t)
	writeFile(t, w.dir, "ci/trusted_root.json", string(sigstore.TrustedRoot(t)))
	image, err := name.NewTag(w.proxy.addr + "/ci/zz:1")
	if err != nil {
		t.Fatal(err)
	}
	testenv.CopyImage(t, unsigned.digest, image)
	d := image.Context().Digest(unsigned.digest.DigestStr())
	subject := strings.TrimPrefix(d.DigestStr(), "sha256:")
	defer w.writeRecipe(t, `["ci/cosign.pub"]`)
	w.writeRecipe(t, `["ci/cosign.pub"]`, "\n[tools.ci]\nimage = \""+image.String()+"\"\nsigners = [\"ci/trusted_root.json\"]\ncertificate_identity = \""+workflow+"\"\ncertificate_oidc_issuer = \""+actions+"\"\n")
	publisher := machine(t, w.dir)
	signer := workflow + " keyless (issuer " + actions + ", trusted root ci/trusted_root.json)"

	if r := run(t, w.dir, publisher, "tbx", "trust", "--show"); !strings.Contains(r.Out+r.Err, `"`+workflow+`" keyless, as issued by `+actions+" under the trusted root ci/trusted_root.json") {
		t.Errorf("trust --show does not say who signs ci keyless:\n%v", r)
	}
	w.refused(t, run(t, w.dir, w.fresh(t), "tbx", "run", "--tool", "ci", "zz"), "ci", d, "it has no signature in the registry; the recipe requires a signature by "+signer)

	testenv.AttachBundle(t, d, sigstore.Bundle(t, "https://github.com/evil/fork/.github/workflows/publish.yml@refs/heads/main", actions, testenv.SignStatement(imagesig.SignPredicate, subject)))
	w.refused(t, run(t, w.dir, w.fresh(t), "tbx", "run", "--tool", "ci", "zz"), "ci", d, "it is signed, but by none of the keys required")

	testenv.AttachBundle(t, d, sigstore.Bundle(t, workflow, actions, testenv.SignStatement(imagesig.SignPredicate, subject)))
	w.proxy.calls.Store(0)
	r := run(t, w.dir, w.fresh(t), "tbx", "run", "--tool", "ci", "zz")
	if r.Code != 0 || strings.TrimSpace(r.Out) != "zz-fake" || !strings.Contains(r.Err, "ci: signature verified: "+signer+" signed "+d.DigestStr()) {
		t.Errorf("a run of the image the workflow signed keyless:\n%v", r)
	}
	if n := w.proxy.calls.Load(); n == 0 {
		t.Error("the keyless signature was verified with no call to the registry: the run above proves nothing")
	}

	cosign := func(identity string) result {
		return w.runCosign(t, "verify", "--trusted-root", "ci/trusted_root.json", "--certificate-identity", identity, "--certificate-oidc-issuer", actions,
			"--insecure-ignore-sct", "--offline=true", "--allow-http-registry", d.String())
	}
	if r := cosign(workflow); r.Code != 0 || !strings.Contains(r.Out, d.DigestStr()) {
		t.Errorf("cosign verify of the keyless bundle tbx accepted:\n%v", r)
	}
	if r := cosign(workflow + "x"); r.Code == 0 {
		t.Errorf("cosign verified another identity: the check above proves nothing:\n%v", r)
	}
}
