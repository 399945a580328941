// Package cifiles holds the tests of the CI files a team copies (docs/ci):
// each is checked by its system's own linter or against its documented
// keywords, and its jobs' steps run as a runner runs them, against the real
// Engine and a loopback registry. It has no code of its own.
package cifiles
