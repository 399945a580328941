package recipe

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/distribution/reference"
	units "github.com/docker/go-units"
)

var (
	// A project or tool name becomes a component of an image name.
	namePattern    = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)
	commandPattern = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.+-]*$`)
	envName        = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// A glob starts with a name prefix: `*` alone would pass every secret.
	envGlob = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*[*?][A-Za-z0-9_*?]*$`)
)

// build turns the type-checked document into a validated Recipe.
func (p *parser) build() (*Recipe, error) {
	r := &Recipe{Dir: p.dir}
	var err error
	if r.Name, err = p.projectName(); err != nil {
		return nil, err
	}
	if r.Registry = p.str([]string{"toolbox"}, "registry"); r.Registry != "" {
		if err := CheckRegistry(r.Registry); err != nil {
			return nil, p.errAt([]string{"toolbox", "registry"}, "%v", err)
		}
	}
	if r.Mirrors, err = p.mirrors(r.Registry); err != nil {
		return nil, err
	}
	if r.Signers, r.SignedBy, err = p.signers([]string{"toolbox"}); err != nil {
		return nil, err
	}
	if r.Defaults, err = p.run([]string{"defaults"}); err != nil {
		return nil, err
	}
	tools, _ := p.values["tools"].(map[string]any)
	if len(tools) == 0 {
		return nil, p.errAt([]string{"tools"}, "no tools; add a [tools.NAME] table with image = ... or build = ...")
	}
	for _, name := range p.inFileOrder("tools", tools) {
		t, err := p.tool(name, r.Defaults)
		if err != nil {
			return nil, err
		}
		if t.Signers, t.SignedBy, err = p.toolSigners(name, t, r.Signers, r.SignedBy); err != nil {
			return nil, err
		}
		r.Tools = append(r.Tools, t)
	}
	return r, p.uniqueCommands(r)
}

// mirrors reads mirrors = ["REG2/mirror"]: registries that serve copies
// of the team registry's, which they need beside them.
func (p *parser) mirrors(registry string) ([]string, error) {
	at := []string{"toolbox"}
	list := p.strings(at, "mirrors")
	if len(list) > 0 && registry == "" {
		return nil, p.errAt(keyPath(at, "mirrors"), "mirrors serve copies of the team registry's images: set registry too")
	}
	for _, m := range list {
		if err := CheckRegistry(m); err != nil {
			return nil, p.errAt(keyPath(at, "mirrors"), "%v", err)
		}
		if m == registry {
			return nil, p.errAt(keyPath(at, "mirrors"), "%s is the registry itself", m)
		}
	}
	return list, nil
}

// signers reads signers = ["ci/cosign.pub"]: public key files (or
// Sigstore trusted roots) inside the project, as trust covers them, and
// who signs keyless beside them.
func (p *parser) signers(at []string) ([]string, Identity, error) {
	var out []string
	for _, rel := range p.strings(at, "signers") {
		path := p.hostPath(rel)
		if !Within(p.dir, path) {
			return nil, Identity{}, p.errAt(keyPath(at, "signers"), "%s is outside the project: keep the team's public keys in its repository, where trust covers them", rel)
		}
		if fi, err := os.Stat(path); err != nil || !fi.Mode().IsRegular() {
			return nil, Identity{}, p.errAt(keyPath(at, "signers"), "no public key file at %s", path)
		}
		if real := RealPath(path); !Within(RealPath(p.dir), real) {
			return nil, Identity{}, p.errAt(keyPath(at, "signers"), "%s leads outside the project, to %s: keep the team's public keys in its repository, where trust covers them", rel, real)
		}
		out = append(out, path)
	}
	id, err := p.signedBy(at, len(out) > 0)
	return out, id, err
}

