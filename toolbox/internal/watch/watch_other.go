//go:build !linux

package watch

// Vouches is never true where there is no inotify: the front stamps.
func Vouches(string, string) bool { return false }

// Start starts no watcher where there is no inotify.
func Start(string, string, string, []string) error { return nil }

// Serve has nothing to watch with where there is no inotify.
func Serve(string, string) int { return 125 }
