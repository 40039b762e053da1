//! The per-thread matcher: keyword prefilter, then each triggered rule's regex over windows
//! around its keyword hits.
//!
//! Why windows: generic keywords (`token`, `secret`) occur thousands of times in real code, but a
//! rule's match always lies near one of its keywords. Running a regex only over the merged windows
//! around the hits keeps the cost proportional to the hits, not to the file, and rules whose
//! keywords never occur cost nothing beyond the single Aho-Corasick pass. Windows are searched
//! with `Input::range`, so `\b` and anchors still see the bytes just outside the window and a
//! window edge never cuts a token in two.
//!
//! A `Matcher` owns reusable buffers and is meant to live on one thread; create one per worker.

use regex_automata::dfa::Automaton;
use regex_automata::meta::Cache;
use regex_automata::util::captures::Captures;
use regex_automata::util::start;
use regex_automata::{Anchored, Input, hybrid};

use crate::rules::{Confidence, Prefilter, PrefilterScratch, Rule, RuleSet, Screen, Trigger};
use crate::scan::checks::{format_check, is_placeholder, shannon_entropy};

/// A thread's scratch space for one rule's regex: a lazy screen's DFA cache, and the full
/// regex's cache and capture slots once a window has passed the screen. Owning the caches (rather
/// than taking them from the regex's internal pool on every search) saves a pool round trip per
/// window, and on all but the first thread that uses a regex, a mutex.
#[derive(Default)]
struct Search {
    screen: Option<hybrid::dfa::Cache>,
    /// Bytes this thread has screened for the rule.
    screened: usize,
    full: Option<(Cache, Captures)>,
}

/// One accepted regex match: the rule and the byte span of the secret (and of the whole match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct RawMatch {
    /// Index of the rule in its `RuleSet`.
    pub rule: usize,
    /// Start of the secret.
    pub start: usize,
    /// End of the secret (exclusive).
    pub end: usize,
    /// Start of the whole regex match.
    pub match_start: usize,
    /// End of the whole regex match.
    pub match_end: usize,
}

/// A matcher bound to one rule set, with buffers reused across blobs.
pub struct Matcher<'r> {
    rules: &'r RuleSet,
    /// Per rule: merged windows for the current blob.
    windows: Vec<Vec<(usize, usize)>>,
    /// Rules that have windows for the current blob.
    touched: Vec<usize>,
    /// Per rule: this thread's regex cache and capture slots, created on first use.
    searches: Vec<Search>,
    /// Scratch space for overlap resolution.
    cluster: Vec<RawMatch>,
    /// Scratch space for the keyword prefilter.
    prefilter: PrefilterScratch,
    /// Per rule: whether it does not run on the current path (see `RuleSet::mark_rules_off`).
    off: Vec<bool>,
}

