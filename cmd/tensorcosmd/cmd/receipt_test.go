package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/axon"
	"github.com/tensorcosm/tensorcosm/axon/receiptcheck"
	"github.com/tensorcosm/tensorcosm/axon/receipttest"
)

// fixedModel is a chain holding every state up to height 500, where the
// miner committed the model (hex) at every height; receiptcheck's tests
// cover the other answers.
type fixedModel string

func (m fixedModel) ModelAt(context.Context, int64, uint32, string) (string, error) {
	return string(m), nil
}

func (fixedModel) HasState(_ context.Context, height int64) (bool, error) { return height <= 500, nil }

func (fixedModel) LatestHeight(context.Context) (int64, error) { return 500, nil }

func TestReadReceiptAndPrint(t *testing.T) {
	r := receipttest.Receipt(t, receipttest.Miner(t), 2, 120, bytes.Repeat([]byte{0xc3}, 32))
	b, err := axon.MarshalReceipt(r)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "receipt.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	got, err := readReceipt(nil, file)
	if err != nil {
		t.Fatal(err)
	}
	if err := axon.VerifyReceipt(got); err != nil {
		t.Fatal(err)
	}
	if _, err := readReceipt(bytes.NewReader(b), "-"); err != nil {
		t.Errorf("stdin: %v", err)
	}
	if _, err := readReceipt(bytes.NewReader(bytes.Repeat([]byte{' '}, maxReceiptFile+1)), "-"); err == nil {
		t.Error("an oversized file was read")
	}
	if _, err := readReceipt(strings.NewReader(`{"leaf": 1}`), "-"); err == nil {
		t.Error("a malformed receipt was read")
	}

	rep := receiptcheck.Verify(context.Background(), fixedModel(strings.Repeat("c3", 32)), got)
	var out bytes.Buffer
	if err := printReceiptReport(&out, "json", rep); err != nil {
		t.Fatal(err)
	}
	var decoded map[string]any
	if err := json.Unmarshal(out.Bytes(), &decoded); err != nil {
		t.Fatalf("json output: %v\n%s", err, out.String())
	}
	if decoded["valid"] != true || decoded["commitment_check"] != "ok" || decoded["block_height"] != float64(120) {
		t.Errorf("json output %s", out.String())
	}
	out.Reset()
	if err := printReceiptReport(&out, "text", rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "receipt:    VALID") || !strings.Contains(out.String(), "ok (the miner's model at height 120)") {
		t.Errorf("text output:\n%s", out.String())
	}
}
