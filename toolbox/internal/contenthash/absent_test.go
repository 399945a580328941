package contenthash

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// A build whose context or Dockerfile is not there reads as broken, saying
// which, with no error: its tool alone is held up. Each absence has a sum
// of its own, and the files' coming is a change; a route stamps where they
// will be.
func TestABuildWhoseFilesAreNotThereIsBroken(t *testing.T) {
	dir := t.TempDir()
	gone := Inputs{Context: filepath.Join(dir, "nope"), Dockerfile: "Dockerfile"}
	c, err := ReadContent(gone)
	if err != nil || c.Broken == nil || !strings.Contains(c.Broken.Error(), "its build context "+gone.Context+" is not a directory") || c.Sum == "" {
		t.Fatalf("no context: %+v, %v", c, err)
	}
	if err := os.MkdirAll(gone.Context, 0o755); err != nil {
		t.Fatal(err)
	}
	empty, err := ReadContent(gone)
	df := filepath.Join(gone.Context, "Dockerfile")
	if err != nil || empty.Broken == nil || !strings.Contains(empty.Broken.Error(), "there is no Dockerfile at "+df) || empty.Sum == c.Sum {
		t.Fatalf("no Dockerfile: %+v, %v", empty, err)
	}
	if files, err := ContextFiles(gone, 10); err != nil || !slices.Equal(files, []string{gone.Context, df}) {
		t.Errorf("the files a route stamps: %v, %v", files, err)
	}
	if err := os.WriteFile(df, []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	whole, err := ReadContent(gone)
	if err != nil || whole.Broken != nil || whole.Sum == empty.Sum {
		t.Errorf("once it is there: %+v, %v", whole, err)
	}
}
