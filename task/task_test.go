package task_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/tensorcosm/tensorcosm/task"
	subnettypes "github.com/tensorcosm/tensorcosm/x/subnet/types"
)

type fakeTask struct{ kind string }

func (f fakeTask) Kind() string                      { return f.kind }
func (f fakeTask) DefaultSpec() subnettypes.TaskSpec { return subnettypes.TaskSpec{Kind: f.kind} }
func (f fakeTask) New(spec subnettypes.TaskSpec, _ task.Env) (task.Instance, error) {
	if spec.Kind != f.kind {
		return nil, task.ErrBadSpec
	}
	return nil, nil
}

func TestRegistry(t *testing.T) {
	task.Register(fakeTask{"zz-test-b"})
	task.Register(fakeTask{"zz-test-a"})
	kinds := task.Kinds()
	ia, ib := -1, -1
	for i, k := range kinds {
		switch k {
		case "zz-test-a":
			ia = i
		case "zz-test-b":
			ib = i
		}
	}
	if ia < 0 || ib < 0 || ia > ib {
		t.Fatalf("Kinds() = %v, want both test kinds, sorted", kinds)
	}
	if _, err := task.Get("zz-test-a"); err != nil {
		t.Fatalf("Get(registered) = %v", err)
	}
	_, err := task.Get("nope")
	if !errors.Is(err, task.ErrUnknownKind) || !strings.Contains(err.Error(), "zz-test-a, zz-test-b") {
		t.Fatalf("Get(unknown) = %v, want ErrUnknownKind listing the known kinds", err)
	}
	if _, err := task.Instantiate(subnettypes.TaskSpec{Kind: "nope"}, task.Env{}); !errors.Is(err, task.ErrUnknownKind) {
		t.Fatalf("Instantiate(unknown) = %v", err)
	}
	for _, k := range []string{"", "zz-test-a"} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) did not panic", k)
				}
			}()
			task.Register(fakeTask{k})
		}()
	}
}
