// Package buildkit builds tool images with the BuildKit inside the Docker
// Engine: the Engine's /grpc and /session endpoints carry BuildKit's own
// client, the Dockerfile frontend runs in this process (so every Engine with
// BuildKit gets today's Dockerfile syntax: heredocs, RUN --mount), and the
// context, secrets and SSH agent travel through the build's session.
package buildkit

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	bk "github.com/moby/buildkit/client"
	"github.com/moby/buildkit/frontend/dockerfile/builder"
	gateway "github.com/moby/buildkit/frontend/gateway/client"
	"github.com/moby/buildkit/session"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/session/sshforward/sshprovider"
	"github.com/tonistiigi/fsutil"
	"golang.org/x/sync/errgroup"
)

// Dialer opens hijacked connections to the Engine's API, as the Docker
// client's DialHijack does.
type Dialer interface {
	DialHijack(ctx context.Context, url, proto string, meta map[string][]string) (net.Conn, error)
}

// Client is a BuildKit client connected through the Engine.
type Client struct {
	c *bk.Client
}

// ErrUnavailable says the Engine does not offer BuildKit.
var ErrUnavailable = errors.New("the Engine does not offer BuildKit")

// probeTimeout bounds how long Connect waits to learn whether BuildKit answers.
const probeTimeout = 10 * time.Second

