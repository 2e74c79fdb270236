package loadgen

import (
	"context"
	cryptorand "crypto/rand"
	"math/rand/v2"
	"regexp"
	"strconv"
	"sync"
	"time"

	sdk "github.com/cosmos/cosmos-sdk/types"
	sdkerrors "github.com/cosmos/cosmos-sdk/types/errors"
	txtypes "github.com/cosmos/cosmos-sdk/types/tx"

	"github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// msgKind is the weight message a transaction carries.
type msgKind int

const (
	kindSetWeights msgKind = iota
	kindCommit
	kindReveal
	numKinds
)

func (k msgKind) String() string {
	return [...]string{"MsgSetWeights", "MsgCommitWeights", "MsgRevealWeights"}[k]
}

// revealSlack is how many blocks after the next one a reveal may slip and
// still land in its reveal epoch; reveals are only sent when it can.
const revealSlack = 2

// subnetLoad is one load subnet and its validators.
type subnetLoad struct {
	netuid       uint32
	commitReveal bool
	hp           types.Hyperparams
	size         uint32
	workers      []*worker
}

// commitState is where a commitment is in its life.
type commitState int

const (
	commitPending   commitState = iota // broadcast, not yet in a block
	commitLive                         // on chain, waiting for its reveal epoch
	commitRevealing                    // its reveal is broadcast
)

// commit is a weight commitment and what is needed to reveal it.
type commit struct {
	uids, values []uint32
	salt         []byte
	state        commitState
	epoch        uint64 // the commit's epoch, known once it is in a block
}

// worker sends one hotkey's weight transactions. Its goroutine alone signs
// with the hotkey; the block watcher reports inclusions through included.
type worker struct {
	g     *Generator
	s     *subnetLoad
	acct  *account
	uid   uint32
	slots chan struct{} // one per transaction waiting for a block
	rng   *rand.Rand
	n     uint64 // rows built

	mu      sync.Mutex // guards commits
	commits []*commit
}

// run sends transactions until ctx ends, keeping at most Depth of them
// waiting for a block.
func (w *worker) run(ctx context.Context) {
	for {
		select {
		case w.slots <- struct{}{}:
		case <-ctx.Done():
			return
		}
		if ctx.Err() != nil {
			w.release()
			return
		}
		h, next := w.g.chainHeight()
		msg, kind, c := w.next(h)
		if msg == nil {
			w.release()
			w.g.waitBlock(ctx, next)
			continue
		}
		if !w.send(ctx, msg, kind, c, h) {
			w.release()
			w.g.waitBlock(ctx, next)
		}
	}
}

func (w *worker) release() { <-w.slots }

// newRNG returns the generator of a worker's weight values.
func newRNG(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0)) //nolint:gosec // G404: load-test weights need not be secret; salts come from crypto/rand
}

// send signs and broadcasts one transaction and reports whether CheckTx
// accepted it. The broadcast is not cancelled with ctx, so that a
// transaction that reached the mempool is always counted.
func (w *worker) send(ctx context.Context, msg sdk.Msg, kind msgKind, c *commit, h int64) bool {
	tx, err := signTx(w.g.cfg.ChainID, w.g.cfg.Gas, []*account{w.acct}, msg)
	if err != nil {
		w.g.stats.reject(kind, "signing: "+normalise(err.Error()))
		w.undo(c, kind)
		return false
	}
	w.g.track.add(tx.hash, &sentTx{w: w, kind: kind, commit: c, height: h})
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	start := time.Now()
	res, err := w.g.txs.BroadcastTx(bctx, &txtypes.BroadcastTxRequest{TxBytes: tx.bytes, Mode: txtypes.BroadcastMode_BROADCAST_MODE_SYNC})
	w.g.stats.sent(kind, time.Since(start))
	switch {
	case err != nil:
		w.g.stats.reject(kind, "gRPC: "+normalise(err.Error()))
	case res.TxResponse.Code != 0:
		r := res.TxResponse
		w.g.stats.rejectCode(kind, r.Codespace, r.Code, r.RawLog)
		if r.Codespace == sdkerrors.RootCodespace && r.Code == sdkerrors.ErrWrongSequence.ABCICode() {
			if seq, ok := expectedSequence(r.RawLog); ok {
				w.acct.seq = seq
			}
		}
	default:
		w.acct.seq++
		w.g.stats.accept(kind)
		return true
	}
	w.g.track.remove(tx.hash)
	w.undo(c, kind)
	return false
}

