//! The configuration file (TOML): the organisation's time zone and business hours, per-account
//! overrides, detection thresholds, the history window, the state path, allowlists, temporary
//! suppressions and alert delivery.
//!
//! [`EXAMPLE`] is the reference: every key with its default and what it does (`exfilwatch config
//! init` writes it with [`write_example`]). Every table and key is optional; a missing one takes
//! its default ([`Config::default`]). Flags on the command line override the file.
//!
//! [`load`] and [`parse`] check everything before returning, so the rest of the program sees only
//! valid values. An error names the file and, whenever the parser knows where, `line:column`:
//! unknown keys (a misspelt key must not silently leave a default in place), wrong types,
//! invalid time zones, hours, days, networks, dates, out-of-range numbers, empty reasons, and a
//! URL or other non-name written where the *name* of an environment variable belongs. Errors
//! never repeat the value given for a `*_env` key, since that may be a secret.
//!
//! Rules, in one place (each is repeated on the item it governs):
//! * Business hours ([`BusinessHours`]): start inclusive, end exclusive, local time of the
//!   account's zone; a span may wrap past midnight, and the hours after midnight belong to the
//!   previous day's shift.
//! * Per-account overrides ([`AccountOverride`]) are resolved when the file is read: hours given
//!   without days take the organisation's days and vice versa.
//! * An allow entry ([`Allow::matches`]) with `ips` matches a window only when *every* source IP of
//!   the window is inside one of its ranges; a window without IPs, or with one that cannot be
//!   read, never matches `ips`.
//! * A suppression ([`Suppress::active_at`]) with a date lasts to the end of that day in the
//!   organisation's zone; with a timestamp, up to and including that instant.
//! * Relative paths (`state.path`, `delivery.ocsf_file`) are kept as written, so they are
//!   relative to the working directory of each run ([`Config::warnings`] mentions them).

mod hours;
mod ip;
#[cfg(test)]
mod tests;

pub use hours::BusinessHours;
pub use ip::{IpNet, IpNetError};

use crate::detect::{Factor, Severity};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, TimeDelta, Timelike, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::net::IpAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// `organisation.timezone` when not given.
pub const DEFAULT_TIMEZONE: Tz = Tz::UTC;
/// `detection.alert_budget` when not given.
pub const DEFAULT_ALERT_BUDGET: f64 = 1.0;
/// `detection.min_records` when not given.
pub const DEFAULT_MIN_RECORDS: i64 = 1_000;
/// `detection.min_bytes` when not given.
pub const DEFAULT_MIN_BYTES: i64 = 1_000_000;
/// `detection.min_severity` when not given.
pub const DEFAULT_MIN_SEVERITY: Severity = Severity::High;
/// `detection.fail_on` when not given.
pub const DEFAULT_FAIL_ON: Severity = Severity::High;
/// `history.window_days` when not given, and its range.
pub const DEFAULT_WINDOW_DAYS: u32 = 90;
pub const MIN_WINDOW_DAYS: u32 = 7;
pub const MAX_WINDOW_DAYS: u32 = 3650;
/// `delivery.timeout_secs` when not given, and its largest value.
pub const DEFAULT_TIMEOUT_SECS: u64 = 10;
pub const MAX_TIMEOUT_SECS: u64 = 300;
/// `delivery.retries` when not given, and its largest value.
pub const DEFAULT_RETRIES: u32 = 4;
pub const MAX_RETRIES: u32 = 10;
/// The factors a suppression may name (`suppress.factor`), as alerts name them.
pub const FACTORS: [&str; Factor::ALL.len()] = {
    let mut names = [""; Factor::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = crate::detect::Factor::ALL[i].as_str();
        i += 1;
    }
    names
};
/// A suppression lasting longer than this from now draws a warning ([`Config::warnings`]).
const LONG_SUPPRESSION_DAYS: i64 = 366;

/// A whole configuration, validated; [`Config::default`] is what an empty file gives.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    pub organisation: Organisation,
    /// Per-account overrides, by exact account name.
    pub accounts: BTreeMap<String, AccountOverride>,
    pub detection: Detection,
    pub history: History,
    pub state: StateCfg,
    /// Allowlist entries, in file order.
    pub allow: Vec<Allow>,
    /// Temporary suppressions, in file order.
    pub suppress: Vec<Suppress>,
    pub delivery: Delivery,
}

/// `[organisation]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Organisation {
    /// Local hours, days and report dates are in this zone, and suppression dates end in it.
    pub timezone: Tz,
    /// `business_hours` and `business_days` together.
    pub business_hours: BusinessHours,
}

impl Default for Organisation {
    /// UTC, 08:00-18:00 Monday to Friday.
    fn default() -> Self {
        Organisation {
            timezone: DEFAULT_TIMEZONE,
            business_hours: BusinessHours::default(),
        }
    }
}

