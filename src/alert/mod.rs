//! Alerts: incidents -> the public alert records, and their renderings.
//!
//! # The alert record (JSON Lines schema)
//!
//! `--format jsonl` writes one JSON object per line, one line per alert, ordered by severity
//! (highest first), then score (highest first), then account and window start. This schema is a
//! public interface: fields are only ever added, never renamed or removed, within a major version.
//!
//! | field              | type            | meaning |
//! |--------------------|-----------------|---------|
//! | `id`               | string          | stable id: `ew-` + 16 hex digits of a hash of source, account and window start |
//! | `account`          | string          | the actor, as the log spells it (exact, not neutralised); for Salesforce the 15-character user id |
//! | `account_name`     | string or null  | a readable name for an opaque account id, when the logs give one (a Salesforce Login row's username) |
//! | `source`           | string          | the log family (`generic`, ...) |
//! | `window_start`     | string          | RFC 3339 UTC, inclusive |
//! | `window_end`       | string          | RFC 3339 UTC, exclusive |
//! | `window_kind`      | string          | `hour` (one or more adjacent hours), `day` (a local calendar day) or `run` (consecutive local days: a run of heavy days, `detect::runs`) |
//! | `score`            | number          | total surprise: the sum of the reasons' contributions, in `-log10` probability units |
//! | `severity`         | string          | relative to the run's alert line `L` (`detect::AlertLine`): `low` (score >= 3), `medium` (>= L - 2), `high` (>= L), `critical` (>= L + 3); L is 7 when the run is too small to estimate it; for `run` alerts and ring findings (`shared_ip`) L is `-log10(budget / 10,000)` (4 at the default budget) |
//! | `records`          | integer or null | records read in the window (null if the source gives none) |
//! | `bytes`            | integer or null | bytes read in the window (null if the source gives none) |
//! | `events`           | integer         | events in the window |
//! | `distinct_objects` | integer         | distinct objects read in the window |
//! | `baseline`         | object          | what the volume was compared with, see below |
//! | `reasons`          | array           | contributing factors, largest first, see below |
//! | `new_ips`          | array of string | source IPs the account used only around this window |
//! | `new_clients`      | array of string | clients (user agents, apps) the account used only around this window |
//! | `new_ips_routine_accounts` | object | for each of `new_ips`, how many other accounts use it routinely (an office NAT, a VPN pool's address; 0: no account does); absent in alerts of earlier versions |
//! | `new_clients_routine_accounts` | object | for each of `new_clients`, how many other accounts use it routinely (a browser the staff share, a bulk tool the admins use; 0: no account does); absent in alerts of earlier versions |
//! | `top_objects`      | array           | up to 5 `{object, records, events}`, most records first |
//! | `files`            | array of string | the input files the window's events came from |
//! | `explanation`      | string          | one sentence for an analyst (neutralised: safe to display) |
//! | `version`          | integer         | 1 when first raised; `detect --state` raises an incident that grew or changed again, with the same `id` and the next version |
//!
//! `baseline`: `scope` (`account`: the account's own history; `population`: other accounts of
//! the same source, when the account's history is too thin; `tool`: the windows with it of the
//! other accounts that use the window's shared bulk-export tool routinely, when those make the
//! window less surprising than its own history, `detect::Tool`), `measure` (`records` or `bytes`;
//! `exports` for a run of many exports or a day judged by its count of exports),
//! `window_kind`, `windows` (history windows used), `median` and `p99` (of the measure per
//! window of history), `tail_probability` (probability of a window at least this large under the
//! model; with both measures scored, the smaller times two), `model` (what gave that probability:
//! `pareto_tail`, the Pareto tail of the account's largest windows; `lognormal`, the log-normal
//! law of its daily totals, for daily windows; `upper_normal`, the normal law of their upper
//! half; `negative_binomial`, the law of a day's count of exports; `run_test`, the run test;
//! `ring_test`, the test of accounts sharing a new address), and for hourly windows
//! `hour_activity_rate` (estimated share of days like this one on which the account is active
//! around this hour), `days_active_at_hour` and `days_observed` (same weekday, outside the left-out
//! days), else null. `busy_day_factor`, present only when the day was judged net of an
//! organisation-wide busy day (`detect::orgday`): how many times their usual the source's
//! accounts read that day. `peer_day_factor` and `peer_day_share`, present only when the day
//! fell on a busy day of its peer group (`detect::cohort`) and was weighed against it: how many
//! times their usual the group's accounts that took part read that day, and the share of the
//! group that took part beyond chance; `peer_object`, the object the group shares, present then
//! and when a run is held at `medium` because its heavy days were the group's busy days.
//! `month_close_factor`, present only when the day was judged net of the account's month-end
//! close (`detect::close`): how many times its other days its close days read.
//! `bulk_hours` and `bulk_hours_off_hours`, present only when the
//! window is at an hour the account rarely works: how many of the account's other bulk hours
//! there are (outside the left-out days), and how many of those also fell at hours it rarely
//! works (`detect::OffHoursPrecedent`; when there are any, the off-hours factor is the larger
//! of the hour's rate and their share). `bulk_hours_tool_accounts`, present only when the
//! window used a shared bulk-export tool: those precedents are then the bulk hours with the tool
//! of this many accounts that use it routinely, not the account's own.
//!
//! For `run` alerts, `median` and `p99` are of all the account's active days, `windows` counts
//! them, and `tail_probability` is the run test's probability (Bonferroni-corrected). When a
//! ring leads (`model` `ring_test`), `median`, `p99` and `windows` are of the account's active
//! hours and `tail_probability` is the share of them reading at least as much as its hour here.
//!
//! `reasons[]`: `factor` (`volume`, `off_hours`, `new_ip`, `new_client`, `breadth`, `new_objects`, `dormant`, `run`, `shared_ip`),
//! `contribution` (points added to `score`), `observed` (volume; 1 for off-hours; number of new
//! values; distinct objects; days since the previous activity; the run's volume; the ring's
//! accounts), `typical` (median volume; activity rate at this hour, or the share of the account's
//! other bulk hours at such hours when there is one and it is larger; share of days bringing a new
//! value; share of windows reading as many objects; share of gaps at least that long (the
//! larger of the account's earlier gaps and other accounts' absences);
//! the median day times the run's days; the share of the account's hours reading as much),
//! `detail` (a short phrase).

