//go:build linux

package signing

import (
	"strings"
	"testing"
	"time"
)

// BenchmarkSignaturePolicy runs one image as a tool that requires a
// signature (verified on this machine by an earlier run) and as one that
// requires none, in two projects, alternating run by run so that neither
// gets a quieter machine: through the core (a throwaway container per run)
// and warm (the front's route to the helper's socket). The policy's cost
// on a run is the difference between ms/signed and ms/unsigned.
//
//	go test -run '^$' -bench SignaturePolicy -benchtime 50x ./toolbox/e2e/signing
func BenchmarkSignaturePolicy(b *testing.B) {
	w := newWorld(b)
	publisher := machine(b, w.dir)
	if r := run(b, w.dir, publisher, "tbx", "build", "jq"); r.Code != 0 {
		b.Fatalf("tbx build: %v", r)
	}
	w.push(b, publisher, "jq", "--sign-key", "ci/cosign.key")
	plain := b.TempDir() // the same tool, no signers
	writeFile(b, plain, "images/jq/Dockerfile", string(mustRead(b, w.dir+"/images/jq/Dockerfile")))
	writeFile(b, plain, "toolbox.toml", "[toolbox]\nname = \""+w.project+"\"\nregistry = \""+w.proxy.addr+"\"\n\n[tools.jq]\nbuild = \"images/jq\"\n")
	for _, path := range []struct{ name, env string }{{"core", "TBX_WARM=0"}, {"warm", "TBX_WARM=10m"}} {
		signed := append(w.fresh(b), path.env) // the first run pulls and verifies
		unsigned := append(machine(b, plain), path.env)
		if r := run(b, w.dir, signed, "tbx", "run", "jq"); r.Code != 0 || !strings.Contains(r.Err, "signature verified") {
			b.Fatalf("first signed run: %v", r)
		}
		if r := run(b, plain, unsigned, "tbx", "run", "jq"); r.Code != 0 {
			b.Fatalf("first unsigned run: %v", r)
		}
		b.Run(path.name, func(b *testing.B) {
			var took [2]time.Duration
			for i := 0; i < b.N; i++ {
				for k, side := range []struct {
					dir string
					env []string
				}{{w.dir, signed}, {plain, unsigned}} {
					start := time.Now()
					if r := run(b, side.dir, side.env, "tbx", "run", "jq"); r.Code != 0 {
						b.Fatalf("run: %v", r)
					}
					took[k] += time.Since(start)
				}
			}
			b.ReportMetric(float64(took[0].Microseconds())/1000/float64(b.N), "ms/signed")
			b.ReportMetric(float64(took[1].Microseconds())/1000/float64(b.N), "ms/unsigned")
		})
		run(b, w.dir, signed, "tbx", "gc", "--warm")
		run(b, plain, unsigned, "tbx", "gc", "--warm")
	}
}
