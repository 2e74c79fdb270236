package axon

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"sync"
	"time"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"
)

// Files of the TLS directory (ServerConfig.TLSDir).
const (
	TLSCertFile = "cert.pem"
	TLSKeyFile  = "key.pem"
)

// ErrTLSFingerprint is wrapped by the client's error when a miner presents
// a certificate other than the one its hotkey announced on chain.
var ErrTLSFingerprint = errors.New("axon TLS fingerprint mismatch")

// CertFingerprint is the pin of a certificate: lowercase hex SHA-256 of its
// DER encoding, what MsgServeAxon.tls_fingerprint carries.
func CertFingerprint(der []byte) string {
	sum := sha256.Sum256(der)
	return hex.EncodeToString(sum[:])
}

// LoadOrCreateTLS returns the axon's certificate kept in dir (cert.pem,
// key.pem), creating a self-signed ECDSA P-256 one on first use (the key
// file 0600, the directory 0700). An empty dir makes a certificate that
// lives as long as the process.
func LoadOrCreateTLS(dir string) (tls.Certificate, error) {
	if dir != "" {
		certPath, keyPath := filepath.Join(dir, TLSCertFile), filepath.Join(dir, TLSKeyFile)
		cert, err := tls.LoadX509KeyPair(certPath, keyPath)
		if err == nil {
			return cert, nil
		}
		if _, statErr := os.Stat(certPath); !errors.Is(statErr, os.ErrNotExist) {
			return tls.Certificate{}, fmt.Errorf("axon: TLS certificate in %s: %w", dir, err)
		}
	}
	certPEM, keyPEM, err := selfSigned()
	if err != nil {
		return tls.Certificate{}, err
	}
	if dir != "" {
		if err := writeTLS(dir, certPEM, keyPEM); err != nil {
			return tls.Certificate{}, err
		}
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("axon: TLS key pair: %w", err)
	}
	return cert, nil
}

// selfSigned makes a self-signed ECDSA P-256 certificate. Clients pin it by
// fingerprint, so its names and lifetime carry no trust; it is valid for
// 20 years so that it never needs renewing.
func selfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("axon: TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, nil, fmt.Errorf("axon: TLS serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "tensorcosm-axon"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(20, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"tensorcosm-axon"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("axon: TLS certificate: %w", err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("axon: TLS key encoding: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// writeTLS writes the key first (0600) and the certificate last, each
// through a temporary file and a rename, so a crash leaves either both or
// a key without a certificate, which the next start replaces.
func writeTLS(dir string, certPEM, keyPEM []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("axon: TLS dir: %w", err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{TLSKeyFile, keyPEM}, {TLSCertFile, certPEM}} {
		tmp := filepath.Join(dir, f.name+".tmp")
		if err := os.WriteFile(tmp, f.data, 0o600); err != nil {
			return fmt.Errorf("axon: write %s: %w", f.name, err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, f.name)); err != nil {
			return fmt.Errorf("axon: write %s: %w", f.name, err)
		}
	}
	return nil
}

// serverTLSConfig serves cert with TLS 1.3 only (the exporter binding is
// defined for it, and there is no legacy client to serve).
func serverTLSConfig(cert tls.Certificate) *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS13}
}

// exportBinding returns the TLS binding of a connection state.
func exportBinding(cs *tls.ConnectionState) ([]byte, error) {
	return cs.ExportKeyingMaterial(TLSExporterLabel, nil, TLSBindingSize)
}

// peerBinding returns the TLS binding of the connection a request came on,
// nil for plaintext.
func peerBinding(ctx context.Context) ([]byte, error) {
	p, ok := peer.FromContext(ctx)
	if !ok || p.AuthInfo == nil {
		return nil, nil
	}
	ti, ok := p.AuthInfo.(credentials.TLSInfo)
	if !ok {
		return nil, nil
	}
	return exportBinding(&ti.State)
}

// pinnedCreds are the client's TLS credentials for one miner: the
// certificate must have the pinned fingerprint (the CA chain is not
// checked: the pin is the trust), and the binding of the latest connection
// is kept for the next handshake.
type pinnedCreds struct {
	credentials.TransportCredentials
	pin string

	mu       sync.Mutex
	binding  []byte
	mismatch error
}

func newPinnedCreds(pin string) *pinnedCreds {
	p := &pinnedCreds{pin: pin}
	cfg := &tls.Config{
		MinVersion:         tls.VersionTLS13,
		InsecureSkipVerify: true, //nolint:gosec // G402: the fingerprint pin below replaces the CA chain
		VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return p.fail(fmt.Errorf("%w: metagraph has %s, miner presented no certificate", ErrTLSFingerprint, pin))
			}
			if got := CertFingerprint(raw[0]); got != pin {
				return p.fail(fmt.Errorf("%w: metagraph has %s, miner presented %s", ErrTLSFingerprint, pin, got))
			}
			return nil
		},
	}
	p.TransportCredentials = credentials.NewTLS(cfg)
	return p
}

func (p *pinnedCreds) fail(err error) error {
	p.mu.Lock()
	p.mismatch = err
	p.mu.Unlock()
	return err
}

// ClientHandshake implements credentials.TransportCredentials: it records
// the new connection's binding.
func (p *pinnedCreds) ClientHandshake(ctx context.Context, authority string, raw net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn, info, err := p.TransportCredentials.ClientHandshake(ctx, authority, raw)
	if err != nil {
		return nil, nil, err
	}
	ti, ok := info.(credentials.TLSInfo)
	if !ok {
		_ = conn.Close()
		return nil, nil, errors.New("axon: TLS credentials made no TLS connection")
	}
	b, err := exportBinding(&ti.State)
	if err != nil {
		_ = conn.Close()
		return nil, nil, fmt.Errorf("axon: TLS exporter: %w", err)
	}
	p.mu.Lock()
	p.binding, p.mismatch = b, nil
	p.mu.Unlock()
	return conn, info, nil
}

// Clone implements credentials.TransportCredentials.
func (p *pinnedCreds) Clone() credentials.TransportCredentials { return newPinnedCreds(p.pin) }

// state returns the latest connection's binding and the latest pin error.
func (p *pinnedCreds) state() ([]byte, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.binding, p.mismatch
}
