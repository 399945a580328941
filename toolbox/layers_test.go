// Package toolbox_test checks that the core's packages depend downwards only:
// the command line imports the core, never the reverse, and each core
// package imports only the packages below it. The compiler keeps the rest
// out: everything but the three entry points (cli, front, helper) is under
// toolbox/internal, and what only the project may use (acquire, runner,
// warmrun, gc) under toolbox/internal/project/internal.
package toolbox_test

import (
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/tbx-dev/tbx/"

// allowed lists, for each package, the project packages it may import.
var allowed = map[string][]string{
	"exit":        {},
	"environ":     {},
	"labels":      {},
	"engine":      {},
	"safefile":    {},
	"suggest":     {},
	"imagesig":    {"safefile"},
	"hostpath":    {},
	"recipe":      {"hostargs", "safefile", "suggest"},
	"hostargs":    {},
	"hashcache":   {},
	"lockfile":    {"safefile"},
	"buildkit":    {},
	"imageid":     {"buildkit", "hashcache", "safefile"},
	"progress":    {},
	"shims":       {},
	"statedir":    {},
	"direct":      {},
	"route":       {"direct", "hostargs", "safefile"},
	"watch":       {"route"},
	"build":       {},
	"front":       {"build", "direct", "route", "signals", "statedir", "watch"},
	"helper":      {"direct", "helperspec"},
	"helperspec":  {},
	"trust":       {"safefile", "statedir"},
	"reach":       {"imagesig", "recipe"},
	"acquire":     {"buildkit", "engine", "environ", "hashcache", "imageid", "imagesig", "labels", "lockfile", "progress", "recipe", "statedir"},
	"project":     {"warmrun", "acquire", "direct", "engine", "exit", "gc", "hostargs", "imageid", "labels", "lockfile", "progress", "reach", "recipe", "route", "runner", "safefile", "trust", "watch"},
	"signals":     {},
	"runner":      {"direct", "engine", "environ", "exit", "helperspec", "hostargs", "hostpath", "labels", "recipe", "signals", "statedir"},
	"gc":          {"engine", "labels"},
	"warmrun":     {"direct", "engine", "exit", "helperspec", "labels", "runner", "signals", "statedir"},
	"testenv":     {"engine", "labels"},
	"compat":      {}, // tests only: tbx against Podman
	"cifiles":     {}, // tests only: the CI files of docs/ci
	"signing":     {}, // tests only: signed tool images against cosign
	"realtools":   {}, // tests only: the real tool images of images/
	"conformance": {}, // tests only: the Dockerfile conformance suite
	"cli":         {"build", "engine", "exit", "front", "hashcache", "lockfile", "progress", "project", "reach", "recipe", "route", "shims", "signals", "statedir", "suggest", "trust", "helper", "images", "recipes"},
}

func TestPackagesDependDownwards(t *testing.T) {
	for _, dir := range packageDirs(t) {
		name := filepath.Base(dir)
		ok, known := allowed[name]
		if !known {
			t.Errorf("package toolbox/%s has no entry in the layering table", dir)
			continue
		}
		for _, imp := range imports(t, dir) {
			if !contains(ok, imp) {
				t.Errorf("toolbox/%s imports %s, which it may not", dir, imp)
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

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
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
