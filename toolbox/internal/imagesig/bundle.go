package imagesig

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/secure-systems-lab/go-securesystemslib/dsse"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	sigdsse "github.com/sigstore/sigstore/pkg/signature/dsse"
	"google.golang.org/protobuf/encoding/protojson"
)

// What cosign v3 writes by default: a Sigstore bundle holding a DSSE
// envelope of an in-toto statement whose subject is the image's digest,
// attached to the image with the OCI 1.1 referrers API (or, where the
// registry lacks it, the referrers tag sha256-HEX).
const (
	// BundleMediaType is the artifact type of a Sigstore bundle, v0.3.
	BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// SignPredicate is the predicate of cosign's image signature: the
	// statement signs the image itself, with no claim beside.
	SignPredicate = "https://sigstore.dev/cosign/sign/v1"
	statementV1   = "https://in-toto.io/Statement/v1"
	inTotoPayload = "application/vnd.in-toto+json"
	// maxBundles bounds how many bundles of one image are read.
	maxBundles = 16
)

// bundles reads the Sigstore bundles attached to the image at d; none
// when nothing refers to it.
func bundles(ctx context.Context, d name.Digest, opts []remote.Option) ([]signed, error) {
	opts = append(opts, remote.WithContext(ctx))
	idx, err := remote.Referrers(d, append(opts, remote.WithFilter("artifactType", BundleMediaType))...)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, err
	}
	var out []signed
	for i, desc := range im.Manifests {
		if i == maxBundles {
			break
		}
		b, err := readBundle(d.Context().Digest(desc.Digest.String()), opts)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// readBundle reads the bundle the artifact at ref holds.
func readBundle(ref name.Digest, opts []remote.Option) (signed, error) {
	img, err := remote.Image(ref, opts...)
	if err != nil {
		return nil, err
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	if len(m.Layers) == 0 || m.Layers[0].MediaType != BundleMediaType {
		return unreadable("an artifact of type " + BundleMediaType + " holds no bundle"), nil
	}
	body, err := layerBytes(img, m.Layers[0].Digest)
	if err != nil {
		return nil, err
	}
	var b protobundle.Bundle
	if err := (protojson.UnmarshalOptions{DiscardUnknown: true}).Unmarshal(body, &b); err != nil {
		return unreadable("a Sigstore bundle that does not parse: " + err.Error()), nil
	}
	env := b.GetDsseEnvelope()
	if env == nil {
		return unreadable("a Sigstore bundle with a message signature, which signs no image"), nil
	}
	return envelope{env: toDSSE(env.PayloadType, env.Payload, env.Signatures), bundle: &b}, nil
}

// toDSSE is the envelope as the DSSE library reads it.
func toDSSE(payloadType string, payload []byte, sigs []*protodsse.Signature) *dsse.Envelope {
	e := &dsse.Envelope{PayloadType: payloadType, Payload: base64.StdEncoding.EncodeToString(payload)}
	for _, s := range sigs {
		e.Signatures = append(e.Signatures, dsse.Signature{KeyID: s.Keyid, Sig: base64.StdEncoding.EncodeToString(s.Sig)})
	}
	return e
}

// envelope is a DSSE envelope of an in-toto statement, as cosign v3 signs
// an image, and the bundle that holds it.
type envelope struct {
	env    *dsse.Envelope
	bundle *protobundle.Bundle
}

// by reports whether k made one of the envelope's signatures: with the
// key, or keyless as k's identity (the bundle's certificate and log entry
// then count too).
func (e envelope) by(k Key) bool {
	if k.keyless != nil {
		return e.bundle != nil && k.keyless.signed(e.bundle) == nil
	}
	if k.verifier == nil {
		return false
	}
	pub, err := k.verifier.PublicKey()
	if err != nil {
		return false
	}
	v, err := dsse.NewEnvelopeVerifier(&sigdsse.VerifierAdapter{SignatureVerifier: k.verifier, Pub: pub})
	if err != nil {
		return false
	}
	_, err = v.Verify(context.Background(), e.env)
	return err == nil
}

// names checks that the statement is cosign's signature of the image at
// d. A bundle names no repository: it signs the digest, wherever it is
// served.
func (e envelope) names(d name.Digest, _ []string) error {
	if e.env.PayloadType != inTotoPayload {
		return fmt.Errorf("%w (a bundle of %s, not an in-toto statement)", ErrOtherDigest, e.env.PayloadType)
	}
	body, err := e.env.DecodeB64Payload()
	if err != nil {
		return fmt.Errorf("%w (a payload that does not decode)", ErrOtherDigest)
	}
	var st struct {
		Type          string `json:"_type"`
		PredicateType string `json:"predicateType"`
		Subject       []struct {
			Digest map[string]string `json:"digest"`
		} `json:"subject"`
	}
	if err := json.Unmarshal(body, &st); err != nil || st.Type != statementV1 {
		return fmt.Errorf("%w (not an in-toto statement)", ErrOtherDigest)
	}
	if st.PredicateType != SignPredicate {
		return fmt.Errorf("%w (an attestation of %s, not a signature)", ErrNotASignature, st.PredicateType)
	}
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return err
	}
	for _, s := range st.Subject {
		if s.Digest[h.Algorithm] == h.Hex {
			return nil
		}
	}
	return fmt.Errorf("%w (the statement names another subject)", ErrOtherDigest)
}

// ErrNotASignature is a bundle signed by a required key that attests
// something else about the image (an SBOM, provenance): not that the key
// signed it.
var ErrNotASignature = errors.New("what its key signed is an attestation, not a signature")

// unreadable is a bundle tbx cannot read, and why: it counts as no
// signature, and the reason is told when nothing else is found.
type unreadable string

func (unreadable) by(Key) bool { return false }

func (u unreadable) names(name.Digest, []string) error { return errors.New(string(u)) }
