//! The owners map (`keytrail.toml`): repositories and paths mapped to a service, its technical
//! and lifecycle owners and how to reach them.
//!
//! ```toml
//! [codeowners]
//! flavor = "gitlab"                  # optional: how to read CODEOWNERS (default: detected)
//!
//! [[owner]]
//! name = "payments"
//! repositories = ["monorepo"]        # optional globs over repository names; default: all
//! paths = ["services/payments/"]     # optional CODEOWNERS-style patterns; default: all paths
//! service = "payments-api"
//! owners = ["@acme/payments"]        # default: the lifecycle and technical owners
//! technical_owner = "@acme/payments"
//! lifecycle_owner = "alice@acme.example"
//! [owner.contacts]
//! email = "payments@acme.example"
//! slack = "#payments-oncall"
//! webhook = "https://hooks.acme.example/payments"
//! ```
//!
//! The last matching entry wins, as in CODEOWNERS, so general entries go first and specific
//! ones after. Unknown keys are errors. A bad entry is reported with its line number and
//! skipped; the other entries are kept.

use serde::Deserialize;

use super::codeowners::Flavor;
use super::pattern::{self, Compiled, Syntax};
use super::set::{PatternSet, PatternSetBuilder};
use super::{Contacts, LineError, Owner, Problem};

/// The file's shape, for serde.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct MapFile {
    #[serde(default)]
    codeowners: Option<CodeownersSettings>,
    #[serde(default)]
    owner: Vec<EntrySpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CodeownersSettings {
    flavor: Option<Flavor>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct EntrySpec {
    name: String,
    #[serde(default)]
    repositories: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    service: Option<String>,
    #[serde(default)]
    owners: Vec<String>,
    technical_owner: Option<String>,
    lifecycle_owner: Option<String>,
    #[serde(default)]
    contacts: ContactsSpec,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContactsSpec {
    email: Option<String>,
    slack: Option<String>,
    webhook: Option<String>,
}

/// One `[[owner]]` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapEntry {
    /// The entry's `name`.
    pub name: String,
    /// Line of its `[[owner]]` header.
    pub line: u32,
    /// Repository name globs; empty means every repository.
    pub repositories: Vec<String>,
    /// Path patterns as written; empty means every path.
    pub paths: Vec<String>,
    /// The service.
    pub service: Option<String>,
    /// Owners to notify.
    pub owners: Vec<Owner>,
    /// Who maintains the service.
    pub technical_owner: Option<Owner>,
    /// Who is accountable for revoking its credentials.
    pub lifecycle_owner: Option<Owner>,
    /// Where to reach them.
    pub contacts: Contacts,
    /// `paths`, compiled.
    pub compiled: Vec<Compiled>,
}

/// A parsed owners map.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnersMap {
    /// The file, as found or given.
    pub file: String,
    /// Entries in file order (bad ones left out).
    pub entries: Vec<MapEntry>,
    /// `[codeowners] flavor`, if set.
    pub flavor: Option<Flavor>,
    /// Problems, in line order.
    pub errors: Vec<LineError>,
}

/// Parses an owners map. Never fails as a whole: problems are in [`OwnersMap::errors`].
pub fn parse(file: &str, text: &str) -> OwnersMap {
    let mut map = OwnersMap {
        file: file.to_string(),
        ..OwnersMap::default()
    };
    let chunks = chunks(text);
    match toml::from_str::<MapFile>(text) {
        Ok(parsed) => map.add(text, &chunks, parsed, 0),
        Err(e) if chunks.len() <= 1 => map.toml_error(text, 0, &e, "the owners map is not used"),
        Err(_) => {
            // Salvage: read the preamble and each entry on its own, so one bad entry does
            // not lose the others.
            for (i, range) in chunks.iter().enumerate() {
                let part = &text[range.clone()];
                match toml::from_str::<MapFile>(part) {
                    Ok(parsed) => map.add(text, &chunks[i..=i], parsed, range.start),
                    Err(e) => map.toml_error(text, range.start, &e, "entry skipped"),
                }
            }
        }
    }
    map.errors.sort_by_key(|e| e.line);
    map
}

/// Byte ranges of the preamble and of each `[[owner]]` entry.
fn chunks(text: &str) -> Vec<std::ops::Range<usize>> {
    let mut starts = vec![0];
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let t: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if t.starts_with("[[owner]]") && offset > 0 {
            starts.push(offset);
        }
        offset += line.len();
    }
    let mut out: Vec<_> = starts.windows(2).map(|w| w[0]..w[1]).collect();
    out.push(starts[starts.len() - 1]..text.len());
    out
}

/// 1-based line of byte `offset`.
fn line_of(text: &str, offset: usize) -> u32 {
    let n = memchr::memchr_iter(b'\n', &text.as_bytes()[..offset.min(text.len())]).count();
    u32::try_from(n + 1).unwrap_or(u32::MAX)
}

impl OwnersMap {
    fn toml_error(&mut self, text: &str, base: usize, e: &toml::de::Error, outcome: &str) {
        let at = base + e.span().map_or(0, |s| s.start);
        let message = format!("{}; {outcome}", e.message().trim());
        self.error(line_of(text, at), message);
    }

