package validator

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/tensorcosm/tensorcosm/chainclient"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// Commit record states.
const (
	// statusPrepared: saved before broadcasting; the outcome is unknown
	// until the chain shows the commit or the record ages out.
	statusPrepared = "prepared"
	// statusUncertain: the broadcast failed in a way that leaves the
	// transaction possibly still pending (a timeout, a lost connection).
	statusUncertain = "uncertain"
	// statusCommitted: the chain holds the commit.
	statusCommitted = "committed"

	// pendingBlocks is how long a prepared or uncertain commit that the
	// chain does not show keeps blocking a new one. Past it the commit is
	// taken as never included; a copy still in a mempool could not land
	// after a new commit anyway, because both spend the same account
	// sequence.
	pendingBlocks = 10
	// saltBytes is the size of each commit's random salt.
	saltBytes = 32
)

// commitRecord is one weight commit as saved in commits.json: everything
// needed to reveal it, saved before the commit is broadcast.
type commitRecord struct {
	Hash           string   `json:"hash"` // hex
	Salt           string   `json:"salt"` // hex
	UIDs           []uint32 `json:"uids"`
	Values         []uint32 `json:"values"`
	VersionKey     uint64   `json:"version_key"`
	PreparedHeight int64    `json:"prepared_height"`
	PreparedEpoch  uint64   `json:"prepared_epoch"`
	Status         string   `json:"status"`
	TxHash         string   `json:"tx_hash,omitempty"`
	CommitBlock    int64    `json:"commit_block,omitempty"`
	CommitEpoch    uint64   `json:"commit_epoch,omitempty"`
}

// chainState is what one weights tick reads from the chain.
type chainState struct {
	// Height is the latest block; a transaction sent now lands at Height+1
	// or later.
	Height int64
	// Registered is false when the hotkey holds no UID in the subnet.
	Registered bool
	Neuron     subnettypes.Neuron
	Hyper      subnettypes.Hyperparams
	// Commits are this neuron's unrevealed commits, oldest first.
	Commits []subnettypes.WeightCommit
}

// weightsChain is what the commit-reveal loop needs from the chain.
type weightsChain interface {
	State(ctx context.Context) (chainState, error)
	// Commit, Reveal and SetWeights broadcast and wait for inclusion; they
	// return the transaction hash and its block. An error wrapping
	// chainclient.ErrTxFailed means the chain refused the transaction.
	Commit(ctx context.Context, hash []byte) (txHash string, height int64, err error)
	Reveal(ctx context.Context, r commitRecord) (txHash string, height int64, err error)
	SetWeights(ctx context.Context, row weightRow, versionKey uint64) (txHash string, height int64, err error)
}

// weightSetter runs commit-reveal for one validator. One goroutine calls
// tick; the records are saved before every broadcast that depends on them.
type weightSetter struct {
	chain   weightsChain
	hotkey  string
	netuid  uint32
	version uint64 // configured version key, 0 for the subnet's
	save    func([]commitRecord) error
	// weights computes the row to submit in epoch; ready reports whether
	// the scores are worth submitting (a step has run since startup).
	weights func(epoch uint64) (weightRow, error)
	ready   func() bool
	log     *slog.Logger
	metrics *metrics

	records []commitRecord
	refused map[string]int    // commit hash -> reveals the chain refused
	noted   map[string]uint64 // reason -> last epoch it was logged, to log once per epoch
}

// maxRevealRefusals is how many refused reveals of one commit are tried
// before giving up on it (a refusal may be transient, such as an account
// sequence race with another transaction).
const maxRevealRefusals = 3

// tick reconciles the saved commits with the chain, reveals what is due
// and commits once per epoch. Errors are logged and retried next tick.
func (w *weightSetter) tick(ctx context.Context) error {
	st, err := w.chain.State(ctx)
	if err != nil {
		return err
	}
	hp := st.Hyper
	epoch := subnettypes.EpochIndex(w.netuid, hp.Tempo, st.Height+1)
	if !st.Registered {
		w.note("not registered", epoch, "hotkey holds no UID in the subnet: no weights")
		return nil
	}
	if err := w.reconcile(st, epoch); err != nil {
		return err
	}
	if !hp.CommitReveal {
		return w.setWeights(ctx, st, epoch)
	}
	if err := w.revealDue(ctx, st, epoch); err != nil {
		return err
	}
	return w.commit(ctx, st, epoch)
}

// note logs msg at most once per epoch for each reason.
func (w *weightSetter) note(reason string, epoch uint64, msg string, args ...any) {
	if last, ok := w.noted[reason]; ok && last == epoch {
		return
	}
	w.noted[reason] = epoch
	w.log.Info(msg, append(args, "epoch", epoch)...)
}

