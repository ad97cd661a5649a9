//! Neutralising attacker-controlled text before it is rendered.
//!
//! Every field of a log (account names, IPs, user agents, object names) can be written by an
//! attacker. Rendered as-is, a user agent holding `ESC [ 2 J` clears an analyst's terminal, a
//! right-to-left override reverses what they read, and a cell starting with `=` runs as a formula
//! in a spreadsheet. Every renderer passes such text through [`neutralize`] (and CSV cells
//! through [`csv_cell`]); JSON output keeps exact values, escaped by the JSON encoder, for
//! machines.

use std::borrow::Cow;

/// Whether a character must not reach a terminal, chat message or report as-is: C0 and C1
/// controls, DEL, bidirectional overrides and isolates, zero-width characters, and line and
/// paragraph separators.
fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c,
            '\u{061c}' | '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2060}'..='\u{2069}' | '\u{feff}')
}

/// Replaces dangerous characters by a visible escape (`\u{1b}`), leaving other text untouched.
pub fn neutralize(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_dangerous) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_dangerous(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A value for a CSV cell: neutralised, and prefixed with `'` when a spreadsheet would read it
/// as a formula (it starts with `=`, `+`, `-`, `@`, tab or carriage return; OWASP's advice).
pub fn csv_cell(s: &str) -> String {
    let n = neutralize(s);
    match n.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{n}"),
        _ => n.into_owned(),
    }
}

/// Neutralises and cuts a value to at most `max` characters (adding `…`), for table cells.
pub fn cell(s: &str, max: usize) -> String {
    let n = neutralize(s);
    if n.chars().count() <= max {
        return n.into_owned();
    }
    let mut out: String = n.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_untouched_and_borrowed() {
        assert!(matches!(
            neutralize("Mozilla/5.0 (X11) ünïcödé"),
            Cow::Borrowed(_)
        ));
    }

    #[test]
    fn terminal_escapes_and_bidi_are_made_visible() {
        assert_eq!(neutralize("a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(neutralize("x\u{202e}gpj.exe"), "x\\u{202e}gpj.exe");
        assert_eq!(neutralize("line\nbreak\r"), "line\\u{a}break\\u{d}");
        assert_eq!(neutralize("\u{9b}31m"), "\\u{9b}31m");
        assert!(!neutralize("zero\u{200b}width").contains('\u{200b}'));
    }

    #[test]
    fn csv_formulas_are_defused() {
        assert_eq!(
            csv_cell("=HYPERLINK(\"http://x\")"),
            "'=HYPERLINK(\"http://x\")"
        );
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(
            csv_cell("\tx"),
            "\\u{9}x",
            "a tab is made visible, so no longer a formula lead"
        );
        assert_eq!(csv_cell("alice"), "alice");
    }

    #[test]
    fn cells_are_cut() {
        assert_eq!(cell("abcdef", 4), "abc…");
        assert_eq!(cell("abc", 4), "abc");
    }
}
