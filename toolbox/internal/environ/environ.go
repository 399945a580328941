// Package environ reads variables from an environment given as a list of
// NAME=value, as the command line read the caller's once: packages below
// the command line never read the process's own.
package environ

import "strings"

// Lookup is the value of name in env, and whether env sets it; the last
// setting wins, as for a process started with env.
func Lookup(env []string, name string) (string, bool) {
	for i := len(env) - 1; i >= 0; i-- {
		if k, v, ok := strings.Cut(env[i], "="); ok && k == name {
			return v, true
		}
	}
	return "", false
}
