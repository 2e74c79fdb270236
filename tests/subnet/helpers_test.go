package subnet

import (
	"encoding/hex"
	"testing"

	"cosmossdk.io/math"
	"github.com/stretchr/testify/require"

	sdk "github.com/cosmos/cosmos-sdk/types"
	authtypes "github.com/cosmos/cosmos-sdk/x/auth/types"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

func moduleAddr() sdk.AccAddress { return authtypes.NewModuleAddress(types.ModuleName) }

// unpackResponse decodes the first message response of an included tx.
func unpackResponse(h *harness, res *sdk.TxResponse, out interface{ Unmarshal([]byte) error }) error {
	var data sdk.TxMsgData
	if err := h.client.Encoding().Codec.Unmarshal(mustHex(h.t, res.Data), &data); err != nil {
		return err
	}
	require.NotEmpty(h.t, data.MsgResponses)
	return out.Unmarshal(data.MsgResponses[0].Value)
}

func burnedIn(t *testing.T, res *sdk.TxResponse) math.Int {
	for _, ev := range res.Events {
		if ev.Type != "tensorcosm.subnet.v1.EventNeuronRegistered" {
			continue
		}
		for _, a := range ev.Attributes {
			if a.Key == "burned" {
				v, ok := math.NewIntFromString(trimQuotes(a.Value))
				require.True(t, ok, "burned attribute %q", a.Value)
				return v
			}
		}
	}
	t.Fatalf("no EventNeuronRegistered in tx %s", res.TxHash)
	return math.Int{}
}

func trimQuotes(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		return s[1 : len(s)-1]
	}
	return s
}

func mustHex(t *testing.T, s string) []byte {
	bz, err := hex.DecodeString(s)
	require.NoError(t, err)
	return bz
}
