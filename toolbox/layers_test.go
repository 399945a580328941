// Package toolbox_test checks that the core's packages depend downwards only:
// the command line imports the core, never the reverse, and each core
// package imports only the packages below it. The compiler keeps the rest
// out: everything but the three entry points (cli, front, helper) is under
// toolbox/internal, and what only the project may use (acquire, runner,
// reuse, gc) under toolbox/internal/project/internal.
package toolbox_test

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/tbx-dev/tbx/"

// layer gives each package its place: a package imports only packages of
// a lower layer (test files aside), so that no two depend on each other
// and the order reads as the architecture does (docs/architecture.md).
var layer = map[string]int{
	// 0, foundations: no package of the project below them.
	"exit": 0, "environ": 0, "labels": 0, "safefile": 0, "suggest": 0, "hostpath": 0, "hashcache": 0,
	"statedir": 0, "signals": 0, "version": 0, "progress": 0, "shims": 0, "helperspec": 0, "hostargs": 0,
	"direct": 0, "engine": 0, "buildkit": 0, "images": 0, "recipes": 0,
	// 1, formats and stores: the recipe, the lock, the content hash,
	// signatures, trust, routes; test helpers.
	"recipe": 1, "lockfile": 1, "contenthash": 1, "imagesig": 1, "trust": 1, "route": 1, "gc": 1, "testenv": 1,
	// 2, what a project does with them.
	"reach": 2, "watch": 2, "runner": 2, "acquire": 2,
	// 3, the host's side of warm containers, over the throwaway run.
	"reuse": 3,
	// 4, the gate.
	"project": 4,
	// 5 and 6, the entry points: the front and the helper, then the core's
	// command line, which starts either.
	"front": 5, "helper": 5,
	"cli": 6,
	// 7, tests only: the end-to-end suites under toolbox/e2e, with no code
	// of their own.
	"commands": 7, "cifiles": 7, "compat": 7, "conformance": 7, "signing": 7, "realtools": 7,
}

func TestPackagesDependDownwards(t *testing.T) {
	for _, dir := range packageDirs(t) {
		name := filepath.Base(dir)
		at, known := layer[name]
		if !known {
			t.Errorf("package toolbox/%s has no layer in the layering table", dir)
			continue
		}
		for _, imp := range imports(t, dir) {
			if below, ok := layer[imp]; !ok || below >= at {
				t.Errorf("toolbox/%s (layer %d) imports %s (layer %d): a package imports only those of a lower layer", dir, at, imp, below)
			}
		}
	}
}

// packageDirs are the directories under toolbox/ with Go files.
func packageDirs(t *testing.T) []string {
	t.Helper()
	var dirs []string
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && d.Name() == "testdata":
			return filepath.SkipDir
		case !d.IsDir() || path == "." || d.Name() == "internal":
			return nil
		}
		if files, _ := filepath.Glob(filepath.Join(path, "*.go")); len(files) > 0 {
			dirs = append(dirs, path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dirs
}

// imports lists the project packages the non-test files of dir import.
func imports(t *testing.T, dir string) []string {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(dir, "*.go"))
	var out []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		parsed, err := parser.ParseFile(token.NewFileSet(), f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range parsed.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if rest, ok := strings.CutPrefix(p, module); ok {
				out = append(out, filepath.Base(rest))
			}
		}
	}
	return out
}

// The front (cmd/tbx) exists to start fast: it links nothing of the Docker
// client, BuildKit, gRPC, containerd or the signature libraries, which the
// core alone needs.
func TestTheFrontLinksNoHeavyLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "../cmd/tbx").Output()
	if err != nil {
		t.Fatalf("go list -deps ../cmd/tbx: %v", err)
	}
	heavy := []string{"github.com/docker/", "github.com/moby/buildkit", "google.golang.org/grpc", "github.com/containerd/", "github.com/google/go-containerregistry", "github.com/sigstore/"}
	for _, pkg := range strings.Fields(string(out)) {
		for _, h := range heavy {
			if strings.HasPrefix(pkg, h) {
				t.Errorf("the front links %s", pkg)
			}
		}
	}
}

// Only the entry points read the process's environment, home, working
// directory, identity or host name (into project.Settings and
// engine.Where); every package under internal/ is given them, so that a
// test gives them too. testenv, the tests' own, is the exception.
func TestOnlyTheEntryPointsReadTheEnvironment(t *testing.T) {
	reads := regexp.MustCompile(`\bos\.(Getenv|LookupEnv|Environ|ExpandEnv|UserHomeDir|UserCacheDir|UserConfigDir|Getwd|Getuid|Geteuid|Getgid|Executable|Hostname|Getppid)\(|\bclient\.FromEnv\b|\bWith(Host|Version|TLSClientConfig)FromEnv\(`)
	err := filepath.WalkDir("internal", func(path string, d os.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (d.Name() == "testenv" || d.Name() == "testdata"):
			return filepath.SkipDir
		case d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go"):
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if code, _, _ := strings.Cut(line, "//"); reads.MatchString(code) {
				t.Errorf("toolbox/%s:%d reads the process's environment: %s (read it in the entry point and pass it down)", path, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
