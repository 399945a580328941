//go:build !windows

package commands

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/image"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

func TestRunRecipeKeys(t *testing.T) {
	c := testenv.Engine(t)
	ca := filepath.Join(t.TempDir(), "corp-ca.pem")
	if err := os.WriteFile(ca, []byte("-----BEGIN CERTIFICATE-----\ncorp\n-----END CERTIFICATE-----\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	dir, _ := runProject(t, c, "workdir = \"/tmp\"\nca_bundle = \""+ca+"\"\nuser = \"image\"\nproxy = false\n")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:3128")
	r := sh(t, dir, "pwd; id -u; echo $HOME; cat \"$SSL_CERT_FILE\" | sed -n 2p; echo ${REQUESTS_CA_BUNDLE#/etc/ssl/certs/}; echo proxy=${HTTPS_PROXY:-none}")
	want := "/tmp\n0\n/root\ncorp\ntbx-ca-bundle.pem\nproxy=none\n"
	if r.code != 0 || r.out != want {
		t.Errorf("got %q (stderr %q), want %q", r.out, r.err, want)
	}
}

func TestRunEntrypointWrapsTheCommand(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "entrypoint = [\"/bin/echo\", \"via entrypoint:\"]\n")
	if r := tbxIn(t, dir, "run", "box-sh", "a b", "c"); r.out != "via entrypoint: a b c\n" {
		t.Errorf("got %q %q", r.out, r.err)
	}
}

func TestShellReadsStdin(t *testing.T) {
	c := testenv.Engine(t)
	dir, _ := runProject(t, c, "")
	var out, errb bytes.Buffer
	code := inProject(t, dir, strings.NewReader("echo in shell; exit 5\n"), &out, &errb, "shell", "box")
	if code != 5 || out.String() != "in shell\n" {
		t.Errorf("tbx shell: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
}

func TestGCImagesKeepsOnlyCurrent(t *testing.T) {
	c := testenv.Engine(t)
	recipe, project := buildProject(t, c)
	mustTbx(t, "-f", recipe, "--progress", "plain", "prepare")
	old := lsJSON(t, recipe)[0].Image
	writeFiles(t, filepath.Dir(recipe), map[string]string{"img/greeting.txt": "changed\n"})
	mustTbx(t, "-f", recipe, "--progress", "plain", "prepare")
	current := lsJSON(t, recipe)[0].Image

	if r := mustTbx(t, "-f", recipe, "gc", "--images", "--dry-run"); !strings.Contains(r.out, "would remove image") {
		t.Fatalf("dry run: %q", r.out)
	}
	if _, err := c.ImageInspect(context.Background(), old); err != nil {
		t.Fatal("the dry run removed the old image")
	}
	r := mustTbx(t, "-f", recipe, "gc", "--images")
	if strings.Count(r.out, "removed image") != 1 {
		t.Errorf("gc --images: %q", r.out)
	}
	ims, _ := c.ImageList(context.Background(), image.ListOptions{Filters: labels.ForProject(project)})
	if len(ims) != 1 || !contains(ims[0].RepoTags, current) {
		t.Errorf("images left: %+v, want only %s", ims, current)
	}
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
