package buildkit

import (
	"strconv"
	"strings"

	"github.com/distribution/reference"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// CarriedVersion is the docker/dockerfile syntax that the Dockerfile
// frontend carried in tbx implements: BuildKit v0.25's.
const CarriedVersion = "1.19"

// Syntax is what a Dockerfile's `# syntax=` directive asks for.
type Syntax struct {
	Ref     string // the frontend image it names; "" without a directive
	Carried bool   // tbx's own frontend implements it: no image to fetch
}

// SyntaxOf reads the `# syntax=` directive (spaces, `#syntax`, and the
// other forms BuildKit's parser accepts) of a Dockerfile. docker/dockerfile
// at a version the carried frontend implements (1, 1.N or 1.N.M up to
// CarriedVersion) runs on it, offline; anything else, a newer version, a
// -labs one, a digest, another frontend, is the image's to run.
func SyntaxOf(dockerfile []byte) Syntax {
	ref, _, _, ok := parser.DetectSyntax(dockerfile)
	if !ok {
		return Syntax{}
	}
	return Syntax{Ref: ref, Carried: carried(ref)}
}

func carried(ref string) bool {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil || named.Name() != "docker.io/docker/dockerfile" {
		return false
	}
	if _, digested := named.(reference.Digested); digested {
		return false
	}
	tagged, ok := named.(reference.Tagged)
	if !ok {
		return false // latest: whatever is newest
	}
	return versionAtMost(tagged.Tag(), CarriedVersion)
}

// versionAtMost reports whether tag (1, 1.4, 1.4.3) is a plain version no
// newer than max (MAJOR.MINOR).
func versionAtMost(tag, max string) bool {
	have, ok := numbers(tag)
	want, _ := numbers(max)
	if !ok || len(have) > 3 || have[0] != want[0] {
		return false
	}
	return len(have) == 1 || have[1] <= want[1]
}

func numbers(v string) ([]int, bool) {
	var out []int
	for _, part := range strings.Split(v, ".") {
		n, err := strconv.Atoi(part)
		if err != nil {
			return nil, false
		}
		out = append(out, n)
	}
	return out, true
}
