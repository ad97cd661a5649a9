//! Scheduled jobs: `baseline --state` (learn only) and `detect --state` (score the new data
//! against what the state has learned, then learn it), with alert-once and delivery.
//!
//! A run:
//! 1. takes the state's run lock ([`State::open`]);
//! 2. lists the input files and hashes them; files already ingested (same SHA-256) are skipped;
//! 3. reads the new files, and the stored history, into one event table (history rows first);
//! 4. (`detect`) runs features and detection over it all, keeps the incidents that contain new
//!    events, applies the policy (allowlists, suppressions, feedback), builds the alerts, and
//!    matches each with the alerts already raised for its account (overlapping span, give or
//!    take an hour): a match keeps its id and becomes a new version if it changed, or is not
//!    raised again if it did not;
//! 5. writes everything (new events, files, alerts, outbox, history that aged out) in one
//!    transaction;
//! 6. prints the new and updated alerts, then delivers the outbox (this run's alerts and any an
//!    earlier run failed to deliver).

use super::*;
use crate::alert::Alert;
use crate::deliver::{self, Sink};
use crate::ingest::time::{DAY_MS, HOUR_MS};
use crate::state::{self, AlertWrite, NewFile, RunWrite, State, StoredAlert};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Duration;

/// `baseline` learns only; `detect` scores, then learns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobKind {
    Baseline,
    Detect,
}

impl JobKind {
    fn name(self) -> &'static str {
        match self {
            JobKind::Baseline => "baseline",
            JobKind::Detect => "detect",
        }
    }
}

/// Everything a scheduled run needs, resolved from flags and the config file.
pub struct JobSettings {
    pub scan: ScanSettings,
    pub paths: Vec<PathBuf>,
    pub state: PathBuf,
    pub lock_wait: Duration,
    /// History window: events older than this before the newest event age out.
    pub history_days: u32,
    /// `detect` only learns until the state holds this many days of history.
    pub learn_days: u32,
    /// Where alerts go besides stdout, each with its outbox name.
    pub sinks: Vec<Sink>,
}

/// Opens a state with its run lock: busy is exit 5, anything else a configuration error.
fn open_state(path: &std::path::Path, wait: Duration) -> Result<State, Failure> {
    State::open(path, wait).map_err(|e| match e {
        state::OpenError::Busy { .. } => (Exit::StateBusy, anyhow::Error::new(e)),
        state::OpenError::Other { .. } => (Exit::Usage, anyhow::Error::new(e)),
    })
}

