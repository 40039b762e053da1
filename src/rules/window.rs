//! The window a rule's regex needs around a keyword hit, read from its pattern.
//!
//! When every match of a pattern contains one of the rule's keywords and no match is longer than
//! `L` bytes, a match around a hit of a keyword of length `k` starts at most `L - k` bytes before
//! the hit and ends at most `L - k` bytes after it. A window that large finds every match the
//! rule's declared window finds, and for short tokens it is much smaller than the default window,
//! so fewer windows merge into long runs for the regex to search. Where the keyword sits at a
//! known place in the match (a token that starts with it), the two sides are bounded apart: a
//! match of `(?:^|[^A-Za-z0-9])ghp_[A-Za-z0-9]{36}` starts at most 1 byte before its hit.
//!
//! The proof is syntactic and conservative: a keyword must appear inside a literal run of the
//! pattern that every match passes through (`ghp_` in `ghp_[A-Za-z0-9]{36}`, `-us` in
//! `[a-f0-9]{32}-us\d{1,2}`). Patterns it cannot prove keep their declared windows.
//!
//! `build.rs` includes this file to narrow the built-in rules' windows when it embeds them, so a
//! scan does not parse every pattern at start-up; rule files given at run time are narrowed when
//! they load. It depends on `regex_syntax` and `std` only.

use regex_syntax::hir::{Class, Hir, HirKind, Repetition};

/// Default number of bytes before a keyword hit where a match may start.
pub const DEFAULT_WINDOW_BEFORE: usize = 64;
/// Default number of bytes after a keyword hit where a match may end.
pub const DEFAULT_WINDOW_AFTER: usize = 256;

/// Parses a pattern in byte mode with ASCII classes, as every rule pattern is compiled.
pub fn parse_bytes(pattern: &str) -> Result<Hir, String> {
    regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .build()
        .parse(pattern)
        .map_err(|e| e.to_string())
}

/// The windows `(before, after)` a rule needs, if its pattern proves them narrower than the
/// declared `before` and `after`: `None` when the pattern does not parse, a match may lie apart
/// from every keyword, or its length is unbounded.
pub fn narrowed(
    pattern: &str,
    keywords: &[String],
    before: usize,
    after: usize,
) -> Option<(usize, usize)> {
    let hir = parse_bytes(pattern).ok()?;
    let longest = keyword_match_len(&hir, keywords)?;
    let shortest_keyword = keywords.iter().map(String::len).filter(|&n| n > 0).min()?;
    let reach = longest.saturating_sub(shortest_keyword);
    let (b, a) =
        placed_reach(&hir, keywords).map_or((reach, reach), |(b, a)| (b.min(reach), a.min(reach)));
    (b < before || a < after).then_some((before.min(b), after.min(a)))
}

/// `(before, after)` from where the keyword sits in the match, when a run of the top-level items
/// spells one in every match: a match starts at most the items before the run plus the run's
/// bytes before its first keyword ahead of that keyword, and ends at most the run's bytes after
/// it plus the items after the run behind it. A token that starts with its keyword after a
/// boundary byte (`(?:^|[^A-Za-z0-9])pat\.[A-Za-z0-9]{22}...`) needs 1 byte before its hit.
fn placed_reach(hir: &Hir, keywords: &[String]) -> Option<(usize, usize)> {
    let folded = folded(keywords);
    let items = flatten(hir);
    let run = keyword_run(&items, &folded)?;
    let max_len = |items: &[&Hir]| -> Option<usize> {
        items.iter().try_fold(0usize, |sum, h| {
            sum.checked_add(h.properties().maximum_len()?)
        })
    };
    let mut ahead = 0;
    let mut behind = 0;
    for spelling in &run.spellings {
        let (at, len) = folded
            .iter()
            .filter_map(|k| find(spelling, k).map(|at| (at, k.len())))
            .min()?;
        ahead = ahead.max(at);
        behind = behind.max(spelling.len() - at - len);
    }
    // A repetition cut after its first repeat: the repeats after it.
    let rest_of_repetition = match run.cut {
        Some(rep) => {
            let repeats = usize::try_from(rep.max?).ok()?.saturating_sub(1);
            repeats.checked_mul(rep.sub.properties().maximum_len()?)?
        }
        None => 0,
    };
    let before = max_len(&items[..run.first])?.checked_add(ahead)?;
    let after = max_len(&items[run.end..])?
        .checked_add(behind)?
        .checked_add(rest_of_repetition)?;
    Some((before, after))
}