    fn error(&mut self, line: u32, message: String) {
        self.errors.push(LineError {
            file: self.file.clone(),
            line,
            problem: Problem::Map(message),
        });
    }

    /// Adds what `parsed` (read from the chunks `chunks` of `text`) holds.
    fn add(&mut self, text: &str, chunks: &[std::ops::Range<usize>], parsed: MapFile, base: usize) {
        if let Some(flavor) = parsed.codeowners.and_then(|c| c.flavor) {
            self.flavor = Some(flavor);
        }
        let headers: Vec<&std::ops::Range<usize>> = chunks
            .iter()
            .filter(|r| text[r.start..r.end].trim_start().starts_with("[["))
            .collect();
        for (i, spec) in parsed.owner.into_iter().enumerate() {
            let at = headers
                .get(i)
                .map_or(base, |r| r.start + leading_ws(&text[r.start..r.end]));
            let range = headers.get(i).map_or(base..text.len(), |r| (*r).clone());
            self.entry(text, at, range, spec);
        }
    }

    fn entry(&mut self, text: &str, at: usize, range: std::ops::Range<usize>, spec: EntrySpec) {
        let line = line_of(text, at);
        let mut ctx = EntryContext {
            map: self,
            text,
            range,
            line,
        };
        let technical = ctx.owner("technical_owner", spec.technical_owner.as_deref());
        let lifecycle = ctx.owner("lifecycle_owner", spec.lifecycle_owner.as_deref());
        let mut owners: Vec<Owner> = spec
            .owners
            .iter()
            .filter_map(|v| ctx.owner("owners", Some(v)))
            .collect();
        if owners.is_empty() {
            owners.extend(lifecycle.iter().chain(technical.iter()).cloned());
            owners.dedup();
        }
        let compiled = ctx.paths(&spec.paths);
        let problem = if spec.name.trim().is_empty() {
            Some("`name` is empty")
        } else if owners.is_empty() {
            Some("no valid owner (set owners, technical_owner or lifecycle_owner)")
        } else if compiled.is_none() {
            Some("a path pattern is invalid")
        } else if !ctx.repositories_ok(&spec.repositories) {
            Some("a repository glob is invalid")
        } else {
            None
        };
        if let Some(why) = problem {
            let msg = format!("entry {:?}: {why}; entry skipped", spec.name);
            return self.error(line, msg);
        }
        ctx.check_webhook(spec.contacts.webhook.as_deref());
        self.entries.push(MapEntry {
            name: spec.name,
            line,
            repositories: spec.repositories,
            paths: spec.paths,
            service: spec.service,
            owners,
            technical_owner: technical,
            lifecycle_owner: lifecycle,
            contacts: Contacts {
                email: spec.contacts.email,
                slack: spec.contacts.slack,
                webhook: spec.contacts.webhook,
            },
            compiled: compiled.unwrap_or_default(),
        });
    }

    /// The entries that apply to a repository known by `names`, compiled for matching.
    pub fn matcher(&self, names: &[String]) -> MapMatcher {
        let mut builder = PatternSetBuilder::new();
        let mut applies = Vec::with_capacity(self.entries.len());
        let mut everywhere = Vec::with_capacity(self.entries.len());
        for (i, e) in self.entries.iter().enumerate() {
            applies.push(e.repositories.is_empty() || repo_matches(&e.repositories, names));
            everywhere.push(e.paths.is_empty());
            for c in &e.compiled {
                builder.add(i, c);
            }
        }
        MapMatcher {
            set: builder.build().unwrap_or_else(|_| PatternSet::empty()),
            applies,
            everywhere,
        }
    }
}

/// Checking one entry's values, with the lines of their keys for messages.
struct EntryContext<'a> {
    map: &'a mut OwnersMap,
    text: &'a str,
    range: std::ops::Range<usize>,
    line: u32,
}

impl EntryContext<'_> {
    fn key_line(&self, key: &str) -> u32 {
        key_line(self.text, self.range.clone(), key).unwrap_or(self.line)
    }

    fn error(&mut self, key: &str, message: String) {
        let line = self.key_line(key);
        self.map.error(line, message);
    }

    /// `value` as an owner; a malformed one is reported and left out.
    fn owner(&mut self, key: &str, value: Option<&str>) -> Option<Owner> {
        let value = value?;
        let owner = Owner::parse(value, true);
        if owner.is_none() {
            let msg = format!("{key}: {value:?} is not an owner (@user, @org/team or an email)");
            self.error(key, msg);
        }
        owner
    }

    /// Every path pattern compiled, or `None` (each bad one reported) if any is invalid: an
    /// entry must never match more than it says.
    fn paths(&mut self, paths: &[String]) -> Option<Vec<Compiled>> {
        let mut out = Vec::with_capacity(paths.len());
        for p in paths {
            match pattern::compile(p, Syntax::Map) {
                Ok(c) => out.push(c),
                Err(e) => self.error("paths", format!("paths: {p:?}: {e}")),
            }
        }
        (out.len() == paths.len()).then_some(out)
    }

    fn repositories_ok(&mut self, globs: &[String]) -> bool {
        let mut ok = true;
        for r in globs {
            if let Err(e) = pattern::build(r) {
                self.error("repositories", format!("repositories: {r:?}: {}", e.kind()));
                ok = false;
            }
        }
        ok
    }

    fn check_webhook(&mut self, url: Option<&str>) {
        if let Some(w) = url
            && !(w.starts_with("https://") || w.starts_with("http://"))
        {
            self.error("webhook", format!("webhook: {w:?} is not an http(s) URL"));
        }
    }
}