// Connect returns a client for the Engine's BuildKit, or an error wrapping
// ErrUnavailable when the Engine has none.
func Connect(ctx context.Context, d Dialer) (*Client, error) {
	c, err := bk.New(ctx, "",
		bk.WithContextDialer(func(context.Context, string) (net.Conn, error) {
			return d.DialHijack(ctx, "/grpc", "h2c", nil)
		}),
		bk.WithSessionDialer(func(ctx context.Context, proto string, meta map[string][]string) (net.Conn, error) {
			return d.DialHijack(ctx, "/session", proto, meta)
		}))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	probe, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if _, err := c.ListWorkers(probe); err != nil {
		c.Close()
		return nil, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	return &Client{c: c}, nil
}

// Close closes the connection.
func (c *Client) Close() error { return c.c.Close() }

// Secret is a build secret: its value comes from an environment variable or
// a file, and reaches only RUN --mount=type=secret,id=ID.
type Secret struct {
	ID    string
	Src   string // the file holding the value, or ""
	Value []byte // the value, when it comes from a variable of the caller's
}

// SSHSource serves one ssh id of the build: an agent's socket or a
// private key file, as docker build --ssh ID=PATH.
type SSHSource struct {
	ID, Path string
}

// Request is one image to build.
type Request struct {
	Context    string            // the build context directory
	Dockerfile string            // relative to Context
	Args       map[string]string // build args
	Target     string
	Labels     map[string]string
	Tag        string
	NoCache    bool
	Secrets    []Secret
	SSHAgent   string            // the agent's socket for RUN --mount=type=ssh, or ""
	SSHIDs     []string          // the ids the Dockerfile's ssh mounts ask for; the agent serves each
	SSHSources []SSHSource       // ssh = [...]: exactly these ids, each from an agent or a key file
	Contexts   map[string]string // named contexts: a base name → docker-image://REF
	Syntax     Syntax            // the Dockerfile's # syntax= directive
	Features   []Feature         // what the Dockerfile needs of the Engine's BuildKit
	// Entitlements are what the build may do beyond its sandbox
	// ("network.host"), as buildx's --allow.
	Entitlements []string
}

// Build runs req and returns the new image's ID. Status updates go to
// status, which Build closes.
func (c *Client) Build(ctx context.Context, req Request, status chan *bk.SolveStatus) (string, error) {
	opt, err := solveOpt(req)
	if err != nil {
		close(status)
		return "", err
	}
	var refused error
	frontend := func(ctx context.Context, gc gateway.Client) (*gateway.Result, error) {
		if refused = c.refuseUnsupported(ctx, req.Features, gc.BuildOpts().LLBCaps); refused != nil {
			return nil, refused
		}
		return builder.Build(ctx, gc)
	}
	resp, err := c.c.Build(ctx, opt, "tbx", frontend, status)
	if refused != nil {
		return "", refused // as said, not as it comes back through the session
	}
	if err != nil {
		return "", err
	}
	id := resp.ExporterResponse["containerimage.digest"]
	if id == "" {
		return "", errors.New("the build finished but named no image")
	}
	return id, nil
}

func solveOpt(req Request) (bk.SolveOpt, error) {
	fs, err := fsutil.NewFS(req.Context)
	if err != nil {
		return bk.SolveOpt{}, fmt.Errorf("reading build context %s: %w", req.Context, err)
	}
	attachables, err := attachables(req)
	if err != nil {
		return bk.SolveOpt{}, err
	}
	return bk.SolveOpt{
		Exports:             []bk.ExportEntry{{Type: "moby", Attrs: map[string]string{"name": req.Tag}}},
		LocalMounts:         map[string]fsutil.FS{"context": fs, "dockerfile": fs},
		SharedKey:           req.Context, // lets BuildKit send only what changed since the last build
		FrontendAttrs:       frontendAttrs(req),
		Session:             attachables,
		AllowedEntitlements: req.Entitlements,
	}, nil
}

func frontendAttrs(req Request) map[string]string {
	attrs := map[string]string{"filename": req.Dockerfile}
	if req.Syntax.Carried {
		// The frontend runs here: a cmdline tells it not to hand the build
		// to the directive's image.
		attrs["cmdline"] = req.Syntax.Ref
	}
	if req.Target != "" {
		attrs["target"] = req.Target
	}
	if req.NoCache {
		attrs["no-cache"] = ""
	}
	for k, v := range req.Args {
		attrs["build-arg:"+k] = v
	}
	for k, v := range req.Labels {
		attrs["label:"+k] = v
	}
	for name, ref := range req.Contexts {
		attrs["context:"+name] = ref
	}
	return attrs
}

// attachables are what the build may ask the session for: secrets and the
// SSH agent. The context is sent by LocalMounts.
func attachables(req Request) ([]session.Attachable, error) {
	var out []session.Attachable
	if len(req.Secrets) > 0 {
		p, err := secretProvider(req.Secrets)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if configs := sshConfigs(req); len(configs) > 0 {
		p, err := sshprovider.NewSSHAgentProvider(configs)
		if err != nil {
			return nil, fmt.Errorf("giving the build SSH: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// sshConfigs are the ssh ids the build is served: exactly SSHSources when
// the recipe lists them, else the agent under default and every id the
// Dockerfile names.
func sshConfigs(req Request) []sshprovider.AgentConfig {
	var configs []sshprovider.AgentConfig
	for _, s := range req.SSHSources {
		configs = append(configs, sshprovider.AgentConfig{ID: s.ID, Paths: []string{s.Path}})
	}
	if len(configs) > 0 || req.SSHAgent == "" {
		return configs
	}
	configs = append(configs, sshprovider.AgentConfig{ID: "default", Paths: []string{req.SSHAgent}})
	for _, id := range req.SSHIDs {
		if id != "default" {
			configs = append(configs, sshprovider.AgentConfig{ID: id, Paths: []string{req.SSHAgent}})
		}
	}
	return configs
}

// secretProvider serves the build's secrets, each read before the build
// starts so that a missing file is named rather than built in empty.
func secretProvider(list []Secret) (session.Attachable, error) {
	values := map[string][]byte{}
	for _, s := range list {
		values[s.ID] = s.Value
		if s.Src == "" {
			continue
		}
		b, err := os.ReadFile(s.Src)
		if err != nil {
			return nil, fmt.Errorf("build secret %q: cannot read %s (%v); create it, then retry", s.ID, s.Src, errors.Unwrap(err))
		}
		values[s.ID] = b
	}
	return secretsprovider.FromMap(values), nil
}

// Run builds req while show renders the status stream; it returns the image
// ID and the first error of either. show must read the stream to its end,
// even when ctx is cancelled: the build waits for every update to be taken.
func (c *Client) Run(ctx context.Context, req Request, show func(context.Context, chan *bk.SolveStatus) error) (string, error) {
	status := make(chan *bk.SolveStatus)
	var id string
	eg, ectx := errgroup.WithContext(ctx)
	eg.Go(func() error {
		var err error
		id, err = c.Build(ectx, req, status)
		return err
	})
	eg.Go(func() error { return show(context.WithoutCancel(ctx), status) })
	return id, eg.Wait()
}
