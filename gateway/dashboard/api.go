package dashboard

// The dashboard's JSON API. The gateway serves these documents (GET, no API
// key: everything in them is public chain data or the gateway's own
// aggregate traffic); the pages in static/ read them. Amounts of utensor
// are decimal strings (they exceed 2^53); u16 fractions are integers
// 0..65535 (65535 is 1).

// Paths of the API, relative to the gateway's root.
const (
	PathNetwork   = "/v1/network"                    // Network
	PathMetagraph = "/v1/subnets/{netuid}/metagraph" // Metagraph
	PathWeights   = "/v1/subnets/{netuid}/weights"   // Weights
	PathHistory   = "/v1/subnets/{netuid}/history"   // History; ?limit=N (default 50, max 1000) &uids=1,2,3 (default: the 16 UIDs with the most emission in the latest epoch)
	PathMiners    = "/v1/subnets/{netuid}/miners"    // Miners (the gateway's view of the subnet's axons)
	PathVerify    = "/v1/receipts/{id}/verification" // Verification (the receipt checked against the chain)
	PathConfig    = "/v1/dashboard/config"           // Config
	PathPredict   = "/v1/subnets/{netuid}/predict"   // the API's predict endpoint (API key: Authorization: Bearer tcg_...)
	PathReceipt   = "/v1/receipts/{id}"              // the API's receipt endpoint
)

// Config tells the pages how the gateway is set up.
type Config struct {
	ChainID   string   `json:"chain_id"`
	Version   string   `json:"version"`
	Anonymous bool     `json:"anonymous"` // predict works without an API key
	Served    []uint32 `json:"served"`    // netuids the gateway routes requests to ("try it" works only there)
}

// Network is the overview page.
type Network struct {
	ChainID string `json:"chain_id"`
	Height  int64  `json:"height"`
	// BlockTimeMS is the mean block interval over the last blocks.
	BlockTimeMS float64 `json:"block_time_ms"`
	// LatestBlockTime is the latest block's header time, RFC 3339.
	LatestBlockTime string `json:"latest_block_time"`
	// TotalStake is the counted stake summed over subnets (utensor).
	TotalStake string `json:"total_stake"`
	// TotalIssuance is the bank supply of the staking denom (utensor).
	TotalIssuance string `json:"total_issuance"`
	// TotalEmitted is what x/subnet has minted as emission (utensor).
	TotalEmitted string          `json:"total_emitted"`
	Subnets      []SubnetSummary `json:"subnets"`
	Traffic      Traffic         `json:"traffic"`
}

// SubnetSummary is one subnet's line on the overview.
type SubnetSummary struct {
	Netuid          uint32 `json:"netuid"`
	Name            string `json:"name"`
	Task            string `json:"task"` // TaskSpec.kind
	Tempo           uint32 `json:"tempo"`
	NextEpochBlock  int64  `json:"next_epoch_block"`
	PendingEmission string `json:"pending_emission"`
	Neurons         int    `json:"neurons"`
	MaxNeurons      uint32 `json:"max_neurons"`
	Served          bool   `json:"served"` // the gateway routes requests to it
}

// Traffic is the gateway's own request traffic over the last WindowS
// seconds (inference endpoints only: infer and predict).
type Traffic struct {
	WindowS      int     `json:"window_s"`
	Requests     int64   `json:"requests"`
	RequestsPerS float64 `json:"requests_per_s"`
	P50MS        float64 `json:"p50_ms"`
	P99MS        float64 `json:"p99_ms"`
	ErrorRate    float64 `json:"error_rate"` // 0..1, answers with status >= 500 or 429 over all
}

// Metagraph is a subnet's neurons as the chain reports them.
type Metagraph struct {
	Netuid  uint32   `json:"netuid"`
	Name    string   `json:"name"`
	Task    string   `json:"task"`
	Height  int64    `json:"height"` // block the metagraph was read at
	Neurons []Neuron `json:"neurons"`
}

