package types

import (
	"crypto/sha256"
	"encoding/binary"
)

// commitDomain separates weight commitments from any other SHA-256 use.
const commitDomain = "tensorcosm/subnet/v1/weights-commit"

// MaxWeightCommits is the number of unrevealed commits a neuron may hold.
const MaxWeightCommits = 10

// CommitHash is the commitment MsgCommitWeights carries and
// MsgRevealWeights must match: SHA-256 over
//
//	"tensorcosm/subnet/v1/weights-commit"
//	u64 len(hotkey) || hotkey (bech32 string bytes)
//	u32 netuid
//	u64 len(uids)   || each uid as u32
//	u64 len(values) || each value as u32
//	u64 len(salt)   || salt
//	u64 version_key
//
// with every integer big-endian.
func CommitHash(hotkey string, netuid uint32, uids, values []uint32, salt []byte, versionKey uint64) []byte {
	h := sha256.New()
	var buf [8]byte
	u64 := func(v uint64) {
		binary.BigEndian.PutUint64(buf[:], v)
		h.Write(buf[:8])
	}
	u32 := func(v uint32) {
		binary.BigEndian.PutUint32(buf[:4], v)
		h.Write(buf[:4])
	}
	h.Write([]byte(commitDomain))
	u64(uint64(len(hotkey)))
	h.Write([]byte(hotkey))
	u32(netuid)
	u64(uint64(len(uids)))
	for _, u := range uids {
		u32(u)
	}
	u64(uint64(len(values)))
	for _, v := range values {
		u32(v)
	}
	u64(uint64(len(salt)))
	h.Write(salt)
	u64(versionKey)
	return h.Sum(nil)
}

// EpochIndex is the number of the subnet epoch that block belongs to: it
// increases by one right after each epoch block (IsEpochBlock), so a
// commit made at an epoch block belongs to the next epoch.
func EpochIndex(netuid uint32, tempo uint32, block int64) uint64 {
	if block < 0 {
		block = 0
	}
	return (uint64(block) + uint64(netuid) + 1) / (uint64(tempo) + 1)
}
