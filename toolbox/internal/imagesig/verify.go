package imagesig

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// Why a verification failed, as errors.Is tells them apart.
var (
	ErrUnsigned        = errors.New("it has no signature in the registry")
	ErrOtherKey        = errors.New("it is signed, but by none of the keys required")
	ErrOtherDigest     = errors.New("its signature is for another image")
	ErrOtherRepository = errors.New("its signature is for the image in another repository")
)

// maxPayload bounds a signature's payload read from a registry; cosign's
// are a few hundred bytes.
const maxPayload = 64 << 10

// Verify checks that the image at d carries a signature, in the registry,
// by one of keys, of a payload that names d's digest and repository. It
// returns the key that signed it. The error wraps one of the Err values
// above, or is a *RegistryError when the signatures cannot be read.
func Verify(ctx context.Context, d name.Digest, keys []Key, opts ...remote.Option) (Key, error) {
	tag, err := SignatureTag(d)
	if err != nil {
		return Key{}, err
	}
	img, err := remote.Image(tag, append(opts, remote.WithContext(ctx))...)
	if notFound(err) {
		return Key{}, ErrUnsigned
	}
	if err != nil {
		return Key{}, &RegistryError{Op: "reading the signatures of", Ref: d.String(), Err: err}
	}
	layers, err := readLayers(img)
	if err != nil {
		return Key{}, &RegistryError{Op: "reading the signatures of", Ref: d.String(), Err: err}
	}
	return judge(d, layers, keys)
}

// judge finds, among the signatures read, one by a key of keys for d.
// Of the failures, the one nearest to success is told.
func judge(d name.Digest, layers []sigLayer, keys []Key) (Key, error) {
	if len(layers) == 0 {
		return Key{}, ErrUnsigned
	}
	failure := ErrOtherKey
	for _, l := range layers {
		for _, k := range keys {
			if !k.verifies(l) {
				continue
			}
			switch err := claims(l.payload, d); {
			case err == nil:
				return k, nil
			case failure == ErrOtherKey || errors.Is(err, ErrOtherDigest):
				failure = err
			}
		}
	}
	return Key{}, failure
}

// claims checks that a signed payload names the image at d.
func claims(body []byte, d name.Digest) error {
	var sci payload.SimpleContainerImage
	if err := json.Unmarshal(body, &sci); err != nil || sci.Critical.Type != payload.CosignSignatureType {
		return fmt.Errorf("%w (not a cosign image signature)", ErrOtherDigest)
	}
	if got := sci.Critical.Image.DockerManifestDigest; got != d.DigestStr() {
		return fmt.Errorf("%w (%s)", ErrOtherDigest, got)
	}
	claimed := sci.Critical.Identity.DockerReference
	ref, err := name.ParseReference(claimed)
	if err != nil || ref.Context().Name() != d.Context().Name() {
		return fmt.Errorf("%w (%s)", ErrOtherRepository, claimed)
	}
	return nil
}

// sigLayer is one signature: its payload and the signature of it.
type sigLayer struct {
	payload   []byte
	signature []byte
}

// verifies reports whether l's signature is k's of l's payload.
func (k Key) verifies(l sigLayer) bool {
	return k.verifier != nil && k.verifier.VerifySignature(bytes.NewReader(l.signature), bytes.NewReader(l.payload)) == nil
}

// readLayers reads every signature an image of signatures holds; a layer
// without a signature annotation is skipped, as cosign does.
func readLayers(img v1.Image) ([]sigLayer, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	var out []sigLayer
	for _, desc := range m.Layers {
		sig, err := base64.StdEncoding.DecodeString(desc.Annotations[SignatureAnnotation])
		if err != nil || len(sig) == 0 {
			continue
		}
		body, err := layerBytes(img, desc.Digest)
		if err != nil {
			return nil, err
		}
		out = append(out, sigLayer{payload: body, signature: sig})
	}
	return out, nil
}

// layerBytes reads a payload, checked against its digest by the reader.
func layerBytes(img v1.Image, h v1.Hash) ([]byte, error) {
	l, err := img.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxPayload+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxPayload {
		return nil, fmt.Errorf("a signature payload of more than %d bytes", maxPayload)
	}
	return b, nil
}

// RegistryError is a registry that could not be asked or answered with
// an error.
type RegistryError struct {
	Op, Ref string
	Err     error
}

func (e *RegistryError) Error() string {
	return fmt.Sprintf("%s %s: %s", e.Op, e.Ref, strings.Join(strings.Fields(e.Err.Error()), " "))
}

func (e *RegistryError) Unwrap() error { return e.Err }