pub mod sanitize;

use crate::detect::{close, Factor, Incident, Measure, Scope, Severity};
use crate::features::WindowKind;
use crate::features::{Activity, Evidence, Features, Span};
use crate::ingest::event::Names;
use crate::ingest::time::format_utc;
use chrono::TimeZone;
use sanitize::{cell, neutralize};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// One alert, as written to JSON Lines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alert {
    pub id: String,
    pub account: String,
    pub account_name: Option<String>,
    pub source: String,
    pub window_start: String,
    pub window_end: String,
    pub window_kind: String,
    pub score: f64,
    pub severity: Severity,
    pub records: Option<i64>,
    pub bytes: Option<i64>,
    pub events: u64,
    pub distinct_objects: u64,
    pub baseline: BaselineOut,
    pub reasons: Vec<ReasonOut>,
    pub new_ips: Vec<String>,
    pub new_clients: Vec<String>,
    /// For each of `new_ips`: how many other accounts use it routinely
    /// ([`crate::features::Routine`]).
    #[serde(default)]
    pub new_ips_routine_accounts: BTreeMap<String, u32>,
    /// For each of `new_clients`: how many other accounts use it routinely.
    #[serde(default)]
    pub new_clients_routine_accounts: BTreeMap<String, u32>,
    pub top_objects: Vec<ObjectOut>,
    pub files: Vec<String>,
    pub explanation: String,
    /// 1 when first raised; a scheduled run (`detect --state`) that finds the incident grown or
    /// changed raises it again with the same `id` and the next version.
    #[serde(default = "first_version")]
    pub version: u32,
}

/// "was" for one, "were" for more.
fn was(n: u32) -> &'static str {
    if n == 1 {
        "was"
    } else {
        "were"
    }
}

/// Whose bulk hours the off-hours precedents are: "its 25 other bulk hours", or, for a shared
/// tool, "the 24 bulk hours with it of the 4 accounts that use its bulk-export tool routinely".
fn precedent_hours(n: u32, tool_accounts: Option<u32>) -> String {
    match tool_accounts {
        None => format!("its {n} other bulk hours"),
        Some(k) => format!(
            "the {n} bulk hours with it of the {k} accounts that use its bulk-export tool routinely"
        ),
    }
}

/// "was at such an hour" for one of the account's bulk hours, "were at such hours" for more.
fn at_such_hours(n: u32) -> String {
    let at = if n == 1 {
        "at such an hour"
    } else {
        "at such hours"
    };
    format!("{} {at}", was(n))
}

fn first_version() -> u32 {
    1
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BaselineOut {
    pub scope: String,
    pub measure: String,
    pub window_kind: String,
    pub windows: u64,
    pub median: f64,
    pub p99: f64,
    pub tail_probability: f64,
    /// `pareto_tail`, `lognormal`, `upper_normal`, `negative_binomial`, `run_test` or `ring_test`
    /// (absent in alerts of earlier versions).
    #[serde(default)]
    pub model: String,
    pub hour_activity_rate: Option<f64>,
    pub days_active_at_hour: Option<u32>,
    pub days_observed: Option<u32>,
    /// For a day judged net of an organisation-wide busy day: how many times their usual the
    /// source's accounts read that day (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub busy_day_factor: Option<f64>,
    /// For a day weighed against a busy day of its peer group (`detect::cohort`): how many
    /// times their usual the group's accounts that took part read that day (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_day_factor: Option<f64>,
    /// For such a day: the share of the group's active accounts that took part beyond chance
    /// (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_day_share: Option<f64>,
    /// The main object shared by that peer group, or by the group whose busy days hold a run
    /// at `medium` (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peer_object: Option<String>,
    /// For a day of an account whose month-end close days read more than its other days
    /// (`detect::close`), judged net of that rise: how many times its other days its close
    /// days read (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub month_close_factor: Option<f64>,
    /// For a window at an hour the account rarely works: its other bulk hours (absent
    /// otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_hours: Option<u32>,
    /// Of those, how many also fell at hours it rarely works (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_hours_off_hours: Option<u32>,
    /// When the window used a shared bulk-export tool (`detect::Tool`), the precedents are the
    /// bulk hours with it of the accounts that use it routinely, and this is how many accounts
    /// they are (absent otherwise).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bulk_hours_tool_accounts: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReasonOut {
    pub factor: String,
    pub contribution: f64,
    pub observed: f64,
    pub typical: f64,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectOut {
    pub object: String,
    pub records: i64,
    pub events: u64,
}

/// Rounds for output: scores and ratios are not meaningful beyond a few digits, and rounding
/// keeps the output stable to read.
fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// Rounds to 3 significant digits (for probabilities).
fn round_sig(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    // Through the decimal form: scaling by 10^(2 - magnitude) overflows for a probability at
    // the floor of f64 (never 0, so that its logarithm is a score), and off the decimal point
    // it leaves 6.759999999999999e-28 for 6.76e-28.
    format!("{x:.2e}").parse().unwrap_or(x)
}

/// FNV-1a, 64-bit: a stable hash for alert ids (std's hasher is randomised per process).
fn fnv1a(parts: &[&str]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    h
}

/// Builds the alert records of `incidents` at or above `min_severity`, in output order;
/// `features` say how widely their new IPs and clients are used routinely.
pub fn build(
    incidents: &[Incident],
    activity: &dyn Activity,
    features: &Features,
    tz: &chrono_tz::Tz,
    min_severity: Severity,
) -> Vec<Alert> {
    let kept: Vec<Incident> = incidents
        .iter()
        .filter(|i| i.lead().severity >= min_severity)
        .cloned()
        .collect();
    let evidence = activity.evidence(&spans(&kept));
    let names = activity.names();
    let mut alerts: Vec<Alert> = kept
        .iter()
        .zip(evidence)
        .map(|(inc, ev)| to_alert(inc, ev, names, features, tz))
        .collect();
    alerts.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then(b.score.total_cmp(&a.score))
            .then_with(|| a.account.cmp(&b.account))
            .then_with(|| a.window_start.cmp(&b.window_start))
    });
    alerts
}

