package imagesig

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// attach attaches to the image at d, as cosign v3 does, a bundle of a DSSE
// envelope signed by k of an in-toto statement with predicate about
// subject (a digest's hex).
func attach(t *testing.T, d name.Digest, k SigningKey, predicate, subject string) {
	t.Helper()
	statement := testenv.SignStatement(predicate, subject)
	pub, err := k.signer.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	es, err := dsse.NewEnvelopeSigner(&sigdsse.SignerAdapter{SignatureSigner: k.signer, Pub: pub})
	if err != nil {
		t.Fatal(err)
	}
	env, err := es.SignPayload(context.Background(), inTotoPayload, statement)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	if err != nil {
		t.Fatal(err)
	}
	b := &protobundle.Bundle{
		MediaType:            BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{Content: &protobundle.VerificationMaterial_PublicKey{PublicKey: &protocommon.PublicKeyIdentifier{}}},
		Content:              &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{Payload: statement, PayloadType: inTotoPayload, Signatures: []*protodsse.Signature{{Sig: sig}}}},
	}
	body, err := protojson.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	testenv.AttachBundle(t, d, body)
}

// Bundles found through the referrers API: one of cosign's signature
// by a required key verifies; an attestation by that key, or a signature
// of another subject, does not, and says why.
func TestBundlesThroughTheReferrersAPI(t *testing.T) {
	ctx := context.Background()
	host, _ := memRegistry(t)
	signer, key := keyPair(t, "pw")
	_, other := keyPair(t, "other")

	az := pushRandom(t, host+"/proj/az")
	hex := strings.TrimPrefix(az.DigestStr(), "sha256:")
	attach(t, az, signer, "https://slsa.dev/provenance/v1", hex)
	if _, err := Verify(ctx, az, []Key{key}, nil); !errors.Is(err, ErrNotASignature) {
		t.Errorf("an attestation alone: %v, want %v", err, ErrNotASignature)
	}
	attach(t, az, signer, SignPredicate, strings.Repeat("0", 64))
	if _, err := Verify(ctx, az, []Key{key}, nil); !errors.Is(err, ErrOtherDigest) {
		t.Errorf("a signature of another subject: %v, want %v", err, ErrOtherDigest)
	}
	attach(t, az, signer, SignPredicate, hex)
	if k, err := Verify(ctx, az, []Key{other, key}, nil); err != nil || k.Fingerprint != key.Fingerprint {
		t.Errorf("cosign's signature among attestations: %v, %v", k.Fingerprint, err)
	}
	if _, err := Verify(ctx, az, []Key{other}, nil); !errors.Is(err, ErrOtherKey) {
		t.Errorf("signed by none of the keys: %v, want %v", err, ErrOtherKey)
	}
	// A bundle names no repository: a copy elsewhere verifies as it is.
	mirror, err := name.NewDigest(host + "/mirror/az@" + az.DigestStr())
	if err != nil {
		t.Fatal(err)
	}
	testenv.CopyImage(t, az, mirror)
	attach(t, mirror, signer, SignPredicate, hex)
	if _, err := Verify(ctx, mirror, []Key{key}, nil); err != nil {
		t.Errorf("the bundle of a copy: %v", err)
	}
}

