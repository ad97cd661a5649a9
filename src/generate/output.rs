//! What `generate` writes into its output directory `DIR`. Every render is a pure function of the
//! tenant to bytes; [`write`] puts them in place. The same tenant gives byte-identical files.
//!
//! | path | content |
//! |---|---|
//! | `DIR/logs/events.csv.gz` | (`generic`) every event: CSV `timestamp,account,action,object,records,bytes,src_ip,client`, RFC 3339 UTC timestamps with milliseconds, sorted by time then account, one file for the whole period, gzip with mtime 0 and no file name |
//! | `DIR/labels.csv` | the planted incidents in the schema of [`crate::eval`]: `incident_id,family,account,start,end,source`, one row per (incident, account) |
//! | `DIR/benign.csv` | the planted look-alikes: `kind,account,start,end` (`*`: the whole organisation) |
//! | `DIR/tenant.json` | `{"active_account_days", "accounts", "days", "seed", "format", "start"}` |
//!
//! The logs sit in their own folder so that `exfilwatch scan DIR/logs` reads only logs.

use super::{Tenant, MS_DAY};
use flate2::write::GzEncoder;
use flate2::{Compression, GzBuilder};
use std::io::Write;
use std::path::{Path, PathBuf};

/// Formats ms UTC as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn ts_millis(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string(),
        None => format!("{ms}"),
    }
}

/// Formats ms UTC as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn ts_seconds(ms: i64) -> String {
    crate::ingest::time::format_utc(ms)
}

/// A CSV field, quoted when it holds a comma, quote or line break.
fn csv_field(s: &str) -> std::borrow::Cow<'_, str> {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\"")).into()
    } else {
        s.into()
    }
}

/// The generic CSV of every event (uncompressed).
pub fn generic_csv(t: &Tenant) -> Vec<u8> {
    let mut out = Vec::with_capacity(t.events.len() * 120);
    out.extend_from_slice(b"timestamp,account,action,object,records,bytes,src_ip,client\n");
    let clients: Vec<String> = t
        .clients
        .iter()
        .map(|c| csv_field(c).into_owned())
        .collect();
    // The date prefix changes once a day: format it once per day.
    let mut day = i64::MIN;
    let mut prefix = String::new();
    for e in &t.events {
        let d = e.time.div_euclid(MS_DAY);
        if d != day {
            day = d;
            prefix = ts_millis(d * MS_DAY)[..11].to_owned();
        }
        let ms = e.time.rem_euclid(MS_DAY);
        let _ = writeln!(
            out,
            "{prefix}{:02}:{:02}:{:02}.{:03}Z,{},{},{},{},{},{},{}",
            ms / 3_600_000,
            ms / 60_000 % 60,
            ms / 1000 % 60,
            ms % 1000,
            t.accounts[e.account as usize].name,
            e.action,
            e.object,
            e.records,
            e.bytes,
            t.ips[e.ip as usize],
            clients[e.client as usize],
        );
    }
    out
}

/// Gzip with a fixed header (mtime 0, no file name), so the bytes depend only on the input.
pub fn gzip(data: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut enc: GzEncoder<Vec<u8>> = GzBuilder::new()
        .mtime(0)
        .operating_system(255)
        .write(Vec::new(), Compression::new(6));
    enc.write_all(data)?;
    enc.finish()
}

/// The source name alerts carry for this format.
pub fn source(t: &Tenant) -> &'static str {
    t.config.format.name()
}

/// `labels.csv`: one row per (incident, account), incidents by start then id.
pub fn labels_csv(t: &Tenant) -> String {
    let mut rows: Vec<(i64, &str, String)> = Vec::new();
    for inc in &t.incidents {
        for &a in &inc.accounts {
            rows.push((
                inc.start,
                &inc.id,
                format!(
                    "{},{},{},{},{},{}\n",
                    inc.id,
                    inc.family,
                    csv_field(&t.accounts[a as usize].name),
                    ts_seconds(inc.start),
                    ts_seconds(inc.end),
                    source(t)
                ),
            ));
        }
    }
    rows.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut s = String::from("incident_id,family,account,start,end,source\n");
    for (_, _, line) in rows {
        s.push_str(&line);
    }
    s
}

/// `benign.csv`: the planted look-alikes by start.
pub fn benign_csv(t: &Tenant) -> String {
    let mut s = String::from("kind,account,start,end\n");
    for b in &t.benign {
        s.push_str(&format!(
            "{},{},{},{}\n",
            b.kind,
            csv_field(&b.account),
            ts_seconds(b.start),
            ts_seconds(b.end)
        ));
    }
    s
}

/// `tenant.json`.
pub fn tenant_json(t: &Tenant) -> String {
    let v = serde_json::json!({
        "active_account_days": t.active_account_days(),
        "accounts": t.config.accounts,
        "days": t.config.days,
        "seed": t.config.seed,
        "format": t.config.format.name(),
        "start": t.config.start.format("%Y-%m-%d").to_string(),
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// The files of a tenant: (path relative to the output directory, bytes).
pub fn render(t: &Tenant) -> std::io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut files = vec![(
        PathBuf::from("logs").join("events.csv.gz"),
        gzip(&generic_csv(t))?,
    )];
    files.push(("labels.csv".into(), labels_csv(t).into_bytes()));
    files.push(("benign.csv".into(), benign_csv(t).into_bytes()));
    files.push(("tenant.json".into(), tenant_json(t).into_bytes()));
    Ok(files)
}

/// Writes the tenant's files under `dir`, creating folders; returns the paths and sizes written.
pub fn write(t: &Tenant, dir: &Path) -> std::io::Result<Vec<(PathBuf, u64)>> {
    let mut written = Vec::new();
    for (rel, bytes) in render(t)? {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &bytes)?;
        written.push((path, bytes.len() as u64));
    }
    Ok(written)
}