/// The account and span of each incident.
pub fn spans(incidents: &[Incident]) -> Vec<Span> {
    incidents
        .iter()
        .map(|i| Span {
            account: i.account,
            start_ms: i.start_ms,
            end_ms: i.end_ms,
        })
        .collect()
}

/// What an incident's window is: hours when any of its findings is hourly (a daily finding
/// joins an hourly incident without widening it), else its lead's kind.
fn span_kind(inc: &Incident) -> WindowKind {
    if inc
        .findings
        .iter()
        .any(|f| f.window.kind == WindowKind::Hour)
    {
        WindowKind::Hour
    } else {
        inc.lead().window.kind
    }
}

fn kind_name(kind: WindowKind) -> &'static str {
    match kind {
        WindowKind::Hour => "hour",
        WindowKind::Day => "day",
        WindowKind::Run => "run",
    }
}

fn to_alert(
    inc: &Incident,
    ev: Evidence,
    events: &Names,
    features: &Features,
    tz: &chrono_tz::Tz,
) -> Alert {
    let lead = inc.lead();
    let account = events.account_name(inc.account).to_owned();
    let source = events.account_source(inc.account).to_owned();
    let window_start = format_utc(inc.start_ms);
    let kind = kind_name(span_kind(inc));
    // Name -> how many accounts use it routinely (never this one: the value is new to it).
    let mut new_ips = BTreeMap::new();
    let mut new_clients = BTreeMap::new();
    for f in &inc.findings {
        new_ips.extend(f.window.new_ips.iter().map(|&c| {
            let n = features.routine_ips.accounts(c);
            (events.ips.get(c).to_owned(), n)
        }));
        new_clients.extend(f.window.new_clients.iter().map(|&c| {
            let n = features.routine_clients.accounts(c);
            (events.clients.get(c).to_owned(), n)
        }));
    }
    let b = &lead.baseline;
    let measure = b.measure.as_str();
    let hr = lead.hour_rate;
    let baseline = BaselineOut {
        scope: match b.scope {
            Scope::Account => "account",
            Scope::Population => "population",
            Scope::Tool => "tool",
        }
        .into(),
        measure: measure.into(),
        window_kind: kind_name(lead.window.kind).into(),
        windows: b.windows as u64,
        median: round(b.median, 1),
        p99: round(b.p99, 1),
        tail_probability: round_sig(b.tail_probability),
        model: b.model.as_str().into(),
        hour_activity_rate: hr.map(|r| round_sig(r.rate)),
        days_active_at_hour: hr.map(|r| r.weekday_days_active),
        days_observed: hr.map(|r| r.weekday_days_observed),
        busy_day_factor: lead
            .busy_day
            .filter(|b| b.factor > 1.0)
            .map(|b| round(b.factor, 2)),
        peer_day_factor: lead.peer_day.map(|p| round(p.factor, 2)),
        peer_day_share: lead.peer_day.map(|p| round(p.share, 3)),
        peer_object: lead
            .peer_day
            .map(|p| p.object)
            .or(lead
                .run
                .filter(|e| e.held() && !e.period)
                .and_then(|e| e.peer_object))
            .map(|o| events.objects.get(o).to_owned()),
        month_close_factor: lead.month_close.map(|c| round(c.factor(), 2)),
        bulk_hours: lead.off_hours_precedent.map(|p| p.bulk_hours),
        bulk_hours_off_hours: lead.off_hours_precedent.map(|p| p.off_hours),
        bulk_hours_tool_accounts: lead.off_hours_precedent.and_then(|p| p.tool_accounts),
    };
    let reasons: Vec<ReasonOut> = lead
        .reasons
        .iter()
        .map(|r| ReasonOut {
            factor: r.factor.as_str().into(),
            contribution: round(r.contribution, 2),
            observed: round(r.observed, 1),
            typical: round_sig(r.typical),
            detail: match r.factor {
                Factor::Volume => format!(
                    "{} {measure} in {}; typical {} (median), 99th percentile {}",
                    thousands(r.observed),
                    if lead.window.kind == WindowKind::Hour {
                        "an hour"
                    } else {
                        "a day"
                    },
                    typical_text(b.median, measure),
                    typical_text(b.p99, measure)
                ),
                Factor::OffHours => {
                    let rate = hr.map_or(r.typical, |h| h.rate);
                    let mut d = format!("active around this hour on {:.1}% of such days", rate * 100.0);
                    if let Some(p) = lead.off_hours_precedent.filter(|p| p.off_hours > 0) {
                        d.push_str(&format!(
                            "; {} of {} {} too",
                            p.off_hours,
                            precedent_hours(p.bulk_hours, p.tool_accounts),
                            at_such_hours(p.off_hours)
                        ));
                    }
                    d
                }
                Factor::Breadth => format!(
                    "{} distinct objects; {:.2}% of the account's windows read that many",
                    r.observed,
                    r.typical * 100.0
                ),
                Factor::NewObjects => format!(
                    "{} object(s) the account reads nowhere else; {:.2}% of its windows bring that many new",
                    r.observed,
                    r.typical * 100.0
                ),
                Factor::Dormant => format!(
                    "first activity after {} days; about {:.0}% of the account's gaps, or of other accounts' absences, are that long (the larger)",
                    r.observed,
                    r.typical * 100.0
                ),
                Factor::Run => match lead.run {
                    Some(e) => {
                        let verb = if measure == "exports" { "made" } else { "read" };
                        let median = if b.median > 0.0 {
                            format!("{}x the median day", ratio_text(e.threshold, b.median))
                        } else {
                            format!("the median day has no {measure}")
                        };
                        format!(
                            "{} of {} consecutive active days {verb} at least {} each ({median}); {} of the account's {} active days {verb} that many",
                            e.heavy_days,
                            e.days,
                            amount(e.threshold, measure),
                            e.days_at_least,
                            e.active_days
                        )
                    }
                    None => String::new(),
                },
                Factor::SharedIp => match &lead.ring {
                    Some(e) => format!(
                        "address {} new to {} accounts within three hours; {:.2}% of this account's {} active hours read as much as its hour here, {:.1}% fall at times of day as rare for it; {} of the {} accounts also used a client new to them there (elsewhere {:.1}% of hours bringing a new address bring one); all together chance {:.1e} ({})",
                        neutralize(events.ips.get(e.ip)),
                        e.members.len(),
                        e.member_p * 100.0,
                        e.hours,
                        e.hour_p * 100.0,
                        e.with_client,
                        e.members.len(),
                        e.client_rate * 100.0,
                        e.fisher_p,
                        groups_tested(e)
                    ),
                    None => String::new(),
                },
                Factor::Exports => format!(
                    "{} export events in a day; typical {} (median of the account's days)",
                    thousands(r.observed),
                    thousands(r.typical)
                ),
                Factor::NewIp | Factor::NewClient => {
                    format!(
                        "{} new; {:.0}% of the account's days bring one",
                        r.observed,
                        r.typical * 100.0
                    )
                }
            },
        })
        .collect();
    let mut top: Vec<(u32, (i64, u64))> = ev.objects.iter().map(|(k, v)| (*k, *v)).collect();
    top.sort_by(|a, b| {
        b.1 .0
            .cmp(&a.1 .0)
            .then(b.1 .1.cmp(&a.1 .1))
            .then(a.0.cmp(&b.0))
    });
    let top_objects = top
        .iter()
        .take(5)
        .map(|(o, (r, e))| ObjectOut {
            object: events.objects.get(*o).to_owned(),
            records: *r,
            events: *e,
        })
        .collect();
    let distinct_objects = ev.objects.keys().filter(|&&o| o != 0).count() as u64;
    let mut alert = Alert {
        // A run may start on the day an hourly or daily incident starts: its kind keeps the
        // ids apart (the hour and day ids are unchanged).
        id: format!(
            "ew-{:016x}",
            if kind == "run" {
                fnv1a(&[&source, &account, &window_start, kind])
            } else {
                fnv1a(&[&source, &account, &window_start])
            }
        ),
        account,
        account_name: events.aliases.get(&inc.account).cloned(),
        source,
        window_start,
        window_end: format_utc(inc.end_ms),
        window_kind: kind.into(),
        score: round(lead.score, 2),
        severity: lead.severity,
        records: ev.records,
        bytes: ev.bytes,
        events: ev.events,
        distinct_objects,
        baseline,
        reasons,
        new_ips: new_ips.keys().cloned().collect(),
        new_clients: new_clients.keys().cloned().collect(),
        new_ips_routine_accounts: new_ips,
        new_clients_routine_accounts: new_clients,
        top_objects,
        files: ev
            .files
            .iter()
            .map(|&f| events.files[f as usize].clone())
            .collect(),
        explanation: String::new(),
        version: 1,
    };
    alert.explanation = explain(&alert, inc, events, tz);
    alert
}

