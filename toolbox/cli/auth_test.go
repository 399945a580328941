package cli

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/registry"
	"golang.org/x/crypto/bcrypt"

	"github.com/tbx-dev/tbx/toolbox/testenv"
)

// A registry that wants a login: tbx pulls with the credentials of the
// user's Docker config, and without them says what failed.
func TestPullUsesDockerConfigCredentials(t *testing.T) {
	c := testenv.Engine(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	authDir := t.TempDir()
	htpasswd := filepath.Join(authDir, "htpasswd")
	if err := os.WriteFile(htpasswd, []byte("ci:"+string(hash)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := testenv.Registry(t, "auth:\n  htpasswd:\n    realm: tbx-test\n    path: "+htpasswd+"\n")
	base := testenv.ImportBase(t, c, map[string]string{"bin/tool": "tool\n"})
	ref := addr + "/private/tool:1"
	pushAs(t, c, base, ref, registry.AuthConfig{Username: "ci", Password: "s3cret", ServerAddress: addr})
	testenv.RemoveImage(c, ref)

	project := testenv.Project(t, c)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"toolbox.toml": "[toolbox]\nname = \"" + project + "\"\n[tools.tool]\nimage = \"" + ref + "\"\n"})
	recipe := filepath.Join(dir, "toolbox.toml")

	t.Setenv("DOCKER_CONFIG", t.TempDir()) // no credentials
	r := tbx(t, "-f", recipe, "--progress", "plain", "pull")
	if r.code != 125 || !strings.Contains(lastLine(r.err), "pulling "+ref) {
		t.Fatalf("without credentials: exit %d, %q", r.code, lastLine(r.err))
	}

	cfg := t.TempDir()
	auth := base64.StdEncoding.EncodeToString([]byte("ci:s3cret"))
	writeFiles(t, cfg, map[string]string{"config.json": `{"auths": {"` + addr + `": {"auth": "` + auth + `"}}}`})
	t.Setenv("DOCKER_CONFIG", cfg)
	mustTbx(t, "-f", recipe, "--progress", "plain", "pull")
	if e := lsJSON(t, recipe)[0]; e.State != "ready" {
		t.Fatalf("after pulling with credentials: %+v", e)
	}
	testenv.RemoveImage(c, ref)
}
