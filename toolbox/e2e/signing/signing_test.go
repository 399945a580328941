//go:build linux

package signing

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/docker/docker/client"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tbx-dev/tbx/toolbox/internal/imagesig"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// world is a team's project whose recipe requires ci/cosign.pub's
// signature of its four built tools (jq, yq, zz, vv: each a fake that
// says its name), its registry behind a counting proxy, cosign, and a second
// key pair that is not the team's.
type world struct {
	c                  *client.Client
	project, dir       string
	proxy              *registryProxy
	cosign             string
	otherKey, otherPub string
}

func newWorld(t testing.TB) *world {
	t.Helper()
	w := &world{c: testenv.Engine(t), dir: t.TempDir()}
	testenv.Debian(t, w.c)
	w.project = testenv.Project(t, w.c)
	w.proxy = newRegistryProxy(t, testenv.Registry(t, ""))
	w.cosign = testenv.GoTool(t, cosignPkg, cosignVersion)
	env := []string{"COSIGN_PASSWORD=" + password, "HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	if err := os.MkdirAll(filepath.Join(w.dir, "ci"), 0o755); err != nil {
		t.Fatal(err)
	}
	if r := run(t, filepath.Join(w.dir, "ci"), env, w.cosign, "generate-key-pair"); r.Code != 0 {
		t.Fatalf("cosign generate-key-pair: %v", r)
	}
	other := t.TempDir()
	if r := run(t, other, env, w.cosign, "generate-key-pair", "--output-key-prefix", "other"); r.Code != 0 {
		t.Fatalf("cosign generate-key-pair: %v", r)
	}
	w.otherKey, w.otherPub = filepath.Join(other, "other.key"), filepath.Join(other, "other.pub")
	w.writeRecipe(t, `["ci/cosign.pub"]`)
	for _, tool := range []string{"jq", "yq", "zz", "vv"} {
		writeFile(t, w.dir, "images/"+tool+"/Dockerfile", "FROM "+testenv.DebianBase+"\nRUN printf '#!/bin/sh\\necho "+tool+"-fake\\n' > /usr/local/bin/"+tool+" && chmod +x /usr/local/bin/"+tool+"\n")
	}
	return w
}

// writeRecipe writes the recipe with the project's signers, and the tools
// of extra after the three built ones.
func (w *world) writeRecipe(t testing.TB, signers string, extra ...string) {
	t.Helper()
	writeFile(t, w.dir, "toolbox.toml", "[toolbox]\nname = \""+w.project+"\"\nregistry = \""+w.proxy.addr+"\"\nsigners = "+signers+"\n\n"+
		"[tools.jq]\nbuild = \"images/jq\"\n\n[tools.yq]\nbuild = \"images/yq\"\n\n[tools.zz]\nbuild = \"images/zz\"\n\n[tools.vv]\nbuild = \"images/vv\"\n"+strings.Join(extra, ""))
}

// pushed is a tool's image in the team registry.
type pushed struct {
	tag    string // registry/project/tool:hash
	digest name.Digest
}

// push pushes tool with tbx push and what it printed of it.
func (w *world) push(t testing.TB, env []string, tool string, args ...string) (pushed, result) {
	t.Helper()
	r := run(t, w.dir, env, "tbx", append(append([]string{"push"}, args...), tool)...)
	tag, dg, ok := strings.Cut(strings.TrimSpace(r.Out), "@")
	if r.Code != 0 || !ok {
		t.Fatalf("tbx push %s: %v", tool, r)
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		t.Fatal(err)
	}
	return pushed{tag: tag, digest: ref.Context().Digest(dg)}, r
}

// fresh is a new machine on an Engine with none of the project's images.
func (w *world) fresh(t testing.TB) []string {
	t.Helper()
	testenv.RemoveProject(t, w.c, w.project)
	return machine(t, w.dir)
}

