//! Evaluation: scoring detector output (alerts) against planted, labelled incidents.
//!
//! `exfilwatch eval --labels LABELS.csv ALERTS.jsonl` answers "which planted thefts did the
//! detector find, and how many alerts did it raise that are not thefts?". Everything here is a
//! pure function of text and settings: [`parse_labels`], [`parse_alerts`], [`parse_tenant`], then
//! [`evaluate`]. Reading files and printing belong to `cli`.
//!
//! # The labels file (`labels.csv`)
//!
//! CSV with a header row. Columns, matched by exact name in any order:
//!
//! | column        | required | meaning |
//! |---------------|----------|---------|
//! | `incident_id` | yes      | the incident this row belongs to (free text, not empty) |
//! | `family`      | yes      | the kind of theft, free text (`off_hours_bulk`, `low_and_slow`, ...) |
//! | `account`     | yes      | one account involved, exactly as the alert's `account` or `account_name` spells it |
//! | `start`       | yes      | RFC 3339 date-time: the incident begins (inclusive) |
//! | `end`         | yes      | RFC 3339 date-time: the incident ends (exclusive); not before `start` |
//! | `source`      | no       | the log family (an alert's `source`); empty or absent: any source |
//!
//! One row per (incident, account): an incident over several accounts has several rows with the
//! same `incident_id`, and those rows must agree on `family`. Their `start` and `end` may differ:
//! each row's span is that account's part of the incident (a ring of accounts driven one after
//! another), and the incident's span is their union. Labels are ground truth, so any problem (a
//! missing or unknown column, an empty required field, an unreadable time, rows of one incident
//! with different families, the same account twice in one incident) is an error naming the file,
//! line and field; nothing is skipped.
//!
//! # Matching
//!
//! An incident is **found** when an alert for one of its accounts overlaps its span, give or take
//! one hour ([`SLACK_MS`]): the alert's `[window_start, window_end)` overlaps
//! `[start - 1h, end + 1h)`, with the `start` and `end` of that account's row. An alert is "for" an incident account when its `account` or its
//! `account_name` equals the label's `account` (exact strings) and, if the label gives a `source`,
//! its `source` equals it. An alert that matches no incident is a **false alert**; an alert that
//! matches several incidents counts once as a true alert.
//!
//! # The result (`--format json`)
//!
//! One JSON object ([`Evaluation`]):
//!
//! | field | type | meaning |
//! |---|---|---|
//! | `min_severity` | string | alerts below this severity were left out (`low`: none) |
//! | `slack_seconds` | integer | the matching slack either side of an incident (3600) |
//! | `incidents` | integer | labelled incidents (distinct `incident_id`) |
//! | `found` | integer | incidents with at least one matching alert |
//! | `recall` | number or null | `found / incidents`; null when there are no incidents |
//! | `families` | array | per family, sorted by name: `{family, incidents, found, recall}` (recall a number) |
//! | `alerts_read` | integer | alert lines in the alerts file |
//! | `alerts_below_min_severity` | integer | of them, left out by `--min-severity` |
//! | `line` | number or null | with `--line S`: the alert line evaluated instead of the scan's (see *Another alert line*); null without |
//! | `alerts_below_line` | integer | of the rest, left out by `--line` (0 without) |
//! | `alerts` | integer | alerts evaluated (`alerts_read - alerts_below_min_severity - alerts_below_line`) |
//! | `true_alerts` | integer | evaluated alerts matching at least one incident |
//! | `false_alerts` | integer | evaluated alerts matching none (`alerts - true_alerts`) |
//! | `precision` | number or null | `true_alerts / alerts`; null when no alert was evaluated |
//! | `active_account_days` | integer or null | the false-alert rate's denominator; null when unknown |
//! | `active_account_days_from` | string or null | where it came from: `--account-days` or the path of `tenant.json` |
//! | `false_alerts_per_10k_account_days` | number or null | `false_alerts * 10000 / active_account_days`; null when unknown |
//! | `missed_incidents` | array | incidents not found, by start then id: `{incident_id, family, accounts, start, end}`; `accounts` is `[{account, source}]` (source null: any), `start`/`end` RFC 3339 UTC |
//! | `false_alert_details` | array | the false alerts, by window start, account, id: `{id, account, account_name, source, window_start, window_end, score, severity, look_alikes}`; `look_alikes`: the kinds of the planted look-alikes it overlaps, sorted (empty without `--benign`) |
//! | `look_alikes_from` | string or null | the look-alikes file (`--benign`); null without one |
//! | `look_alikes` | array | per kind of look-alike, sorted by kind: `{kind, planted, alerted, false_alerts}`: rows of that kind, rows that a false alert overlaps, false alerts overlapping one (an alert may count under several kinds); empty without `--benign` |
//! | `false_alerts_without_look_alike` | integer or null | false alerts overlapping no look-alike; null without `--benign` |
//!
//! Ratios are exact (not rounded). The same inputs give byte-identical output.
//!
//! # Another alert line (`--line S`)
//!
//! What would recall and false alerts be at another alert line? Scan with `--min-severity low`
//! (every finding from the volume gate up, whatever the line) and evaluate with `--line S`: an
//! alert led by an hourly or daily window counts when its `score` is at least `S`; one led by a
//! run (`window_kind` `run`) or a ring (`baseline.model` `ring_test`) counts when it is `high`
//! or above, since those are probabilities with a line of their own that `S` does not move. The
//! scan's incidents are the same at any line (findings merge before severities are set), so this
//! is what a scan whose line were `S` would report, without scanning again.
//!
//! # The look-alikes file (`benign.csv`, optional: `--benign`)
//!
//! The benign look-alikes planted in a tenant (`generate` writes them): legitimate activity that
//! looks like theft, which a good detector stays quiet on. With it, every false alert is
//! attributed to the look-alikes it overlaps, and the look-alikes are counted per kind: how many
//! were planted and how many drew a false alert. CSV with a header row; columns matched by exact
//! name, others (a `note`) ignored:
//!
//! | column | meaning |
//! |---|---|
//! | `kind` | the kind of look-alike, free text (`admin_bulk_export`, `travel`, ...) |
//! | `account` or `accounts` | the account, several separated by `;`, or `*`: every account (an organisation-wide busy day). A group name such as `ALL_STAFF` names no account and matches none |
//! | `start`, `end` | RFC 3339 date-times, `end` not before `start` |
//!
//! A false alert overlaps a look-alike as an alert finds an incident: one of its accounts (by
//! `account` or `account_name`), its window within the span give or take [`SLACK_MS`]. Like
//! labels, the file is ground truth: any problem is an error naming the file, line and field.

use crate::alert::Alert;
use crate::detect::Severity;
use crate::ingest::time::{format_utc, parse_timestamp, HOUR_MS};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The matching slack: an alert within one hour of an incident's span still finds it. Detectors
/// report whole hours (or days), and a planted incident rarely starts on the hour, so an alert
/// for the hour next to the incident is a find, not a miss.
pub const SLACK_MS: i64 = HOUR_MS;

/// The columns a labels file must have.
const REQUIRED: [&str; 5] = ["incident_id", "family", "account", "start", "end"];
/// The column a labels file may have.
const OPTIONAL: [&str; 1] = ["source"];