/// An amount of a measure for people: `5,352 records`, `155.0 MB`.
fn amount(x: f64, measure: &str) -> String {
    match measure {
        "bytes" => human_bytes(x.round() as i64),
        m => format!("{} {m}", thousands(x)),
    }
}

/// A baseline's median or percentile for people: a count of exports below 100 keeps its
/// fraction (a median of 0.5 exports a day is not 1), anything else as [`thousands`].
fn typical_text(x: f64, measure: &str) -> String {
    if measure == "exports" && x < 100.0 && x.fract() != 0.0 {
        format!("{x:.1}")
    } else {
        thousands(x)
    }
}

/// `x / median` for people: `4.2` below 10, whole numbers with separators above.
fn ratio_text(x: f64, median: f64) -> String {
    match x / median {
        r if !r.is_finite() => "far above".into(),
        r if r < 10.0 => format!("{r:.1}"),
        r => thousands(r),
    }
}

/// `12345.6` -> `12,346`.
pub fn thousands(x: f64) -> String {
    let n = x.round() as i64;
    let s = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        format!("-{out}")
    } else {
        out
    }
}

/// Bytes in decimal units: `54.9 MB`.
pub fn human_bytes(b: i64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = b as f64;
    let mut u = 0;
    while v >= 1000.0 && u + 1 < units.len() {
        v /= 1000.0;
        u += 1;
    }
    if u == 0 {
        format!("{b} B")
    } else {
        format!("{v:.1} {}", units[u])
    }
}

