package contenthash

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"
)

// Bases lists the images a Dockerfile starts FROM or copies --from, in order
// and without repeats, after expanding the ARGs before the first FROM with
// args. Build stages and scratch are not images.
func Bases(dockerfile []byte, args map[string]string) ([]string, error) {
	f, err := readDockerfile(dockerfile, args)
	return f.bases, err
}

// facts are what a Dockerfile says that a tool's identity depends on.
type facts struct {
	bases  []string // as Bases lists them
	remote []string // as Content.Remote lists them
}

func readDockerfile(dockerfile []byte, args map[string]string) (facts, error) {
	res, err := parser.Parse(bytes.NewReader(dockerfile))
	if err != nil {
		return facts{}, err
	}
	stages, metaArgs, err := instructions.Parse(res.AST, nil)
	if err != nil {
		return facts{}, err
	}
	lex := shell.NewLex(res.EscapeToken)
	env := metaEnv(lex, metaArgs, args)
	b := &baseList{stages: map[string]bool{}, seen: map[string]bool{}}
	var remote []string
	for i, st := range stages {
		from, _, err := lex.ProcessWord(st.BaseName, env)
		if err != nil {
			return facts{}, fmt.Errorf("expanding FROM %s: %w", st.BaseName, err)
		}
		b.add(from)
		b.copiesFrom(st, lex, env)
		b.stages[strings.ToLower(st.Name)] = true
		b.stages[strconv.Itoa(i)] = true
		remote = append(remote, unpinned(st)...)
	}
	return facts{bases: b.refs, remote: remote}, nil
}

// unpinned lists the sources stage's ADD lines fetch from elsewhere than
// the context with nothing to pin what they get, each as "line N: ADD
// SOURCE": a URL without --checksum, a Git repository at a branch or tag
// rather than a commit. BuildKit fetches them at build time, so what they
// serve is outside the tool's identity.
func unpinned(st instructions.Stage) []string {
	var out []string
	for _, cmd := range st.Commands {
		add, ok := cmd.(*instructions.AddCommand)
		if !ok {
			continue
		}
		for _, src := range add.SourcePaths {
			if remoteUnpinned(src, add.Checksum) {
				out = append(out, fmt.Sprintf("line %d: ADD %s", lineOf(add), src))
			}
		}
	}
	return out
}

// remoteUnpinned reports whether an ADD source is fetched from a URL or a
// Git repository, and nothing pins what it gets.
func remoteUnpinned(src, checksum string) bool {
	switch {
	case gitSource(src):
		_, ref, _ := strings.Cut(src, "#")
		ref, _, _ = strings.Cut(ref, ":")
		return !commitID.MatchString(ref) && checksum == ""
	case strings.HasPrefix(src, "http://"), strings.HasPrefix(src, "https://"):
		return checksum == ""
	}
	return false
}

// gitSource reports whether an ADD source is a Git repository, as
// BuildKit takes one.
func gitSource(src string) bool {
	for _, p := range []string{"git@", "git://", "ssh://"} {
		if strings.HasPrefix(src, p) {
			return true
		}
	}
	base, _, _ := strings.Cut(src, "#")
	return strings.HasPrefix(src, "https://") && strings.HasSuffix(base, ".git")
}

// commitID is a full Git commit ID, which names one tree for good.
var commitID = regexp.MustCompile(`^[0-9a-f]{40}([0-9a-f]{24})?$`)

// lineOf is the Dockerfile line an instruction starts on.
func lineOf(cmd instructions.Command) int {
	if l, ok := cmd.(interface{ Location() []parser.Range }); ok && len(l.Location()) > 0 {
		return l.Location()[0].Start.Line
	}
	return 0
}

// Located says err, of the Dockerfile at path, as PATH:LINE: what, where
// BuildKit's parser says which line.
func Located(path string, err error) error {
	var le *parser.LocationError
	if !errors.As(err, &le) || len(le.Locations) == 0 || len(le.Locations[0]) == 0 {
		return fmt.Errorf("%s: %w", path, err)
	}
	msg := parseErrorLine.ReplaceAllString(err.Error(), "")
	return fmt.Errorf("%s:%d: %s", path, le.Locations[0][0].Start.Line, msg)
}

// parseErrorLine is how BuildKit's parser starts a message whose line it
// also gives apart.
var parseErrorLine = regexp.MustCompile(`^dockerfile parse error on line \d+: `)

type baseList struct {
	stages map[string]bool
	seen   map[string]bool
	refs   []string
}

func (b *baseList) add(ref string) {
	if ref == "" || ref == "scratch" || b.stages[strings.ToLower(ref)] || b.seen[ref] {
		return
	}
	b.seen[ref] = true
	b.refs = append(b.refs, ref)
}

// copiesFrom adds the images that COPY --from names in stage.
func (b *baseList) copiesFrom(st instructions.Stage, lex *shell.Lex, env shell.EnvGetter) {
	for _, cmd := range st.Commands {
		if c, ok := cmd.(*instructions.CopyCommand); ok && c.From != "" {
			from, _, err := lex.ProcessWord(c.From, env)
			if err == nil {
				b.add(from)
			}
		}
	}
}

// metaEnv is the environment FROM lines expand in, as BuildKit makes it:
// the ARGs declared before the first FROM, each default expanded by the
// shell lexer (quotes, ${VAR:-default}, earlier ARGs) in the environment so
// far, and overridden by the build args, which are taken as they are.
func metaEnv(lex *shell.Lex, metaArgs []instructions.ArgCommand, args map[string]string) shell.EnvGetter {
	var env []string
	for _, a := range metaArgs {
		for _, kv := range a.Args {
			if v, ok := args[kv.Key]; ok {
				env = append(env, kv.Key+"="+v)
				continue
			}
			if kv.Value == nil {
				continue
			}
			v, _, err := lex.ProcessWord(*kv.Value, shell.EnvsFromSlice(env))
			if err != nil {
				v = *kv.Value
			}
			env = append(env, kv.Key+"="+v)
		}
	}
	return shell.EnvsFromSlice(env)
}
