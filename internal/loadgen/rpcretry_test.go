package loadgen

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"syscall"
	"testing"
)

// failingTransport fails its first fails round trips with err and records
// every body it was sent.
type failingTransport struct {
	fails int
	err   error
	calls int
	seen  []string
}

func (f *failingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	f.calls++
	b, _ := io.ReadAll(req.Body)
	f.seen = append(f.seen, string(b))
	if f.calls <= f.fails {
		return nil, f.err
	}
	return &http.Response{StatusCode: 200, Body: io.NopCloser(bytes.NewReader(nil))}, nil
}

func TestRetryReadsResendsAfterADroppedConnection(t *testing.T) {
	for _, c := range []struct {
		name      string
		fails     int
		err       error
		wantCalls int
		wantErr   bool
	}{
		{"reset once", 1, fmt.Errorf("read tcp: %w", syscall.ECONNRESET), 2, false},
		{"EOF twice", 2, io.EOF, 3, false},
		{"reset three times", 3, syscall.ECONNRESET, 3, true},
		{"refused", 1, syscall.ECONNREFUSED, 1, true}, // the node is down: no retry
	} {
		t.Run(c.name, func(t *testing.T) {
			ft := &failingTransport{fails: c.fails, err: c.err}
			req, err := http.NewRequest("POST", "http://127.0.0.1:1/", bytes.NewBufferString(`{"method":"status"}`))
			if err != nil {
				t.Fatal(err)
			}
			res, err := retryReads{next: ft}.RoundTrip(req)
			if (err != nil) != c.wantErr || ft.calls != c.wantCalls {
				t.Fatalf("err %v after %d calls, want error %v after %d", err, ft.calls, c.wantErr, c.wantCalls)
			}
			if err == nil {
				_ = res.Body.Close()
			} else if !errors.Is(err, c.err) {
				t.Errorf("error %v does not wrap %v", err, c.err)
			}
			for i, b := range ft.seen {
				if b != `{"method":"status"}` {
					t.Errorf("attempt %d sent body %q", i+1, b)
				}
			}
		})
	}
}
