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
	c := ReadContent(gone)
	if c.Broken == nil || !strings.Contains(c.Broken.Error(), "its build context "+gone.Context+" is not a directory") || c.Sum == "" {
		t.Fatalf("no context: %+v", c)
	}
	if err := os.MkdirAll(gone.Context, 0o755); err != nil {
		t.Fatal(err)
	}
	empty := ReadContent(gone)
	df := filepath.Join(gone.Context, "Dockerfile")
	if empty.Broken == nil || !strings.Contains(empty.Broken.Error(), "there is no Dockerfile at "+df) || empty.Sum == c.Sum {
		t.Fatalf("no Dockerfile: %+v", empty)
	}
	if files, err := ContextFiles(gone, 10); err != nil || !slices.Equal(files, []string{gone.Context, df}) {
		t.Errorf("the files a route stamps: %v, %v", files, err)
	}
	if err := os.WriteFile(df, []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	whole := ReadContent(gone)
	if whole.Broken != nil || whole.Sum == empty.Sum {
		t.Errorf("once it is there: %+v", whole)
	}
}

// A build whose files cannot be read as a build's (a Dockerfile that leads
// outside its context, an ignore file whose pattern does not compile) is
// broken too, saying which file and line, with a sum of its own that
// changes once the files are mended.
func TestABuildWhoseFilesCannotBeReadIsBroken(t *testing.T) {
	dir := t.TempDir()
	in := Inputs{Context: filepath.Join(dir, "ctx"), Dockerfile: "Dockerfile"}
	df := filepath.Join(in.Context, "Dockerfile")
	outside := filepath.Join(dir, "elsewhere")
	for path, body := range map[string]string{outside: "FROM scratch\n", filepath.Join(in.Context, "f"): "x"} {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(outside, df); err != nil {
		t.Fatal(err)
	}
	out := ReadContent(in)
	if out.Broken == nil || !strings.Contains(out.Broken.Error(), "reading the Dockerfile "+df) || out.Sum == "" {
		t.Fatalf("a Dockerfile that leads outside: %+v", out)
	}
	if err := os.Remove(df); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(df, []byte("FROM scratch\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ignore := filepath.Join(in.Context, ".dockerignore")
	if err := os.WriteFile(ignore, []byte("# notes\nf\n\n[z\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := ReadContent(in)
	if bad.Broken == nil || !strings.Contains(bad.Broken.Error(), ignore+`:4: "[z"`) || bad.Sum == out.Sum {
		t.Fatalf("an ignore file with a bad pattern: %+v", bad)
	}
	if files, err := ContextFiles(in, 10); err != nil || !slices.Equal(files, []string{in.Context, ignore, df}) {
		t.Errorf("the files a route stamps while the ignore file is bad: %v, %v", files, err)
	}
	if err := os.WriteFile(ignore, []byte("# notes\nf\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	mended := ReadContent(in)
	if mended.Broken != nil || mended.Sum == bad.Sum || len(mended.Entries) == 0 {
		t.Errorf("once mended: %+v", mended)
	}
}
