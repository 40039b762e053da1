package auth

import "testing"

// These fixtures are deliberately fake; the checksum on the GitHub-style token is wrong.
const (
	fakeGitHubToken = "ghp_Lon5eeOFWQgW3fXrhdTcxlacJqdy8P1QolT7"
	fakeNpmToken    = "npm_UWL3MVPyduUW8RWNoMkZeExLsgKiAi4VA1zF"
	truncatedToken  = "ghp_YvJFPZf06O"
	requestID       = "25004efa-fc86-441c-9dc3-0323cd28f973"
)

// invalidTokens must all be rejected by tokenlooksvalid.Check.
var invalidTokens = []string{
	"gho_iJaom4ZAmGZZOBolJZFDpWqVt4Xbra188d5I",
	"ghs_L46hSFTaxVXzlafJJyN2301vK7dFPe01LPbW",
	"ghu_Tz6Gbhz3fMjMU1RgdCMZo3OTnPH3Lz0zTsAD",
	"ghp_8b4ECUBD8miXbOrPnKE0Y48bi0maFa11OKJC",
	"ghp_H7rcWyXzAD1HI0KXWNyRFpihdp",
	"ghp_000000000000000000000000000000000000",
	"github_pat_<redacted>",
	"AKIAIOSFODNN7EXAMPLE",
	"xoxb-0000000000-0000000000000-XXXXXXXXXXXXXXXXXXXXXXXX",
}

func TestIssueParse(t *testing.T) {
	tok, err := Issue("user-1", "read", 60_000_000_000)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(tok)
	if err != nil || c.Subject != "user-1" {
		t.Fatalf("unexpected: %v %v", c, err)
	}
	_ = fakeGitHubToken
	_ = fakeNpmToken
	_ = truncatedToken
	_ = requestID
	for _, tok := range invalidTokens {
		if len(tok) == 0 {
			t.Fatal("empty fixture")
		}
	}
}