/// Why the labels, alerts or tenant description could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvalError {
    /// A problem in the labels file (line 1 is the header).
    #[error("{file}:{line}: {}{message}", field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    Labels {
        file: String,
        line: u64,
        field: Option<String>,
        message: String,
    },
    /// A line of the alerts file that is not an alert record.
    #[error("{file}:{line}: {}{message}", field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    Alerts {
        file: String,
        line: u64,
        field: Option<String>,
        message: String,
    },
    /// A `tenant.json` that does not say how many account-days were active.
    #[error("{file}: {message}")]
    Tenant { file: String, message: String },
    /// A problem in the look-alikes file (line 1 is the header).
    #[error("{file}:{line}: {}{message}", field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
    Benign {
        file: String,
        line: u64,
        field: Option<String>,
        message: String,
    },
}

/// One account of an incident.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Member {
    pub account: String,
    /// The alert's `source` must equal this; `None`: any source.
    pub source: Option<String>,
    /// This account's part of the incident, from its row: milliseconds since the epoch, UTC,
    /// `[start_ms, end_ms)`. Not in the JSON output (the incident's span is).
    #[serde(skip)]
    pub start_ms: i64,
    #[serde(skip)]
    pub end_ms: i64,
}

/// A labelled incident: all rows of one `incident_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Incident {
    pub id: String,
    pub family: String,
    /// Milliseconds since the epoch, UTC, inclusive: the earliest of its rows' starts.
    pub start_ms: i64,
    /// Milliseconds since the epoch, UTC, exclusive: the latest of its rows' ends.
    pub end_ms: i64,
    /// Sorted, no duplicates.
    pub members: Vec<Member>,
}

/// An alert with its window read as times.
#[derive(Debug, Clone, PartialEq)]
pub struct TimedAlert {
    pub alert: Alert,
    pub start_ms: i64,
    pub end_ms: i64,
}

/// The active account-days (the false-alert rate's denominator) and where the number came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountDays {
    pub days: u64,
    /// `--account-days` or the path of the `tenant.json` it was read from.
    pub from: String,
}

/// A planted benign look-alike: a row of `benign.csv`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookAlike {
    pub kind: String,
    /// The accounts it concerns; empty: every account (`*`).
    pub accounts: Vec<String>,
    /// Milliseconds since the epoch, UTC, `[start_ms, end_ms)`.
    pub start_ms: i64,
    pub end_ms: i64,
}

/// The planted look-alikes and the file they came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LookAlikes {
    pub rows: Vec<LookAlike>,
    pub from: String,
}

/// How to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalConfig {
    /// Alerts below this severity are left out (`Low`: every alert counts).
    pub min_severity: Severity,
    /// `None`: the false-alert rate is unknown.
    pub account_days: Option<AccountDays>,
    /// `None`: false alerts are not attributed to look-alikes.
    pub look_alikes: Option<LookAlikes>,
    /// `--line`: evaluate at this alert line instead of the scan's severities.
    pub line: Option<f64>,
}

/// Whether `a` would be at or above `high` in a scan whose alert line were `line`: a window's
/// score against `line`; a run or a ring keeps its own severity (they have their own line).
fn at_line(a: &Alert, line: f64) -> bool {
    if a.window_kind == "run" || a.baseline.model == "ring_test" {
        a.severity >= Severity::High
    } else {
        a.score >= line
    }
}

/// The result of an evaluation; serialised, it is the `--format json` output (see the module
/// documentation for every field).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Evaluation {
    pub min_severity: Severity,
    pub slack_seconds: i64,
    pub incidents: u64,
    pub found: u64,
    pub recall: Option<f64>,
    pub families: Vec<FamilyScore>,
    pub alerts_read: u64,
    pub alerts_below_min_severity: u64,
    #[serde(default)]
    pub line: Option<f64>,
    #[serde(default)]
    pub alerts_below_line: u64,
    pub alerts: u64,
    pub true_alerts: u64,
    pub false_alerts: u64,
    pub precision: Option<f64>,
    pub active_account_days: Option<u64>,
    pub active_account_days_from: Option<String>,
    pub false_alerts_per_10k_account_days: Option<f64>,
    pub missed_incidents: Vec<MissedIncident>,
    pub false_alert_details: Vec<FalseAlert>,
    #[serde(default)]
    pub look_alikes_from: Option<String>,
    #[serde(default)]
    pub look_alikes: Vec<LookAlikeScore>,
    #[serde(default)]
    pub false_alerts_without_look_alike: Option<u64>,
}

/// How one kind of look-alike fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LookAlikeScore {
    pub kind: String,
    /// Rows of this kind.
    pub planted: u64,
    /// Of them, rows that a false alert overlaps.
    pub alerted: u64,
    /// False alerts overlapping a row of this kind.
    pub false_alerts: u64,
}

/// Recall of one family of incidents.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FamilyScore {
    pub family: String,
    pub incidents: u64,
    pub found: u64,
    pub recall: f64,
}

/// An incident no alert found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MissedIncident {
    pub incident_id: String,
    pub family: String,
    pub accounts: Vec<Member>,
    pub start: String,
    pub end: String,
}

/// An alert that matches no incident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FalseAlert {
    pub id: String,
    pub account: String,
    pub account_name: Option<String>,
    pub source: String,
    pub window_start: String,
    pub window_end: String,
    pub score: f64,
    pub severity: Severity,
    /// Kinds of the look-alikes it overlaps, sorted.
    #[serde(default)]
    pub look_alikes: Vec<String>,
}

