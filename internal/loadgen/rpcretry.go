package loadgen

import (
	"errors"
	"io"
	"net/http"
	"syscall"
	"time"
)

// retryReads is the transport of the node RPC client. The generator asks
// the RPC only to read (status, blocks, block results, the mempool size),
// so a request that failed because the node dropped a kept-alive
// connection (a reset, or EOF before any answer: it happens when the load's
// cancelled requests leave the pool with dead connections) is sent again,
// up to twice, on a fresh connection.
type retryReads struct{ next http.RoundTripper }

func (t retryReads) RoundTrip(req *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		res, err := t.next.RoundTrip(req)
		if err == nil || attempt == 2 || !droppedConn(err) || req.Context().Err() != nil {
			return res, err
		}
		if req.Body != nil {
			if req.GetBody == nil {
				return res, err
			}
			body, gerr := req.GetBody()
			if gerr != nil {
				return res, err
			}
			req = req.Clone(req.Context())
			req.Body = body
		}
		time.Sleep(time.Duration(attempt+1) * 50 * time.Millisecond)
	}
}

// droppedConn reports whether err is the peer closing the connection.
func droppedConn(err error) bool {
	return errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}
