package loadgen

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"time"
)

// KindCount is how many transactions of one message type the blocks held.
type KindCount struct {
	OK     int `json:"ok"`
	Failed int `json:"failed"`
}

// Report is the outcome of a run. The window is the blocks committed while
// the load ran: heights From+1 through To.
type Report struct {
	Validators          int     `json:"validators"`
	Subnets             int     `json:"subnets"`
	CommitRevealSubnets int     `json:"commit_reveal_subnets"`
	RowLen              int     `json:"row_len"`
	Depth               int     `json:"depth"`
	DurationSeconds     float64 `json:"duration_s"`

	From          int64   `json:"window_from_height"`
	To            int64   `json:"window_to_height"`
	WindowSeconds float64 `json:"window_block_time_s"`

	Sent            int            `json:"sent"`
	Accepted        int            `json:"accepted"`
	Rejected        int            `json:"rejected"`
	MempoolRejected int            `json:"mempool_rejected"`
	SentByType      map[string]int `json:"sent_by_type"`

	Included       int                  `json:"included"`
	IncludedOK     int                  `json:"included_ok"`
	IncludedByType map[string]KindCount `json:"included_by_type"`
	AfterWindow    int                  `json:"included_after_window"`
	Foreign        int                  `json:"foreign"`
	Lost           int                  `json:"lost"`
	ExpiredCommits int                  `json:"expired_commits"`

	SustainedTxPerSecond   float64 `json:"sustained_tx_per_s"`
	SustainedOKPerSecond   float64 `json:"sustained_ok_tx_per_s"`
	BlockTimeMedianSeconds float64 `json:"block_time_median_s"`
	BlockTimeP90Seconds    float64 `json:"block_time_p90_s"`
	TxsPerBlockMedian      int     `json:"txs_per_block_median"`
	TxsPerBlockMax         int     `json:"txs_per_block_max"`
	CheckTxRTTMedianMs     float64 `json:"checktx_rtt_median_ms"`
	CheckTxRTTP90Ms        float64 `json:"checktx_rtt_p90_ms"`

	DeliverTxFailures map[string]int `json:"delivertx_failures"`
	CheckTxRejections map[string]int `json:"checktx_rejections"`
	CPU               CPUUse         `json:"cpu_cores"`
	NodeCPUKnown      bool           `json:"-"`
}

