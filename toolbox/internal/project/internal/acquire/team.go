package acquire

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/distribution/reference"
	"github.com/docker/docker/api/types/image"
	"github.com/docker/docker/api/types/registry"
	"github.com/docker/docker/pkg/stringid"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/tbx-dev/tbx/toolbox/internal/progress"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// teamRegistries are the names of the team registry r declares: its
// registry and mirrors, when registry, the one in effect, is one of them
// (none when TBX_REGISTRY names another).
func teamRegistries(r *recipe.Recipe, registry string) []string {
	if r == nil {
		return nil
	}
	all := append([]string{r.Registry}, r.Mirrors...)
	if registry == "" || !slices.Contains(all, registry) {
		return nil
	}
	return all
}

// throughRegistry is image (repository@digest) as registry, the one in
// effect, serves it: an image the lock pins in r's team registry, or in
// one of its mirrors, is taken from the one in use.
func throughRegistry(r *recipe.Recipe, registry, image string) string {
	for _, reg := range teamRegistries(r, registry) {
		if rest, ok := strings.CutPrefix(image, reg+"/"); ok && reg != registry {
			return registry + "/" + rest
		}
	}
	return image
}

// team is the team registry as the Engine reaches it: where a built
// tool's image lives there, pulling and pushing through the Engine with
// the Docker client's credentials, asking the registry for a digest, and
// publishing a tool's image once, signed where the policy says.
type team struct {
	engine       Engine
	recipe       *recipe.Recipe
	registry     string // the team registry in effect, or ""
	out          *progress.Writer
	fd           uintptr // the terminal's, for live progress
	mode         progress.Mode
	dockerConfig string
	guard        *guard
}

// newTeam is m's team registry.
func newTeam(m *Manager) *team {
	return &team{engine: m.Engine, recipe: m.Recipe, registry: m.Registry, out: m.Out, fd: m.Fd, mode: m.Mode, dockerConfig: m.DockerConfig, guard: m.g}
}

// teamRef is where a built tool's image lives in the team registry, by tag.
func (tm *team) teamRef(t *recipe.Tool, hash string) string {
	return fmt.Sprintf("%s/%s/%s:%s", tm.registry, tm.recipe.Name, t.Name, hash[:HashLen])
}

// teamPull is what to pull for st from the team registry: the locked digest
// when the lock pins this very build, else the content-addressed tag.
func (tm *team) teamPull(st Status) string {
	if st.Lock == Locked && st.Pinned.Digest != "" {
		return fmt.Sprintf("%s/%s/%s@%s", tm.registry, tm.recipe.Name, st.Tool.Name, st.Pinned.Digest)
	}
	return tm.teamRef(st.Tool, st.Hash)
}

// pullTeam fetches st's image from the team registry and tags it as what
// runs (st.Ref), so that a pulled image and a built one are used alike.
func (tm *team) pullTeam(ctx context.Context, st Status, mode progress.Mode) error {
	ref := tm.teamPull(st)
	if len(st.Tool.Signers) > 0 {
		var err error
		if ref, err = tm.guard.verifyRef(ctx, st.Tool, ref); err != nil {
			return err
		}
	}
	tm.out.Printf("%s: looking for %s in the team registry", st.Tool.Name, ref)
	if err := tm.pull(ctx, ref, st.Tool.Name, mode); err != nil {
		return err
	}
	if err := tm.engine.ImageTag(ctx, ref, st.Ref); err != nil {
		return fmt.Errorf("tagging %s as %s: %w", ref, st.Ref, err)
	}
	return nil
}

// pull fetches ref from its registry with the user's credentials.
func (tm *team) pull(ctx context.Context, ref, name string, mode progress.Mode) error {
	return tm.withAuth("pulling", ref, func(auth string) error {
		body, err := tm.engine.ImagePull(ctx, ref, image.PullOptions{RegistryAuth: auth})
		if err != nil {
			return err
		}
		defer body.Close()
		return progress.Pull(body, tm.out, mode, tm.fd, name)
	})
}

// inspect asks ref's registry for the manifest ref names, through the
// Engine, with the user's credentials.
func (tm *team) inspect(ctx context.Context, ref string) (registry.DistributionInspect, error) {
	var d registry.DistributionInspect
	err := tm.withAuth("resolving", ref, func(auth string) (err error) {
		d, err = tm.engine.DistributionInspect(ctx, ref, auth)
		return err
	})
	return d, err
}

// withAuth calls the registry of ref through call with the user's
// credentials for it; what fails, the credentials or the call, is a
// registryError of op.
func (tm *team) withAuth(op, ref string, call func(auth string) error) error {
	auth, err := tm.registryAuth(ref)
	if err == nil {
		err = call(auth)
	}
	if err != nil {
		return &registryError{op: op, ref: ref, err: err}
	}
	return nil
}

// push publishes ref and returns its digest.
func (tm *team) push(ctx context.Context, ref, name string) (string, error) {
	mode := tm.mode
	if mode == progress.Live {
		mode = progress.Quiet // a push's layer bars say little; its end says it all
	}
	var digest string
	err := tm.withAuth("pushing", ref, func(auth string) error {
		body, err := tm.engine.ImagePush(ctx, ref, image.PushOptions{RegistryAuth: auth})
		if err != nil {
			return err
		}
		defer body.Close()
		digest, err = progress.Push(body, tm.out, mode, tm.fd, name)
		return err
	})
	return digest, err
}

// Pushed is one image published to the team registry.
type Pushed struct {
	Tool   string
	Ref    string // registry/project/tool:hash
	Digest string
}

