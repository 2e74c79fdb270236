// Package axon is tensorcosm's off-chain protocol between callers
// (validators, the gateway, users) and miners: request signing and
// verification, the miner's gRPC server (authentication, stake-ordered
// scheduling with load shedding, signed receipts), and a client.
//
// Every request header is signed by the caller's hotkey over a canonical,
// domain-separated byte layout that includes the RPC method; every Infer
// response carries a receipt signed by the miner's hotkey that anyone can
// check with VerifyReceipt. The byte layouts, status codes, nonce rules and
// metrics are specified in axon/README.md.
package axon