/// Where `needle` (not empty) first occurs in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The keywords lowercased, as the keyword prefilter matches them, without empty ones.
fn folded(keywords: &[String]) -> Vec<Vec<u8>> {
    keywords
        .iter()
        .map(|k| k.as_bytes().to_ascii_lowercase())
        .filter(|k| !k.is_empty())
        .collect()
}

/// Whether every match of `pattern` starts with one of `keywords` (ASCII case-insensitively, as
/// the keyword prefilter finds them). Then every match starts at a keyword hit, and the regex can
/// be tried anchored at each hit instead of over the window around it: a try stops where the
/// text stops fitting the pattern, a few bytes on in most code, where a search of the window
/// runs over all of it. `false` when the pattern does not parse or the proof fails.
pub fn starts_with_keyword(pattern: &str, keywords: &[String]) -> bool {
    let Ok(hir) = parse_bytes(pattern) else {
        return false;
    };
    let folded = folded(keywords);
    !folded.is_empty() && prefix_starts(&flatten(&hir), vec![Vec::new()], &folded)
}

/// Whether every match of `items` (a concatenation) starts with a keyword, given that `run` holds
/// every way its start may already be spelled. An item with too many spellings to expand is split:
/// an alternation into its branches, each carrying on with the items after it, a repetition into
/// no repeat and a first one.
fn prefix_starts(items: &[&Hir], run: Vec<Vec<u8>>, keywords: &[Vec<u8>]) -> bool {
    if let Some(verdict) = prefix_verdict(&run, keywords) {
        return verdict;
    }
    let Some((item, rest)) = items.split_first() else {
        return false;
    };
    if let Some(next) = strings(item).and_then(|set| product(&run, &set)) {
        return prefix_starts(rest, next, keywords);
    }
    match item.kind() {
        HirKind::Alternation(branches) => branches.iter().all(|branch| {
            let mut items = flatten(branch);
            items.extend_from_slice(rest);
            prefix_starts(&items, run.clone(), keywords)
        }),
        HirKind::Capture(capture) => {
            let mut items = flatten(&capture.sub);
            items.extend_from_slice(rest);
            prefix_starts(&items, run, keywords)
        }
        // Without a repeat, the items after it; with one, its first repeat, and the items after
        // the repetition only when it repeats at most once (further repeats are not expanded).
        HirKind::Repetition(rep) => {
            let skipped = rep.min > 0 || prefix_starts(rest, run.clone(), keywords);
            let mut items = flatten(&rep.sub);
            if rep.max == Some(1) {
                items.extend_from_slice(rest);
            }
            skipped && prefix_starts(&items, run, keywords)
        }
        _ => false,
    }
}

/// `Some(true)` when every spelling starts with a keyword, `Some(false)` when one can no longer
/// come to (it neither starts with a keyword nor is the start of one), `None` while undecided.
fn prefix_verdict(run: &[Vec<u8>], keywords: &[Vec<u8>]) -> Option<bool> {
    let mut decided = true;
    for spelling in run {
        if keywords.iter().any(|k| spelling.starts_with(k)) {
            continue;
        }
        if !keywords.iter().any(|k| k.starts_with(spelling)) {
            return Some(false);
        }
        decided = false;
    }
    decided.then_some(true)
}

