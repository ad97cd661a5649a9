//! State kept between scheduled runs (`detect --state`, `baseline --state`): a SQLite database
//! (rusqlite with SQLite bundled, so nothing needs installing).
//!
//! # What it holds
//!
//! | table      | what |
//! |------------|------|
//! | `meta`     | schema version |
//! | `strings`  | every distinct string (account names, sources, actions, objects, IPs, clients), once |
//! | `files`    | each input file ingested: SHA-256 of its bytes (as read, before decompression), name, rows |
//! | `events`   | the canonical events of the history window (string columns as `strings` ids), with the source's event key where it has one |
//! | `aliases`  | display names of opaque account ids (a Salesforce user id's username) |
//! | `alerts`   | every alert raised: stable id, account, span, version, latest JSON |
//! | `outbox`   | deliveries not yet made, one row per alert and sink |
//! | `feedback` | analysts' verdicts on alerts ("not a threat") |
//! | `runs`     | one row per run that changed the state |
//!
//! The baselines are not stored as numbers but derived on each run from the events of the
//! history window (`history_days`), so the IPs, clients and objects each account has used, its
//! volume history and its activity profile all age out together (drift), and a detection run
//! scores new data exactly as a batch scan would score it with that history.
//!
//! # Invariants
//!
//! - **Atomic runs.** Everything a run learns (events, files, alerts, outbox) is written in one
//!   transaction, committed at the end: a run killed at any point leaves the state as before the
//!   run or as after it (SQLite's journal; WAL mode).
//! - **One run at a time.** A run holds an exclusive lock on `PATH.lock` (an OS file lock,
//!   released by the kernel if the process dies); a second run waits up to `--lock-wait`
//!   seconds, then exits with a message naming the state.
//! - **Idempotent.** A file whose SHA-256 is in `files` is not read again; an event whose
//!   source key (CloudTrail `eventID`, ...) is already stored counts its volume once.
//! - **Nothing lost in delivery.** An alert to deliver is in `outbox` in the same transaction
//!   that records it; a row leaves `outbox` only once its sink accepted it.