/// Local wall-clock time of an instant in the organisation's zone.
fn local(tz: &chrono_tz::Tz, ms: i64, fmt: &str) -> String {
    match tz.timestamp_millis_opt(ms) {
        chrono::LocalResult::Single(t) => t.format(fmt).to_string(),
        _ => format_utc(ms),
    }
}

/// The one sentence an analyst reads. Every log-derived value in it is neutralised.
fn explain(a: &Alert, inc: &Incident, events: &Names, tz: &chrono_tz::Tz) -> String {
    let lead = inc.lead();
    let b = &a.baseline;
    let volume = match (a.records, a.bytes) {
        (Some(r), Some(by)) => format!("{} records ({})", thousands(r as f64), human_bytes(by)),
        (Some(r), None) => format!("{} records", thousands(r as f64)),
        (None, Some(by)) => human_bytes(by),
        (None, None) => "no volume".into(),
    };
    if let Some(e) = &lead.ring {
        let others: Vec<String> = e
            .members
            .iter()
            .filter(|&&m| m != inc.account)
            .map(|&m| neutralize(&events.account_display(m)).into_owned())
            .collect();
        return format!(
            "{} read {volume} in {} events between {} and {} ({}) from {}, an address new to it that {} other account(s) also began to use within three hours: {}. Its largest hour there is reached by {:.2}% of its {} active hours ({}x its median hour of {}); {:.1}% of its other hours fall at times of day as rare as this one; {} of the {} accounts also used a client new to them there, where elsewhere {:.1}% of hours bringing an account a new address bring it a new client; the {} accounts together: chance {:.1e} if ordinary ({}).",
            neutralize(&display_account(a)),
            thousands(a.events as f64),
            local(tz, inc.start_ms, "%a %Y-%m-%d %H:%M"),
            local(tz, inc.end_ms, "%H:%M"),
            tz.name(),
            neutralize(events.ips.get(e.ip)),
            others.len(),
            others.join(", "),
            e.member_p * 100.0,
            e.hours,
            ratio_text(
                lead.baseline.measure.of(&lead.window).unwrap_or(0) as f64,
                b.median
            ),
            amount(b.median, &b.measure),
            e.hour_p * 100.0,
            e.with_client,
            e.members.len(),
            e.client_rate * 100.0,
            e.members.len(),
            e.fisher_p,
            groups_tested(e),
        );
    }
    if let Some(e) = lead.run {
        // The window's end is exclusive: the run's last day starts a day before it.
        let last_day = inc.end_ms - 12 * crate::ingest::time::HOUR_MS;
        let period = if e.period {
            format!(
                " {} other accounts have a run of {} starting and ending within a day of this one (chance alignment would give about {:.1}): an organisational period such as a quarter-end, so it is held at medium.",
                e.shared_accounts, b.measure.as_str(), e.shared_expected
            )
        } else if e.held() {
            format!(
                " {} of its {} heavy days were busy days of its peer group (the accounts that read {} much of the time), on which far more of them than chance read heavily: the group's work, such as a campaign, more than the account's own, so it is held at medium.",
                e.peer_days,
                e.heavy_days,
                neutralize(e.peer_object.map_or("", |o| events.objects.get(o)))
            )
        } else {
            String::new()
        };
        // Judged net of the organisation's busy days: the chance before, then after.
        let (chance, org) = match e.org {
            Some(o) => (
                o.raw_p,
                format!(
                    " On {} of these days the whole organisation read more than usual (the median account up to {}x its usual); judged net of that, the chance is {:.1e}.",
                    o.busy_days,
                    ratio_text(o.factor, 1.0),
                    b.tail_probability
                ),
            ),
            None => (b.tail_probability, String::new()),
        };
        let exports = b.measure.as_str() == "exports";
        let vs_median = if b.median > 0.0 {
            format!(
                "{}x its median day ({})",
                ratio_text(e.threshold, b.median),
                amount(b.median, &b.measure)
            )
        } else {
            format!("where its median day has no {}", b.measure)
        };
        let how = if exports {
            "made that many exports"
        } else {
            "read that much"
        };
        return format!(
            "{} read {volume} in {} events over {} active days from {} to {} ({}): on {} of them at least {} a day, {vs_median}; only {} of its other {} active days {how} (chance {:.1e} that its heaviest days fall together like this).{org}{period}",
            neutralize(&display_account(a)),
            thousands(a.events as f64),
            e.days,
            local(tz, inc.start_ms, "%a %Y-%m-%d"),
            local(tz, last_day, "%a %Y-%m-%d"),
            tz.name(),
            e.heavy_days,
            amount(e.threshold, &b.measure),
            e.days_at_least - e.heavy_days,
            e.active_days - e.days,
            chance,
        );
    }
    let span = span_kind(inc);
    let when = match span {
        WindowKind::Day | WindowKind::Run => format!(
            "on {} ({})",
            local(tz, inc.start_ms, "%a %Y-%m-%d"),
            tz.name()
        ),
        WindowKind::Hour => format!(
            "between {} and {} {}",
            local(tz, inc.start_ms, "%a %Y-%m-%d %H:%M"),
            local(tz, inc.end_ms, "%H:%M"),
            tz.name()
        ),
    };
    let lead_volume = lead
        .reasons
        .iter()
        .find(|r| r.factor == Factor::Volume)
        .map_or(0.0, |r| r.observed);
    let ratio = if b.median > 0.0 {
        lead_volume / b.median
    } else {
        f64::INFINITY
    };
    let ratio = if ratio.is_finite() {
        format!("{}x", thousands(ratio))
    } else {
        "far above".into()
    };
    let compared = match lead.baseline.scope {
        Scope::Account => format!("its own median {}", a.baseline.window_kind),
        Scope::Population => format!(
            "the median {} of other {} accounts (its own history is too thin)",
            a.baseline.window_kind,
            neutralize(&a.source)
        ),
        Scope::Tool => format!(
            "the median {} with it of the other accounts that use its bulk-export tool routinely (its own history holds none or few of its uses)",
            a.baseline.window_kind
        ),
    };
    // Hours whose strongest evidence is their day's total say so, and so does a day judged by
    // its count of exports.
    let link = if span != lead.window.kind || lead.baseline.measure == Measure::Exports {
        format!("; that day's {} {} are", thousands(lead_volume), b.measure)
    } else {
        ":".into()
    };
    let mut s = format!(
        "{} read {volume} in {} events {when}{link} {ratio} {compared} ({} {}; 99th percentile {}; chance {:.1e})",
        neutralize(&display_account(a)),
        thousands(a.events as f64),
        typical_text(b.median, &b.measure),
        b.measure,
        typical_text(b.p99, &b.measure),
        b.tail_probability,
    );
    if lead.reasons.iter().any(|r| r.factor == Factor::OffHours) {
        if let (Some(act), Some(obs)) = (b.days_active_at_hour, b.days_observed) {
            s.push_str(&format!(
                "; at an hour it is rarely active (around this hour on {act} of {obs} such weekdays"
            ));
            let tool = b.bulk_hours_tool_accounts;
            match (b.bulk_hours, b.bulk_hours_off_hours) {
                (Some(n), Some(0)) if n > 0 => s.push_str(&format!(
                    "; none of {} was at such an hour)",
                    precedent_hours(n, tool)
                )),
                (Some(n), Some(k)) if k > 0 => s.push_str(&format!(
                    "; though {k} of {} {} too)",
                    precedent_hours(n, tool),
                    at_such_hours(k)
                )),
                _ => s.push(')'),
            }
        }
    } else if let (Some(n), Some(k)) = (b.bulk_hours, b.bulk_hours_off_hours) {
        // The precedents took the factor away: say why an odd hour added nothing.
        if k > 0 {
            s.push_str(&format!(
                "; at an hour it is rarely active, as {k} of {} {} (so not scored as off-hours)",
                precedent_hours(n, b.bulk_hours_tool_accounts),
                was(k)
            ));
        }
    }
    if let Some(r) = lead.reasons.iter().find(|r| r.factor == Factor::Breadth) {
        s.push_str(&format!(
            "; across {} distinct objects (about {:.1}% of its windows read that many)",
            r.observed,
            r.typical * 100.0
        ));
    }
    if let Some(r) = lead.reasons.iter().find(|r| r.factor == Factor::NewObjects) {
        s.push_str(&format!(
            "; {} object(s) it reads nowhere else (about {:.1}% of its windows bring that many new)",
            r.observed,
            r.typical * 100.0
        ));
    }
    if let Some(r) = lead.reasons.iter().find(|r| r.factor == Factor::Exports) {
        s.push_str(&format!(
            "; {} export events that day, against {} on its median day",
            thousands(r.observed),
            thousands(r.typical)
        ));
    }
    if let Some(r) = lead.reasons.iter().find(|r| r.factor == Factor::Dormant) {
        s.push_str(&format!(
            "; its first activity after {} quiet days (about {:.0}% of its gaps, or of other accounts' absences, are that long)",
            r.observed,
            r.typical * 100.0
        ));
    }
    if !a.new_ips.is_empty() {
        s.push_str("; from ");
        s.push_str(&new_values(
            ("IP", "IPs"),
            &a.new_ips,
            &a.new_ips_routine_accounts,
        ));
    }
    if !a.new_clients.is_empty() {
        s.push_str("; with ");
        s.push_str(&new_values(
            ("client", "clients"),
            &a.new_clients,
            &a.new_clients_routine_accounts,
        ));
    }
    s.push('.');
    if let Some(p) = lead.peer_day {
        s.push_str(&format!(
            " Weighed against a busy day of its peer group (the accounts that read {} much of the time): {} of its {} active accounts had a heavy day on this date (about {:.1} expected at the rate of the source's other accounts), so about {:.0}% of the group took part, reading {:.1}x their usual; its chance allows for this day being one of theirs.",
            neutralize(events.objects.get(p.object)),
            p.heavy,
            p.active,
            p.expected,
            100.0 * p.share,
            p.factor
        ));
    } else if let Some(b) = lead.busy_day.filter(|b| b.factor > 1.0) {
        s.push_str(&format!(
            " Judged net of an organisation-wide busy day: {} other accounts of {} also had a heavy day on this date (about {:.1} expected by chance), and its accounts read {:.1}x their usual that day.",
            b.others,
            neutralize(&a.source),
            b.expected,
            b.factor
        ));
    }
    if let Some(c) = lead.month_close {
        s.push_str(&format!(
            " Judged net of its month-end close: on the last {} and first {} business days of a month it reads {:.1}x its other days ({} such days against {} others; chance {:.1e} were they alike), so {} taken down by that before the comparison.",
            close::CLOSE_LAST,
            close::CLOSE_FIRST,
            c.factor(),
            c.close_days,
            c.other_days,
            c.p,
            if c.on_close_day {
                "this day, one of them, and those of its history were"
            } else {
                "those days of its history were"
            }
        ));
    }
    s
}

