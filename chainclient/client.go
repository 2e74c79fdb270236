package chainclient

import (
	"context"
	"errors"
	"fmt"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"

	"github.com/cosmos/cosmos-sdk/client"
	"github.com/cosmos/cosmos-sdk/crypto/keyring"
	cryptotypes "github.com/cosmos/cosmos-sdk/crypto/types"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"
)

// Config configures a Client.
type Config struct {
	// GRPCAddr is the node's gRPC address, e.g. "127.0.0.1:9090".
	GRPCAddr string
	// ChainID is the chain the transactions are signed for.
	ChainID string
	// GasLimit per transaction; 0 means 2,000,000.
	GasLimit uint64
	// Fees paid by the first signer, e.g. "0utensor"; empty means none.
	Fees string
	// InclusionTimeout bounds how long Broadcast waits for a block; 0 means 30 s.
	InclusionTimeout time.Duration
}

// Client signs and broadcasts transactions with keys from a keyring.
type Client struct {
	cfg     Config
	enc     Encoding
	conn    *grpc.ClientConn
	keyring keyring.Keyring
}

// New connects to the node's gRPC endpoint (plaintext: nodes listen on
// loopback or behind a TLS-terminating proxy).
func New(cfg Config, kr keyring.Keyring) (*Client, error) {
	if cfg.GRPCAddr == "" || cfg.ChainID == "" {
		return nil, errors.New("chainclient: GRPCAddr and ChainID are required")
	}
	if cfg.GasLimit == 0 {
		cfg.GasLimit = 2_000_000
	}
	if cfg.InclusionTimeout == 0 {
		cfg.InclusionTimeout = 30 * time.Second
	}
	enc, err := NewEncoding()
	if err != nil {
		return nil, err
	}
	conn, err := grpc.NewClient(cfg.GRPCAddr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.ForceCodec(enc.Codec.GRPCCodec())))
	if err != nil {
		return nil, fmt.Errorf("chainclient: dial %s: %w", cfg.GRPCAddr, err)
	}
	return &Client{cfg: cfg, enc: enc, conn: conn, keyring: kr}, nil
}

// Conn returns the gRPC connection, for module query clients.
func (c *Client) Conn() *grpc.ClientConn { return c.conn }

// Encoding returns the client's codec and tx config.
func (c *Client) Encoding() Encoding { return c.enc }

// Close closes the connection.
func (c *Client) Close() error { return c.conn.Close() }

// Broadcast signs msgs with the keys named in signers (the first pays the
// fees), broadcasts the transaction and waits until it is in a block. Every
// signer's account must exist on chain. It returns the included response,
// or a *TxError (which errors.Is matches against ErrTxFailed and the chain's
// registered error for its codespace and code).
func (c *Client) Broadcast(ctx context.Context, signers []string, msgs ...sdk.Msg) (*sdk.TxResponse, error) {
	if len(signers) == 0 {
		return nil, errors.New("chainclient: no signer")
	}
	builder := c.enc.TxConfig.NewTxBuilder()
	if err := builder.SetMsgs(msgs...); err != nil {
		return nil, err
	}
	builder.SetGasLimit(c.cfg.GasLimit)
	if c.cfg.Fees != "" {
		fees, err := sdk.ParseCoinsNormalized(c.cfg.Fees)
		if err != nil {
			return nil, fmt.Errorf("chainclient: fees %q: %w", c.cfg.Fees, err)
		}
		builder.SetFeeAmount(fees)
	}
	if err := c.signAll(ctx, builder, signers); err != nil {
		return nil, err
	}
	bz, err := c.enc.TxConfig.TxEncoder()(builder.GetTx())
	if err != nil {
		return nil, err
	}
	res, err := txtypes.NewServiceClient(c.conn).BroadcastTx(ctx, &txtypes.BroadcastTxRequest{TxBytes: bz, Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC})
	if err != nil {
		return nil, fmt.Errorf("chainclient: broadcast: %w", err)
	}
	if res.TxResponse.Code != 0 {
		return res.TxResponse, newTxError(res.TxResponse)
	}
	return c.WaitTx(ctx, res.TxResponse.TxHash)
}