/// Runs `baseline` or `detect` against a state.
pub fn run_job(kind: JobKind, mut settings: JobSettings) -> Result<Exit, Failure> {
    let mut st = open_state(&settings.state, settings.lock_wait)?;
    let internal = |e: anyhow::Error| (Exit::Internal, e);
    let quiet = settings.scan.quiet;

    // Which files are new: by content, not by name.
    let mut skipped = ingest::report::IngestReport::default();
    let mut listed: Vec<PathBuf> = Vec::new();
    for p in &settings.paths {
        match ingest::expand(p, &mut skipped) {
            Ok(files) => listed.extend(files),
            Err(reason) => {
                return Err((
                    Exit::InputUnreadable,
                    anyhow::anyhow!("{}: {reason}", p.display()),
                ))
            }
        }
    }
    let mut hashes: Vec<(PathBuf, String)> = Vec::new();
    for f in &listed {
        let h = state::file_sha256(f).map_err(|e| {
            (
                Exit::InputUnreadable,
                anyhow::anyhow!("{}: {e}", f.display()),
            )
        })?;
        hashes.push((f.clone(), h));
    }
    let known = st
        .known_files(&hashes.iter().map(|(_, h)| h.clone()).collect::<Vec<_>>())
        .map_err(internal)?;
    let mut seen_now: HashSet<String> = HashSet::new();
    let mut fresh_files: Vec<(PathBuf, String)> = Vec::new();
    let mut already = 0usize;
    for (p, h) in hashes {
        if known.contains_key(&h) || !seen_now.insert(h.clone()) {
            already += 1;
            tracing::info!(file = %p.display(), "already ingested (same content)");
        } else {
            fresh_files.push((p, h));
        }
    }

    let mut alerts_out: Vec<Alert> = Vec::new();
    let mut summary_text = String::new();
    if !fresh_files.is_empty() {
        settings.scan.ingest.inputs = fresh_files
            .iter()
            .map(|(p, _)| Input::Path(p.clone()))
            .collect();
        let (fresh, report) = read_inputs::<ingest::event::EventTable>(&mut settings.scan)?;
        let hash_of: HashMap<String, &String> = fresh_files
            .iter()
            .map(|(p, h)| (p.display().to_string(), h))
            .collect();
        let by_name: HashMap<&str, &ingest::report::FileReport> =
            report.files.iter().map(|f| (f.name.as_str(), f)).collect();
        let mut files = Vec::new();
        for name in &fresh.files {
            let (Some(h), Some(r)) = (hash_of.get(name), by_name.get(name.as_str())) else {
                return Err(internal(anyhow::anyhow!(
                    "ingest returned a file it was not given: {name}"
                )));
            };
            files.push(NewFile {
                sha256: (*h).clone(),
                name: name.clone(),
                format: r.format.to_owned(),
                rows_read: r.rows_read,
                rows_used: r.rows_used,
                rows_rejected: r.rows_rejected(),
            });
        }

        let history = st.load_history().map_err(internal)?;
        let n_hist = history.events.len();
        let mut events = history.events;
        events.append(fresh, false);
        let carriers: HashMap<&str, usize> = events.once_rows().collect();
        let superseded: Vec<i64> = history
            .keyed
            .iter()
            .filter(|(row, key)| carriers.get(key.as_str()) != Some(row))
            .map(|(row, _)| history.row_ids[*row])
            .collect();
        let (oldest, newest) = match events.time.first() {
            None => (0, 0), // nothing stored and only empty files
            Some(&t) => events
                .time
                .iter()
                .fold((t, t), |(lo, hi), &t| (lo.min(t), hi.max(t))),
        };
        let forget_before = newest - i64::from(settings.history_days) * DAY_MS;

        let learned_days = (newest - oldest) as f64 / DAY_MS as f64;
        let learning = kind == JobKind::Detect && learned_days < f64::from(settings.learn_days);
        if learning && !quiet {
            let _ = writeln!(
                std::io::stderr(),
                "exfilwatch detect: learning: {learned_days:.1} of {} days of history; no alerts until then (`baseline` loads past exports at once)",
                settings.learn_days
            );
        }
        let mut writes = Vec::new();
        if kind == JobKind::Detect && !learning {
            let (alerts, w, text) = detect_new(&st, &events, n_hist, &settings)?;
            alerts_out = alerts;
            writes = w;
            summary_text = text;
        }
        let sink_names: Vec<String> = settings.sinks.iter().map(|s| s.name()).collect();
        let written = st
            .commit_run(&RunWrite {
                command: kind.name(),
                at_ms: now_ms(),
                events: &events,
                history_rows: &history.row_ids,
                history_files: &history.file_ids,
                superseded,
                files,
                forget_before_ms: Some(forget_before),
                alerts: writes,
                sinks: &sink_names,
            })
            .map_err(internal)?;
        if !quiet {
            let mut s = format!(
                "exfilwatch {}: {} new file(s), {} already ingested; {} rows read: {} used, {} rejected\n",
                kind.name(),
                fresh_files.len(),
                already,
                thousands(report.rows_read() as f64),
                thousands(report.rows_used() as f64),
                thousands(report.rows_rejected() as f64),
            );
            s.push_str(&rejects_and_skips(&report));
            s.push_str(&format!(
                "exfilwatch {}: state {}: +{} events, {} aged out (history {} days); {} new alert(s), {} updated\n",
                kind.name(),
                neutralize(&settings.state.display().to_string()),
                thousands(written.events_added as f64),
                thousands(written.events_forgotten as f64),
                settings.history_days,
                written.alerts_new,
                written.alerts_updated,
            ));
            s.push_str(&summary_text);
            let _ = std::io::stderr().write_all(s.as_bytes());
        }
    } else if !quiet {
        let _ = writeln!(
            std::io::stderr(),
            "exfilwatch {}: nothing new ({already} file(s) already ingested)",
            kind.name()
        );
    }

    print_alerts(&alerts_out, &settings.scan)?;
    let failures = deliver_pending(&mut st, &settings.sinks).map_err(internal)?;
    if failures > 0 && !quiet {
        let _ = writeln!(
            std::io::stderr(),
            "exfilwatch: {failures} delivery(ies) failed; they stay queued in the state for the next run"
        );
    }
    Ok(exit_for(&alerts_out, settings.scan.fail_on))
}