/// The longest literal of at least 3 bytes, in its case, that every match of `hir` holds, other
/// than one within every keyword: a window without it holds no match, and a substring search
/// (`://` for a URI around its `@`) rules that out at a tenth of a DFA's cost a byte.
pub fn required_literal(hir: &Hir, keywords: &[String]) -> Option<Vec<u8>> {
    let folded = folded(keywords);
    let within_every_keyword = |literal: &[u8]| {
        let lower = literal.to_ascii_lowercase();
        folded.iter().all(|k| find(k, &lower).is_some())
    };
    let mut best: Option<&[u8]> = None;
    for item in flatten(hir) {
        if let HirKind::Literal(literal) = item.kind()
            && literal.0.len() >= 3
            && best.is_none_or(|b| literal.0.len() > b.len())
            && !within_every_keyword(&literal.0)
        {
            best = Some(&literal.0);
        }
    }
    best.map(<[u8]>::to_vec)
}

/// Most strings a literal run expands to (`[Kk][Ee][Yy]` is one string once case is folded,
/// `(?:ghp|gho|ghu)_` three) before the analysis gives up on it.
const MAX_STRINGS: usize = 64;

/// Most repeats of a bounded repetition that are expanded (`[_-]?` is at most one).
const MAX_REPEATS: u32 = 8;

/// Most bytes a class may match and still count as part of a literal run (`[0-9A-Fa-f]` is 22).
const MAX_CLASS_BYTES: usize = 32;

/// The longest possible match of `hir`, if it is bounded and every match contains one of
/// `keywords` (ASCII case-insensitively, as the keyword prefilter finds them).
fn keyword_match_len(hir: &Hir, keywords: &[String]) -> Option<usize> {
    let longest = hir.properties().maximum_len()?;
    let folded = folded(keywords);
    (!folded.is_empty() && contains_keyword(hir, &folded)).then_some(longest)
}

/// Whether every match of `hir` contains one of `keywords` (lowercase).
fn contains_keyword(hir: &Hir, keywords: &[Vec<u8>]) -> bool {
    match hir.kind() {
        HirKind::Capture(capture) => contains_keyword(&capture.sub, keywords),
        HirKind::Repetition(rep) => rep.min >= 1 && contains_keyword(&rep.sub, keywords),
        HirKind::Alternation(branches) => branches.iter().all(|b| contains_keyword(b, keywords)),
        HirKind::Concat(_) => {
            let items = flatten(hir);
            items.iter().any(|h| contains_keyword(h, keywords)) || run_contains(&items, keywords)
        }
        _ => strings(hir).is_some_and(|set| all_contain(&set, keywords)),
    }
}

/// The items of a concatenation, with nested concatenations and captured concatenations spliced
/// in: a capture group does not change the text matched, and a keyword may span its edge.
fn flatten(hir: &Hir) -> Vec<&Hir> {
    match hir.kind() {
        HirKind::Concat(items) => items.iter().flat_map(flatten).collect(),
        HirKind::Capture(capture) if matches!(capture.sub.kind(), HirKind::Concat(_)) => {
            flatten(&capture.sub)
        }
        _ => vec![hir],
    }
}

/// Whether some run of consecutive items expands to strings that all contain a keyword.
fn run_contains(items: &[&Hir], keywords: &[Vec<u8>]) -> bool {
    keyword_run(items, keywords).is_some()
}

/// A run of consecutive items of a concatenation whose spellings all contain a keyword.
struct Run<'h> {
    /// Index of the run's first item.
    first: usize,
    /// Index after the run's last item.
    end: usize,
    /// Every spelling of the run, lowercased.
    spellings: Vec<Vec<u8>>,
    /// The run's last item, when it is a repetition of which the spellings hold the first
    /// repeat only.
    cut: Option<&'h Repetition>,
}

/// The first run of consecutive items that expands to strings that all contain a keyword. A
/// repetition too long to expand may end a run with its first repeat (`KEY` then `[0-9A-F]` of
/// `KEY[0-9A-F]{32}`).
fn keyword_run<'h>(items: &[&'h Hir], keywords: &[Vec<u8>]) -> Option<Run<'h>> {
    (0..items.len()).find_map(|first| {
        let mut run = vec![Vec::new()];
        for (i, &item) in items.iter().enumerate().skip(first) {
            let (set, cut) = match (strings(item), item.kind()) {
                (Some(set), _) => (set, None),
                (None, HirKind::Repetition(rep)) if rep.min >= 1 => (strings(&rep.sub)?, Some(rep)),
                (None, _) => return None,
            };
            run = product(&run, &set)?;
            if all_contain(&run, keywords) {
                return Some(Run {
                    first,
                    end: i + 1,
                    spellings: run,
                    cut,
                });
            }
            if cut.is_some() {
                return None;
            }
        }
        None
    })
}