// Neuron is one metagraph row.
type Neuron struct {
	UID             uint32 `json:"uid"`
	Hotkey          string `json:"hotkey"`
	Coldkey         string `json:"coldkey"`
	Stake           string `json:"stake"` // counted stake in this subnet, utensor
	Rank            uint32 `json:"rank"`
	Trust           uint32 `json:"trust"`
	Consensus       uint32 `json:"consensus"`
	Incentive       uint32 `json:"incentive"`
	Dividends       uint32 `json:"dividends"`
	ValidatorTrust  uint32 `json:"validator_trust"`
	Emission        string `json:"emission"` // last epoch, utensor
	Active          bool   `json:"active"`
	ValidatorPermit bool   `json:"validator_permit"`
	Axon            string `json:"axon"` // host:port, "" when none
	TLS             bool   `json:"tls"`
	ModelSHA256     string `json:"model_sha256"` // "" when none
	LastUpdate      int64  `json:"last_update"`
	Registered      int64  `json:"registration_block"`
}

// Weights are the subnet's stored (revealed) weights, one row per
// validator that has set any.
type Weights struct {
	Netuid uint32      `json:"netuid"`
	Height int64       `json:"height"`
	Rows   []WeightRow `json:"rows"`
}

// WeightRow is one validator's weights; Weights[i] (u16) is for UIDs[i].
type WeightRow struct {
	UID     uint32   `json:"uid"`
	UIDs    []uint32 `json:"uids"`
	Weights []uint32 `json:"weights"`
}

// History is a subnet's recorded epochs, oldest first.
type History struct {
	Netuid uint32   `json:"netuid"`
	UIDs   []uint32 `json:"uids"` // the UIDs whose series follow, in this order
	Epochs []Epoch  `json:"epochs"`
}

// Epoch is one recorded epoch. Incentive, Dividends and Emission are
// indexed like History.UIDs (0 / "0" for a UID not in the subnet then).
type Epoch struct {
	Epoch        uint64   `json:"epoch"`
	Height       int64    `json:"height"`     // block it ran in
	DueHeight    int64    `json:"due_height"` // block it became due
	Emission     string   `json:"emission"`
	OwnerCut     string   `json:"owner_cut"`
	ToMiners     string   `json:"to_miners"`
	ToValidators string   `json:"to_validators"`
	Neurons      uint32   `json:"neurons"`
	Incentive    []uint32 `json:"incentive"`
	Dividends    []uint32 `json:"dividends"`
	UIDEmission  []string `json:"uid_emission"`
	// Pruned is set when the node had dropped the epoch's state before it
	// was recorded: the totals are known, the per-UID values are not (0).
	Pruned bool `json:"pruned,omitempty"`
}

// Miners is the gateway's live view of a subnet's axons.
type Miners struct {
	Netuid uint32  `json:"netuid"`
	Miners []Miner `json:"miners"`
}

// Miner is one routed axon.
type Miner struct {
	UID       uint32  `json:"uid"`
	Hotkey    string  `json:"hotkey"`
	Address   string  `json:"address"`
	Breaker   string  `json:"breaker"`    // closed, open, half-open
	LatencyMS float64 `json:"latency_ms"` // moving average, 0 before the first answer
	InFlight  int     `json:"in_flight"`
	Requests  uint64  `json:"requests"`
	Failures  uint64  `json:"failures"`
}

// Verification is a receipt checked against the chain, as `tensorcosmd
// receipt verify --output json` reports it: the gateway sends
// receiptcheck.Report, whose JSON this mirrors field for field (a gateway
// test holds them equal), without this package importing the chain's.
type Verification struct {
	Valid        bool   `json:"valid"`
	MinerHotkey  string `json:"miner_hotkey"`
	Netuid       uint32 `json:"netuid"`
	Batch        uint64 `json:"batch"`
	Index        uint64 `json:"index"`
	LeafCount    uint64 `json:"leaf_count"`
	Root         string `json:"root"`
	SessionID    string `json:"session_id"`
	Sequence     uint64 `json:"sequence"`
	BlockHeight  int64  `json:"block_height"`
	ModelSHA256  string `json:"model_sha256"`
	ChainModel   string `json:"chain_model_sha256,omitempty"`
	Signature    string `json:"signature_check"`  // ok, failed, not run
	Commitment   string `json:"commitment_check"` // ok, failed, not run
	FailedCheck  string `json:"failed_check,omitempty"`
	Error        string `json:"error,omitempty"`
	EarliestHeld int64  `json:"earliest_available_height,omitempty"`
}
