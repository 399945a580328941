package engine

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/config"
	"github.com/docker/cli/cli/connhelper"
	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	"github.com/docker/docker/client"
	"github.com/docker/go-connections/tlsconfig"
)

// DefaultContext is the context that means "no context": DOCKER_HOST, or
// the platform's default socket.
const DefaultContext = "default"

// Where says where the Engine is, as the docker CLI is told: its flags
// and variables, read by the command line.
type Where struct {
	Host       string // --host
	EnvHost    string // DOCKER_HOST
	Context    string // --context
	EnvContext string // DOCKER_CONTEXT
	ConfigDir  string // DOCKER_CONFIG, else ~/.docker: config.json and the context store
	APIVersion string // DOCKER_API_VERSION: the API version to speak, else negotiated
	CertPath   string // DOCKER_CERT_PATH: ca.pem, cert.pem and key.pem for a TLS host
	TLSVerify  bool   // DOCKER_TLS_VERIFY is set: the host's certificate is checked
}

// Endpoint is the Engine that Where leads to: the context it came from and
// the client options that reach it (TLS, ssh:// through the docker CLI's
// connection helper).
type Endpoint struct {
	Context string
	Host    string
	opts    []client.Opt
}

// Locate finds the Engine as the docker CLI does: --host or DOCKER_HOST,
// then --context or DOCKER_CONTEXT, then the Docker config's currentContext,
// then the default socket. Contexts are read from the docker CLI's own
// context store (DOCKER_CONFIG, or ~/.docker).
func Locate(w Where) (Endpoint, error) {
	name, err := contextName(w)
	if err != nil {
		return Endpoint{}, err
	}
	if name == DefaultContext {
		host := w.EnvHost
		if w.Host != "" {
			host = w.Host
		}
		return defaultEndpoint(w, host)
	}
	return contextEndpoint(w.ConfigDir, name)
}

// contextName picks the context, in the docker CLI's order.
func contextName(w Where) (string, error) {
	switch {
	case w.Context != "" && w.Host != "":
		return "", errors.New("conflicting options: --host and --context; give one")
	case w.Context != "":
		return w.Context, nil
	case w.Host != "", w.EnvHost != "":
		return DefaultContext, nil
	case w.EnvContext != "":
		return w.EnvContext, nil
	}
	if cfg, err := config.Load(w.ConfigDir); err == nil && cfg.CurrentContext != "" {
		return cfg.CurrentContext, nil
	}
	return DefaultContext, nil
}

// defaultEndpoint is host (--host or DOCKER_HOST) with the TLS and API
// version w was given, or the platform's default socket, as the docker
// CLI's client.FromEnv reads them, but from w: the command line read the
// variables.
func defaultEndpoint(w Where, host string) (Endpoint, error) {
	ep := Endpoint{Context: DefaultContext, Host: host, opts: []client.Opt{withTLS(w), client.WithVersion(w.APIVersion)}}
	if host == "" {
		ep.Host = client.DefaultDockerHost
		return ep, nil
	}
	helper, err := connhelper.GetConnectionHelper(host)
	if err != nil {
		return ep, fmt.Errorf("DOCKER_HOST=%s: %w", host, err)
	}
	if helper != nil {
		meta := docker.Endpoint{EndpointMeta: docker.EndpointMeta{Host: host}}
		ep.opts, err = meta.ClientOpts()
		return ep, err
	}
	ep.opts = append(ep.opts, client.WithHost(host))
	return ep, nil
}

// withTLS gives the client the TLS files of w.CertPath, checking the
// host's certificate only when w.TLSVerify, as DOCKER_CERT_PATH and
// DOCKER_TLS_VERIFY do for the docker CLI; without a CertPath it does
// nothing.
func withTLS(w Where) client.Opt {
	return func(c *client.Client) error {
		if w.CertPath == "" {
			return nil
		}
		tlsc, err := tlsconfig.Client(tlsconfig.Options{
			CAFile:             filepath.Join(w.CertPath, "ca.pem"),
			CertFile:           filepath.Join(w.CertPath, "cert.pem"),
			KeyFile:            filepath.Join(w.CertPath, "key.pem"),
			InsecureSkipVerify: !w.TLSVerify,
		})
		if err != nil {
			return fmt.Errorf("DOCKER_CERT_PATH=%s: %w", w.CertPath, err)
		}
		hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlsc}, CheckRedirect: client.CheckRedirect}
		return client.WithHTTPClient(hc)(c)
	}
}

// ContextStore is the docker CLI's context store in the Docker config
// directory dir.
func ContextStore(dir string) *store.ContextStore {
	return store.New(filepath.Join(dir, "contexts"), store.NewConfig(
		func() any { return &map[string]any{} },
		store.EndpointTypeGetter(docker.DockerEndpoint, func() any { return &docker.EndpointMeta{} }),
	))
}

// ConfigDir is the Docker config directory: DOCKER_CONFIG's value env, else
// .docker in the caller's home.
func ConfigDir(env, home string) string {
	if env != "" {
		return env
	}
	return filepath.Join(home, ".docker")
}

// contextEndpoint reads a context of the docker CLI's store.
func contextEndpoint(dir, name string) (Endpoint, error) {
	s := ContextStore(dir)
	meta, err := s.GetMetadata(name)
	if err != nil {
		return Endpoint{}, fmt.Errorf("docker context %q: %w; `docker context ls` lists them", name, err)
	}
	epMeta, err := docker.EndpointFromContext(meta)
	if err != nil {
		return Endpoint{}, fmt.Errorf("docker context %q: %w", name, err)
	}
	ep, err := docker.WithTLSData(s, name, epMeta)
	if err != nil {
		return Endpoint{}, fmt.Errorf("docker context %q: %w", name, err)
	}
	opts, err := ep.ClientOpts()
	if err != nil {
		return Endpoint{}, fmt.Errorf("docker context %q: %w", name, err)
	}
	return Endpoint{Context: name, Host: epMeta.Host, opts: opts}, nil
}

// Client makes a client for the endpoint. It makes no call: the first
// one negotiates the API version.
func (ep Endpoint) Client() (*client.Client, error) {
	c, err := client.NewClientWithOpts(append(ep.opts, client.WithAPIVersionNegotiation())...)
	if err != nil {
		return nil, fmt.Errorf("configuring the Docker Engine client for %s: %w", ep.Host, err)
	}
	return c, nil
}

// SocketPath is the host path of the unix socket an Engine host names
// (unix:///path), and whether it names one: the one place tbx reads it.
func SocketPath(host string) (string, bool) {
	return strings.CutPrefix(host, "unix://")
}
