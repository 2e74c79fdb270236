package onnx

import "testing"

func TestResolveLibraryPath(t *testing.T) {
	tests := []struct {
		name, arg, env, want string
	}{
		{name: "argument wins", arg: "/a/lib.so", env: "/e/lib.so", want: "/a/lib.so"},
		{name: "environment", env: "/e/lib.so", want: "/e/lib.so"},
		{name: "cache default", want: "/c/onnxruntime/" + RuntimeVersion + "/libonnxruntime.so.1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(LibraryPathEnv, tc.env)
			t.Setenv(CacheEnv, "/c")
			if got := ResolveLibraryPath(tc.arg); got != tc.want {
				t.Fatalf("ResolveLibraryPath(%q) = %q, want %q", tc.arg, got, tc.want)
			}
		})
	}
}
