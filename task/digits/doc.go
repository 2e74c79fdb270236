// Package digits is the default subnet task, handwritten digit
// classification (kind "digits-classification"): it loads the UCI optical
// digits data set, draws random label-preserving variants of its images (the
// challenges validators send), trains a small multi-layer perceptron in pure
// Go, exports it as an ONNX file, and runs ONNX files through ONNX Runtime
// (github.com/yalue/onnxruntime_go).
//
// The model format the task expects (see README.md):
//
//	input          float32 [batch, 64]  pixel intensities scaled to [0, 1] (raw value / 16)
//	probabilities  float32 [batch, 10]  softmax over the digits 0..9
//
// Training, export, onnx.Inspect and onnx.Hash need no native library; onnx.Session needs the
// ONNX Runtime shared library, installed by scripts/install-onnxruntime.sh and
// loaded once per process by onnx.InitRuntime.
package digits

const (
	// InputName is the name of the model's input tensor, float32 [batch, 64].
	InputName = "input"
	// OutputName is the name of the model's output tensor, float32 [batch, 10].
	OutputName = "probabilities"
	// NumFeatures is the number of input features: one per pixel of an 8x8 image.
	NumFeatures = 64
	// NumClasses is the number of output classes: the digits 0 to 9.
	NumClasses = 10
)
