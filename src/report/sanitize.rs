//! Making text taken from a scanned repository safe for a terminal or a CI log.
//!
//! File names, lines and commit messages come from whoever wrote the repository; a control
//! character in them could move the cursor, rewrite earlier output or inject a CI workflow
//! command. Everything from a repository passes through [`sanitize`] before it is printed.

use std::borrow::Cow;

/// Replaces control characters (other than tab) with visible escapes such as `\x1b`.
pub fn sanitize(text: &str) -> Cow<'_, str> {
    if !text.chars().any(is_unsafe) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if is_unsafe(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A URL with the password of its user information replaced by `***`
/// (`postgres://u:pw@host/db` → `postgres://u:***@host/db`), for messages and logs.
pub fn strip_url_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let hidden = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{hidden}@{host}{tail}")
        }
        None => url.to_string(),
    }
}

fn is_unsafe(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(sanitize("plain\ttext"), "plain\ttext");
        assert_eq!(sanitize("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(sanitize("line\nnext"), "line\\nnext");
        assert_eq!(sanitize("rtl\u{202e}x"), "rtl\\u{202e}x");
    }

    #[test]
    fn url_passwords_are_hidden() {
        assert_eq!(
            strip_url_password("postgres://u:pw@h:5432/db?x=1"),
            "postgres://u:***@h:5432/db?x=1"
        );
        assert_eq!(strip_url_password("postgres://u@h/db"), "postgres://u@h/db");
        assert_eq!(strip_url_password("postgres://h/db"), "postgres://h/db");
        assert_eq!(strip_url_password("no-scheme"), "no-scheme");
    }
}