// report sums the blocks in (from, to] and the counters.
func (g *Generator) report(from, to int64, fromTime time.Time, cpu CPUUse) *Report {
	g.mu.Lock()
	blocks := slices.Clone(g.blocks)
	g.mu.Unlock()
	s := g.stats
	s.mu.Lock()
	defer s.mu.Unlock()
	r := &Report{
		Validators: len(g.workers), Subnets: g.cfg.Subnets, CommitRevealSubnets: g.cfg.CommitRevealSubnets,
		RowLen: g.cfg.RowLen, Depth: g.cfg.Depth, DurationSeconds: g.cfg.Duration.Seconds(),
		From: from, To: to, Sent: sum(s.sentN), Accepted: sum(s.accepted), Rejected: sum(s.rejected),
		MempoolRejected: s.mempool, SentByType: map[string]int{}, IncludedByType: map[string]KindCount{},
		Lost: s.lost, ExpiredCommits: s.expired,
		DeliverTxFailures: maps.Clone(s.failures), CheckTxRejections: maps.Clone(s.rejects),
		CPU: cpu, NodeCPUKnown: g.cfg.NodePID > 0,
		CheckTxRTTMedianMs: ms(percentile(s.roundTrip, 50)), CheckTxRTTP90Ms: ms(percentile(s.roundTrip, 90)),
	}
	for k := range numKinds {
		r.SentByType[k.String()] = s.sentN[k]
	}
	prev := fromTime
	var gaps []time.Duration
	var perBlock []int
	for _, b := range blocks {
		if b.height > to {
			r.AfterWindow += b.ours()
			continue
		}
		gaps = append(gaps, b.time.Sub(prev))
		prev = b.time
		r.Foreign += len(b.kinds) - b.ours()
		perBlock = append(perBlock, len(b.kinds))
		for k := range numKinds {
			c := r.IncludedByType[k.String()]
			c.OK, c.Failed = c.OK+b.ok[k], c.Failed+b.failed[k]
			r.IncludedByType[k.String()] = c
			r.Included += b.ok[k] + b.failed[k]
			r.IncludedOK += b.ok[k]
		}
	}
	if len(gaps) > 0 {
		var window time.Duration
		for _, d := range gaps {
			window += d
		}
		r.WindowSeconds = window.Seconds()
		r.SustainedTxPerSecond = float64(r.Included) / r.WindowSeconds
		r.SustainedOKPerSecond = float64(r.IncludedOK) / r.WindowSeconds
		r.BlockTimeMedianSeconds = percentile(gaps, 50).Seconds()
		r.BlockTimeP90Seconds = percentile(gaps, 90).Seconds()
	}
	r.TxsPerBlockMedian, r.TxsPerBlockMax = percentile(perBlock, 50), slices.Max(append(perBlock, 0))
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Print writes the report for people.
func (r *Report) Print(w io.Writer) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("")
	p("== weights load: %d validators in %d subnets (%d commit-reveal), row %d, depth %d, %.0f s",
		r.Validators, r.Subnets, r.CommitRevealSubnets, r.RowLen, r.Depth, r.DurationSeconds)
	p("sent         %d txs (%s)", r.Sent, byType(r.SentByType))
	p("CheckTx      accepted %d, rejected %d (mempool full or duplicate: %d)", r.Accepted, r.Rejected, r.MempoolRejected)
	p("window       heights %d..%d: %d blocks, %.2f s of block time", r.From+1, r.To, r.To-r.From, r.WindowSeconds)
	p("included     %d txs in the window (%d succeeded, %d failed in DeliverTx); %d more while draining",
		r.Included, r.IncludedOK, r.Included-r.IncludedOK, r.AfterWindow)
	for _, k := range slices.Sorted(maps.Keys(r.IncludedByType)) {
		c := r.IncludedByType[k]
		p("  %-18s %6d ok %6d failed", k, c.OK, c.Failed)
	}
	p("sustained    %.1f included tx/s (%.1f successful tx/s)", r.SustainedTxPerSecond, r.SustainedOKPerSecond)
	p("block time   median %.3f s, p90 %.3f s; txs per block median %d, max %d",
		r.BlockTimeMedianSeconds, r.BlockTimeP90Seconds, r.TxsPerBlockMedian, r.TxsPerBlockMax)
	p("CheckTx RTT  median %.1f ms, p90 %.1f ms (gRPC BroadcastTx, sync mode)", r.CheckTxRTTMedianMs, r.CheckTxRTTP90Ms)
	p("lost         %d accepted txs never included; %d commits expired unrevealed; %d foreign txs", r.Lost, r.ExpiredCommits, r.Foreign)
	node := "unknown (no --node-pid)"
	if r.NodeCPUKnown {
		node = fmt.Sprintf("%.2f cores", r.CPU.Node)
	}
	p("CPU          node %s, load generator %.2f cores, whole machine %.2f of %d cores busy (other processes included)",
		node, r.CPU.Loadgen, r.CPU.MachineBusy, r.CPU.Cores)
	printReasons(p, "DeliverTx failures", r.DeliverTxFailures)
	printReasons(p, "CheckTx rejections", r.CheckTxRejections)
}

func byType(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// printReasons lists reasons by count, most frequent first.
func printReasons(p func(string, ...any), title string, m map[string]int) {
	if len(m) == 0 {
		return
	}
	keys := slices.SortedFunc(maps.Keys(m), func(a, b string) int {
		if m[a] != m[b] {
			return m[b] - m[a]
		}
		return strings.Compare(a, b)
	})
	p("%s:", title)
	for _, k := range keys {
		p("  %6d  %s", m[k], k)
	}
}