// signer is one key signing a transaction.
type signer struct {
	name string
	pub  cryptotypes.PubKey
	data authsigning.SignerData
}

// signAll signs with every key in SIGN_MODE_DIRECT. DIRECT sign bytes cover
// every signer's info, so all signer infos are set first (with empty
// signatures) and then each key signs the same body and auth info. This is
// what lets a coldkey and a hotkey both sign MsgRegister; the SDK CLI only
// supports one DIRECT signer per transaction.
func (c *Client) signAll(ctx context.Context, builder client.TxBuilder, names []string) error {
	signers := make([]signer, 0, len(names))
	placeholders := make([]signing.SignatureV2, 0, len(names))
	for _, name := range names {
		s, err := c.signerData(ctx, name)
		if err != nil {
			return fmt.Errorf("chainclient: signer %q: %w", name, err)
		}
		signers = append(signers, s)
		placeholders = append(placeholders, signing.SignatureV2{
			PubKey:   s.pub,
			Data:     &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT},
			Sequence: s.data.Sequence,
		})
	}
	if err := builder.SetSignatures(placeholders...); err != nil {
		return err
	}
	sigs := make([]signing.SignatureV2, len(signers))
	for i, s := range signers {
		bz, err := authsigning.GetSignBytesAdapter(ctx, c.enc.TxConfig.SignModeHandler(), signing.SignMode_SIGN_MODE_DIRECT, s.data, builder.GetTx())
		if err != nil {
			return err
		}
		sig, _, err := c.keyring.Sign(s.name, bz, signing.SignMode_SIGN_MODE_DIRECT)
		if err != nil {
			return fmt.Errorf("chainclient: signing with %q: %w", s.name, err)
		}
		sigs[i] = signing.SignatureV2{
			PubKey:   s.pub,
			Data:     &signing.SingleSignatureData{SignMode: signing.SignMode_SIGN_MODE_DIRECT, Signature: sig},
			Sequence: s.data.Sequence,
		}
	}
	return builder.SetSignatures(sigs...)
}

func (c *Client) signerData(ctx context.Context, name string) (signer, error) {
	rec, err := c.keyring.Key(name)
	if err != nil {
		return signer{}, err
	}
	pub, err := rec.GetPubKey()
	if err != nil {
		return signer{}, err
	}
	acc, err := c.Account(ctx, sdk.AccAddress(pub.Address()))
	if err != nil {
		return signer{}, err
	}
	return signer{name: name, pub: pub, data: authsigning.SignerData{
		ChainID: c.cfg.ChainID, AccountNumber: acc.AccountNumber, Sequence: acc.Sequence,
		PubKey: pub, Address: acc.Address,
	}}, nil
}

// Account returns an account's number and sequence.
func (c *Client) Account(ctx context.Context, addr sdk.AccAddress) (*authtypes.BaseAccount, error) {
	bech, err := sdk.Bech32ifyAddressBytes(Bech32Prefix, addr)
	if err != nil {
		return nil, err
	}
	res, err := authtypes.NewQueryClient(c.conn).AccountInfo(ctx, &authtypes.QueryAccountInfoRequest{Address: bech})
	if err != nil {
		if status.Code(err) == codes.NotFound {
			return nil, fmt.Errorf("account %s does not exist on chain yet: send it any amount of utensor first", bech)
		}
		return nil, err
	}
	return res.Info, nil
}

// WaitTx polls until the transaction is in a block and returns its result, or
// a *TxError when it failed there.
func (c *Client) WaitTx(ctx context.Context, hash string) (*sdk.TxResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.InclusionTimeout)
	defer cancel()
	svc := txtypes.NewServiceClient(c.conn)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		res, err := svc.GetTx(ctx, &txtypes.GetTxRequest{Hash: hash})
		if err == nil {
			if res.TxResponse.Code != 0 {
				return res.TxResponse, newTxError(res.TxResponse)
			}
			return res.TxResponse, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("chainclient: tx %s not included: %w", hash, ctx.Err())
		case <-tick.C:
		}
	}
}
