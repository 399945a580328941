// Package suggest finds the name a user most likely meant by a name that
// does not exist: a mistyped recipe key or command.
package suggest

import (
	"strings"

	"github.com/xrash/smetrics"
)

// Nearest returns the name of names nearest to typed by edit distance
// (Levenshtein, case aside), or "" when none is near enough to have been
// meant: within half typed's length, plus one.
func Nearest(typed string, names []string) string {
	typed = strings.ToLower(typed)
	best, bestDist := "", len(typed)/2+2
	for _, n := range names {
		if d := smetrics.WagnerFischer(typed, n, 1, 1, 1); d < bestDist {
			best, bestDist = n, d
		}
	}
	return best
}
