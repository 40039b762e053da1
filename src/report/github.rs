//! What keytrail shows on GitHub: workflow-command annotations for the log, the markdown job
//! summary and pull-request comment, and step outputs.
//!
//! Everything here is built from redacted secrets only. Text from the repository (paths, rule
//! names from user rule files, author names) is sanitised first, then escaped for where it
//! goes: workflow-command data escapes `%`, `\r` and `\n`, properties also `:` and `,` (GitHub's
//! rules, so a path cannot end an annotation early or start another command); markdown puts
//! such text in code spans, so it cannot add links, images, HTML or mentions. Owners are the
//! exception: a handle shaped like `@org/team` is written as is, so the comment tells them.

use super::sanitize::sanitize;
use crate::github::{FailOn, short};
use crate::scan::Finding;
use crate::verify::Validity;

/// Rows shown at most in a job summary (GitHub keeps 1 MiB of it).
pub const SUMMARY_ROWS: usize = 300;
/// Rows shown at most in a pull-request comment (GitHub keeps 65,536 characters).
pub const COMMENT_ROWS: usize = 50;

/// One finding as the GitHub reports show it.
#[derive(Debug, Clone)]
pub struct Row<'a> {
    /// The finding.
    pub finding: &'a Finding,
    /// Whether its secret is new (not already at the base).
    pub is_new: bool,
}

/// What was scanned, for the summary and the comment.
#[derive(Debug, Clone)]
pub struct Scope {
    /// For people: "pull request #12", "push to main", "full history".
    pub title: String,
    /// The range's base and head commit ids; `None` for a full-history scan.
    pub range: Option<(String, String)>,
    /// For a history scan of one commit's history only (a new branch), that commit.
    pub history_of: Option<String>,
    /// The `fail-on` policy.
    pub fail_on: FailOn,
    /// Whether the job fails.
    pub fails: bool,
    /// Where files and commits can be linked to, when known.
    pub links: Option<Links>,
}

/// Link targets on the GitHub server.
#[derive(Debug, Clone)]
pub struct Links {
    /// `GITHUB_SERVER_URL`, without a trailing `/`.
    pub server: String,
    /// `owner/name`.
    pub repository: String,
    /// The commit files are linked at.
    pub head: String,
    /// Prefix of finding paths relative to the repository root (a checkout in a subdirectory
    /// of the workspace); stripped for links.
    pub strip: String,
}

/// Escapes workflow-command data (the message after `::`).
pub fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a workflow-command property value (`file=`, `title=`).
pub fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The workflow command that annotates a finding: `::error` for what fails the job, else
/// `::warning`.
pub fn annotation(row: &Row<'_>, fails: bool) -> String {
    let f = row.finding;
    let level = if fails { "error" } else { "warning" };
    let mut props = format!(
        "file={},line={},endLine={}",
        escape_property(&sanitize(&f.path)),
        f.span.line,
        f.span.end_line
    );
    if f.span.line == f.span.end_line {
        props.push_str(&format!(
            ",col={},endColumn={}",
            f.span.column, f.span.end_column
        ));
    }
    let title = format!("keytrail: {}", sanitize(&f.rule_name));
    props.push_str(&format!(",title={}", escape_property(&title)));
    format!(
        "::{level} {props}::{}",
        escape_data(&annotation_message(row))
    )
}

fn annotation_message(row: &Row<'_>) -> String {
    let f = row.finding;
    let mut text = format!(
        "{} {} ({})",
        sanitize(&f.rule_name),
        f.secret.redacted(),
        f.rule_id
    );
    if let Some(c) = &f.commit {
        text.push_str(&format!(
            ", added in {} by {}",
            short(&c.id),
            sanitize(&c.author_name)
        ));
    }
    let owners = owners_of(f);
    if !owners.is_empty() {
        text.push_str(&format!(", owned by {}", sanitize(&owners.join(", "))));
    }
    if let Some(v) = f.validity {
        text.push_str(&format!(", checked: {}", v.as_str()));
    }
    if !row.is_new {
        text.push_str(" (already at the base)");
    }
    text.push_str(". Revoke or rotate it with its provider, then remove it.");
    text
}

/// The owners a finding carries (its attribution); empty when it has none.
pub fn owners_of(f: &Finding) -> Vec<String> {
    f.attribution
        .as_ref()
        .map(|a| a.owners.iter().map(|o| o.as_str().to_string()).collect())
        .unwrap_or_default()
}

/// A `name=value` line for `GITHUB_OUTPUT` (a delimited block when the value spans lines).
pub fn output_line(name: &str, value: &str) -> String {
    if !value.contains(['\n', '\r']) {
        return format!("{name}={value}\n");
    }
    let mut delimiter = String::from("KEYTRAIL_EOF");
    while value.contains(&delimiter) {
        delimiter.push('_');
    }
    format!("{name}<<{delimiter}\n{value}\n{delimiter}\n")
}

