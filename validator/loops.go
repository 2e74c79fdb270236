package validator

import (
	"context"
	"fmt"
	"time"

	"github.com/tensorcosm/tensorcosm/neuron"
)

// flag scores a miner 0 until the end of the next epoch (each new failure
// extends it); it is logged and counted when the miner becomes flagged.
func (v *Validator) flag(uid uint32, hotkey, reason, detail string) {
	epoch := v.snap.Load().epoch()
	if v.scores.flag(uid, hotkey, epoch, epoch+1, reason) {
		v.metrics.flags.WithLabelValues(reason).Inc()
		v.log.Warn("miner scored 0: failed model verification", "uid", uid, "miner", hotkey, "reason", reason,
			"detail", detail, "epoch", epoch, "until_epoch", epoch+1)
	}
	v.metrics.setScore(uid, 0)
}

// sync reads the metagraph now; apply makes the scores and the verifier
// follow a changed one.
func (v *Validator) sync(ctx context.Context) error {
	_, err := v.view.Refresh(ctx)
	return err
}

// synced follows every metagraph read: it counts it and, when good, notes
// the chain as reachable.
func (v *Validator) synced(_ context.Context, snap *neuron.MetagraphSnapshot, err error) {
	if err != nil {
		v.metrics.syncs.WithLabelValues("error").Inc()
		return
	}
	v.metrics.syncs.WithLabelValues("ok").Inc()
	v.lastPoll.Store(v.now().UnixNano())
	v.height.Store(max(v.height.Load(), snap.Height))
}

// apply subscribes to the metagraph view: it publishes the validator's own
// snapshot of each changed metagraph and makes the scores and the verifier
// follow it.
func (v *Validator) apply(_, cur *neuron.MetagraphSnapshot) {
	snap := newSnapshot(cur.Subnet, cur.Neurons, cur.Height, v.hotkey, cur.ReadAt)
	old := v.snap.Swap(snap)
	for _, uid := range v.scores.reconcile(snap.Neurons) {
		v.log.Info("hotkey changed at UID: its score starts from zero", "uid", uid)
	}
	if old != nil {
		live := make(map[uint32]bool, len(snap.Neurons))
		for _, n := range snap.Neurons {
			live[n.UID] = true
		}
		for _, n := range old.Neurons {
			if !live[n.UID] {
				v.metrics.dropScore(n.UID)
			}
		}
	}
	if vf := v.scorer.verify; vf != nil {
		vf.prune(snap)
	}
	v.metrics.metagraphHeight.Set(float64(snap.Height))
	v.metrics.neurons.Set(float64(len(snap.Neurons)))
	v.metrics.miners.Set(float64(len(snap.miners())))
	permit := 0.0
	if snap.SelfFound && snap.Self.Permit {
		permit = 1
	}
	v.metrics.permit.Set(permit)
	if !snap.SelfFound {
		v.log.Warn("hotkey no longer holds a UID in the subnet")
	}
}

// chainLoop follows the chain: it reads the height every pollInterval,
// reads the metagraph every sync_blocks blocks (or when asked), and runs
// the weights on every new block.
func (v *Validator) chainLoop(ctx context.Context) error {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	var last int64
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		h, err := v.grpc.Height(ctx)
		if err != nil {
			if ctx.Err() == nil {
				v.log.Warn("reading the chain height failed", "error", err)
			}
			continue
		}
		v.lastPoll.Store(v.now().UnixNano())
		v.height.Store(h)
		v.metrics.chainHeight.Set(float64(h))
		if h >= v.snap.Load().Height+int64(v.cfg.SyncBlocks) || v.resync.Swap(false) {
			if err := v.sync(ctx); err != nil && ctx.Err() == nil {
				v.log.Warn("metagraph sync failed; keeping the previous one", "error", err)
			}
		}
		v.metrics.syncLag.Set(float64(max(0, h-v.snap.Load().Height)))
		if h == last {
			continue
		}
		last = h
		// a weight transaction in flight completes even when ctx ends
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.cfg.Chain.TxTimeout+10*time.Second)
		err = v.weights.tick(wctx)
		cancel()
		if err != nil {
			v.log.Warn("weights: will retry", "error", err)
		}
	}
}

// stepLoop runs a scoring step every step_interval, the first at once.
func (v *Validator) stepLoop(ctx context.Context) error {
	t := time.NewTicker(v.cfg.StepInterval)
	defer t.Stop()
	for {
		snap := v.snap.Load()
		// miners serve their models only while the subnet has model_download on
		verifyOn := snap.Subnet.Hyperparams.ModelDownload
		v.scorer.step(ctx, snap, verifyOn, snap.SelfFound && snap.Self.Permit)
		if ctx.Err() != nil {
			return nil
		}
		v.updateFlagged(snap.epoch())
		if err := v.saveScores(); err != nil {
			v.log.Error("saving scores failed", "error", err)
		}
		v.lastStep.Store(v.now().UnixNano())
		v.steps.Add(1)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (v *Validator) updateFlagged(epoch uint64) {
	n := 0
	for _, s := range v.scores.snapshot() {
		if s.Flagged(epoch) {
			n++
		}
	}
	v.metrics.flagged.Set(float64(n))
}

func (v *Validator) saveScores() error {
	return v.state.saveScores(v.scores.snapshot())
}

// weightRow computes the weights to submit in epoch from the scores.
func (v *Validator) weightRow(epoch uint64) (weightRow, error) {
	snap := v.snap.Load()
	byUID := make(map[uint32]Score)
	for _, s := range v.scores.snapshot() {
		byUID[s.UID] = s
	}
	scores := make(map[uint32]float64)
	var zero, others []uint32
	isMiner := make(map[uint32]bool)
	for _, m := range snap.miners() {
		isMiner[m.UID] = true
		s, ok := byUID[m.UID]
		switch {
		case !ok || s.Hotkey != m.Hotkey:
			zero = append(zero, m.UID)
		case s.Flagged(epoch):
			// scored 0, and never padded back in
		case s.EMA > 0:
			scores[m.UID] = s.EMA
		default:
			zero = append(zero, m.UID)
		}
	}
	for _, n := range snap.Neurons {
		if !isMiner[n.UID] && !(snap.SelfFound && n.UID == snap.Self.UID) {
			others = append(others, n.UID)
		}
	}
	hp := snap.Subnet.Hyperparams
	return computeWeights(scores, append(zero, others...), hp.MinAllowedWeights, uint32(len(snap.Neurons)), hp.MaxWeightLimit)
}

// health fails while the chain is unreachable, the metagraph lags or
// scoring stalls; the lifecycle answers 503 until startup finished.
func (v *Validator) health() error {
	now := v.now()
	pollAge := now.Sub(time.Unix(0, v.lastPoll.Load()))
	stepAge := now.Sub(time.Unix(0, v.lastStep.Load()))
	lag := int64(0)
	if snap := v.snap.Load(); snap != nil {
		lag = v.height.Load() - snap.Height
	}
	switch {
	case pollAge > 30*time.Second:
		return fmt.Errorf("chain unreachable: last read %s ago", pollAge.Round(time.Second))
	case lag > 3*int64(v.cfg.SyncBlocks):
		return fmt.Errorf("metagraph %d blocks behind", lag)
	case v.steps.Load() > 0 && stepAge > 3*v.cfg.StepInterval+v.cfg.QueryTimeout:
		return fmt.Errorf("scoring stalled: last step %s ago", stepAge.Round(time.Second))
	}
	return nil
}
