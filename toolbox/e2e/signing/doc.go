// Package signing holds the tests of signed tool images against the real
// cosign CLI (built from the Go module proxy), a loopback registry and the
// real Engine: tbx signs and cosign verifies, cosign signs and tbx
// verifies, and every image the policy must refuse is refused with nothing
// run. It has no code of its own.
package signing
