package engine

// ownedByCaller is false on Windows: Podman there runs in a machine, and
// maps ownership itself.
func ownedByCaller(string) bool { return false }
