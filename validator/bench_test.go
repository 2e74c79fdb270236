package validator

import (
	"context"
	"testing"
	"time"

	"github.com/tensorcosm/tensorcosm/onnx"
)

// BenchmarkValidatorStep256 times one scoring step against 256 miners on
// loopback: in-process axon servers serving the digits model (one worker
// each), one signed Infer with a 16-image challenge per miner, receipts
// verified, answers scored and folded into the EMAs; with verify=on a
// sample of 4 images per answer is also re-run on the committed model
// (already downloaded). It reports ms per step; the concurrency is the
// default, 32 queries in flight.
func BenchmarkValidatorStep256(b *testing.B) {
	const miners = 256
	onnxBytes, sha := onnxModel(b, 30, 1)
	validator := newSigner(b)
	meta := validatorMeta(validator)
	sm := sessionModel(b, onnxBytes)
	views := make([]neuronView, miners)
	for i := range views {
		views[i] = startAxon(b, uint32(i+1), sm, meta)
	}
	snap := testSnapshot(views...)
	for _, verify := range []bool{false, true} {
		name := map[bool]string{false: "verify=off", true: "verify=on"}[verify]
		b.Run(name, func(b *testing.B) {
			cfg := DefaultConfig()
			// the machine may be shared: time the step, do not fail it on a
			// slow answer
			cfg.QueryTimeout = 10 * time.Second
			s := newTestScorer(b, cfg, validator)
			if verify {
				vf := newVerifier(cfg.Verify, testTask, 1, nil, s.log, s.metrics)
				var err error
				b.Cleanup(vf.close)
				if vf.models[sha], err = onnx.LoadSessionBytes(onnxBytes, vf.sessionOpt); err != nil {
					b.Fatal(err)
				}
				vf.flag = func(uid uint32, _, reason, _ string) { b.Fatalf("uid %d flagged: %s", uid, reason) }
				s.verify = vf
			}
			s.scores.reconcile(snap.Neurons)
			check := func() time.Duration {
				start := time.Now()
				results := s.step(context.Background(), snap, verify, true)
				d := time.Since(start)
				if len(results) != miners {
					b.Fatalf("%d results", len(results))
				}
				for _, r := range results {
					if r.outcome != outcomeOK {
						b.Fatalf("uid %d: %s: %v", r.miner.UID, r.outcome, r.err)
					}
				}
				return d
			}
			check() // connections are made on first use
			var total time.Duration
			b.ResetTimer()
			for range b.N {
				total += check()
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(b.N), "ms/step")
		})
	}
}
