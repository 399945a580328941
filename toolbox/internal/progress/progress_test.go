package progress

import (
	"bytes"
	"strings"
	"testing"
)

const buildStream = `{"stream":"Step 1/2 : FROM base\n"}
{"stream":" ---\u003e abc\n"}
{"stream":"Step 2/2 : RUN make\n"}
{"stream":"compiling\r\n"}
{"aux":{"ID":"sha256:feed"}}
`

func TestBuildPlain(t *testing.T) {
	var out bytes.Buffer
	res, err := Build(strings.NewReader(buildStream), NewWriter(&out), Plain, "az")
	if err != nil || res.ImageID != "sha256:feed" {
		t.Fatalf("res %+v err %v", res, err)
	}
	want := "tbx: az: Step 1/2 : FROM base\ntbx: az:  ---> abc\ntbx: az: Step 2/2 : RUN make\ntbx: az: compiling\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestBuildErrorKeepsTail(t *testing.T) {
	stream := buildStream + `{"errorDetail":{"message":"boom"},"error":"The command returned a non-zero code: 2"}` + "\n"
	var out bytes.Buffer
	res, err := Build(strings.NewReader(stream), NewWriter(&out), Live, "az")
	if err == nil || err.Error() != "boom" {
		t.Fatalf("err %v", err)
	}
	if len(res.Tail) != 4 || res.Tail[3] != "compiling" {
		t.Errorf("tail %q", res.Tail)
	}
	if !strings.Contains(out.String(), "\r\x1b[2Ktbx: az [2/2] compiling") {
		t.Errorf("live status: %q", out.String())
	}
}

func TestPullPlainSkipsByteCounts(t *testing.T) {
	stream := `{"status":"Pulling from tools/jq","id":"1.7"}
{"status":"Downloading","progressDetail":{"current":10,"total":100},"id":"abc"}
{"status":"Pull complete","id":"abc"}
{"status":"Digest: sha256:1"}
`
	var out bytes.Buffer
	if err := Pull(strings.NewReader(stream), NewWriter(&out), Plain, 0, "jq"); err != nil {
		t.Fatal(err)
	}
	want := "tbx: jq: 1.7 Pulling from tools/jq\ntbx: jq: abc Pull complete\ntbx: jq: Digest: sha256:1\n"
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}
