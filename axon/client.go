package axon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/connectivity"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// ErrInvalidResponse is wrapped by the client's error when an Infer
// response's leaf or MAC does not check out: the answer is not handed out.
var ErrInvalidResponse = errors.New("axon: invalid response")

// AxonTarget names a miner: its hotkey and subnet (what sessions are opened
// for), the host:port its axon serves on, and its certificate pin.
type AxonTarget struct {
	Hotkey  string
	Netuid  uint32
	Address string
	// TLSFingerprint is the miner's announced certificate pin
	// (MsgServeAxon.tls_fingerprint, CertFingerprint): set, the client
	// speaks TLS and refuses any other certificate (ErrTLSFingerprint);
	// empty, plaintext.
	TLSFingerprint string
}

// ClientOptions configures a Client. Start from DefaultClientOptions.
type ClientOptions struct {
	// ChainID is the chain the client's sessions are for. Required.
	ChainID string
	// DialOptions are added after the defaults (transport credentials,
	// message size limits), so they can replace them: a custom dialer for
	// tests.
	DialOptions []grpc.DialOption
	// Timeout bounds a call whose context has no deadline.
	Timeout time.Duration
	// MaxRecvMsgBytes is the largest response message accepted.
	MaxRecvMsgBytes int
	// MaxModelBytes bounds what DownloadModel accepts.
	MaxModelBytes uint64
	// SessionTTL is the session lifetime the client asks for; the miner may
	// grant less.
	SessionTTL time.Duration
	// RenewBefore opens a new session when the current one has less than
	// this left, so no request races its session's end.
	RenewBefore time.Duration
	// ReceiptTimeout bounds Answer.Receipt when its context has no
	// deadline.
	ReceiptTimeout time.Duration
}

// DefaultClientOptions returns options with a 30 s timeout, a 1 GiB model
// limit and 10-minute sessions renewed 30 s before they end; ChainID must
// be set.
func DefaultClientOptions() ClientOptions {
	return ClientOptions{
		Timeout:         30 * time.Second,
		MaxRecvMsgBytes: 16 << 20,
		MaxModelBytes:   1 << 30,
		SessionTTL:      10 * time.Minute,
		RenewBefore:     30 * time.Second,
		ReceiptTimeout:  5 * time.Second,
	}
}

// Client calls miners' axons. It opens a session per (miner hotkey,
// address, netuid, pin) on first use, MACs every request in it, checks every
// response's leaf and MAC, and opens a new session, retrying the request
// once, when the miner no longer knows the old one (it restarted, or the
// session expired). Connections are pooled by address and pin. A Client is
// safe for concurrent use; two Clients (two processes) with one hotkey hold
// separate sessions.
type Client struct {
	signer Signer
	opts   ClientOptions
	now    func() time.Time

	// skipResponseCheck turns off the response check; only the benchmarks
	// set it, to measure what the check costs. There is deliberately no
	// option for it.
	skipResponseCheck bool

	// ctx ends at Close, and with it the Receipts streams.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	conns    map[connKey]*clientConn
	sessions map[sessionKey]*sessionSlot
	closed   bool
}

type connKey struct{ address, pin string }

type sessionKey struct {
	hotkey  string
	netuid  uint32
	address string
	pin     string
}

// clientConn is a connection, the stub that calls over it and, under TLS,
// its pinned credentials.
type clientConn struct {
	cc    *grpc.ClientConn
	stub  axonpb.AxonClient
	creds *pinnedCreds
}

// sessionSlot holds a target's current session; its lock serializes
// handshakes, so concurrent first calls open one session.
type sessionSlot struct {
	mu  sync.Mutex
	cur *clientSession
}

// clientSession is the caller's end of a session.
type clientSession struct {
	id     []byte
	keys   sessionKeys
	expiry time.Time
	seq    atomic.Uint64
	book   *receiptBook
	macs   macPair
}