// signedBy reads certificate_identity and certificate_oidc_issuer: both
// or neither, and only beside signers (whose trusted root vouches for the
// certificates they name).
func (p *parser) signedBy(at []string, signers bool) (Identity, error) {
	id := Identity{Subject: p.str(at, "certificate_identity"), Issuer: p.str(at, "certificate_oidc_issuer")}
	for _, k := range []struct{ key, other, value string }{
		{"certificate_identity", "certificate_oidc_issuer", id.Subject},
		{"certificate_oidc_issuer", "certificate_identity", id.Issuer},
	} {
		switch {
		case p.has(at, k.key) && k.value == "":
			return Identity{}, p.errAt(keyPath(at, k.key), "is empty: name the signing certificate's %s, as cosign verify --%s does", strings.ReplaceAll(k.key, "_", " "), strings.ReplaceAll(k.key, "_", "-"))
		case p.has(at, k.key) && !p.has(at, k.other):
			return Identity{}, p.errAt(keyPath(at, k.key), "needs %s beside it: a keyless signer is a certificate identity and the issuer that vouched for it", k.other)
		case p.has(at, k.key) && !signers:
			return Identity{}, p.errAt(keyPath(at, k.key), "needs signers beside it, naming the Sigstore trusted root (trusted_root.json) that issues such certificates")
		}
	}
	return id, nil
}

// toolSigners are the keys one of which must have signed t: its own
// signers when it names them (an empty list: none), else the project's for
// a built tool (published to the team registry) and none for a pulled one.
func (p *parser) toolSigners(name string, t *Tool, project []string, by Identity) ([]string, Identity, error) {
	at := []string{"tools", name}
	if p.has(at, "signers") {
		return p.signers(at)
	}
	if p.has(at, "certificate_identity") || p.has(at, "certificate_oidc_issuer") {
		return nil, Identity{}, p.errAt(keyPath(at, "certificate_identity"), "a tool names who signs it keyless only beside its own signers")
	}
	if t.Build != "" {
		return slices.Clone(project), by, nil
	}
	return nil, Identity{}, nil
}

func (p *parser) projectName() (string, error) {
	path := []string{"toolbox", "name"}
	name, _ := p.value(path[:1], "name").(string)
	switch {
	case !p.has(path[:1], "name"):
		return "", p.errAt(path, `missing; add [toolbox] with name = "your-team"`)
	case !namePattern.MatchString(name):
		return "", p.errAt(path, "%q is not a valid name: use lowercase letters, digits and . _ - between them", name)
	}
	return name, nil
}

func (p *parser) tool(name string, defaults Run) (*Tool, error) {
	at := []string{"tools", name}
	if !namePattern.MatchString(name) {
		return nil, p.errAt(at, "%q is not a valid tool name: use lowercase letters, digits and . _ - between them", name)
	}
	t := &Tool{Name: name, Commands: []string{name}}
	t.Description = p.str(at, "description")
	t.Version = p.str(at, "version")
	if err := p.source(at, t); err != nil {
		return nil, err
	}
	if err := p.commands(at, t); err != nil {
		return nil, err
	}
	run, err := p.run(at)
	if err != nil {
		return nil, err
	}
	t.Run = merge(defaults, run)
	for _, name := range t.Run.PathEnv {
		if !slices.Contains(t.Run.Env, name) {
			t.Run.Env = append(t.Run.Env, name) // a path variable reaches the tool, with what it names
		}
	}
	if len(t.Run.Home) > 0 && t.Run.User == "image" {
		return nil, p.errAt(keyPath(at, p.keyOr(at, "home", "user")), "home shares entries of your HOME with the tool's own HOME, which a tool with user = \"image\" does not have: mount them with volumes, or drop user")
	}
	if t.Version == "" {
		t.Version = deriveVersion(t)
	}
	return t, nil
}

