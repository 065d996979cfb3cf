package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestGW4_SimFaultFlagsValidated(t *testing.T) {
	csv := filepath.Join(t.TempDir(), "devices.csv")
	if err := os.WriteFile(csv, []byte("serial,model,secret,oak\nACCC8E000001,AXIS Q1615,s,o\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{
		{"--fail-install", "1.5"}, {"--drop-download", "-0.1"}, {"--tamper", "2"},
		{"--offline-share", "1.2", "--offline-during", "1h"}, {"--offline-share", "0.5"},
		{"--install-min", "0"}, {"--install-min", "2m", "--install-max", "1m"}, {"--chunk", "0"},
	} {
		args := append([]string{"--server", "http://127.0.0.1:1", "--devices", csv}, bad...)
		err := cmdSim(context.Background(), args, io.Discard, io.Discard)
		if err == nil || strings.Contains(err.Error(), "flag provided but not defined") {
			t.Errorf("%v: %v, want refused", bad, err)
		}
	}
}