/// `[accounts."NAME"]`: what differs for one account. `None` falls back to [`Organisation`].
/// `business_hours` is resolved when the file is read: an override giving only hours has the
/// organisation's days, one giving only days has the organisation's hours.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AccountOverride {
    pub timezone: Option<Tz>,
    pub business_hours: Option<BusinessHours>,
}

/// `[detection]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Expected false alerts at `high` or above per 10,000 active account-days; > 0.
    pub alert_budget: f64,
    /// A window is a bulk export from this many records; >= 1.
    pub min_records: i64,
    /// A window is a bulk export from this many bytes; >= 1.
    pub min_bytes: i64,
    /// Lowest severity reported.
    pub min_severity: Severity,
    /// The run exits with code 1 when an alert at or above this severity is raised.
    pub fail_on: Severity,
}

impl Default for Detection {
    fn default() -> Self {
        Detection {
            alert_budget: DEFAULT_ALERT_BUDGET,
            min_records: DEFAULT_MIN_RECORDS,
            min_bytes: DEFAULT_MIN_BYTES,
            min_severity: DEFAULT_MIN_SEVERITY,
            fail_on: DEFAULT_FAIL_ON,
        }
    }
}

/// `[history]`.
#[derive(Debug, Clone, PartialEq)]
pub struct History {
    /// History older than this many days ages out of the baselines;
    /// [`MIN_WINDOW_DAYS`]..=[`MAX_WINDOW_DAYS`].
    pub window_days: u32,
}

impl Default for History {
    fn default() -> Self {
        History {
            window_days: DEFAULT_WINDOW_DAYS,
        }
    }
}

/// `[state]`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct StateCfg {
    /// The SQLite state file, as written (a relative path is relative to the working directory).
    pub path: Option<PathBuf>,
}

/// `[[allow]]`: known benign activity that never alerts. At least one of `account` and `ips` is
/// set (checked when read); `reason` is not blank.
#[derive(Debug, Clone, PartialEq)]
pub struct Allow {
    /// Exact account name.
    pub account: Option<String>,
    /// Source networks; empty when the entry has no `ips`.
    pub ips: Vec<IpNet>,
    pub reason: String,
}

impl Allow {
    /// Whether a window of `account` with source addresses `ips` is allowed:
    /// * `account` only: every window of that account;
    /// * `ips` only: a window of any account whose source IPs are all inside the ranges;
    /// * both: a window of that account whose source IPs are all inside the ranges.
    ///
    /// For an `ips` rule, a window without any source IP, or with one that does not parse as an
    /// IP address (as is, no trimming), does not match. Account names compare exactly.
    pub fn matches(&self, account: &str, ips: &[&str]) -> bool {
        if let Some(a) = &self.account {
            if a != account {
                return false;
            }
        }
        if self.ips.is_empty() {
            return self.account.is_some();
        }
        !ips.is_empty()
            && ips.iter().all(|s| match s.parse::<IpAddr>() {
                Ok(ip) => self.ips.iter().any(|net| net.contains(ip)),
                Err(_) => false,
            })
    }
}

/// When a suppression ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// The end of this day (inclusive) in the organisation's time zone.
    Date(NaiveDate),
    /// This instant (inclusive).
    Instant(DateTime<FixedOffset>),
}

/// `2026-12-31` or `2026-12-31T18:00:00+01:00`.
impl fmt::Display for Until {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Until::Date(d) => write!(f, "{}", d.format("%Y-%m-%d")),
            Until::Instant(t) => write!(f, "{}", t.to_rfc3339()),
        }
    }
}

/// `[[suppress]]`: a temporary suppression of an account's alerts.
#[derive(Debug, Clone, PartialEq)]
pub struct Suppress {
    /// Exact account name.
    pub account: String,
    /// Only alerts whose leading factor is this (one of [`FACTORS`]); `None`: all its alerts.
    pub factor: Option<String>,
    pub until: Until,
    pub reason: String,
}

impl Suppress {
    /// Whether the suppression still holds at `now_utc`: for a date, while the date in `org_tz`
    /// is on or before it (so it ends at local midnight after that day); for a timestamp, while
    /// `now_utc` is at or before it.
    pub fn active_at(&self, now_utc: DateTime<Utc>, org_tz: Tz) -> bool {
        match self.until {
            Until::Date(d) => now_utc.with_timezone(&org_tz).date_naive() <= d,
            Until::Instant(t) => now_utc <= t.with_timezone(&Utc),
        }
    }

    /// Whether it covers an alert of `account` led by `leading_factor` (exact comparisons; a
    /// suppression without `factor` covers every factor). Expiry is [`Suppress::active_at`].
    pub fn matches(&self, account: &str, leading_factor: &str) -> bool {
        self.account == account && self.factor.as_deref().is_none_or(|f| f == leading_factor)
    }

    /// Whether it is still active more than `days` days after `now_utc`.
    fn lasts_beyond(&self, now_utc: DateTime<Utc>, org_tz: Tz, days: i64) -> bool {
        self.active_at(now_utc + TimeDelta::days(days), org_tz)
    }
}

