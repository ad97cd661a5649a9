//! What `generate` writes into its output directory `DIR`. Every render is a pure function of the
//! tenant to bytes; [`write`] puts them in place. The same tenant gives byte-identical files.
//!
//! | path | content |
//! |---|---|
//! | `DIR/logs/events.csv.gz` | (`generic`) every event: CSV `timestamp,account,action,object,records,bytes,src_ip,client`, RFC 3339 UTC timestamps with milliseconds, sorted by time then account, one file for the whole period, gzip with mtime 0 and no file name |
//! | `DIR/logs/YYYY-MM-DD_{API,Login}.csv` | (`salesforce-elf`) see [`salesforce_files`] |
//! | `DIR/logs/AWSLogs/...` | (`cloudtrail`) see [`cloudtrail_files`] |
//! | `DIR/labels.csv` | the planted incidents in the schema of [`crate::eval`]: `incident_id,family,account,start,end,source`, one row per (incident, account), the account spelt as the format's alerts spell it ([`account_label`]) |
//! | `DIR/benign.csv` | the planted look-alikes: `kind,account,start,end` (`*`: the whole organisation) |
//! | `DIR/tenant.json` | `{"active_account_days", "accounts", "days", "seed", "format", "start"}` |
//!
//! The logs sit in their own folder so that `exfilwatch scan DIR/logs` reads only logs.

use super::{GenFormat, Tenant, MS_DAY, MS_HOUR};
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
    match t.config.format {
        GenFormat::Generic => crate::formats::generic::SOURCE,
        GenFormat::SalesforceElf => crate::formats::salesforce::SOURCE,
        GenFormat::Cloudtrail => crate::formats::cloudtrail::SOURCE,
    }
}

/// What the alerts call an account in this format: the e-mail for generic and Salesforce (the
/// Login rows' `USER_NAME` names the user id), the IAM user's ARN for CloudTrail.
pub fn account_label(t: &Tenant, a: u32) -> String {
    let name = &t.accounts[a as usize].name;
    match t.config.format {
        GenFormat::Cloudtrail => aws_arn(name),
        _ => name.clone(),
    }
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
                    csv_field(&account_label(t, a)),
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
            csv_field(&if b.account == "*" {
                b.account.clone()
            } else {
                match t.config.format {
                    GenFormat::Cloudtrail => aws_arn(&b.account),
                    _ => b.account.clone(),
                }
            }),
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
    let mut files = match t.config.format {
        GenFormat::Generic => vec![(
            PathBuf::from("logs").join("events.csv.gz"),
            gzip(&generic_csv(t))?,
        )],
        GenFormat::SalesforceElf => salesforce_files(t),
        GenFormat::Cloudtrail => cloudtrail_files(t)?,
    };
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

/// FNV-1a of `text`, spread over `n` characters of `alphabet`.
fn hash_token(text: &str, n: usize, alphabet: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut out = String::with_capacity(n);
    for _ in 0..n {
        // SplitMix64 step: each character from fresh bits.
        h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = h;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        out.push(alphabet[(z % alphabet.len() as u64) as usize] as char);
    }
    out
}

const B62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const HEX: &[u8] = b"0123456789abcdef";

// --- Salesforce Event Log Files ---------------------------------------------------------------

/// The fictional org's id.
pub const SF_ORG_ID: &str = "00D5j00000Nw1Ar";
const SF_API_VERSION: &str = "62.0";
/// A new session (and Login row) after this long without events, or on a new IP or client.
const SF_SESSION_GAP: i64 = 3 * MS_HOUR;
const SF_COMMON: [&str; 14] = [
    "EVENT_TYPE",
    "TIMESTAMP",
    "REQUEST_ID",
    "ORGANIZATION_ID",
    "USER_ID",
    "RUN_TIME",
    "CPU_TIME",
    "URI",
    "SESSION_KEY",
    "LOGIN_KEY",
    "CLIENT_IP",
    "TIMESTAMP_DERIVED",
    "USER_ID_DERIVED",
    "URI_ID_DERIVED",
];
const SF_API: [&str; 8] = [
    "METHOD_NAME",
    "API_TYPE",
    "API_VERSION",
    "CLIENT_NAME",
    "ENTITY_NAME",
    "ROWS_PROCESSED",
    "RESPONSE_SIZE",
    "USER_AGENT",
];
const SF_LOGIN: [&str; 5] = [
    "USER_NAME",
    "BROWSER_TYPE",
    "LOGIN_STATUS",
    "SOURCE_IP",
    "LOGIN_TYPE",
];

/// The 15-character user id of account `a` and its 18-character form (case-safe suffix).
pub fn sf_ids(seed: u64, a: u32) -> (String, String) {
    let id15 = format!(
        "0055j00000{}",
        hash_token(&format!("user:{seed}:{a}"), 5, B62)
    );
    let id18 = sf_id18(&id15);
    (id15, id18)
}

/// The 18-character form of a 15-character Salesforce id: three characters, each encoding which
/// of five characters are upper case.
pub fn sf_id18(id15: &str) -> String {
    let suffix: String = id15
        .as_bytes()
        .chunks(5)
        .map(|c| {
            let bits = c
                .iter()
                .enumerate()
                .filter(|(_, b)| b.is_ascii_uppercase())
                .fold(0usize, |acc, (i, _)| acc | (1 << i));
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"[bits] as char
        })
        .collect();
    format!("{id15}{suffix}")
}

fn quote_all<S: AsRef<str>>(values: &[S]) -> String {
    let mut s = String::new();
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('"');
        s.push_str(&v.as_ref().replace('"', "\"\""));
        s.push('"');
    }
    s.push('\n');
    s
}

