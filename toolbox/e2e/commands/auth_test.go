//go:build !windows

package commands

import (
	"context"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docker/docker/api/types/registry"
	"golang.org/x/crypto/bcrypt"

	"github.com/tbx-dev/tbx/toolbox/internal/lockfile"
	"github.com/tbx-dev/tbx/toolbox/internal/project"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
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
	if last := lastLine(r.err); r.code != 125 || !strings.Contains(last, "pulling "+ref) ||
		!strings.Contains(last, "the registry "+addr+" refused access") || !strings.Contains(last, "`docker login "+addr+"`") {
		t.Fatalf("without credentials: exit %d, %q", r.code, last)
	}

	// As the team registry: a frozen prepare stops with the same advice.
	t.Setenv("TBX_REGISTRY", addr)
	writeFiles(t, dir, map[string]string{
		"toolbox.toml":   "[toolbox]\nname = \"" + project + "\"\n[tools.tool]\nbuild = \"img\"\n",
		"img/Dockerfile": "FROM " + base + "\n",
	})
	st := lsJSON(t, recipe)[0]
	l := lockfile.New()
	l.Tools["tool"] = lockfile.Tool{Hash: fullHash(t, recipe), Digest: "sha256:" + strings.Repeat("0", 64)}
	if err := lockfile.Write(lockfile.Path(recipe), l); err != nil {
		t.Fatal(err)
	}
	r = tbx(t, "-f", recipe, "prepare", "--frozen")
	if last := lastLine(r.err); r.code != 125 || !strings.HasPrefix(last, "tbx: tool tool (--frozen never builds): pulling "+addr) ||
		!strings.Contains(last, "`docker login "+addr+"`") {
		t.Fatalf("frozen, without credentials for the team registry (%s): exit %d, %q", st.Image, r.code, last)
	}
	t.Setenv("TBX_REGISTRY", "")
	writeFiles(t, dir, map[string]string{"toolbox.toml": "[toolbox]\nname = \"" + project + "\"\n[tools.tool]\nimage = \"" + ref + "\"\n"})
	if err := os.Remove(lockfile.Path(recipe)); err != nil {
		t.Fatal(err)
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

// fullHash is the content hash of the recipe's first tool, as tbx lock
// would record it.
func fullHash(t *testing.T, path string) string {
	t.Helper()
	v, err := project.Inspect(project.Settings{File: path, Cwd: filepath.Dir(path), StateDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	sts, err := v.Statuses(context.Background(), testenv.Engine(t))
	if err != nil {
		t.Fatal(err)
	}
	return sts[0].Hash
}