/// `[delivery]`. The `*_env` fields are names of environment variables (checked to be names),
/// read at run time; the URLs and secret never appear in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub webhook_url_env: Option<String>,
    pub webhook_secret_env: Option<String>,
    pub slack_url_env: Option<String>,
    /// Findings appended as OCSF JSON Lines, as written.
    pub ocsf_file: Option<PathBuf>,
    /// Per request; 1..=[`MAX_TIMEOUT_SECS`].
    pub timeout_secs: u64,
    /// After the first attempt fails; 0..=[`MAX_RETRIES`].
    pub retries: u32,
}

impl Default for Delivery {
    fn default() -> Self {
        Delivery {
            webhook_url_env: None,
            webhook_secret_env: None,
            slack_url_env: None,
            ocsf_file: None,
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            retries: DEFAULT_RETRIES,
        }
    }
}

impl Config {
    /// The account's time zone: its override, else the organisation's.
    pub fn timezone_for(&self, account: &str) -> Tz {
        self.accounts
            .get(account)
            .and_then(|o| o.timezone)
            .unwrap_or(self.organisation.timezone)
    }

    /// The account's business hours: its override (resolved against the organisation's, see
    /// [`AccountOverride`]), else the organisation's.
    pub fn business_hours_for(&self, account: &str) -> &BusinessHours {
        self.accounts
            .get(account)
            .and_then(|o| o.business_hours.as_ref())
            .unwrap_or(&self.organisation.business_hours)
    }

    /// Whether instant `at` falls in the account's business hours, in the account's time zone.
    pub fn in_business_hours(&self, account: &str, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&self.timezone_for(account));
        self.business_hours_for(account)
            .contains(local.weekday(), local.hour() * 60 + local.minute())
    }

    /// The first allow entry that matches ([`Allow::matches`]).
    pub fn allowed_by(&self, account: &str, ips: &[&str]) -> Option<&Allow> {
        self.allow.iter().find(|a| a.matches(account, ips))
    }

    /// The first suppression active at `now_utc` that covers the alert ([`Suppress::matches`]).
    pub fn suppressed_by(
        &self,
        account: &str,
        leading_factor: &str,
        now_utc: DateTime<Utc>,
    ) -> Option<&Suppress> {
        self.suppress.iter().find(|s| {
            s.matches(account, leading_factor) && s.active_at(now_utc, self.organisation.timezone)
        })
    }

    /// Things in a valid file that are probably mistakes, one sentence each, for stderr:
    /// expired suppressions, suppressions lasting more than a year, very wide allowed networks
    /// (IPv4 wider than /8, IPv6 wider than /16), `fail_on` below `min_severity`, account
    /// overrides that set nothing, relative paths.
    pub fn warnings(&self, now: DateTime<Utc>) -> Vec<String> {
        let mut out = Vec::new();
        let tz = self.organisation.timezone;
        for (i, s) in self.suppress.iter().enumerate() {
            let what = format!(
                "[[suppress]] entry {} (account {:?}{}, until {})",
                i + 1,
                s.account,
                match &s.factor {
                    Some(f) => format!(", factor {f}"),
                    None => String::new(),
                },
                s.until
            );
            if !s.active_at(now, tz) {
                out.push(format!(
                    "{what} has expired and suppresses nothing; remove it"
                ));
            } else if s.lasts_beyond(now, tz, LONG_SUPPRESSION_DAYS) {
                out.push(format!(
                    "{what} lasts more than a year; suppressions are meant to be temporary \
                     (use [[allow]] for known benign activity)"
                ));
            }
        }
        for (i, a) in self.allow.iter().enumerate() {
            for net in &a.ips {
                let wide = match net.addr() {
                    IpAddr::V4(_) => net.prefix_len() < 8,
                    IpAddr::V6(_) => net.prefix_len() < 16,
                };
                if wide {
                    out.push(format!(
                        "[[allow]] entry {} allows {net}, a very large part of the Internet",
                        i + 1
                    ));
                }
            }
        }
        let d = &self.detection;
        if d.fail_on < d.min_severity {
            out.push(format!(
                "detection.fail_on ({}) is below detection.min_severity ({}): a run can fail on \
                 an alert it does not report",
                d.fail_on.as_str(),
                d.min_severity.as_str()
            ));
        }
        for (name, o) in &self.accounts {
            if o.timezone.is_none() && o.business_hours.is_none() {
                out.push(format!("[accounts.{name:?}] sets nothing"));
            }
        }
        let paths = [
            ("state.path", &self.state.path),
            ("delivery.ocsf_file", &self.delivery.ocsf_file),
        ];
        for (key, p) in paths {
            if let Some(p) = p {
                if p.is_relative() {
                    out.push(format!(
                        "{key} {:?} is relative: it is taken from the working directory of each \
                         run (and '~' is not expanded); use an absolute path",
                        p.display().to_string()
                    ));
                }
            }
        }
        out
    }
}

