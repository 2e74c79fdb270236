package loadgen

import (
	"context"
	"testing"

	"cosmossdk.io/math"
	txsigning "cosmossdk.io/x/tx/signing"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authsigning "github.com/cosmos/cosmos-sdk/x/auth/signing"

	"github.com/tensorcosm/tensorcosm/chainclient"
	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// TestSignTxVerifiesAsTheChainChecks builds a two-signer transaction by
// hand, decodes it with the chain's tx config and verifies every signature
// with the SDK's own DIRECT handler, at the sequences it was signed for.
func TestSignTxVerifiesAsTheChainChecks(t *testing.T) {
	cold, err := newAccount("test", "cold")
	if err != nil {
		t.Fatal(err)
	}
	hot, err := newAccount("test", "hot")
	if err != nil {
		t.Fatal(err)
	}
	cold.number, cold.seq, hot.number, hot.seq = 5, 3, 9, 0
	msg := &types.MsgRegister{Coldkey: cold.bech, Hotkey: hot.bech, Netuid: 1, MaxBurn: math.NewInt(1)}
	tx, err := signTx("test-chain", 123_456, []*account{cold, hot}, msg)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := chainclient.NewEncoding()
	if err != nil {
		t.Fatal(err)
	}
	decoded, err := enc.TxConfig.TxDecoder()(tx.bytes)
	if err != nil {
		t.Fatal(err)
	}
	sigTx := decoded.(authsigning.Tx)
	if sigTx.GetGas() != 123_456 || len(sigTx.GetMsgs()) != 1 {
		t.Fatalf("gas %d, %d msgs", sigTx.GetGas(), len(sigTx.GetMsgs()))
	}
	signers, err := sigTx.GetSigners()
	if err != nil {
		t.Fatal(err)
	}
	if len(signers) != 2 || !sdk.AccAddress(signers[0]).Equals(cold.addr) || !sdk.AccAddress(signers[1]).Equals(hot.addr) {
		t.Fatalf("signers %v, want coldkey then hotkey", signers)
	}
	sigs, err := sigTx.GetSignaturesV2()
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range []*account{cold, hot} {
		if sigs[i].Sequence != a.seq {
			t.Errorf("signature %d: sequence %d, want %d", i, sigs[i].Sequence, a.seq)
		}
		data := txsigning.SignerData{Address: a.bech, ChainID: "test-chain", AccountNumber: a.number, Sequence: a.seq}
		txData := decoded.(authsigning.V2AdaptableTx).GetSigningTxData()
		if err := authsigning.VerifySignature(context.Background(), a.priv.PubKey(), data, sigs[i].Data, enc.TxConfig.SignModeHandler(), txData); err != nil {
			t.Errorf("signature %d does not verify: %v", i, err)
		}
		// a wrong account number must not verify: the test can fail
		data.AccountNumber++
		if err := authsigning.VerifySignature(context.Background(), a.priv.PubKey(), data, sigs[i].Data, enc.TxConfig.SignModeHandler(), txData); err == nil {
			t.Errorf("signature %d verifies with the wrong account number", i)
		}
	}
}

func TestNewAccountIsDeterministic(t *testing.T) {
	a, _ := newAccount("seed", "hotkey-0-0")
	b, _ := newAccount("seed", "hotkey-0-0")
	c, _ := newAccount("other", "hotkey-0-0")
	if a.bech != b.bech || a.bech == c.bech {
		t.Fatalf("same seed and name: %s and %s; other seed: %s", a.bech, b.bech, c.bech)
	}
}
