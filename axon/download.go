package axon

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc/peer"
)

// minChunkBudget is the least time a reader gets to take one chunk of a
// model download, whatever download_min_bytes_per_sec says: scheduling
// pauses must not cut an honest reader.
const minChunkBudget = time.Second

// downloadSlots admits ModelDownload streams: at most one per caller hotkey
// and at most limit in all. One slot per hotkey means a caller that opens
// streams and never reads them blocks only itself: it cannot take the slots
// other validators need (a validator and a gateway sharing a hotkey share
// its slot too). It is safe for concurrent use.
type downloadSlots struct {
	limit int

	mu     sync.Mutex
	active map[string]struct{}
}

func newDownloadSlots(limit int) *downloadSlots {
	return &downloadSlots{limit: limit, active: make(map[string]struct{})}
}

// acquire takes caller's slot, or returns an errBusy error naming the limit
// that refused it. The caller calls release once its stream ends.
func (d *downloadSlots) acquire(caller string) (release func(), err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.active[caller]; ok {
		return nil, fmt.Errorf("%w: a model download for this caller hotkey is already in progress (one per hotkey)", errBusy)
	}
	if len(d.active) >= d.limit {
		return nil, fmt.Errorf("%w: %d model downloads in progress (max_concurrent_downloads)", errBusy, d.limit)
	}
	d.active[caller] = struct{}{}
	return func() {
		d.mu.Lock()
		delete(d.active, caller)
		d.mu.Unlock()
	}, nil
}

// inUse is how many slots are taken.
func (d *downloadSlots) inUse() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.active)
}

// chunkBudget is how long a reader may take to accept one chunk:
// download_chunk_bytes at download_min_bytes_per_sec, at least
// minChunkBudget.
func (c ServerConfig) chunkBudget() time.Duration {
	return max(minChunkBudget, time.Duration(int64(c.DownloadChunkBytes)*int64(time.Second)/c.DownloadMinBytesPerSec))
}

// downloadWatch cuts a download whose reader stalls or that runs past
// download_timeout. gRPC's Send blocks, once the HTTP/2 flow-control window
// is full, until the reader takes data; only closing the connection
// releases it, so a cut closes the caller's connection (its other calls on
// it fail too: it is the caller that stalled).
type downloadWatch struct {
	ctx      context.Context
	start    time.Time
	budget   time.Duration
	deadline *time.Timer
	// state is nil while the download runs, then the cut or finished;
	// whichever comes first wins.
	state atomic.Pointer[downloadCut]
}

// downloadCut is why a download was cut.
type downloadCut struct {
	kind   string // cutStalled or cutTimeout, the metric's label
	detail string
}

// Kinds of cut downloads.
const (
	cutStalled = "stalled"
	cutTimeout = "timeout"
)

// finished marks a download that ended before any cut.
var finished = new(downloadCut)

func (s *Server) watchDownload(ctx context.Context) *downloadWatch {
	w := &downloadWatch{ctx: ctx, start: time.Now(), budget: s.cfg.chunkBudget()}
	w.deadline = time.AfterFunc(s.cfg.DownloadTimeout, func() {
		w.cut(cutTimeout, fmt.Sprintf("not finished within download_timeout %s", s.cfg.DownloadTimeout))
	})
	return w
}

// cut records why and closes the stream's connection, unless the download
// already finished or was cut.
func (w *downloadWatch) cut(kind, detail string) {
	if w.state.CompareAndSwap(nil, &downloadCut{kind: kind, detail: detail}) {
		cutPeer(w.ctx)
	}
}

// send runs one Send, cutting the download when the reader has not taken
// the previous data within the budget.
func (w *downloadWatch) send(send func() error, offset uint64) error {
	t := time.AfterFunc(w.budget, func() {
		w.cut(cutStalled, fmt.Sprintf("reader took no data for %s at byte %d (download_min_bytes_per_sec)", w.budget, offset))
	})
	defer t.Stop()
	return send()
}

// stop ends the watch; it returns the cut, nil if the download was not cut.
func (w *downloadWatch) stop() *downloadCut {
	w.deadline.Stop()
	if w.state.CompareAndSwap(nil, finished) {
		return nil
	}
	if c := w.state.Load(); c != finished {
		return c
	}
	return nil
}

// cutListener hands out connections whose remote address can close them:
// gRPC reports a connection's RemoteAddr as the peer of its streams, so a
// handler can cut the connection a stalled stream runs on.
type cutListener struct{ net.Listener }

// Accept wraps the accepted connection.
func (l cutListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &cutConn{Conn: c, addr: &cutAddr{Addr: c.RemoteAddr(), conn: c}}, nil
}

// cutConn is a connection whose RemoteAddr is a cutAddr.
type cutConn struct {
	net.Conn
	addr *cutAddr
}

// RemoteAddr returns the peer's address, which can close the connection.
func (c *cutConn) RemoteAddr() net.Addr { return c.addr }

// cutAddr is a peer address that knows its connection; it prints as the
// address it wraps.
type cutAddr struct {
	net.Addr
	conn net.Conn
}

// cutPeer closes the connection of ctx's peer; false when ctx's peer did
// not come through a cutListener.
func cutPeer(ctx context.Context) bool {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return false
	}
	a, ok := p.Addr.(*cutAddr)
	if !ok {
		return false
	}
	_ = a.conn.Close()
	return true
}
