package yuma

import (
	"encoding/binary"
	"testing"
)

// byteSource hands out fuzzer bytes as numbers, then zeros once they run out.
type byteSource struct{ b []byte }

func (s *byteSource) u8() uint8 {
	if len(s.b) == 0 {
		return 0
	}
	v := s.b[0]
	s.b = s.b[1:]
	return v
}

func (s *byteSource) u16() uint16 { return uint16(s.u8()) | uint16(s.u8())<<8 }

func (s *byteSource) u64() uint64 {
	var buf [8]byte
	for i := range buf {
		buf[i] = s.u8()
	}
	return binary.LittleEndian.Uint64(buf[:])
}

// fixedish returns a fraction that is usually in [0, 1] and sometimes above it, so that
// both the valid range and its rejection are exercised.
func (s *byteSource) fixedish() Fixed {
	v := Fixed(s.u16()) * (One / 65535)
	if s.u8() == 0xff {
		v += One
	}
	return v
}

// fuzzInput decodes an epoch of up to 24 UIDs. Targets may be out of range, duplicated
// or unsorted, and parameters out of range: Run must reject those with an error.
func fuzzInput(data []byte) Input {
	s := &byteSource{b: data}
	n := 1 + int(s.u8()%24)
	in := Input{
		Block:           uint64(s.u16()),
		Stake:           make([]uint64, n),
		LastUpdate:      make([]uint64, n),
		RegisteredAt:    make([]uint64, n),
		ValidatorPermit: make([]bool, n),
		Weights:         make([][]Weight, n),
		Bonds:           make([][]Bond, n),
		Emission:        s.u64(),
		Params: Params{
			Kappa: s.fixedish(), BondsMovingAverage: uint64(s.u16()) * 16, BondsPenalty: s.fixedish(),
			ActivityCutoff: uint64(s.u8()), MaxAllowedValidators: uint16(s.u8()), Tempo: uint64(s.u8()),
			Yuma3: s.u8()%2 == 1, LiquidAlpha: s.u8()%2 == 1, AlphaLow: s.fixedish(), AlphaHigh: s.fixedish(),
			AlphaSigmoidSteepness: int16(s.u16()),
		},
	}
	in.HasOwner, in.OwnerUID = s.u8()%2 == 1, uint16(s.u8()%uint8(n+1))
	for i := range n {
		in.Stake[i] = s.u64() >> (s.u8() % 64)
		in.LastUpdate[i], in.RegisteredAt[i] = uint64(s.u16()), uint64(s.u16())
		in.ValidatorPermit[i] = s.u8()%3 != 0
		for range s.u8() % 8 {
			in.Weights[i] = append(in.Weights[i], Weight{UID: uint16(s.u8() % uint8(n+1)), Value: s.u16()})
		}
		for range s.u8() % 8 {
			in.Bonds[i] = append(in.Bonds[i], Bond{UID: uint16(s.u8() % uint8(n+1)), Value: s.fixedish()})
		}
	}
	return in
}

// FuzzRun feeds arbitrary epochs to the engine: it must never panic, and when it accepts
// the input the split must be exact and every share within [0, 1].
func FuzzRun(f *testing.F) {
	g := &gen{s: 99}
	for range 8 {
		seed := make([]byte, 600)
		for i := range seed {
			seed[i] = byte(g.u64())
		}
		f.Add(seed)
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		in := fuzzInput(data)
		out, err := Run(in)
		if err != nil {
			return
		}
		var total u128
		for i, e := range out.Emission {
			total = total.add64(e)
			if out.MinerEmission[i]+out.ValidatorEmission[i] != e {
				t.Fatal("emission parts do not add up")
			}
		}
		if total != (u128{lo: in.Emission}) {
			t.Fatalf("paid %v of %d", total, in.Emission)
		}
		for _, v := range [][]Fixed{out.Consensus, out.Trust, out.ValidatorTrust, out.Rank, out.Incentive, out.Dividends} {
			for _, x := range v {
				if x > One {
					t.Fatalf("share %s above one", x)
				}
			}
		}
		if again, _ := Run(in); digest(again) != digest(out) {
			t.Fatal("Run is not deterministic")
		}
	})
}
