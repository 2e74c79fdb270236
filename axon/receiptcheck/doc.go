// Package receiptcheck verifies a miner's receipt (axon/README.md,
// "Receipts") the way `tensorcosmd receipt verify` does: first offline
// (field sizes, that the public key derives the miner's hotkey, the Merkle
// path from the leaf to the signed root, and the miner's signature, all by
// axon.VerifyReceipt), then against the chain: that the leaf's model_sha256
// was the miner's model commitment in the receipt's netuid at the leaf's
// block height.
//
// Verify asks the chain through a Querier. NewGRPC gives one over a gRPC
// connection to a node; the CLI uses its own over its client context. The
// chain is queried at the receipt's height, so the node must still hold
// that state: a pruning node that dropped it is reported as such, with the
// earliest height it still holds when that can be found.
//
// The package is importable by any caller (the CLI, the HTTP gateway); it
// imports axon, so axon must never import it.
package receiptcheck
