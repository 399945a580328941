package engine

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/docker/docker/api/types"
)

// Rootless is a rootless Podman that the caller runs: its uid 0 is the
// caller, and the caller's own uid needs Podman's keep-id user namespace
// to stay the caller on the host.
type Rootless struct {
	Podman string // Podman's version
}

// prober is the part of the Docker client that a ping of tbx's own needs.
type prober interface {
	Dialer() func(context.Context) (net.Conn, error)
	NegotiateAPIVersionPing(types.Ping)
}

// FindRootless reports the Engine behind e when it is a rootless Podman of
// the caller's: its socket is a local one that the caller (not root) owns,
// and its ping says Podman. That ping is the one the client would make
// before its first call; other Engines cost no call at all.
func FindRootless(ctx context.Context, e Engine, uid int) (*Rootless, error) {
	sock, ok := SocketPath(e.DaemonHost())
	p, isClient := e.(prober)
	if !ok || !isClient || !ownedBy(sock, uid) {
		return nil, nil
	}
	h, err := ping(ctx, p)
	if err != nil {
		return nil, err
	}
	if v := h.Get("Libpod-Api-Version"); v != "" {
		return &Rootless{Podman: v}, nil
	}
	return nil, nil
}

// ping asks the Engine's /_ping for its headers, and gives the client the
// API version it says, as the client's own ping would.
func ping(ctx context.Context, p prober) (http.Header, error) {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	conn, err := p.Dialer()(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://api.moby.localhost/_ping", nil)
	if err != nil {
		return nil, err
	}
	if err := req.Write(conn); err != nil {
		return nil, fmt.Errorf("asking the Engine what it is: %w", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), req)
	if err != nil {
		return nil, fmt.Errorf("asking the Engine what it is: %w", err)
	}
	resp.Body.Close()
	p.NegotiateAPIVersionPing(types.Ping{APIVersion: resp.Header.Get("Api-Version")})
	return resp.Header, nil
}
