//go:build linux

package signing

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// A site copies the team's signed images to a mirror with cosign copy.
// Taken from the mirror (TBX_REGISTRY), they are refused while the recipe
// does not declare it, as their signature names the team registry's
// repository; declared (mirrors = [...]), they verify and run, and the
// lock written against the team registry holds through the mirror with
// no call to the team registry.
func testMirror(t *testing.T, w *world, publisher []string, jq pushed) {
	mirror := testenv.Registry(t, "") + "/mirror"
	if r := run(t, w.dir, publisher, "tbx", "lock", "--sign-key", "ci/cosign.key"); r.Code != 0 {
		t.Fatalf("tbx lock: %v", r)
	}
	defer os.Remove(filepath.Join(w.dir, lockfile.FileName))
	copied := mirror + "/" + w.project + "/jq:" + jq.tag[strings.LastIndex(jq.tag, ":")+1:]
	if r := w.runCosign(t, "copy", "--allow-http-registry", jq.tag, copied); r.Code != 0 {
		t.Fatalf("cosign copy: %v", r)
	}
	viaMirror := func(t *testing.T) []string { return append(w.fresh(t), "TBX_REGISTRY="+mirror, "TBX_FROZEN=1") }

	r := run(t, w.dir, viaMirror(t), "tbx", "run", "jq")
	if r.Code != 125 || !strings.Contains(r.Err, "its signature is for the image in another repository") || strings.Contains(r.Out, "jq-fake") {
		t.Errorf("an undeclared mirror: want the signature refused for its repository:\n%v", r)
	}

	w.writeRecipe(t, `["ci/cosign.pub"]`+"\nmirrors = [\""+mirror+"\"]")
	defer w.writeRecipe(t, `["ci/cosign.pub"]`)
	if r := run(t, w.dir, publisher, "tbx", "trust", "--show"); !strings.Contains(r.Out+r.Err, "may also be taken from "+mirror) {
		t.Errorf("trust --show does not name the mirror:\n%v", r)
	}
	w.proxy.calls.Store(0)
	r = run(t, w.dir, viaMirror(t), "tbx", "run", "jq")
	if r.Code != 0 || strings.TrimSpace(r.Out) != "jq-fake" || !strings.Contains(r.Err, "jq: signature verified: ci/cosign.pub signed "+jq.digest.DigestStr()) {
		t.Errorf("a frozen run through the declared mirror:\n%v", r)
	}
	if n := w.proxy.calls.Load(); n != 0 {
		t.Errorf("a run through the mirror made %d calls to the team registry; want 0", n)
	}
}
