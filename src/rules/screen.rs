//! A rule's screen: the automaton that decides whether a window may hold a match, before the
//! full regex (match start, capture groups) runs on it.
//!
//! A screen is a forward DFA without capture groups over a *widened* pattern (see [`widened`]):
//! its language contains the pattern's, so a window it rejects holds no match, and a window it
//! passes goes to the full regex, which has the exact pattern.
//!
//! Screens of the built-in rules are determinized by `build.rs` and embedded as dense DFAs
//! ([`dense_screen`]), so a scan neither compiles their NFAs nor builds their states, once per
//! thread, at run time. The patterns of rules read at run time get a lazy DFA
//! ([`lazy_screen`]), and so do built-in patterns whose dense DFA would be too large.
//!
//! `build.rs` includes this file; it depends on `regex_automata`, `regex_syntax` and `std` only.

use regex_automata::Anchored;
use regex_automata::dfa::{Automaton, StartKind, dense};
use regex_automata::hybrid;
use regex_automata::nfa::thompson::{self, NFA};
use regex_automata::util::start;
use regex_syntax::hir::{Capture, Class, Hir, HirKind, Repetition};

/// Classes of at least this many bytes are wide (`.`, `[^\n]`, `[^"]`).
const WIDE_CLASS: usize = 128;

/// Repetitions whose upper bound exceeds this are long.
const LONG_REPETITION: u32 = 16;

/// Repetitions of a class whose upper bound exceeds the lower by this much lose the upper bound.
const RANGE_SLACK: u32 = 4;

/// Largest embedded dense screen of a rule, in bytes. With [`DENSE_LIMIT_GENERIC`], 349 of the
/// 374 built-in rules with keywords have embedded screens, 15.6 MB in all.
const DENSE_LIMIT: usize = 512 * 1024;

/// Largest embedded dense screen of a generic rule. Generic rules' keywords are common words, so
/// their screens run on many windows in every repository, and building their lazy DFA states
/// costs most.
const DENSE_LIMIT_GENERIC: usize = 1024 * 1024;

// Used by build.rs, which includes this file, and by tests.
#[cfg_attr(not(test), allow(dead_code))]
/// Largest embedded dense screen of a rule of `provider`, in bytes.
pub fn dense_limit(provider: &str) -> usize {
    match provider {
        "generic" => DENSE_LIMIT_GENERIC,
        _ => DENSE_LIMIT,
    }
}

/// `hir` with the upper bound dropped from every repetition of a class whose length may vary by
/// [`RANGE_SLACK`] or more (`[\w.-]{0,16}` becomes `[\w.-]*`), and with the minimum of a long
/// repetition of a wide class cut to at most 1 as well (`.{5,600}` becomes `.+`). A DFA counts a
/// bounded repetition with a state per position, and where the repeated class overlaps what comes
/// before it (a variable name after a keyword), with a state per *set* of positions: thousands of
/// states that cost more to build than the windows they screen, and too many to embed. The wider
/// language lets only a few more windows through to the full regex, which has the exact bounds.
/// Exact counts (`[a-f0-9]{64}`), which make a screen selective, stay.
pub fn widened(hir: &Hir) -> Hir {
    match hir.kind() {
        HirKind::Repetition(rep) => {
            let width = match rep.sub.kind() {
                HirKind::Class(class) => Some(class_width(class)),
                _ => None,
            };
            let ranged = width.is_some() && rep.max.is_some_and(|max| max >= rep.min + RANGE_SLACK);
            let wide_and_long = width.is_some_and(|w| w >= WIDE_CLASS)
                && rep.max.is_some_and(|max| max > LONG_REPETITION);
            Hir::repetition(Repetition {
                min: if wide_and_long {
                    rep.min.min(1)
                } else {
                    rep.min
                },
                max: if ranged || wide_and_long {
                    None
                } else {
                    rep.max
                },
                greedy: rep.greedy,
                sub: Box::new(widened(&rep.sub)),
            })
        }
        HirKind::Capture(capture) => Hir::capture(Capture {
            sub: Box::new(widened(&capture.sub)),
            ..capture.clone()
        }),
        HirKind::Concat(items) => Hir::concat(items.iter().map(widened).collect()),
        HirKind::Alternation(items) => Hir::alternation(items.iter().map(widened).collect()),
        _ => hir.clone(),
    }
}

