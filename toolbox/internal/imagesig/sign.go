package imagesig

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/sigstore/sigstore/pkg/signature/options"
	"github.com/sigstore/sigstore/pkg/signature/payload"
)

// What cosign names the parts of a signature.
const (
	// PayloadMediaType is a signature layer's: the simple-signing payload.
	PayloadMediaType types.MediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	// SignatureAnnotation holds, on a layer, the base64 signature of its payload.
	SignatureAnnotation = "dev.cosignproject.cosign/signature"
)

// SignatureTag is where cosign keeps the signatures of the image at d:
// its repository, tag sha256-HEX.sig.
func SignatureTag(d name.Digest) (name.Tag, error) {
	h, err := v1.NewHash(d.DigestStr())
	if err != nil {
		return name.Tag{}, fmt.Errorf("%s: %w", d, err)
	}
	return d.Context().Tag(fmt.Sprintf("%s-%s.sig", h.Algorithm, h.Hex)), nil
}

// Sign signs the image at d with key and adds the signature to those the
// registry keeps for it, as `cosign sign --key` does (no transparency log).
// A signature of the same payload by the same key already there is kept
// as it is; added says whether one was added.
func Sign(ctx context.Context, d name.Digest, key SigningKey, opts ...remote.Option) (added bool, err error) {
	body, err := payload.Cosign{Image: d}.MarshalJSON()
	if err != nil {
		return false, err
	}
	tag, err := SignatureTag(d)
	if err != nil {
		return false, err
	}
	opts = append(opts, remote.WithContext(ctx))
	base, err := signatures(tag, opts)
	if err != nil {
		return false, err
	}
	if signedBy(base, body, key.Public) {
		return false, nil
	}
	sig, err := key.signer.SignMessage(bytes.NewReader(body), options.WithContext(ctx))
	if err != nil {
		return false, fmt.Errorf("signing %s with %s: %w", d, key.Path, err)
	}
	img, err := mutate.Append(base, mutate.Addendum{
		Layer:       static.NewLayer(body, PayloadMediaType),
		Annotations: map[string]string{SignatureAnnotation: base64.StdEncoding.EncodeToString(sig)},
	})
	if err != nil {
		return false, err
	}
	if err := remote.Write(tag, img, opts...); err != nil {
		return false, &RegistryError{Op: "storing the signature of", Ref: d.String(), Err: err}
	}
	return true, nil
}

// signatures is the image holding the signatures at tag, or an empty one
// of cosign's shape when there are none yet.
func signatures(tag name.Tag, opts []remote.Option) (v1.Image, error) {
	img, err := remote.Image(tag, opts...)
	if err == nil {
		return img, nil
	}
	if !notFound(err) {
		return nil, &RegistryError{Op: "reading the signatures of", Ref: tag.String(), Err: err}
	}
	return mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON), nil
}

// signedBy reports whether img already holds a signature of body by key.
func signedBy(img v1.Image, body []byte, key Key) bool {
	layers, err := readLayers(img)
	if err != nil {
		return false
	}
	for _, l := range layers {
		if bytes.Equal(l.payload, body) && l.by(key) {
			return true
		}
	}
	return false
}

// notFound reports whether err is the registry saying it has no such
// manifest (or repository).
func notFound(err error) bool {
	var te *transport.Error
	return errors.As(err, &te) && te.StatusCode == http.StatusNotFound
}