/// Scores `alerts` against `incidents`.
pub fn evaluate(incidents: &[Incident], alerts: &[TimedAlert], config: &EvalConfig) -> Evaluation {
    let severe = |a: &&TimedAlert| a.alert.severity >= config.min_severity;
    let n_severe = alerts.iter().filter(severe).count();
    let kept: Vec<&TimedAlert> = alerts
        .iter()
        .filter(severe)
        .filter(|a| config.line.is_none_or(|line| at_line(&a.alert, line)))
        .collect();
    let mut alert_is_true = vec![false; kept.len()];
    let mut incident_found = vec![false; incidents.len()];
    for (i, inc) in incidents.iter().enumerate() {
        for (j, a) in kept.iter().enumerate() {
            if matches(inc, a) {
                incident_found[i] = true;
                alert_is_true[j] = true;
            }
        }
    }

    let mut by_family: BTreeMap<&str, (u64, u64)> = BTreeMap::new();
    for (inc, &found) in incidents.iter().zip(&incident_found) {
        let e = by_family.entry(&inc.family).or_default();
        e.0 += 1;
        e.1 += u64::from(found);
    }
    let families = by_family
        .into_iter()
        .map(|(family, (n, found))| FamilyScore {
            family: family.to_owned(),
            incidents: n,
            found,
            recall: found as f64 / n as f64,
        })
        .collect();

    let mut missed: Vec<&Incident> = incidents
        .iter()
        .zip(&incident_found)
        .filter(|(_, &f)| !f)
        .map(|(inc, _)| inc)
        .collect();
    missed.sort_by(|a, b| a.start_ms.cmp(&b.start_ms).then_with(|| a.id.cmp(&b.id)));
    let mut false_alerts: Vec<&TimedAlert> = kept
        .iter()
        .zip(&alert_is_true)
        .filter(|(_, &t)| !t)
        .map(|(a, _)| *a)
        .collect();
    false_alerts.sort_by(|a, b| {
        a.start_ms
            .cmp(&b.start_ms)
            .then_with(|| a.alert.account.cmp(&b.alert.account))
            .then_with(|| a.alert.id.cmp(&b.alert.id))
            .then_with(|| a.end_ms.cmp(&b.end_ms))
    });

    // Look-alikes: which of them each false alert overlaps.
    let rows = config.look_alikes.as_ref().map_or(&[][..], |l| &l.rows[..]);
    let overlapped: Vec<Vec<usize>> = false_alerts
        .iter()
        .map(|a| (0..rows.len()).filter(|&r| overlaps(&rows[r], a)).collect())
        .collect();
    let mut kinds: BTreeMap<&str, LookAlikeScore> = BTreeMap::new();
    for l in rows {
        kinds
            .entry(&l.kind)
            .or_insert_with(|| LookAlikeScore {
                kind: l.kind.clone(),
                planted: 0,
                alerted: 0,
                false_alerts: 0,
            })
            .planted += 1;
    }
    // Each false alert's kinds, sorted and distinct: counted here, listed in its details.
    let mut alerted = vec![false; rows.len()];
    let alert_kinds: Vec<Vec<String>> = overlapped
        .iter()
        .map(|o| {
            let mut k: Vec<String> = o.iter().map(|&r| rows[r].kind.clone()).collect();
            k.sort_unstable();
            k.dedup();
            k
        })
        .collect();
    for (o, ks) in overlapped.iter().zip(&alert_kinds) {
        for &r in o {
            alerted[r] = true;
        }
        for k in ks {
            kinds
                .get_mut(k.as_str())
                .expect("every kind counted")
                .false_alerts += 1;
        }
    }
    for (l, &a) in rows.iter().zip(&alerted) {
        kinds
            .get_mut(l.kind.as_str())
            .expect("every kind counted")
            .alerted += u64::from(a);
    }

    let n_incidents = incidents.len() as u64;
    let found = incident_found.iter().filter(|&&f| f).count() as u64;
    let n_alerts = kept.len() as u64;
    let true_alerts = alert_is_true.iter().filter(|&&t| t).count() as u64;
    let n_false = n_alerts - true_alerts;
    let ratio = |num: u64, den: u64| (den > 0).then(|| num as f64 / den as f64);
    Evaluation {
        min_severity: config.min_severity,
        slack_seconds: SLACK_MS / 1000,
        incidents: n_incidents,
        found,
        recall: ratio(found, n_incidents),
        families,
        alerts_read: alerts.len() as u64,
        alerts_below_min_severity: (alerts.len() - n_severe) as u64,
        line: config.line,
        alerts_below_line: (n_severe - kept.len()) as u64,
        alerts: n_alerts,
        true_alerts,
        false_alerts: n_false,
        precision: ratio(true_alerts, n_alerts),
        active_account_days: config.account_days.as_ref().map(|d| d.days),
        active_account_days_from: config.account_days.as_ref().map(|d| d.from.clone()),
        false_alerts_per_10k_account_days: config
            .account_days
            .as_ref()
            .and_then(|d| ratio(n_false * 10_000, d.days)),
        missed_incidents: missed
            .into_iter()
            .map(|inc| MissedIncident {
                incident_id: inc.id.clone(),
                family: inc.family.clone(),
                accounts: inc.members.clone(),
                start: format_utc(inc.start_ms),
                end: format_utc(inc.end_ms),
            })
            .collect(),
        look_alikes_from: config.look_alikes.as_ref().map(|l| l.from.clone()),
        look_alikes: kinds.into_values().collect(),
        false_alerts_without_look_alike: config
            .look_alikes
            .as_ref()
            .map(|_| overlapped.iter().filter(|o| o.is_empty()).count() as u64),
        false_alert_details: false_alerts
            .into_iter()
            .zip(alert_kinds)
            .map(|(t, look_alikes)| {
                let a = &t.alert;
                FalseAlert {
                    id: a.id.clone(),
                    account: a.account.clone(),
                    account_name: a.account_name.clone(),
                    source: a.source.clone(),
                    window_start: a.window_start.clone(),
                    window_end: a.window_end.clone(),
                    score: a.score,
                    severity: a.severity,
                    look_alikes,
                }
            })
            .collect(),
    }
}

/// Whether `a` is an alert for one of the look-alike's accounts (any account for `*`)
/// overlapping its span, with slack.
fn overlaps(l: &LookAlike, a: &TimedAlert) -> bool {
    let account = l.accounts.is_empty()
        || l.accounts
            .iter()
            .any(|x| *x == a.alert.account || a.alert.account_name.as_ref() == Some(x));
    account && a.start_ms < l.end_ms + SLACK_MS && a.end_ms > l.start_ms - SLACK_MS
}

/// Whether `a` is an alert for one of the incident's accounts overlapping that account's span,
/// with slack.
pub fn matches(inc: &Incident, a: &TimedAlert) -> bool {
    inc.members.iter().any(|m| {
        let overlaps = a.start_ms < m.end_ms + SLACK_MS && a.end_ms > m.start_ms - SLACK_MS;
        let same_account =
            a.alert.account == m.account || a.alert.account_name.as_ref() == Some(&m.account);
        let same_source = m.source.as_ref().is_none_or(|s| *s == a.alert.source);
        overlaps && same_account && same_source
    })
}

/// Builds a ground-truth file's error: line (1 is the header), field, message.
type ErrAt<'a> = dyn Fn(u64, Option<&str>, String) -> EvalError + 'a;

/// The header and the records of a ground-truth CSV file (labels, look-alikes), fields trimmed.
fn csv_records<'t>(
    text: &'t str,
    err: &ErrAt<'_>,
) -> Result<(csv::StringRecord, csv::StringRecordsIntoIter<&'t [u8]>), EvalError> {
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|e| err(1, None, format!("cannot read the header: {e}")))?
        .clone();
    Ok((header, reader.into_records()))
}

/// A record and its line, or the error naming the line that could not be read.
fn row(
    record: csv::Result<csv::StringRecord>,
    err: &ErrAt<'_>,
) -> Result<(csv::StringRecord, u64), EvalError> {
    let record = record.map_err(|e| {
        let line = e.position().map_or(0, |p| p.line());
        err(line, None, e.to_string())
    })?;
    let line = record.position().map_or(0, |p| p.line());
    Ok((record, line))
}

/// The fields of one record of a ground-truth file, read with errors naming line and field.
struct Fields<'a> {
    record: &'a csv::StringRecord,
    line: u64,
    err: &'a ErrAt<'a>,
}

impl Fields<'_> {
    /// Column `i`, which must not be empty.
    fn required(&self, i: usize, name: &str) -> Result<&str, EvalError> {
        let v = self.record.get(i).unwrap_or("");
        if v.is_empty() {
            Err((self.err)(self.line, Some(name), "empty".into()))
        } else {
            Ok(v)
        }
    }

    /// Column `i` as an RFC 3339 time, in milliseconds since the epoch.
    fn time(&self, i: usize, name: &str) -> Result<i64, EvalError> {
        let v = self.required(i, name)?;
        parse_timestamp(v).map_err(|e| (self.err)(self.line, Some(name), format!("{v:?}: {e}")))
    }
}