// reconcile matches the saved records with the chain's commits: a record
// the chain shows is committed; a committed record the chain no longer
// shows was revealed (or expired) and is dropped; a prepared or uncertain
// one is dropped once it is pendingBlocks old.
func (w *weightSetter) reconcile(st chainState, epoch uint64) error {
	onChain := make(map[string]subnettypes.WeightCommit, len(st.Commits))
	for _, c := range st.Commits {
		onChain[hex.EncodeToString(c.Hash)] = c
	}
	changed := false
	kept := w.records[:0]
	for _, r := range w.records {
		c, ok := onChain[r.Hash]
		switch {
		case ok:
			if r.Status != statusCommitted || r.CommitBlock != c.Block {
				r.Status, r.CommitBlock, r.CommitEpoch, changed = statusCommitted, c.Block, c.Epoch, true
			}
			delete(onChain, r.Hash)
		case r.Status == statusCommitted:
			changed = true
			continue // revealed, or expired and pruned
		case st.Height+1 > r.PreparedHeight+pendingBlocks:
			w.log.Warn("commit never reached the chain; dropping it", "hash", r.Hash, "prepared_height", r.PreparedHeight, "status", r.Status)
			changed = true
			continue
		}
		kept = append(kept, r)
	}
	w.records = kept
	for h := range onChain {
		w.note("unknown commit "+h, epoch, "the chain holds a commit of this hotkey that the state directory does not know; it cannot be revealed", "hash", h)
	}
	if changed {
		return w.save(w.records)
	}
	return nil
}

// revealDue reveals every committed record whose reveal epoch is now, and
// drops those whose window has passed.
func (w *weightSetter) revealDue(ctx context.Context, st chainState, epoch uint64) error {
	for i := 0; i < len(w.records); i++ {
		r := w.records[i]
		if r.Status != statusCommitted {
			continue
		}
		due := r.CommitEpoch + st.Hyper.RevealPeriod
		switch {
		case epoch < due:
			continue
		case epoch > due:
			w.log.Error("missed the reveal window of a commit", "commit_epoch", r.CommitEpoch, "reveal_epoch", due, "epoch", epoch, "hash", r.Hash)
			w.metrics.missedReveals.Inc()
		default:
			tx, height, err := w.chain.Reveal(ctx, r)
			w.metrics.weightsSubmitted(kindReveal, err)
			if err != nil && !errors.Is(err, chainclient.ErrTxFailed) {
				return fmt.Errorf("reveal weights of epoch %d: %w", r.CommitEpoch, err) // retried next tick
			}
			if err != nil {
				w.refused[r.Hash]++
				w.log.Error("weights reveal refused", "epoch", epoch, "commit_epoch", r.CommitEpoch,
					"attempt", w.refused[r.Hash], "error", err)
				if w.refused[r.Hash] < maxRevealRefusals {
					continue // next tick, while the window lasts
				}
			} else {
				w.log.Info("weights revealed", "epoch", epoch, "commit_epoch", r.CommitEpoch,
					"uids", len(r.UIDs), "tx_hash", tx, "height", height)
				w.metrics.lastWeightsEpoch.WithLabelValues(kindReveal).Set(float64(epoch))
			}
		}
		delete(w.refused, r.Hash)
		w.records = slices.Delete(w.records, i, i+1)
		i--
		if err := w.save(w.records); err != nil {
			return err
		}
	}
	return nil
}

// versionKey is the key to send, or an error when the configured one is
// below the subnet's (the subnet asks for a newer validator).
func (w *weightSetter) versionKey(hp subnettypes.Hyperparams) (uint64, error) {
	if w.version == 0 {
		return hp.WeightsVersionKey, nil
	}
	if w.version < hp.WeightsVersionKey {
		return 0, fmt.Errorf("version_key %d is below the subnet's weights_version_key %d: upgrade the validator", w.version, hp.WeightsVersionKey)
	}
	return w.version, nil
}

