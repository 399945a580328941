package progress

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"
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

// A plain push that prints no layer state for a while says how many bytes
// it has sent of how many, so that a long push in a CI log is not silent.
func TestPushPlainSaysBytesWhenSilent(t *testing.T) {
	defer func(d time.Duration) { Silence = d }(Silence)
	Silence = 150 * time.Millisecond
	r, w := io.Pipe()
	var out safeBuffer
	done := make(chan error, 1)
	go func() {
		_, err := Push(r, NewWriter(&out), Plain, 0, "az")
		done <- err
	}()
	fmt.Fprintln(w, `{"status":"Preparing","id":"abc"}`)
	fmt.Fprintln(w, `{"status":"Pushing","progressDetail":{"current":52428800,"total":1610612736},"id":"abc"}`)
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(out.String(), "tbx: az: 52.43MB of 1.611GB sent, ") {
		if time.Now().After(deadline) {
			t.Fatalf("no heartbeat with bytes in a silent push: %q", out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	fmt.Fprintln(w, `{"aux":{"Tag":"x","Digest":"sha256:1","Size":1}}`)
	w.Close()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out.String(), "Pushing") {
		t.Errorf("a byte count was printed as a line: %q", out.String())
	}
}