// NewClient returns a client that opens sessions with signer's hotkey.
func NewClient(signer Signer, opts ClientOptions) (*Client, error) {
	if signer == nil {
		return nil, errors.New("axon: NewClient needs a signer")
	}
	if _, err := AddressFromPubKey(signer.PubKey()); err != nil {
		return nil, fmt.Errorf("axon: signer public key: %w", err)
	}
	if opts.ChainID == "" {
		return nil, errors.New("axon: client chain_id is required")
	}
	if opts.Timeout <= 0 || opts.MaxRecvMsgBytes <= 0 || opts.MaxModelBytes == 0 || opts.SessionTTL <= 0 ||
		opts.RenewBefore < 0 || opts.RenewBefore >= opts.SessionTTL || opts.ReceiptTimeout <= 0 {
		return nil, errors.New("axon: client timeout, max_recv_msg_bytes, max_model_bytes, session_ttl and receipt_timeout must be positive, renew_before in [0, session_ttl)")
	}
	c := &Client{signer: signer, opts: opts, now: time.Now,
		conns: make(map[connKey]*clientConn), sessions: make(map[sessionKey]*sessionSlot)}
	c.ctx, c.cancel = context.WithCancel(context.Background())
	return c, nil
}

// conn returns the pooled connection to target, creating it on first use.
// grpc.NewClient connects lazily and reconnects by itself.
func (c *Client) conn(target AxonTarget) (*clientConn, *sessionSlot, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, nil, errors.New("axon: client is closed")
	}
	sk := sessionKey{target.Hotkey, target.Netuid, target.Address, target.TLSFingerprint}
	slot, ok := c.sessions[sk]
	if !ok {
		slot = &sessionSlot{}
		c.sessions[sk] = slot
	}
	ck := connKey{target.Address, target.TLSFingerprint}
	if pc, ok := c.conns[ck]; ok {
		return pc, slot, nil
	}
	pc := &clientConn{}
	creds := grpc.WithTransportCredentials(insecure.NewCredentials())
	if target.TLSFingerprint != "" {
		pc.creds = newPinnedCreds(target.TLSFingerprint)
		creds = grpc.WithTransportCredentials(pc.creds)
	}
	opts := append([]grpc.DialOption{creds,
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(c.opts.MaxRecvMsgBytes)),
	}, c.opts.DialOptions...)
	cc, err := grpc.NewClient(target.Address, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("axon: connect to %s: %w", target.Address, err)
	}
	pc.cc, pc.stub = cc, axonpb.NewAxonClient(cc)
	c.conns[ck] = pc
	return pc, slot, nil
}

// session returns slot's session, opening one when there is none or it is
// about to end.
func (c *Client) session(ctx context.Context, target AxonTarget, pc *clientConn, slot *sessionSlot) (*clientSession, error) {
	slot.mu.Lock()
	defer slot.mu.Unlock()
	if s := slot.cur; s != nil && c.now().Add(c.opts.RenewBefore).Before(s.expiry) {
		return s, nil
	}
	s, err := c.handshake(ctx, target, pc)
	if err != nil {
		return nil, err
	}
	slot.cur = s
	return s, nil
}

// drop forgets s if it is still slot's session.
func (slot *sessionSlot) drop(s *clientSession) {
	slot.mu.Lock()
	if slot.cur == s {
		slot.cur = nil
	}
	slot.mu.Unlock()
}

// handshake opens a session with target. Under TLS it first waits for the
// connection, whose exporter the handshake signs; if the connection was
// replaced in between, the miner refuses the signature and it tries once
// more on the new one.
func (c *Client) handshake(ctx context.Context, target AxonTarget, pc *clientConn) (*clientSession, error) {
	for attempt := 0; ; attempt++ {
		binding, err := c.binding(ctx, pc)
		if err != nil {
			return nil, err
		}
		now := c.now()
		req, eph, signed, err := NewHandshake(c.signer, target, c.opts.ChainID, now, now.Add(c.opts.SessionTTL), binding)
		if err != nil {
			return nil, err
		}
		resp, err := pc.stub.Handshake(ctx, req)
		if err != nil {
			if pc.creds != nil && attempt == 0 && status.Code(err) == codes.Unauthenticated {
				if again, _ := pc.creds.state(); !bytes.Equal(again, binding) {
					continue
				}
			}
			return nil, c.callError(pc, err)
		}
		keys, err := openSession(resp, req, signed, eph, target.Hotkey, c.now())
		if err != nil {
			return nil, fmt.Errorf("%w: handshake: %w", ErrInvalidResponse, err)
		}
		return &clientSession{id: resp.GetSessionId(), keys: keys, expiry: time.UnixMilli(resp.GetExpiryMs()),
			book: newReceiptBook(target.Hotkey)}, nil
	}
}

