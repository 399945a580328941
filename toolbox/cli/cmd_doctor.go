package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/docker/docker/api/types"
	"github.com/docker/docker/pkg/stringid"
	ucli "github.com/urfave/cli/v2"

	"github.com/tbx-dev/tbx/toolbox/front"
	"github.com/tbx-dev/tbx/toolbox/internal/engine"
	"github.com/tbx-dev/tbx/toolbox/internal/exit"
	"github.com/tbx-dev/tbx/toolbox/internal/project"
	"github.com/tbx-dev/tbx/toolbox/internal/recipe"
	"github.com/tbx-dev/tbx/toolbox/internal/shims"
)

// lowDisk is the free space under which doctor warns.
const lowDisk = 5 << 30

func doctorCommand(a *app) *ucli.Command {
	return &ucli.Command{
		Name:  "doctor",
		Usage: "check the Engine, the recipe and every tool, and say what to do about each problem",
		Action: func(c *ucli.Context) error {
			return act(a, c, a.seams.doctor, doctorOptions{}, func(s project.Settings, _ doctorOptions) error {
				return a.runDoctor(c.Context, s)
			})
		},
	}
}

// checkReport prints one check a line: ok, or the problem and what to do.
type checkReport struct {
	out      io.Writer
	problems int
}

func (r *checkReport) ok(format string, args ...any) {
	fmt.Fprintf(r.out, "ok    "+format+"\n", args...)
}

// note says something that works, but that the user should know.
func (r *checkReport) note(format string, args ...any) {
	fmt.Fprintf(r.out, "note  "+format+"\n", args...)
}

func (r *checkReport) fail(what, todo string) {
	r.problems++
	fmt.Fprintf(r.out, "FAIL  %s\n      → %s\n", what, todo)
}

func (a *app) runDoctor(ctx context.Context, s project.Settings) error {
	r := &checkReport{out: a.streams.Out}
	checkBinaries(r, s.Helper)
	e := a.checkEngine(ctx, r, s.UID)
	v := checkRecipe(s, r)
	if v != nil {
		checkShims(r, v)
	}
	if e != nil && v != nil {
		verify, done := signatureCheck(r, s, v, e)
		checkTools(ctx, r, v, e, verify)
		done()
	}
	if e != nil {
		checkDisk(ctx, r, e)
		closeEngine(e)
	}
	if r.problems > 0 {
		return exit.Errorf(1, "doctor found %d problem(s)", r.problems)
	}
	return nil
}

// checkBinaries checks that tbx is whole: the front next to this core,
// and a static helper for warm containers and the mount check. (A front
// of another build is refused before any command, doctor too.)
func checkBinaries(r *checkReport, helper project.Helper) {
	core, err := os.Executable()
	if err != nil {
		r.fail("tbx's own binary cannot be found: "+err.Error(), "install tbx whole (scripts/install.sh in a tbx checkout)")
		return
	}
	frontBin := front.NextTo(core)
	if _, err := os.Stat(frontBin); err != nil {
		r.fail("the front "+frontBin+" is missing next to "+core, "install tbx whole (scripts/install.sh in a tbx checkout)")
	}
	if helper.Path == "" {
		r.fail("no helper for warm tools and the mount check: "+helper.Why, "install tbx whole (scripts/install.sh in a tbx checkout)")
		return
	}
	r.ok("tbx %s: the front, the core and the helper %s (%s)", versionName(), helper.Path, helper.Why)
}

// checkShims names the recipe's commands whose shims are missing where
// the others are installed.
func checkShims(r *checkReport, v *project.View) {
	dir, err := shimDir("")
	if err != nil {
		return
	}
	if missing := shims.Missing(dir, v.Commands()); len(missing) > 0 {
		r.fail(fmt.Sprintf("commands without a shim in %s: %s (typing them runs the host's, or nothing)", dir, strings.Join(missing, ", ")), "tbx shims install")
	}
}

// versioned is an Engine that says its version: the docker client.
type versioned interface {
	ServerVersion(ctx context.Context) (types.Version, error)
}

// checkEngine gets the Engine the way every command does, and says what
// it is; nil when there is none to check the rest against.
func (a *app) checkEngine(ctx context.Context, r *checkReport, uid int) engine.Engine {
	const fix = "fix DOCKER_HOST or the docker context (`docker context ls`)"
	ep, err := engine.Locate(a.where)
	if err != nil {
		r.fail(err.Error(), fix)
		return nil
	}
	e, err := a.engine()
	if err != nil {
		r.fail(err.Error(), fix)
		return nil
	}
	vs, ok := e.(versioned)
	if !ok {
		closeEngine(e)
		r.fail("the Engine client cannot say the Engine's version", fix)
		return nil
	}
	v, err := vs.ServerVersion(ctx)
	if err != nil {
		closeEngine(e)
		r.fail(engine.Explain(err, a.engineHost).Error(), "start the Docker Engine, or point DOCKER_HOST or the docker context at one")
		return nil
	}
	name := engineName(v)
	rl, _ := engine.FindRootless(ctx, e, uid)
	if rl != nil {
		name += " (rootless, yours: tools that run as you get keep-id)"
	}
	r.ok("%s at %s, context %s (API %s, tbx speaks %s)", name, e.DaemonHost(), ep.Context, v.APIVersion, e.ClientVersion())
	if why := engine.RootlessNetwork(); rl != nil && why != nil {
		r.fail(fmt.Sprintf("the rootless Podman cannot give containers a network, because %v (its network helper opens it as you); only tools with network = \"none\" or \"host\" run", why),
			"sudo chmod 0666 /dev/net/tun (the usual mode), or set network = \"none\" for the tools that need none")
	}
	return e
}

