package task

// SettingsChecker is implemented by kinds that take settings (Env.Settings),
// so that a daemon's config Validate reports a bad setting before any data
// is loaded. CheckSettings returns the same errors New would: unknown keys,
// values of the wrong type or out of range.
type SettingsChecker interface {
	CheckSettings(settings map[string]any) error
}

// TrainOptions are the knobs of Trainer.Train that tensorcosm-miner model
// train exposes. A kind reads those that apply to it and documents the rest
// as ignored.
type TrainOptions struct {
	// Epochs is the number of passes over the training data; 0 gives the
	// untrained model.
	Epochs int
	// Hidden is a width of the model (for the digits MLP, the hidden layer).
	Hidden int
	// BatchSize is the number of items per optimiser step.
	BatchSize int
	// LearningRate is the optimiser's step size.
	LearningRate float64
	// Seed drives the initial weights and the data order.
	Seed uint64
	// Progress, when set, is called after every epoch.
	Progress func(TrainProgress)
}

// TrainProgress is the state of training after one epoch.
type TrainProgress struct {
	// Epoch counts from 1 to Epochs.
	Epoch, Epochs int
	// Loss is the mean training loss over the epoch.
	Loss float64
	// HeldOutScore is the task score on held-out data, or -1 when not
	// measured.
	HeldOutScore float64
}

// TrainResult is a trained model and what training measured.
type TrainResult struct {
	// Model is the ONNX file.
	Model []byte
	// Architecture describes the model in a few words, e.g. "64-32-10 MLP,
	// 2410 parameters".
	Architecture string
	// HeldOut is the model's score on held-out data, measured by the
	// trainer itself (not through ONNX Runtime).
	HeldOut EvalReport
}

// Trainer is implemented by kinds that can train a model in Go
// (tensorcosm-miner model train --task).
type Trainer interface {
	// DefaultTrainOptions are the options the CLI starts from.
	DefaultTrainOptions() TrainOptions
	// Train trains a model on the kind's public training data.
	Train(opts TrainOptions, env Env) (TrainResult, error)
}
