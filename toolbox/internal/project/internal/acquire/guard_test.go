package acquire

import (
	"context"
	"crypto/elliptic"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/sigstore/sigstore/pkg/cryptoutils"

	"github.com/tbx-dev/tbx/toolbox/internal/imagesig"
	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// signedWorld is a recipe whose tools require ci/cosign.pub's signature
// (az built, jq pulled with its own signers), an in-memory registry, and
// the team's signing key.
type signedWorld struct {
	m      *Manager
	host   string
	signer imagesig.SigningKey
	srv    *httptest.Server
}

func newSignedWorld(t *testing.T) *signedWorld {
	t.Helper()
	w := &signedWorld{srv: httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))}
	t.Cleanup(w.srv.Close)
	w.host = strings.TrimPrefix(w.srv.URL, "http://")
	dir := t.TempDir()
	priv, pub, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), func(bool) ([]byte, error) { return []byte("pw"), nil })
	if err != nil {
		t.Fatal(err)
	}
	for path, b := range map[string][]byte{"ci/cosign.pub": pub, "ci/cosign.key": priv, "img/Dockerfile": []byte("FROM scratch\n")} {
		os.MkdirAll(filepath.Join(dir, filepath.Dir(path)), 0o755)
		if err := os.WriteFile(filepath.Join(dir, path), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	src := "[toolbox]\nname = \"p\"\nregistry = \"" + w.host + "\"\nsigners = [\"ci/cosign.pub\"]\n[tools.az]\nbuild = \"img\"\n[tools.jq]\nimage = \"" + w.host + "/vendor/jq:1\"\nsigners = [\"ci/cosign.pub\"]\n"
	r, err := recipe.Parse(filepath.Join(dir, recipe.FileName), recipe.FileName, []byte(src), recipe.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if w.signer, err = imagesig.LoadSigningKey(filepath.Join(dir, "ci", "cosign.key"), []byte("pw")); err != nil {
		t.Fatal(err)
	}
	w.m = New(Config{Recipe: r, Registry: w.host, CacheDir: t.TempDir()})
	return w
}

// image pushes a random image to repo (under the registry) and signs it
// when sign is set; it returns its repository@digest.
func (w *signedWorld) image(t *testing.T, repo string, sign bool) string {
	t.Helper()
	img, _ := random.Image(32, 1)
	tag, err := name.NewTag(w.host + "/" + repo + ":x")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img); err != nil {
		t.Fatal(err)
	}
	h, _ := img.Digest()
	d := tag.Context().Digest(h.String())
	if sign {
		if _, err := imagesig.Sign(context.Background(), d, w.signer); err != nil {
			t.Fatal(err)
		}
	}
	return d.String()
}

func (w *signedWorld) status(tool, id string, digests ...string) Status {
	return Status{Tool: w.m.Recipe.Tool(tool), ImageID: id, Digests: digests}
}

// The guard's decisions, with a registry in memory and no Engine.
func TestTheGuardDecides(t *testing.T) {
	ctx := context.Background()
	w := newSignedWorld(t)
	signed, unsigned := w.image(t, "p/az", true), w.image(t, "p/az", false)
	g := w.m.g

	if err := g.check(ctx, w.status("az", "sha256:a", signed)); err != nil {
		t.Errorf("a signed image: %v", err)
	}
	err := g.check(ctx, w.status("az", "sha256:b", unsigned))
	if err == nil || !isRefusal(err) || !strings.Contains(err.Error(), "tool az: refusing "+unsigned+": it has no signature in the registry; the recipe requires a signature by ci/cosign.pub") {
		t.Errorf("an unsigned image: %v", err)
	}
	// The lock's digest is the one checked when the image has several.
	pinned := w.status("az", "sha256:c", unsigned, signed)
	pinned.Pinned.Digest = signed[strings.Index(signed, "@")+1:]
	if err := g.check(ctx, pinned); err != nil {
		t.Errorf("an image with the lock's signed digest among others: %v", err)
	}
	// A tag is a name anyone can give: an image under the tool's tag that
	// tbx did not build here and no registry served is refused, by ID.
	err = g.check(ctx, w.status("az", "sha256:d0d0d0d0d0d0d0d0"))
	if err == nil || !isRefusal(err) || !strings.Contains(err.Error(), "image d0d0d0d0d0d0 under its tag was not built by tbx here") {
		t.Errorf("an image only tagged as the built tool: %v", err)
	}
	if err := g.check(ctx, w.status("jq", "sha256:e")); err == nil || !strings.Contains(err.Error(), "came from no digest of "+w.host+"/vendor/jq") || !strings.Contains(err.Error(), "`tbx pull jq`") {
		t.Errorf("a pulled image with no digest of its repository: %v", err)
	}
	builtHere := w.status("az", "sha256:f", unsigned)
	builtHere.BuiltHere = true
	if err := g.check(ctx, builtHere); err != nil {
		t.Errorf("an image built here, pushed unsigned: %v", err)
	}

	// A verified digest is remembered: with the registry gone, it still passes.
	w.srv.Close()
	if err := g.check(ctx, w.status("az", "sha256:a", signed)); err != nil {
		t.Errorf("a remembered verdict: %v", err)
	}
	if err := g.check(ctx, w.status("az", "sha256:b", unsigned)); err == nil || !strings.Contains(err.Error(), "its signature cannot be checked") {
		t.Errorf("an unsigned image with the registry gone: %v", err)
	}
}

// A key that signs for nobody the recipe names is refused before any push;
// a lock whose signers are not the recipe's is named.
func TestSigningKeysAndLockedSigners(t *testing.T) {
	w := newSignedWorld(t)
	other, _, err := cryptoutils.GeneratePEMEncodedECDSAKeyPair(elliptic.P256(), nil)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "other.key")
	os.WriteFile(path, other, 0o600)
	w.m.g.signKeyPath = path
	if err := w.m.g.checkSigning(w.m.Recipe.Tools); err == nil || !strings.Contains(err.Error(), "tool az: the signing key "+path+" is not one of its signers (ci/cosign.pub)") {
		t.Errorf("a key that is not a signer: %v", err)
	}
	want, err := w.m.g.fingerprints(w.m.Recipe.Tool("az"))
	if err != nil || len(want) != 1 || want[0] != w.signer.Public.Fingerprint {
		t.Fatalf("fingerprints: %v, %v", want, err)
	}
	st := w.status("az", "")
	st.Lock, st.Pinned = Locked, lockfile.Tool{Signers: want}
	if p := w.m.g.signersProblem(st); p != "" {
		t.Errorf("the lock's own signers: %s", p)
	}
	st.Pinned.Signers = []string{"sha256:0000"}
	if p := w.m.g.signersProblem(st); !strings.Contains(p, "tool az: its signers changed since `tbx lock`") {
		t.Errorf("other signers in the lock: %q", p)
	}
}

