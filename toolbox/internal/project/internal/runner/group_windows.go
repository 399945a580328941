package runner

import "io/fs"

// fileGroup: a Windows file has no Unix group; the Engine's socket is a
// named pipe there, which docker = true cannot mount anyway.
func fileGroup(fs.FileInfo) (int, bool) { return 0, false }