/// The job summary: a heading, what was scanned, a table of findings and what to do.
pub fn job_summary(scope: &Scope, rows: &[Row<'_>]) -> String {
    let mut md = format!("## {}\n\n", headline(scope, rows));
    md.push_str(&scope_line(scope, rows));
    if !rows.is_empty() {
        md.push_str(&table(scope, rows, SUMMARY_ROWS));
        md.push_str(&advice());
    }
    md
}

/// The pull-request comment: the marker, then the same content in fewer rows, with the
/// owners named.
pub fn comment_body(scope: &Scope, rows: &[Row<'_>]) -> String {
    let mut md = format!(
        "{}\n### {}\n\n",
        crate::github::api::COMMENT_MARKER,
        headline(scope, rows)
    );
    md.push_str(&scope_line(scope, rows));
    if rows.is_empty() {
        md.push_str(
            "Nothing to do: earlier findings are no longer in what this pull request adds.\n",
        );
        return md;
    }
    let owners = all_owners(rows);
    if !owners.is_empty() {
        md.push_str(&format!("**Owners:** {}\n\n", owners.join(", ")));
    }
    md.push_str(&table(scope, rows, COMMENT_ROWS));
    md.push_str(&advice());
    md
}

/// The job summary of a run that had nothing to scan.
pub fn nothing_summary(title: &str, reason: &str) -> String {
    format!(
        "## keytrail: nothing to scan in {}\n\n{}.\n",
        sanitize(title),
        sanitize(reason)
    )
}

/// The job summary of a run that could not scan.
pub fn error_summary(message: &str) -> String {
    format!("## keytrail could not scan\n\n{}\n", code(message))
}

/// A workflow-command error without a file (for failures before the scan).
pub fn error_command(message: &str) -> String {
    format!(
        "::error title=keytrail::{}",
        escape_data(&sanitize(message))
    )
}

/// A workflow-command warning without a file.
pub fn warning_command(message: &str) -> String {
    format!(
        "::warning title=keytrail::{}",
        escape_data(&sanitize(message))
    )
}

fn headline(scope: &Scope, rows: &[Row<'_>]) -> String {
    let new = rows.iter().filter(|r| r.is_new).count();
    let verdict = if scope.fails { "fails" } else { "passes" };
    match rows.len() {
        0 => format!("keytrail: no secrets in {}", scope.title),
        n if scope.range.is_some() && new < n => format!(
            "keytrail: {n} secret{} in {} ({new} new), check {verdict}",
            plural(n),
            scope.title
        ),
        n => format!(
            "keytrail: {n} secret{} in {}, check {verdict}",
            plural(n),
            scope.title
        ),
    }
}

fn scope_line(scope: &Scope, rows: &[Row<'_>]) -> String {
    let what = match (&scope.range, &scope.history_of) {
        (Some((base, head)), _) => {
            format!("`{}..{}`, the lines it adds", short(base), short(head))
        }
        (None, Some(head)) => format!("the history of `{}`", short(head)),
        (None, None) => "every commit of every ref".to_string(),
    };
    let mut line = format!("Scanned {what}. `fail-on: {}`", scope.fail_on.as_str());
    let old = rows.iter().filter(|r| !r.is_new).count();
    if old > 0 && scope.fail_on == FailOn::New {
        line.push_str(&format!(
            "; {old} secret{} already at the base do{} not fail the check",
            plural(old),
            if old == 1 { "es" } else { "" }
        ));
    }
    line.push_str(". Secrets are shown redacted.\n\n");
    line
}

fn table(scope: &Scope, rows: &[Row<'_>], limit: usize) -> String {
    let mut md = String::from(
        "| Rule | File | Secret | Commit | Author | Owners | Validity | Status |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    for row in rows.iter().take(limit) {
        md.push_str(&table_row(scope, row));
    }
    if rows.len() > limit {
        md.push_str(&format!(
            "\n…and {} more (see the SARIF file or the log).\n",
            rows.len() - limit
        ));
    }
    md.push('\n');
    md
}

fn table_row(scope: &Scope, row: &Row<'_>) -> String {
    let f = row.finding;
    let place = code(&format!("{}:{}", f.path, f.span.line));
    let place = match &scope.links {
        Some(l) => format!("[{place}]({})", l.file_url(&f.path, f.span.line)),
        None => place,
    };
    let (commit, author) = match &f.commit {
        Some(c) => {
            let id = code(short(&c.id));
            let id = match &scope.links {
                Some(l) => format!("[{id}]({})", l.commit_url(&c.id)),
                None => id,
            };
            (id, code(&c.author_name))
        }
        None => ("—".into(), "—".into()),
    };
    format!(
        "| {} {} | {place} | {} | {commit} | {author} | {} | {} | {} |\n",
        code(&f.rule_name),
        code(f.rule_id.as_str()),
        code(f.secret.redacted()),
        owners_cell(f),
        validity_cell(f.validity),
        status_cell(scope, row)
    )
}

/// The owners column: the owners a finding carries, or `—`.
fn owners_cell(f: &Finding) -> String {
    let owners: Vec<String> = owners_of(f).iter().map(|o| owner_md(o)).collect();
    if owners.is_empty() {
        "—".into()
    } else {
        owners.join(", ")
    }
}

fn validity_cell(v: Option<Validity>) -> String {
    match v {
        Some(Validity::Active) => "**active**".into(),
        Some(v) => v.as_str().into(),
        None => "—".into(),
    }
}

fn status_cell(scope: &Scope, row: &Row<'_>) -> &'static str {
    match (&scope.range, row.is_new, row.finding.still_at_head) {
        (Some(_), true, _) => "new",
        (Some(_), false, _) => "already at base",
        (None, _, Some(true)) => "at HEAD",
        (None, _, Some(false)) => "history only",
        (None, _, None) => "—",
    }
}

fn all_owners(rows: &[Row<'_>]) -> Vec<String> {
    let mut owners: Vec<String> = rows.iter().flat_map(|r| owners_of(r.finding)).collect();
    owners.sort();
    owners.dedup();
    owners.iter().map(|o| owner_md(o)).collect()
}

fn advice() -> String {
    "**What to do:** revoke or rotate each secret with its provider first (deleting it from the \
     code does not make it safe: it stays in the history), then remove it. A test value can \
     stay with `keytrail:allow` on its line, or with its hash in `.keytrailignore` \
     (`keytrail ignore` prints the line).\n"
        .to_string()
}

impl Links {
    fn file_url(&self, path: &str, line: u32) -> String {
        let path = path.strip_prefix(&self.strip).unwrap_or(path);
        format!(
            "{}/{}/blob/{}/{}#L{line}",
            self.server,
            self.repository,
            self.head,
            super::sarif::uri_of(path)
        )
    }

    fn commit_url(&self, id: &str) -> String {
        format!("{}/{}/commit/{id}", self.server, self.repository)
    }
}

/// A handle (`@user`, `@org/team`) as is, so it notifies; anything else as code.
fn owner_md(owner: &str) -> String {
    let handle = owner.strip_prefix('@').is_some_and(|h| {
        let mut parts = h.splitn(2, '/');
        let name_ok = |p: &str| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        };
        parts.next().is_some_and(name_ok) && parts.next().is_none_or(name_ok)
    });
    if handle {
        owner.to_string()
    } else {
        code(owner)
    }
}

/// Text as a markdown code span that is safe in a table cell: sanitised, pipes escaped, and a
/// backtick fence longer than any run inside.
fn code(text: &str) -> String {
    let text = sanitize(text).replace('|', "\\|");
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{text}{pad}{fence}")
}

fn plural(n: usize) -> &'static str {
    if n == 1 { "" } else { "s" }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_command_escapes() {
        assert_eq!(escape_data("100%\r\nnext"), "100%25%0D%0Anext");
        assert_eq!(escape_property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }

    #[test]
    fn code_spans_hold_anything() {
        assert_eq!(code("a.rs"), "`a.rs`");
        assert_eq!(code("a`b"), "``a`b``");
        assert_eq!(code("`x"), "`` `x ``");
        assert_eq!(code("a|b"), "`a\\|b`");
        assert_eq!(code("x\ny"), "`x\\ny`");
    }

    #[test]
    fn owners_are_mentioned_only_when_they_look_like_handles() {
        assert_eq!(owner_md("@acme/payments"), "@acme/payments");
        assert_eq!(owner_md("@alice"), "@alice");
        assert_eq!(owner_md("dev@example.com"), "`dev@example.com`");
        assert_eq!(owner_md("@a/b/c"), "`@a/b/c`");
        assert_eq!(owner_md("@x](http://evil)"), "`@x](http://evil)`");
    }

    #[test]
    fn outputs_use_a_delimiter_for_multi_line_values() {
        assert_eq!(output_line("findings", "2"), "findings=2\n");
        assert_eq!(
            output_line("x", "a\nKEYTRAIL_EOF"),
            "x<<KEYTRAIL_EOF_\na\nKEYTRAIL_EOF\nKEYTRAIL_EOF_\n"
        );
    }
}