use crate::ingest::event::{EventTable, RawEvent};
use anyhow::{bail, Context, Result};
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Version of the schema below; a state written by another version is refused, not guessed at.
pub const SCHEMA_VERSION: i64 = 1;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS strings(id INTEGER PRIMARY KEY, value TEXT NOT NULL UNIQUE);
CREATE TABLE IF NOT EXISTS files(
    id INTEGER PRIMARY KEY, sha256 TEXT NOT NULL UNIQUE, name TEXT NOT NULL, format TEXT NOT NULL,
    rows_read INTEGER NOT NULL, rows_used INTEGER NOT NULL, rows_rejected INTEGER NOT NULL,
    run INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS events(
    id INTEGER PRIMARY KEY, time INTEGER NOT NULL, source INTEGER NOT NULL,
    account INTEGER NOT NULL, action INTEGER NOT NULL, object INTEGER NOT NULL,
    records INTEGER, bytes INTEGER, src_ip INTEGER NOT NULL, client INTEGER NOT NULL,
    file INTEGER NOT NULL, once_key TEXT);
CREATE INDEX IF NOT EXISTS events_time ON events(time);
CREATE TABLE IF NOT EXISTS aliases(
    source INTEGER NOT NULL, account INTEGER NOT NULL, display TEXT NOT NULL,
    PRIMARY KEY(source, account));
CREATE TABLE IF NOT EXISTS alerts(
    id TEXT PRIMARY KEY, source TEXT NOT NULL, account TEXT NOT NULL, kind TEXT NOT NULL,
    start_ms INTEGER NOT NULL, end_ms INTEGER NOT NULL, severity TEXT NOT NULL,
    score REAL NOT NULL, version INTEGER NOT NULL, first_run INTEGER NOT NULL,
    last_run INTEGER NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alerts_account ON alerts(source, account);
CREATE TABLE IF NOT EXISTS outbox(
    alert_id TEXT NOT NULL, sink TEXT NOT NULL, version INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT,
    PRIMARY KEY(alert_id, sink));
CREATE TABLE IF NOT EXISTS feedback(
    alert_id TEXT PRIMARY KEY, source TEXT NOT NULL, account TEXT NOT NULL,
    pattern TEXT NOT NULL, verdict TEXT NOT NULL, reason TEXT NOT NULL, at_ms INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS runs(
    id INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, command TEXT NOT NULL,
    files INTEGER NOT NULL, events INTEGER NOT NULL, alerts_new INTEGER NOT NULL,
    alerts_updated INTEGER NOT NULL);
";

/// An open state with its run lock held. Dropping it releases the lock.
pub struct State {
    pub conn: Connection,
    pub path: PathBuf,
    _lock: File,
}

/// SHA-256 of a file's bytes, hex.
pub fn file_sha256(path: &Path) -> std::io::Result<String> {
    let mut f = File::open(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Why a state could not be opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("state {path} is in use by another exfilwatch run (waited {waited_s} s for {lock}); try again later or raise --lock-wait")]
    Busy {
        path: String,
        lock: String,
        waited_s: u64,
    },
    #[error("state {path}: {source:#}")]
    Other { path: String, source: anyhow::Error },
}

impl State {
    /// Opens (creating if missing) the state at `path`, taking its run lock; waits up to `wait`
    /// for another run to finish.
    pub fn open(path: &Path, wait: Duration) -> Result<State, OpenError> {
        let other = |source: anyhow::Error| OpenError::Other {
            path: path.display().to_string(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("creating {}", dir.display()))
                .map_err(other)?;
        }
        let lock_path = lock_path(path);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .with_context(|| format!("opening the lock file {}", lock_path.display()))
            .map_err(other)?;
        let start = Instant::now();
        loop {
            match lock.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) if start.elapsed() < wait => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(OpenError::Busy {
                        path: path.display().to_string(),
                        lock: lock_path.display().to_string(),
                        waited_s: wait.as_secs(),
                    })
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(other(anyhow::Error::new(e).context("locking")))
                }
            }
        }
        let conn = Connection::open(path)
            .context("opening the database")
            .map_err(other)?;
        init(&conn).map_err(other)?;
        Ok(State {
            conn,
            path: path.to_path_buf(),
            _lock: lock,
        })
    }
}

fn lock_path(path: &Path) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(".lock");
    PathBuf::from(s)
}

fn init(conn: &Connection) -> Result<()> {
    conn.busy_timeout(Duration::from_secs(30))?;
    let mode: String = conn.query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        tracing::debug!(mode, "WAL not available; using the rollback journal");
    }
    conn.execute_batch("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")?;
    let has_meta: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_master WHERE type='table' AND name='meta'",
        [],
        |r| r.get(0),
    )?;
    if has_meta {
        let v: Option<String> = conn
            .query_row("SELECT value FROM meta WHERE key='schema'", [], |r| {
                r.get(0)
            })
            .optional()?;
        match v.as_deref().map(str::parse::<i64>) {
            Some(Ok(SCHEMA_VERSION)) => return Ok(()),
            Some(_) => bail!(
                "written by another version of exfilwatch (schema {:?}, this one reads {SCHEMA_VERSION})",
                v.unwrap_or_default()
            ),
            None => bail!("not an exfilwatch state (no schema version)"),
        }
    } else {
        let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))?;
        if tables > 0 {
            bail!("not an exfilwatch state (a SQLite database with other tables)");
        }
    }
    let tx = conn.unchecked_transaction()?;
    tx.execute_batch(SCHEMA)?;
    tx.execute(
        "INSERT INTO meta(key, value) VALUES('schema', ?1)",
        params![SCHEMA_VERSION.to_string()],
    )?;
    tx.commit()?;
    Ok(())
}