// A bundle signed keyless verifies against a trusted root and the
// identity and issuer required, offline: another identity, another issuer,
// another root's CA, or a bundle whose log entry was left out, does not.
func TestKeylessBundles(t *testing.T) {
	ctx := context.Background()
	host, _ := memRegistry(t)
	dir := t.TempDir()
	const wf = "https://github.com/acme/infra/.github/workflows/publish.yml@refs/heads/main"
	const gha = "https://token.actions.githubusercontent.com"
	ours, theirs := testenv.NewSigstore(t), testenv.NewSigstore(t)
	signer := func(s *testenv.Sigstore, id Identity) Key {
		path := filepath.Join(dir, fmt.Sprintf("root-%p.json", s))
		if err := os.WriteFile(path, s.TrustedRoot(t), 0o644); err != nil {
			t.Fatal(err)
		}
		k, err := LoadSigner(path, id)
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	want := signer(ours, Identity{wf, gha})

	az := pushRandom(t, host+"/proj/az")
	hex := strings.TrimPrefix(az.DigestStr(), "sha256:")
	if _, err := Verify(ctx, az, []Key{want}, nil); !errors.Is(err, ErrUnsigned) {
		t.Errorf("no bundle: %v, want %v", err, ErrUnsigned)
	}
	testenv.AttachBundle(t, az, ours.Bundle(t, wf, gha, testenv.SignStatement(SignPredicate, hex)))
	if k, err := Verify(ctx, az, []Key{want}, nil); err != nil || k.Fingerprint != want.Fingerprint {
		t.Errorf("signed keyless by the identity required: %v, %v", k.Fingerprint, err)
	}
	for name, k := range map[string]Key{
		"another identity":  signer(ours, Identity{wf + "x", gha}),
		"another issuer":    signer(ours, Identity{wf, "https://accounts.google.com"}),
		"another root's CA": signer(theirs, Identity{wf, gha}),
	} {
		if _, err := Verify(ctx, az, []Key{k}, nil); !errors.Is(err, ErrOtherKey) {
			t.Errorf("%s: %v, want %v", name, err, ErrOtherKey)
		}
	}

	// What it signs counts as with a key: an attestation is not a
	// signature, and another subject is another image.
	jq := pushRandom(t, host+"/proj/jq")
	jqHex := strings.TrimPrefix(jq.DigestStr(), "sha256:")
	testenv.AttachBundle(t, jq, ours.Bundle(t, wf, gha, testenv.SignStatement("https://slsa.dev/provenance/v1", jqHex)))
	if _, err := Verify(ctx, jq, []Key{want}, nil); !errors.Is(err, ErrNotASignature) {
		t.Errorf("a keyless attestation: %v, want %v", err, ErrNotASignature)
	}
	testenv.AttachBundle(t, jq, ours.Bundle(t, wf, gha, testenv.SignStatement(SignPredicate, hex)))
	if _, err := Verify(ctx, jq, []Key{want}, nil); !errors.Is(err, ErrOtherDigest) {
		t.Errorf("a keyless signature of another image: %v, want %v", err, ErrOtherDigest)
	}
}

// A signer file is a PEM key or a Sigstore trusted root; a root needs an
// identity, and a trusted root's fingerprint covers the identity.
func TestLoadSigner(t *testing.T) {
	dir := t.TempDir()
	rootFile := filepath.Join(dir, "trusted_root.json")
	if err := os.WriteFile(rootFile, testenv.NewSigstore(t).TrustedRoot(t), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigner(rootFile, Identity{}); err == nil || !strings.Contains(err.Error(), "certificate_identity and certificate_oidc_issuer") {
		t.Errorf("a trusted root without an identity: %v", err)
	}
	a, errA := LoadSigner(rootFile, Identity{"a", "https://issuer"})
	b, errB := LoadSigner(rootFile, Identity{"b", "https://issuer"})
	if errA != nil || errB != nil || a.Fingerprint == b.Fingerprint || !strings.HasPrefix(a.Fingerprint, "keyless:sha256:") {
		t.Errorf("two identities under one root: %q %v, %q %v", a.Fingerprint, errA, b.Fingerprint, errB)
	}
	_, key := keyPair(t, "pw")
	if k, err := LoadSigner(key.Path, Identity{"a", "https://issuer"}); err != nil || k.Fingerprint != key.Fingerprint {
		t.Errorf("a PEM key beside an identity: %v %v", k.Fingerprint, err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":"no"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadSigner(bad, Identity{"a", "https://issuer"}); err == nil || !strings.Contains(err.Error(), "not a Sigstore trusted root") {
		t.Errorf("a trusted root that does not parse: %v", err)
	}
}
