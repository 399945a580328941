package testenv

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httputil"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
)

func run(t testing.TB, name string, args ...string) {
	t.Helper()
	if out, err := exec.Command(name, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Calls records the API calls an Engine received through a proxy.
type Calls struct {
	mu    sync.Mutex
	calls []string
}

var apiVersion = regexp.MustCompile(`^/v[0-9.]+`)

func (c *Calls) add(r *http.Request) {
	c.mu.Lock()
	defer c.mu.Unlock()
	call := r.Method + " " + apiVersion.ReplaceAllString(r.URL.Path, "")
	if r.URL.RawQuery != "" {
		call += "?" + r.URL.RawQuery
	}
	c.calls = append(c.calls, call)
}

// Matching lists the calls whose "METHOD /path" contains part.
func (c *Calls) Matching(part string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, call := range c.calls {
		if strings.Contains(call, part) {
			out = append(out, call)
		}
	}
	return out
}

// All lists every call so far.
func (c *Calls) All() []string { return c.Matching("") }

// Reset forgets the calls so far.
func (c *Calls) Reset() {
	c.mu.Lock()
	c.calls = nil
	c.mu.Unlock()
}

// CountingProxy serves the Engine at host (unix://PATH) on a socket of its
// own and records every API call made through it, hijacked streams
// included. It returns the DOCKER_HOST for the proxy.
func CountingProxy(t testing.TB, host string) (string, *Calls) {
	t.Helper()
	target := strings.TrimPrefix(host, "unix://")
	dir, err := os.MkdirTemp("", "tbx-proxy-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	sock := filepath.Join(dir, "proxy.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	calls := &Calls{}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.Out.URL.Scheme, r.Out.URL.Host = "http", "docker"
		},
		Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", target)
		}},
		FlushInterval: -1,
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.add(r)
		proxy.ServeHTTP(w, r)
	})}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	return fmt.Sprintf("unix://%s", sock), calls
}
