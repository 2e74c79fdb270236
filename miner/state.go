package miner

import "github.com/tensorcosm/tensorcosm/neuron"

// Files in state_dir.
const (
	// ReplayFile is the axon's replay watermark (see axon.WithReplayFile).
	ReplayFile = "axon-replay.json"
)

// ErrStateDirInUse is returned by New when another miner holds the state
// directory: two miners writing one replay watermark could each lower the
// other's.
var ErrStateDirInUse = neuron.ErrStateDirInUse
