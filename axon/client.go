package axon

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/tensorcosm/tensorcosm/axon/axonpb"
)

// AxonTarget names a miner: its hotkey and subnet (what the request is
// signed for) and the host:port its axon serves on.
type AxonTarget struct {
	Hotkey  string
	Netuid  uint32
	Address string
}

// ClientOptions configures a Client. Start from DefaultClientOptions.
type ClientOptions struct {
	// DialOptions are added after the defaults (plaintext transport, message
	// size limits), so they can replace them: TLS credentials, a custom
	// dialer for tests.
	DialOptions []grpc.DialOption
	// Timeout bounds a call whose context has no deadline.
	Timeout time.Duration
	// MaxRecvMsgBytes is the largest response message accepted.
	MaxRecvMsgBytes int
	// MaxModelBytes bounds what DownloadModel accepts.
	MaxModelBytes uint64
}

// DefaultClientOptions returns options for plaintext gRPC with a 30 s
// timeout and a 1 GiB model limit.
func DefaultClientOptions() ClientOptions {
	return ClientOptions{
		Timeout:         30 * time.Second,
		MaxRecvMsgBytes: 16 << 20,
		MaxModelBytes:   1 << 30,
	}
}

// Client calls miners' axons, signing every request with its signer and
// checking every receipt. Connections are pooled by address and shared by
// concurrent calls. A Client is safe for concurrent use.
type Client struct {
	signer Signer
	opts   ClientOptions
	now    func() time.Time
	last   atomic.Uint64

	// skipReceiptCheck turns off receipt verification; only the benchmarks
	// set it, to measure what the check costs. There is deliberately no
	// option for it: a response is trusted only once its receipt verifies.
	skipReceiptCheck bool

	mu     sync.Mutex
	conns  map[string]pooledConn
	closed bool
}

// pooledConn is a connection and the stub that calls over it.
type pooledConn struct {
	cc   *grpc.ClientConn
	stub axonpb.AxonClient
}

// NewClient returns a client that signs with signer.
func NewClient(signer Signer, opts ClientOptions) (*Client, error) {
	if signer == nil {
		return nil, errors.New("axon: NewClient needs a signer")
	}
	if _, err := AddressFromPubKey(signer.PubKey()); err != nil {
		return nil, fmt.Errorf("axon: signer public key: %w", err)
	}
	if opts.Timeout <= 0 || opts.MaxRecvMsgBytes <= 0 || opts.MaxModelBytes == 0 {
		return nil, errors.New("axon: client timeout, max_recv_msg_bytes and max_model_bytes must be positive")
	}
	return &Client{signer: signer, opts: opts, now: time.Now, conns: make(map[string]pooledConn)}, nil
}

// nextNonce returns max(now in ns, last nonce + 1): strictly increasing
// across goroutines even when the clock is coarse or steps back.
func (c *Client) nextNonce() uint64 {
	for {
		last := c.last.Load()
		n := max(uint64(c.now().UnixNano()), last+1)
		if c.last.CompareAndSwap(last, n) {
			return n
		}
	}
}

// NewRequestHeader builds and signs a header for a request to method at
// target whose body hashes to bodyHash (see BodyHash).
func NewRequestHeader(s Signer, method string, target AxonTarget, bodyHash []byte, nonce uint64) (*axonpb.RequestHeader, error) {
	h, _, err := signHeader(s, method, target, bodyHash, nonce)
	return h, err
}

// signHeader is NewRequestHeader that also returns the signed bytes, from
// which the client derives the request hash its receipt must carry.
func signHeader(s Signer, method string, target AxonTarget, bodyHash []byte, nonce uint64) (*axonpb.RequestHeader, []byte, error) {
	h := &axonpb.RequestHeader{
		CallerHotkey: s.Address(),
		CallerPubkey: s.PubKey(),
		TargetHotkey: target.Hotkey,
		Netuid:       target.Netuid,
		Nonce:        nonce,
		BodySha256:   bodyHash,
	}
	msg := HeaderSignBytes(method, h)
	sig, err := s.Sign(msg)
	if err != nil {
		return nil, nil, fmt.Errorf("axon: sign request header: %w", err)
	}
	h.Signature = sig
	return h, msg, nil
}

