package imagesig

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/verify"
)

// Keyless signing, as cosign does it in CI: the signer holds no key of
// its own, but a short-lived certificate that a Fulcio-style CA issued to
// an OIDC identity (a CI workflow's, a person's), and the signature is
// recorded in a transparency log. What vouches for both is a Sigstore
// trusted root (trusted_root.json, as `cosign verify --trusted-root`
// reads it): the CA's certificates and the log's keys. Verification is
// offline: the bundle carries the certificate, the log's entry with its
// inclusion proof and signed checkpoint, and any timestamps; sigstore-go
// checks them against the trusted root.

// Identity is who signs keyless: the certificate's subject (cosign's
// --certificate-identity) and the OIDC issuer that vouched for it
// (--certificate-oidc-issuer), both matched exactly.
type Identity struct {
	Subject string
	Issuer  string
}

// trustedRootType is how a Sigstore trusted root's media type starts.
const trustedRootType = "application/vnd.dev.sigstore.trustedroot+json"

// keyless is what verifies a signature made keyless.
type keyless struct {
	material root.TrustedMaterial
	identity verify.CertificateIdentity
	sct      bool // the trusted root names certificate transparency logs: a certificate must carry a timestamp of one
}

// LoadSigner reads a signer file: a PEM public key (cosign.pub), or a
// Sigstore trusted root, which makes a Key that accepts the signatures id
// made keyless under the CAs and logs it names.
func LoadSigner(path string, id Identity) (Key, error) {
	b, err := readKeyFile(path)
	if err != nil {
		return Key{}, err
	}
	if !isTrustedRoot(b) {
		return parseKey(path, b)
	}
	if id.Subject == "" || id.Issuer == "" {
		return Key{}, fmt.Errorf("%s is a Sigstore trusted root: name who signs keyless with certificate_identity and certificate_oidc_issuer beside signers", path)
	}
	tr, err := root.NewTrustedRootFromJSON(b)
	if err != nil {
		return Key{}, fmt.Errorf("%s: not a Sigstore trusted root (%v)", path, oneLine(err))
	}
	if len(tr.FulcioCertificateAuthorities()) == 0 || len(tr.RekorLogs()) == 0 {
		return Key{}, fmt.Errorf("%s: a trusted root for keyless signatures names a certificate authority and a transparency log", path)
	}
	ci, err := verify.NewShortCertificateIdentity(id.Issuer, "", id.Subject, "")
	if err != nil {
		return Key{}, fmt.Errorf("%s: %v", path, oneLine(err))
	}
	h := sha256.New()
	for _, part := range [][]byte{b, []byte(id.Subject), []byte(id.Issuer)} {
		h.Write(part)
		h.Write([]byte{0})
	}
	return Key{
		Path:        path,
		Fingerprint: "keyless:sha256:" + hex.EncodeToString(h.Sum(nil)),
		Identity:    id,
		keyless:     &keyless{material: tr, identity: ci, sct: len(tr.CTLogs()) > 0},
	}, nil
}

// isTrustedRoot reports whether a signer file's bytes are a Sigstore
// trusted root rather than a PEM key.
func isTrustedRoot(b []byte) bool {
	var doc struct {
		MediaType string `json:"mediaType"`
	}
	return json.Unmarshal(b, &doc) == nil && len(doc.MediaType) >= len(trustedRootType) && doc.MediaType[:len(trustedRootType)] == trustedRootType
}

// signed reports whether the bundle pb was signed keyless by k's identity:
// its certificate chains to one of the trusted root's CAs and names the
// identity, its signature verifies with the certificate, and a
// transparency log of the root recorded it while the certificate was
// valid (and, where the root names CT logs, the certificate was logged),
// as `cosign verify` requires by default. What the signature signs is
// judged apart (envelope.names).
func (k *keyless) signed(pb *protobundle.Bundle) error {
	b, err := bundle.NewBundle(pb)
	if err != nil {
		return err
	}
	opts := []verify.VerifierOption{verify.WithTransparencyLog(1), verify.WithObserverTimestamps(1)}
	if k.sct {
		opts = append(opts, verify.WithSignedCertificateTimestamps(1))
	}
	v, err := verify.NewVerifier(k.material, opts...)
	if err != nil {
		return err
	}
	_, err = v.Verify(b, verify.NewPolicy(verify.WithoutArtifactUnsafe(), verify.WithCertificateIdentity(k.identity)))
	return err
}
