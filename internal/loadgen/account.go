package loadgen

import (
	"crypto/sha256"
	"fmt"

	codectypes "github.com/cosmos/cosmos-sdk/codec/types"
	"github.com/cosmos/cosmos-sdk/crypto/keys/secp256k1"
	sdk "github.com/cosmos/cosmos-sdk/types"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"
	"github.com/cosmos/cosmos-sdk/types/tx/signing"

	"github.com/tensorcosm/tensorcosm/chainclient"
)

// account is a key whose account number and next sequence the generator
// keeps itself, so that signing a transaction never needs a query. Only one
// goroutine at a time signs with an account.
type account struct {
	priv   *secp256k1.PrivKey
	pubAny *codectypes.Any
	addr   sdk.AccAddress
	bech   string
	number uint64
	seq    uint64
}

// newAccount derives a key from seed and name: the same seed gives the same
// keys, so a second run against the same chain reuses its accounts.
func newAccount(seed, name string) (*account, error) {
	priv := secp256k1.GenPrivKeyFromSecret([]byte(seed + "/" + name))
	pub := priv.PubKey()
	pubAny, err := codectypes.NewAnyWithValue(pub)
	if err != nil {
		return nil, err
	}
	addr := sdk.AccAddress(pub.Address())
	bech, err := sdk.Bech32ifyAddressBytes(chainclient.Bech32Prefix, addr)
	if err != nil {
		return nil, err
	}
	return &account{priv: priv, pubAny: pubAny, addr: addr, bech: bech}, nil
}

// signedTx is an encoded transaction and its CometBFT hash.
type signedTx struct {
	bytes []byte
	hash  [32]byte
}

// signTx builds a transaction of msgs signed in SIGN_MODE_DIRECT by signers
// (in the order the messages name them) at their current sequences. It does
// not advance the sequences: the caller does once CheckTx accepts the
// transaction. Fees are zero; the localnet's minimum gas price is zero.
func signTx(chainID string, gas uint64, signers []*account, msgs ...sdk.Msg) (signedTx, error) {
	body := txtypes.TxBody{Messages: make([]*codectypes.Any, len(msgs))}
	for i, m := range msgs {
		a, err := codectypes.NewAnyWithValue(m)
		if err != nil {
			return signedTx{}, err
		}
		body.Messages[i] = a
	}
	bodyBz, err := body.Marshal()
	if err != nil {
		return signedTx{}, err
	}
	info := txtypes.AuthInfo{Fee: &txtypes.Fee{GasLimit: gas}, SignerInfos: make([]*txtypes.SignerInfo, len(signers))}
	direct := &txtypes.ModeInfo{Sum: &txtypes.ModeInfo_Single_{Single: &txtypes.ModeInfo_Single{Mode: signing.SignMode_SIGN_MODE_DIRECT}}}
	for i, s := range signers {
		info.SignerInfos[i] = &txtypes.SignerInfo{PublicKey: s.pubAny, ModeInfo: direct, Sequence: s.seq}
	}
	infoBz, err := info.Marshal()
	if err != nil {
		return signedTx{}, err
	}
	raw := txtypes.TxRaw{BodyBytes: bodyBz, AuthInfoBytes: infoBz, Signatures: make([][]byte, len(signers))}
	for i, s := range signers {
		doc := txtypes.SignDoc{BodyBytes: bodyBz, AuthInfoBytes: infoBz, ChainId: chainID, AccountNumber: s.number}
		docBz, err := doc.Marshal()
		if err != nil {
			return signedTx{}, err
		}
		if raw.Signatures[i], err = s.priv.Sign(docBz); err != nil {
			return signedTx{}, fmt.Errorf("signing for %s: %w", s.bech, err)
		}
	}
	bz, err := raw.Marshal()
	if err != nil {
		return signedTx{}, err
	}
	return signedTx{bytes: bz, hash: sha256.Sum256(bz)}, nil
}