func (c *Client) header(method string, target AxonTarget, body []*axonpb.Tensor) (*axonpb.RequestHeader, []byte, error) {
	return signHeader(c.signer, method, target, BodyHash(body), c.nextNonce())
}

// conn returns the pooled connection to address, creating it on first use.
// grpc.NewClient connects lazily and reconnects by itself, so one
// connection per address serves for the client's lifetime.
func (c *Client) conn(address string) (axonpb.AxonClient, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errors.New("axon: client is closed")
	}
	if pc, ok := c.conns[address]; ok {
		return pc.stub, nil
	}
	opts := append([]grpc.DialOption{
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(c.opts.MaxRecvMsgBytes)),
	}, c.opts.DialOptions...)
	cc, err := grpc.NewClient(address, opts...)
	if err != nil {
		return nil, fmt.Errorf("axon: connect to %s: %w", address, err)
	}
	pc := pooledConn{cc: cc, stub: axonpb.NewAxonClient(cc)}
	c.conns[address] = pc
	return pc.stub, nil
}

func (c *Client) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if _, ok := ctx.Deadline(); ok {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, c.opts.Timeout)
}

// Infer signs and sends inputs to target and returns the response once its
// receipt is verified (VerifyReceipt). Errors from the miner keep their
// gRPC status (status.Code works on them); a bad receipt wraps
// ErrInvalidReceipt.
func (c *Client) Infer(ctx context.Context, target AxonTarget, inputs []*axonpb.Tensor) (*axonpb.InferResponse, error) {
	_, resp, err := c.InferSigned(ctx, target, inputs)
	return resp, err
}

// InferSigned is Infer that also returns the signed request, which a
// receipt is only verifiable with: keep both to show others (the gateway's
// users, audits) what the miner answered.
func (c *Client) InferSigned(ctx context.Context, target AxonTarget, inputs []*axonpb.Tensor) (*axonpb.InferRequest, *axonpb.InferResponse, error) {
	for _, t := range inputs {
		if _, err := t.CheckData(); err != nil {
			return nil, nil, fmt.Errorf("axon: infer input: %w", err)
		}
	}
	ac, err := c.conn(target.Address)
	if err != nil {
		return nil, nil, err
	}
	h, signed, err := c.header(MethodInfer, target, inputs)
	if err != nil {
		return nil, nil, err
	}
	req := &axonpb.InferRequest{Header: h, Inputs: inputs}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	resp, err := ac.Infer(ctx, req)
	if err != nil {
		return nil, nil, fmt.Errorf("axon: infer at %s (%s): %w", target.Hotkey, target.Address, err)
	}
	// The receipt is checked before the response is returned, never after:
	// a caller must not act on outputs the miner has not signed for. Built
	// from this header, req passes VerifyReceipt exactly when the receipt
	// passes checkReceipt.
	if !c.skipReceiptCheck {
		if err := checkReceipt(requestHash(signed, h.GetSignature()), target.Hotkey, resp); err != nil {
			return nil, nil, fmt.Errorf("axon: infer at %s (%s): %w", target.Hotkey, target.Address, err)
		}
	}
	return req, resp, nil
}

// Info asks target to describe itself. The answer is not signed; the
// client checks only that it names the hotkey it was asked for.
func (c *Client) Info(ctx context.Context, target AxonTarget) (*axonpb.InfoResponse, error) {
	ac, err := c.conn(target.Address)
	if err != nil {
		return nil, err
	}
	h, _, err := c.header(MethodInfo, target, nil)
	if err != nil {
		return nil, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	resp, err := ac.Info(ctx, &axonpb.InfoRequest{Header: h})
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
	ac, err := c.conn(target.Address)
	if err != nil {
		return nil, 0, err
	}
	h, _, err := c.header(MethodModelDownload, target, nil)
	if err != nil {
		return nil, 0, err
	}
	ctx, cancel := c.withTimeout(ctx)
	defer cancel()
	stream, err := ac.ModelDownload(ctx, &axonpb.ModelDownloadRequest{Header: h})
	if err != nil {
		return nil, 0, fmt.Errorf("axon: model download from %s (%s): %w", target.Hotkey, target.Address, err)
	}
	sum, n, err := c.receiveModel(stream, w)
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
	var errs []error
	for addr, pc := range c.conns {
		if err := pc.cc.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close %s: %w", addr, err))
		}
		delete(c.conns, addr)
	}
	return errors.Join(errs...)
}