/// Detection over history + new rows: the alerts to raise now (new or changed), what to
/// record, and summary lines.
fn detect_new(
    st: &State,
    events: &ingest::event::EventTable,
    n_hist: usize,
    settings: &JobSettings,
) -> Result<(Vec<Alert>, Vec<AlertWrite>, String), Failure> {
    let internal = |e: anyhow::Error| (Exit::Internal, e);
    let (feats, detection, incidents) = analyse(events, &settings.scan)?;
    // Only incidents holding new events are this run's to raise.
    let mut fresh_times: HashMap<u32, Vec<i64>> = HashMap::new();
    for r in n_hist..events.len() {
        fresh_times
            .entry(events.account[r])
            .or_default()
            .push(events.time[r]);
    }
    for v in fresh_times.values_mut() {
        v.sort_unstable();
    }
    let touches = |inc: &detect::Incident| {
        fresh_times.get(&inc.account).is_some_and(|ts| {
            let i = ts.partition_point(|&t| t < inc.start_ms);
            i < ts.len() && ts[i] < inc.end_ms
        })
    };
    let incidents: Vec<detect::Incident> = incidents.into_iter().filter(touches).collect();
    let mut policy = settings.scan.policy.clone();
    policy.verdicts = st.verdicts().map_err(internal)?;
    let (incidents, held) = policy.apply(incidents, events, &detection.line, now_ms());
    let mut built = alert::build(
        &incidents,
        events,
        &feats,
        &settings.scan.features.tz,
        settings.scan.min_severity,
    );
    if let Some(c) = &settings.scan.config {
        note_business_hours(&mut built, c);
    }
    let mut raise = Vec::new();
    let mut writes = Vec::new();
    let mut cache: BTreeMap<(String, String), Vec<StoredAlert>> = BTreeMap::new();
    let mut taken: HashSet<String> = HashSet::new();
    for mut a in built {
        let key = (a.source.clone(), a.account.clone());
        if !cache.contains_key(&key) {
            let stored = st.alerts_of(&key.0, &key.1).map_err(internal)?;
            cache.insert(key.clone(), stored);
        }
        let (start, end) = span_ms(&a);
        let is_run = a.window_kind == "run";
        let stored = cache.get_mut(&key).expect("inserted above");
        // Alerts of earlier runs only, each taken by one incident of this run at most (the
        // most severe first, as `build` orders them): two incidents found together stay two.
        let matched = stored.iter_mut().find(|s| {
            !s.json.is_empty()
                && !taken.contains(&s.id)
                && (s.kind == "run") == is_run
                && s.start_ms - HOUR_MS <= end
                && start <= s.end_ms + HOUR_MS
        });
        let (version, span) = match matched {
            Some(s) => {
                a.id = s.id.clone();
                taken.insert(s.id.clone());
                let prev: Option<Alert> = serde_json::from_str(&s.json).ok();
                let changed = prev.as_ref().is_none_or(|p| materially_changed(p, &a));
                if !changed {
                    continue;
                }
                s.version += 1;
                s.start_ms = s.start_ms.min(start);
                s.end_ms = s.end_ms.max(end);
                (s.version, (s.start_ms, s.end_ms))
            }
            None => {
                // A new incident may start where an earlier, separate one did: keep ids unique.
                let base = a.id.clone();
                let mut n = 1;
                while stored.iter().any(|s| s.id == a.id) {
                    n += 1;
                    a.id = format!("{base}-{n}");
                }
                stored.push(StoredAlert {
                    id: a.id.clone(),
                    source: a.source.clone(),
                    account: a.account.clone(),
                    kind: a.window_kind.clone(),
                    start_ms: start,
                    end_ms: end,
                    severity: a.severity.as_str().to_owned(),
                    score: a.score,
                    version: 1,
                    json: String::new(),
                });
                (1, (start, end))
            }
        };
        a.version = version as u32;
        let json = serde_json::to_string(&a).map_err(|e| internal(e.into()))?;
        writes.push(AlertWrite {
            id: a.id.clone(),
            source: a.source.clone(),
            account: a.account.clone(),
            kind: a.window_kind.clone(),
            start_ms: span.0,
            end_ms: span.1,
            severity: a.severity.as_str().to_owned(),
            score: a.score,
            version,
            json,
        });
        raise.push(a);
    }
    let mut text = held.summary();
    let line = &detection.line;
    text.push_str(&format!(
        "exfilwatch detect: {} incident(s) with new events; alert line {:.1} ({} windows scored)\n",
        incidents.len(),
        line.high,
        detection.scored
    ));
    Ok((raise, writes, text))
}