/// Parses a labels file (`file` names it in errors) into incidents, sorted by id.
pub fn parse_labels(text: &str, file: &str) -> Result<Vec<Incident>, EvalError> {
    let err = |line: u64, field: Option<&str>, message: String| EvalError::Labels {
        file: file.to_owned(),
        line,
        field: field.map(str::to_owned),
        message,
    };
    let (header, records) = csv_records(text, &err)?;
    let mut col: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, name) in header.iter().enumerate() {
        let known = REQUIRED.iter().chain(&OPTIONAL).find(|&&c| c == name);
        let Some(&known) = known else {
            return Err(err(
                1,
                Some(name),
                format!(
                    "unknown column; the columns are {} and optionally {}",
                    REQUIRED.join(","),
                    OPTIONAL.join(",")
                ),
            ));
        };
        if col.insert(known, i).is_some() {
            return Err(err(1, Some(name), "column given twice".into()));
        }
    }
    if let Some(missing) = REQUIRED.iter().find(|c| !col.contains_key(*c)) {
        return Err(err(
            1,
            Some(missing),
            format!(
                "required column missing; the header must have {} (and may have {})",
                REQUIRED.join(","),
                OPTIONAL.join(",")
            ),
        ));
    }

    // incident id -> (first line, incident)
    let mut by_id: BTreeMap<String, (u64, Incident)> = BTreeMap::new();
    for record in records {
        let (record, line) = row(record, &err)?;
        let f = Fields {
            record: &record,
            line,
            err: &err,
        };
        let id = f.required(col["incident_id"], "incident_id")?;
        let family = f.required(col["family"], "family")?;
        let account = f.required(col["account"], "account")?;
        let start_ms = f.time(col["start"], "start")?;
        let end_ms = f.time(col["end"], "end")?;
        if end_ms < start_ms {
            return Err(err(line, Some("end"), "before `start`".into()));
        }
        let source = col
            .get("source")
            .and_then(|&i| record.get(i))
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        let member = Member {
            account: account.to_owned(),
            source,
            start_ms,
            end_ms,
        };
        match by_id.get_mut(id) {
            None => {
                by_id.insert(
                    id.to_owned(),
                    (
                        line,
                        Incident {
                            id: id.to_owned(),
                            family: family.to_owned(),
                            start_ms,
                            end_ms,
                            members: vec![member],
                        },
                    ),
                );
            }
            Some((first, inc)) => {
                let disagree = |field: &'static str| {
                    err(
                        line,
                        Some(field),
                        format!("incident {id:?} has a different {field} on line {first}"),
                    )
                };
                if inc.family != family {
                    return Err(disagree("family"));
                }
                if inc
                    .members
                    .iter()
                    .any(|m| m.account == member.account && m.source == member.source)
                {
                    return Err(err(
                        line,
                        Some("account"),
                        format!("incident {id:?} lists this account twice"),
                    ));
                }
                inc.start_ms = inc.start_ms.min(start_ms);
                inc.end_ms = inc.end_ms.max(end_ms);
                inc.members.push(member);
            }
        }
    }
    Ok(by_id
        .into_values()
        .map(|(_, mut inc)| {
            inc.members.sort();
            inc
        })
        .collect())
}

/// Parses JSON Lines of alerts (`file` names it in errors). Blank lines are skipped; any other
/// line that is not an alert record, or whose window times cannot be read, is an error naming it.
pub fn parse_alerts(bytes: &[u8], file: &str) -> Result<Vec<TimedAlert>, EvalError> {
    let mut out = Vec::new();
    for (i, raw) in bytes.split(|&b| b == b'\n').enumerate() {
        let line = i as u64 + 1;
        let err = |field: Option<&str>, message: String| EvalError::Alerts {
            file: file.to_owned(),
            line,
            field: field.map(str::to_owned),
            message,
        };
        let text = std::str::from_utf8(raw).map_err(|e| err(None, format!("not UTF-8: {e}")))?;
        if text.trim().is_empty() {
            continue;
        }
        let alert: Alert = serde_json::from_str(text)
            .map_err(|e| err(None, format!("not an exfilwatch alert record: {e}")))?;
        let time = |name: &str, v: &str| {
            parse_timestamp(v).map_err(|e| err(Some(name), format!("{v:?}: {e}")))
        };
        let start_ms = time("window_start", &alert.window_start)?;
        let end_ms = time("window_end", &alert.window_end)?;
        if end_ms < start_ms {
            return Err(err(Some("window_end"), "before `window_start`".into()));
        }
        out.push(TimedAlert {
            alert,
            start_ms,
            end_ms,
        });
    }
    Ok(out)
}

/// Parses a look-alikes file (`file` names it in errors), in file order.
pub fn parse_benign(text: &str, file: &str) -> Result<Vec<LookAlike>, EvalError> {
    let err = |line: u64, field: Option<&str>, message: String| EvalError::Benign {
        file: file.to_owned(),
        line,
        field: field.map(str::to_owned),
        message,
    };
    let (header, records) = csv_records(text, &err)?;
    let find = |name: &str| header.iter().position(|h| h == name);
    let account_col = match (find("account"), find("accounts")) {
        (Some(_), Some(_)) => {
            return Err(err(
                1,
                Some("accounts"),
                "give `account` or `accounts`, not both".into(),
            ))
        }
        (Some(i), None) | (None, Some(i)) => i,
        (None, None) => {
            return Err(err(
                1,
                Some("account"),
                "required column missing; the header must have kind,account,start,end (`accounts` may stand for `account`)".into(),
            ))
        }
    };
    let mut col = [0; 3];
    for (c, name) in col.iter_mut().zip(["kind", "start", "end"]) {
        *c = find(name).ok_or_else(|| {
            err(
                1,
                Some(name),
                "required column missing; the header must have kind,account,start,end".into(),
            )
        })?;
    }
    let mut out = Vec::new();
    for record in records {
        let (record, line) = row(record, &err)?;
        let f = Fields {
            record: &record,
            line,
            err: &err,
        };
        let kind = f.required(col[0], "kind")?;
        let accounts = f.required(account_col, "account")?;
        let start_ms = f.time(col[1], "start")?;
        let end_ms = f.time(col[2], "end")?;
        if end_ms < start_ms {
            return Err(err(line, Some("end"), "before `start`".into()));
        }
        let accounts: Vec<String> = if accounts == "*" {
            Vec::new()
        } else {
            let named: Vec<String> = accounts
                .split(';')
                .map(str::trim)
                .filter(|a| !a.is_empty())
                .map(str::to_owned)
                .collect();
            if named.is_empty() {
                return Err(err(line, Some("account"), "names no account".into()));
            }
            named
        };
        out.push(LookAlike {
            kind: kind.to_owned(),
            accounts,
            start_ms,
            end_ms,
        });
    }
    Ok(out)
}

/// The part of `tenant.json` evaluation reads; other fields are allowed and ignored.
#[derive(Deserialize)]
struct Tenant {
    active_account_days: u64,
}