// A signature the registry will not show without a login is refused with
// the pull path's advice, and the registry's words without Go values.
func TestARefusalForWantOfALoginSaysToLogIn(t *testing.T) {
	denied := &transport.Error{StatusCode: http.StatusUnauthorized, Errors: []transport.Diagnostic{{
		Code: transport.UnauthorizedErrorCode, Message: "authentication required",
		Detail: []any{map[string]any{"Type": "repository", "Name": "p/az", "Action": "pull"}},
	}}}
	ref := "reg.example.com:5000/p/az@sha256:" + strings.Repeat("a", 64)
	err := &sigRefusal{tool: "az", ref: ref, err: &imagesig.RegistryError{Op: "reading the signatures of", Ref: ref, Err: denied}}
	want := "tool az: refusing " + ref + ": its signature cannot be checked (UNAUTHORIZED: authentication required); log in with `docker login reg.example.com:5000` (or set credentials in DOCKER_CONFIG), then retry; nothing was run"
	if err.Error() != want {
		t.Errorf("got  %s\nwant %s", err, want)
	}
	pull := &registryError{op: "pulling", ref: ref, err: denied}
	if got := pull.Error(); strings.Contains(got, "map[") || !strings.Contains(got, "`docker login reg.example.com:5000`") {
		t.Errorf("a pull refused: %s", got)
	}
}

// Taken from a declared mirror, a built tool's signature may name its
// repository in the team registry, and the lock's bases there are taken
// from the mirror; from a registry the recipe does not declare, neither.
func TestAMirrorIsTheTeamRegistryByAnotherName(t *testing.T) {
	r := &recipe.Recipe{Name: "p", Registry: "reg.example.com/team", Mirrors: []string{"mirror.example.com/m"}}
	az := &recipe.Tool{Name: "az", Build: "img"}
	base := "reg.example.com/team/base/debian@sha256:" + strings.Repeat("b", 64)
	for registry, want := range map[string][]string{
		"mirror.example.com/m": {"reg.example.com/team/p/az"},
		"reg.example.com/team": {"mirror.example.com/m/p/az"},
		"other.example.com":    nil,
	} {
		m := New(Config{Recipe: r, Registry: registry})
		if got := m.g.aliases(az); !slices.Equal(got, want) {
			t.Errorf("from %s: aliases %v, want %v", registry, got, want)
		}
	}
	if got, want := throughRegistry(r, "mirror.example.com/m", base), "mirror.example.com/m/base/debian@sha256:"+strings.Repeat("b", 64); got != want {
		t.Errorf("a locked base through the mirror: %s, want %s", got, want)
	}
	if got := throughRegistry(r, "other.example.com", base); got != base {
		t.Errorf("a locked base through an undeclared registry: %s", got)
	}
}
