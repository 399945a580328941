package direct

import (
	"bytes"
	"reflect"
	"runtime"
	"strings"
	"testing"
)

func TestRequestRoundTrips(t *testing.T) {
	req := Request{Argv: []string{"az", "vm", "list"}, Env: []string{"A=1"}, Dir: "/w ç", User: "1000:1000", TTY: true, Rows: 40, Cols: 120}
	frame, err := EncodeRequest(req)
	if err != nil {
		t.Fatal(err)
	}
	typ, payload, err := ReadFrame(bytes.NewReader(frame))
	if err != nil || typ != TypeRequest {
		t.Fatalf("frame: %q %v", typ, err)
	}
	got, err := DecodeRequest(payload)
	req.Version = Version
	if err != nil || !reflect.DeepEqual(got, req) {
		t.Fatalf("decoded %+v, %v; want %+v", got, err, req)
	}
}

func TestBadRequestsAreRefused(t *testing.T) {
	for name, payload := range map[string]string{
		"not JSON":         "{",
		"another version":  `{"v":3,"argv":["true"],"dir":"/"}`,
		"no version":       `{"argv":["true"],"dir":"/"}`,
		"no command":       `{"v":2,"argv":[],"dir":"/"}`,
		"empty command":    `{"v":2,"argv":[""],"dir":"/"}`,
		"relative dir":     `{"v":2,"argv":["true"],"dir":"w"}`,
		"NUL in argument":  `{"v":2,"argv":["true","a\u0000b"],"dir":"/"}`,
		"NUL in env":       `{"v":2,"argv":["true"],"env":["A=\u0000"],"dir":"/"}`,
		"argv not strings": `{"v":2,"argv":[1],"dir":"/"}`,
	} {
		if _, err := DecodeRequest([]byte(payload)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestFramesOverTheLimitAreRefused(t *testing.T) {
	head := []byte{TypeRequest, 0xff, 0xff, 0xff, 0xff}
	if _, _, err := ReadFrame(bytes.NewReader(head)); err == nil || !strings.Contains(err.Error(), "over the") {
		t.Fatalf("a frame of 4 GiB: %v", err)
	}
	if _, _, err := ReadFrame(bytes.NewReader(head[:3])); err == nil {
		t.Fatal("a cut header was read")
	}
	if _, _, err := ReadFrame(bytes.NewReader([]byte{TypeExit, 0, 0, 0, 2, 1})); err == nil {
		t.Fatal("a cut payload was read")
	}
}

// FuzzDecodeRequest: whatever arrives on the socket, decoding it neither
// panics nor lets through a request the helper could not run as asked.
func FuzzDecodeRequest(f *testing.F) {
	good, _ := EncodeRequest(Request{Argv: []string{"true"}, Dir: "/"})
	f.Add(good)
	f.Add([]byte{TypeRequest, 0, 0, 0, 2, '{', '}'})
	f.Add([]byte{TypeSignal, 0, 0, 0, 1, 15})
	f.Add([]byte(`R` + "\x00\x00\x00\x10" + `{"v":2,"argv":[]}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, payload, err := ReadFrame(bytes.NewReader(b))
		if err != nil || typ != TypeRequest {
			return
		}
		req, err := DecodeRequest(payload)
		if err != nil {
			return
		}
		if req.Version != Version || len(req.Argv) == 0 || req.Argv[0] == "" || !strings.HasPrefix(req.Dir, "/") {
			t.Fatalf("accepted %+v", req)
		}
		for _, s := range append(append([]string{req.Dir, req.User}, req.Argv...), req.Env...) {
			if strings.IndexByte(s, 0) >= 0 {
				t.Fatalf("accepted a NUL: %+v", req)
			}
		}
	})
}

// FuzzReadFrame: a frame's declared length never decides what is
// allocated: a peer gets memory only for the bytes it sends (a stalled
// connection that declares 4 MiB costs nothing), and a frame is read only
// when its payload came whole.
func FuzzReadFrame(f *testing.F) {
	f.Add([]byte{TypeRequest, 0x00, 0x40, 0x00, 0x00, 'x'})
	f.Add([]byte{TypeSignal, 0, 0, 0, 1, 15})
	f.Add([]byte{TypeExit, 0, 0, 0, 2, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		typ, payload, err := ReadFrame(bytes.NewReader(b))
		if err != nil {
			return
		}
		if len(b) < 5+len(payload) || typ != b[0] || !bytes.Equal(payload, b[5:5+len(payload)]) {
			t.Fatalf("read %q %q from %q", typ, payload, b)
		}
		if cap(payload) > 2*len(b)+512 {
			t.Fatalf("a payload of %d bytes took %d from %d sent", len(payload), cap(payload), len(b))
		}
	})
}

func TestADeclaredSizeAllocatesNothingUntilSent(t *testing.T) {
	head := []byte{TypeRequest, 0x00, 0x3f, 0xff, 0xff} // just under 4 MiB declared, 3 bytes sent
	allocs := testing.AllocsPerRun(10, func() {
		_, _, _ = ReadFrame(bytes.NewReader(append(head, 'a', 'b', 'c')))
	})
	var m1, m2 runtime.MemStats
	runtime.ReadMemStats(&m1)
	_, _, err := ReadFrame(bytes.NewReader(append(head, 'a', 'b', 'c')))
	runtime.ReadMemStats(&m2)
	if err == nil {
		t.Fatal("a cut payload was read")
	}
	if grew := m2.TotalAlloc - m1.TotalAlloc; grew > 64<<10 {
		t.Errorf("reading a frame that declares 4 MiB and sends 3 bytes allocated %d bytes (%v allocations)", grew, allocs)
	}
}
