package buildkit

import (
	"reflect"
	"testing"

	"github.com/moby/buildkit/solver/pb"
)

func TestFeaturesOfNameEachUseAndItsLine(t *testing.T) {
	df := "# syntax=docker/dockerfile:1\nFROM scratch AS a\nCOPY --exclude=*.log . /src/\nCOPY plain /x\nCOPY --chmod=755 a /a\nCOPY --chmod=u+x b /b\n" +
		"FROM a\nADD --exclude=tmp/ ctx /y\nRUN --mount=type=secret,id=t,env=TOKEN true\nRUN --mount=type=secret,id=u true\n"
	want := []Feature{
		{3, "COPY --exclude", pb.CapFileCopyIncludeExcludePatterns},
		{6, "COPY --chmod=u+x", pb.CapFileCopyModeStringFormat},
		{8, "ADD --exclude", pb.CapFileCopyIncludeExcludePatterns},
		{9, "RUN --mount=type=secret,env=", pb.CapExecSecretEnv},
	}
	if got := FeaturesOf([]byte(df)); !reflect.DeepEqual(got, want) {
		t.Errorf("FeaturesOf = %v, want %v", got, want)
	}
	if got := FeaturesOf([]byte("FROM x\nNOTANINSTRUCTION\n")); got != nil {
		t.Errorf("a Dockerfile that does not parse: %v", got)
	}
}
