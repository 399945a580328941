// Package reach lists what a recipe may reach on the host beyond its own
// project directory: host paths, the Engine, root, the host network, the
// caller's environment and SSH agent, build secrets and images from outside
// the team registry. It is what a user reads before trusting a recipe.
package reach

import (
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"

	"github.com/distribution/reference"

	"github.com/tbx-dev/tbx/toolbox/internal/hostargs"
	"github.com/tbx-dev/tbx/toolbox/internal/imagesig"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
)

// Item is one thing a tool may reach.
type Item struct {
	Kind string // "host path", "engine", "user", ...
	What string
}

// Tool is what one tool may reach.
type Tool struct {
	Name  string
	Items []Item
}

// Of lists, tool by tool in the recipe's order, what r may reach; registry
// is the team registry in effect ("" for none).
func Of(r *recipe.Recipe, registry, engineSocket string) []Tool {
	out := make([]Tool, 0, len(r.Tools))
	for _, t := range r.Tools {
		out = append(out, Tool{Name: t.Name, Items: ofTool(r.Dir, t, registry, engineSocket)})
	}
	return out
}

func ofTool(root string, t *recipe.Tool, registry, engineSocket string) []Item {
	items := ofHostPaths(root, t.Run)
	items = append(items, ofRun(t.Run, engineSocket)...)
	return append(items, ofSource(root, t, registry)...)
}

// ofHostPaths lists the host paths a tool mounts from outside the project.
func ofHostPaths(root string, run recipe.Run) []Item {
	var items []Item
	for _, v := range run.Volumes {
		if what, ok := hostVolume(root, v); ok {
			items = append(items, Item{"host path", what})
		}
	}
	for _, h := range run.Home {
		mode := "read-only"
		if h.RW {
			mode = "read-write"
		}
		items = append(items, Item{"host path", fmt.Sprintf("your %s at ~/%s in its HOME, %s", h.Src, h.Rel, mode)})
	}
	if run.CABundle == "" {
		return items
	}
	if e := escapes(root, run.CABundle); e != "" {
		items = append(items, Item{"host path", run.CABundle + " at the CA bundle, read-only" + e})
	}
	return items
}

// ofRun lists the Engine, user, network, environment and agent a tool's
// containers reach.
func ofRun(run recipe.Run, engineSocket string) []Item {
	var items []Item
	add := func(kind, what string) { items = append(items, Item{kind, what}) }
	if recipe.Flag(run.Docker, false) {
		add("engine", "the Docker Engine's socket "+orDefault(engineSocket, "(the Engine is not on a local socket)")+": root on this host")
	}
	switch run.User {
	case "root":
		add("user", "root: may read and write every file of the mounted host paths")
	case "image":
		add("user", "the image's own user, not you")
	}
	switch n := run.Network; {
	case n == "host":
		add("network", "host: every port and service of this host")
	case n != "" && n != "bridge" && n != "default":
		add("network", n)
	}
	if env := envRules(run.Env); env != "" {
		add("env", env+" (your values of these)")
	}
	mode := "read-only"
	if run.HostPathMode() == hostargs.Write {
		mode = "read-write, with the directory of an output they name"
	}
	if run.HostPathMode() != hostargs.Off {
		add("host path", "what a run's arguments name outside the project, "+mode+", for that run only")
	}
	if len(run.PathEnv) > 0 {
		add("host path", "what your "+strings.Join(run.PathEnv, ", ")+" name outside the project, "+mode+", for that run only")
	}
	if recipe.Flag(run.SSHAgent, false) {
		add("ssh agent", "your SSH agent: it can sign with your keys")
	}
	return items
}