// mayCommit reports whether this epoch still needs weights and the chain
// would take them now; otherwise it says why not.
func (w *weightSetter) mayCommit(st chainState, epoch uint64) (bool, string) {
	hp, n := st.Hyper, st.Neuron
	switch {
	case subnettypes.EpochIndex(w.netuid, hp.Tempo, n.LastUpdate) >= epoch:
		return false, "" // committed (or registered) in this epoch already
	case slices.ContainsFunc(st.Commits, func(c subnettypes.WeightCommit) bool { return c.Epoch >= epoch }):
		return false, ""
	case slices.ContainsFunc(w.records, func(r commitRecord) bool { return r.Status != statusCommitted }):
		return false, "" // an earlier commit may still land
	case !n.ValidatorPermit:
		return false, "no validator permit yet: weights wait for one (permits go to the top stakes at each epoch)"
	case st.Height+1 < n.LastUpdate+int64(hp.WeightsRateLimit):
		return false, ""
	case len(st.Commits) >= subnettypes.MaxWeightCommits:
		return false, "too many unrevealed commits"
	case !w.ready():
		return false, ""
	}
	return true, ""
}

// commit commits this epoch's weights once. The record, salt included, is
// saved before the broadcast, so that whatever happens next the commit can
// be recognised and revealed after a restart.
func (w *weightSetter) commit(ctx context.Context, st chainState, epoch uint64) error {
	ok, why := w.mayCommit(st, epoch)
	if !ok {
		if why != "" {
			w.note(why, epoch, why)
		}
		return nil
	}
	r, err := w.prepare(st, epoch)
	if err != nil {
		w.note(err.Error(), epoch, "no weights this epoch", "reason", err.Error())
		return nil
	}
	w.records = append(w.records, r)
	if err := w.save(w.records); err != nil {
		w.records = w.records[:len(w.records)-1]
		return fmt.Errorf("save commit before broadcasting it: %w", err)
	}
	hash, _ := hex.DecodeString(r.Hash)
	tx, height, err := w.chain.Commit(ctx, hash)
	w.metrics.weightsSubmitted(kindCommit, err)
	last := &w.records[len(w.records)-1]
	switch {
	case err == nil:
		last.Status, last.TxHash, last.CommitBlock = statusCommitted, tx, height
		last.CommitEpoch = subnettypes.EpochIndex(w.netuid, st.Hyper.Tempo, height)
		w.log.Info("weights committed", "epoch", last.CommitEpoch, "uids", len(r.UIDs), "tx_hash", tx,
			"height", height, "reveal_epoch", last.CommitEpoch+st.Hyper.RevealPeriod)
		w.metrics.lastWeightsEpoch.WithLabelValues(kindCommit).Set(float64(last.CommitEpoch))
	case errors.Is(err, chainclient.ErrTxFailed):
		w.log.Error("weights commit refused", "epoch", epoch, "error", err)
		w.records = w.records[:len(w.records)-1]
	default:
		w.log.Warn("weights commit outcome unknown; the chain will tell", "epoch", epoch, "error", err)
		last.Status = statusUncertain
	}
	return w.save(w.records)
}

// prepare builds the record of this epoch's commit.
func (w *weightSetter) prepare(st chainState, epoch uint64) (commitRecord, error) {
	vk, err := w.versionKey(st.Hyper)
	if err != nil {
		return commitRecord{}, err
	}
	row, err := w.weights(epoch)
	if err != nil {
		return commitRecord{}, err
	}
	salt := make([]byte, saltBytes)
	if _, err := rand.Read(salt); err != nil {
		return commitRecord{}, err
	}
	hash := subnettypes.CommitHash(w.hotkey, w.netuid, row.UIDs, row.Values, salt, vk)
	return commitRecord{Hash: hex.EncodeToString(hash), Salt: hex.EncodeToString(salt), UIDs: row.UIDs,
		Values: row.Values, VersionKey: vk, PreparedHeight: st.Height, PreparedEpoch: epoch, Status: statusPrepared}, nil
}

// setWeights sets weights directly, once per epoch, on a subnet with
// commit-reveal off.
func (w *weightSetter) setWeights(ctx context.Context, st chainState, epoch uint64) error {
	if ok, why := w.mayCommit(st, epoch); !ok {
		if why != "" {
			w.note(why, epoch, why)
		}
		return nil
	}
	vk, err := w.versionKey(st.Hyper)
	var row weightRow
	if err == nil {
		row, err = w.weights(epoch)
	}
	if err != nil {
		w.note(err.Error(), epoch, "no weights this epoch", "reason", err.Error())
		return nil
	}
	tx, height, err := w.chain.SetWeights(ctx, row, vk)
	w.metrics.weightsSubmitted(kindSet, err)
	if err != nil {
		return fmt.Errorf("set weights: %w", err)
	}
	w.log.Info("weights set", "epoch", epoch, "uids", len(row.UIDs), "tx_hash", tx, "height", height)
	w.metrics.lastWeightsEpoch.WithLabelValues(kindSet).Set(float64(epoch))
	return nil
}
