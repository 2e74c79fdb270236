// Package onnx is the project's ONNX Runtime layer: loading the shared
// library once per process (InitRuntime), sessions on CPU or CUDA
// (LoadSession, Session.Run with checked inputs), dense tensors, and
// inspection and hashing of .onnx files without the runtime (Inspect, Hash).
// It knows nothing about tasks: the task packages (task/...) and the miner
// and validator build on it.
package onnx