/// Every string `hir` can match, lowercased, if they are few.
fn strings(hir: &Hir) -> Option<Vec<Vec<u8>>> {
    let set = match hir.kind() {
        HirKind::Empty | HirKind::Look(_) => vec![Vec::new()],
        HirKind::Literal(literal) => vec![literal.0.to_ascii_lowercase()],
        HirKind::Class(class) => class_bytes(class)?
            .into_iter()
            .map(|b| vec![b.to_ascii_lowercase()])
            .collect(),
        HirKind::Capture(capture) => strings(&capture.sub)?,
        HirKind::Concat(items) => items
            .iter()
            .try_fold(vec![Vec::new()], |acc, item| product(&acc, &strings(item)?))?,
        HirKind::Alternation(branches) => {
            let mut all = Vec::new();
            for branch in branches {
                all.extend(strings(branch)?);
            }
            all
        }
        HirKind::Repetition(rep) if rep.max.is_some_and(|max| max <= MAX_REPEATS) => {
            let once = strings(&rep.sub)?;
            let max = rep.max.unwrap_or(0);
            let (mut all, mut repeated) = (Vec::new(), vec![Vec::new()]);
            for count in 0..=max {
                if count >= rep.min {
                    all.extend(repeated.iter().cloned());
                }
                if count < max {
                    repeated = product(&repeated, &once)?;
                }
            }
            all
        }
        HirKind::Repetition(_) => return None,
    };
    dedup(set)
}

/// The bytes a class matches, if there are few.
fn class_bytes(class: &Class) -> Option<Vec<u8>> {
    let mut bytes = Vec::new();
    match class {
        Class::Bytes(class) => {
            for range in class.iter() {
                bytes.extend(range.start()..=range.end());
                if bytes.len() > MAX_CLASS_BYTES {
                    return None;
                }
            }
        }
        Class::Unicode(class) => {
            for range in class.iter() {
                for c in range.start()..=range.end() {
                    bytes.push(u8::try_from(u32::from(c)).ok().filter(u8::is_ascii)?);
                    if bytes.len() > MAX_CLASS_BYTES {
                        return None;
                    }
                }
            }
        }
    }
    Some(bytes)
}

/// Every concatenation of a string of `left` with a string of `right`, if they are few.
fn product(left: &[Vec<u8>], right: &[Vec<u8>]) -> Option<Vec<Vec<u8>>> {
    if left.len() * right.len() > MAX_STRINGS {
        return None;
    }
    let joined = left
        .iter()
        .flat_map(|l| right.iter().map(move |r| [l.as_slice(), r].concat()))
        .collect();
    dedup(joined)
}

fn dedup(mut set: Vec<Vec<u8>>) -> Option<Vec<Vec<u8>>> {
    set.sort_unstable();
    set.dedup();
    (set.len() <= MAX_STRINGS).then_some(set)
}

