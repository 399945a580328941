package signals

import (
	"os"
	"syscall"
)

// Forwarded reports whether sig goes to the command. Windows delivers
// Ctrl-C as SIGINT (and closing the console as SIGTERM); the command in
// its Linux container gets them as such.
func Forwarded(sig syscall.Signal) bool {
	return sig != syscall.SIGPIPE
}

// common are the signals Windows delivers, taken first.
var common = []os.Signal{syscall.SIGINT, syscall.SIGTERM}
