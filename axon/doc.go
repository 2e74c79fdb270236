// Package axon is tensorcosm's off-chain protocol between callers
// (validators, the gateway, users) and miners, version 2: the miner's gRPC
// server (handshake, sessions, stake-ordered scheduling with load
// shedding, receipt leaves), and a client.
//
// A caller opens a session with one signed handshake (secp256k1 both ways,
// X25519, HKDF-SHA256 over the transcript), bound under TLS to the
// connection by the TLS exporter; every later request carries the session
// id, a sequence number and an HMAC-SHA256, and every Infer response its
// receipt leaf and a MAC. The byte layouts, status codes, limits and
// metrics are specified in axon/README.md.
package axon
