package types

import (
	"encoding/hex"
	"fmt"
	"net"
	"regexp"
	"strings"
	"unicode"
)

const (
	maxNameLen    = 64
	maxTensors    = 16
	maxTensorRank = 8
	maxURILen     = 512
	maxHostLen    = 253
)

var (
	kindRe     = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,63}$`)
	tensorRe   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_.:/-]{0,63}$`)
	hostnameRe = regexp.MustCompile(`^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)
)

// ValidateSubnetName checks a subnet name: 1 to 64 printable characters.
func ValidateSubnetName(name string) error {
	if name == "" || len(name) > maxNameLen {
		return fmt.Errorf("%w: length must be 1..%d, got %d", ErrInvalidName, maxNameLen, len(name))
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return fmt.Errorf("%w: %q has a non-printable character", ErrInvalidName, name)
		}
	}
	return nil
}

// Validate checks the task spec: a kind, 1..16 inputs and outputs with
// unique names, float32/int64 dtypes and shapes of positive or -1 dims.
func (t TaskSpec) Validate() error {
	if !kindRe.MatchString(t.Kind) {
		return fmt.Errorf("%w: kind %q must match %s", ErrInvalidTask, t.Kind, kindRe)
	}
	if len(t.Scoring) > maxNameLen {
		return fmt.Errorf("%w: scoring longer than %d", ErrInvalidTask, maxNameLen)
	}
	if err := validateTensors("inputs", t.Inputs); err != nil {
		return err
	}
	return validateTensors("outputs", t.Outputs)
}

func validateTensors(field string, specs []TensorSpec) error {
	if len(specs) == 0 || len(specs) > maxTensors {
		return fmt.Errorf("%w: %s must have 1..%d tensors, got %d", ErrInvalidTask, field, maxTensors, len(specs))
	}
	seen := make(map[string]bool, len(specs))
	for i, s := range specs {
		if !tensorRe.MatchString(s.Name) {
			return fmt.Errorf("%w: %s[%d].name %q is not a valid tensor name", ErrInvalidTask, field, i, s.Name)
		}
		if seen[s.Name] {
			return fmt.Errorf("%w: %s[%d].name %q is repeated", ErrInvalidTask, field, i, s.Name)
		}
		seen[s.Name] = true
		if s.Dtype != "float32" && s.Dtype != "int64" {
			return fmt.Errorf("%w: %s[%d].dtype must be float32 or int64, got %q", ErrInvalidTask, field, i, s.Dtype)
		}
		if len(s.Shape) == 0 || len(s.Shape) > maxTensorRank {
			return fmt.Errorf("%w: %s[%d].shape must have 1..%d dims", ErrInvalidTask, field, i, maxTensorRank)
		}
		for j, d := range s.Shape {
			if d == 0 || d < -1 {
				return fmt.Errorf("%w: %s[%d].shape[%d] must be > 0 or -1, got %d", ErrInvalidTask, field, i, j, d)
			}
		}
	}
	return nil
}

// Validate checks an axon: a hostname or IP, a port, protocol "grpc" and an
// optional hex SHA-256 TLS fingerprint.
func (a AxonInfo) Validate() error {
	host := a.Host
	if host == "" || len(host) > maxHostLen {
		return fmt.Errorf("%w: host must be 1..%d characters", ErrInvalidAxon, maxHostLen)
	}
	if net.ParseIP(host) == nil && !hostnameRe.MatchString(host) {
		return fmt.Errorf("%w: host %q is neither an IP address nor a hostname", ErrInvalidAxon, host)
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		return fmt.Errorf("%w: host %q is unspecified; announce an address others can reach", ErrInvalidAxon, host)
	}
	if a.Port == 0 || a.Port > 65535 {
		return fmt.Errorf("%w: port must be in [1, 65535], got %d", ErrInvalidAxon, a.Port)
	}
	if a.Protocol != "grpc" {
		return fmt.Errorf("%w: protocol must be \"grpc\", got %q", ErrInvalidAxon, a.Protocol)
	}
	if a.TlsFingerprint != "" && !isHexSHA256(a.TlsFingerprint) {
		return fmt.Errorf("%w: tls_fingerprint must be 64 lowercase hex characters", ErrInvalidAxon)
	}
	return nil
}

// Validate checks a model commitment: a hex SHA-256, a size and a short URI.
func (m ModelCommitment) Validate() error {
	if !isHexSHA256(m.Sha256) {
		return fmt.Errorf("%w: sha256 must be 64 lowercase hex characters, got %q", ErrInvalidModel, m.Sha256)
	}
	if m.Size_ == 0 {
		return fmt.Errorf("%w: size must be > 0", ErrInvalidModel)
	}
	if len(m.Uri) > maxURILen {
		return fmt.Errorf("%w: uri longer than %d", ErrInvalidModel, maxURILen)
	}
	return nil
}

func isHexSHA256(s string) bool {
	if len(s) != 64 || strings.ToLower(s) != s {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
