//! End-to-end tests: the real `keytrail` binary on fixture trees.

#[path = "cli/ci_recipes.rs"]
mod ci_recipes;
#[path = "cli/common.rs"]
mod common;
#[path = "cli/fake_http.rs"]
mod fake_http;
#[path = "cli/git.rs"]
mod git;
#[path = "cli/github.rs"]
mod github;
#[path = "cli/github_harness.rs"]
mod github_harness;
#[path = "cli/github_push.rs"]
mod github_push;
#[path = "cli/ledger.rs"]
mod ledger;
#[path = "cli/metrics.rs"]
mod metrics;
#[path = "cli/owners.rs"]
mod owners;
#[path = "cli/owners_history.rs"]
mod owners_history;
#[path = "cli/pg.rs"]
mod pg;
#[path = "cli/quality.rs"]
mod quality;
#[path = "cli/rules.rs"]
mod rules;
#[path = "cli/scan.rs"]
mod scan;
#[path = "cli/scan_bad_input.rs"]
mod scan_bad_input;
#[path = "cli/verify.rs"]
mod verify;
