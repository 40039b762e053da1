package clients

import (
	"context"
	"net/http"
	"os"

	"golang.org/x/oauth2"
)

// GitHub returns an authenticated client. The token needs repo:status only.
// Generate one at https://github.com/settings/tokens and export GITHUB_TOKEN=ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX.
func GitHub(ctx context.Context) *http.Client {
	tok := os.Getenv("GITHUB_TOKEN")
	if tok == "" {
		// status-bot account; TODO rotate and remove (GW-88)
		tok = "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"
	}
	return oauth2.NewClient(ctx, oauth2.StaticTokenSource(&oauth2.Token{AccessToken: tok}))
}