/// `yyyyMMddHHmmss.SSS` (the Event Log File `TIMESTAMP`).
fn sf_compact(ms: i64) -> String {
    match chrono::DateTime::from_timestamp_millis(ms) {
        Some(t) => t.format("%Y%m%d%H%M%S%.3f").to_string(),
        None => String::new(),
    }
}

/// `logs/YYYY-MM-DD_API.csv` and `logs/YYYY-MM-DD_Login.csv` per UTC day: one API row per event
/// (`METHOD_NAME` `query`), one Login row per session (an account's run of events from one IP
/// with one client, broken after three hours without events), 1-5 minutes before its first event
/// but on the same UTC day.
pub fn salesforce_files(t: &Tenant) -> Vec<(PathBuf, Vec<u8>)> {
    let seed = t.config.seed;
    let ids: Vec<(String, String)> = (0..t.accounts.len() as u32)
        .map(|a| sf_ids(seed, a))
        .collect();
    // Sessions: per account, the session (login time, keys) of each event.
    let mut last: Vec<Option<(i64, u32, u32, usize)>> = vec![None; t.accounts.len()];
    let mut logins: Vec<(i64, u32, u32, u32, String, String)> = Vec::new();
    let mut session_of: Vec<usize> = Vec::with_capacity(t.events.len());
    for (i, e) in t.events.iter().enumerate() {
        let a = e.account as usize;
        let same = matches!(last[a], Some((lt, ip, c, _))
            if ip == e.ip && c == e.client && e.time - lt < SF_SESSION_GAP);
        if !same {
            let day_start = e.time.div_euclid(MS_DAY) * MS_DAY;
            let key = format!("{seed}:{a}:{i}");
            let jitter = i64::from_str_radix(&hash_token(&format!("j{key}"), 5, HEX), 16)
                .unwrap_or(0)
                % 240_000;
            let lt = (e.time - 60_000 - jitter).max(day_start);
            logins.push((
                lt,
                e.account,
                e.ip,
                e.client,
                hash_token(&format!("session:{key}"), 16, B62),
                hash_token(&format!("login:{key}"), 16, B62),
            ));
            last[a] = Some((e.time, e.ip, e.client, logins.len() - 1));
        } else if let Some(l) = last[a].as_mut() {
            l.0 = e.time;
        }
        session_of.push(last[a].map_or(0, |l| l.3));
    }
    let uri = format!("/services/Soap/u/{SF_API_VERSION}/{SF_ORG_ID}");
    let mut api: std::collections::BTreeMap<i64, String> = Default::default();
    for (i, e) in t.events.iter().enumerate() {
        let (id15, id18) = &ids[e.account as usize];
        let l = &logins[session_of[i]];
        let client = &t.clients[e.client as usize];
        let run = 20 + e.records.min(100_000) / 50;
        let row = [
            "API",
            &sf_compact(e.time),
            &format!("4ex{}", hash_token(&format!("req:{seed}:{i}"), 19, B62)),
            SF_ORG_ID,
            id15,
            &run.to_string(),
            &(run / 2).to_string(),
            &uri,
            &l.4,
            &l.5,
            &t.ips[e.ip as usize],
            &ts_millis(e.time),
            id18,
            "",
            "query",
            if client == super::DATALOADER {
                "P"
            } else {
                "E"
            },
            SF_API_VERSION,
            "",
            e.object,
            &e.records.to_string(),
            &e.bytes.to_string(),
            client,
        ];
        api.entry(e.time.div_euclid(MS_DAY))
            .or_insert_with(|| quote_all(&[SF_COMMON.as_slice(), SF_API.as_slice()].concat()))
            .push_str(&quote_all(&row));
    }
    logins.sort_by_key(|l| (l.0, l.1));
    let mut login_files: std::collections::BTreeMap<i64, String> = Default::default();
    for (k, (lt, a, ip, c, sk, lk)) in logins.iter().enumerate() {
        let (id15, id18) = &ids[*a as usize];
        let client = &t.clients[*c as usize];
        let ltype = if client.starts_with("Mozilla/") {
            "Application"
        } else {
            "Remote Access 2.0"
        };
        let row = [
            "Login",
            &sf_compact(*lt),
            &format!(
                "4ex{}",
                hash_token(&format!("login-req:{seed}:{k}"), 19, B62)
            ),
            SF_ORG_ID,
            id15,
            "85",
            "40",
            "/index.jsp",
            sk,
            lk,
            &t.ips[*ip as usize],
            &ts_millis(*lt),
            id18,
            "",
            &t.accounts[*a as usize].name,
            client,
            "LOGIN_NO_ERROR",
            &t.ips[*ip as usize],
            ltype,
        ];
        login_files
            .entry(lt.div_euclid(MS_DAY))
            .or_insert_with(|| quote_all(&[SF_COMMON.as_slice(), SF_LOGIN.as_slice()].concat()))
            .push_str(&quote_all(&row));
    }
    let mut files = Vec::new();
    for (kind, per_day) in [("API", api), ("Login", login_files)] {
        for (day, text) in per_day {
            let name = format!("{}_{kind}.csv", &ts_millis(day * MS_DAY)[..10]);
            files.push((PathBuf::from("logs").join(name), text.into_bytes()));
        }
    }
    files
}

