package acquire

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/distribution/reference"
	"github.com/docker/docker/pkg/stringid"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/tbx-dev/tbx/toolbox/internal/imagesig"
	"github.com/tbx-dev/tbx/toolbox/internal/progress"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// The guard applies the recipe's signature policy: a tool with signers
// runs only an image whose registry digest one of its keys signed,
// verified before the image is pulled (or, for one found on the Engine,
// before its first run here) and remembered by digest and key.

// signatureTimeout bounds the registry calls of one verification.
const signatureTimeout = 2 * time.Minute

// verdicts are the verdicts remembered in the user's cache.
func (m *Manager) verdicts() verdicts {
	if m.CacheDir == "" {
		return verdicts{}
	}
	return verdicts{facts{dir: filepath.Join(m.CacheDir, "signatures", "signed")}}
}

// builds is the record of the images this user's tbx built.
func (m *Manager) builds() builds { return builds{facts{dir: m.BuildsDir}} }

// guard is the recipe's signature policy, a component of its own: which
// keys (or keyless identities) a tool's image must be signed by; verifying
// a digest in the registry with the Docker client's credentials and
// remembering the verdict; signing what is published with the signing
// key. It holds its keys and the signing key, read once; the Manager
// hands it the rest when it is made.
type guard struct {
	recipe       *recipe.Recipe
	registry     string   // the team registry in effect, or ""
	registries   []string // the team registry and its declared mirrors, where one of them is in effect
	out          *progress.Writer
	verdicts     verdicts // what was verified, by digest and key
	dockerConfig string   // the Docker client's configuration directory, for credentials
	signKeyPath  string   // the cosign private key that signs what is published, or ""
	environ      []string // where COSIGN_PASSWORD comes from

	mu       sync.Mutex
	signers  map[string]imagesig.Key // by key file and keyless identity: read once
	signOnce sync.Once
	signKey  *imagesig.SigningKey // signKeyPath, once read
	signErr  error
}

// newGuard is m's signature policy.
func newGuard(m *Manager) *guard {
	return &guard{
		recipe: m.Recipe, registry: m.Registry, registries: teamRegistries(m.Recipe, m.Registry), out: m.Out, verdicts: m.verdicts(),
		dockerConfig: m.DockerConfig, signKeyPath: m.SignKey, environ: m.Environ, signers: map[string]imagesig.Key{},
	}
}

// keys are the public keys of t's signers (or the identity that signs
// keyless under a trusted root among them), read once per Manager.
func (g *guard) keys(t *recipe.Tool) ([]imagesig.Key, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []imagesig.Key
	id := imagesig.Identity(t.SignedBy)
	for _, path := range t.Signers {
		read := path + "\x00" + id.Subject + "\x00" + id.Issuer // a trusted root counts with who signs under it
		k, ok := g.signers[read]
		if !ok {
			var err error
			if k, err = imagesig.LoadSigner(path, id); err != nil {
				return nil, fmt.Errorf("tool %s: signers: %w", t.Name, err)
			}
			g.signers[read] = k
		}
		out = append(out, k)
	}
	return out, nil
}

// repository is where t's signed images live: the team registry's
// repository of a built tool, the recipe's of a pulled one.
func (g *guard) repository(t *recipe.Tool) string {
	ref := t.Image
	if t.Build != "" {
		ref = fmt.Sprintf("%s/%s/%s", g.registry, g.recipe.Name, t.Name)
	}
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		return named.Name()
	}
	return ref
}

// aliases are the other repositories where t's signed images are served
// when it is taken from a declared mirror of the team registry (or from
// the registry while the recipe names mirrors): a signature in cosign's
// older format names the repository it was made in.
func (g *guard) aliases(t *recipe.Tool) []string {
	if t.Build == "" {
		return nil
	}
	var out []string
	for _, reg := range g.registries {
		if reg == g.registry {
			continue
		}
		if named, err := reference.ParseNormalizedNamed(fmt.Sprintf("%s/%s/%s", reg, g.recipe.Name, t.Name)); err == nil {
			out = append(out, named.Name())
		}
	}
	return out
}

// verifyRef resolves ref (a tag or a digest) to its digest in the
// registry and verifies that digest's signature; it returns what to pull:
// repository@digest, which a tag moved since cannot change.
func (g *guard) verifyRef(ctx context.Context, t *recipe.Tool, ref string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, signatureTimeout)
	defer cancel()
	d, err := imagesig.Resolve(ctx, normalizedRef(ref), g.remote()...)
	if err != nil {
		var re *imagesig.RegistryError
		if errors.As(err, &re) {
			err = re.Err // the registry's own words, which registryError reads
		}
		return "", &registryError{op: "resolving", ref: ref, err: err}
	}
	if err := g.verify(ctx, t, d); err != nil {
		return "", err
	}
	return d.String(), nil
}

// check verifies, before its first run here, an image of t found on the
// Engine: by the digest it came from the registry with (the lock's, when
// it has that one). An image this user's tbx built needs no signature;
// one that only carries the tool's tag is refused.
func (g *guard) check(ctx context.Context, st Status) error {
	t := st.Tool
	if len(t.Signers) == 0 || st.ImageID == "" || st.BuiltHere {
		return nil
	}
	d, ok := g.digestOf(st)
	if !ok {
		return &sigRefusal{tool: t.Name, ref: st.Ref, why: g.unproven(st)}
	}
	ctx, cancel := context.WithTimeout(ctx, signatureTimeout)
	defer cancel()
	return g.verify(ctx, t, d)
}

