package miner

import "github.com/tensorcosm/tensorcosm/neuron"

// Files in state_dir.
const (
	// TLSDir holds the axon's TLS certificate and key (axon.LoadOrCreateTLS),
	// so its fingerprint, announced on chain, survives restarts.
	TLSDir = "axon-tls"
)

// ErrStateDirInUse is returned by New when another miner holds the state
// directory: two miners sharing one would serve one TLS key and announce
// over each other.
var ErrStateDirInUse = neuron.ErrStateDirInUse
