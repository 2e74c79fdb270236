package oip

import (
	"runtime"

	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

// allocatedBytes returns the bytes allocated so far by the process.
func allocatedBytes() int64 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.TotalAlloc)
}

// digitsSpec is a small classification task spec.
func digitsSpec() subnettypes.TaskSpec {
	return subnettypes.TaskSpec{
		Kind:    "digits-classification",
		Inputs:  []subnettypes.TensorSpec{{Name: "pixels", Dtype: "float32", Shape: []int64{-1, 64}}},
		Outputs: []subnettypes.TensorSpec{{Name: "label", Dtype: "int64", Shape: []int64{-1}}},
		Scoring: "accuracy",
	}
}
