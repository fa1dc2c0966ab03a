// Package mcptest holds what the tests of the MCP server share, in process
// and end to end: a tool call that hands back the answer as text.
package mcptest

import (
	"context"
	"strings"
	"testing"

	sdk "github.com/modelcontextprotocol/go-sdk/mcp"
)

// Call calls tool with args and returns the text of its answer, whether the
// answer is an error and its structured content; a failed call fails t.
func Call(ctx context.Context, t testing.TB, cs *sdk.ClientSession, tool string, args any) (string, bool, any) {
	t.Helper()
	res, err := cs.CallTool(ctx, &sdk.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("call %s %v: %v", tool, args, err)
	}
	var b strings.Builder
	for _, c := range res.Content {
		if tc, ok := c.(*sdk.TextContent); ok {
			b.WriteString(tc.Text)
		}
	}
	return b.String(), res.IsError, res.StructuredContent
}
