package contenthash

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// writeTree makes a build context from path → content.
func writeTree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	testenv.WriteFiles(t, dir, files)
}

var baseFiles = map[string]string{
	"Dockerfile":    "ARG BASE=debian:bookworm-slim\nFROM ${BASE}\nCOPY . /src\n",
	".dockerignore": "*.log\ncache/\n!cache/keep.txt\n",
	"app/main.sh":   "echo hi\n",
	"build.log":     "noise\n",
	"cache/a.bin":   "x",
}

func resolveAll(ref string) (string, bool) { return "sha256:" + ref, true }

func newContext(t *testing.T) Inputs {
	t.Helper()
	dir := t.TempDir()
	writeTree(t, dir, baseFiles)
	return Inputs{Context: dir, Dockerfile: "Dockerfile", Args: map[string]string{"V": "1"}}
}

func hashOf(t *testing.T, in Inputs, resolve Resolver) string {
	t.Helper()
	id := Compute(in, resolve)
	return id.Hash
}

func TestSameInputsSameHash(t *testing.T) {
	a, b := newContext(t), newContext(t) // two checkouts
	if ha, hb := hashOf(t, a, resolveAll), hashOf(t, b, resolveAll); ha != hb || len(ha) != 64 {
		t.Fatalf("two checkouts hash differently: %s %s", ha, hb)
	}
	if first, second := hashOf(t, a, resolveAll), hashOf(t, a, resolveAll); first != second {
		t.Fatal("two runs hash differently")
	}
}

func TestEachInputChangesHash(t *testing.T) {
	orig := hashOf(t, newContext(t), resolveAll)
	changes := map[string]func(t *testing.T, in *Inputs) Resolver{
		"file content": func(t *testing.T, in *Inputs) Resolver {
			writeTree(t, in.Context, map[string]string{"app/main.sh": "echo hi!\n"})
			return resolveAll
		},
		"new file": func(t *testing.T, in *Inputs) Resolver {
			writeTree(t, in.Context, map[string]string{"app/new": ""})
			return resolveAll
		},
		"renamed file": func(t *testing.T, in *Inputs) Resolver {
			must(t, os.Rename(filepath.Join(in.Context, "app/main.sh"), filepath.Join(in.Context, "app/run.sh")))
			return resolveAll
		},
		"file mode": func(t *testing.T, in *Inputs) Resolver {
			must(t, os.Chmod(filepath.Join(in.Context, "app/main.sh"), 0o755))
			return resolveAll
		},
		"dockerfile": func(t *testing.T, in *Inputs) Resolver {
			writeTree(t, in.Context, map[string]string{"Dockerfile": baseFiles["Dockerfile"] + "RUN true\n"})
			return resolveAll
		},
		"re-included file": func(t *testing.T, in *Inputs) Resolver {
			writeTree(t, in.Context, map[string]string{"cache/keep.txt": "kept"})
			return resolveAll
		},
		"build arg": func(t *testing.T, in *Inputs) Resolver {
			in.Args = map[string]string{"V": "2"}
			return resolveAll
		},
		"target": func(t *testing.T, in *Inputs) Resolver {
			in.Target = "final"
			return resolveAll
		},
		"base image id": func(t *testing.T, in *Inputs) Resolver {
			return func(ref string) (string, bool) { return "sha256:other", true }
		},
		"base image by arg": func(t *testing.T, in *Inputs) Resolver {
			in.Args = map[string]string{"V": "1", "BASE": "debian:trixie-slim"}
			return resolveAll
		},
	}
	for name, change := range changes {
		t.Run(name, func(t *testing.T) {
			in := newContext(t)
			resolve := change(t, &in)
			if got := hashOf(t, in, resolve); got == orig {
				t.Errorf("hash unchanged after changing the %s", name)
			}
		})
	}
}

func TestIgnoredChangesKeepHash(t *testing.T) {
	in := newContext(t)
	orig := hashOf(t, in, resolveAll)
	writeTree(t, in.Context, map[string]string{"build.log": "other noise", "more.log": "x", "cache/b.bin": "y", "cache/a.bin": "z"})
	if got := hashOf(t, in, resolveAll); got != orig {
		t.Errorf("a .dockerignored change changed the hash")
	}
}

func TestMissingBase(t *testing.T) {
	in := newContext(t)
	id := Compute(in, func(string) (string, bool) { return "", false })
	if strings.Join(id.Missing, ",") != "debian:bookworm-slim" {
		t.Errorf("missing = %v", id.Missing)
	}
}

func TestBases(t *testing.T) {
	df := `# syntax=docker/dockerfile:1
ARG REG=registry.example.com
ARG TAG
FROM ${REG}/golang:1.22 AS build
RUN make
FROM scratch AS empty
FROM build AS test
FROM debian:${TAG:-bookworm}-slim
COPY --from=build /out /out
COPY --from=0 /out /out2
COPY --from=alpine:3.19 /bin/sh /sh
FROM registry.example.com/golang:1.22
`
	got, err := Bases([]byte(df), map[string]string{"TAG": "trixie"})
	if err != nil {
		t.Fatal(err)
	}
	want := "registry.example.com/golang:1.22 debian:trixie-slim alpine:3.19"
	if strings.Join(got, " ") != want {
		t.Errorf("Bases = %v, want %s", got, want)
	}
	if _, err := Bases([]byte("RUN true\n"), nil); err == nil {
		t.Error("a Dockerfile without FROM parsed")
	}
}

// Meta ARGs resolve as BuildKit resolves them: quoted defaults, ARGs made
// of earlier ARGs, and build args taken as they are.
func TestBasesMetaArgsAsBuildKit(t *testing.T) {
	for _, c := range []struct {
		df   string
		args map[string]string
		want string
	}{
		{"ARG PYTHON_VERSION=\"3.10\"\nFROM python:${PYTHON_VERSION}-alpine\n", nil, "python:3.10-alpine"},
		{"ARG PYTHON_VERSION='3.11'\nFROM python:${PYTHON_VERSION}-slim\n", nil, "python:3.11-slim"},
		{"ARG REPO=tbxprobe/python\nARG TAG=1\nARG BASE=$REPO:$TAG\nFROM $BASE\n", nil, "tbxprobe/python:1"},
		{"ARG REPO=tbxprobe/python\nARG BASE=$REPO:2\nFROM $BASE\n", map[string]string{"REPO": "other/py"}, "other/py:2"},
		{"ARG V\nFROM debian:${V:-bookworm}-slim\n", nil, "debian:bookworm-slim"},
	} {
		got, err := Bases([]byte(c.df), c.args)
		if err != nil || strings.Join(got, " ") != c.want {
			t.Errorf("Bases(%q, %v) = %v, %v; want %s", c.df, c.args, got, err, c.want)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// A context reached through a symbolic link hashes as its target, whose
// files the build is given: trust, which reads the recipe's path, and the
// build, which reads the real one, agree.
func TestAContextThroughALinkHashesAsItsTarget(t *testing.T) {
	in := newContext(t)
	link := filepath.Join(t.TempDir(), "ctx")
	if err := os.Symlink(in.Context, link); err != nil {
		t.Fatal(err)
	}
	through := in
	through.Context = link
	if a, b := hashOf(t, in, resolveAll), hashOf(t, through, resolveAll); a != b {
		t.Errorf("through a link %s, directly %s", b, a)
	}
}
