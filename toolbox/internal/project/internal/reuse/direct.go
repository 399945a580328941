package reuse

import "errors"

// errNoSocket says that no helper answers on a warm container's socket, or
// that it will not take the run: the run goes through an Engine exec.
var errNoSocket = errors.New("no direct path")