// engineName names the Engine by what its version says it is: Podman
// answers the Docker API with a component of its own.
func engineName(v types.Version) string {
	for _, c := range v.Components {
		if strings.HasPrefix(c.Name, "Podman") {
			return "Podman " + c.Version
		}
	}
	return "Engine " + v.Version
}

func checkRecipe(s project.Settings, r *checkReport) *project.View {
	v, err := project.Inspect(s)
	switch {
	case errors.Is(err, recipe.ErrNotFound):
		r.fail(err.Error(), "start a project here with `tbx init` (see `tbx init --help` for the example recipes)")
		return nil
	case err != nil:
		r.fail(err.Error(), "fix the recipe; docs/recipe.md lists every key")
		return nil
	}
	rec := v.Recipe
	r.ok("recipe %s: project %q, %d tools", rec.Path, rec.Name, len(rec.Tools))
	if !v.Verdict.Status.OK() {
		r.fail(rec.Path+" is "+statusLine(v.Verdict), "review what it may reach with `tbx trust --show`, then run `tbx trust`")
	} else {
		r.ok("recipe trusted")
	}
	return v
}

// signatureCheck is how doctor checks a ready tool's signature: through
// the trusted project, which alone reaches a registry with the user's
// credentials; nil for an untrusted one, or one that does not open (said
// as a problem). done releases what it opened.
func signatureCheck(r *checkReport, s project.Settings, v *project.View, e engine.Engine) (verify func(context.Context, project.Status) (string, error), done func()) {
	if !v.Verdict.Status.OK() {
		return nil, func() {}
	}
	p, err := project.Open(s, e)
	if err != nil {
		r.fail("the project does not open: "+err.Error(), "fix what it names; signatures are not checked until it opens")
		return nil, func() {}
	}
	return p.Signature, p.Close
}

func checkTools(ctx context.Context, r *checkReport, v *project.View, e engine.Engine, verify func(context.Context, project.Status) (string, error)) {
	sts, err := v.Statuses(ctx, e)
	if err != nil {
		r.fail(err.Error(), "fix the tool's build context")
		return
	}
	for _, st := range sts {
		switch {
		case len(st.Missing) > 0:
			r.fail(fmt.Sprintf("tool %s: base image %s is not on the Engine", st.Tool.Name, strings.Join(st.Missing, ", ")), "run `tbx prepare` to pull it, or load it (docker load / docker import)")
		case st.State == project.Unchecked:
			r.fail(fmt.Sprintf("tool %s: its build context lies outside the project and is not read until you trust it", st.Tool.Name), "review it with `tbx trust --show`, then run `tbx trust`")
		case st.State == project.Broken:
			r.fail(fmt.Sprintf("tool %s: %v", st.Tool.Name, st.Broken), "fix its build's files; the recipe's other tools build and run meanwhile")
		case st.State == project.Foreign:
			r.fail(fmt.Sprintf("tool %s: the image %s under %s was not built by tbx here and no registry served it: it will not run", st.Tool.Name, stringid.TruncateID(st.ImageID), st.Ref),
				"run `tbx prepare "+st.Tool.Name+"` to build it (or pull what the lock pins); if you did not tag it yourself, find out who did")
		case st.State == project.Ready && !v.Verdict.Status.OK():
			r.ok("tool %s: ready (%s); its signature is not checked until you trust the project", st.Tool.Name, st.Ref)
		case st.State == project.Ready:
			r.ok("tool %s: ready (%s)", st.Tool.Name, st.Ref)
			checkSignature(ctx, r, verify, st)
			for _, n := range v.Notes(st.Tool.Name) {
				r.note("tool %s: %s", st.Tool.Name, n)
			}
		default:
			r.fail(fmt.Sprintf("tool %s: %s (%s)", st.Tool.Name, st.State, st.Ref), "run `tbx prepare`")
		}
	}
}

// checkSignature says whether a ready tool's image meets the recipe's
// signature policy on this machine.
func checkSignature(ctx context.Context, r *checkReport, verify func(context.Context, project.Status) (string, error), st project.Status) {
	if verify == nil {
		return
	}
	verdict, err := verify(ctx, st)
	switch {
	case err != nil:
		r.fail(err.Error(), signatureAdvice(st))
	case verdict != "":
		r.ok("tool %s: %s", st.Tool.Name, verdict)
	}
}

func checkDisk(ctx context.Context, r *checkReport, e engine.Engine) {
	info, err := e.Info(ctx)
	if err != nil {
		r.fail("reading the Engine's info: "+err.Error(), "check the Engine's logs")
		return
	}
	free, ok := freeDisk(info.DockerRootDir)
	if !ok {
		r.ok("free disk: unknown (%s is not on this machine)", info.DockerRootDir)
		return
	}
	if free < lowDisk {
		r.fail(fmt.Sprintf("only %.1f GiB free under %s", float64(free)/(1<<30), info.DockerRootDir), "free some space: `tbx gc`, `docker system prune`")
		return
	}
	r.ok("free disk: %.1f GiB under %s", float64(free)/(1<<30), info.DockerRootDir)
}

// signatureAdvice is what to do about a ready image the signature policy
// refuses: sign what is published, then fetch it again.
func signatureAdvice(st project.Status) string {
	again := "`tbx pull " + st.Tool.Name + "`"
	if st.Tool.Build != "" {
		again = "`tbx prepare " + st.Tool.Name + "`"
	}
	return "have the publishing job sign it (tbx push --sign-key), then " + again + "; docs/security.md says what a signature proves"
}
