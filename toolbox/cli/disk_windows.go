package cli

// freeDisk: the Engine's data root is in Docker Desktop's VM, not on the
// Windows host.
func freeDisk(string) (uint64, bool) { return 0, false }
