//! Alerts as Slack incoming-webhook messages (Block Kit, with a `text` fallback).
//!
//! # Hostile text
//!
//! Every string of an alert comes from logs an attacker can write to (account names, IPs,
//! clients, object names, and the explanation and reason details that quote them). Each is
//! passed through [`neutralize`] (terminal escapes, bidi overrides, zero-width characters),
//! cut to a length, and escaped for Slack's mrkdwn: `&` -> `&amp;`, `<` -> `&lt;`,
//! `>` -> `&gt;` (Slack's documented escaping). Without `<` and `>` no mention
//! (`<!channel>`, `<!here>`, `<@U123>`, `<!subteam^S1>`), channel link (`<#C1>`) or disguised link
//! (`<https://evil|click>`) can form; an attacker's `&lt;` arrives as `&amp;lt;` and renders
//! as the literal text. Identifiers (account, IPs, clients, objects) are also set in inline code
//! with their backticks replaced, so they are shown verbatim (no bold, no auto-linked URLs).
//! The message sets `unfurl_links`/`unfurl_media` to false so Slack fetches nothing an attacker
//! named. The header holds only exfilwatch's own words.
//!
//! Lengths stay inside Block Kit's limits (header 150 characters, section text 3,000,
//! field 2,000, 50 blocks), counted after escaping.

use crate::alert::sanitize::neutralize;
use crate::alert::{human_bytes, routine_phrase, thousands, Alert, ReasonOut};
use crate::detect::Severity;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Most new IPs or clients listed; the rest are counted.
const MAX_LISTED: usize = 5;
/// Most reasons shown.
const MAX_REASONS: usize = 3;

/// Escapes Slack mrkdwn's control characters: `&`, `<`, `>`.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// Attacker-controlled text for mrkdwn: neutralised, escaped, and cut so that the escaped
/// result has at most `max` characters (ending in `…` when cut; never inside an entity).
pub fn text(s: &str, max: usize) -> String {
    let n = neutralize(s);
    let full = escape(&n);
    if full.chars().count() <= max {
        return full;
    }
    let budget = max.saturating_sub(1);
    let mut out = String::new();
    let mut used = 0;
    for c in n.chars() {
        let piece = match c {
            '&' => "&amp;".to_owned(),
            '<' => "&lt;".to_owned(),
            '>' => "&gt;".to_owned(),
            c => c.to_string(),
        };
        let len = piece.chars().count();
        if used + len > budget {
            break;
        }
        out.push_str(&piece);
        used += len;
    }
    out.push('…');
    out
}

/// An identifier for mrkdwn: [`text`] inside inline code, backticks replaced by `ˋ` so the
/// value cannot close the code span.
pub fn code(s: &str, max: usize) -> String {
    let s = s.replace('`', "ˋ");
    format!("`{}`", text(&s, max.saturating_sub(2).max(1)))
}

/// An amount of the baseline's measure.
fn amount(x: f64, measure: &str) -> String {
    match measure {
        "bytes" => human_bytes(x.round() as i64),
        m => format!("{} {}", thousands(x), text(m, 20)),
    }
}

/// A share as a percentage: `3%`, `0.12%`.
fn percent(x: f64) -> String {
    let p = x * 100.0;
    if p >= 10.0 || p == 0.0 {
        format!("{p:.0}%")
    } else if p >= 1.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}

fn severity_word(s: Severity) -> &'static str {
    match s {
        Severity::Low => "Low",
        Severity::Medium => "Medium",
        Severity::High => "High",
        Severity::Critical => "Critical",
    }
}

fn severity_emoji(s: Severity) -> &'static str {
    match s {
        Severity::Low => ":large_blue_circle:",
        Severity::Medium => ":warning:",
        Severity::High => ":rotating_light:",
        Severity::Critical => ":rotating_light::rotating_light:",
    }
}

