// Package images holds the tool images' build contexts, so that `tbx init`
// can write them into a new project.
package images

import (
	"embed"
	"io/fs"
)

//go:embed */Dockerfile
var contexts embed.FS

// Context returns the files of the build context images/name, by path
// relative to it; false when there is no such context.
func Context(name string) (map[string][]byte, bool) {
	sub, err := fs.Sub(contexts, name)
	if err != nil {
		return nil, false
	}
	files := map[string][]byte{}
	_ = fs.WalkDir(sub, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files[p], _ = fs.ReadFile(sub, p)
		}
		return nil
	})
	return files, len(files) > 0
}