// binding waits for a TLS connection and returns its exporter; nil in
// plaintext.
func (c *Client) binding(ctx context.Context, pc *clientConn) ([]byte, error) {
	if pc.creds == nil {
		return nil, nil
	}
	pc.cc.Connect()
	for {
		st := pc.cc.GetState()
		if st == connectivity.Ready {
			b, _ := pc.creds.state()
			return b, nil
		}
		if st == connectivity.TransientFailure {
			if _, mismatch := pc.creds.state(); mismatch != nil {
				return nil, mismatch
			}
		}
		if !pc.cc.WaitForStateChange(ctx, st) {
			if _, mismatch := pc.creds.state(); mismatch != nil {
				return nil, mismatch
			}
			return nil, status.FromContextError(ctx.Err()).Err()
		}
	}
}

// callError returns the pin mismatch behind a failed call, if any, so the
// caller reads "fingerprint mismatch" rather than "unavailable".
func (c *Client) callError(pc *clientConn, err error) error {
	if pc.creds != nil && status.Code(err) == codes.Unavailable {
		if _, mismatch := pc.creds.state(); mismatch != nil {
			return mismatch
		}
	}
	return err
}

// header numbers and MACs a request in s; it returns the MAC bytes too.
func header(s *clientSession, method string, bodyHash []byte) (*axonpb.RequestHeader, []byte) {
	h := &axonpb.RequestHeader{SessionId: s.id, Sequence: s.seq.Add(1), BodySha256: bodyHash}
	macBytes := RequestMACBytes(method, h)
	c2m, _ := s.macs.get(&s.keys)
	h.Mac = c2m.sum(macBytes)
	return h, macBytes
}

// sessionRefused reports whether err is the miner refusing the session
// itself (the axon-session trailer), which a new session fixes.
func sessionRefused(err error, trailer metadata.MD) bool {
	return status.Code(err) == codes.Unauthenticated && len(trailer.Get(SessionTrailer)) > 0
}

// call runs fn in target's session; when the miner refuses the session it
// opens a new one and runs fn once more.
func (c *Client) call(ctx context.Context, target AxonTarget, fn func(ac axonpb.AxonClient, s *clientSession, trailer *metadata.MD) error) (*clientSession, error) {
	pc, slot, err := c.conn(target)
	if err != nil {
		return nil, err
	}
	for attempt := 0; ; attempt++ {
		s, err := c.session(ctx, target, pc, slot)
		if err != nil {
			return nil, err
		}
		var trailer metadata.MD
		err = fn(pc.stub, s, &trailer)
		if attempt == 0 && sessionRefused(err, trailer) {
			slot.drop(s)
			continue
		}
		return s, c.callError(pc, err)
	}
}

func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.opts.Timeout)
}

// Infer sends inputs to target in a session and returns the response once
// its leaf and MAC check out. Errors from the miner keep their gRPC status
// (status.Code works on them); a bad response wraps ErrInvalidResponse.
func (c *Client) Infer(ctx context.Context, target AxonTarget, inputs []*axonpb.Tensor) (*axonpb.InferResponse, error) {
	resp, s, _, err := c.infer(ctx, target, inputs, false)
	if err != nil {
		return nil, err
	}
	s.book.deliver(resp.GetBatches())
	return resp, nil
}

