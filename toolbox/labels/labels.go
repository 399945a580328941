// Package labels names the labels every Engine object tbx creates carries, so
// that tbx can find its own images, containers and volumes again.
package labels

import "github.com/docker/docker/api/types/filters"

// The label keys, all under dev.tbx.
const (
	Project = "dev.tbx.project" // the recipe's [toolbox] name
	Tool    = "dev.tbx.tool"    // the tool's name
	Hash    = "dev.tbx.hash"    // the image's content hash
	Recipe  = "dev.tbx.recipe"  // the recipe file that made it
	Launch  = "dev.tbx.launch"  // the launcher's pid@host, on containers
	Warm    = "dev.tbx.warm"    // a warm container's shape key
	Idle    = "dev.tbx.idle"    // a warm container's idle time
)

// ForProject filters objects of one project, or of every project when name is "".
func ForProject(name string) filters.Args {
	if name == "" {
		return filters.NewArgs(filters.Arg("label", Project))
	}
	return filters.NewArgs(filters.Arg("label", Project+"="+name))
}
