package runner

import "time"

// watchResize calls resize every 250 ms until stop: a Windows console has
// no SIGWINCH, so docker's CLI polls its size too.
func watchResize(resize func()) (stop func()) {
	tick := time.NewTicker(250 * time.Millisecond)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-tick.C:
				resize()
			case <-done:
				return
			}
		}
	}()
	return func() { tick.Stop(); close(done) }
}
