package engine

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/docker/cli/cli/config"
	dockercontext "github.com/docker/cli/cli/context"
	"github.com/docker/cli/cli/context/docker"
	"github.com/docker/cli/cli/context/store"
	"github.com/docker/docker/client"
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

// defaultEndpoint is host (--host or DOCKER_HOST), or the platform's
// default socket, with the TLS files of w.CertPath (DOCKER_CERT_PATH),
// the host's certificate checked only with w.TLSVerify
// (DOCKER_TLS_VERIFY), and w's API version: as the docker CLI resolves
// them, through its own endpoint (as a context's), from what the command
// line read. The CLI's endpoint reads DOCKER_API_VERSION itself, as it
// does for a context; w's, the same variable read by the command line,
// is applied after it.
func defaultEndpoint(w Where, host string) (Endpoint, error) {
	if host == "" {
		host = client.DefaultDockerHost
	}
	ep := docker.Endpoint{EndpointMeta: docker.EndpointMeta{Host: host}}
	if w.CertPath != "" {
		tls, err := dockercontext.TLSDataFromFiles(filepath.Join(w.CertPath, "ca.pem"), filepath.Join(w.CertPath, "cert.pem"), filepath.Join(w.CertPath, "key.pem"))
		if err != nil {
			return Endpoint{}, fmt.Errorf("DOCKER_CERT_PATH=%s: %w", w.CertPath, err)
		}
		ep.TLSData, ep.SkipTLSVerify = tls, !w.TLSVerify
	}
	opts, err := ep.ClientOpts()
	if err != nil {
		return Endpoint{}, fmt.Errorf("DOCKER_HOST=%s: %w", host, err)
	}
	return Endpoint{Context: DefaultContext, Host: host, opts: append(opts, client.WithVersion(w.APIVersion))}, nil
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