/// Why a configuration could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The text is not a valid configuration. `origin` is the file (or what `parse` was told);
    /// `position` is (line, column), both from 1, when known.
    #[error("{origin}{}: {message}", at(.position))]
    Invalid {
        origin: String,
        position: Option<(usize, usize)>,
        message: String,
    },
    #[error("{}: cannot read the configuration: {source}", .path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: already exists; not overwritten (use --force to replace it)", .path.display())]
    Exists { path: PathBuf },
    #[error("{}: cannot write: {source}", .path.display())]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn at(position: &Option<(usize, usize)>) -> String {
    match position {
        Some((line, col)) => format!(":{line}:{col}"),
        None => String::new(),
    }
}

impl ConfigError {
    /// The line (from 1) an [`ConfigError::Invalid`] error points at, when known.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Invalid { position, .. } => position.map(|(l, _)| l),
            _ => None,
        }
    }
}

/// Reads and validates the configuration file at `path`.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    parse(&text, &path.display().to_string())
}

/// Parses and validates configuration text; `origin` names it in errors (usually the path).
pub fn parse(text: &str, origin: &str) -> Result<Config, ConfigError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let ctx = Ctx { text, origin };
    let raw: RawConfig = toml::from_str(text).map_err(|e| {
        let message = e.message().trim_end();
        match message.strip_prefix("unknown field ") {
            Some(rest) => ctx.at(e.span(), format!("unknown key {rest}")),
            None => ctx.at(e.span(), message),
        }
    })?;
    ctx.build(raw)
}

/// Writes [`EXAMPLE`] to `path`. An existing file is left alone ([`ConfigError::Exists`]) unless
/// `force`. The parent directory must exist.
pub fn write_example(path: &Path, force: bool) -> Result<(), ConfigError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if force {
        options.create(true).truncate(true);
    } else {
        options.create_new(true); // atomic: never replaces a file that appears meanwhile
    }
    let write_err = |source| ConfigError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = options.open(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::AlreadyExists {
            ConfigError::Exists {
                path: path.to_path_buf(),
            }
        } else {
            write_err(e)
        }
    })?;
    file.write_all(EXAMPLE.as_bytes()).map_err(write_err)?;
    file.flush().map_err(write_err)
}

/// The commented example configuration (`exfilwatch config init`). The active keys show the
/// defaults; lines starting `#` directly followed by a key or table are examples switched off.
pub const EXAMPLE: &str = r##"# exfilwatch configuration (TOML).
#
# Every table and key is optional: what is left out takes the default shown here. Flags on the
# command line override this file (e.g. --timezone, --alert-budget, --min-records, --min-bytes,
# --min-severity, --fail-on, --history-days, --state, --ocsf). An unknown key is an error, so a misspelt key cannot silently leave a
# default in place. Lines starting with '#' directly followed by a key or a table header are
# examples switched off: remove the '#' to use them.

[organisation]
# IANA time zone name of the organisation, e.g. "Europe/London" or "America/New_York". Local
# hours, days and report dates are in this zone, and suppression dates end at its midnight.
timezone = "UTC"
# Business hours are not a detection input (detection learns each account's own working hours
# from its history): an hourly alert that lies wholly outside them says so in its explanation.
# An account's `timezone` override is a detection input: its days and hours are taken in it.
#
# Normal working hours, local time, "HH:MM-HH:MM": the start minute is inside, the end minute is
# not; "24:00" may end a span ("00:00-24:00" is all day). A start later than the end wraps past
# midnight ("22:00-06:00"): the hours after midnight belong to the shift that began the evening
# before, so they are business hours only when that previous day is a business day.
business_hours = "08:00-18:00"
# The days on which business hours start: mon, tue, wed, thu, fri, sat, sun.
business_days = ["mon", "tue", "wed", "thu", "fri"]

# Per-account overrides: one table per account, named by the exact account name in quotes. Each
# key is optional and otherwise comes from [organisation]; hours given without days use the
# organisation's days, and days without hours the organisation's hours.
#[accounts."night.agent@example.com"]
#timezone = "Asia/Manila"
#business_hours = "22:00-06:00"
#business_days = ["mon", "tue", "wed", "thu", "fri"]

[detection]
# False alerts at `high` or above to expect per 10,000 active account-days (more than 0). It sets
# the score from which a finding is `high`: lower means fewer, surer alerts.
alert_budget = 1.0
# A window counts as a bulk export from this many records (at least 1) ...
min_records = 1000
# ... or from this many bytes (at least 1): about 1,000 records of 1 KB, the same bar.
min_bytes = 1000000
# The lowest severity reported: low, medium, high or critical.
min_severity = "high"
# The run exits with code 1 when it raises an alert at or above this severity (for cron and CI).
fail_on = "high"

