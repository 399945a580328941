package acquire

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/tbx-dev/tbx/toolbox/internal/environ"
	"github.com/tbx-dev/tbx/toolbox/internal/imagesig"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// signingKey is the key that signs what is pushed, read once; nil when
// none is set.
func (g *guard) signingKey() (*imagesig.SigningKey, error) {
	g.signOnce.Do(func() {
		if g.signKeyPath == "" {
			return
		}
		password, _ := environ.Lookup(g.environ, "COSIGN_PASSWORD")
		k, err := imagesig.LoadSigningKey(g.signKeyPath, []byte(password))
		if err != nil {
			g.signErr = fmt.Errorf("signing key: %w", err)
			return
		}
		g.signKey = &k
	})
	return g.signKey, g.signErr
}

// checkSigning refuses, before anything is pushed, a signing key that is
// none of a tool's signers: machines would refuse what it signs.
func (g *guard) checkSigning(tools []*recipe.Tool) error {
	key, err := g.signingKey()
	if err != nil || key == nil {
		return err
	}
	for _, t := range tools {
		keys, err := g.keys(t)
		if err != nil {
			return err
		}
		if len(keys) > 0 && !slices.ContainsFunc(keys, func(k imagesig.Key) bool { return k.Fingerprint == key.Public.Fingerprint }) {
			return fmt.Errorf("tool %s: the signing key %s is not one of its signers (%s): the team's machines would refuse what it signs", t.Name, key.Path, g.names(t))
		}
	}
	return nil
}

// sign signs the image pushed as repository@digest with the signing key,
// if one is set, as `cosign sign --key` does; a tool that requires a
// signature and gets none is warned of.
func (g *guard) sign(ctx context.Context, t *recipe.Tool, digested string) error {
	key, err := g.signingKey()
	if err != nil {
		return err
	}
	if key == nil {
		if len(t.Signers) > 0 {
			g.out.Printf("warning: %s: pushed unsigned, and the recipe requires a signature by %s: machines will refuse it until it is signed; %s", t.Name, g.names(t), g.howToSign(t, digested))
		}
		return nil
	}
	d, err := name.NewDigest(normalizedRef(digested))
	if err != nil {
		return fmt.Errorf("tool %s: %w", t.Name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, signatureTimeout)
	defer cancel()
	added, err := imagesig.Sign(ctx, d, *key, g.remote()...)
	if err != nil {
		return fmt.Errorf("tool %s: signing %s: %w", t.Name, digested, err)
	}
	g.verdicts.recordSigned(d.String(), key.Public.Fingerprint)
	if added {
		g.out.Printf("%s: signed %s with %s", t.Name, d.DigestStr(), key.Path)
	}
	return nil
}

// fingerprints are the fingerprints of t's signers, for the lock.
func (g *guard) fingerprints(t *recipe.Tool) ([]string, error) {
	keys, err := g.keys(t)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, k := range keys {
		out = append(out, k.Fingerprint)
	}
	return out, nil
}

// signersProblem says how the lock's signers of st's tool differ from the
// recipe's; "" when they agree.
func (g *guard) signersProblem(st Status) string {
	if st.Lock != Locked {
		return ""
	}
	want, err := g.fingerprints(st.Tool)
	if err != nil {
		return err.Error()
	}
	if slices.Equal(want, st.Pinned.Signers) {
		return ""
	}
	return fmt.Sprintf("tool %s: its signers changed since `tbx lock` (locked [%s], recipe [%s])", st.Tool.Name, strings.Join(st.Pinned.Signers, ", "), strings.Join(want, ", "))
}

// signPublished signs, with the signing key when one is set, an image
// `tbx lock` found already pushed to the team registry; one signed by
// that key already is left as it is.
func (g *guard) signPublished(ctx context.Context, st Status, digest string) error {
	if key, err := g.signingKey(); err != nil || key == nil {
		return err
	}
	return g.sign(ctx, st.Tool, g.repository(st.Tool)+"@"+digest)
}

// howToSign says how to sign t's image at digested: with a key, tbx signs
// it; keyless, cosign does, as the identity the recipe names.
func (g *guard) howToSign(t *recipe.Tool, digested string) string {
	keys, err := g.keys(t)
	if err == nil && !slices.ContainsFunc(keys, func(k imagesig.Key) bool { return k.Identity == (imagesig.Identity{}) }) {
		return "sign it keyless as that identity: cosign sign " + digested
	}
	return "push with --sign-key FILE (or TBX_SIGN_KEY)"
}
