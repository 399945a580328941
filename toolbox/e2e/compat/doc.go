// Package compat holds the tests that run tbx, as its users run it, against
// Engines other than the local Docker Engine: Podman rootful and rootless.
// They run beside the command tests of package cli, as a package of their
// own, so that the suite's wall time does not add up.
package compat
