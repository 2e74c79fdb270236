package digits

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	"github.com/tensorcosm/tensorcosm/task"
)

// Settings are the digits kind's host settings (task.Env.Settings; for the
// validator the config section tasks.digits-classification). Every key is
// optional; an unknown key is an error.
//
//	data_path  digits.csv.gz (default: $TENSORCOSM_DIGITS_PATH, else
//	           data/digits.csv.gz in the cache, where scripts/fetch-digits.sh puts it)
//	rotate, scale, shear, shift, elastic, stroke, noise
//	           the Augment of every challenge image (default DefaultAugment)
type Settings struct {
	// DataPath is the digits data set the challenges and evaluations use.
	DataPath string
	// Augment is the fresh random variant of every challenge image.
	Augment Augment
}

// settingKeys are the keys Settings accepts, sorted.
var settingKeys = []string{"data_path", "elastic", "noise", "rotate", "scale", "shear", "shift", "stroke"}

// DecodeSettings decodes env's settings strictly over the defaults: an
// unknown key, a value of the wrong type or an Augment out of bounds is an
// error naming the key. Numbers may be given as strings (from flags or the
// environment).
func DecodeSettings(env task.Env) (Settings, error) {
	s := Settings{DataPath: defaultDataPath(env.CacheDir), Augment: DefaultAugment()}
	var errs []error
	for _, k := range sortedKeys(env.Settings) {
		if err := s.set(k, env.Settings[k]); err != nil {
			errs = append(errs, err)
		}
	}
	if err := s.Augment.Validate(); err != nil {
		errs = append(errs, err)
	}
	if s.DataPath == "" {
		errs = append(errs, errors.New("data_path must not be empty"))
	}
	return s, errors.Join(errs...)
}

// set sets one key.
func (s *Settings) set(key string, v any) error {
	if key == "data_path" {
		p, ok := v.(string)
		if !ok {
			return fmt.Errorf("data_path: want a string, got %T", v)
		}
		s.DataPath = p
		return nil
	}
	fields := map[string]*float64{"rotate": &s.Augment.Rotate, "scale": &s.Augment.Scale, "shear": &s.Augment.Shear,
		"shift": &s.Augment.Shift, "elastic": &s.Augment.Elastic, "stroke": &s.Augment.Stroke, "noise": &s.Augment.Noise}
	f, ok := fields[key]
	if !ok {
		return fmt.Errorf("unknown setting %q (known: %v)", key, settingKeys)
	}
	x, err := toFloat(v)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	*f = x
	return nil
}

// toFloat converts a decoded config value to a number.
func toFloat(v any) (float64, error) {
	switch x := v.(type) {
	case float64:
		return x, nil
	case float32:
		return float64(x), nil
	case int:
		return float64(x), nil
	case int64:
		return float64(x), nil
	case uint64:
		return float64(x), nil
	case string:
		f, err := strconv.ParseFloat(x, 64)
		if err != nil || math.IsNaN(f) {
			return 0, fmt.Errorf("%q is not a number", x)
		}
		return f, nil
	}
	return 0, fmt.Errorf("want a number, got %T", v)
}

// defaultDataPath is DataPath() with cacheDir, when set, in place of the
// default cache.
func defaultDataPath(cacheDir string) string {
	if p := os.Getenv(DigitsPathEnv); p != "" || cacheDir == "" {
		return DataPath()
	}
	return filepath.Join(cacheDir, "data", "digits.csv.gz")
}

// sortedKeys returns m's keys sorted, so errors come in a stable order.
func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// CheckSettings implements task.SettingsChecker.
func (Task) CheckSettings(settings map[string]any) error {
	_, err := DecodeSettings(task.Env{Settings: settings})
	return err
}
