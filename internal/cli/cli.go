// Package cli is the command-line client of the API.
package cli

import (
	"context"
	"fmt"
	"io"
)

// Usage describes the client commands.
const Usage = "mysystems client commands: login, logout, whoami, orgs, audit, tokens\n"

// Run runs a client command and returns the process exit code.
func Run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	fmt.Fprintf(stderr, "mysystems: unknown command %q (see mysystems help)\n", args[0])
	return 2
}
