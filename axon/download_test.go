package axon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/grpc/test/bufconn"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

func TestDownloadSlots(t *testing.T) {
	d := newDownloadSlots(2)
	relA, err := d.acquire("a")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		caller string
		want   string // "" admits
	}{
		{"second stream of a hotkey", "a", "one per hotkey"},
		{"another hotkey", "b", ""},
		{"total cap", "c", "max_concurrent_downloads"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := d.acquire(tc.caller)
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errors.Is(err, errBusy) || codeOf(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want ResourceExhausted naming %q", err, tc.want)
			}
		})
	}
	relA()
	if _, err := d.acquire("a"); err != nil || d.inUse() != 2 {
		t.Fatalf("after release: %v, %d in use", err, d.inUse())
	}
}

func TestChunkBudget(t *testing.T) {
	tests := []struct {
		chunk int
		rate  int64
		want  time.Duration
	}{
		{1 << 20, 256 << 10, 4 * time.Second},
		{1 << 20, 1 << 20, time.Second},
		{1000, 256 << 10, minChunkBudget},
	}
	for _, tc := range tests {
		c := ServerConfig{DownloadChunkBytes: tc.chunk, DownloadMinBytesPerSec: tc.rate}
		if got := c.chunkBudget(); got != tc.want {
			t.Errorf("chunk %d at %d B/s: budget %s, want %s", tc.chunk, tc.rate, got, tc.want)
		}
	}
}

// bigModel is linearModel serving a file of size bytes: larger than the
// HTTP/2 flow-control window, so a reader that does not read blocks Send.
func bigModel(size int) *linearModel {
	file := bytes.Repeat([]byte("0123456789abcdef"), size/16)
	return &linearModel{file: file, sum: sha256.Sum256(file)}
}

// staller is a permit holder that opens ModelDownload streams on its own
// connection and never reads them. Its connection keeps the smallest
// flow-control windows (no BDP growth), as an attacker's would.
type staller struct {
	signer *KeySigner
	raw    axonpb.AxonClient
	conn   *grpc.ClientConn
	sess   *clientSession
}

// newStaller registers seed with a permit and connects it to f's server
// over a listener of its own.
func newStaller(t *testing.T, f *fixture, seed string) *staller {
	t.Helper()
	s := &staller{signer: testSigner(t, seed)}
	f.meta.SetNeuron(testNetuid, s.signer.Address(), NeuronInfo{UID: 9, Stake: 1, ValidatorPermit: true})
	lis := bufconn.Listen(1 << 20)
	go func() { _ = f.srv.Serve(lis) }()
	var err error
	s.conn, err = grpc.NewClient("passthrough:///staller",
		grpc.WithContextDialer(func(ctx context.Context, _ string) (net.Conn, error) { return lis.DialContext(ctx) }),
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.conn.Close() })
	s.raw = axonpb.NewAxonClient(s.conn)
	return s
}

