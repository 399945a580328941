package imagesig

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
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
	statement := fmt.Sprintf(`{"_type":%q,"subject":[{"digest":{"sha256":%q}}],"predicateType":%q,"predicate":{}}`, statementV1, subject, predicate)
	pub, err := k.signer.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	es, err := dsse.NewEnvelopeSigner(&sigdsse.SignerAdapter{SignatureSigner: k.signer, Pub: pub})
	if err != nil {
		t.Fatal(err)
	}
	env, err := es.SignPayload(context.Background(), inTotoPayload, []byte(statement))
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
		Content:              &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{Payload: []byte(statement), PayloadType: inTotoPayload, Signatures: []*protodsse.Signature{{Sig: sig}}}},
	}
	body, err := protojson.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(d)
	if err != nil {
		t.Fatal(err)
	}
	art, err := mutate.AppendLayers(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), BundleMediaType), static.NewLayer(body, BundleMediaType))
	if err != nil {
		t.Fatal(err)
	}
	art = mutate.Subject(art, *desc).(v1.Image)
	h, err := art.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(d.Context().Digest(h.String()), art); err != nil {
		t.Fatal(err)
	}
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