/// "observed X vs typical Y" for one reason, in the factor's units.
fn observed_vs_typical(r: &ReasonOut, a: &Alert) -> String {
    let m = a.baseline.measure.as_str();
    match r.factor.as_str() {
        "volume" | "run" => format!(
            "{} vs typical {}",
            amount(r.observed, m),
            amount(r.typical, m)
        ),
        // `typical` may be the share of its bulk hours at such hours (`detail` says so).
        "off_hours" => format!(
            "active at this hour; usually on {} of such days",
            percent(a.baseline.hour_activity_rate.unwrap_or(r.typical))
        ),
        "new_ip" | "new_client" | "new_objects" => format!(
            "{} new; {} of windows bring as many",
            thousands(r.observed),
            percent(r.typical)
        ),
        "breadth" => format!(
            "{} distinct objects; {} of windows read as many",
            thousands(r.observed),
            percent(r.typical)
        ),
        "dormant" => format!(
            "after {} idle days; {} of gaps (its own, or other accounts' absences) as long",
            thousands(r.observed),
            percent(r.typical)
        ),
        _ => format!("observed {} vs typical {}", r.observed, r.typical),
    }
}

/// New IPs or clients: up to [`MAX_LISTED`], then `and N more`, each with how many other
/// accounts use it routinely when the alert says.
fn listed(v: &[String], max: usize, routine: &BTreeMap<String, u32>) -> String {
    let shown: Vec<String> = v
        .iter()
        .take(MAX_LISTED)
        .map(|x| match routine.get(x) {
            Some(&n) => format!("{} ({})", code(x, max), routine_phrase(n)),
            None => code(x, max),
        })
        .collect();
    match v.len() {
        n if n > MAX_LISTED => format!("{} and {} more", shown.join(", "), n - MAX_LISTED),
        _ => shown.join(", "),
    }
}

/// The account as shown: `id (name)` when the logs gave a different readable name.
fn account(a: &Alert) -> String {
    match &a.account_name {
        Some(n) if *n != a.account => format!("{} ({})", code(&a.account, 80), code(n, 80)),
        _ => code(&a.account, 80),
    }
}

/// A volume with the baseline median when it is the baseline's measure.
fn volume_field(a: &Alert, measure: &str, v: Option<i64>) -> Option<String> {
    let v = v?;
    let shown = amount(v as f64, measure);
    Some(if a.baseline.measure == measure {
        format!(
            "{shown}\nbaseline median {} per {} window",
            amount(a.baseline.median, measure),
            text(&a.baseline.window_kind, 20)
        )
    } else {
        shown
    })
}

fn field(label: &str, value: String) -> Value {
    json!({ "type": "mrkdwn", "text": format!("*{label}*\n{value}") })
}