/// Whether every string contains one of the keywords.
fn all_contain(set: &[Vec<u8>], keywords: &[Vec<u8>]) -> bool {
    set.iter()
        .all(|s| keywords.iter().any(|k| find(s, k).is_some()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reach(pattern: &str, keywords: &[&str]) -> Option<(usize, usize)> {
        let keywords: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        narrowed(
            pattern,
            &keywords,
            DEFAULT_WINDOW_BEFORE,
            DEFAULT_WINDOW_AFTER,
        )
    }

    #[test]
    fn a_token_that_starts_with_its_keyword() {
        // 40 bytes at most, the keyword the first 4 of them.
        assert_eq!(reach(r"\bghp_[A-Za-z0-9]{36}\b", &["ghp_"]), Some((0, 36)));
        // Case-insensitive pattern, keyword in another case.
        assert_eq!(reach(r"(?i)token_[a-z]{4}", &["TOKEN_"]), Some((0, 4)));
        // After a boundary byte: one byte before the hit, the rest of the token after it.
        let harness =
            r"(?:^|[^A-Za-z0-9_.-])(?P<secret>(?:pat|sat)\.[A-Za-z0-9_-]{22})(?:[^A-Za-z0-9_.-]|$)";
        assert_eq!(reach(harness, &["pat.", "sat."]), Some((1, 23)));
    }

    #[test]
    fn a_keyword_inside_or_at_the_end_of_the_match() {
        let mailchimp = r"(?:^|[^A-Za-z0-9])(?P<secret>[a-f0-9]{32}-us\d{1,2})(?:[^A-Za-z0-9]|$)";
        // The boundary byte and 32 bytes before the keyword, 2 digits and a boundary after it.
        assert_eq!(reach(mailchimp, &["-us"]), Some((33, 3)));
        // The keyword spans a literal and the first repeat of a class: KEY then [0-9A-F].
        let telnyx = r"(?P<secret>KEY[0-9A-F]{32}_[A-Za-z0-9]{22})";
        let keys: Vec<String> = "0123456789ABCDEF"
            .chars()
            .map(|c| format!("KEY{c}"))
            .collect();
        let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
        assert_eq!(reach(telnyx, &keys), Some((0, 54)));
        // Each branch of an alternation carries one of the keywords.
        assert_eq!(
            reach(
                r"(?:ghp|gho|ghu)_[A-Za-z0-9]{36}",
                &["ghp_", "gho_", "ghu_"]
            ),
            Some((0, 36))
        );
        // An optional separator expands to every spelling.
        assert_eq!(
            reach(r"api[_-]?key[0-9]{4}", &["apikey", "api_key", "api-key"]),
            Some((0, 4))
        );
        // A keyword inside a nested group: no placement, the same reach on both sides.
        assert_eq!(
            reach(
                r"(?:x(?:ghp_|gho_)[a-z]{4}|gho_[a-z]{5})",
                &["ghp_", "gho_"]
            ),
            Some((5, 5))
        );
    }

    #[test]
    fn no_narrowing_without_proof() {
        // One branch without the keyword.
        assert_eq!(reach(r"(?:ghp_|xyz)[a-z]{10}", &["ghp_"]), None);
        // The keyword is optional.
        assert_eq!(reach(r"(?:ghp_)?[a-z]{10}", &["ghp_"]), None);
        // The keyword is context, outside the match (a secret key near "aws").
        assert_eq!(reach(r"[A-Za-z0-9/+]{40}", &["aws"]), None);
        // Unbounded length.
        assert_eq!(reach(r"ghp_[a-z]+", &["ghp_"]), None);
        // A keyword that only a class could spell, too wide to expand.
        assert_eq!(reach(r"[a-z]{3}_[0-9]{8}", &["abc_"]), None);
        // Invalid pattern, no keywords.
        assert_eq!(reach(r"ghp_(", &["ghp_"]), None);
        assert_eq!(reach(r"ghp_[a-z]{4}", &[]), None);
    }

    fn anchored(pattern: &str, keywords: &[&str]) -> bool {
        let keywords: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
        starts_with_keyword(pattern, &keywords)
    }

    #[test]
    fn a_pattern_that_starts_with_its_keywords_is_anchored() {
        let twilio = r#"(?i:twilio|api[_-]?key|[_-]sid)[\w.-]{0,24}["']?\s*[:=]\s*(?P<secret>SK[a-f0-9]{32})"#;
        let keywords = ["twilio", "_sid", "-sid", "api_key", "apikey", "api-key"];
        assert!(anchored(twilio, &keywords));
        // A look-around first matches no text.
        assert!(anchored(r"\bghp_[A-Za-z0-9]{36}\b", &["ghp_"]));
        // The keyword is the start of a longer literal, or spans a literal and an optional part.
        assert!(anchored(r"(?i)github_token=[a-f0-9]{40}", &["github_"]));
        let mysql = r"(?i:(?:mysql|mariadb)(?:\+[a-z0-9]+)?)://[^:@]+:(?P<secret>[^@]+)@";
        assert!(anchored(
            mysql,
            &["mysql://", "mysql+", "mariadb://", "mariadb+"]
        ));
    }

    #[test]
    fn no_anchoring_without_proof() {
        // A spelling of the pattern that is no keyword: `cf-key` with only `cf_key` given.
        assert!(!anchored(r"(?i:cf[_-]key)=[a-f0-9]{37}", &["cf_key"]));
        assert!(!anchored(
            r"(?i:twilio|sid)=SK[a-f0-9]{32}",
            &["twilio", "_sid"]
        ));
        // An optional part before the keyword, a boundary byte, the keyword as context.
        assert!(!anchored(
            r"(?:eth_)?private_key=[a-f0-9]{64}",
            &["private_key"]
        ));
        assert!(!anchored(
            r"(?:^|[^A-Za-z0-9])ghp_[A-Za-z0-9]{36}",
            &["ghp_"]
        ));
        assert!(!anchored(r"(?m)^[ \t]*secret=\S+", &["secret"]));
        assert!(!anchored(r"[A-Za-z0-9/+]{40}", &["aws"]));
        // The keyword can be cut short by the text: `mysql+` then a name, without `mysql+` given.
        let mysql = r"(?i:mysql(?:\+[a-z0-9]+)?)://";
        assert!(!anchored(mysql, &["mysql://"]));
        // Invalid pattern, no keywords.
        assert!(!anchored(r"ghp_(", &["ghp_"]));
        assert!(!anchored(r"ghp_[a-z]{4}", &[]));
    }

    #[test]
    fn the_longest_literal_every_match_holds_is_required() {
        let required = |pattern: &str, keywords: &[&str]| {
            let keywords: Vec<String> = keywords.iter().map(|k| k.to_string()).collect();
            required_literal(&parse_bytes(pattern).expect("parses"), &keywords)
                .map(|l| String::from_utf8(l).expect("ascii"))
        };
        let basic_auth = r"https?://[^\s:@/]+:(?P<secret>[^\s:@/]+)@[A-Za-z0-9.-]+";
        assert_eq!(required(basic_auth, &["@"]).as_deref(), Some("http"));
        // Inside a capture group, after a look-around.
        let kubeconfig = r"\buser:[ \t]*\r?\n[ \t]+token:[ \t]*(?P<secret>[A-Za-z0-9._-]{20,})";
        assert_eq!(required(kubeconfig, &["token:"]).as_deref(), Some("user:"));
        let jwt = r"(?P<secret>eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,})";
        assert_eq!(required(jwt, &["eyJ"]).as_deref(), Some(".eyJ"));
        // A keyword itself, optional or alternative text, case-insensitive text: none.
        assert_eq!(required(r"ghp_[a-z]{36}", &["ghp_"]), None);
        assert_eq!(required(r"(?:user:)?[a-z]{36}", &["x"]), None);
        assert_eq!(required(r"(?:abcd|efgh)[a-z]{36}", &["x"]), None);
        assert_eq!(required(r"(?i:authorization)[a-z]{36}", &["bearer"]), None);
        // Within one keyword but not another: still rules out the other's windows.
        assert_eq!(
            required(r"sdk-[0-9a-f]{8}", &["sdk-key", "launchdarkly"]).as_deref(),
            Some("sdk-")
        );
    }

    #[test]
    fn never_wider_than_declared() {
        let keywords = vec!["ghp_".to_string()];
        assert_eq!(narrowed("ghp_[a-z]{36}", &keywords, 10, 300), Some((0, 36)));
        assert_eq!(narrowed("ghp_[a-z]{36}", &keywords, 10, 20), Some((0, 20)));
        assert_eq!(narrowed("ghp_[a-z]{36}", &keywords, 0, 20), None);
    }
}