/// An alert's window in ms (its RFC 3339 fields, written by this program).
fn span_ms(a: &Alert) -> (i64, i64) {
    let p = |s: &str| crate::ingest::time::parse_timestamp(s).unwrap_or(0);
    (p(&a.window_start), p(&a.window_end))
}

/// Whether an alert says something new compared with its last delivered version: another
/// window, another severity, or a score that moved by a tenth of a point or more.
fn materially_changed(prev: &Alert, now: &Alert) -> bool {
    prev.window_start != now.window_start
        || prev.window_end != now.window_end
        || prev.severity != now.severity
        || (prev.score - now.score).abs() >= 0.1
}

/// Delivers every queued alert to the configured sinks; returns the number that failed (they
/// stay queued). Rows queued for a sink this run does not configure stay queued too.
fn deliver_pending(st: &mut State, sinks: &[Sink]) -> anyhow::Result<usize> {
    let mut failures = 0;
    let by_name: HashMap<String, &Sink> = sinks.iter().map(|s| (s.name(), s)).collect();
    let pending = st.pending()?;
    let mut unconfigured: BTreeMap<String, usize> = BTreeMap::new();
    for p in pending {
        let Some(sink) = by_name.get(&p.sink) else {
            *unconfigured.entry(p.sink.clone()).or_default() += 1;
            continue;
        };
        let alert: Alert = match serde_json::from_str(&p.json) {
            Ok(a) => a,
            Err(e) => {
                st.failed(
                    &p.alert_id,
                    &p.sink,
                    &format!("stored alert unreadable: {e}"),
                )?;
                failures += 1;
                continue;
            }
        };
        state::crash_point("before-delivery");
        match deliver::deliver(sink, &alert, alert.version > 1) {
            Ok(()) => st.delivered(&p.alert_id, &p.sink, p.version)?,
            Err(e) => {
                let msg = e.to_string();
                tracing::warn!(alert = %p.alert_id, sink = %p.sink, error = %msg, "delivery failed");
                st.failed(&p.alert_id, &p.sink, &msg)?;
                failures += 1;
            }
        }
    }
    for (sink, n) in unconfigured {
        tracing::warn!(
            sink = %sink,
            pending = n,
            "alerts queued for a sink this run does not configure stay queued"
        );
    }
    Ok(failures)
}

/// `feedback --not-a-threat`: records the verdict on a stored alert, with the pattern of
/// factors it showed.
pub fn record_feedback(
    state: &std::path::Path,
    alert_id: &str,
    reason: &str,
    lock_wait: Duration,
    quiet: bool,
) -> Result<Exit, Failure> {
    if reason.trim().is_empty() {
        return Err(usage("--reason must say why the alert is not a threat"));
    }
    if !state.exists() {
        return Err(usage(format!(
            "state {} does not exist",
            neutralize(&state.display().to_string())
        )));
    }
    let mut st = open_state(state, lock_wait)?;
    let stored = st
        .alert(alert_id)
        .map_err(|e| (Exit::Internal, e))?
        .ok_or_else(|| {
            usage(format!(
                "no alert {} in state {}",
                neutralize(alert_id),
                neutralize(&state.display().to_string())
            ))
        })?;
    let alert: Alert = serde_json::from_str(&stored.json).map_err(|e| {
        (
            Exit::Internal,
            anyhow::Error::new(e).context("stored alert"),
        )
    })?;
    let pattern = crate::policy::pattern_key(&crate::policy::pattern_of_alert(&alert));
    st.add_verdict(&state::Verdict {
        alert_id: stored.id.clone(),
        source: stored.source.clone(),
        account: stored.account.clone(),
        pattern: pattern.clone(),
        reason: reason.to_owned(),
        at_ms: now_ms(),
    })
    .map_err(|e| (Exit::Internal, e))?;
    if !quiet {
        eprintln!(
            "exfilwatch: recorded: {} ({}) is not a threat; future incidents of this account with only these factors ({}) score {} points lower",
            neutralize(&stored.id),
            neutralize(&stored.account),
            pattern,
            crate::policy::FEEDBACK_POINTS
        );
    }
    Ok(Exit::Success)
}