impl<'r> Matcher<'r> {
    /// A matcher over `rules`.
    pub fn new(rules: &'r RuleSet) -> Matcher<'r> {
        let n = rules.rules().len();
        Matcher {
            rules,
            windows: vec![Vec::new(); n],
            touched: Vec::new(),
            searches: (0..n).map(|_| Search::default()).collect(),
            cluster: Vec::new(),
            prefilter: PrefilterScratch::default(),
            off: vec![false; n],
        }
    }

    /// Sets the path of the blobs that follow, for rules that run only on some paths.
    pub fn set_path(&mut self, path: &str) {
        self.rules.mark_rules_off(path, &mut self.off);
    }

    /// Finds every accepted match in `hay`, appending to `out` sorted by position.
    pub fn find(&mut self, hay: &[u8], out: &mut Vec<RawMatch>) {
        let first = out.len();
        self.collect_windows(hay);
        for i in 0..self.touched.len() {
            let r = self.touched[i];
            let rule = &self.rules.rules()[r];
            let search = &mut self.searches[r];
            for &window in &self.windows[r] {
                search_window(rule, r, hay, window, search, out);
            }
            self.windows[r].clear();
        }
        self.touched.clear();
        let found = &mut out[first..];
        found.sort_unstable_by_key(|m| (m.start, m.end, m.rule));
        dedup_tail(out, first);
        resolve_overlaps(self.rules, out, first, &mut self.cluster);
    }

    fn collect_windows(&mut self, hay: &[u8]) {
        let rules = self.rules;
        if !hay.is_empty() {
            for &r in rules.always().iter().filter(|&&r| !self.off[r]) {
                self.windows[r].push((0, hay.len()));
                self.touched.push(r);
            }
        }
        let (all_windows, touched, off) = (&mut self.windows, &mut self.touched, &self.off);
        rules.prefilter().find(hay, &mut self.prefilter, |hit| {
            let next = hay.get(hit.end).copied();
            for (i, t) in rules.triggers(hit.keyword).iter().enumerate() {
                if off[t.rule]
                    || t.at_keyword
                        && next.is_some_and(|next| !rules.may_follow(hit.keyword, i, next))
                {
                    continue;
                }
                let windows = &mut all_windows[t.rule];
                if windows.is_empty() {
                    touched.push(t.rule);
                }
                add_window(windows, t, hay, hit.start, hit.end);
            }
        });
    }
}

/// How much a rule's match is preferred when two rules claim overlapping bytes: higher
/// confidence (so a low-confidence identifier rule never hides a reportable match), then a
/// provider rule over a generic one, then a rule with a structural check, then the longer secret.
fn rank(rules: &RuleSet, m: &RawMatch) -> (Confidence, bool, bool, usize) {
    let rule = &rules.rules()[m.rule];
    (
        rule.confidence,
        rule.provider != "generic",
        rule.check.is_some(),
        m.end - m.start,
    )
}

/// Where several rules match overlapping secrets (a generic `secret = ...` rule and the Stripe
/// rule on the same key; a URI rule and the GitHub rule on a token inside a URL), keeps the
/// best-ranked match of each run of overlapping matches, plus any match of the run that overlaps
/// no match already kept. `out[first..]` must be sorted by start.
fn resolve_overlaps(
    rules: &RuleSet,
    out: &mut Vec<RawMatch>,
    first: usize,
    cluster: &mut Vec<RawMatch>,
) {
    let mut write = first;
    let mut read = first;
    while read < out.len() {
        cluster.clear();
        let mut end = out[read].end;
        while read < out.len() && (cluster.is_empty() || out[read].start < end) {
            end = end.max(out[read].end);
            cluster.push(out[read]);
            read += 1;
        }
        if cluster.len() > 1 {
            cluster.sort_by_key(|m| std::cmp::Reverse(rank(rules, m)));
            let mut kept = 0;
            for i in 0..cluster.len() {
                let m = cluster[i];
                if cluster[..kept]
                    .iter()
                    .all(|k| m.end <= k.start || m.start >= k.end)
                {
                    cluster[kept] = m;
                    kept += 1;
                }
            }
            cluster.truncate(kept);
            cluster.sort_unstable_by_key(|m| (m.start, m.end, m.rule));
        }
        for &m in cluster.iter() {
            out[write] = m;
            write += 1;
        }
    }
    out.truncate(write);
}

/// Byte windows closer than this are searched as one: a regex search has a fixed cost of
/// several hundred nanoseconds, more than running on over the bytes in between.
const MERGE_GAP: usize = 64;

/// How far apart two windows of a trigger may be and still be merged. A line window ends after
/// its newline, so it touches the next line's window; a gap of one byte more lets it merge
/// across one blank line too, and no further, so that a line rule searches no line with text
/// but without a keyword hit.
fn merge_gap(t: &Trigger) -> usize {
    if t.lines_after.is_some() {
        1
    } else {
        MERGE_GAP
    }
}

/// Adds the window of trigger `t` for a keyword hit at `start..end`. A window anchored at its
/// hit is kept apart (one anchored search each) unless it starts where the previous one does.
fn add_window(
    windows: &mut Vec<(usize, usize)>,
    t: &Trigger,
    hay: &[u8],
    start: usize,
    end: usize,
) {
    let (from, to) = t.window(hay, start, end);
    if !t.at_keyword {
        push_window(windows, from, to, merge_gap(t));
    } else if let Some(last) = windows.last_mut()
        && last.0 == from
    {
        last.1 = last.1.max(to);
    } else {
        windows.push((from, to));
    }
}

/// Adds a window, merging it into the previous one when they overlap or are less than `gap`
/// bytes apart.
fn push_window(windows: &mut Vec<(usize, usize)>, start: usize, end: usize, gap: usize) {
    if let Some(last) = windows.last_mut()
        && start <= last.1 + gap
        && end + gap >= last.0
    {
        last.0 = last.0.min(start);
        last.1 = last.1.max(end);
        return;
    }
    windows.push((start, end));
}

fn dedup_tail(out: &mut Vec<RawMatch>, first: usize) {
    let mut keep = first;
    for i in first..out.len() {
        if keep == first || out[keep - 1] != out[i] {
            out[keep] = out[i];
            keep += 1;
        }
    }
    out.truncate(keep);
}

/// Runs `rule`'s regex over one window, appending accepted matches. A rule whose matches start at
/// their keyword is tried anchored at the window's start (its hit). A pattern that can only
/// match at a line start is tried at each line start of the window, anchored, so that a search
/// stops where a line stops fitting the pattern instead of running to the window's end.
fn search_window(
    rule: &Rule,
    index: usize,
    hay: &[u8],
    (start, end): (usize, usize),
    search: &mut Search,
    out: &mut Vec<RawMatch>,
) {
    let Some(compiled) = rule.compiled() else {
        return;
    };
    let mut search_at = |from: usize, anchored: Anchored| {
        search_from(rule, index, hay, from..end, anchored, search, out);
    };
    if rule.starts_at_keyword {
        return search_at(start, Anchored::Yes);
    }
    if let Some(required) = &compiled.required
        && required.find(&hay[start..end]).is_none()
    {
        return;
    }
    if !compiled.at_line_start {
        return search_at(start, Anchored::No);
    }
    let after_newline = |from: usize| memchr::memchr(b'\n', &hay[from..end]).map(|i| from + i + 1);
    let mut line = match start == 0 || hay[start - 1] == b'\n' {
        true => Some(start),
        false => after_newline(start),
    };
    while let Some(from) = line.filter(|&l| l < end) {
        search_at(from, Anchored::Yes);
        line = after_newline(from);
    }
}

/// Appends the accepted matches of `rule`'s regex in `hay[range]`: every match, or with
/// `Anchored::Yes` the one match starting at `range.start`, if any.
fn search_from(
    rule: &Rule,
    index: usize,
    hay: &[u8],
    range: std::ops::Range<usize>,
    anchored: Anchored,
    search: &mut Search,
    out: &mut Vec<RawMatch>,
) {
    let Some(compiled) = rule.compiled() else {
        return;
    };
    let end = range.end;
    let mut input = Input::new(hay).range(range).anchored(anchored);
    // The screen stops at the first match state it reaches; an error (the lazy DFA giving up)
    // leaves the window to the full regex.
    if let Some(screen) = &compiled.screen
        && search.screened < compiled.screen_bytes
    {
        search.screened = search.screened.saturating_add(end - input.start());
        let passes = match screen {
            Screen::Dense(dfa) if anchored.is_anchored() => {
                dense_passes_anchored(dfa, hay, input.start(), end)
            }
            Screen::Dense(dfa) => {
                !matches!(dfa.try_search_fwd(&input.clone().earliest(true)), Ok(None))
            }
            Screen::Lazy(dfa) => {
                let cache = search.screen.get_or_insert_with(|| dfa.create_cache());
                !matches!(
                    dfa.try_search_fwd(cache, &input.clone().earliest(true)),
                    Ok(None)
                )
            }
        };
        if !passes {
            return;
        }
    }
    let Some(regex) = compiled.regex() else {
        return;
    };
    let (cache, caps) = search
        .full
        .get_or_insert_with(|| (regex.create_cache(), regex.create_captures()));
    loop {
        regex.search_captures_with(cache, &input, caps);
        let Some(whole) = caps.get_match() else {
            return;
        };
        if let Some(secret) = caps.get_group(compiled.secret_group)
            && is_accepted(rule, &hay[secret.range()])
            && !is_allowed(rule, &hay[whole.range()], &hay[secret.range()])
        {
            out.push(RawMatch {
                rule: index,
                start: secret.start,
                end: secret.end,
                match_start: whole.start(),
                match_end: whole.end(),
            });
        }
        let next = if whole.is_empty() {
            whole.end() + 1
        } else {
            whole.end()
        };
        if next > end || input.get_anchored().is_anchored() {
            return;
        }
        input.set_start(next);
    }
}

/// Whether dense DFA `dfa` has a match starting at `start` and ending by `end` (looking at
/// the bytes around the range, as a ranged search does): the verdict of an anchored, earliest
/// `try_search_fwd`, which it replaces for the scan's most frequent search, a try at a keyword
/// hit or a line start that dies a few bytes on. Its own set-up (validating the input, finding
/// the start state through the `Input`, the prefilter and acceleration checks) cost more than
/// such a walk. A quit byte or a missing start state pass the window on to the full regex.
fn dense_passes_anchored(dfa: &impl Automaton, hay: &[u8], start: usize, end: usize) -> bool {
    let config = start::Config::new()
        .anchored(Anchored::Yes)
        .look_behind(start.checked_sub(1).map(|i| hay[i]));
    let Ok(mut state) = dfa.start_state(&config) else {
        return true;
    };
    for &byte in &hay[start..end] {
        state = dfa.next_state(state, byte);
        if dfa.is_special_state(state) {
            if dfa.is_dead_state(state) {
                return false;
            }
            if dfa.is_match_state(state) || dfa.is_quit_state(state) {
                return true;
            }
        }
    }
    // Matches are reported one byte late: the byte after the range, or the end of the input,
    // settles a match that ends at `end`.
    let last = match hay.get(end) {
        Some(&byte) => dfa.next_state(state, byte),
        None => dfa.next_eoi_state(state),
    };
    dfa.is_match_state(last) || dfa.is_quit_state(last)
}

/// Whether one of the rule's `allow_matches` regexes finds something in the whole match, or one
/// of its `allow_secrets` regexes in the secret.
fn is_allowed(rule: &Rule, whole: &[u8], secret: &[u8]) -> bool {
    if rule.allow_matches.is_empty() && rule.allow_secrets.is_empty() {
        return false;
    }
    rule.filters().is_some_and(|filters| {
        filters.allow.iter().any(|re| re.is_match(whole))
            || filters.allow_secret.iter().any(|re| re.is_match(secret))
    })
}

/// Whether a candidate secret passes the rule's filters: non-empty, structural check (the rule's;
/// for a generic rule, that of the token format the secret is, see [`format_check`]), entropy
/// floor, no stopword, and not a placeholder.
pub fn is_accepted(rule: &Rule, secret: &[u8]) -> bool {
    if secret.is_empty() {
        return false;
    }
    let by_format = || match rule.provider == "generic" {
        true => format_check(secret),
        false => None,
    };
    if let Some(check) = rule.check.or_else(by_format)
        && !check.is_valid(secret)
    {
        return false;
    }
    if let Some(floor) = rule.entropy
        && shannon_entropy(secret) < floor
    {
        return false;
    }
    if !rule.stopwords.is_empty() {
        let lower = secret.to_ascii_lowercase();
        if rule
            .stopwords
            .iter()
            .any(|w| memchr::memmem::find(&lower, w.as_bytes()).is_some())
        {
            return false;
        }
    }
    !is_placeholder(secret)
}

/// Runs one rule on its own over `text`, exactly as a scan would (keyword windows, filters).
/// Used to assert a rule's examples.
pub fn match_rule_in(rule: &Rule, text: &[u8]) -> Vec<RawMatch> {
    let Some(keywords) = Prefilter::new(&rule.keywords) else {
        return Vec::new();
    };
    let mut windows = Vec::new();
    if rule.keywords.is_empty() {
        windows.push((0, text.len()));
    }
    let trigger = Trigger::for_rule(0, rule);
    keywords.find(text, &mut PrefilterScratch::default(), |hit| {
        add_window(&mut windows, &trigger, text, hit.start, hit.end);
    });
    let mut search = Search::default();
    let mut out = Vec::new();
    for window in windows {
        search_window(rule, 0, text, window, &mut search, &mut out);
    }
    out.sort_unstable();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::RuleSetBuilder;
    use regex_automata::dfa::{StartKind, dense};
    use regex_automata::util::syntax;

    fn set(text: &str) -> RuleSet {
        let mut b = RuleSetBuilder::new();
        b.add_text("t.toml", text, true).unwrap();
        b.build().unwrap()
    }

    const RULES: &str = r#"
[[rule]]
id = "t.token"
name = "T token"
keywords = ["tok_"]
pattern = '''\b(?P<secret>tok_[A-Za-z0-9]{12})\b'''
confidence = "high"
window_before = 0
window_after = 20
examples = ["tok_Ab3dEf6hIj9k"]
negative_examples = ["tok_short"]

[[rule]]
id = "t.pass"
name = "T password"
keywords = ["password"]
pattern = '''(?i)password\s*=\s*"(?P<secret>[^"\s]{8,})"'''
entropy = 2.5
confidence = "medium"
examples = ['password = "Qv9-rT2m!xL"']
negative_examples = ['password = "aaaaaaaaaa"']
"#;

    #[test]
    fn the_anchored_dense_walk_agrees_with_an_anchored_search() {
        // Look-behind at the start (`\b`, `^`), look-ahead at the end (`\b`, `$`), matches
        // ending at the range's end, and ranges ending before the haystack does.
        let patterns = [
            r#"\b(?i:secret|api[_.-]?key)\s*[:=]\s*["']?(?P<secret>[A-Za-z0-9]{8,})\b"#,
            r"(?m)^[ \t]*(?:export[ \t]+)?[A-Z_]*TOKEN=(?P<secret>\w{6,})[ \t]*\r?$",
            r"tok_[a-z0-9]{4}",
        ];
        let hays: [&[u8]; 6] = [
            b"x secret = 'abcdefgh12' y",
            b"API_KEY:abcdefghijklmnop1234\nexport MY_TOKEN=abcdef12\n",
            b"  MY_TOKEN=abc1234 \r\nsecretive=abcdefgh1",
            b"tok_ab12tok_abtok_9999",
            b"apikey=abcdefgh",
            b"",
        ];
        for pattern in patterns {
            let dfa = dense::Builder::new()
                .configure(dense::Config::new().start_kind(StartKind::Anchored))
                .syntax(syntax::Config::new().unicode(false).utf8(false))
                .build(pattern)
                .expect("pattern compiles");
            for hay in hays {
                for start in 0..=hay.len() {
                    for end in start..=hay.len() {
                        let input = Input::new(hay)
                            .range(start..end)
                            .anchored(Anchored::Yes)
                            .earliest(true);
                        let searched = dfa.try_search_fwd(&input).expect("no quit bytes");
                        assert_eq!(
                            dense_passes_anchored(&dfa, hay, start, end),
                            searched.is_some(),
                            "{pattern} on {:?} at {start}..{end}",
                            hay.escape_ascii().to_string()
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn a_busy_rule_finds_the_same_matches_after_its_screening_budget() {
        // Far apart, so that every hit opens its own window: thousands of windows without a
        // match, and a token every hundred, first screened, then searched by the full regex.
        let rules = set(RULES);
        let mut hay = Vec::new();
        let mut planted = Vec::new();
        for i in 0..3000 {
            if i % 100 == 7 {
                let token = format!("tok_{i:04}Qm7xK2pZ");
                planted.push(token.clone());
                hay.extend_from_slice(format!("x {token} y").as_bytes());
            } else {
                hay.extend_from_slice(b"x tok_short y");
            }
            hay.extend_from_slice(&[b' '; 80]);
            hay.push(b'\n');
        }
        assert_eq!(secrets(&rules, &hay), planted);
        let window = rules.rules()[0].window_after + "tok_".len();
        assert!(
            3000 * window > 2 * crate::rules::SCREEN_BYTES,
            "the budget runs out early"
        );
    }

    #[test]
    fn finds_matches_of_several_rules_in_order() {
        let rules = set(RULES);
        let mut m = Matcher::new(&rules);
        let hay = b"a tok_Ab3dEf6hIj9k b\nPASSWORD = \"Qv9-rT2m!xL\"\n tok_Zz1yXx2wVv3u";
        let mut out = Vec::new();
        m.find(hay, &mut out);
        let found: Vec<&[u8]> = out.iter().map(|r| &hay[r.start..r.end]).collect();
        assert_eq!(
            found,
            vec![
                &b"tok_Ab3dEf6hIj9k"[..],
                b"Qv9-rT2m!xL",
                b"tok_Zz1yXx2wVv3u"
            ]
        );
        assert_eq!(out[1].rule, 1);
    }

    #[test]
    fn window_edge_does_not_cut_a_longer_token() {
        // The window ends exactly after 12 token characters; the token goes on. A search over
        // a slice would see a word boundary at the slice end and report a cut token.
        let rules = set(&RULES.replace("window_after = 20", "window_after = 12"));
        let mut m = Matcher::new(&rules);
        let mut out = Vec::new();
        m.find(b"tok_Ab3dEf6hIj9kMORECHARS", &mut out);
        assert!(out.is_empty(), "{out:?}");
    }

    #[test]
    fn matcher_is_reusable_across_blobs() {
        let rules = set(RULES);
        let mut m = Matcher::new(&rules);
        let mut out = Vec::new();
        m.find(b"tok_Ab3dEf6hIj9k", &mut out);
        assert_eq!(out.len(), 1);
        out.clear();
        m.find(b"nothing to see", &mut out);
        assert!(out.is_empty());
        m.find(b"x tok_Ab3dEf6hIj9k", &mut out);
        assert_eq!(out[0].start, 2);
    }

    #[test]
    fn dense_keywords_merge_into_one_window() {
        let rules = set(RULES);
        let mut m = Matcher::new(&rules);
        let mut hay = Vec::new();
        for i in 0..500 {
            hay.extend_from_slice(format!("tok_Ab3dEf6hI{i:03} ").as_bytes());
        }
        let mut out = Vec::new();
        m.find(&hay, &mut out);
        assert_eq!(out.len(), 500);
    }

    #[test]
    fn overlapping_matches_keep_the_provider_rule() {
        let generic = r#"
[[rule]]
id = "generic.any"
name = "G"
provider = "generic"
keywords = ["tok_"]
pattern = '''(?P<secret>tok_\w+)'''
confidence = "high"
"#;
        let rules = set(&format!("{RULES}{generic}"));
        let mut m = Matcher::new(&rules);
        let mut out = Vec::new();
        m.find(b"a tok_Ab3dEf6hIj9k b", &mut out);
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(rules.rules()[out[0].rule].id.as_str(), "t.token");
    }

    /// The secrets `rules` find in `hay`.
    fn secrets(rules: &RuleSet, hay: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        Matcher::new(rules).find(hay, &mut out);
        out.iter()
            .map(|m| String::from_utf8_lossy(&hay[m.start..m.end]).into_owned())
            .collect()
    }

    #[test]
    fn line_start_patterns_are_tried_at_every_line_start_of_a_window() {
        let rules = set(r#"
[[rule]]
id = "t.line"
name = "L"
keywords = ["tok_key"]
pattern = '''(?m)^[ \t]*tok_key[ \t]*=[ \t]*(?P<secret>[A-Za-z0-9]{12})'''
confidence = "high"
window_before = 40
window_after = 80
"#);
        assert!(rules.rules()[0].compiled().unwrap().at_line_start);
        // Adjacent lines share one byte window that starts mid-line; a keyword mid-line is no
        // line start; every line that starts with the assignment is found.
        let hay =
            b"# a comment before the first line\n  tok_key = Ab3dEf6hIj9k\ntok_key=Zz1yXx2wVv3u\n\
                    x tok_key = Qq1wEe2rTt3y\n\ttok_key = Mm4nBb5vCc6x\n";
        assert_eq!(
            secrets(&rules, hay),
            ["Ab3dEf6hIj9k", "Zz1yXx2wVv3u", "Mm4nBb5vCc6x"]
        );
    }

    #[test]
    fn keyword_anchored_rules_match_from_each_keyword_hit() {
        let rules = set(r#"
[[rule]]
id = "t.anchored"
name = "A"
keywords = ["api_key", "apikey", "secret"]
pattern = '''(?i:api_?key|secret)\s*=\s*"(?P<secret>[A-Za-z0-9]{12})"'''
confidence = "high"
lines_after = 0
starts_at_keyword = true
"#);
        let hay = b"x_api_key = \"Ab3dEf6hIj9k\"; client_secret = \"Zz1yXx2wVv3u\"\n\
                    APIKEY=\"Qq1wEe2rTt3y\"\nsecret is \"Mm4nBb5vCc6x\"\nsecret = \"short\"\n";
        assert_eq!(
            secrets(&rules, hay),
            ["Ab3dEf6hIj9k", "Zz1yXx2wVv3u", "Qq1wEe2rTt3y"]
        );
    }

    #[test]
    fn line_windows_cover_the_keyword_line_and_lines_after() {
        let rule = |lines: usize| {
            set(&format!(
                r#"
[[rule]]
id = "t.wrapped"
name = "W"
keywords = ["apikey"]
pattern = '''apikey\s*=\s*"(?P<secret>[A-Za-z0-9]{{16}})"'''
confidence = "high"
lines_after = {lines}
"#
            ))
        };
        let hay = b"apikey =\n  \"Ab3dEf6hIj9kLm0p\"\nother line\nx apikey = \"Zz1yXx2wVv3uTt4s\"";
        assert_eq!(secrets(&rule(0), hay), ["Zz1yXx2wVv3uTt4s"]);
        let terminated = set(&RULES
            .replace("window_before = 0", "lines_after = 0\nwindow_before = 0")
            .replace(
                r"\b(?P<secret>tok_[A-Za-z0-9]{12})\b",
                r"(?P<secret>tok_[A-Za-z0-9]{12})(?:[^A-Za-z0-9]|$)",
            ));
        let mut out = Vec::new();
        Matcher::new(&terminated).find(b"a tok_Ab3dEf6hIj9k\nnext line\n", &mut out);
        assert_eq!(out.len(), 1, "a token that ends its line");
        assert_eq!(
            secrets(&rule(1), hay),
            ["Ab3dEf6hIj9kLm0p", "Zz1yXx2wVv3uTt4s"]
        );
    }

    #[test]
    fn path_globs_limit_a_rule_to_its_files() {
        let rules = set(&RULES.replace(
            "window_before = 0",
            "paths = ['*.ipynb', 'notebooks/**']\nwindow_before = 0",
        ));
        assert_found_per_path(
            &rules,
            &[
                ("analysis/model.ipynb", 1),
                ("notebooks/a.txt", 1),
                ("src/main.go", 0),
                ("model.ipynb.bak", 0),
            ],
        );
    }

    /// Asserts how many matches one matcher finds in the same token line under each path.
    fn assert_found_per_path(rules: &RuleSet, cases: &[(&str, usize)]) {
        let mut m = Matcher::new(rules);
        for &(path, want) in cases {
            let mut out = Vec::new();
            m.set_path(path);
            m.find(b"x tok_Ab3dEf6hIj9k y", &mut out);
            assert_eq!(out.len(), want, "{path}");
        }
    }

    #[test]
    fn path_regexes_select_and_skip_files() {
        let rules = set(&RULES.replace(
            "window_before = 0",
            "path_regex = '(?:^|/)deploy/'\nskip_path_regexes = ['/testdata/']\nwindow_before = 0",
        ));
        assert_found_per_path(
            &rules,
            &[
                ("deploy/app.env", 1),
                ("svc/deploy/app.env", 1),
                ("svc/deploy/testdata/app.env", 0),
                ("src/app.env", 0),
            ],
        );
    }

    #[test]
    fn entropy_floor_and_placeholders_filter() {
        let rules = set(RULES);
        let mut m = Matcher::new(&rules);
        let mut out = Vec::new();
        m.find(
            b"password = \"aaaaaaaaaa\"\npassword = \"${DB_PASSWORD}\"",
            &mut out,
        );
        assert!(out.is_empty(), "{out:?}");
    }
}
