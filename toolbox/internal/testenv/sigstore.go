package testenv

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"
)

// BundleMediaType is the artifact type of a Sigstore bundle, v0.3, as
// cosign v3 attaches it to an image.
const BundleMediaType = "application/vnd.dev.sigstore.bundle.v0.3+json"

// Sigstore is a certificate authority and a transparency log of the
// test's own, made by sigstore-go's testing package: it signs keyless as
// any identity, offline, and its trusted root vouches for what it signs,
// as the public Fulcio and Rekor's does for a CI workflow's signatures.
type Sigstore struct{ vs *ca.VirtualSigstore }

// NewSigstore makes a Sigstore whose certificates are valid for the next
// few minutes.
func NewSigstore(t testing.TB) *Sigstore {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	return &Sigstore{vs}
}

// TrustedRoot is the Sigstore's trusted_root.json: its CA and its log (no
// certificate transparency log: its certificates carry no SCT).
func (s *Sigstore) TrustedRoot(t testing.TB) []byte {
	t.Helper()
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01, s.vs.FulcioCertificateAuthorities(), nil, s.vs.TimestampingAuthorities(), s.rekorLogs(t))
	if err != nil {
		t.Fatal(err)
	}
	b, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// rekorLogs are the Sigstore's log as a trusted root names it: by its
// log ID's bytes (the testing package keeps them as hex text, which a
// trusted root written out would take for the bytes themselves).
func (s *Sigstore) rekorLogs(t testing.TB) map[string]*root.TransparencyLog {
	t.Helper()
	out := map[string]*root.TransparencyLog{}
	for _, l := range s.vs.RekorLogs() {
		id, err := hex.DecodeString(string(l.ID))
		if err != nil {
			t.Fatal(err)
		}
		copied := *l
		copied.ID = id
		out[hex.EncodeToString(id)] = &copied
	}
	return out
}

// SignStatement is the in-toto statement of predicate about the image
// whose digest's hex is subject: cosign v3 signs an image as the
// predicate https://sigstore.dev/cosign/sign/v1.
func SignStatement(predicate, subject string) []byte {
	return fmt.Appendf(nil, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"digest":{"sha256":%q}}],"predicateType":%q,"predicate":{}}`, subject, predicate)
}

// Bundle signs statement keyless as identity, vouched for by issuer, and
// returns the Sigstore bundle (v0.3, JSON) that cosign v3 would attach:
// the certificate, the DSSE envelope and the log's entry with its signed
// entry timestamp and inclusion proof.
func (s *Sigstore) Bundle(t testing.TB, identity, issuer string, statement []byte) []byte {
	t.Helper()
	e, err := s.vs.AttestAtTime(identity, issuer, statement, time.Now().Add(time.Minute), true)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := e.VerificationContent()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := e.SignatureContent()
	if err != nil {
		t.Fatal(err)
	}
	env := sc.(*bundle.Envelope).Envelope
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	sig, err := base64.StdEncoding.DecodeString(env.Signatures[0].Sig)
	if err != nil {
		t.Fatal(err)
	}
	entries, err := e.TlogEntries()
	if err != nil {
		t.Fatal(err)
	}
	b := &protobundle.Bundle{
		MediaType: BundleMediaType,
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:     &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
			TlogEntries: []*protorekor.TransparencyLogEntry{s.logEntry(t, entries[0])},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{Payload: payload, PayloadType: env.PayloadType, Signatures: []*protodsse.Signature{{Sig: sig}}}},
	}
	body, err := protojson.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return body
}

// logEntry is entry as a bundle holds it: its body, kind, the log's
// signed entry timestamp and an inclusion proof with its checkpoint.
func (s *Sigstore) logEntry(t testing.TB, entry *tlog.Entry) *protorekor.TransparencyLogEntry {
	t.Helper()
	b64, _ := entry.Body().(string)
	body, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	logID := []byte(entry.LogKeyID())
	set, err := s.vs.RekorSignPayload(tlog.RekorPayload{Body: b64, IntegratedTime: entry.IntegratedTime().Unix(), LogIndex: entry.LogIndex(), LogID: hex.EncodeToString(logID)})
	if err != nil {
		t.Fatal(err)
	}
	proof, err := s.vs.GetInclusionProof(body)
	if err != nil {
		t.Fatal(err)
	}
	rootHash, err := hex.DecodeString(*proof.RootHash)
	if err != nil {
		t.Fatal(err)
	}
	hashes := make([][]byte, len(proof.Hashes))
	for i, h := range proof.Hashes {
		if hashes[i], err = hex.DecodeString(h); err != nil {
			t.Fatal(err)
		}
	}
	return &protorekor.TransparencyLogEntry{
		LogIndex:          entry.LogIndex(),
		LogId:             &protocommon.LogId{KeyId: logID},
		KindVersion:       &protorekor.KindVersion{Kind: "intoto", Version: "0.0.2"},
		IntegratedTime:    entry.IntegratedTime().Unix(),
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: set},
		InclusionProof:    &protorekor.InclusionProof{LogIndex: *proof.LogIndex, RootHash: rootHash, TreeSize: *proof.TreeSize, Hashes: hashes, Checkpoint: &protorekor.Checkpoint{Envelope: *proof.Checkpoint}},
		CanonicalizedBody: body,
	}
}

// AttachBundle attaches the bundle body to the image at d, as cosign v3
// does: an artifact of type BundleMediaType whose subject is the image,
// written through the referrers API, or its tag fallback where the
// registry lacks it.
func AttachBundle(t testing.TB, d name.Digest, body []byte) {
	t.Helper()
	desc, err := remote.Head(d)
	if err != nil {
		t.Fatal(err)
	}
	art, err := mutate.AppendLayers(mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), BundleMediaType), static.NewLayer(body, BundleMediaType))
	if err != nil {
		t.Fatal(err)
	}
	art = mutate.Subject(art, *desc).(v1.Image)
	h, err := art.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(d.Context().Digest(h.String()), art); err != nil {
		t.Fatal(err)
	}
}
