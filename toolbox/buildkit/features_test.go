package buildkit

import (
	"reflect"
	"testing"

	"github.com/moby/buildkit/solver/pb"
)

func TestFeaturesOfNameEachUseAndItsLine(t *testing.T) {
	df := "# syntax=docker/dockerfile:1\nFROM scratch AS a\nCOPY --exclude=*.log . /src/\nCOPY plain /x\n" +
		"FROM a\nADD --exclude=tmp/ ctx /y\nRUN --mount=type=secret,id=t,env=TOKEN true\nRUN --mount=type=secret,id=u true\n"
	want := []Feature{
		{3, "COPY --exclude", pb.CapFileCopyIncludeExcludePatterns},
		{6, "ADD --exclude", pb.CapFileCopyIncludeExcludePatterns},
		{7, "RUN --mount=type=secret,env=", pb.CapExecSecretEnv},
	}
	if got := FeaturesOf([]byte(df)); !reflect.DeepEqual(got, want) {
		t.Errorf("FeaturesOf = %v, want %v", got, want)
	}
	if got := FeaturesOf([]byte("FROM x\nNOTANINSTRUCTION\n")); got != nil {
		t.Errorf("a Dockerfile that does not parse: %v", got)
	}
}