// pushReady publishes the built tools among sts, each of which must be
// ready, and built here or pulled from the team registry.
func (tm *team) pushReady(ctx context.Context, sts []Status) ([]Pushed, error) {
	var out []Pushed
	for _, st := range sts {
		if st.Tool.Build == "" {
			continue
		}
		switch st.State {
		case Ready:
		case Foreign:
			return out, fmt.Errorf("tool %s: refusing to push the image %s under its tag: tbx did not build it here and no registry served it; run `tbx prepare %s` to build it, then push", st.Tool.Name, stringid.TruncateID(st.ImageID), st.Tool.Name)
		default:
			return out, fmt.Errorf("tool %s is %s here: nothing to push; run `tbx prepare %s` first", st.Tool.Name, st.State, st.Tool.Name)
		}
		p, err := tm.publish(ctx, st)
		if err != nil {
			return out, err
		}
		out = append(out, p)
	}
	return out, nil
}

// publish pushes st's image, unless the team registry has it already
// under its tag (the Engine knows it by a digest there: it was pulled
// from there, or pushed before); either way it is signed when a key is set.
func (tm *team) publish(ctx context.Context, st Status) (Pushed, error) {
	ref := tm.teamRef(st.Tool, st.Hash)
	d := digestsIn(st.Digests, tm.guard.repository(st.Tool))
	if len(d) == 0 {
		return tm.pushTool(ctx, st)
	}
	tm.out.Printf("%s: the team registry has it already as %s@%s; not pushed again", st.Tool.Name, ref, d[0])
	return Pushed{Tool: st.Tool.Name, Ref: ref, Digest: d[0]}, tm.guard.signPublished(ctx, st, d[0])
}

func (tm *team) pushTool(ctx context.Context, st Status) (Pushed, error) {
	ref := tm.teamRef(st.Tool, st.Hash)
	if err := tm.engine.ImageTag(ctx, st.Ref, ref); err != nil {
		return Pushed{}, fmt.Errorf("tagging %s as %s: %w", st.Ref, ref, err)
	}
	tm.out.Printf("%s: pushing %s", st.Tool.Name, ref)
	digest, err := tm.push(ctx, ref, st.Tool.Name)
	if err != nil {
		return Pushed{}, fmt.Errorf("tool %s: %w", st.Tool.Name, err)
	}
	tm.out.Printf("%s: pushed %s@%s", st.Tool.Name, ref, digest)
	p := Pushed{Tool: st.Tool.Name, Ref: ref, Digest: digest}
	return p, tm.guard.sign(ctx, st.Tool, tm.guard.repository(st.Tool)+"@"+digest)
}

var errNoRegistry = errors.New("no team registry: set [toolbox] registry in the recipe, or TBX_REGISTRY")

// registryError is a failed pull or push, told apart by what the user can
// do about it.
type registryError struct {
	op, ref string
	err     error
}

func (e *registryError) Error() string {
	msg := registryWords(e.err)
	host := registryHost(e.ref)
	switch {
	case e.unauthorized():
		return fmt.Sprintf("%s %s: the registry %s refused access (%s)%s", e.op, e.ref, host, msg, e.advice())
	case e.unreachable():
		return fmt.Sprintf("%s %s: cannot reach the registry %s (%s)", e.op, e.ref, host, msg)
	}
	return fmt.Sprintf("%s %s: %s", e.op, e.ref, msg)
}

// advice is what to do about the failure, after a "; ", or "".
func (e *registryError) advice() string {
	if !e.unauthorized() {
		return ""
	}
	host := registryHost(e.ref)
	return fmt.Sprintf("; log in with `docker login %s` (or set credentials in DOCKER_CONFIG), then retry", host)
}

// registryWords is what the registry said, on one line: each of its
// errors' code and message (never their details, which are Go values).
func registryWords(err error) string {
	var te *transport.Error
	if !errors.As(err, &te) {
		return oneLine(err.Error())
	}
	var out []string
	for _, d := range te.Errors {
		out = append(out, fmt.Sprintf("%s: %s", d.Code, d.Message))
	}
	if len(out) == 0 {
		out = append(out, fmt.Sprintf("HTTP %d %s", te.StatusCode, http.StatusText(te.StatusCode)))
	}
	return oneLine(strings.Join(out, "; "))
}

func (e *registryError) Unwrap() error { return e.err }

func (e *registryError) notFound() bool {
	return cerrdefs.IsNotFound(e.err) || hasAny(e.err, "manifest unknown", "not found", "does not exist")
}

func (e *registryError) unauthorized() bool {
	return cerrdefs.IsUnauthorized(e.err) || cerrdefs.IsPermissionDenied(e.err) ||
		hasAny(e.err, "unauthorized", "authentication required", "no basic auth credentials", "denied")
}

func (e *registryError) unreachable() bool {
	return cerrdefs.IsUnavailable(e.err) || hasAny(e.err, "connection refused", "no such host", "i/o timeout",
		"dial tcp", "HTTP response to HTTPS client", "network is unreachable", "TLS handshake", "EOF")
}

func hasAny(err error, parts ...string) bool {
	msg := strings.ToLower(err.Error())
	for _, p := range parts {
		if strings.Contains(msg, strings.ToLower(p)) {
			return true
		}
	}
	return false
}

// asRegistryError finds the registryError in err, if there is one.
func asRegistryError(err error) (*registryError, bool) {
	var re *registryError
	ok := errors.As(err, &re)
	return re, ok
}

// registryHost is the registry part of ref, as `docker login` names it.
func registryHost(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref
	}
	return reference.Domain(named)
}