// infer is Infer that also returns the session the answer came in and,
// when asked, the reservation of its receipt.
func (c *Client) infer(ctx context.Context, target AxonTarget, inputs []*axonpb.Tensor, wantReceipt bool) (*axonpb.InferResponse, *clientSession, *awaitedReceipt, error) {
	for _, t := range inputs {
		if _, err := t.CheckData(); err != nil {
			return nil, nil, nil, fmt.Errorf("axon: infer input: %w", err)
		}
	}
	var awaited *awaitedReceipt
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	bodyHash := BodyHash(inputs)
	var resp *axonpb.InferResponse
	s, err := c.call(ctx, target, func(ac axonpb.AxonClient, s *clientSession, trailer *metadata.MD) error {
		h, macBytes := header(s, MethodInfer, bodyHash)
		if wantReceipt {
			awaited = s.book.reserve(h.GetSequence())
		}
		r, err := ac.Infer(ctx, &axonpb.InferRequest{Header: h, Inputs: inputs}, grpc.Trailer(trailer))
		if err == nil && !c.skipResponseCheck {
			err = checkResponse(s, h, requestHash(macBytes, h.GetMac()), r)
		}
		if err != nil {
			if awaited != nil {
				s.book.cancel(awaited)
				awaited = nil
			}
			return err
		}
		// The response is checked (above) before it is returned, never
		// after: a caller must not act on outputs the miner has not
		// vouched for.
		resp = r
		return nil
	})
	if err != nil {
		return nil, nil, nil, fmt.Errorf("axon: infer at %s (%s): %w", target.Hotkey, target.Address, err)
	}
	return resp, s, awaited, nil
}

// checkResponse checks an Infer response in session s to the request with
// header h and request hash reqHash: the leaf names this session, sequence,
// request and outputs, and the MAC under the miner-to-caller key covers it.
func checkResponse(s *clientSession, h *axonpb.RequestHeader, reqHash []byte, resp *axonpb.InferResponse) error {
	l := resp.GetLeaf()
	switch {
	case l == nil:
		return fmt.Errorf("%w: no receipt leaf", ErrInvalidResponse)
	case !bytes.Equal(l.GetSessionId(), s.id) || l.GetSequence() != h.GetSequence():
		return fmt.Errorf("%w: leaf is for another request", ErrInvalidResponse)
	case !bytes.Equal(l.GetRequestHash(), reqHash):
		return fmt.Errorf("%w: request_hash does not match the request", ErrInvalidResponse)
	case !bytes.Equal(l.GetResponseHash(), ResponseHash(resp.GetOutputs())):
		return fmt.Errorf("%w: response_hash does not match the outputs", ErrInvalidResponse)
	case len(l.GetModelSha256()) != sha256.Size:
		return fmt.Errorf("%w: model_sha256 is %d bytes, want %d", ErrInvalidResponse, len(l.GetModelSha256()), sha256.Size)
	}
	if _, m2c := s.macs.get(&s.keys); !m2c.check(ResponseMACBytes(s.id, l.GetSequence(), leafHashOf(l)), resp.GetMac()) {
		return fmt.Errorf("%w: bad MAC", ErrInvalidResponse)
	}
	return nil
}