// ofSource lists what building or pulling the tool reaches.
func ofSource(root string, t *recipe.Tool, registry string) []Item {
	var items []Item
	if t.Image != "" && !fromRegistry(t.Image, registry) {
		items = append(items, Item{"image", normalized(t.Image) + ", from outside the team registry"})
	}
	if t.Build == "" {
		return items
	}
	if e := escapes(root, t.Build); e != "" {
		items = append(items, Item{"build", "context " + t.Build + e})
	}
	for _, s := range t.Secrets {
		from := "your variable " + s.Env
		if s.Src != "" {
			from = "your file " + s.Src
		}
		items = append(items, Item{"build secret", s.ID + " from " + from})
	}
	if t.SSH && len(t.SSHKeys) == 0 {
		items = append(items, Item{"build ssh", "your SSH agent, during the build"})
	}
	if slices.Contains(t.Entitlements, recipe.EntitlementHostNetwork) {
		items = append(items, Item{"build network", "this host's network and its services, for the build's RUN --network=host steps"})
	}
	for _, k := range t.SSHKeys {
		what := "id " + k.ID + ": your SSH agent, during the build"
		if k.Key != "" {
			what = "id " + k.ID + ": your key file " + k.Key + ", during the build"
		}
		items = append(items, Item{"build ssh", what})
	}
	return items
}

// hostVolume describes a bind mount of a host path outside the project, or
// one inside it that a symlink leads out of; named volumes reach nothing.
func hostVolume(root, spec string) (string, bool) {
	parts := strings.Split(spec, ":")
	if !filepath.IsAbs(parts[0]) {
		return "", false
	}
	e := escapes(root, parts[0])
	if e == "" {
		return "", false
	}
	mode := "read-write"
	if len(parts) == 3 && parts[2] == "ro" {
		mode = "read-only"
	}
	return fmt.Sprintf("%s at %s, %s%s", parts[0], parts[1], mode, e), true
}

// escapes says how path leads outside root, or "" when it stays inside.
func escapes(root, path string) string {
	if !recipe.Within(root, path) {
		return " (outside the project)"
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return ""
	}
	if realRoot, err := filepath.EvalSymlinks(root); err == nil && !recipe.Within(realRoot, real) {
		return " (a symlink leads outside the project, to " + real + ")"
	}
	return ""
}

// envRules lists the variables the tool takes from the caller; NAME=value
// entries are the recipe's own and reach nothing.
func envRules(env []string) string {
	var names []string
	for _, e := range env {
		if !strings.Contains(e, "=") {
			names = append(names, e)
		}
	}
	return strings.Join(names, ", ")
}

// fromRegistry reports whether image is pulled from the team registry.
func fromRegistry(image, registry string) bool {
	if registry == "" {
		return false
	}
	ref, err := reference.ParseNormalizedNamed(image)
	return err == nil && strings.HasPrefix(ref.Name()+"/", strings.TrimSuffix(registry, "/")+"/")
}