// source reads image, or build with its dockerfile, target and args.
func (p *parser) source(at []string, t *Tool) error {
	hasImage, hasBuild := p.has(at, "image"), p.has(at, "build")
	switch {
	case hasImage && hasBuild:
		return p.errAt(keyPath(at, "build"), "a tool has either image or build, not both")
	case !hasImage && !hasBuild:
		return p.errAt(at, `needs image = "REFERENCE" (to pull) or build = "DIR" (a build context)`)
	case hasImage:
		return p.image(at, t)
	}
	return p.buildContext(at, t)
}

func (p *parser) image(at []string, t *Tool) error {
	for _, k := range []string{"dockerfile", "target", "args", "secrets", "ssh", "entitlements"} {
		if p.has(at, k) {
			return p.errAt(keyPath(at, k), "only applies to a tool with build; this one has image")
		}
	}
	t.Image = p.str(at, "image")
	if _, err := reference.ParseNormalizedNamed(t.Image); err != nil {
		return p.errAt(keyPath(at, "image"), "%q is not a valid image reference: %v", t.Image, err)
	}
	return nil
}

func (p *parser) buildContext(at []string, t *Tool) error {
	rel := p.str(at, "build")
	t.Build = p.hostPath(rel)
	// A context or Dockerfile that is not there (a tool added before its
	// files) breaks that tool alone: contenthash says so, and the recipe's
	// other tools build and run.
	t.Dockerfile = p.str(at, "dockerfile")
	if t.Dockerfile == "" {
		t.Dockerfile = "Dockerfile"
	}
	df := filepath.Join(t.Build, t.Dockerfile)
	if !Within(t.Build, df) {
		return p.errAt(keyPath(at, "dockerfile"), "%s is outside the build context %s", t.Dockerfile, rel)
	}
	t.Target = p.str(at, "target")
	t.Args = map[string]string{}
	args, _ := p.value(at, "args").(map[string]any)
	for k, v := range args {
		if !envName.MatchString(k) {
			return p.errAt(append(keyPath(at, "args"), k), "not a valid build arg name")
		}
		t.Args[k] = v.(string)
	}
	if err := p.ssh(at, t); err != nil {
		return err
	}
	if err := p.entitlements(at, t); err != nil {
		return err
	}
	return p.secrets(at, t)
}

// EntitlementHostNetwork lets the build's RUN --network=host steps share
// the host's network, as `docker buildx build --allow network.host`.
const EntitlementHostNetwork = "network.host"

// entitlements reads entitlements = ["network.host"]: what the build may
// do beyond its sandbox.
func (p *parser) entitlements(at []string, t *Tool) error {
	for _, e := range p.strings(at, "entitlements") {
		if e != EntitlementHostNetwork {
			return p.errAt(keyPath(at, "entitlements"), "%q is not an entitlement tbx grants; the one there is: %q (RUN --network=host)", e, EntitlementHostNetwork)
		}
		if !slices.Contains(t.Entitlements, e) {
			t.Entitlements = append(t.Entitlements, e)
		}
	}
	return nil
}

var secretID = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// ssh reads ssh = true, or ssh = ["default", "github=~/.ssh/github_key"]:
// ids served by the caller's agent, or by a key file, as docker build --ssh.
func (p *parser) ssh(at []string, t *Tool) error {
	key := keyPath(at, "ssh")
	switch v := p.value(at, "ssh").(type) {
	case bool:
		t.SSH = v
		return nil
	case nil:
		return nil
	}
	seen := map[string]bool{}
	for _, spec := range p.strings(at, "ssh") {
		id, file, hasFile := strings.Cut(spec, "=")
		switch {
		case !secretID.MatchString(id):
			return p.errAt(key, "%q: write ID (served by your agent) or ID=KEYFILE, ID of letters, digits, . _ -", spec)
		case hasFile && file == "":
			return p.errAt(key, "%q: the key file is empty; write ID=KEYFILE", spec)
		case seen[id]:
			return p.errAt(key, "ssh id %q is listed twice", id)
		}
		seen[id] = true
		k := SSHKey{ID: id}
		if hasFile {
			k.Key = p.hostPath(file)
		}
		t.SSHKeys = append(t.SSHKeys, k)
	}
	t.SSH = len(t.SSHKeys) > 0
	return nil
}

