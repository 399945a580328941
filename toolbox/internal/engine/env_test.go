package engine

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"log"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The client takes DOCKER_API_VERSION, DOCKER_CERT_PATH and
// DOCKER_TLS_VERIFY from Where, as the command line read them, never from
// the process's environment.
func TestTheClientReadsNoVariable(t *testing.T) {
	t.Setenv("DOCKER_API_VERSION", "1.30")
	t.Setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
	t.Setenv("DOCKER_CERT_PATH", t.TempDir())
	ep, err := Locate(Where{ConfigDir: t.TempDir(), APIVersion: "1.41"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := ep.Client()
	if err != nil {
		t.Fatalf("the environment's DOCKER_CERT_PATH, which has no files, was read: %v", err)
	}
	if v := c.ClientVersion(); v != "1.41" || c.DaemonHost() != "unix:///var/run/docker.sock" {
		t.Errorf("client speaks %s to %s; want Where's 1.41 to the default socket", v, c.DaemonHost())
	}
	// Where the files are missing is said before the client is made.
	ep, err = Locate(Where{ConfigDir: t.TempDir(), EnvHost: "tcp://127.0.0.1:1", CertPath: t.TempDir()})
	if err == nil {
		_, err = ep.Client()
	}
	if err == nil || !strings.Contains(err.Error(), "DOCKER_CERT_PATH=") {
		t.Errorf("a cert path without its files: %v; want the error to name DOCKER_CERT_PATH", err)
	}
}

// A TLS host is reached with the cert path's files; with DOCKER_TLS_VERIFY
// its certificate must be the cert path's CA's, without it any will do.
func TestTLSHostsAsTheDockerCLIReachesThem(t *testing.T) {
	s := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		_, _ = w.Write([]byte("OK"))
	}))
	s.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshake is the test's, not news
	s.StartTLS()
	defer s.Close()
	host := "tcp://" + s.Listener.Addr().String()
	theirs, other := t.TempDir(), t.TempDir()
	writeCerts(t, theirs, s.Certificate().Raw)
	writeCerts(t, other, nil)
	for _, tc := range []struct {
		name  string
		w     Where
		reach bool
	}{
		{"its CA, verified", Where{EnvHost: host, CertPath: theirs, TLSVerify: true}, true},
		{"another CA, verified", Where{EnvHost: host, CertPath: other, TLSVerify: true}, false},
		{"another CA, not verified", Where{EnvHost: host, CertPath: other}, true},
	} {
		tc.w.ConfigDir = t.TempDir()
		ep, err := Locate(tc.w)
		if err != nil {
			t.Fatal(err)
		}
		c, err := ep.Client()
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err = c.Ping(ctx)
		cancel()
		if (err == nil) != tc.reach {
			t.Errorf("%s: ping says %v; want reached=%v", tc.name, err, tc.reach)
		}
	}
}

// writeCerts writes a client key and certificate into dir, and ca.pem: the
// certificate caDER, or the client's own when nil.
func writeCerts(t *testing.T, dir string, caDER []byte) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	if caDER == nil {
		caDER = der
	}
	for name, block := range map[string]*pem.Block{
		"cert.pem": {Type: "CERTIFICATE", Bytes: der},
		"key.pem":  {Type: "EC PRIVATE KEY", Bytes: keyDER},
		"ca.pem":   {Type: "CERTIFICATE", Bytes: caDER},
	} {
		if err := os.WriteFile(filepath.Join(dir, name), pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}