/// Events loaded from the state, with each row's database id (to update its volume when an
/// overlapping export brings the same event again).
pub struct History {
    pub events: EventTable,
    pub row_ids: Vec<i64>,
    /// Database id of each file of `events.files`, by index.
    pub file_ids: Vec<i64>,
    /// Rows (in `events`) that carry a source event key, and the key.
    pub keyed: Vec<(usize, String)>,
}

/// A stored alert, as matched against this run's incidents.
#[derive(Debug, Clone)]
pub struct StoredAlert {
    pub id: String,
    pub source: String,
    pub account: String,
    pub kind: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub severity: String,
    pub score: f64,
    pub version: i64,
    pub json: String,
}

/// A stored alert from a row of `SELECT id, source, account, kind, start_ms, end_ms, severity,
/// score, version, json FROM alerts`.
fn stored_alert(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredAlert> {
    Ok(StoredAlert {
        id: r.get(0)?,
        source: r.get(1)?,
        account: r.get(2)?,
        kind: r.get(3)?,
        start_ms: r.get(4)?,
        end_ms: r.get(5)?,
        severity: r.get(6)?,
        score: r.get(7)?,
        version: r.get(8)?,
        json: r.get(9)?,
    })
}

/// A "not a threat" verdict on an alert.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    pub alert_id: String,
    pub source: String,
    pub account: String,
    /// The alert's factors (comma-separated, sorted) that the verdict says are normal.
    pub pattern: String,
    pub reason: String,
    pub at_ms: i64,
}

/// A pending delivery.
#[derive(Debug, Clone)]
pub struct Pending {
    pub alert_id: String,
    pub sink: String,
    pub version: i64,
    pub attempts: i64,
    pub json: String,
}

/// What a run writes, all in one transaction ([`State::commit_run`]).
pub struct RunWrite<'a> {
    pub command: &'a str,
    pub at_ms: i64,
    /// The combined table: history rows first (`history.row_ids.len()` of them), then the
    /// run's new rows.
    pub events: &'a EventTable,
    pub history_rows: &'a [i64],
    /// The history's file ids ([`History::file_ids`]): `events.files` lists them first, then
    /// the run's files (`files`, in the same order).
    pub history_files: &'a [i64],
    /// Stored rows (database ids) whose event key's volume a new row now carries.
    pub superseded: Vec<i64>,
    /// New files: (sha256, name, format, rows read, used, rejected, the file's index in
    /// `events.files`).
    pub files: Vec<NewFile>,
    /// Events before this instant are dropped (history window), `None` keeps all.
    pub forget_before_ms: Option<i64>,
    pub alerts: Vec<AlertWrite>,
    /// Sinks every new or updated alert is queued for.
    pub sinks: &'a [String],
}

#[derive(Debug, Clone)]
pub struct NewFile {
    pub sha256: String,
    pub name: String,
    pub format: String,
    pub rows_read: u64,
    pub rows_used: u64,
    pub rows_rejected: u64,
}

/// An alert to record: new (version 1) or an update of a stored one.
#[derive(Debug, Clone)]
pub struct AlertWrite {
    pub id: String,
    pub source: String,
    pub account: String,
    pub kind: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub severity: String,
    pub score: f64,
    pub version: i64,
    pub json: String,
}

/// Counts of what a run changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Written {
    pub events_added: u64,
    pub events_forgotten: u64,
    pub files: u64,
    pub alerts_new: u64,
    pub alerts_updated: u64,
}

