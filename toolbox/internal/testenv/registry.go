package testenv

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/docker/docker/api/types/image"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Registry starts Debian's docker-registry on a free 127.0.0.1 port for the
// test and returns its host:port. Extra YAML (auth, say) is appended to the
// configuration.
func Registry(t testing.TB, extra string) string {
	t.Helper()
	bin, err := exec.LookPath("docker-registry")
	if err != nil {
		t.Fatalf("these tests need Debian's docker-registry (apt-get install docker-registry; scripts/test.sh does): %v", err)
	}
	addr := freePort(t)
	dir := t.TempDir()
	cfg := fmt.Sprintf("version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n%s", filepath.Join(dir, "data"), addr, extra)
	cfgPath := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgPath)
	logPath := filepath.Join(dir, "registry.log") // its 404s are a registry's daily bread, not news
	log, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait(); log.Close() })
	t.Cleanup(func() { UntagRegistry(addr) })
	if !waitHTTP("http://" + addr + "/v2/") {
		b, _ := os.ReadFile(logPath)
		t.Fatalf("the registry did not answer at %s; its log ends:\n%s", addr, tail(string(b), 20))
	}
	return addr
}

func freePort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHTTP(url string) bool {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// UntagRegistry removes from the Engine every tag and digest reference
// under the registry at addr, which goes away with the test; the images
// themselves stay, for whoever else holds them.
func UntagRegistry(addr string) {
	ctx := context.Background()
	c, err := Connect(ctx)
	if err != nil {
		return
	}
	defer c.Close()
	list, err := c.ImageList(ctx, image.ListOptions{})
	if err != nil {
		return
	}
	for _, im := range list {
		for _, ref := range append(append([]string{}, im.RepoTags...), im.RepoDigests...) {
			if strings.HasPrefix(ref, addr+"/") {
				_, _ = c.ImageRemove(ctx, ref, image.RemoveOptions{})
			}
		}
	}
}

// Tags lists the tags repo has in the registry at addr, as its API says.
func Tags(t testing.TB, addr, repo string) []string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/v2/" + repo + "/tags/list")
	if err != nil {
		t.Fatalf("listing the tags of %s: %v", repo, err)
	}
	defer resp.Body.Close()
	var list struct {
		Tags []string `json:"tags"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatalf("listing the tags of %s: %s: %v", repo, resp.Status, err)
	}
	return list.Tags
}

// CopyImage writes what from names in its registry (an image, or cosign's
// signatures of one) under to, as `crane copy` would.
func CopyImage(t testing.TB, from, to name.Reference) {
	t.Helper()
	img, err := remote.Image(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(to, img); err != nil {
		t.Fatal(err)
	}
}