/// Number of bytes (or code points) in a class.
fn class_width(class: &Class) -> usize {
    match class {
        Class::Bytes(bytes) => bytes
            .ranges()
            .iter()
            .map(|r| usize::from(r.end() - r.start()) + 1)
            .sum(),
        Class::Unicode(chars) => chars
            .ranges()
            .iter()
            .map(|r| (u32::from(r.end()) - u32::from(r.start())) as usize + 1)
            .sum(),
    }
}

/// The screen's NFA: the widened pattern, forward, without capture groups.
pub fn screen_nfa(hir: &Hir) -> Result<NFA, String> {
    thompson::Compiler::new()
        .configure(thompson::Config::new().which_captures(thompson::WhichCaptures::None))
        .build_from_hir(&widened(hir))
        .map_err(|e| e.to_string())
}

/// Whether a pattern's matches can only start at the line start a search begins at (`(?m)^`
/// first): such a pattern is tried anchored at each line start.
pub fn at_line_start(hir: &Hir) -> bool {
    hir.properties()
        .look_set_prefix()
        .contains(regex_syntax::hir::Look::StartLF)
}

/// Whether a pattern's screen is only ever searched anchored: at keyword hits, for a rule that
/// starts at its keyword, or at line starts, for a pattern that begins there.
pub fn anchored_only(hir: &Hir, starts_at_keyword: bool) -> bool {
    starts_at_keyword || at_line_start(hir)
}

/// The start states a screen needs. A screen searched only anchored (at keyword hits or line
/// starts) leaves out the unanchored start and every state only it reaches: a smaller DFA, which
/// a scan's many short anchored searches find in the caches more often.
fn start_kind(anchored_only: bool) -> StartKind {
    match anchored_only {
        true => StartKind::Anchored,
        false => StartKind::Both,
    }
}

/// The screen as a lazy DFA, whose states each thread builds as its searches reach them (an
/// anchored search builds anchored states only).
pub fn lazy_screen(hir: &Hir) -> Result<hybrid::dfa::DFA, String> {
    hybrid::dfa::DFA::builder()
        .build_from_nfa(screen_nfa(hir)?)
        .map_err(|e| e.to_string())
}

// Used by build.rs, which includes this file, and by tests.
#[cfg_attr(not(test), allow(dead_code))]
/// The screen as a minimized dense DFA of at most `limit` bytes, searchable anchored, and
/// unanchored unless `anchored_only`; `None` when it is larger or does not build.
pub fn dense_screen(hir: &Hir, limit: usize, anchored_only: bool) -> Option<dense::DFA<Vec<u32>>> {
    let nfa = screen_nfa(hir).ok()?;
    dense::Builder::new()
        .configure(
            dense::Config::new()
                .start_kind(start_kind(anchored_only))
                .minimize(true)
                .dfa_size_limit(Some(limit))
                .determinize_size_limit(Some(limit.saturating_mul(8))),
        )
        .build_from_nfa(&nfa)
        .ok()
}

/// A set of bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ByteSet([u64; 4]);

impl ByteSet {
    fn insert(&mut self, byte: u8) {
        self.0[usize::from(byte >> 6)] |= 1 << (byte & 63);
    }

    /// Whether `byte` is in the set.
    pub fn contains(&self, byte: u8) -> bool {
        self.0[usize::from(byte >> 6)] & (1 << (byte & 63)) != 0
    }
}

