//go:build linux

package signing

import (
	"strings"
	"testing"
)

// BenchmarkSignaturePolicy runs one image, side by side, as a tool that
// requires a signature (verified on this machine by an earlier run) and as
// one that requires none: through the core (a throwaway container per
// run) and warm (the front's route to the helper's socket). The policy's
// cost on a run is the difference.
//
//	go test -run '^$' -bench SignaturePolicy -benchtime 20x ./toolbox/signing
func BenchmarkSignaturePolicy(b *testing.B) {
	w := newWorld(b)
	publisher := machine(b, w.dir)
	if r := run(b, w.dir, publisher, "tbx", "build", "jq"); r.code != 0 {
		b.Fatalf("tbx build: %v", r)
	}
	w.push(b, publisher, "jq", "--sign-key", "ci/cosign.key")
	for _, policy := range []struct{ name, signers string }{{"signed", `["ci/cosign.pub"]`}, {"unsigned", `[]`}} {
		w.writeRecipe(b, policy.signers)
		for _, path := range []struct{ name, env string }{{"core", "TBX_WARM=0"}, {"warm", "TBX_WARM=10m"}} {
			m := append(w.fresh(b), path.env)
			if r := run(b, w.dir, m, "tbx", "run", "jq"); r.code != 0 || (policy.name == "signed") != strings.Contains(r.err, "signature verified") {
				b.Fatalf("first run: %v", r)
			}
			b.Run(policy.name+"/"+path.name, func(b *testing.B) {
				for i := 0; i < b.N; i++ {
					if r := run(b, w.dir, m, "tbx", "run", "jq"); r.code != 0 {
						b.Fatalf("run: %v", r)
					}
				}
			})
			run(b, w.dir, m, "tbx", "gc", "--warm")
		}
	}
}