// secrets reads `id=ID,env=NAME` and `id=ID,src=PATH` entries.
func (p *parser) secrets(at []string, t *Tool) error {
	key := keyPath(at, "secrets")
	seen := map[string]bool{}
	for _, spec := range p.strings(at, "secrets") {
		s, err := p.secret(spec)
		if err != nil {
			return p.errAt(key, "%q: %v", spec, err)
		}
		if seen[s.ID] {
			return p.errAt(key, "secret id %q is listed twice", s.ID)
		}
		seen[s.ID] = true
		t.Secrets = append(t.Secrets, s)
	}
	return nil
}

func (p *parser) secret(spec string) (Secret, error) {
	var s Secret
	for _, field := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(field), "=")
		switch {
		case !ok || v == "":
			return s, fmt.Errorf("%q is not KEY=VALUE; write id=ID,env=NAME or id=ID,src=PATH", field)
		case k == "id":
			s.ID = v
		case k == "env":
			s.Env = v
		case k == "src":
			s.Src = p.hostPath(v)
		default:
			return s, fmt.Errorf("unknown field %q; a secret has id, and env or src", k)
		}
	}
	switch {
	case !secretID.MatchString(s.ID):
		return s, fmt.Errorf("needs id=ID (letters, digits, . _ -)")
	case (s.Env == "") == (s.Src == ""):
		return s, fmt.Errorf("needs exactly one of env=NAME and src=PATH")
	case s.Env != "" && !envName.MatchString(s.Env):
		return s, fmt.Errorf("env=%s is not a variable name", s.Env)
	}
	return s, nil
}

func (p *parser) commands(at []string, t *Tool) error {
	list, set := p.value(at, "commands").([]any)
	if !set {
		return nil
	}
	t.Commands = nil
	seen := map[string]bool{}
	for _, v := range list {
		c := v.(string)
		if !commandPattern.MatchString(c) {
			return p.errAt(keyPath(at, "commands"), "%q is not a valid command name", c)
		}
		if seen[c] {
			return p.errAt(keyPath(at, "commands"), "%q is listed twice", c)
		}
		seen[c] = true
		t.Commands = append(t.Commands, c)
	}
	return nil
}

// uniqueCommands rejects a command that two tools provide.
func (p *parser) uniqueCommands(r *Recipe) error {
	owner := map[string]*Tool{}
	for _, t := range r.Tools {
		for _, c := range t.Commands {
			if o, dup := owner[c]; dup {
				return p.errAt(keyPath([]string{"tools", t.Name}, p.keyOr([]string{"tools", t.Name}, "commands", "image")),
					"command %q is also provided by tool %q; a command belongs to one tool", c, o.Name)
			}
			owner[c] = t
		}
	}
	return nil
}

// deriveVersion shows a built tool's *VERSION build arg, or a pulled tool's
// tag or digest.
func deriveVersion(t *Tool) string {
	if t.Image != "" {
		if i := strings.LastIndex(t.Image, "@"); i >= 0 {
			return t.Image[i+1:]
		}
		if i := strings.LastIndex(t.Image, ":"); i > strings.LastIndex(t.Image, "/") {
			return t.Image[i+1:]
		}
		return "latest"
	}
	keys := make([]string, 0, len(t.Args))
	for k := range t.Args {
		if strings.HasSuffix(strings.ToUpper(k), "VERSION") {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	if len(keys) > 0 {
		return t.Args[keys[0]]
	}
	return ""
}

// size parses a memory size: bytes as an integer, or "512m", "2g".
func size(v any) (int64, error) {
	switch v := v.(type) {
	case int64:
		return v, nil
	case string:
		return units.RAMInBytes(v)
	}
	return 0, fmt.Errorf("not a size")
}