// normalized spells out where an image comes from: alpine is
// docker.io/library/alpine.
func normalized(image string) string {
	if ref, err := reference.ParseNormalizedNamed(image); err == nil {
		return ref.String()
	}
	return image
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// WithImageUsers says, in the summary, who each tool that runs as its
// image's own user runs as, by tool name, where the image is known; root
// is said to be root.
func WithImageUsers(tools []Tool, users map[string]string) {
	for i := range tools {
		u, ok := users[tools[i].Name]
		if !ok {
			continue
		}
		for j, it := range tools[i].Items {
			if it.Kind != "user" {
				continue
			}
			what := "the image's own user, not you: " + u + " in the image on this Engine"
			if strings.HasPrefix(u, "root") {
				what += "; may read and write every file of the mounted host paths"
			}
			tools[i].Items[j].What = what
		}
	}
}

// Write prints the summary of what r may reach, for a user deciding to
// trust it.
func Write(w io.Writer, r *recipe.Recipe, tools []Tool) {
	fmt.Fprintf(w, "%s (project %q) lets its tools:\n", r.Path, r.Name)
	fmt.Fprintf(w, "  - read and write the project directory %s, as you unless a tool says otherwise\n", r.Dir)
	fmt.Fprintf(w, "  - take your proxy variables (unless proxy = false) and keep a HOME of their own in tbx's state directory\n")
	for _, t := range tools {
		if len(t.Items) == 0 {
			fmt.Fprintf(w, "tool %s: nothing more\n", t.Name)
			continue
		}
		fmt.Fprintf(w, "tool %s may also reach:\n", t.Name)
		for _, it := range t.Items {
			fmt.Fprintf(w, "  %-13s %s\n", it.Kind, it.What)
		}
	}
	writeSigners(w, r)
	if len(r.Mirrors) > 0 {
		fmt.Fprintf(w, "mirrors: the team registry %s's images (and their signatures) may also be taken from %s\n", r.Registry, strings.Join(r.Mirrors, ", "))
	}
}

// writeSigners says which key (or keyless identity) signs which tools,
// and which tools run without a signature check, when the recipe names
// signers at all.
func writeSigners(w io.Writer, r *recipe.Recipe) {
	type signer struct {
		file string
		by   recipe.Identity
	}
	var signers []signer
	tools := map[signer][]string{}
	var unsigned []string
	for _, t := range r.Tools {
		if len(t.Signers) == 0 {
			unsigned = append(unsigned, t.Name)
		}
		for _, k := range t.Signers {
			s := signer{k, t.SignedBy}
			if tools[s] == nil {
				signers = append(signers, s)
			}
			tools[s] = append(tools[s], t.Name)
		}
	}
	if len(signers) == 0 {
		return
	}
	fmt.Fprintln(w, "signatures: a tool's image runs only once verified as signed by one of its keys:")
	for _, s := range signers {
		name := s.file
		if rel, err := filepath.Rel(r.Dir, s.file); err == nil {
			name = rel
		}
		fmt.Fprintf(w, "  %s signs %s\n", describeSigner(name, s.file, imagesig.Identity(s.by)), strings.Join(tools[s], ", "))
	}
	if len(unsigned) > 0 {
		fmt.Fprintf(w, "  no signature is required of %s\n", strings.Join(unsigned, ", "))
	}
}

// describeSigner names the signer in file (shown as name) as toolbox.lock
// does, saying who signs keyless under a trusted root, or why it cannot be
// read.
func describeSigner(name, file string, by imagesig.Identity) string {
	k, err := imagesig.LoadSigner(file, by)
	switch {
	case err != nil:
		return fmt.Sprintf("%s (unreadable: %v)", name, err)
	case k.Identity != (imagesig.Identity{}):
		return fmt.Sprintf("%q keyless, as issued by %s under the trusted root %s (%s),", k.Identity.Subject, k.Identity.Issuer, name, k.Fingerprint)
	}
	return fmt.Sprintf("%s (%s)", name, k.Fingerprint)
}

// Count is how many items all tools reach.
func Count(tools []Tool) int {
	n := 0
	for _, t := range tools {
		n += len(t.Items)
	}
	return n
}

// HostPaths lists every host path r names, absolute and as written after
// ~ and the project directory are applied: host volumes, CA bundles, secret
// files, SSH key files, build contexts and Dockerfiles. Trust records where
// each leads.
func HostPaths(r *recipe.Recipe) []string {
	seen := map[string]bool{}
	var out []string
	add := func(p string) {
		if p != "" && !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, t := range r.Tools {
		for _, v := range t.Run.Volumes {
			if src, _, _ := strings.Cut(v, ":"); filepath.IsAbs(src) {
				add(src)
			}
		}
		add(t.Run.CABundle)
		for _, h := range t.Run.Home {
			add(h.Src)
		}
		for _, s := range t.Secrets {
			add(s.Src)
		}
		for _, k := range t.SSHKeys {
			add(k.Key)
		}
		for _, k := range t.Signers {
			add(k)
		}
		if t.Build != "" {
			add(t.Build)
			add(filepath.Join(t.Build, t.Dockerfile))
		}
	}
	return out
}
