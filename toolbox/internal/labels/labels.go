// Package labels names the labels every Engine object tbx creates carries, so
// that tbx can find its own images, containers and volumes again.
package labels

import "github.com/docker/docker/api/types/filters"

// The label keys, all under dev.tbx.
const (
	Project = "dev.tbx.project" // the recipe's [toolbox] name
	Tool    = "dev.tbx.tool"    // the tool's name
	Hash    = "dev.tbx.hash"    // the image's content hash
	Launch  = "dev.tbx.launch"  // the launcher's pid@host, on containers
	Warm    = "dev.tbx.warm"    // a warm container's shape key
	Idle    = "dev.tbx.idle"    // a warm container's idle time
	Spare   = "dev.tbx.spare"   // on a warm container that serves one run: a spare
	Owner   = "dev.tbx.owner"   // the uid of the user whose tbx made it
	Root    = "dev.tbx.root"    // the project's identity: a digest of its real root directory
)

// Owned filters the objects of one user, of one project (by its identity)
// or, when root is "", of every project.
func Owned(uid, root string) filters.Args {
	f := filters.NewArgs(filters.Arg("label", Owner+"="+uid))
	if root != "" {
		f.Add("label", Root+"="+root)
	} else {
		f.Add("label", Root)
	}
	return f
}

// ForProject filters objects of one project, or of every project when name is "".
func ForProject(name string) filters.Args {
	if name == "" {
		return filters.NewArgs(filters.Arg("label", Project))
	}
	return filters.NewArgs(filters.Arg("label", Project+"="+name))
}