[history]
# Days of history in the per-account baselines (7 to 3650). Older activity ages out, so the
# baselines follow gradual change in how an account works.
window_days = 90

[state]
# The SQLite file that keeps baselines between runs of `detect --state`. Use an absolute path: a
# relative one is relative to the working directory of each run ('~' is not expanded).
#path = "/var/lib/exfilwatch/state.db"

# Allowlist: known benign activity that never alerts. Repeat [[allow]] for each entry. An entry
# needs a reason and at least one of:
#   account  the exact account name;
#   ips      source addresses or CIDR networks, IPv4 or IPv6 (an IPv4-mapped IPv6 address such
#            as ::ffff:203.0.113.7 matches IPv4 ranges).
# With only `account`, that account never alerts. With only `ips`, a window of any account is
# allowed when all its source IPs are inside the ranges. With both, a window of that account is
# allowed when all its source IPs are inside the ranges. A window without a source IP, or with
# one that cannot be read as an address, never matches `ips`.
#[[allow]]
#account = "svc-nightly-export"
#ips = ["203.0.113.0/24", "2001:db8::/32"]
#reason = "nightly CRM backup job (CHG-1234)"

# Temporary suppressions: alerts for `account` are not raised until `until`. Repeat [[suppress]]
# for each. `factor` (optional) limits it to alerts led by that factor: volume, off_hours,
# new_ip, new_client, breadth, new_objects, dormant, run, shared_ip or exports. `until` is a
# date, "YYYY-MM-DD", included to its end in the organisation's time zone, or an RFC 3339
# timestamp with an offset, "2026-12-31T18:00:00Z", included. A reason is required. Expired
# entries are reported as warnings.
#[[suppress]]
#account = "maria.oconnor"
#factor = "off_hours"
#until = "2026-12-31"
#reason = "migration weekend, ticket SEC-42"

[delivery]
# Where alerts go besides the output. The *_env keys hold the NAMES of environment variables,
# never a URL or secret: set the variables in the environment exfilwatch runs in (e.g. the cron
# job), so that secrets stay out of this file.
# Variable holding the URL that each alert is POSTed to as JSON.
#webhook_url_env = "EXFILWATCH_WEBHOOK_URL"
# Variable holding the shared secret with which webhook requests are signed.
#webhook_secret_env = "EXFILWATCH_WEBHOOK_SECRET"
# Variable holding a Slack incoming-webhook URL.
#slack_url_env = "EXFILWATCH_SLACK_URL"
# File to which findings are appended as OCSF JSON Lines (absolute path recommended).
#ocsf_file = "/var/log/exfilwatch/findings.ocsf.jsonl"
# Seconds to wait for each delivery request (1 to 300).
timeout_secs = 10
# Attempts after a failed delivery before giving up (0 to 10).
retries = 4
"##;

// ---------------------------------------------------------------------------------------------
// Reading: serde fills these raw tables (rejecting unknown keys and wrong types, with spans),
// then `Ctx::build` checks values and converts them, pointing errors at the offending value.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    organisation: Option<RawOrganisation>,
    accounts: Option<BTreeMap<String, Spanned<RawAccount>>>,
    detection: Option<RawDetection>,
    history: Option<RawHistory>,
    state: Option<RawState>,
    allow: Option<Vec<Spanned<RawAllow>>>,
    suppress: Option<Vec<Spanned<RawSuppress>>>,
    delivery: Option<RawDelivery>,
}