fn leading_ws(s: &str) -> usize {
    s.len() - s.trim_start().len()
}

/// The line of `key = ...` inside `range`, if there is one.
fn key_line(text: &str, range: std::ops::Range<usize>, key: &str) -> Option<u32> {
    let mut offset = range.start;
    for line in text[range].split_inclusive('\n') {
        let t = line.trim_start();
        if t.starts_with(key) && t[key.len()..].trim_start().starts_with('=') {
            return Some(line_of(text, offset));
        }
        offset += line.len();
    }
    None
}

fn repo_matches(globs: &[String], names: &[String]) -> bool {
    globs
        .iter()
        .filter_map(|g| pattern::build(g).ok())
        .any(|g| {
            let m = g.compile_matcher();
            names.iter().any(|n| m.is_match(n))
        })
}

/// An owners map's entries for one repository, compiled for matching.
#[derive(Debug)]
pub struct MapMatcher {
    set: PatternSet,
    applies: Vec<bool>,
    everywhere: Vec<bool>,
}

impl MapMatcher {
    /// Indices of the entries that apply to the repository and match `path`, ascending.
    pub fn matching(&self, path: &str) -> Vec<usize> {
        let mut hits: Vec<usize> = self
            .set
            .matching(path, &mut Vec::new())
            .into_iter()
            .chain((0..self.everywhere.len()).filter(|&i| self.everywhere[i]))
            .filter(|&i| self.applies[i])
            .collect();
        hits.sort_unstable();
        hits.dedup();
        hits
    }

    /// Whether entry `i` applies to this repository.
    pub fn applies(&self, i: usize) -> bool {
        self.applies.get(i).copied().unwrap_or(false)
    }

    /// The deciding entry for `path`: the last that matches.
    pub fn decide(&self, path: &str) -> Option<usize> {
        self.matching(path).pop()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAP: &str = r##"[codeowners]
flavor = "github"

[[owner]]
name = "platform"
paths = ["services/"]
technical_owner = "@acme/platform"

[[owner]]
name = "payments"
repositories = ["mono*"]
paths = ["services/payments/"]
service = "payments-api"
lifecycle_owner = "alice@acme.example"
technical_owner = "@acme/payments"
[owner.contacts]
slack = "#payments"
"##;

    #[test]
    fn entries_parse_with_lines_and_last_match_wins() {
        let map = parse("keytrail.toml", MAP);
        assert!(map.errors.is_empty(), "{:?}", map.errors);
        assert_eq!(map.flavor, Some(Flavor::GitHub));
        let lines: Vec<u32> = map.entries.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![4, 9]);
        let p = &map.entries[1];
        assert_eq!(
            p.owners,
            vec![
                Owner::new("alice@acme.example"),
                Owner::new("@acme/payments")
            ]
        );
        assert_eq!(p.contacts.slack.as_deref(), Some("#payments"));
        let m = map.matcher(&["monorepo".into()]);
        assert_eq!(m.decide("services/payments/app.env"), Some(1));
        assert_eq!(m.decide("services/search/app.env"), Some(0));
        assert_eq!(m.decide("README.md"), None);
        let other = map.matcher(&["website".into()]);
        assert_eq!(other.decide("services/payments/app.env"), Some(0));
    }

    #[test]
    fn bad_entries_are_skipped_with_line_numbers() {
        let text = "[[owner]]\nname = \"a\"\nowners = [\"@a\"]\ncolour = \"red\"\n\n[[owner]]\nname = \"b\"\nowners = [\"@b\"]\n\n[[owner]]\nname = \"c\"\nowners = [\"nobody\"]\n\n[[owner]]\nname = \"d\"\nowners = [\"@d\"]\npaths = [\"[oops\"]\n";
        let map = parse("k.toml", text);
        let names: Vec<&str> = map.entries.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names, vec!["b"]);
        let lines: Vec<u32> = map.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![4, 10, 12, 14, 17], "{:?}", map.errors);
        assert!(
            map.errors[0].to_string().contains("colour"),
            "{}",
            map.errors[0]
        );
    }

    #[test]
    fn syntax_errors_name_their_line() {
        let map = parse("k.toml", "[[owner]]\nname = \"a\nowners = [\"@a\"]\n");
        assert!(map.entries.is_empty());
        assert_eq!(map.errors.len(), 1);
        assert_eq!(map.errors[0].line, 2);
    }
}