// refused checks that r is the policy's refusal of tool's image at digest:
// exit 125, one line naming the tool, the digest and cause; no container
// made and the image not pulled.
func (w *world) refused(t testing.TB, r result, tool string, digest name.Digest, cause string) {
	t.Helper()
	var said []string
	for _, l := range lines(r.Err) {
		if strings.Contains(l, "refusing") {
			said = append(said, l)
		}
	}
	if r.Code != 125 || len(said) != 1 || !strings.Contains(said[0], "tool "+tool) || !strings.Contains(said[0], digest.DigestStr()) || !strings.Contains(said[0], cause) {
		t.Errorf("want exit 125 and one line naming tool %s, %s and %q:\n%v", tool, digest.DigestStr(), cause, r)
	}
	if strings.Contains(r.Out, tool+"-fake") {
		t.Errorf("the refused tool ran:\n%v", r)
	}
	if cs := projectContainers(t, w.c, w.project); len(cs) != 0 {
		t.Errorf("a refused run left %d containers", len(cs))
	}
	if hasImage(w.c, digest.String()) {
		t.Errorf("a refused image was pulled: %s", digest)
	}
}

func (w *world) runCosign(t testing.TB, args ...string) result {
	t.Helper()
	return run(t, w.dir, []string{"COSIGN_PASSWORD=" + password, "HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}, w.cosign, args...)
}

// sign signs d with cosign and key, offline (no transparency log, no
// signing config fetched), in cosign's default format unless extra says.
func (w *world) sign(t testing.TB, key string, d name.Digest, extra ...string) result {
	t.Helper()
	args := append([]string{"sign", "--key", key, "--tlog-upload=false", "--use-signing-config=false", "--allow-http-registry", "--yes"}, extra...)
	return w.runCosign(t, append(args, d.String())...)
}

func sigTag(t testing.TB, d name.Digest) name.Tag {
	t.Helper()
	tag, err := imagesig.SignatureTag(d)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// A team requires its CI key's signature: tbx signs what it pushes so that
// cosign verifies it, verifies what cosign signed, remembers a verified
// digest, and refuses each image the policy must refuse in one line with
// nothing run.
func TestSignedToolImages(t *testing.T) {
	w := newWorld(t)
	publisher := machine(t, w.dir)
	if r := run(t, w.dir, publisher, "tbx", "build"); r.Code != 0 {
		t.Fatalf("tbx build: %v", r)
	}
	jq, _ := w.push(t, publisher, "jq", "--sign-key", "ci/cosign.key")
	yq, r := w.push(t, publisher, "yq")
	if !strings.Contains(r.Err, "yq: pushed unsigned, and the recipe requires a signature by ci/cosign.pub") {
		t.Errorf("an unsigned push of a tool that must be signed is not warned of:\n%v", r)
	}
	zz, _ := w.push(t, publisher, "zz")
	vv, _ := w.push(t, publisher, "vv")

	t.Run("a key that is not a signer signs nothing", func(t *testing.T) {
		r := run(t, w.dir, publisher, "tbx", "push", "--sign-key", w.otherKey, "jq")
		if r.Code != 125 || !strings.Contains(r.Err, "tool jq: the signing key "+w.otherKey+" is not one of its signers (ci/cosign.pub)") || r.Out != "" {
			t.Errorf("want a refusal before any push:\n%v", r)
		}
		r = run(t, w.dir, machine(t, w.dir), "tbx", "prepare", "--push", "--sign-key", w.otherKey, "jq")
		if r.Code != 125 || !strings.Contains(r.Err, "is not one of its signers") || strings.Contains(r.Err, "building") || strings.Contains(r.Err, "pulling") {
			t.Errorf("prepare --push with a key that is not a signer: want a refusal before anything is acquired:\n%v", r)
		}
	})

	t.Run("cosign verifies what tbx signed", func(t *testing.T) {
		r := w.runCosign(t, "verify", "--key", "ci/cosign.pub", "--insecure-ignore-tlog=true", "--allow-http-registry", jq.digest.String())
		if r.Code != 0 || !strings.Contains(r.Out, jq.digest.DigestStr()) {
			t.Errorf("cosign verify of tbx's signature:\n%v", r)
		}
		if r := w.runCosign(t, "verify", "--key", w.otherPub, "--insecure-ignore-tlog=true", "--allow-http-registry", jq.digest.String()); r.Code == 0 {
			t.Errorf("cosign verified against another key: the check above proves nothing:\n%v", r)
		}
		sig := sigTag(t, jq.digest)
		if r := w.runCosign(t, "tree", "--allow-http-registry", jq.digest.String()); r.Code != 0 || !strings.Contains(r.Out, "Signatures for an image tag: "+sig.String()) {
			t.Errorf("cosign tree does not list tbx's signature %s:\n%v", sig, r)
		}
	})

	t.Run("tbx verifies what cosign v3 signs by default: a bundle", func(t *testing.T) {
		if r := w.sign(t, "ci/cosign.key", yq.digest); r.Code != 0 {
			t.Fatalf("cosign sign: %v", r)
		}
		tags := testenv.Tags(t, w.proxy.addr, w.project+"/yq")
		if want := strings.Replace(yq.digest.DigestStr(), ":", "-", 1); !slices.Contains(tags, want) || slices.Contains(tags, want+".sig") {
			t.Fatalf("cosign did not sign with a bundle under the referrers tag %s: the registry has %v", want, tags)
		}
		r := run(t, w.dir, w.fresh(t), "tbx", "run", "yq")
		if r.Code != 0 || strings.TrimSpace(r.Out) != "yq-fake" || !strings.Contains(r.Err, "yq: signature verified: ci/cosign.pub signed "+yq.digest.DigestStr()) {
			t.Errorf("a run of the image cosign signed:\n%v", r)
		}
	})

	t.Run("tbx verifies cosign's older format", func(t *testing.T) {
		if r := w.sign(t, "ci/cosign.key", vv.digest, "--new-bundle-format=false"); r.Code != 0 {
			t.Fatalf("cosign sign: %v", r)
		}
		if tags := testenv.Tags(t, w.proxy.addr, w.project+"/vv"); !slices.Contains(tags, sigTag(t, vv.digest).TagStr()) {
			t.Fatalf("cosign did not sign in the older format: the registry has %v", tags)
		}
		r := run(t, w.dir, w.fresh(t), "tbx", "run", "vv")
		if r.Code != 0 || strings.TrimSpace(r.Out) != "vv-fake" || !strings.Contains(r.Err, "vv: signature verified: ci/cosign.pub signed "+vv.digest.DigestStr()) {
			t.Errorf("a run of the image cosign signed in the older format:\n%v", r)
		}
	})

	t.Run("a pulled tool is held to its publisher's key", func(t *testing.T) {
		// The vendor publishes yq's image as vendor/yq:1 and signs it with
		// its own key, which the team keeps as ci/vendor.pub.
		vendor, err := name.NewTag(w.proxy.addr + "/vendor/yq:1")
		if err != nil {
			t.Fatal(err)
		}
		testenv.CopyImage(t, yq.digest, vendor)
		signed := vendor.Context().Digest(yq.digest.DigestStr())
		writeFile(t, w.dir, "ci/vendor.pub", string(mustRead(t, w.otherPub)))
		defer w.writeRecipe(t, `["ci/cosign.pub"]`)
		w.writeRecipe(t, `["ci/cosign.pub"]`, "\n[tools.vendor]\nimage = \""+vendor.String()+"\"\nsigners = [\"ci/vendor.pub\"]\n")
		w.refused(t, run(t, w.dir, w.fresh(t), "tbx", "run", "--tool", "vendor", "yq"), "vendor", signed, "it has no signature in the registry; the recipe requires a signature by ci/vendor.pub")
		if r := w.sign(t, w.otherKey, signed); r.Code != 0 {
			t.Fatalf("cosign sign: %v", r)
		}
		r := run(t, w.dir, w.fresh(t), "tbx", "run", "--tool", "vendor", "yq")
		if r.Code != 0 || strings.TrimSpace(r.Out) != "yq-fake" || !strings.Contains(r.Err, "vendor: signature verified: ci/vendor.pub signed "+yq.digest.DigestStr()) {
			t.Errorf("a run of the vendor's signed image:\n%v", r)
		}
	})

	t.Run("a verified digest is not asked again", func(t *testing.T) {
		m := w.fresh(t)
		if r := run(t, w.dir, m, "tbx", "run", "jq"); r.Code != 0 || strings.TrimSpace(r.Out) != "jq-fake" {
			t.Fatalf("first run: %v", r)
		}
		w.proxy.calls.Store(0)
		if r := run(t, w.dir, m, "tbx", "run", "jq"); r.Code != 0 || strings.TrimSpace(r.Out) != "jq-fake" {
			t.Fatalf("second run: %v", r)
		}
		if n := w.proxy.calls.Load(); n != 0 {
			t.Errorf("the second run of a verified digest made %d registry calls; want 0", n)
		}
	})

	t.Run("an unsigned image is refused", func(t *testing.T) {
		w.refused(t, run(t, w.dir, w.fresh(t), "tbx", "run", "zz"), "zz", zz.digest, "it has no signature in the registry; the recipe requires a signature by ci/cosign.pub")
	})

	t.Run("an image signed by another key is refused", func(t *testing.T) {
		if r := w.sign(t, w.otherKey, zz.digest); r.Code != 0 {
			t.Fatalf("cosign sign: %v", r)
		}
		w.refused(t, run(t, w.dir, w.fresh(t), "tbx", "run", "zz"), "zz", zz.digest, "it is signed, but by none of the keys required")
	})

	t.Run("a signature copied onto another digest is refused", func(t *testing.T) {
		testenv.CopyImage(t, sigTag(t, jq.digest), sigTag(t, zz.digest))
		w.refused(t, run(t, w.dir, w.fresh(t), "tbx", "run", "zz"), "zz", zz.digest, "its signature is for another image")
	})

	t.Run("a tag moved after signing is refused", func(t *testing.T) {
		tag, _ := name.NewTag(jq.tag)
		testenv.CopyImage(t, zz.digest, tag)
		defer testenv.CopyImage(t, jq.digest, tag)
		moved := tag.Context().Digest(zz.digest.DigestStr())
		w.refused(t, run(t, w.dir, w.fresh(t), "tbx", "run", "jq"), "jq", moved, "it has no signature in the registry")
	})

	t.Run("the lock records the signers and frozen runs hold to them", func(t *testing.T) {
		wrong := append(machine(t, w.dir), "COSIGN_PASSWORD=wrong")
		if r := run(t, w.dir, wrong, "tbx", "lock", "--sign-key", "ci/cosign.key"); r.Code != 125 || !strings.Contains(r.Err, "cannot decrypt the key") || !strings.Contains(r.Err, "set COSIGN_PASSWORD") {
			t.Errorf("tbx lock with the wrong password: %v", r)
		}
		if _, err := os.Stat(filepath.Join(w.dir, lockfile.FileName)); err == nil {
			t.Error("tbx lock with a key it cannot read wrote a lock")
		}
		if r := run(t, w.dir, publisher, "tbx", "lock", "--sign-key", "ci/cosign.key"); r.Code != 0 {
			t.Fatalf("tbx lock: %v", r)
		}
		defer os.Remove(filepath.Join(w.dir, lockfile.FileName))
		l, err := lockfile.Read(filepath.Join(w.dir, lockfile.FileName))
		if err != nil {
			t.Fatal(err)
		}
		key, err := imagesig.LoadSigner(filepath.Join(w.dir, "ci", "cosign.pub"), imagesig.Identity{})
		if err != nil {
			t.Fatal(err)
		}
		if s := l.Tools["jq"].Signers; len(s) != 1 || s[0] != key.Fingerprint || l.Version != 3 {
			t.Errorf("the lock (version %d) records jq's signers as %v; want [%s]", l.Version, s, key.Fingerprint)
		}
		frozen := append(w.fresh(t), "TBX_FROZEN=1")
		if r := run(t, w.dir, frozen, "tbx", "run", "jq"); r.Code != 0 || strings.TrimSpace(r.Out) != "jq-fake" {
			t.Errorf("a frozen run of the signed, locked jq: %v", r)
		}
		w.writeRecipe(t, `["ci/cosign.pub", "`+w.otherPub+`"]`)
		defer w.writeRecipe(t, `["ci/cosign.pub"]`)
		// other.pub lies outside the project: the recipe is refused as it must be.
		if r := run(t, w.dir, frozen, "tbx", "run", "jq"); r.Code != 125 || !strings.Contains(r.Err, "is outside the project") {
			t.Errorf("a signer outside the project: %v", r)
		}
		if err := os.WriteFile(filepath.Join(w.dir, "ci", "other.pub"), mustRead(t, w.otherPub), 0o644); err != nil {
			t.Fatal(err)
		}
		w.writeRecipe(t, `["ci/cosign.pub", "ci/other.pub"]`)
		if r := run(t, w.dir, frozen, "tbx", "run", "jq"); r.Code != 125 || !strings.Contains(r.Err, "tool jq: its signers changed since `tbx lock`") {
			t.Errorf("a frozen run after the recipe's signers changed: %v", r)
		}
	})

	t.Run("a declared mirror serves the signed images, and the lock holds through it", func(t *testing.T) {
		testMirror(t, w, publisher, jq)
	})

	t.Run("doctor on a project not trusted asks the registry nothing", func(t *testing.T) {
		if r := run(t, w.dir, w.fresh(t), "tbx", "prepare", "jq"); r.Code != 0 {
			t.Fatalf("tbx prepare: %v", r)
		}
		w.proxy.calls.Store(0)
		r := run(t, w.dir, append(machine(t, w.dir), "TBX_TRUST="), "tbx", "doctor")
		if !strings.Contains(r.Out+r.Err, "its signature is not checked until you trust the project") {
			t.Errorf("doctor on an untrusted project does not say the signature is unchecked:\n%v", r)
		}
		if n := w.proxy.calls.Load(); n != 0 {
			t.Errorf("doctor on an untrusted project made %d registry calls; want 0", n)
		}
	})

	t.Run("a CI workflow signs keyless: its bundle verifies offline, as cosign verify accepts it", func(t *testing.T) {
		testKeyless(t, w, zz)
	})

	t.Run("an image only tagged as a tool's never runs, is never pushed or signed", func(t *testing.T) {
		testForeignImages(t, w)
	})

	t.Run("a registry that died before the signature is asked is refused", func(t *testing.T) {
		m := w.fresh(t)
		if r := run(t, w.dir, m, "tbx", "prepare", "jq"); r.Code != 0 {
			t.Fatalf("tbx prepare: %v", r)
		}
		w.proxy.stop()
		pulled := jq.digest.Context().Digest(jq.digest.DigestStr())
		r := run(t, w.dir, machine(t, w.dir), "tbx", "run", "jq") // another user: nothing remembered
		var said []string
		for _, l := range lines(r.Err) {
			if strings.Contains(l, "refusing") {
				said = append(said, l)
			}
		}
		if r.Code != 125 || len(said) != 1 || !strings.Contains(said[0], "tool jq: refusing "+pulled.String()+": its signature cannot be checked") || strings.Contains(r.Out, "jq-fake") {
			t.Errorf("want one line refusing jq, its signature unreachable:\n%v", r)
		}
		if cs := projectContainers(t, w.c, w.project); len(cs) != 0 {
			t.Errorf("a refused run left %d containers", len(cs))
		}
	})
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