/// The Slack message for `alert`; `update` marks a revision of an alert sent before.
pub fn slack_message(alert: &Alert, update: bool) -> Value {
    let a = alert;
    let sev = severity_word(a.severity);
    let upd = if update { " (updated)" } else { "" };
    let window = format!(
        "{} → {} ({})",
        text(&a.window_start, 40),
        text(&a.window_end, 40),
        text(&a.window_kind, 20)
    );
    let volume = match (a.records, a.bytes) {
        (Some(r), Some(b)) => format!("{} ({})", amount(r as f64, "records"), human_bytes(b)),
        (Some(r), None) => amount(r as f64, "records"),
        (None, Some(b)) => human_bytes(b),
        (None, None) => "no volume".into(),
    };
    let fallback = format!(
        "{} exfilwatch {sev} alert{upd}: {} read {volume} in the {} window from {} (score {:.1}, alert {})",
        severity_emoji(a.severity),
        code(&a.account, 80),
        text(&a.window_kind, 20),
        text(&a.window_start, 40),
        a.score,
        code(&a.id, 40),
    );

    let mut blocks = vec![json!({
        "type": "header",
        "text": {
            "type": "plain_text",
            "text": format!("{} {sev} alert: possible bulk data theft{upd}", severity_emoji(a.severity)),
            "emoji": true,
        },
    })];
    if !a.explanation.is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": text(&a.explanation, 2900) },
        }));
    }
    let mut fields = vec![
        field("Account", account(a)),
        field("Source", code(&a.source, 60)),
        field("Window", window),
        field("Score", format!("{:.2} ({})", a.score, sev.to_lowercase())),
    ];
    if let Some(r) = volume_field(a, "records", a.records) {
        fields.push(field("Records", r));
    }
    if let Some(b) = volume_field(a, "bytes", a.bytes) {
        fields.push(field("Bytes", b));
    }
    fields.push(field(
        "Events / objects",
        format!(
            "{} events, {} distinct objects",
            thousands(a.events as f64),
            thousands(a.distinct_objects as f64)
        ),
    ));
    fields.push(field("Alert id", code(&a.id, 60)));
    fields.truncate(10);
    blocks.push(json!({ "type": "section", "fields": fields }));

    let mut reasons: Vec<&ReasonOut> = a.reasons.iter().collect();
    reasons.sort_by(|x, y| y.contribution.total_cmp(&x.contribution));
    if !reasons.is_empty() {
        let lines: Vec<String> = reasons
            .iter()
            .take(MAX_REASONS)
            .map(|r| {
                let mut line = format!(
                    "• *{}* (+{:.2}): {}",
                    text(&r.factor, 30),
                    r.contribution,
                    observed_vs_typical(r, a)
                );
                if !r.detail.is_empty() {
                    line.push_str(&format!(" — {}", text(&r.detail, 600)));
                }
                line
            })
            .collect();
        let mut t = format!("*Why*\n{}", lines.join("\n"));
        if reasons.len() > MAX_REASONS {
            t.push_str(&format!(
                "\n_and {} smaller reason(s)_",
                reasons.len() - MAX_REASONS
            ));
        }
        blocks.push(json!({ "type": "section", "text": { "type": "mrkdwn", "text": t } }));
    }

    let mut new = Vec::new();
    if !a.new_ips.is_empty() {
        let ips = listed(&a.new_ips, 64, &a.new_ips_routine_accounts);
        new.push(format!("*New IPs:* {ips}"));
    }
    if !a.new_clients.is_empty() {
        let clients = listed(&a.new_clients, 120, &a.new_clients_routine_accounts);
        new.push(format!("*New clients:* {clients}"));
    }
    if !a.top_objects.is_empty() {
        let objs: Vec<String> = a
            .top_objects
            .iter()
            .take(3)
            .map(|o| {
                format!(
                    "{} ({})",
                    code(&o.object, 100),
                    amount(o.records as f64, "records")
                )
            })
            .collect();
        new.push(format!("*Top objects:* {}", objs.join(", ")));
    }
    if !new.is_empty() {
        blocks.push(json!({
            "type": "section",
            "text": { "type": "mrkdwn", "text": new.join("\n") },
        }));
    }
    let mut context = format!(
        "exfilwatch {} · alert {}",
        env!("CARGO_PKG_VERSION"),
        code(&a.id, 60)
    );
    if update {
        context.push_str(" · an update of an alert sent before");
    }
    blocks.push(json!({
        "type": "context",
        "elements": [{ "type": "mrkdwn", "text": context }],
    }));

    json!({
        "text": fallback,
        "blocks": blocks,
        "unfurl_links": false,
        "unfurl_media": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::{BaselineOut, ObjectOut};

    fn alert() -> Alert {
        Alert {
            id: "ew-00000000000000aa".into(),
            account: "alice".into(),
            account_name: None,
            source: "generic".into(),
            window_start: "2025-01-15T02:00:00Z".into(),
            window_end: "2025-01-15T03:00:00Z".into(),
            window_kind: "hour".into(),
            score: 9.5,
            severity: Severity::High,
            records: Some(120_000),
            bytes: Some(55_000_000),
            events: 1234,
            distinct_objects: 7,
            baseline: BaselineOut {
                scope: "account".into(),
                measure: "records".into(),
                window_kind: "hour".into(),
                windows: 500,
                median: 3400.0,
                p99: 9000.0,
                tail_probability: 1e-9,
                model: "pareto_tail".into(),
                hour_activity_rate: Some(0.03),
                days_active_at_hour: Some(1),
                days_observed: Some(30),
                busy_day_factor: None,
                peer_day_factor: None,
                peer_day_share: None,
                peer_object: None,
                month_close_factor: None,
                bulk_hours: None,
                bulk_hours_off_hours: None,
                bulk_hours_tool_accounts: None,
            },
            reasons: vec![
                ReasonOut {
                    factor: "off_hours".into(),
                    contribution: 1.5,
                    observed: 1.0,
                    typical: 0.03,
                    detail: "active around this hour on 3.0% of such days".into(),
                },
                ReasonOut {
                    factor: "volume".into(),
                    contribution: 6.0,
                    observed: 120000.0,
                    typical: 3400.0,
                    detail: "120,000 records in an hour".into(),
                },
                ReasonOut {
                    factor: "new_ip".into(),
                    contribution: 1.0,
                    observed: 1.0,
                    typical: 0.05,
                    detail: "1 new".into(),
                },
                ReasonOut {
                    factor: "breadth".into(),
                    contribution: 0.5,
                    observed: 7.0,
                    typical: 0.01,
                    detail: "".into(),
                },
            ],
            new_ips: vec!["198.51.100.4".into()],
            new_clients: vec!["python-requests/2.31".into()],
            new_ips_routine_accounts: Default::default(),
            new_clients_routine_accounts: Default::default(),
            top_objects: vec![ObjectOut {
                object: "Contact".into(),
                records: 100_000,
                events: 1000,
            }],
            files: vec!["a.csv".into()],
            explanation: "alice read 120,000 records (55.0 MB) in one hour.".into(),
            version: 1,
        }
    }

    /// Every string in the message.
    fn strings(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::String(s) => out.push(s.clone()),
            Value::Array(a) => a.iter().for_each(|x| strings(x, out)),
            Value::Object(o) => o.values().for_each(|x| strings(x, out)),
            _ => {}
        }
    }

    /// No `<` or `>` anywhere, and every `&` starts one of the three entities.
    fn assert_inert(msg: &Value) {
        let mut all = Vec::new();
        strings(msg, &mut all);
        for s in all {
            assert!(
                !s.contains('<') && !s.contains('>'),
                "unescaped bracket in {s:?}"
            );
            for (i, _) in s.match_indices('&') {
                let rest = &s[i..];
                assert!(
                    rest.starts_with("&amp;")
                        || rest.starts_with("&lt;")
                        || rest.starts_with("&gt;"),
                    "bare & in {s:?}"
                );
            }
            for c in s.chars() {
                assert!(
                    !c.is_control() || c == '\n',
                    "control character {c:?} in {s:?}"
                );
                assert!(
                    !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200b}'..='\u{200f}'),
                    "bidi/zero-width {c:?} in {s:?}"
                );
            }
        }
    }

    #[test]
    fn escape_handles_the_three_characters() {
        assert_eq!(escape("a<b>&c"), "a&lt;b&gt;&amp;c");
        assert_eq!(escape("<!channel>"), "&lt;!channel&gt;");
        assert_eq!(escape("&lt;!here&gt;"), "&amp;lt;!here&amp;gt;");
        assert_eq!(escape("plain ünï"), "plain ünï");
    }

    #[test]
    fn text_cuts_after_escaping_and_never_splits_an_entity() {
        assert_eq!(text("abc", 3), "abc");
        assert_eq!(text("abcd", 3), "ab…");
        // "<<<<" escapes to 16 characters; with a budget of 9, two entities (8) fit.
        assert_eq!(text("<<<<", 10), "&lt;&lt;…");
        assert_eq!(text("a&b", 5), "a…");
        assert_eq!(text("x\x1b[2J", 100), "x\\u{1b}[2J");
        let long = "&".repeat(10_000);
        let t = text(&long, 3000);
        assert!(t.chars().count() <= 3000);
        assert!(t.ends_with("&amp;…"));
    }

    #[test]
    fn code_cannot_be_closed_early() {
        assert_eq!(code("a`b", 20), "`aˋb`");
        assert_eq!(code("<@U1>", 20), "`&lt;@U1&gt;`");
        assert!(code(&"x".repeat(500), 50).chars().count() <= 50);
    }

    #[test]
    fn hostile_values_cannot_mention_or_link() {
        let mut a = alert();
        a.account = "<!channel> `pwn` <@U024BE7LH>".into();
        a.account_name = Some("<!subteam^SAZ94GDB8> & co".into());
        a.source = "<#C024BE7LR>".into();
        a.new_ips = vec![
            "<https://evil.example/login|Click to verify>".into(),
            "&lt;!here&gt;".into(),
        ];
        a.new_clients = vec![
            "Mozilla/5.0 <!everyone>".into(),
            "\u{202e}exe.txt\x1b]8;;https://evil\x07".into(),
            "zero\u{200b}width".into(),
        ];
        a.new_ips_routine_accounts = a.new_ips.iter().map(|ip| (ip.clone(), 0)).collect();
        a.top_objects[0].object = "<mailto:x@evil.example|report>".into();
        a.explanation = "<!here> read <https://evil|this> \n & more".into();
        a.reasons[1].detail = "<!channel>".into();
        a.reasons[0].factor = "<!here>".into();
        a.window_kind = "<!here>".into();
        a.id = "<@U1>".into();
        let m = slack_message(&a, true);
        assert_inert(&m);
        let all = m.to_string();
        assert!(all.contains("&lt;!channel&gt;"));
        assert!(all.contains("&lt;https://evil.example/login|Click to verify&gt;"));
        // An attacker's pre-escaped entity renders literally.
        assert!(all.contains("&amp;lt;!here&amp;gt;"));
        assert!(
            all.contains("\\\\u{202e}exe.txt"),
            "bidi override made visible"
        );
        assert!(all.contains("zero\\\\u{200b}width"));
        // The account's backticks cannot close its code span.
        assert!(all.contains("`&lt;!channel&gt; ˋpwnˋ &lt;@U024BE7LH&gt;`"));
    }

    #[test]
    fn long_values_are_cut_within_block_limits() {
        let mut a = alert();
        a.account = "A".repeat(5000);
        a.explanation = "<".repeat(5000);
        a.new_ips = (0..40).map(|i| format!("10.0.0.{i}")).collect();
        a.new_clients = vec!["c".repeat(10_000)];
        a.reasons[1].detail = "&".repeat(5000);
        let m = slack_message(&a, false);
        assert_inert(&m);
        let blocks = m["blocks"].as_array().unwrap();
        assert!(blocks.len() <= 50);
        let header = blocks[0]["text"]["text"].as_str().unwrap();
        assert!(header.chars().count() <= 150);
        for b in blocks {
            if let Some(t) = b["text"]["text"].as_str() {
                assert!(t.chars().count() <= 3000, "{}", t.chars().count());
            }
            if let Some(fs) = b["fields"].as_array() {
                assert!(fs.len() <= 10);
                for f in fs {
                    assert!(f["text"].as_str().unwrap().chars().count() <= 2000);
                }
            }
        }
        let t = m.to_string();
        assert!(t.contains("and 35 more"), "40 IPs, 5 listed");
        assert!(!t.contains(&"A".repeat(100)), "account cut");
    }

    #[test]
    fn content_reasons_and_baseline() {
        let m = slack_message(&alert(), false);
        assert_eq!(m["unfurl_links"], false);
        let blocks = m["blocks"].as_array().unwrap();
        assert_eq!(blocks[0]["type"], "header");
        assert_eq!(
            blocks[0]["text"]["text"],
            ":rotating_light: High alert: possible bulk data theft"
        );
        let fields: Vec<&str> = blocks[2]["fields"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["text"].as_str().unwrap())
            .collect();
        assert_eq!(fields[0], "*Account*\n`alice`");
        assert_eq!(
            fields[2],
            "*Window*\n2025-01-15T02:00:00Z → 2025-01-15T03:00:00Z (hour)"
        );
        assert_eq!(fields[3], "*Score*\n9.50 (high)");
        assert_eq!(
            fields[4],
            "*Records*\n120,000 records\nbaseline median 3,400 records per hour window"
        );
        // Bytes are not the baseline's measure: no median.
        assert_eq!(fields[5], "*Bytes*\n55.0 MB");
        assert_eq!(fields[7], "*Alert id*\n`ew-00000000000000aa`");
        // Top 3 of 4 reasons, largest contribution first.
        let why = blocks[3]["text"]["text"].as_str().unwrap();
        let lines: Vec<&str> = why.lines().collect();
        assert_eq!(lines[0], "*Why*");
        assert_eq!(
            lines[1],
            "• *volume* (+6.00): 120,000 records vs typical 3,400 records — 120,000 records in an hour"
        );
        assert!(lines[2].starts_with(
            "• *off_hours* (+1.50): active at this hour; usually on 3.0% of such days"
        ));
        assert!(lines[3].starts_with("• *new_ip* (+1.00): 1 new; 5.0% of windows"));
        assert_eq!(lines[4], "_and 1 smaller reason(s)_");
        let new = blocks[4]["text"]["text"].as_str().unwrap();
        assert!(new.contains("*New IPs:* `198.51.100.4`"));
        assert!(new.contains("*New clients:* `python-requests/2.31`"));
        // With the routine counts of this version's alerts, each value says its own.
        let mut a = alert();
        a.new_ips_routine_accounts = BTreeMap::from([("198.51.100.4".into(), 0)]);
        a.new_clients_routine_accounts = BTreeMap::from([("python-requests/2.31".into(), 3)]);
        let m = slack_message(&a, false);
        let new = m["blocks"][4]["text"]["text"].as_str().unwrap();
        assert!(
            new.contains("*New IPs:* `198.51.100.4` (no other account uses it routinely)"),
            "{new}"
        );
        assert!(
            new.contains(
                "*New clients:* `python-requests/2.31` (3 other accounts use it routinely)"
            ),
            "{new}"
        );
        assert!(m["text"].as_str().unwrap().contains("`alice`"));
        assert!(!m.to_string().contains("updated"));
        // With off-hours precedents the factor's `typical` is their share (2 of 25, 8%); the
        // message still gives the hour's rate, 3%, and the detail the precedents.
        let mut a = alert();
        (a.baseline.bulk_hours, a.baseline.bulk_hours_off_hours) = (Some(25), Some(2));
        a.reasons[0].typical = 0.08;
        a.reasons[0].detail = "active around this hour on 3.0% of such days; 2 of its 25 other bulk hours were at such hours too".into();
        let m = slack_message(&a, false);
        let why = m["blocks"][3]["text"]["text"].as_str().unwrap();
        assert!(
            why.contains("usually on 3.0% of such days — active around this hour on 3.0% of such days; 2 of its 25 other bulk hours were at such hours too"),
            "{why}"
        );
        let u = slack_message(&alert(), true);
        assert!(u["blocks"][0]["text"]["text"]
            .as_str()
            .unwrap()
            .ends_with("(updated)"));
    }

    #[test]
    fn number_formats() {
        assert_eq!(thousands(999.0), "999");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(55_000_000), "55.0 MB");
        assert_eq!(percent(0.03), "3.0%");
        assert_eq!(percent(0.5), "50%");
        assert_eq!(percent(0.0012), "0.12%");
    }
}