type Str = Spanned<String>;
type StrList = Spanned<Vec<Str>>;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOrganisation {
    timezone: Option<Str>,
    business_hours: Option<Str>,
    business_days: Option<StrList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAccount {
    timezone: Option<Str>,
    business_hours: Option<Str>,
    business_days: Option<StrList>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDetection {
    alert_budget: Option<Spanned<f64>>,
    min_records: Option<Spanned<i64>>,
    min_bytes: Option<Spanned<i64>>,
    min_severity: Option<Str>,
    fail_on: Option<Str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawHistory {
    window_days: Option<Spanned<i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawState {
    path: Option<Str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAllow {
    account: Option<Str>,
    ips: Option<StrList>,
    reason: Option<Str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSuppress {
    account: Option<Str>,
    factor: Option<Str>,
    until: Option<Spanned<toml::Value>>,
    reason: Option<Str>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDelivery {
    webhook_url_env: Option<Str>,
    webhook_secret_env: Option<Str>,
    slack_url_env: Option<Str>,
    ocsf_file: Option<Str>,
    timeout_secs: Option<Spanned<i64>>,
    retries: Option<Spanned<i64>>,
}

/// The text being read and its name, for errors with positions.
struct Ctx<'a> {
    text: &'a str,
    origin: &'a str,
}

impl Ctx<'_> {
    fn at(&self, span: Option<Range<usize>>, message: impl AsRef<str>) -> ConfigError {
        ConfigError::Invalid {
            origin: self.origin.to_string(),
            position: span.map(|s| line_col(self.text, s.start)),
            message: printable(message.as_ref()),
        }
    }

    fn err<T>(&self, value: &Spanned<T>, message: impl AsRef<str>) -> ConfigError {
        self.at(Some(value.span()), message)
    }

    fn build(&self, raw: RawConfig) -> Result<Config, ConfigError> {
        let organisation = match raw.organisation {
            Some(o) => self.organisation(o)?,
            None => Organisation::default(),
        };
        let mut accounts = BTreeMap::new();
        for (name, table) in raw.accounts.unwrap_or_default() {
            let o = self.account(&name, table, &organisation.business_hours)?;
            accounts.insert(name, o);
        }
        let detection = match raw.detection {
            Some(d) => self.detection(d)?,
            None => Detection::default(),
        };
        let history = match raw.history.and_then(|h| h.window_days) {
            Some(w) => History {
                window_days: self.int(
                    &w,
                    "history.window_days",
                    MIN_WINDOW_DAYS.into(),
                    MAX_WINDOW_DAYS.into(),
                )? as u32,
            },
            None => History::default(),
        };
        let state = StateCfg {
            path: match raw.state.and_then(|s| s.path) {
                Some(p) => Some(self.path(&p, "state.path")?),
                None => None,
            },
        };
        let allow = (raw.allow.unwrap_or_default().iter())
            .map(|a| self.allow(a))
            .collect::<Result<_, _>>()?;
        let suppress = (raw.suppress.unwrap_or_default().iter())
            .map(|s| self.suppress(s))
            .collect::<Result<_, _>>()?;
        let delivery = match raw.delivery {
            Some(d) => self.delivery(d)?,
            None => Delivery::default(),
        };
        Ok(Config {
            organisation,
            accounts,
            detection,
            history,
            state,
            allow,
            suppress,
            delivery,
        })
    }

    fn organisation(&self, o: RawOrganisation) -> Result<Organisation, ConfigError> {
        Ok(Organisation {
            timezone: match &o.timezone {
                Some(t) => self.timezone(t, "organisation.timezone")?,
                None => DEFAULT_TIMEZONE,
            },
            business_hours: self.hours(
                o.business_hours.as_ref(),
                o.business_days.as_ref(),
                &BusinessHours::default(),
                "organisation",
            )?,
        })
    }

    fn account(
        &self,
        name: &str,
        table: Spanned<RawAccount>,
        org_hours: &BusinessHours,
    ) -> Result<AccountOverride, ConfigError> {
        let key = format!("accounts.{name:?}");
        if name.trim().is_empty() || name.trim() != name {
            return Err(self.err(
                &table,
                format!("[{key}]: an account name must not be empty or begin or end with spaces"),
            ));
        }
        let a = table.get_ref();
        Ok(AccountOverride {
            timezone: match &a.timezone {
                Some(t) => Some(self.timezone(t, &format!("{key}.timezone"))?),
                None => None,
            },
            business_hours: if a.business_hours.is_some() || a.business_days.is_some() {
                Some(self.hours(
                    a.business_hours.as_ref(),
                    a.business_days.as_ref(),
                    org_hours,
                    &key,
                )?)
            } else {
                None
            },
        })
    }

    fn timezone(&self, value: &Str, key: &str) -> Result<Tz, ConfigError> {
        let s = value.get_ref();
        s.parse::<Tz>().map_err(|_| {
            let hint = chrono_tz::TZ_VARIANTS
                .iter()
                .find(|t| t.name().eq_ignore_ascii_case(s));
            self.err(
                value,
                match hint {
                    Some(t) => format!(
                        "{key} = {s:?}: not an IANA time zone name; did you mean {:?}?",
                        t.name()
                    ),
                    None => format!(
                        "{key} = {s:?}: not an IANA time zone name (e.g. \"Europe/London\", \
                         \"America/New_York\", \"UTC\")"
                    ),
                },
            )
        })
    }

    /// Hours and days from a table, each falling back to `base`.
    fn hours(
        &self,
        hours: Option<&Str>,
        days: Option<&StrList>,
        base: &BusinessHours,
        table: &str,
    ) -> Result<BusinessHours, ConfigError> {
        let base = match hours {
            Some(h) => {
                let (start, end) = hours::parse_span(h.get_ref())
                    .map_err(|m| self.err(h, format!("{table}.business_hours: {m}")))?;
                BusinessHours::new(start, end, &base.days())
                    .map_err(|m| self.err(h, format!("{table}.business_hours: {m}")))?
            }
            None => base.clone(),
        };
        match days {
            None => Ok(base),
            Some(list) => {
                let mut parsed = Vec::new();
                for d in list.get_ref() {
                    parsed.push(
                        hours::parse_day(d.get_ref())
                            .map_err(|m| self.err(d, format!("{table}.business_days: {m}")))?,
                    );
                }
                base.with_days(&parsed)
                    .map_err(|m| self.err(list, format!("{table}.business_days: {m}")))
            }
        }
    }

    fn detection(&self, d: RawDetection) -> Result<Detection, ConfigError> {
        let mut out = Detection::default();
        if let Some(b) = &d.alert_budget {
            let v = *b.get_ref();
            if !(v > 0.0 && v.is_finite()) {
                return Err(self.err(
                    b,
                    format!("detection.alert_budget = {v}: must be a number greater than 0"),
                ));
            }
            out.alert_budget = v;
        }
        if let Some(v) = &d.min_records {
            out.min_records = self.int(v, "detection.min_records", 1, i64::MAX)?;
        }
        if let Some(v) = &d.min_bytes {
            out.min_bytes = self.int(v, "detection.min_bytes", 1, i64::MAX)?;
        }
        if let Some(v) = &d.min_severity {
            out.min_severity = self.severity(v, "detection.min_severity")?;
        }
        if let Some(v) = &d.fail_on {
            out.fail_on = self.severity(v, "detection.fail_on")?;
        }
        Ok(out)
    }

    fn int(&self, v: &Spanned<i64>, key: &str, lo: i64, hi: i64) -> Result<i64, ConfigError> {
        let n = *v.get_ref();
        if n < lo || n > hi {
            return Err(self.err(
                v,
                if hi == i64::MAX {
                    format!("{key} = {n}: must be at least {lo}")
                } else {
                    format!("{key} = {n}: must be {lo} to {hi}")
                },
            ));
        }
        Ok(n)
    }

    fn severity(&self, v: &Str, key: &str) -> Result<Severity, ConfigError> {
        Severity::parse(v.get_ref()).ok_or_else(|| {
            self.err(
                v,
                format!(
                    "{key} = {:?}: must be one of low, medium, high, critical",
                    v.get_ref()
                ),
            )
        })
    }

    fn path(&self, v: &Str, key: &str) -> Result<PathBuf, ConfigError> {
        if v.get_ref().trim().is_empty() {
            return Err(self.err(
                v,
                format!("{key} is empty: give a file path or leave it out"),
            ));
        }
        Ok(PathBuf::from(v.get_ref()))
    }

    /// A non-blank text, as written.
    fn text(&self, v: &Str, key: &str, what: &str) -> Result<String, ConfigError> {
        if v.get_ref().trim().is_empty() {
            return Err(self.err(v, format!("{key} is empty: {what}")));
        }
        Ok(v.get_ref().clone())
    }

    /// An account name: non-empty, without surrounding spaces (names compare exactly).
    fn account_name(&self, v: &Str, key: &str) -> Result<String, ConfigError> {
        let s = v.get_ref();
        if s.trim().is_empty() || s.trim() != s {
            return Err(self.err(
                v,
                format!(
                    "{key} = {s:?}: an account name must not be empty or begin or end with spaces"
                ),
            ));
        }
        Ok(s.clone())
    }

    fn allow(&self, entry: &Spanned<RawAllow>) -> Result<Allow, ConfigError> {
        let a = entry.get_ref();
        let account = match &a.account {
            Some(v) => Some(self.account_name(v, "allow.account")?),
            None => None,
        };
        let mut ips = Vec::new();
        if let Some(list) = &a.ips {
            if list.get_ref().is_empty() {
                return Err(self.err(
                    list,
                    "allow.ips is empty: list addresses or networks, or leave `ips` out to allow \
                     the account from anywhere",
                ));
            }
            for s in list.get_ref() {
                ips.push(
                    IpNet::parse(s.get_ref())
                        .map_err(|e| self.err(s, format!("allow.ips: {e}")))?,
                );
            }
        }
        if account.is_none() && ips.is_empty() {
            return Err(self.err(
                entry,
                "[[allow]] entry needs `account`, `ips` or both: an entry without either would \
                 allow everything",
            ));
        }
        let reason = match &a.reason {
            Some(r) => self.text(r, "allow.reason", "say why this activity is benign")?,
            None => {
                return Err(self.err(
                    entry,
                    "[[allow]] entry needs a `reason`: say why this activity is benign",
                ))
            }
        };
        Ok(Allow {
            account,
            ips,
            reason,
        })
    }

    fn suppress(&self, entry: &Spanned<RawSuppress>) -> Result<Suppress, ConfigError> {
        let s = entry.get_ref();
        let missing = |key: &str, what: &str| {
            self.err(entry, format!("[[suppress]] entry needs `{key}`: {what}"))
        };
        let account = match &s.account {
            Some(v) => self.account_name(v, "suppress.account")?,
            None => return Err(missing("account", "the exact account name")),
        };
        let factor = match &s.factor {
            Some(v) if FACTORS.contains(&v.get_ref().as_str()) => Some(v.get_ref().clone()),
            Some(v) => {
                return Err(self.err(
                    v,
                    format!(
                        "suppress.factor = {:?}: must be one of {}",
                        v.get_ref(),
                        FACTORS.join(", ")
                    ),
                ))
            }
            None => None,
        };
        let until = match &s.until {
            Some(v) => self.until(v)?,
            None => {
                return Err(missing(
                    "until",
                    "when it ends, a date \"YYYY-MM-DD\" or an RFC 3339 timestamp",
                ))
            }
        };
        let reason = match &s.reason {
            Some(r) => self.text(r, "suppress.reason", "say why the alerts are expected")?,
            None => return Err(missing("reason", "say why the alerts are expected")),
        };
        Ok(Suppress {
            account,
            factor,
            until,
            reason,
        })
    }

    /// A string or a TOML date / offset date-time.
    fn until(&self, v: &Spanned<toml::Value>) -> Result<Until, ConfigError> {
        let text = match v.get_ref() {
            toml::Value::String(s) => s.clone(),
            toml::Value::Datetime(d) => d.to_string(),
            _ => {
                return Err(self.err(
                    v,
                    "suppress.until: must be a date \"YYYY-MM-DD\" or an RFC 3339 timestamp \
                     such as \"2026-12-31T18:00:00Z\"",
                ))
            }
        };
        parse_until(&text).map_err(|m| self.err(v, format!("suppress.until: {m}")))
    }

    fn delivery(&self, d: RawDelivery) -> Result<Delivery, ConfigError> {
        let env = |v: &Option<Str>, key: &str| match v {
            Some(v) => self.env_name(v, key).map(Some),
            None => Ok(None),
        };
        Ok(Delivery {
            webhook_url_env: env(&d.webhook_url_env, "webhook_url_env")?,
            webhook_secret_env: env(&d.webhook_secret_env, "webhook_secret_env")?,
            slack_url_env: env(&d.slack_url_env, "slack_url_env")?,
            ocsf_file: match &d.ocsf_file {
                Some(p) => Some(self.path(p, "delivery.ocsf_file")?),
                None => None,
            },
            timeout_secs: match &d.timeout_secs {
                Some(v) => self.int(v, "delivery.timeout_secs", 1, MAX_TIMEOUT_SECS as i64)? as u64,
                None => DEFAULT_TIMEOUT_SECS,
            },
            retries: match &d.retries {
                Some(v) => self.int(v, "delivery.retries", 0, MAX_RETRIES.into())? as u32,
                None => DEFAULT_RETRIES,
            },
        })
    }

    /// The name of an environment variable. The value is never echoed: it may be a secret.
    fn env_name(&self, v: &Str, key: &str) -> Result<String, ConfigError> {
        let s = v.get_ref();
        let example = format!(
            "EXFILWATCH_{}",
            key.trim_end_matches("_env").to_ascii_uppercase()
        );
        // A URL; anything else that is not a name is refused below. "HTTP_HOOK" is a name.
        let lower = s.trim_start().to_ascii_lowercase();
        if lower.starts_with("http:") || lower.starts_with("https:") || s.contains("://") {
            return Err(self.err(
                v,
                format!(
                    "delivery.{key} holds a URL (not repeated here); put the name of an \
                     environment variable there instead, e.g. {key} = \"{example}\", and set \
                     that variable to the URL where exfilwatch runs"
                ),
            ));
        }
        let is_name = s.bytes().next().is_some_and(|b| !b.is_ascii_digit())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        if !is_name {
            return Err(self.err(
                v,
                format!(
                    "delivery.{key} is not the name of an environment variable (value not \
                     repeated here; letters, digits and '_', not starting with a digit): put \
                     the name of a variable there, e.g. {key} = \"{example}\", never the \
                     secret or URL itself"
                ),
            ));
        }
        Ok(s.clone())
    }
}

/// `YYYY-MM-DD` or RFC 3339 with an offset.
fn parse_until(s: &str) -> Result<Until, String> {
    if s.len() == 10 {
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Ok(Until::Date(d));
        }
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(Until::Instant(t));
    }
    let local = [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%d %H:%M:%S%.f",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .any(|f| NaiveDateTime::parse_from_str(s, f).is_ok());
    Err(if local {
        format!(
            "{s:?} has no UTC offset: add one (\"Z\" or \"+01:00\"), or give just a date, \
             which ends at midnight in the organisation's time zone"
        )
    } else {
        format!(
            "{s:?} is not a date \"YYYY-MM-DD\" or an RFC 3339 timestamp such as \
             \"2026-12-31T18:00:00Z\""
        )
    })
}

/// (line, column), from 1, of byte offset `offset`; the column counts characters.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let mut i = offset.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    let before = &text[..i];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
    (line, column)
}

/// Control characters (from keys or values quoted in messages) escaped, so that an error
/// printed on a terminal cannot carry escape sequences.
fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            let escaped: Vec<char> = if c.is_control() && c != '\n' {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            escaped
        })
        .collect()
}
