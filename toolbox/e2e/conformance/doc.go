// Package conformance holds tbx's Dockerfile conformance suite: the
// Dockerfiles in testdata, written for it, are built by tbx as BuildKit
// builds them and checked against the Dockerfile reference (each case's
// check.sh runs in its image) and, where the classic builder can build one,
// against the classic builder's image: the same files with the same modes
// and owners, and the same config. It runs offline, on the real Engine,
// beside the command tests of package cli.
package conformance