/// The account as people read it: `id (name)` when the logs gave a name for an opaque id.
fn display_account(a: &Alert) -> String {
    match &a.account_name {
        Some(n) if *n != a.account => format!("{} ({n})", a.account),
        _ => a.account.clone(),
    }
}

/// `no other account uses it routinely`, `1 other account ...`, `N other accounts use it
/// routinely`: what a new value's count of routine users says.
pub fn routine_phrase(n: u32) -> String {
    match n {
        0 => "no other account uses it routinely".into(),
        1 => "1 other account uses it routinely".into(),
        n => format!("{n} other accounts use it routinely"),
    }
}

/// `IP 198.51.100.7 new to the account (no other account uses it routinely)`: up to three new
/// values, neutralised, and how many other accounts use each routinely, which says whether the
/// account took up something the organisation already uses (a VPN pool's address, the admins'
/// bulk tool) or something no one does (an attacker's host or script). Alerts of earlier
/// versions carry no counts, and then none are said.
fn new_values(noun: (&str, &str), v: &[String], routine: &BTreeMap<String, u32>) -> String {
    let shown: Vec<&String> = v.iter().take(3).collect();
    let names: Vec<String> = shown.iter().map(|x| cell(x, 60)).collect();
    let noun = if v.len() == 1 { noun.0 } else { noun.1 };
    let more = match v.len() {
        n if n > 3 => format!(" and {} more", n - 3),
        _ => String::new(),
    };
    let mut s = format!("{noun} {}{more} new to the account", names.join(", "));
    let counts: Option<Vec<u32>> = shown.iter().map(|x| routine.get(*x).copied()).collect();
    match counts.as_deref() {
        Some(&[n]) => s.push_str(&format!(" ({})", routine_phrase(n))),
        Some(ns) if !ns.is_empty() => {
            let ns: Vec<String> = ns.iter().map(u32::to_string).collect();
            let which = if v.len() > 3 {
                "the first three"
            } else {
                "each"
            };
            s.push_str(&format!(
                " (other accounts using {which} routinely: {})",
                ns.join(", ")
            ));
        }
        _ => {}
    }
    s
}

