package contenthash

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// The files a decision on a tool's image depends on are those its build is
// given: what the ignore rules drop (a node_modules of thousands of
// files) is not among them, and does not count against the limit.
func TestContextFilesFollowTheIgnoreRules(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, text string) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("Dockerfile", "FROM scratch\nCOPY app /\n")
	write("app/main.sh", "echo\n")
	write(".dockerignore", "node_modules\n")
	for i := range 2000 {
		write(fmt.Sprintf("node_modules/m%d/index.js", i), "x")
	}
	in := Inputs{Context: dir, Dockerfile: "Dockerfile"}
	files, err := ContextFiles(in, 100)
	if err != nil {
		t.Fatalf("a context whose ignore rules keep 5 entries, limit 100: %v", err)
	}
	for _, want := range []string{dir, filepath.Join(dir, "Dockerfile"), filepath.Join(dir, ".dockerignore"), filepath.Join(dir, "app", "main.sh")} {
		if !slices.Contains(files, want) {
			t.Errorf("%s is not among %v", want, files)
		}
	}
	if slices.ContainsFunc(files, func(f string) bool { return filepath.Base(filepath.Dir(f)) == "node_modules" }) {
		t.Errorf("an ignored file is among %v", files)
	}
	if err := os.Remove(filepath.Join(dir, ".dockerignore")); err != nil {
		t.Fatal(err)
	}
	if _, err := ContextFiles(in, 100); !errors.Is(err, ErrTooMany) {
		t.Errorf("without the ignore file, 4,000 files against a limit of 100: %v", err)
	}
}
