package scenario

import (
	"bufio"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/tensorcosm/tensorcosm/x/subnet/yuma"
)

// Result holds every epoch of a simulation.
type Result struct {
	Epochs []EpochResult
}

// EpochResult is one simulated epoch: its block and the engine's output.
type EpochResult struct {
	Block  uint64
	Output yuma.Output
}

// Simulate runs every epoch of the scenario and returns all results. SimulateJSON
// streams instead and keeps only one epoch in memory.
func Simulate(sc *Spec) (*Result, error) {
	s, err := newSimulator(sc)
	if err != nil {
		return nil, err
	}
	res := &Result{Epochs: make([]EpochResult, 0, len(sc.Epochs))}
	for k := range sc.Epochs {
		ep, err := s.step(k)
		if err != nil {
			return nil, err
		}
		res.Epochs = append(res.Epochs, ep)
	}
	return res, nil
}

// SimulateJSON reads a scenario from r, simulates it and writes the results to w as
// the JSON document described in README.md, one epoch at a time.
func SimulateJSON(r io.Reader, w io.Writer) error {
	sc, err := Parse(r)
	if err != nil {
		return err
	}
	s, err := newSimulator(sc)
	if err != nil {
		return err
	}
	jw := newJSONWriter(w)
	jw.str("{\"epochs\": [")
	for k := range sc.Epochs {
		ep, err := s.step(k)
		if err != nil {
			return err
		}
		jw.epoch(ep, k == 0)
	}
	jw.str("\n]}\n")
	return jw.flush()
}

// WriteJSON writes the results in the format of SimulateJSON.
func (r *Result) WriteJSON(w io.Writer) error {
	jw := newJSONWriter(w)
	jw.str("{\"epochs\": [")
	for k, ep := range r.Epochs {
		jw.epoch(ep, k == 0)
	}
	jw.str("\n]}\n")
	return jw.flush()
}

// simulator holds the chain state a scenario evolves: stakes, weights, registration and
// update blocks, permits and bonds.
type simulator struct {
	sc    *Spec
	in    yuma.Input
	block uint64 // the previous epoch's block
}

func newSimulator(sc *Spec) (*simulator, error) {
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	n := sc.N
	in := yuma.Input{
		Stake:           slices.Clone(sc.Stakes),
		LastUpdate:      make([]uint64, n),
		RegisteredAt:    make([]uint64, n),
		ValidatorPermit: make([]bool, n),
		Weights:         make([][]yuma.Weight, n),
		Bonds:           make([][]yuma.Bond, n),
		Emission:        sc.Emission,
		Params:          sc.Params,
	}
	if sc.OwnerUID != nil {
		in.HasOwner, in.OwnerUID = true, *sc.OwnerUID
	}
	sc.State.apply(&in)
	return &simulator{sc: sc, in: in}, nil
}

// step applies epoch k's changes at its block (by default the previous epoch's plus
// one) and runs the epoch.
func (s *simulator) step(k int) (EpochResult, error) {
	ep := s.sc.Epochs[k]
	block, _ := ep.block(s.block) // Validate checked the order
	s.block = block
	in := &s.in
	in.Block, in.Emission = block, s.sc.Emission
	if ep.Emission != nil {
		in.Emission = *ep.Emission
	}
	for _, u := range ep.Register {
		in.RegisteredAt[u], in.LastUpdate[u] = block, block
		in.Weights[u], in.Bonds[u] = nil, nil
	}
	if ep.Stakes != nil {
		in.Stake = slices.Clone(ep.Stakes)
	}
	for _, upd := range ep.Weights {
		in.Weights[upd.UID] = upd.Weights
		in.LastUpdate[upd.UID] = block
	}
	out, err := yuma.Run(*in)
	if err != nil {
		return EpochResult{}, fmt.Errorf("epochs[%d]: %w", k, err)
	}
	// Copies, so that clearing a row at a later registration leaves this result intact.
	in.ValidatorPermit, in.Bonds = slices.Clone(out.ValidatorPermit), slices.Clone(out.Bonds)
	return EpochResult{Block: block, Output: out}, nil
}

// jsonWriter writes the results document by hand: one key per line, one bonds row per
// line, numbers from yuma.Fixed.Decimal. The first write error is kept and returned by flush.
type jsonWriter struct {
	w   *bufio.Writer
	err error
	buf []byte
}

func newJSONWriter(w io.Writer) *jsonWriter {
	return &jsonWriter{w: bufio.NewWriterSize(w, 1<<16)}
}

func (j *jsonWriter) str(s string) {
	if j.err == nil {
		_, j.err = j.w.WriteString(s)
	}
}

func (j *jsonWriter) bytes(b []byte) {
	if j.err == nil {
		_, j.err = j.w.Write(b)
	}
}

func (j *jsonWriter) flush() error {
	if j.err != nil {
		return j.err
	}
	return j.w.Flush()
}

func (j *jsonWriter) epoch(ep EpochResult, first bool) {
	if !first {
		j.str(",")
	}
	o := ep.Output
	j.str("\n  {\"block\": " + strconv.FormatUint(ep.Block, 10) + ",\n")
	j.str("   \"validator_permit\": ")
	j.bools(o.ValidatorPermit)
	for _, v := range []struct {
		key  string
		vals []yuma.Fixed
	}{{"consensus", o.Consensus}, {"trust", o.Trust}, {"validator_trust", o.ValidatorTrust}, {"rank", o.Rank}, {"incentive", o.Incentive}, {"dividends", o.Dividends}} {
		j.str(",\n   \"" + v.key + "\": ")
		j.fixeds(v.vals)
	}
	j.str(",\n   \"bonds\": [")
	dense := make([]yuma.Fixed, len(o.Bonds))
	for i, row := range o.Bonds {
		clear(dense)
		for _, b := range row {
			dense[b.UID] = b.Value
		}
		if i > 0 {
			j.str(",")
		}
		j.str("\n    ")
		j.fixeds(dense)
	}
	j.str("],\n   \"emission\": ")
	j.uints(o.Emission)
	j.str("}")
}

// list writes xs as a JSON array, each element appended by app.
func list[T any](j *jsonWriter, xs []T, app func([]byte, T) []byte) {
	j.buf = append(j.buf[:0], '[')
	for i, x := range xs {
		if i > 0 {
			j.buf = append(j.buf, ", "...)
		}
		j.buf = app(j.buf, x)
	}
	j.bytes(append(j.buf, ']'))
}

func (j *jsonWriter) bools(xs []bool) { list(j, xs, strconv.AppendBool) }

func (j *jsonWriter) fixeds(xs []yuma.Fixed) {
	list(j, xs, func(b []byte, x yuma.Fixed) []byte { return x.AppendDecimal(b, yuma.JSONPlaces) })
}

func (j *jsonWriter) uints(xs []uint64) {
	list(j, xs, func(b []byte, x uint64) []byte { return strconv.AppendUint(b, x, 10) })
}