/// Writes alerts as JSON Lines.
pub fn write_jsonl(alerts: &[Alert], out: &mut dyn Write) -> io::Result<()> {
    for a in alerts {
        serde_json::to_writer(&mut *out, a)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes alerts as a readable table, each followed by its explanation.
pub fn write_table(alerts: &[Alert], tz: &chrono_tz::Tz, out: &mut dyn Write) -> io::Result<()> {
    if alerts.is_empty() {
        return writeln!(out, "No alerts at this severity.");
    }
    let header = [
        "SEVERITY", "SCORE", "ACCOUNT", "SOURCE", "WINDOW", "RECORDS", "BYTES", "REASONS",
    ];
    let rows: Vec<[String; 8]> = alerts
        .iter()
        .map(|a| {
            let start = crate::ingest::time::parse_timestamp(&a.window_start).unwrap_or(0);
            let end = crate::ingest::time::parse_timestamp(&a.window_end).unwrap_or(0);
            [
                a.severity.as_str().to_uppercase(),
                format!("{:.1}", a.score),
                cell(&display_account(a), 60),
                cell(&a.source, 12),
                match a.window_kind.as_str() {
                    "hour" => format!(
                        "{}-{} {}",
                        local(tz, start, "%Y-%m-%d %H:%M"),
                        local(tz, end, "%H:%M"),
                        tz.name()
                    ),
                    // Whole local days: the first and the last (the end is exclusive).
                    _ => format!(
                        "{}..{} {}",
                        local(tz, start, "%Y-%m-%d"),
                        local(tz, end - 12 * crate::ingest::time::HOUR_MS, "%Y-%m-%d"),
                        tz.name()
                    ),
                },
                a.records.map_or("-".into(), |r| thousands(r as f64)),
                a.bytes.map_or("-".into(), human_bytes),
                a.reasons
                    .iter()
                    .map(|r| r.factor.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            ]
        })
        .collect();
    let mut width = header.map(str::len);
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        cells
            .iter()
            .zip(width)
            .map(|(c, w)| format!("{c:<w$}"))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned()
    };
    writeln!(out, "{}", line(&header.map(String::from)))?;
    for (r, a) in rows.iter().zip(alerts) {
        writeln!(out, "{}", line(r))?;
        writeln!(out, "    {}", a.explanation)?;
        if !a.files.is_empty() {
            let files: Vec<String> = a.files.iter().map(|f| cell(f, 80)).collect();
            writeln!(out, "    evidence: {}  id {}", files.join(", "), a.id)?;
        }
    }
    Ok(())
}

/// How many groups a ring's chance was weighed against, and why ([`crate::detect::rings`]).
fn groups_tested(e: &crate::detect::rings::RingEvidence) -> String {
    let kind = if e.routine_address {
        "that some account of the organisation uses routinely"
    } else {
        "that no account of the organisation uses routinely"
    };
    let times = if (e.multiplicity - e.multiplicity.round()).abs() < 1e-6 {
        format!("{:.0}", e.multiplicity)
    } else {
        format!("{:.1}", e.multiplicity)
    };
    let rank = match e.rank {
        1 => "most surprising".to_owned(),
        r => format!("{} most surprising", ordinal(r)),
    };
    format!(
        "counted {times} times: {} of the {} group(s) in this run are at addresses {kind}, and it is the {rank} of them (Holm)",
        e.family, e.groups
    )
}

/// `1st`, `2nd`, `3rd`, `4th`, ..., `11th`, `12th`, `13th`, `21st`, ...
fn ordinal(n: usize) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_smallest_probabilities_round_to_three_figures() {
        assert_eq!(round_sig(6.759_999_999e-28), 6.76e-28);
        assert_eq!(round_sig(2.0 * f64::MIN_POSITIVE), 4.45e-308);
        assert_eq!(round_sig(f64::MIN_POSITIVE), 2.23e-308);
    }

    #[test]
    fn a_count_of_exports_keeps_its_fraction() {
        assert_eq!(typical_text(0.5, "exports"), "0.5");
        assert_eq!(typical_text(10.2, "exports"), "10.2");
        assert_eq!(typical_text(3.0, "exports"), "3");
        assert_eq!(typical_text(1234.5, "exports"), "1,235");
        assert_eq!(typical_text(455.98, "records"), "456");
        assert_eq!(typical_text(12.5, "records"), "13");
    }

    #[test]
    fn ordinals() {
        let got: Vec<String> = [1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111]
            .into_iter()
            .map(ordinal)
            .collect();
        assert_eq!(
            got,
            [
                "1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd", "23rd",
                "101st", "111th"
            ]
        );
    }

    #[test]
    fn numbers_for_people() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.0), "999");
        assert_eq!(thousands(47_917.0), "47,917");
        assert_eq!(thousands(1_234_567.4), "1,234,567");
        assert_eq!(human_bytes(999), "999 B");
        assert_eq!(human_bytes(54_864_854), "54.9 MB");
        assert_eq!(round_sig(0.000_123_456), 0.000_123);
        assert_eq!(round(11.456, 2), 11.46);
    }

    #[test]
    fn new_values_say_how_many_other_accounts_use_them_routinely() {
        use crate::features::Routine;
        use crate::policy::tests::{events, incident};
        // alice (account 1) at hour 10 from 10.1.2.3, here new to her.
        let ev = events();
        let ip = (0..ev.ips.len() as u32)
            .find(|&c| ev.ips.get(c) == "10.1.2.3")
            .unwrap();
        let mut inc = incident(1, &[(Factor::Volume, 7.0), (Factor::NewIp, 1.0)]);
        inc.findings[0].window.new_ips = vec![ip];
        let three = Routine::from_uses(vec![ip, ip, ip]);
        let f = Features {
            routine_ips: three.clone(),
            ..Features::default()
        };
        let a = &build(&[inc.clone()], &ev, &f, &chrono_tz::UTC, Severity::Low)[0];
        assert_eq!(
            a.new_ips_routine_accounts,
            BTreeMap::from([("10.1.2.3".to_string(), 3)])
        );
        assert!(a.new_clients_routine_accounts.is_empty());
        let said = "from IP 10.1.2.3 new to the account (3 other accounts use it routinely)";
        assert!(a.explanation.contains(said), "{}", a.explanation);
        // Clients are counted apart: a client code routine for three says nothing of the IP.
        let f = Features {
            routine_clients: three,
            ..Features::default()
        };
        let a = &build(&[inc], &ev, &f, &chrono_tz::UTC, Severity::Low)[0];
        assert_eq!(a.new_ips_routine_accounts["10.1.2.3"], 0);
        let said = "from IP 10.1.2.3 new to the account (no other account uses it routinely)";
        assert!(a.explanation.contains(said), "{}", a.explanation);
    }

    #[test]
    fn new_values_are_listed_with_their_routine_users() {
        let v = |xs: &[&str]| xs.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let counts = |xs: &[(&str, u32)]| {
            xs.iter()
                .map(|&(k, n)| (k.to_string(), n))
                .collect::<BTreeMap<_, _>>()
        };
        let ips = ("IP", "IPs");
        assert_eq!(
            new_values(ips, &v(&["a"]), &counts(&[("a", 1)])),
            "IP a new to the account (1 other account uses it routinely)"
        );
        assert_eq!(
            new_values(ips, &v(&["a", "b"]), &counts(&[("a", 568), ("b", 0)])),
            "IPs a, b new to the account (other accounts using each routinely: 568, 0)"
        );
        let five = counts(&[("a", 1), ("b", 2), ("c", 3), ("d", 4), ("e", 5)]);
        assert_eq!(
            new_values(ips, &v(&["a", "b", "c", "d", "e"]), &five),
            "IPs a, b, c and 2 more new to the account (other accounts using the first three routinely: 1, 2, 3)"
        );
        // An alert of an earlier version has no counts: none are said.
        assert_eq!(
            new_values(("client", "clients"), &v(&["x"]), &BTreeMap::new()),
            "client x new to the account"
        );
        // Values are neutralised where they are said.
        let said = new_values(ips, &v(&["a\nb"]), &counts(&[("a\nb", 0)]));
        assert!(!said.contains('\n'), "{said}");
    }

    #[test]
    fn ids_are_stable_and_distinct() {
        assert_eq!(fnv1a(&["a"]), fnv1a(&["a"]));
        assert_ne!(fnv1a(&["ab", "c"]), fnv1a(&["a", "bc"]));
        // FNV-1a of the empty input is the offset basis.
        assert_eq!(fnv1a(&[]), 0xcbf2_9ce4_8422_2325);
    }
}