// unproven says why an image under st's tag cannot be checked: it came
// from no digest of the tool's repository, and (for a built tool) tbx did
// not build it here; and what to do.
func (g *guard) unproven(st Status) string {
	t, id := st.Tool, stringid.TruncateID(st.ImageID)
	if t.Build != "" {
		return fmt.Sprintf("the Engine's image %s under its tag was not built by tbx here and came from no digest of %s, so nothing vouches for it; `tbx prepare %s` builds it again (or pulls what the lock pins)", id, g.repository(t), t.Name)
	}
	return fmt.Sprintf("the Engine's image %s under its tag came from no digest of %s, so its signature cannot be checked; `tbx pull %s` pulls it again, verified", id, g.repository(t), t.Name)
}

// digestOf is the repository digest st's image has in the tool's
// repository: the lock's digest when the image has it, else the first.
func (g *guard) digestOf(st Status) (name.Digest, bool) {
	repo := g.repository(st.Tool)
	found := digestsIn(st.Digests, repo)
	if len(found) == 0 {
		return name.Digest{}, false
	}
	pick := found[0]
	for _, f := range found {
		if f == st.Pinned.Digest {
			pick = f
		}
	}
	d, err := name.NewDigest(normalizedRef(repo + "@" + pick))
	return d, err == nil
}

// verify checks d against t's signers: from what was remembered, else in
// the registry, remembering what it verified.
func (g *guard) verify(ctx context.Context, t *recipe.Tool, d name.Digest) error {
	keys, err := g.keys(t)
	if err != nil {
		return err
	}
	v := g.verdicts
	for _, k := range keys {
		if v.signed(d.String(), k.Fingerprint) {
			return nil
		}
	}
	k, err := imagesig.Verify(ctx, d, keys, g.aliases(t), g.remote()...)
	if err != nil {
		return &sigRefusal{tool: t.Name, ref: d.String(), err: err, signers: g.names(t)}
	}
	v.recordSigned(d.String(), k.Fingerprint)
	g.out.Printf("%s: signature verified: %s signed %s", t.Name, g.signer(k), d.DigestStr())
	return nil
}

// remote are the registry client's options: the Docker client's
// credentials, tbx's user agent.
func (g *guard) remote() []remote.Option {
	return []remote.Option{remote.WithAuthFromKeychain(keychain{g.dockerConfig}), remote.WithUserAgent("tbx")}
}

// names are t's key files as the recipe names them; a trusted root, with
// who signs keyless under it.
func (g *guard) names(t *recipe.Tool) string {
	keys, err := g.keys(t) // read by now; else the files alone
	out := make([]string, len(t.Signers))
	for i, p := range t.Signers {
		out[i] = g.name(p)
		if err == nil {
			out[i] = g.signer(keys[i])
		}
	}
	return strings.Join(out, " or ")
}

// signer names k: its file as the recipe names it, and for a trusted
// root, who signs keyless under it.
func (g *guard) signer(k imagesig.Key) string {
	if k.Identity == (imagesig.Identity{}) {
		return g.name(k.Path)
	}
	return fmt.Sprintf("%s keyless (issuer %s, trusted root %s)", k.Identity.Subject, k.Identity.Issuer, g.name(k.Path))
}

func (g *guard) name(path string) string {
	if rel, err := filepath.Rel(g.recipe.Dir, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}

// normalizedRef spells ref with its registry, as go-containerregistry
// reads it (docker.io/library/… for the Hub's short names).
func normalizedRef(ref string) string {
	if named, err := reference.ParseNormalizedNamed(ref); err == nil {
		return named.String()
	}
	return ref
}

// sigRefusal is an image the policy refuses: one line naming the tool,
// the image by digest and why.
type sigRefusal struct {
	tool, ref string
	err       error  // from imagesig, or nil
	why       string // when err is nil
	signers   string
}

func (e *sigRefusal) Error() string {
	var re *imagesig.RegistryError
	switch {
	case e.err == nil:
		return fmt.Sprintf("tool %s: refusing %s: %s", e.tool, e.ref, e.why)
	case errors.As(e.err, &re):
		r := &registryError{op: re.Op, ref: re.Ref, err: re.Err}
		return fmt.Sprintf("tool %s: refusing %s: its signature cannot be checked (%s)%s; nothing was run", e.tool, e.ref, registryWords(re.Err), r.advice())
	}
	return fmt.Sprintf("tool %s: refusing %s: %v; the recipe requires a signature by %s", e.tool, e.ref, e.err, e.signers)
}

func (e *sigRefusal) Unwrap() error { return e.err }

// isRefusal reports whether err is the policy refusing an image.
func isRefusal(err error) bool {
	var r *sigRefusal
	return errors.As(err, &r)
}

// Signature says how st's image meets the signature policy on this
// machine, verifying it (in the registry, unless remembered) when it must
// be signed; "" for a tool that requires no signature.
func (m *Manager) Signature(ctx context.Context, st Status) (string, error) {
	t := st.Tool
	if len(t.Signers) == 0 {
		return "", nil
	}
	if p := m.g.signersProblem(st); p != "" {
		return "", errors.New(p)
	}
	if st.BuiltHere {
		return fmt.Sprintf("image %s built here by tbx: needs no signature", stringid.TruncateID(st.ImageID)), nil
	}
	if err := m.g.check(ctx, st); err != nil {
		return "", err
	}
	d, _ := m.g.digestOf(st)
	return fmt.Sprintf("%s verified as signed by %s", d.DigestStr(), m.g.names(t)), nil
}
