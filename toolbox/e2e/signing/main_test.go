//go:build linux

package signing

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/docker/docker/api/types/container"
	"github.com/docker/docker/client"

	"github.com/tbx-dev/tbx/toolbox/internal/labels"
	"github.com/tbx-dev/tbx/toolbox/internal/testenv"
)

// binDir holds tbx, tbx-core and tbx-warm, built once.
var binDir string

func TestMain(m *testing.M) {
	os.Exit(testenv.WithTbx(m, false, func(dir string) { binDir = dir }))
}

// The cosign CLI the tests hold tbx to: v3, whose `sign --key` attaches a
// Sigstore bundle with the OCI referrers API (here, the registry lacking
// it, its sha256-HEX tag), and which with --new-bundle-format=false stores
// a signature as v2 did, as the sha256-HEX.sig tag: both are tried.
const (
	cosignPkg     = "github.com/sigstore/cosign/v3/cmd/cosign"
	cosignVersion = "v3.1.3"
	password      = "team-secret"
)

// result is what one command printed and returned.
type result = testenv.Result

// run runs name (tbx: the one built) with args in dir with env, and
// returns what it did.
func run(t testing.TB, dir string, env []string, name string, args ...string) result {
	t.Helper()
	if name == "tbx" {
		name = filepath.Join(binDir, "tbx")
	}
	return testenv.Run(t, dir, env, name, args...)
}

// registryProxy serves the registry at addr on a port of its own and
// counts the requests it passes; stop makes it refuse connections, as a
// registry that died.
type registryProxy struct {
	addr  string
	calls atomic.Int64
	srv   *http.Server
}

func newRegistryProxy(t testing.TB, target string) *registryProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	to, _ := url.Parse("http://" + target)
	p := &registryProxy{addr: l.Addr().String()}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(to)
		r.Out.Host = r.In.Host // the registry's Location headers then lead back here
	}}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.calls.Add(1)
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(l)
	t.Cleanup(p.stop)
	t.Cleanup(func() { testenv.UntagRegistry(p.addr) }) // what was pushed through it is tagged with its address
	return p
}

func (p *registryProxy) stop() { p.srv.Close() }

// projectContainers lists the containers of project, running or not.
func projectContainers(t testing.TB, c *client.Client, project string) []container.Summary {
	t.Helper()
	cs, err := c.ContainerList(context.Background(), container.ListOptions{All: true, Filters: labels.ForProject(project)})
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// hasImage reports whether the Engine has the image ref names.
func hasImage(c *client.Client, ref string) bool {
	_, err := c.ImageInspect(context.Background(), ref)
	return err == nil
}

// machine is one user's machine: a HOME of its own, so an empty tbx
// state and cache (no verdict remembered), and the project trusted.
func machine(t testing.TB, project string, extra ...string) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{
		"HOME=" + home, "PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"TBX_TRUST=" + project, "TBX_SPARE=0", "TBX_PROGRESS=plain", "COSIGN_PASSWORD=" + password,
	}
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		env = append(env, "DOCKER_HOST="+h)
	}
	return append(env, extra...)
}

// lines are s's non-empty lines.
func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.TrimSpace(l) != "" {
			out = append(out, l)
		}
	}
	return out
}

// writeFile writes body at dir/name.
func writeFile(t testing.TB, dir, name, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}