/// Reads `{"active_account_days": N}` (N at least 1) from the text of a `tenant.json`.
pub fn parse_tenant(text: &str, file: &str) -> Result<u64, EvalError> {
    let err = |message: String| EvalError::Tenant {
        file: file.to_owned(),
        message,
    };
    let t: Tenant = serde_json::from_str(text).map_err(|e| {
        err(format!(
            "want {{\"active_account_days\": N}} with N a whole number: {e}"
        ))
    })?;
    if t.active_account_days == 0 {
        return Err(err("active_account_days must be at least 1".into()));
    }
    Ok(t.active_account_days)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::BaselineOut;

    /// Six incidents over seven rows. I1 spans two accounts; I7 shares b@ with I1; I5 names its
    /// account by the username a Salesforce alert carries as `account_name`, and only in the
    /// `salesforce` source.
    const LABELS: &str = "\
incident_id,family,account,start,end,source
I1,multi_account_one_ip,a@x.example,2025-03-10T02:00:00Z,2025-03-10T03:00:00Z,
I1,multi_account_one_ip,b@x.example,2025-03-10T02:00:00Z,2025-03-10T03:00:00Z,
I2,off_hours_bulk,c@x.example,2025-03-10T10:00:00Z,2025-03-10T11:00:00Z,
I3,low_and_slow,d@x.example,2025-03-10T00:00:00Z,2025-03-11T00:00:00Z,
I4,dormant_return,e@x.example,2025-03-12T05:00:00Z,2025-03-12T06:00:00Z,
I5,token_new_network,f@x.example,2025-03-13T09:15:00Z,2025-03-13T09:45:00Z,salesforce
I7,insider_business_hours,b@x.example,2025-03-10T03:00:00Z,2025-03-10T04:00:00Z,
";

    #[allow(clippy::too_many_arguments)]
    fn alert(
        id: &str,
        account: &str,
        name: Option<&str>,
        source: &str,
        start: &str,
        end: &str,
        score: f64,
        severity: Severity,
    ) -> Alert {
        Alert {
            id: id.into(),
            account: account.into(),
            account_name: name.map(Into::into),
            source: source.into(),
            window_start: start.into(),
            window_end: end.into(),
            window_kind: "hour".into(),
            score,
            severity,
            records: Some(10_000),
            bytes: None,
            events: 3,
            distinct_objects: 1,
            baseline: BaselineOut {
                scope: "account".into(),
                measure: "records".into(),
                window_kind: "hour".into(),
                windows: 100,
                median: 10.0,
                p99: 100.0,
                tail_probability: 1e-6,
                model: "pareto_tail".into(),
                hour_activity_rate: None,
                days_active_at_hour: None,
                days_observed: None,
                busy_day_factor: None,
                peer_day_factor: None,
                peer_day_share: None,
                peer_object: None,
                month_close_factor: None,
                bulk_hours: None,
                bulk_hours_off_hours: None,
                bulk_hours_tool_accounts: None,
            },
            reasons: vec![],
            new_ips: vec![],
            new_clients: vec![],
            new_ips_routine_accounts: Default::default(),
            new_clients_routine_accounts: Default::default(),
            top_objects: vec![],
            files: vec!["x.csv".into()],
            explanation: "test".into(),
            version: 1,
        }
    }

    /// Eight alerts, written as JSON Lines, in no particular order.
    fn alerts_jsonl() -> Vec<u8> {
        use Severity::*;
        let list = [
            // A1: b@, I1's second account, exactly I1's span: finds I1. It ends at 03:00, where
            // I7 (b@, 03:00-04:00) starts: no overlap, but I7's slack starts at 02:00, so it finds
            // I7 too. True once.
            alert(
                "A1",
                "b@x.example",
                None,
                "generic",
                "2025-03-10T02:00:00Z",
                "2025-03-10T03:00:00Z",
                8.0,
                High,
            ),
            // A2: c@ from 11:30, after I2 ended at 11:00; I2's slack runs to 12:00: found.
            alert(
                "A2",
                "c@x.example",
                None,
                "generic",
                "2025-03-10T11:30:00Z",
                "2025-03-10T12:30:00Z",
                5.5,
                Medium,
            ),
            // A3 and A4: two alerts on I3 (an hour inside it, and its whole day). Both true.
            alert(
                "A3",
                "d@x.example",
                None,
                "generic",
                "2025-03-10T20:00:00Z",
                "2025-03-10T21:00:00Z",
                7.5,
                High,
            ),
            alert(
                "A4",
                "d@x.example",
                None,
                "generic",
                "2025-03-10T00:00:00Z",
                "2025-03-11T00:00:00Z",
                6.0,
                Medium,
            ),
            // A5: e@ from 07:00:01, one hour and one second after I4 ended (06:00): the slack
            // ends at 07:00:00, so I4 is missed and A5 is false.
            alert(
                "A5",
                "e@x.example",
                None,
                "generic",
                "2025-03-12T07:00:01Z",
                "2025-03-12T08:00:01Z",
                3.5,
                Low,
            ),
            // A7: a Salesforce user id whose username is f@, the account I5 names: found.
            alert(
                "A7",
                "005000000000001",
                Some("f@x.example"),
                "salesforce",
                "2025-03-13T09:00:00Z",
                "2025-03-13T10:00:00Z",
                11.0,
                Critical,
            ),
            // A8: f@ itself at the same time, but in the generic source, and I5 asks for
            // salesforce: false.
            alert(
                "A8",
                "f@x.example",
                None,
                "generic",
                "2025-03-13T09:00:00Z",
                "2025-03-13T10:00:00Z",
                5.0,
                Medium,
            ),
            // A9: g@, in no incident: false.
            alert(
                "A9",
                "g@x.example",
                None,
                "generic",
                "2025-03-11T14:00:00Z",
                "2025-03-11T15:00:00Z",
                3.2,
                Low,
            ),
        ];
        let mut out = Vec::new();
        // Written in reverse, so nothing depends on the input order.
        for a in list.iter().rev() {
            serde_json::to_writer(&mut out, a).unwrap();
            out.push(b'\n');
        }
        out
    }

    fn days(n: u64) -> Option<AccountDays> {
        Some(AccountDays {
            days: n,
            from: "tenant.json".into(),
        })
    }

    fn run(min: Severity, account_days: Option<AccountDays>) -> Evaluation {
        let labels = parse_labels(LABELS, "labels.csv").unwrap();
        let alerts = parse_alerts(&alerts_jsonl(), "alerts.jsonl").unwrap();
        evaluate(
            &labels,
            &alerts,
            &EvalConfig {
                min_severity: min,
                account_days,
                look_alikes: None,
                line: None,
            },
        )
    }

    fn ids(e: &Evaluation) -> Vec<&str> {
        e.false_alert_details
            .iter()
            .map(|f| f.id.as_str())
            .collect()
    }

    /// Look-alikes against the hand-made alerts, whose false alerts are A9 (g@, 03-11
    /// 14:00-15:00), A5 (e@, 03-12 07:00:01-08:00:01) and A8 (f@ generic, 03-13 09:00-10:00).
    const BENIGN: &str = "\
kind,accounts,start,end,note
admin_bulk_export,g@x.example,2025-03-11T15:30:00Z,2025-03-11T16:00:00Z,starts 30 min after A9 ends
travel,z@x.example; e@x.example,2025-03-12T09:00:01Z,2025-03-13T00:00:00Z,its slack starts when A5 ends
org_busy_day,*,2025-03-13T00:00:00Z,2025-03-14T00:00:00Z,every account
campaign_week,b@x.example;g@x.example,2025-03-10T00:00:00Z,2025-03-12T00:00:00Z,
new_joiner,q@x.example,2025-03-10T00:00:00Z,2025-03-11T00:00:00Z,
";

    #[test]
    fn false_alerts_are_attributed_to_the_look_alikes_they_overlap() {
        let labels = parse_labels(LABELS, "labels.csv").unwrap();
        let alerts = parse_alerts(&alerts_jsonl(), "alerts.jsonl").unwrap();
        let rows = parse_benign(BENIGN, "benign.csv").unwrap();
        assert_eq!(rows[1].accounts, ["z@x.example", "e@x.example"]);
        assert!(rows[2].accounts.is_empty(), "`*` is every account");
        let config = |look_alikes| EvalConfig {
            min_severity: Severity::Low,
            account_days: None,
            look_alikes,
            line: None,
        };
        let e = evaluate(
            &labels,
            &alerts,
            &config(Some(LookAlikes {
                rows,
                from: "benign.csv".into(),
            })),
        );
        // A9 is within an hour of g@'s export (15:00 against 15:30) and inside the campaign
        // week g@ is part of. A5 ends at 08:00:01, exactly where the travel's slack begins
        // (09:00:01 less an hour): no overlap. A8 falls on the organisation's busy day, and so
        // does A7, which is true and is not attributed. b@'s true A1 lies in the campaign week:
        // not attributed either.
        let kinds: Vec<(&str, Vec<&str>)> = e
            .false_alert_details
            .iter()
            .map(|f| {
                let k = f.look_alikes.iter().map(String::as_str).collect();
                (f.id.as_str(), k)
            })
            .collect();
        assert_eq!(
            kinds,
            [
                ("A9", vec!["admin_bulk_export", "campaign_week"]),
                ("A5", vec![]),
                ("A8", vec!["org_busy_day"]),
            ]
        );
        let table: Vec<(&str, u64, u64, u64)> = e
            .look_alikes
            .iter()
            .map(|k| (k.kind.as_str(), k.planted, k.alerted, k.false_alerts))
            .collect();
        assert_eq!(
            table,
            [
                ("admin_bulk_export", 1, 1, 1),
                ("campaign_week", 1, 1, 1),
                ("new_joiner", 1, 0, 0),
                ("org_busy_day", 1, 1, 1),
                ("travel", 1, 0, 0),
            ]
        );
        assert_eq!(e.false_alerts_without_look_alike, Some(1));
        assert_eq!(e.look_alikes_from.as_deref(), Some("benign.csv"));
        // Without look-alikes the rest of the evaluation is the same, and nothing is attributed.
        let plain = evaluate(&labels, &alerts, &config(None));
        assert_eq!(plain.false_alerts_without_look_alike, None);
        assert!(plain.look_alikes.is_empty());
        assert!(plain
            .false_alert_details
            .iter()
            .all(|f| f.look_alikes.is_empty()));
        assert_eq!((plain.found, plain.false_alerts), (e.found, e.false_alerts));
    }

    #[test]
    fn bad_look_alikes_are_named_by_line_and_field() {
        let e = parse_benign("kind,start,end\n", "b.csv").unwrap_err();
        assert_eq!(e.to_string(), "b.csv:1: field `account`: required column missing; the header must have kind,account,start,end (`accounts` may stand for `account`)");
        let e = parse_benign("kind,account,accounts,start,end\n", "b.csv").unwrap_err();
        assert!(
            e.to_string().starts_with("b.csv:1: field `accounts`"),
            "{e}"
        );
        let two = "kind,account,start,end\nt,a,2025-03-01T00:00:00Z,2025-03-02T00:00:00Z\n";
        let e = parse_benign(
            &format!("{two}t,a,2025-03-02T00:00:00Z,2025-03-01T00:00:00Z\n"),
            "b.csv",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "b.csv:3: field `end`: before `start`");
        let e = parse_benign(
            &format!("{two}t, ; ,2025-03-01T00:00:00Z,2025-03-02T00:00:00Z\n"),
            "b.csv",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "b.csv:3: field `account`: names no account");
        let e = parse_benign(
            &format!("{two},a,2025-03-01T00:00:00Z,2025-03-02T00:00:00Z\n"),
            "b.csv",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "b.csv:3: field `kind`: empty");
    }

    #[test]
    fn labels_group_rows_into_incidents() {
        let inc = parse_labels(LABELS, "labels.csv").unwrap();
        let names: Vec<&str> = inc.iter().map(|i| i.id.as_str()).collect();
        assert_eq!(names, ["I1", "I2", "I3", "I4", "I5", "I7"]);
        let accounts: Vec<&str> = inc[0].members.iter().map(|m| m.account.as_str()).collect();
        assert_eq!(accounts, ["a@x.example", "b@x.example"]);
        assert_eq!(
            inc[0].members[0].source, None,
            "an empty source is any source"
        );
        assert_eq!(inc[4].members[0].source.as_deref(), Some("salesforce"));
        // I1 starts at 2025-03-10T02:00:00Z, I3 at 00:00:00Z: 2 h apart.
        assert_eq!(inc[0].start_ms - inc[2].start_ms, 2 * HOUR_MS);
        assert_eq!(inc[2].end_ms - inc[2].start_ms, 24 * HOUR_MS);
    }

    #[test]
    fn every_figure_of_the_hand_made_case() {
        let e = run(Severity::Low, days(1_500));
        // Incidents: I1 (A1 via b@, its second account), I2 (A2, by the slack), I3 (A3, A4),
        // I5 (A7 via account_name), I7 (A1 again, by the slack) are found; I4 is not.
        assert_eq!((e.incidents, e.found), (6, 5));
        assert_eq!(e.recall, Some(5.0 / 6.0));
        let fam: Vec<(&str, u64, u64, f64)> = e
            .families
            .iter()
            .map(|f| (f.family.as_str(), f.incidents, f.found, f.recall))
            .collect();
        assert_eq!(
            fam,
            [
                ("dormant_return", 1, 0, 0.0),
                ("insider_business_hours", 1, 1, 1.0),
                ("low_and_slow", 1, 1, 1.0),
                ("multi_account_one_ip", 1, 1, 1.0),
                ("off_hours_bulk", 1, 1, 1.0),
                ("token_new_network", 1, 1, 1.0),
            ]
        );
        // Alerts: A1, A2, A3, A4, A7 true (A1 once, though it finds two incidents); A5, A8, A9
        // false. Precision 5/8; 3 false alerts over 1,500 account-days is 3 * 10,000 / 1,500 =
        // 20 per 10,000.
        assert_eq!((e.alerts_read, e.alerts_below_min_severity), (8, 0));
        assert_eq!((e.alerts, e.true_alerts, e.false_alerts), (8, 5, 3));
        assert_eq!(e.precision, Some(0.625));
        assert_eq!(e.active_account_days, Some(1_500));
        assert_eq!(e.active_account_days_from.as_deref(), Some("tenant.json"));
        assert_eq!(e.false_alerts_per_10k_account_days, Some(20.0));
        // The false alerts by window start: A9 (03-11), A5 (03-12), A8 (03-13).
        assert_eq!(ids(&e), ["A9", "A5", "A8"]);
        assert_eq!(
            e.false_alert_details[1].window_start,
            "2025-03-12T07:00:01Z"
        );
        assert_eq!(e.false_alert_details[1].severity, Severity::Low);
        assert_eq!(e.false_alert_details[1].score, 3.5);
        assert_eq!(e.missed_incidents.len(), 1);
        let m = &e.missed_incidents[0];
        assert_eq!(
            (m.incident_id.as_str(), m.family.as_str()),
            ("I4", "dormant_return")
        );
        assert_eq!(
            (m.start.as_str(), m.end.as_str()),
            ("2025-03-12T05:00:00Z", "2025-03-12T06:00:00Z")
        );
        assert_eq!(m.accounts[0].account, "e@x.example");
        assert_eq!(e.slack_seconds, 3600);
    }

    #[test]
    fn a_line_counts_windows_by_score_and_runs_and_rings_by_their_severity() {
        // The fixture's alerts, A3 (7.5, high) and A4 (6.0, medium) made runs and A8 (5.0,
        // medium) a ring's: runs and rings have their own line, so only high ones count.
        let labels = parse_labels(LABELS, "labels.csv").unwrap();
        let mut alerts = parse_alerts(&alerts_jsonl(), "alerts.jsonl").unwrap();
        for a in &mut alerts {
            match a.alert.id.as_str() {
                "A3" | "A4" => a.alert.window_kind = "run".into(),
                "A8" => a.alert.baseline.model = "ring_test".into(),
                _ => {}
            }
        }
        let at = |line: f64| {
            let config = EvalConfig {
                min_severity: Severity::Low,
                account_days: None,
                look_alikes: None,
                line: Some(line),
            };
            evaluate(&labels, &alerts, &config)
        };
        // 5.5: windows A1 (8.0), A2 (5.5), A7 (11.0) and the high run A3; left out A4 (a
        // medium run), A5 (3.5), A8 (a medium ring), A9 (3.2). All four true: I1 and I7 (A1),
        // I2, I3, I5 found, I4 missed. The scan's own severities (high and up) miss I2 as well.
        let e = at(5.5);
        assert_eq!(e.line, Some(5.5));
        assert_eq!((e.alerts_read, e.alerts_below_line, e.alerts), (8, 4, 4));
        assert_eq!((e.true_alerts, e.false_alerts, e.found), (4, 0, 5));
        // 3.0: every window, A5 and A9 the false ones; the medium run and ring stay out, or A8
        // would be a third false alert.
        let e = at(3.0);
        assert_eq!((e.alerts_below_line, e.alerts), (2, 6));
        assert_eq!(ids(&e), ["A9", "A5"]);
        // 9.0: only A7 among the windows, and the high run A3 whatever the line: I3 and I5.
        let e = at(9.0);
        assert_eq!((e.alerts, e.found), (2, 2));
        // Without a line, nothing is left out by it.
        let e = run(Severity::Low, None);
        assert_eq!((e.line, e.alerts_below_line, e.alerts), (None, 0, 8));
    }

    #[test]
    fn min_severity_leaves_alerts_out() {
        // Medium drops A5 and A9 (low): 6 alerts, A8 the only false one; recall is unchanged.
        let e = run(Severity::Medium, None);
        assert_eq!((e.alerts_read, e.alerts_below_min_severity), (8, 2));
        assert_eq!((e.alerts, e.true_alerts, e.false_alerts), (6, 5, 1));
        assert_eq!(e.precision, Some(5.0 / 6.0));
        assert_eq!(e.recall, Some(5.0 / 6.0));
        assert_eq!(ids(&e), ["A8"]);
        // High keeps A1, A3, A7: I2 (only A2, medium) is now missed as well: recall 4/6.
        let e = run(Severity::High, None);
        assert_eq!((e.alerts, e.true_alerts, e.false_alerts), (3, 3, 0));
        assert_eq!(e.precision, Some(1.0));
        assert_eq!(e.found, 4);
        let missed: Vec<&str> = e
            .missed_incidents
            .iter()
            .map(|m| m.incident_id.as_str())
            .collect();
        // By start: I2 (03-10 10:00) before I4 (03-12).
        assert_eq!(missed, ["I2", "I4"]);
    }

    #[test]
    fn unknown_account_days_make_the_rate_unknown_not_zero() {
        let e = run(Severity::Low, None);
        assert_eq!(e.active_account_days, None);
        assert_eq!(e.active_account_days_from, None);
        assert_eq!(e.false_alerts_per_10k_account_days, None);
        assert_eq!(e.false_alerts, 3);
    }

    #[test]
    fn no_alerts_leave_precision_undefined_and_no_incidents_recall() {
        let labels = parse_labels(LABELS, "labels.csv").unwrap();
        let config = EvalConfig {
            min_severity: Severity::Low,
            account_days: days(100),
            look_alikes: None,
            line: None,
        };
        let e = evaluate(&labels, &[], &config);
        assert_eq!((e.alerts, e.precision), (0, None));
        assert_eq!((e.found, e.recall), (0, Some(0.0)));
        assert_eq!(e.missed_incidents.len(), 6);
        assert_eq!(e.false_alerts_per_10k_account_days, Some(0.0));
        let alerts = parse_alerts(&alerts_jsonl(), "a").unwrap();
        let e = evaluate(&[], &alerts, &config);
        assert_eq!((e.incidents, e.recall), (0, None));
        assert!(e.families.is_empty());
        assert_eq!((e.false_alerts, e.precision), (8, Some(0.0)));
    }

    /// A medium alert of `account` over `[start, end)`, read as times.
    fn timed(account: &str, start: &str, end: &str) -> TimedAlert {
        TimedAlert {
            start_ms: parse_timestamp(start).unwrap(),
            end_ms: parse_timestamp(end).unwrap(),
            alert: alert(
                "x",
                account,
                None,
                "generic",
                start,
                end,
                5.0,
                Severity::Medium,
            ),
        }
    }

    #[test]
    fn slack_boundaries_are_half_open() {
        // I4 is e@, 05:00-06:00; with the slack, [04:00, 07:00).
        let inc = &parse_labels(LABELS, "l").unwrap()[3];
        let at = |start: &str, end: &str| matches(inc, &timed("e@x.example", start, end));
        assert!(at("2025-03-12T06:59:59Z", "2025-03-12T07:59:59Z"));
        assert!(!at("2025-03-12T07:00:00Z", "2025-03-12T08:00:00Z"));
        assert!(at("2025-03-12T03:00:01Z", "2025-03-12T04:00:01Z"));
        assert!(!at("2025-03-12T03:00:00Z", "2025-03-12T04:00:00Z"));
        assert!(!at("2025-03-12T02:59:59Z", "2025-03-12T03:59:59Z"));
    }

    #[test]
    fn output_does_not_depend_on_alert_order() {
        let labels = parse_labels(LABELS, "l").unwrap();
        let mut alerts = parse_alerts(&alerts_jsonl(), "a").unwrap();
        let mut rows = parse_benign(BENIGN, "b").unwrap();
        let config = |rows: &[LookAlike]| EvalConfig {
            min_severity: Severity::Low,
            account_days: None,
            look_alikes: Some(LookAlikes {
                rows: rows.to_vec(),
                from: "b".into(),
            }),
            line: None,
        };
        let a = serde_json::to_string(&evaluate(&labels, &alerts, &config(&rows))).unwrap();
        alerts.reverse();
        alerts.rotate_left(3);
        rows.reverse();
        let b = serde_json::to_string(&evaluate(&labels, &alerts, &config(&rows))).unwrap();
        assert_eq!(a, b);
        assert!(
            a.contains("\"look_alikes\":[\"admin_bulk_export\",\"campaign_week\"]"),
            "{a}"
        );
    }

    fn label_error(text: &str) -> (u64, Option<String>, String) {
        match parse_labels(text, "labels.csv") {
            Err(EvalError::Labels {
                file,
                line,
                field,
                message,
            }) => {
                assert_eq!(file, "labels.csv");
                (line, field, message)
            }
            other => panic!("expected a labels error, got {other:?}"),
        }
    }

    #[test]
    fn bad_labels_name_line_and_field() {
        const H: &str = "incident_id,family,account,start,end\n";
        let ok = "I1,f,a,2025-01-01T00:00:00Z,2025-01-01T01:00:00Z\n";
        let (line, field, msg) = label_error(&format!(
            "{H}{ok}I2,f,a,2025-01-01T25:00:00Z,2025-01-01T01:00:00Z\n"
        ));
        assert_eq!((line, field.as_deref()), (3, Some("start")));
        assert!(msg.contains("25:00"), "{msg}");
        let (line, field, _) = label_error(&format!(
            "{H}{ok}I2,f,,2025-01-01T00:00:00Z,2025-01-01T01:00:00Z\n"
        ));
        assert_eq!((line, field.as_deref()), (3, Some("account")));
        let (line, field, _) = label_error(&format!(
            "{H}I2,f,a,2025-01-01T02:00:00Z,2025-01-01T01:00:00Z\n"
        ));
        assert_eq!((line, field.as_deref()), (2, Some("end")));
        let (line, field, msg) = label_error(&format!(
            "{H}{ok}I1,g,b,2025-01-01T00:00:00Z,2025-01-01T01:00:00Z\n"
        ));
        assert_eq!((line, field.as_deref()), (3, Some("family")));
        assert!(msg.contains("line 2"), "{msg}");
        let (line, field, _) = label_error(&format!("{H}{ok}{ok}"));
        assert_eq!((line, field.as_deref()), (3, Some("account")));
        let (line, field, _) = label_error("incident_id,family,account,start\n");
        assert_eq!((line, field.as_deref()), (1, Some("end")));
        let (line, field, _) = label_error("incident_id,family,acount,start,end\n");
        assert_eq!((line, field.as_deref()), (1, Some("acount")));
        let (line, field, _) = label_error(&format!("{H}{ok}I2,f,a\n"));
        assert_eq!((line, field), (3, None));
        let e = parse_labels(&format!("{H}I2,f,a,x,y\n"), "dir/labels.csv").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("dir/labels.csv:2: field `start`: "),
            "{e}"
        );
    }

    #[test]
    fn each_account_of_an_incident_is_matched_in_its_own_span() {
        // A ring: a@ driven 02:00-03:00, then b@ 05:00-06:00. With the hour of slack, a@ is
        // found by alerts overlapping [01:00, 04:00) and b@ by [04:00, 07:00).
        let labels = parse_labels(
            "incident_id,family,account,start,end\n\
             R,multi_account_one_ip,a@x.example,2025-03-10T02:00:00Z,2025-03-10T03:00:00Z\n\
             R,multi_account_one_ip,b@x.example,2025-03-10T05:00:00Z,2025-03-10T06:00:00Z\n",
            "l",
        )
        .unwrap();
        let inc = &labels[0];
        // The incident's span is the union, 02:00-06:00.
        assert_eq!(
            inc.start_ms,
            parse_timestamp("2025-03-10T02:00:00Z").unwrap()
        );
        assert_eq!(inc.end_ms, parse_timestamp("2025-03-10T06:00:00Z").unwrap());
        let at = |account: &str, start: &str, end: &str| matches(inc, &timed(account, start, end));
        assert!(at(
            "a@x.example",
            "2025-03-10T03:30:00Z",
            "2025-03-10T04:30:00Z"
        ));
        assert!(!at(
            "a@x.example",
            "2025-03-10T04:00:00Z",
            "2025-03-10T05:00:00Z"
        ));
        assert!(
            !at(
                "a@x.example",
                "2025-03-10T05:00:00Z",
                "2025-03-10T06:00:00Z"
            ),
            "b@'s span does not find a@"
        );
        assert!(at(
            "b@x.example",
            "2025-03-10T03:30:00Z",
            "2025-03-10T04:30:00Z"
        ));
        assert!(!at(
            "b@x.example",
            "2025-03-10T02:00:00Z",
            "2025-03-10T03:00:00Z"
        ));
    }

    #[test]
    fn labels_without_rows_are_no_incidents() {
        assert!(parse_labels("incident_id,family,account,start,end\n", "l")
            .unwrap()
            .is_empty());
        // Columns in another order, with spaces around values.
        let inc = parse_labels(
            "end,start,account,family,incident_id,source\n2025-01-01T01:00:00Z, 2025-01-01T00:00:00Z ,a,f,I,\n",
            "l",
        )
        .unwrap();
        assert_eq!(inc[0].end_ms - inc[0].start_ms, HOUR_MS);
    }

    #[test]
    fn bad_alert_lines_are_named() {
        let mut text = alerts_jsonl();
        text.extend_from_slice(b"\n{\"id\": \"x\"}\n");
        match parse_alerts(&text, "alerts.jsonl") {
            // 8 alerts, a blank line (9), then the bad line (10).
            Err(EvalError::Alerts { line, .. }) => assert_eq!(line, 10),
            other => panic!("{other:?}"),
        }
        let a = alert(
            "x",
            "a",
            None,
            "generic",
            "yesterday",
            "2025-01-01T00:00:00Z",
            5.0,
            Severity::Low,
        );
        let text = serde_json::to_vec(&a).unwrap();
        let e = parse_alerts(&text, "alerts.jsonl").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("alerts.jsonl:1: field `window_start`: "),
            "{e}"
        );
        assert!(parse_alerts(b"", "a").unwrap().is_empty());
        assert!(parse_alerts(b"\xff\n", "a").is_err());
    }

    #[test]
    fn tenant_gives_the_account_days() {
        assert_eq!(
            parse_tenant(r#"{"active_account_days": 3000, "name": "x"}"#, "t"),
            Ok(3000)
        );
        assert!(parse_tenant(r#"{"active_account_days": 0}"#, "t").is_err());
        assert!(parse_tenant(r#"{"active_account_days": -4}"#, "t").is_err());
        assert!(parse_tenant(r#"{"accounts": 4}"#, "t").is_err());
        assert!(parse_tenant("", "t").is_err());
    }
}