// --- AWS CloudTrail S3 data events ------------------------------------------------------------

/// The fictional AWS account, region and bucket.
pub const AWS_ACCOUNT: &str = "123456789012";
pub const AWS_REGION: &str = "eu-west-1";
pub const S3_BUCKET: &str = "northwind-crm-exports";
/// One `GetObject` per started 1,000 records of an event.
pub const S3_RECORDS_PER_OBJECT: i64 = 1000;

/// The IAM user ARN of an account (its e-mail's local part).
pub fn aws_arn(email: &str) -> String {
    let user = email.split('@').next().unwrap_or(email);
    format!("arn:aws:iam::{AWS_ACCOUNT}:user/{user}")
}

/// `logs/AWSLogs/<acct>/CloudTrail/<region>/YYYY/MM/DD/<acct>_CloudTrail_<region>_YYYYMMDDTHH00Z_<id>.json.gz`,
/// one delivery document `{"Records": [...]}` per UTC hour. Each event becomes one `GetObject` per
/// started 1,000 records, its bytes split among them (`bytesTransferredOut`), with the event's
/// second as `eventTime`, its IP and client.
pub fn cloudtrail_files(t: &Tenant) -> std::io::Result<Vec<(PathBuf, Vec<u8>)>> {
    let seed = t.config.seed;
    // Event indices by UTC hour; each hour's records are built, written and dropped in turn, so
    // memory holds one hour of JSON values, not the period's.
    let mut hours: std::collections::BTreeMap<i64, Vec<usize>> = Default::default();
    for (i, e) in t.events.iter().enumerate() {
        hours.entry(e.time.div_euclid(MS_HOUR)).or_default().push(i);
    }
    let records_of = |i: usize, records: &mut Vec<serde_json::Value>| {
        let e = &t.events[i];
        let name = &t.accounts[e.account as usize].name;
        let user = name.split('@').next().unwrap_or(name);
        let parts = ((e.records + S3_RECORDS_PER_OBJECT - 1) / S3_RECORDS_PER_OBJECT).max(1);
        let (base, rem) = (e.bytes / parts, e.bytes % parts);
        let stem = format!(
            "{}/{}/{}",
            e.object,
            &ts_millis(e.time)[..10],
            hash_token(&format!("key:{seed}:{i}"), 12, HEX)
        );
        let time = format!("{}Z", &ts_millis(e.time)[..19]);
        for k in 0..parts {
            let size = base + i64::from(k < rem);
            let key = if parts == 1 {
                format!("{stem}.csv")
            } else {
                format!("{stem}-part-{k:04}.csv")
            };
            let id = hash_token(&format!("evt:{seed}:{i}:{k}"), 32, HEX);
            records.push(serde_json::json!({
                    "eventVersion": "1.08",
                    "userIdentity": {
                        "type": "IAMUser",
                        "principalId": format!("AIDA{}", hash_token(&format!("principal:{user}"), 17, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")),
                        "arn": aws_arn(name),
                        "accountId": AWS_ACCOUNT,
                        "userName": user,
                    },
                    "eventTime": time,
                    "eventSource": "s3.amazonaws.com",
                    "eventName": "GetObject",
                    "awsRegion": AWS_REGION,
                    "sourceIPAddress": t.ips[e.ip as usize],
                    "userAgent": t.clients[e.client as usize],
                    "requestParameters": {"bucketName": S3_BUCKET, "key": key},
                    "responseElements": null,
                    "additionalEventData": {"bytesTransferredOut": size, "bytesTransferredIn": 0},
                    "requestID": hash_token(&format!("req:{seed}:{i}:{k}"), 16, b"0123456789ABCDEF"),
                    "eventID": format!("{}-{}-{}-{}-{}", &id[..8], &id[8..12], &id[12..16], &id[16..20], &id[20..]),
                    "readOnly": true,
                    "resources": [{"type": "AWS::S3::Object", "ARN": format!("arn:aws:s3:::{S3_BUCKET}/{key}")}],
                    "eventType": "AwsApiCall",
                    "managementEvent": false,
                    "recipientAccountId": AWS_ACCOUNT,
                    "eventCategory": "Data",
                }));
        }
    };
    let mut files = Vec::new();
    for (h, events) in hours {
        let mut records = Vec::new();
        for i in events {
            records_of(i, &mut records);
        }
        let stamp = ts_millis(h * MS_HOUR);
        let (y, m, d, hh) = (&stamp[..4], &stamp[5..7], &stamp[8..10], &stamp[11..13]);
        let name = format!(
            "{AWS_ACCOUNT}_CloudTrail_{AWS_REGION}_{y}{m}{d}T{hh}00Z_{}.json.gz",
            hash_token(&format!("file:{seed}:{h}"), 16, B62)
        );
        let body = serde_json::to_vec(&serde_json::json!({ "Records": records }))
            .map_err(std::io::Error::other)?;
        let path = PathBuf::from("logs")
            .join("AWSLogs")
            .join(AWS_ACCOUNT)
            .join("CloudTrail")
            .join(AWS_REGION)
            .join(y)
            .join(m)
            .join(d)
            .join(name);
        files.push((path, gzip(&body)?));
    }
    Ok(files)
}