// open starts a download and waits for its response headers (sent with the
// first chunk, or with a refusal) without reading any chunk.
func (s *staller) open(t *testing.T, f *fixture) axonpb.Axon_ModelDownloadClient {
	t.Helper()
	if s.sess == nil {
		now := time.Now()
		req, eph, signed, err := NewHandshake(s.signer, f.target, testChainID, now, now.Add(time.Minute), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := s.raw.Handshake(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := openSession(resp, req, signed, eph, f.miner.Address(), now)
		if err != nil {
			t.Fatal(err)
		}
		s.sess = &clientSession{id: resp.GetSessionId(), keys: keys}
	}
	h, _ := header(s.sess, MethodModelDownload, BodyHash(nil))
	stream, err := s.raw.ModelDownload(context.Background(), &axonpb.ModelDownloadRequest{Header: h})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := stream.Header(); err != nil {
		t.Fatalf("stalled stream headers: %v", err)
	}
	return stream
}

// drainErr reads stream to its end and returns the error that ended it.
func drainErr(stream axonpb.Axon_ModelDownloadClient) error {
	for {
		if _, err := stream.Recv(); err != nil {
			return err
		}
	}
}

// download downloads f's model as f's caller and checks the bytes.
func download(t *testing.T, f *fixture, want *linearModel) time.Duration {
	t.Helper()
	start := time.Now()
	var buf bytes.Buffer
	sum, _, err := f.client.DownloadModel(context.Background(), f.target, &buf)
	if err != nil {
		t.Fatalf("honest download: %v", err)
	}
	if !bytes.Equal(sum, want.sum[:]) || !bytes.Equal(buf.Bytes(), want.file) {
		t.Fatal("honest download: wrong bytes")
	}
	return time.Since(start)
}

// untilCut waits for the server to have cut n downloads of kind.
func untilCut(t *testing.T, f *fixture, kind string, n float64) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for metricValue(t, f.srv.metrics.downloadCuts.WithLabelValues(kind)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("no %s download cut within 30 s", kind)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestStalledDownloads is attack 4 of issue 15: a permit holder opens
// ModelDownload streams and never reads them, hoping to hold every download
// slot so that honest validators get ResourceExhausted and flag the miner.
// With one slot per hotkey it holds one; its second stream is refused; the
// stalled stream is cut by the throughput rule (or by download_timeout) and
// its connection closed; honest validators download throughout.
func TestStalledDownloads(t *testing.T) {
	model := bigModel(1 << 20)
	base := func(c *ServerConfig) {
		c.DownloadChunkBytes, c.MaxConcurrentDownloads = 64<<10, 2 // two slots, as in the attack
	}
	t.Run("a stalled stream holds only its own slot", func(t *testing.T) {
		f := newFixture(t, model, func(c *ServerConfig) { base(c); c.DownloadMinBytesPerSec = 1 }) // never cut here
		a := newStaller(t, f, "attacker")
		a.open(t, f)
		err := drainErr(a.open(t, f)) // refused at once: its end comes without reading data
		if status.Code(err) != codes.ResourceExhausted || !strings.Contains(err.Error(), "one per hotkey") {
			t.Fatalf("second stalled stream: %v, want ResourceExhausted naming the per-hotkey slot", err)
		}
		for i := range 3 {
			d := download(t, f, model)
			t.Logf("honest download %d of %d bytes beside a stalled stream: %s", i+1, len(model.file), d)
		}
		if n := f.srv.downloads.inUse(); n != 1 {
			t.Fatalf("%d slots in use after the honest downloads, want the staller's 1", n)
		}
	})
	t.Run("a stalled stream is cut by the throughput rule", func(t *testing.T) {
		f := newFixture(t, model, func(c *ServerConfig) { base(c); c.DownloadMinBytesPerSec = 1 << 20 }) // budget: 1 s
		a := newStaller(t, f, "attacker")
		start := time.Now()
		stream := a.open(t, f)
		honest := download(t, f, model)
		untilCut(t, f, cutStalled, 1)
		lived := time.Since(start)
		t.Logf("stalled stream cut after %s (chunk budget %s); honest download of %d bytes meanwhile: %s",
			lived, f.srv.cfg.chunkBudget(), len(model.file), honest)
		if lived < f.srv.cfg.chunkBudget() {
			t.Fatalf("cut after %s, before the chunk budget %s", lived, f.srv.cfg.chunkBudget())
		}
		if err := drainErr(stream); status.Code(err) != codes.Unavailable {
			t.Fatalf("the staller's stream ended with %v, want Unavailable (its connection closed)", err)
		}
		if n := f.srv.downloads.inUse(); n != 0 {
			t.Fatalf("%d slots in use after the cut", n)
		}
		if got := metricValue(t, f.srv.metrics.downloadCuts.WithLabelValues(cutTimeout)); got != 0 {
			t.Fatalf("%v timeout cuts, want 0", got)
		}
		download(t, f, model) // the server serves on
	})
	t.Run("a slow stream is cut at download_timeout", func(t *testing.T) {
		f := newFixture(t, model, func(c *ServerConfig) {
			base(c)
			c.DownloadMinBytesPerSec, c.DownloadTimeout = 1, 300*time.Millisecond
		})
		a := newStaller(t, f, "attacker")
		start := time.Now()
		stream := a.open(t, f)
		untilCut(t, f, cutTimeout, 1)
		lived := time.Since(start)
		t.Logf("stalled stream cut after %s by download_timeout %s", lived, f.srv.cfg.DownloadTimeout)
		if lived < f.srv.cfg.DownloadTimeout {
			t.Fatalf("cut after %s, before download_timeout", lived)
		}
		if err := drainErr(stream); status.Code(err) != codes.Unavailable {
			t.Fatalf("the staller's stream ended with %v, want Unavailable", err)
		}
		// the slot is free again: the same hotkey may download (and read)
		if n, err := readAll(a.open(t, f)); err != nil || n != len(model.file) {
			t.Fatalf("the staller reading after the cut: %d bytes, %v", n, err)
		}
	})
}

// readAll reads a download stream to its end and returns the bytes it
// carried.
func readAll(stream axonpb.Axon_ModelDownloadClient) (int, error) {
	n := 0
	for {
		c, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		n += len(c.GetData())
	}
}
