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
func (m guard) signingKey() (*imagesig.SigningKey, error) {
	m.signOnce.Do(func() {
		if m.SignKey == "" {
			return
		}
		password, _ := environ.Lookup(m.Environ, "COSIGN_PASSWORD")
		k, err := imagesig.LoadSigningKey(m.SignKey, []byte(password))
		if err != nil {
			m.signErr = fmt.Errorf("signing key: %w", err)
			return
		}
		m.signKey = &k
	})
	return m.signKey, m.signErr
}

// checkSigning refuses, before anything is pushed, a signing key that is
// none of a tool's signers: machines would refuse what it signs.
func (m guard) checkSigning(tools []*recipe.Tool) error {
	key, err := m.guard().signingKey()
	if err != nil || key == nil {
		return err
	}
	for _, t := range tools {
		keys, err := m.guard().keys(t)
		if err != nil {
			return err
		}
		if len(keys) > 0 && !slices.ContainsFunc(keys, func(k imagesig.Key) bool { return k.Fingerprint == key.Public.Fingerprint }) {
			return fmt.Errorf("tool %s: the signing key %s is not one of its signers (%s): the team's machines would refuse what it signs", t.Name, key.Path, m.guard().names(t))
		}
	}
	return nil
}

// sign signs the image pushed as repository@digest with the signing key,
// if one is set, as `cosign sign --key` does; a tool that requires a
// signature and gets none is warned of.
func (m guard) sign(ctx context.Context, t *recipe.Tool, digested string) error {
	key, err := m.guard().signingKey()
	if err != nil {
		return err
	}
	if key == nil {
		if len(t.Signers) > 0 {
			m.Out.Printf("warning: %s: pushed unsigned, and the recipe requires a signature by %s: machines will refuse it until it is signed; %s", t.Name, m.guard().names(t), m.guard().howToSign(t, digested))
		}
		return nil
	}
	d, err := name.NewDigest(normalizedRef(digested))
	if err != nil {
		return fmt.Errorf("tool %s: %w", t.Name, err)
	}
	ctx, cancel := context.WithTimeout(ctx, signatureTimeout)
	defer cancel()
	added, err := imagesig.Sign(ctx, d, *key, m.guard().remote()...)
	if err != nil {
		return fmt.Errorf("tool %s: signing %s: %w", t.Name, digested, err)
	}
	m.verdicts().recordSigned(d.String(), key.Public.Fingerprint)
	if added {
		m.Out.Printf("%s: signed %s with %s", t.Name, d.DigestStr(), key.Path)
	}
	return nil
}

// fingerprints are the fingerprints of t's signers, for the lock.
func (m guard) fingerprints(t *recipe.Tool) ([]string, error) {
	keys, err := m.guard().keys(t)
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
func (m guard) signersProblem(st Status) string {
	if st.Lock != Locked {
		return ""
	}
	want, err := m.guard().fingerprints(st.Tool)
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
func (m guard) signPublished(ctx context.Context, st Status, digest string) error {
	if key, err := m.guard().signingKey(); err != nil || key == nil {
		return err
	}
	return m.guard().sign(ctx, st.Tool, m.guard().repository(st.Tool)+"@"+digest)
}

// howToSign says how to sign t's image at digested: with a key, tbx signs
// it; keyless, cosign does, as the identity the recipe names.
func (m guard) howToSign(t *recipe.Tool, digested string) string {
	keys, err := m.guard().keys(t)
	if err == nil && !slices.ContainsFunc(keys, func(k imagesig.Key) bool { return k.Identity == (imagesig.Identity{}) }) {
		return "sign it keyless as that identity: cosign sign " + digested
	}
	return "push with --sign-key FILE (or TBX_SIGN_KEY)"
}