// Used by the rule set; build.rs, which includes this file, does not call it.
#[cfg_attr(not(test), allow(dead_code))]
/// The bytes that can come right after `keyword` (in any ASCII case) in a match of anchored
/// screen `dfa` that starts with the keyword. A try anchored at a hit of the keyword that is
/// followed by any other byte dies on that byte, so such a hit need not open a window. `None`
/// when the keyword alone does not tell: the screen has no anchored start state, or settles
/// (a match, a quit byte) within the keyword.
pub fn follow_set(dfa: &impl Automaton, keyword: &[u8]) -> Option<ByteSet> {
    // One byte of each kind of look-behind that picks a start state: none, a line terminator,
    // a word byte, any other byte.
    let mut states = Vec::new();
    for look_behind in [None, Some(b'\n'), Some(b'\r'), Some(b'a'), Some(b' ')] {
        let config = start::Config::new()
            .anchored(Anchored::Yes)
            .look_behind(look_behind);
        states.push(dfa.start_state(&config).ok()?);
    }
    for &byte in keyword {
        let mut next = Vec::new();
        for &state in &states {
            for cased in [byte.to_ascii_lowercase(), byte.to_ascii_uppercase()] {
                let to = dfa.next_state(state, cased);
                if dfa.is_match_state(to) || dfa.is_quit_state(to) {
                    return None;
                }
                if !dfa.is_dead_state(to) && !next.contains(&to) {
                    next.push(to);
                }
            }
        }
        states = next;
    }
    let mut set = ByteSet::default();
    for byte in 0..=u8::MAX {
        if states
            .iter()
            .any(|&state| !dfa.is_dead_state(dfa.next_state(state, byte)))
        {
            set.insert(byte);
        }
    }
    Some(set)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::window::parse_bytes;
    use regex_automata::Input;

    fn hir(pattern: &str) -> Hir {
        parse_bytes(pattern).expect("pattern parses")
    }

    #[test]
    fn a_keyword_hit_outside_its_follow_set_never_starts_a_match() {
        let patterns = [
            r#"(?i:secret|secret[_.-]?key|api[_.-]?key)["']?\s*[:=]\s*"(?P<secret>[A-Za-z0-9]{8,})""#,
            r"\b(?i:token)\b[ \t]*=[ \t]*(?P<secret>\w{6,})",
            r"(?P<secret>ghp_[A-Za-z0-9]{8})(?:[^A-Za-z0-9]|$)",
        ];
        let keywords: [&[u8]; 5] = [b"secret", b"api_key", b"token", b"ghp_", b"secret_key"];
        let hays: [&[u8]; 5] = [
            br#"x secret = "abcdefgh12" SECRET_KEY:"zyxwvut98" secrets(1) Secret)"#,
            br#"API_KEY= "abcdefghij" api_key_id = "abcdefghij" apikey"#,
            b"token = abcdef1 TOKEN=abc tokens = abcdef1 a_token = abcdefg",
            b"ghp_abcdefgh ghp_abc ghp_abcdefgh1 xghp_abcdefgh",
            b"secret_key\nsecret",
        ];
        let mut rejected = 0;
        for pattern in patterns {
            let screen =
                dense_screen(&hir(pattern), DENSE_LIMIT, true).expect("small dense screen");
            for keyword in keywords {
                let follow = follow_set(&screen, keyword);
                for hay in hays {
                    let lower = hay.to_ascii_lowercase();
                    for at in (0..hay.len()).filter(|&i| lower[i..].starts_with(keyword)) {
                        let end = at + keyword.len();
                        let Some(&next) = hay.get(end) else { continue };
                        if follow.is_none_or(|set| set.contains(next)) {
                            continue;
                        }
                        rejected += 1;
                        let input = Input::new(hay).range(at..).anchored(Anchored::Yes);
                        let found = screen.try_search_fwd(&input).expect("no quit bytes");
                        assert!(
                            found.is_none(),
                            "{pattern}: {keyword:?} at {at} starts a match"
                        );
                    }
                }
            }
        }
        assert!(rejected > 10, "only {rejected} hits rejected");
        // The byte after the keyword decides for these.
        let screen = dense_screen(&hir(patterns[0]), DENSE_LIMIT, true).expect("screen");
        let set = follow_set(&screen, b"secret").expect("a follow set");
        assert!(b"_.-kK'\" =: \t".iter().all(|&b| set.contains(b)));
        assert!(b"s)(,>aA".iter().all(|&b| !set.contains(b)));
        // A pattern that can match within the keyword leaves the hit to the search.
        let short = dense_screen(&hir(r"sec"), DENSE_LIMIT, true).expect("screen");
        assert_eq!(follow_set(&short, b"secret"), None);
    }

    #[test]
    fn widening_drops_the_bounds_of_ranged_class_repetitions_only() {
        let cases = [
            (r"a.{0,600}?b", r"a.*?b"),
            (r"a[^\n]{0,120}b", r"a[^\n]*b"),
            (r"a(?s:.{5,80})b", r"a(?s:.+)b"),
            (r"key[\w.-]{0,16}=", r"key[\w.-]*="),
            (r"t[a-z0-9]{32,64}", r"t[a-z0-9]{32,}"),
            (r"a.{0,16}b", r"a.*b"),
            // Exact token lengths, small ranges and repetitions of more than a class stay.
            (r"[A-Za-z0-9_-]{24}", r"[A-Za-z0-9_-]{24}"),
            (r"x[a-f0-9]{64}", r"x[a-f0-9]{64}"),
            (r"x[a-f0-9]{8,10}", r"x[a-f0-9]{8,10}"),
            (r"(?:ab){0,16}", r"(?:ab){0,16}"),
        ];
        for (pattern, expected) in cases {
            let widened = widened(&hir(pattern));
            // `a.{1,}` and `a.+` are one Hir; compare through a fresh parse of the expectation,
            // which regex_syntax prints the same way.
            assert_eq!(widened.to_string(), hir(expected).to_string(), "{pattern}");
        }
    }

    #[test]
    fn a_widened_screen_passes_every_match_and_rejects_what_cannot_match() {
        let pattern = r#"(?s)apps\.googleusercontent\.com".{0,600}?"client_secret":"(?P<secret>[A-Za-z0-9_-]{24})""#;
        let screen = dense_screen(&hir(pattern), DENSE_LIMIT, false).expect("small dense screen");
        let near =
            br#"{"id":"1.apps.googleusercontent.com","client_secret":"GOCSPX-abcdefghijklmnopq"}"#;
        let missing =
            br#"{"id":"1.apps.googleusercontent.com","other":"GOCSPX-abcdefghijklmnopq"}"#;
        let found = |hay: &[u8]| {
            screen
                .try_search_fwd(&Input::new(hay).earliest(true))
                .expect("no quit bytes")
                .is_some()
        };
        assert!(found(near));
        assert!(!found(missing));
        // 700 bytes apart: beyond the pattern's bound, but the screen is wider and lets it
        // through to the full regex, which rejects it.
        let far = format!(
            r#"{{"id":"1.apps.googleusercontent.com",{}"client_secret":"GOCSPX-abcdefghijklmnopq"}}"#,
            " ".repeat(700)
        );
        assert!(found(far.as_bytes()));
    }

    #[test]
    fn dense_and_lazy_screens_agree_anchored_and_unanchored() {
        let pattern = r#"(?i:secret|api[_.-]?key)\s*[:=]\s*["'](?P<secret>[A-Za-z0-9]{16,})["']"#;
        let dense = dense_screen(&hir(pattern), DENSE_LIMIT, false).expect("small dense screen");
        let lazy = lazy_screen(&hir(pattern)).expect("lazy screen");
        let mut cache = lazy.create_cache();
        let hays: [&[u8]; 5] = [
            b"API_KEY = \"abcdefghijklmnop1234\"",
            b"let x = 1; secret: 'A1b2C3d4E5f6G7h8'",
            b"secret = \"short\"",
            b"apikey=\"ABCDEFGHIJKLMNOPQRST\" trailing",
            b"nothing to see here",
        ];
        for hay in hays {
            for anchored in [Anchored::No, Anchored::Yes] {
                for start in 0..hay.len() {
                    let input = Input::new(hay)
                        .range(start..)
                        .anchored(anchored)
                        .earliest(true);
                    let d = dense.try_search_fwd(&input).expect("dense search");
                    let l = lazy
                        .try_search_fwd(&mut cache, &input)
                        .expect("lazy search");
                    assert_eq!(d, l, "{:?} from {start} {anchored:?}", hay.escape_ascii());
                }
            }
        }
    }

    #[test]
    fn a_screen_over_the_limit_is_not_built_dense() {
        // Unanchored search for a 40-character token after one of many names: large.
        let pattern = r"(?i:github|gitlab|bitbucket)[\w.-]{0,16}(?:token|secret)[\w.-]{0,8}\s*[:=]\s*([0-9a-f]{40})\b";
        assert!(dense_screen(&hir(pattern), 4096, false).is_none());
        assert!(lazy_screen(&hir(pattern)).is_ok());
    }
}
