// Package imagesig signs tool images and verifies their signatures in
// cosign's format: a simple-signing payload naming the image's manifest
// digest, signed with a key, stored in the image's repository under the tag
// sha256-HEX.sig, one layer a signature. `cosign sign --key` writes what
// Verify reads, and `cosign verify --key` accepts what Sign writes. Verify
// also reads cosign v3's Sigstore bundles, signed with a key or keyless
// (a certificate and a transparency log entry, checked offline against a
// Sigstore trusted root with sigstore-go). It uses sigstore's libraries for
// keys, payloads, signatures and bundles, and go-containerregistry for the
// registry; it holds no format of its own.
package imagesig

import (
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/sigstore/sigstore/pkg/cryptoutils"
	"github.com/sigstore/sigstore/pkg/signature"

	"github.com/tbx-dev/tbx/toolbox/internal/safefile"
)

// Key is a public key that may sign tool images, or, read from a Sigstore
// trusted root, an identity that may sign them keyless.
type Key struct {
	Path        string   // the file it was read from
	Fingerprint string   // sha256:HEX of its DER SubjectPublicKeyInfo; keyless:sha256:HEX of the root and identity
	Identity    Identity // who signs keyless; zero for a key
	verifier    signature.Verifier
	keyless     *keyless
}

// SigningKey is a private key that signs tool images.
type SigningKey struct {
	Path   string
	Public Key // its public half
	signer signature.Signer
}

// maxKeySize bounds a key file read.
const maxKeySize = 64 << 10

// parseKey reads the PEM public key in pemBytes, read from path, as
// `cosign generate-key-pair` writes cosign.pub.
func parseKey(path string, pemBytes []byte) (Key, error) {
	pub, err := cryptoutils.UnmarshalPEMToPublicKey(pemBytes)
	if err != nil {
		return Key{}, fmt.Errorf("%s: not a PEM public key (%v)", path, oneLine(err))
	}
	return publicKey(path, pub)
}

func publicKey(path string, pub crypto.PublicKey) (Key, error) {
	v, err := signature.LoadVerifier(pub, crypto.SHA256)
	if err != nil {
		return Key{}, fmt.Errorf("%s: %v", path, oneLine(err))
	}
	fp, err := Fingerprint(pub)
	if err != nil {
		return Key{}, fmt.Errorf("%s: %v", path, oneLine(err))
	}
	return Key{Path: path, Fingerprint: fp, verifier: v}, nil
}

// LoadSigningKey reads a private key as `cosign generate-key-pair` writes
// cosign.key (encrypted with password; an unencrypted PEM key too).
func LoadSigningKey(path string, password []byte) (SigningKey, error) {
	pemBytes, err := readKeyFile(path)
	if err != nil {
		return SigningKey{}, err
	}
	priv, err := cryptoutils.UnmarshalPEMToPrivateKey(pemBytes, func(bool) ([]byte, error) { return password, nil })
	if err != nil {
		if strings.Contains(string(pemBytes), "ENCRYPTED") {
			return SigningKey{}, fmt.Errorf("%s: cannot decrypt the key (%v); set COSIGN_PASSWORD to its password", path, oneLine(err))
		}
		return SigningKey{}, fmt.Errorf("%s: not a private key (%v)", path, oneLine(err))
	}
	s, err := signature.LoadSigner(priv, crypto.SHA256)
	if err != nil {
		return SigningKey{}, fmt.Errorf("%s: %v", path, oneLine(err))
	}
	pub, err := s.PublicKey()
	if err != nil {
		return SigningKey{}, fmt.Errorf("%s: %v", path, oneLine(err))
	}
	k, err := publicKey(path, pub)
	if err != nil {
		return SigningKey{}, err
	}
	return SigningKey{Path: path, Public: k, signer: s}, nil
}

// Fingerprint names a public key: sha256: and the hex of its DER form.
func Fingerprint(pub crypto.PublicKey) (string, error) {
	der, err := cryptoutils.MarshalPublicKeyToDER(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func readKeyFile(path string) ([]byte, error) {
	b, err := safefile.Read(path, maxKeySize)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("key file %s does not exist", path)
	case err != nil:
		return nil, fmt.Errorf("reading key file %s: %w", path, err)
	}
	return b, nil
}

func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