// Info asks target to describe itself, in a session. The answer carries no
// MAC (under TLS the connection authenticates it); the client checks that
// it names the hotkey it was asked for.
func (c *Client) Info(ctx context.Context, target AxonTarget) (*axonpb.InfoResponse, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	var resp *axonpb.InfoResponse
	_, err := c.call(ctx, target, func(ac axonpb.AxonClient, s *clientSession, trailer *metadata.MD) error {
		h, _ := header(s, MethodInfo, BodyHash(nil))
		var err error
		resp, err = ac.Info(ctx, &axonpb.InfoRequest{Header: h}, grpc.Trailer(trailer))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("axon: info at %s (%s): %w", target.Hotkey, target.Address, err)
	}
	if resp.GetHotkey() != target.Hotkey {
		return nil, fmt.Errorf("axon: info at %s answered as %s", target.Address, resp.GetHotkey())
	}
	return resp, nil
}

// DownloadModel streams target's model file into w and returns its SHA-256
// and size. The caller compares the hash with the miner's commitment on
// chain; the client checks that chunks are contiguous, that their total is
// the announced size and that it stays under MaxModelBytes.
func (c *Client) DownloadModel(ctx context.Context, target AxonTarget, w io.Writer) ([]byte, uint64, error) {
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	var sum []byte
	var n uint64
	_, err := c.call(ctx, target, func(ac axonpb.AxonClient, s *clientSession, trailer *metadata.MD) error {
		h, _ := header(s, MethodModelDownload, BodyHash(nil))
		stream, err := ac.ModelDownload(ctx, &axonpb.ModelDownloadRequest{Header: h})
		if err != nil {
			return err
		}
		sum, n, err = c.receiveModel(stream, w)
		if n == 0 && err != nil {
			*trailer = stream.Trailer() // a session refusal comes before any chunk
		}
		return err
	})
	if err != nil {
		return nil, n, fmt.Errorf("axon: model download from %s (%s): %w", target.Hotkey, target.Address, err)
	}
	return sum, n, nil
}

func (c *Client) receiveModel(stream grpc.ServerStreamingClient[axonpb.ModelChunk], w io.Writer) ([]byte, uint64, error) {
	hash := sha256.New()
	var n, total uint64
	for first := true; ; first = false {
		chunk, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, n, err
		}
		if first {
			total = chunk.GetTotalSize()
			if total > c.opts.MaxModelBytes {
				return nil, n, fmt.Errorf("model is %d bytes, the limit is %d", total, c.opts.MaxModelBytes)
			}
		}
		size := uint64(len(chunk.GetData()))
		if chunk.GetTotalSize() != total || chunk.GetOffset() != n || size > total-n {
			return nil, n, fmt.Errorf("chunk at %d (+%d of %d) does not follow byte %d of %d",
				chunk.GetOffset(), size, chunk.GetTotalSize(), n, total)
		}
		if _, err := w.Write(chunk.GetData()); err != nil {
			return nil, n, fmt.Errorf("write model: %w", err)
		}
		hash.Write(chunk.GetData())
		n += size
	}
	if n != total {
		return nil, n, fmt.Errorf("stream ended at byte %d of %d", n, total)
	}
	return hash.Sum(nil), n, nil
}

// Close closes every pooled connection; calls after Close fail.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	c.cancel()
	var errs []error
	for k, pc := range c.conns {
		if err := pc.cc.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", k.address, err))
		}
		delete(c.conns, k)
	}
	clear(c.sessions)
	return errors.Join(errs...)
}

// Session is a caller's end of a session for callers that build requests
// themselves (tools, tests, a gateway relaying its own stubs); Client does
// all of this by itself.
type Session struct{ s *clientSession }

// OpenSession runs a handshake with target over stub (plaintext: binding
// nil; TLS: the connection's exporter, see TLSExporterLabel) and returns the
// session.
func OpenSession(ctx context.Context, stub axonpb.AxonClient, signer Signer, target AxonTarget, chainID string, ttl time.Duration, binding []byte) (*Session, error) {
	now := time.Now()
	req, eph, signed, err := NewHandshake(signer, target, chainID, now, now.Add(ttl), binding)
	if err != nil {
		return nil, err
	}
	resp, err := stub.Handshake(ctx, req)
	if err != nil {
		return nil, fmt.Errorf("axon: handshake with %s: %w", target.Hotkey, err)
	}
	keys, err := openSession(resp, req, signed, eph, target.Hotkey, time.Now())
	if err != nil {
		return nil, fmt.Errorf("%w: handshake: %w", ErrInvalidResponse, err)
	}
	return &Session{&clientSession{id: resp.GetSessionId(), keys: keys, expiry: time.UnixMilli(resp.GetExpiryMs()),
		book: newReceiptBook(target.Hotkey)}}, nil
}

// Header numbers and MACs a request to method with body (nil for Info,
// ModelDownload and Receipts) in the session.
func (s *Session) Header(method string, body []*axonpb.Tensor) *axonpb.RequestHeader {
	h, _ := header(s.s, method, BodyHash(body))
	return h
}

// CheckInferResponse checks resp to the Infer request with header h the
// way Client.Infer does (leaf and MAC), and wraps ErrInvalidResponse.
func (s *Session) CheckInferResponse(h *axonpb.RequestHeader, resp *axonpb.InferResponse) error {
	return checkResponse(s.s, h, RequestHash(MethodInfer, h), resp)
}

func leafHashOf(l *axonpb.ReceiptLeaf) []byte {
	h := ReceiptLeafHash(l)
	return h[:]
}
