package imagesig

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
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
	ErrUnreadable      = errors.New("its only signatures are in a form tbx cannot read")
)

// maxPayload bounds a signature's payload read from a registry; cosign's
// are a few hundred bytes.
const maxPayload = 64 << 10

// Verify checks that the image at d carries a signature, in the registry,
// by one of keys, of a payload that names d's digest (and, in cosign's
// older format, which names it, d's repository or one of aliases: the
// same image's repositories where it is also served, as a mirror copies
// it). Both of cosign's formats
// are read: the simple-signing payloads under the sha256-HEX.sig tag
// (cosign v2, and v3 with --new-bundle-format=false), then the Sigstore
// bundles attached through the referrers API or its tag fallback (cosign
// v3's default). It returns the key that signed it. The error wraps one
// of the Err values above, or is a *RegistryError when the signatures
// cannot be read.
func Verify(ctx context.Context, d name.Digest, keys []Key, aliases []string, opts ...remote.Option) (Key, error) {
	found, err := tagged(ctx, d, opts)
	if err != nil {
		return Key{}, &RegistryError{Op: "reading the signatures of", Ref: d.String(), Err: err}
	}
	if k, err := judge(d, aliases, found, keys); err == nil {
		return k, nil
	}
	attached, err := bundles(ctx, d, opts)
	if err != nil {
		return Key{}, &RegistryError{Op: "reading the signature bundles of", Ref: d.String(), Err: err}
	}
	return judge(d, aliases, append(found, attached...), keys)
}

// tagged reads the signatures cosign's older format keeps under the
// image's sha256-HEX.sig tag; none when there is no such tag.
func tagged(ctx context.Context, d name.Digest, opts []remote.Option) ([]signed, error) {
	tag, err := SignatureTag(d)
	if err != nil {
		return nil, err
	}
	img, err := remote.Image(tag, append(opts, remote.WithContext(ctx))...)
	if notFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	layers, err := readLayers(img)
	if err != nil {
		return nil, err
	}
	out := make([]signed, len(layers))
	for i, l := range layers {
		out[i] = l
	}
	return out, nil
}

// signed is one signature found for an image, in either of cosign's
// formats.
type signed interface {
	by(k Key) bool                               // whether k made it
	names(d name.Digest, aliases []string) error // nil when what it signs is the image at d
}

// judge finds, among the signatures read, one by a key of keys for d.
// Of the failures, the one nearest to success is told.
func judge(d name.Digest, aliases []string, sigs []signed, keys []Key) (Key, error) {
	if len(sigs) == 0 {
		return Key{}, ErrUnsigned
	}
	var failure error
	keep := func(err error) {
		if failure == nil || nearness(err) > nearness(failure) {
			failure = err
		}
	}
	for _, s := range sigs {
		if u, ok := s.(unreadable); ok {
			keep(fmt.Errorf("%w (%s)", ErrUnreadable, string(u)))
			continue
		}
		keep(ErrOtherKey)
		for _, k := range keys {
			if !s.by(k) {
				continue
			}
			err := s.names(d, aliases)
			if err == nil {
				return k, nil
			}
			keep(err)
		}
	}
	return Key{}, failure
}

// nearness ranks a failure by how near to success it came: signed by a
// required key beats signed by another, which beats unreadable.
func nearness(err error) int {
	switch {
	case errors.Is(err, ErrOtherDigest):
		return 3
	case errors.Is(err, ErrOtherRepository), errors.Is(err, ErrNotASignature):
		return 2
	case errors.Is(err, ErrOtherKey):
		return 1
	}
	return 0
}

// claims checks that a signed payload names the image at d, in its
// repository or one of aliases.
func claims(body []byte, d name.Digest, aliases []string) error {
	var sci payload.SimpleContainerImage
	if err := json.Unmarshal(body, &sci); err != nil || sci.Critical.Type != payload.CosignSignatureType {
		return fmt.Errorf("%w (not a cosign image signature)", ErrOtherDigest)
	}
	if got := sci.Critical.Image.DockerManifestDigest; got != d.DigestStr() {
		return fmt.Errorf("%w (%s)", ErrOtherDigest, got)
	}
	claimed := sci.Critical.Identity.DockerReference
	ref, err := name.ParseReference(claimed)
	if err != nil || ref.Context().Name() != d.Context().Name() && !slices.Contains(aliases, ref.Context().Name()) {
		return fmt.Errorf("%w (%s)", ErrOtherRepository, claimed)
	}
	return nil
}

// sigLayer is one signature: its payload and the signature of it.
type sigLayer struct {
	payload   []byte
	signature []byte
}

// by reports whether l's signature is k's of l's payload.
func (l sigLayer) by(k Key) bool {
	return k.verifier != nil && k.verifier.VerifySignature(bytes.NewReader(l.signature), bytes.NewReader(l.payload)) == nil
}

// names checks that l's payload names the image at d.
func (l sigLayer) names(d name.Digest, aliases []string) error {
	return claims(l.payload, d, aliases)
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
