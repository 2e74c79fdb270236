package digits

import (
	"fmt"

	"github.com/tensorcosm/tensorcosm/onnx"
	"github.com/tensorcosm/tensorcosm/task"
)

// InitModel implements task.ModelMaker: the untrained MLP (the default
// hidden width, He-uniform weights from seed), exactly what Train writes
// with 0 epochs.
func (Task) InitModel(seed uint64) ([]byte, error) {
	return NewMLP(DefaultTrainOptions().Hidden, seed).MarshalONNX()
}

// NewMLP returns an untrained MLP with the given hidden width, its weights
// drawn from seed as Train draws them.
func NewMLP(hidden int, seed uint64) *MLP {
	return newTrainer(hidden, 1, newSplitMix64(seed)).mlp()
}

// Eval implements task.Evaluator: the model's accuracy on the held-out
// split of the data set at env's data_path, through ONNX Runtime.
func (Task) Eval(s *onnx.Session, env task.Env) (task.EvalReport, error) {
	set, err := DecodeSettings(env)
	if err != nil {
		return task.EvalReport{}, fmt.Errorf("%s settings: %w", Kind, err)
	}
	_, heldOut, err := LoadDigitsSplit(set.DataPath)
	if err != nil {
		return task.EvalReport{}, err
	}
	acc, n, err := Eval(s, heldOut)
	if err != nil {
		return task.EvalReport{}, err
	}
	return task.EvalReport{Items: n, Score: acc, Metrics: map[string]float64{"accuracy": acc}}, nil
}

// DefaultTrainOptions implements task.Trainer.
func (Task) DefaultTrainOptions() task.TrainOptions {
	o := DefaultTrainOptions()
	return task.TrainOptions{Epochs: o.Epochs, Hidden: o.Hidden, BatchSize: o.BatchSize, LearningRate: o.LearningRate, Seed: o.Seed}
}

// Train implements task.Trainer: the MLP trained on the training split of
// the data set at env's data_path, its held-out accuracy measured in Go.
func (Task) Train(opts task.TrainOptions, env task.Env) (task.TrainResult, error) {
	o := TrainOptions{Epochs: opts.Epochs, Hidden: opts.Hidden, BatchSize: opts.BatchSize, LearningRate: opts.LearningRate, Seed: opts.Seed}
	if err := o.Validate(); err != nil {
		return task.TrainResult{}, err
	}
	set, err := DecodeSettings(env)
	if err != nil {
		return task.TrainResult{}, fmt.Errorf("%s settings: %w", Kind, err)
	}
	train, heldOut, err := LoadDigitsSplit(set.DataPath)
	if err != nil {
		return task.TrainResult{}, err
	}
	if opts.Progress != nil {
		o.Progress = func(s EpochStats) {
			opts.Progress(task.TrainProgress{Epoch: s.Epoch, Epochs: s.Epochs, Loss: s.Loss, HeldOutScore: s.HeldOutAccuracy})
		}
	}
	m, err := Train(train, heldOut, o)
	if err != nil {
		return task.TrainResult{}, err
	}
	file, err := m.MarshalONNX()
	if err != nil {
		return task.TrainResult{}, err
	}
	acc, err := m.Accuracy(heldOut)
	if err != nil {
		return task.TrainResult{}, err
	}
	return task.TrainResult{
		Model:        file,
		Architecture: fmt.Sprintf("%d-%d-%d MLP, %d parameters", NumFeatures, m.Hidden, NumClasses, m.NumParams()),
		HeldOut:      task.EvalReport{Items: heldOut.Len(), Score: acc, Metrics: map[string]float64{"accuracy": acc}},
	}, nil
}