impl State {
    /// Which of these content hashes were already ingested, with the name they had.
    pub fn known_files(&self, hashes: &[String]) -> Result<HashMap<String, String>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT name FROM files WHERE sha256 = ?1")?;
        let mut out = HashMap::new();
        for h in hashes {
            if let Some(name) = st
                .query_row(params![h], |r| r.get::<_, String>(0))
                .optional()?
            {
                out.insert(h.clone(), name);
            }
        }
        Ok(out)
    }

    /// Loads the stored events (in the order they were stored) into an event table.
    pub fn load_history(&self) -> Result<History> {
        let strings = self.strings()?;
        let s = |id: i64| strings.get(&id).map_or("", String::as_str);
        let mut events = EventTable::default();
        let mut file_index: HashMap<i64, u32> = HashMap::new();
        let mut file_ids = Vec::new();
        {
            let mut st = self
                .conn
                .prepare("SELECT id, name FROM files ORDER BY id")?;
            let rows = st.query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)))?;
            for row in rows {
                let (id, name) = row?;
                file_index.insert(id, events.add_file(&name));
                file_ids.push(id);
            }
        }
        let mut row_ids = Vec::new();
        let mut keyed = Vec::new();
        let mut st = self.conn.prepare(
            "SELECT id, time, source, account, action, object, records, bytes, src_ip, client,
                    file, once_key FROM events ORDER BY id",
        )?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let source_name = s(r.get(2)?);
            let source = events.source_code(source_name);
            let file = *file_index
                .get(&r.get::<_, i64>(10)?)
                .context("an event refers to a file the state does not list")?;
            let e = RawEvent {
                time_ms: r.get(1)?,
                account: s(r.get(3)?),
                action: s(r.get(4)?),
                object: s(r.get(5)?),
                records: r.get(6)?,
                bytes: r.get(7)?,
                src_ip: s(r.get(8)?),
                client: s(r.get(9)?),
            };
            let key: Option<String> = r.get(11)?;
            match &key {
                Some(k) => {
                    keyed.push((events.len(), k.clone()));
                    events.push_once(source, file, k, &e);
                }
                None => events.push(source, file, &e),
            }
            row_ids.push(r.get(0)?);
        }
        let mut st = self
            .conn
            .prepare("SELECT source, account, display FROM aliases ORDER BY source, account")?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let source = events.source_code(s(r.get(0)?));
            let display: String = r.get(2)?;
            events.alias(source, s(r.get(1)?), &display);
        }
        Ok(History {
            events,
            row_ids,
            file_ids,
            keyed,
        })
    }

    fn strings(&self) -> Result<HashMap<i64, String>> {
        let mut st = self.conn.prepare("SELECT id, value FROM strings")?;
        let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, v) = row?;
            out.insert(id, v);
        }
        Ok(out)
    }

    /// Stored alerts of one account.
    pub fn alerts_of(&self, source: &str, account: &str) -> Result<Vec<StoredAlert>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, source, account, kind, start_ms, end_ms, severity, score, version, json
             FROM alerts WHERE source = ?1 AND account = ?2 ORDER BY start_ms, id",
        )?;
        let rows = st.query_map(params![source, account], stored_alert)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A stored alert by id.
    pub fn alert(&self, id: &str) -> Result<Option<StoredAlert>> {
        let mut st = self.conn.prepare_cached(
            "SELECT id, source, account, kind, start_ms, end_ms, severity, score, version, json
             FROM alerts WHERE id = ?1",
        )?;
        Ok(st.query_row(params![id], stored_alert).optional()?)
    }

    /// Every "not a threat" verdict.
    pub fn verdicts(&self) -> Result<Vec<Verdict>> {
        let mut st = self.conn.prepare(
            "SELECT alert_id, source, account, pattern, reason, at_ms FROM feedback ORDER BY alert_id",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Verdict {
                alert_id: r.get(0)?,
                source: r.get(1)?,
                account: r.get(2)?,
                pattern: r.get(3)?,
                reason: r.get(4)?,
                at_ms: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records a verdict (replacing an earlier one on the same alert).
    pub fn add_verdict(&mut self, v: &Verdict) -> Result<()> {
        self.conn.execute(
            "INSERT OR REPLACE INTO feedback(alert_id, source, account, pattern, verdict, reason, at_ms)
             VALUES(?1, ?2, ?3, ?4, 'not_a_threat', ?5, ?6)",
            params![v.alert_id, v.source, v.account, v.pattern, v.reason, v.at_ms],
        )?;
        Ok(())
    }

    /// Deliveries still to make, oldest alert first.
    pub fn pending(&self) -> Result<Vec<Pending>> {
        let mut st = self.conn.prepare(
            "SELECT o.alert_id, o.sink, o.version, o.attempts, a.json
             FROM outbox o JOIN alerts a ON a.id = o.alert_id
             ORDER BY a.first_run, a.start_ms, o.alert_id, o.sink",
        )?;
        let rows = st.query_map([], |r| {
            Ok(Pending {
                alert_id: r.get(0)?,
                sink: r.get(1)?,
                version: r.get(2)?,
                attempts: r.get(3)?,
                json: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A delivery succeeded: the outbox row goes, unless a newer version was queued meanwhile.
    pub fn delivered(&mut self, alert_id: &str, sink: &str, version: i64) -> Result<()> {
        self.conn.execute(
            "DELETE FROM outbox WHERE alert_id = ?1 AND sink = ?2 AND version <= ?3",
            params![alert_id, sink, version],
        )?;
        Ok(())
    }

    /// A delivery failed: it stays queued for the next run, with the error.
    pub fn failed(&mut self, alert_id: &str, sink: &str, error: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE outbox SET attempts = attempts + 1, last_error = ?3
             WHERE alert_id = ?1 AND sink = ?2",
            params![alert_id, sink, error],
        )?;
        Ok(())
    }

    /// Writes everything a run learned, in one transaction.
    pub fn commit_run(&mut self, w: &RunWrite<'_>) -> Result<Written> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut written = Written::default();
        tx.execute(
            "INSERT INTO runs(at_ms, command, files, events, alerts_new, alerts_updated)
             VALUES(?1, ?2, 0, 0, 0, 0)",
            params![w.at_ms, w.command],
        )?;
        let run = tx.last_insert_rowid();
        let ev = w.events;
        let n_hist = w.history_rows.len();
        // Files: the combined table lists the history's files first, then the run's.
        let mut file_ids: Vec<i64> = w.history_files.to_vec();
        {
            let mut ins = tx.prepare(
                "INSERT INTO files(sha256, name, format, rows_read, rows_used, rows_rejected, run)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for f in &w.files {
                ins.execute(params![
                    f.sha256,
                    f.name,
                    f.format,
                    f.rows_read as i64,
                    f.rows_used as i64,
                    f.rows_rejected as i64,
                    run
                ])?;
                file_ids.push(tx.last_insert_rowid());
                written.files += 1;
            }
        }
        let mut interned: HashMap<String, i64> = HashMap::new();
        let mut intern = |tx: &rusqlite::Transaction<'_>, s: &str| -> Result<i64> {
            if let Some(&id) = interned.get(s) {
                return Ok(id);
            }
            let mut get = tx.prepare_cached("SELECT id FROM strings WHERE value = ?1")?;
            let id = match get.query_row(params![s], |r| r.get(0)).optional()? {
                Some(id) => id,
                None => {
                    tx.prepare_cached("INSERT INTO strings(value) VALUES(?1)")?
                        .execute(params![s])?;
                    tx.last_insert_rowid()
                }
            };
            interned.insert(s.to_owned(), id);
            Ok(id)
        };
        // Keys: the row that carries each event key's volume after this run.
        let keys: HashMap<usize, &str> = ev.once_rows().map(|(k, r)| (r, k)).collect();
        {
            // A stored row whose volume an overlapping export has superseded keeps its event
            // but loses its volume (and its key, now carried by the new row).
            let mut upd = tx.prepare(
                "UPDATE events SET records = NULL, bytes = NULL, once_key = NULL WHERE id = ?1",
            )?;
            for id in &w.superseded {
                upd.execute(params![id])?;
            }
            let mut ins = tx.prepare(
                "INSERT INTO events(time, source, account, action, object, records, bytes,
                                    src_ip, client, file, once_key)
                 VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?;
            for row in n_hist..ev.len() {
                let acc = &ev.accounts[ev.account[row] as usize];
                let source = intern(&tx, ev.sources.get(ev.source[row]))?;
                let account = intern(&tx, &acc.name)?;
                let action = intern(&tx, ev.actions.get(ev.action[row]))?;
                let object = intern(&tx, ev.objects.get(ev.object[row]))?;
                let ip = intern(&tx, ev.ips.get(ev.src_ip[row]))?;
                let client = intern(&tx, ev.clients.get(ev.client[row]))?;
                let file = *file_ids
                    .get(ev.file[row] as usize)
                    .context("an event's file is not among the run's files")?;
                ins.execute(params![
                    ev.time[row],
                    source,
                    account,
                    action,
                    object,
                    ev.records[row],
                    ev.bytes[row],
                    ip,
                    client,
                    file,
                    keys.get(&row).copied()
                ])?;
                written.events_added += 1;
            }
            let mut alias = tx.prepare(
                "INSERT OR IGNORE INTO aliases(source, account, display) VALUES(?1, ?2, ?3)",
            )?;
            for (&code, display) in &ev.aliases {
                let k = &ev.accounts[code as usize];
                let source = intern(&tx, ev.sources.get(k.source))?;
                let account = intern(&tx, &k.name)?;
                alias.execute(params![source, account, display])?;
            }
        }
        if let Some(before) = w.forget_before_ms {
            written.events_forgotten =
                tx.execute("DELETE FROM events WHERE time < ?1", params![before])? as u64;
        }
        for a in &w.alerts {
            if a.version == 1 {
                tx.execute(
                    "INSERT INTO alerts(id, source, account, kind, start_ms, end_ms, severity,
                                        score, version, first_run, last_run, json)
                     VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?9, ?10)",
                    params![
                        a.id, a.source, a.account, a.kind, a.start_ms, a.end_ms, a.severity,
                        a.score, run, a.json
                    ],
                )?;
                written.alerts_new += 1;
            } else {
                tx.execute(
                    "UPDATE alerts SET kind = ?2, start_ms = ?3, end_ms = ?4, severity = ?5,
                        score = ?6, version = ?7, last_run = ?8, json = ?9 WHERE id = ?1",
                    params![
                        a.id, a.kind, a.start_ms, a.end_ms, a.severity, a.score, a.version, run,
                        a.json
                    ],
                )?;
                written.alerts_updated += 1;
            }
            for sink in w.sinks {
                tx.execute(
                    "INSERT INTO outbox(alert_id, sink, version) VALUES(?1, ?2, ?3)
                     ON CONFLICT(alert_id, sink) DO UPDATE SET version = excluded.version",
                    params![a.id, sink, a.version],
                )?;
            }
        }
        tx.execute(
            "UPDATE runs SET files = ?2, events = ?3, alerts_new = ?4, alerts_updated = ?5
             WHERE id = ?1",
            params![
                run,
                written.files as i64,
                written.events_added as i64,
                written.alerts_new as i64,
                written.alerts_updated as i64
            ],
        )?;
        crash_point("before-commit");
        tx.commit()?;
        crash_point("after-commit");
        Ok(written)
    }

    /// Counts for `state` summaries and tests: (files, events, alerts, outbox rows).
    pub fn counts(&self) -> Result<(i64, i64, i64, i64)> {
        let c = |sql: &str| -> Result<i64> { Ok(self.conn.query_row(sql, [], |r| r.get(0))?) };
        Ok((
            c("SELECT count(*) FROM files")?,
            c("SELECT count(*) FROM events")?,
            c("SELECT count(*) FROM alerts")?,
            c("SELECT count(*) FROM outbox")?,
        ))
    }
}

/// Test hook for the crash-safety tests: when `EXFILWATCH_CRASH_AT` names this point, the
/// process aborts here (as `kill -9` would stop it: no destructors, no flush, no rollback).
pub fn crash_point(name: &str) {
    if std::env::var_os("EXFILWATCH_CRASH_AT").is_some_and(|v| v == name) {
        eprintln!("exfilwatch: EXFILWATCH_CRASH_AT={name}: aborting");
        std::process::abort();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &[(i64, &str, Option<i64>, Option<&str>)]) -> EventTable {
        let mut t = EventTable::default();
        let f = t.add_file("in.jsonl");
        let s = t.source_code("cloudtrail");
        for &(time_ms, account, records, key) in rows {
            let e = RawEvent {
                time_ms,
                account,
                object: "bucket/key",
                records,
                src_ip: "198.51.100.7",
                client: "aws-cli/2",
                ..Default::default()
            };
            match key {
                Some(k) => t.push_once(s, f, k, &e),
                None => t.push(s, f, &e),
            }
        }
        t
    }

    fn write(
        st: &mut State,
        ev: &EventTable,
        hist: &[i64],
        hist_files: &[i64],
        forget: Option<i64>,
    ) -> Written {
        st.commit_run(&RunWrite {
            command: "test",
            at_ms: 1,
            events: ev,
            history_rows: hist,
            history_files: hist_files,
            superseded: Vec::new(),
            files: vec![NewFile {
                sha256: format!("{:064}", ev.len() + hist.len()),
                name: "in.jsonl".into(),
                format: "cloudtrail".into(),
                rows_read: (ev.len() - hist.len()) as u64,
                rows_used: (ev.len() - hist.len()) as u64,
                rows_rejected: 0,
            }],
            forget_before_ms: forget,
            alerts: Vec::new(),
            sinks: &[],
        })
        .unwrap()
    }

    #[test]
    fn events_round_trip_and_age_out() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("nested/dir/s.db");
        let mut st = State::open(&path, Duration::ZERO).unwrap();
        let ev = table(&[
            (1_000, "alice", Some(10), Some("e1")),
            (2_000, "bob", None, None),
            (3_000, "alice", Some(30), Some("e3")),
        ]);
        let w = write(&mut st, &ev, &[], &[], None);
        assert_eq!((w.events_added, w.files), (3, 1));
        let h = st.load_history().unwrap();
        assert_eq!(h.events.time, vec![1_000, 2_000, 3_000]);
        assert_eq!(h.events.records, vec![Some(10), None, Some(30)]);
        assert_eq!(h.events.account_name(h.events.account[1]), "bob");
        assert_eq!(h.events.account_source(h.events.account[0]), "cloudtrail");
        assert_eq!(h.events.ips.get(h.events.src_ip[2]), "198.51.100.7");
        assert_eq!(h.events.files, vec!["in.jsonl".to_owned()]);
        let mut keys: Vec<(usize, String)> = h.keyed.clone();
        keys.sort();
        assert_eq!(keys, vec![(0, "e1".into()), (2, "e3".into())]);
        // Ageing out: events before 2,500 ms go.
        let mut next = h.events.clone();
        next.append(table(&[(4_000, "carol", Some(1), None)]), false);
        let w = write(&mut st, &next, &h.row_ids, &h.file_ids, Some(2_500));
        assert_eq!((w.events_added, w.events_forgotten), (1, 2));
        assert_eq!(st.load_history().unwrap().events.time, vec![3_000, 4_000]);
        assert_eq!(st.counts().unwrap(), (2, 2, 0, 0));
    }

    #[test]
    fn a_foreign_database_is_refused_not_overwritten() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("other.db");
        let c = Connection::open(&path).unwrap();
        c.execute_batch("CREATE TABLE customers(id INTEGER);")
            .unwrap();
        drop(c);
        let err = State::open(&path, Duration::ZERO)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("not an exfilwatch state"), "{err}");
        let c = Connection::open(&path).unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1, "nothing was added to it");
    }

    #[test]
    fn the_lock_is_exclusive_and_released_on_drop() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.db");
        let first = State::open(&path, Duration::ZERO).unwrap();
        let busy = State::open(&path, Duration::from_millis(200))
            .err()
            .unwrap();
        assert!(matches!(busy, OpenError::Busy { .. }), "{busy}");
        drop(first);
        assert!(State::open(&path, Duration::ZERO).is_ok());
    }

    #[test]
    fn file_hashes_are_sha256_of_the_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc.txt");
        std::fs::write(&p, b"abc").unwrap();
        // FIPS 180-2 test vector for "abc".
        assert_eq!(
            file_sha256(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