var expectedSeqRe = regexp.MustCompile(`expected (\d+), got`)

// expectedSequence reads the sequence the chain expects from an "account
// sequence mismatch" error.
func expectedSequence(log string) (uint64, bool) {
	m := expectedSeqRe.FindStringSubmatch(log)
	if m == nil {
		return 0, false
	}
	seq, err := strconv.ParseUint(m[1], 10, 64)
	return seq, err == nil
}

// next returns the message to send with the chain at height h, or nil when
// the hotkey has nothing to send until the next block.
func (w *worker) next(h int64) (sdk.Msg, msgKind, *commit) {
	if !w.s.commitReveal {
		uids, values := w.row()
		return &types.MsgSetWeights{Hotkey: w.acct.bech, Netuid: w.s.netuid, Uids: uids, Values: values}, kindSetWeights, nil
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	land := w.epoch(h + 1)
	w.dropExpired(land)
	if land == w.epoch(h+1+revealSlack) {
		for _, c := range w.commits {
			if c.state == commitLive && c.epoch+w.s.hp.RevealPeriod == land {
				c.state = commitRevealing
				return &types.MsgRevealWeights{Hotkey: w.acct.bech, Netuid: w.s.netuid, Uids: c.uids, Values: c.values, Salt: c.salt}, kindReveal, c
			}
		}
	}
	if len(w.commits) >= types.MaxWeightCommits {
		return nil, 0, nil
	}
	uids, values := w.row()
	c := &commit{uids: uids, values: values, salt: make([]byte, 16)}
	_, _ = cryptorand.Read(c.salt) // never fails (Go >= 1.24 crashes instead)
	w.commits = append(w.commits, c)
	hash := types.CommitHash(w.acct.bech, w.s.netuid, c.uids, c.values, c.salt, 0)
	return &types.MsgCommitWeights{Hotkey: w.acct.bech, Netuid: w.s.netuid, CommitHash: hash}, kindCommit, c
}

func (w *worker) epoch(h int64) uint64 { return types.EpochIndex(w.s.netuid, w.s.hp.Tempo, h) }

// dropExpired forgets commits the chain no longer holds: their reveal epoch
// is before the epoch the next transaction lands in. They expired without
// being revealed.
func (w *worker) dropExpired(land uint64) {
	kept := w.commits[:0]
	for _, c := range w.commits {
		if c.state == commitLive && c.epoch+w.s.hp.RevealPeriod < land {
			w.g.stats.expire()
			continue
		}
		kept = append(kept, c)
	}
	w.commits = kept
}

// row is a weight row over RowLen consecutive UIDs of the subnet, starting
// at a different UID each time, with random non-zero values.
func (w *worker) row() ([]uint32, []uint32) {
	n := int(w.s.size)
	l := min(w.g.cfg.RowLen, n)
	start := int((w.n*7 + uint64(w.uid)) % uint64(n))
	w.n++
	uids, values := make([]uint32, l), make([]uint32, l)
	for i := range l {
		uids[i] = uint32((start + i) % n)
		values[i] = uint32(1 + w.rng.IntN(types.U16Max))
	}
	return uids, values
}

// undo takes back what next did for a transaction that never reached the
// mempool.
func (w *worker) undo(c *commit, kind msgKind) {
	if c == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	switch kind {
	case kindCommit:
		w.removeCommit(c)
	case kindReveal:
		c.state = commitLive
	}
}

func (w *worker) removeCommit(c *commit) {
	for i, x := range w.commits {
		if x == c {
			w.commits = append(w.commits[:i], w.commits[i+1:]...)
			return
		}
	}
}

// included records that a transaction of this hotkey is in block height
// and frees its slot. A commit is taken to have succeeded: the weights
// checks run at reveal, and a commit that failed shows up in the results as
// a failed commit and a reveal without a matching commit.
func (w *worker) included(st *sentTx, height int64) {
	defer w.release()
	if st.commit == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if st.kind == kindCommit {
		st.commit.state, st.commit.epoch = commitLive, w.epoch(height)
	} else {
		w.removeCommit(st.commit)
	}
}

// lost records that an accepted transaction never made it into a block
// (dropped from the mempool on recheck) and frees its slot. The hotkey's
// sequence heals itself: the next CheckTx names the expected one.
func (w *worker) lost(st *sentTx) {
	defer w.release()
	if st.commit == nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if st.kind == kindCommit {
		w.removeCommit(st.commit)
	} else {
		st.commit.state = commitLive
	}
}
