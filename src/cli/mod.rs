//! The command line: clap parses raw options, which become one plain settings struct
//! ([`ScanSettings`], [`EvalSettings`], [`GenerateSettings`]) before any work starts; nothing below this module sees clap types. This is
//! the only module that prints: results to stdout, the run summary and diagnostics to stderr.
//!
//! Exit codes ([`Exit`]): 0 success and no alert at or above `--fail-on`, 1 an alert at or above
//! `--fail-on`, 2 usage or configuration error, 3 input could not be read at all, 4 internal
//! error, 5 the state is held by another run.

pub mod jobs;

use crate::alert::{
    self, sanitize::cell, sanitize::csv_cell, sanitize::neutralize, thousands, Alert,
};
use crate::config::Config;
use crate::detect::{self, DetectConfig, Detection, Severity};
use crate::eval::{self, AccountDays, EvalConfig, EvalError, Evaluation};
use crate::features::{self, FeatureConfig, WindowKind};
use crate::formats::{generic::ColumnMap, Format};
use crate::generate::{self, GenFormat, GenerateConfig};
use crate::ingest::{self, IngestConfig, IngestError, Input};
use clap::{Parser, Subcommand, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    /// An alert at or above `--fail-on` was raised.
    Alerts = 1,
    /// Bad flags, arguments or configuration.
    Usage = 2,
    /// No input could be read at all (or, under `--strict`, some input could not).
    InputUnreadable = 3,
    /// A bug: an internal step failed.
    Internal = 4,
    /// Another run holds the state (`--state`) and did not finish within `--lock-wait`.
    StateBusy = 5,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "exfilwatch",
    after_help = "Exit codes: 0 no alert at or above --fail-on, 1 alerts at or above it, 2 usage or configuration error, 3 input could not be read, 4 internal error, 5 the state is held by another run.",
    version,
    about = "Finds bulk data theft in the access logs of vendor platforms"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Print nothing on stderr but errors (no progress bar, no summary).
    #[arg(short, long, global = true)]
    quiet: bool,
    /// More diagnostics on stderr (-v: stage timings, -vv: debug). EXFILWATCH_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Configuration file (TOML; `exfilwatch config init` writes an example). Flags override it.
    #[arg(long, global = true, env = "EXFILWATCH_CONFIG", value_name = "PATH")]
    config: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan log exports and report abnormal bulk exports.
    Scan(ScanArgs),
    /// List the log formats exfilwatch reads, with the fields each maps.
    Formats,
    /// Score alerts (JSON Lines from `scan`) against labelled incidents: recall, precision and
    /// false alerts per 10,000 active account-days.
    Eval(EvalArgs),
    /// Write a synthetic tenant (logs with planted thefts and benign look-alikes, labels.csv,
    /// benign.csv, tenant.json) for testing and evaluating detection.
    Generate(GenerateArgs),
    /// Scheduled runs: score only the exports not seen before against the baselines kept in a
    /// state database, raise each incident once (updates keep its id), deliver the alerts.
    Detect(JobArgs),
    /// Learn baselines from log exports into a state database without raising alerts (the
    /// first load of history before scheduled `detect` runs).
    Baseline(JobArgs),
    /// Record an analyst's verdict on an alert raised by `detect`: `--not-a-threat` lowers the
    /// scores of that account's future incidents with the same pattern of factors.
    Feedback(FeedbackArgs),
    /// The configuration file (TOML).
    #[command(subcommand)]
    Config(ConfigCommand),
}

#[derive(Subcommand, Debug)]
enum ConfigCommand {
    /// Write a commented example configuration file.
    Init {
        /// Where to write it.
        #[arg(default_value = "exfilwatch.toml", value_name = "PATH")]
        path: PathBuf,
        /// Overwrite an existing file.
        #[arg(long)]
        force: bool,
    },
    /// Check a configuration file and print what it resolves to.
    Check {
        #[arg(value_name = "PATH")]
        path: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
struct JobArgs {
    #[command(flatten)]
    scan: ScanArgs,
    /// The state database (SQLite; created if missing). Default: the config file's
    /// `state.path`.
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
    /// Seconds to wait for another run holding the state before giving up (exit 5).
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    lock_wait: u64,
    /// Days of history the baselines keep; older events age out [default: 90, or the config
    /// file's `history.window_days`].
    #[arg(long, value_name = "DAYS")]
    history_days: Option<u32>,
    /// `detect` only learns, raising nothing, until the state holds this many days of history:
    /// with less, every account's first busy day would look abnormal [default: 14, or one less
    /// than --history-days if that is shorter].
    #[arg(long, value_name = "DAYS")]
    learn_days: Option<u32>,
    /// Also append alerts (new and updated) as JSON Lines to this file.
    #[arg(long, value_name = "FILE")]
    output: Option<PathBuf>,
    /// Also append alerts as OCSF Detection Findings (class 2004), one JSON per line.
    #[arg(long, value_name = "FILE")]
    ocsf: Option<PathBuf>,
    /// POST alerts to the webhook whose URL is in $EXFILWATCH_WEBHOOK_URL (or the variable the
    /// config file's `delivery.webhook_url_env` names); signed with the secret in
    /// $EXFILWATCH_WEBHOOK_SECRET when set.
    #[arg(long)]
    webhook: bool,
    /// Post alerts to the Slack incoming webhook whose URL is in $EXFILWATCH_SLACK_URL (or the
    /// variable `delivery.slack_url_env` names).
    #[arg(long)]
    slack: bool,
}

#[derive(clap::Args, Debug)]
struct FeedbackArgs {
    /// The state database the alert was raised in.
    #[arg(long, value_name = "PATH")]
    state: Option<PathBuf>,
    /// The alert's id (`ew-...`).
    #[arg(value_name = "ALERT_ID")]
    alert: String,
    /// The verdict: this alert's activity is legitimate for the account.
    #[arg(long, required = true)]
    not_a_threat: bool,
    /// Why (kept with the verdict and shown in later run summaries).
    #[arg(long, value_name = "TEXT")]
    reason: String,
    /// Seconds to wait for a run holding the state.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    lock_wait: u64,
}

#[derive(clap::Args, Debug)]
struct GenerateArgs {
    /// Output directory (created if missing; the generator's files in it are overwritten).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Random seed: the same seed and options give byte-identical output.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Length of the period in days.
    #[arg(long, default_value_t = 60, value_name = "N")]
    days: u32,
    /// Number of accounts.
    #[arg(long, default_value_t = generate::DEFAULT_ACCOUNTS, value_name = "N")]
    accounts: u32,
    /// First day of the period (UTC), YYYY-MM-DD.
    #[arg(long, default_value = "2025-01-06", value_name = "DATE")]
    start: String,
    /// Log format to write.
    #[arg(long, value_enum, default_value_t = GenFormatArg::Generic)]
    format: GenFormatArg,
}

/// `generate --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GenFormatArg {
    /// exfilwatch's generic CSV, gzipped (`DIR/logs/events.csv.gz`).
    Generic,
    /// Salesforce Event Log Files, daily `API` and `Login` CSVs (`DIR/logs/`).
    SalesforceElf,
    /// AWS CloudTrail S3 data events, hourly gzipped JSON (`DIR/logs/AWSLogs/...`).
    Cloudtrail,
}

/// Everything `generate` needs, resolved from the command line.
#[derive(Debug, Clone)]
pub struct GenerateSettings {
    pub config: GenerateConfig,
    pub out: PathBuf,
    pub quiet: bool,
}

impl GenerateArgs {
    fn into_settings(self, quiet: bool) -> Result<GenerateSettings, String> {
        if self.days < generate::MIN_DAYS || self.days > 3660 {
            return Err(format!(
                "--days {}: must be {} to 3660",
                self.days,
                generate::MIN_DAYS
            ));
        }
        if self.accounts < generate::MIN_ACCOUNTS || self.accounts > 100_000 {
            return Err(format!(
                "--accounts {}: must be {} to 100000",
                self.accounts,
                generate::MIN_ACCOUNTS
            ));
        }
        let start = chrono::NaiveDate::parse_from_str(&self.start, "%Y-%m-%d")
            .map_err(|_| format!("--start {:?}: not a date (YYYY-MM-DD)", self.start))?;
        Ok(GenerateSettings {
            config: GenerateConfig {
                seed: self.seed,
                days: self.days,
                accounts: self.accounts,
                start,
                format: match self.format {
                    GenFormatArg::Generic => GenFormat::Generic,
                    GenFormatArg::SalesforceElf => GenFormat::SalesforceElf,
                    GenFormatArg::Cloudtrail => GenFormat::Cloudtrail,
                },
            },
            out: self.out,
            quiet,
        })
    }
}

/// Runs `generate`: builds the tenant, writes its files, prints a summary on stderr.
pub fn run_generate(settings: &GenerateSettings) -> Result<Exit, Failure> {
    let t0 = Instant::now();
    let tenant = generate::generate(&settings.config);
    let written = generate::output::write(&tenant, &settings.out).map_err(|e| {
        (
            Exit::Usage,
            anyhow::Error::new(e).context(format!("writing to {}", settings.out.display())),
        )
    })?;
    if !settings.quiet {
        let mut s = format!(
            "exfilwatch: generated {} events, {} accounts, {} days from {} (seed {}, {}), {} active account-days, {:.1}s\n",
            thousands(tenant.events.len() as f64),
            tenant.accounts.len(),
            settings.config.days,
            settings.config.start,
            settings.config.seed,
            settings.config.format.name(),
            thousands(tenant.active_account_days() as f64),
            t0.elapsed().as_secs_f64()
        );
        for (path, size) in &written {
            s.push_str(&format!(
                "  wrote {} ({} bytes)\n",
                neutralize(&path.display().to_string()),
                thousands(*size as f64)
            ));
        }
        s.push_str(&format!(
            "  {} incident(s) in labels.csv, {} benign look-alike(s) in benign.csv; scan with: exfilwatch scan {}\n",
            tenant.incidents.len(),
            tenant.benign.len(),
            neutralize(&settings.out.join("logs").display().to_string())
        ));
        let _ = std::io::stderr().write_all(s.as_bytes());
    }
    Ok(Exit::Success)
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    /// Files or directories (read recursively) of log exports; `-` reads standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// Output format; `auto` is a table on a terminal and JSON Lines otherwise.
    #[arg(long, value_enum, default_value_t = OutputFormat::Auto)]
    format: OutputFormat,
    /// Show alerts at or above this severity [default: high, or the config file's
    /// `detection.min_severity`].
    #[arg(long, value_enum)]
    min_severity: Option<SeverityArg>,
    /// Exit 1 when an alert at or above this severity is raised (`never`: exit 0) [default:
    /// high, or the config file's `detection.fail_on`].
    #[arg(long, value_name = "SEVERITY")]
    fail_on: Option<String>,
    /// Read every input as this format instead of recognising it (see `exfilwatch formats`).
    #[arg(long, value_name = "NAME")]
    log_format: Option<String>,
    /// Read a canonical field from a differently named column, e.g. `account=user_email`.
    /// Repeatable. Fields: timestamp, account, action, object, records, bytes, src_ip, client.
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    map: Vec<String>,
    /// The organisation's time zone (IANA name, e.g. Europe/London) for local hours, days and
    /// reporting [default: UTC, or the config file's `organisation.timezone`].
    #[arg(long, value_name = "ZONE")]
    timezone: Option<String>,
    /// Write every rejected row (file, line, reason, field, detail) to this CSV file.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Fail (exit 3) if any input file cannot be read, instead of skipping it.
    #[arg(long)]
    strict: bool,
    /// Keep every event in memory and compute the windows with polars, instead of folding rows
    /// into windows as they are read. Same alerts, byte for byte; more memory. For checking the
    /// streaming path.
    #[arg(long)]
    in_memory: bool,
    /// Size in bytes of the blocks a large file is cut into for parsing on several threads
    /// (for tests: small blocks exercise the cutting on small files).
    #[arg(long, hide = true, value_name = "BYTES")]
    block_bytes: Option<usize>,
    /// Smallest number of records in a window that counts as a bulk export [default: 1000].
    #[arg(long, value_name = "N")]
    min_records: Option<i64>,
    /// Smallest number of bytes in a window that counts as a bulk export [default: 1000000].
    #[arg(long, value_name = "N")]
    min_bytes: Option<i64>,
    /// False alerts at `high` or above to allow, per 10,000 active account-days: sets the score
    /// from which a finding is `high` in this run (see ARCHITECTURE.md, "Alert line") [default:
    /// 1].
    #[arg(long, value_name = "N")]
    alert_budget: Option<f64>,
}

#[derive(clap::Args, Debug)]
struct EvalArgs {
    /// The labelled incidents: CSV with header `incident_id,family,account,start,end` and
    /// optionally `source`, one row per incident and account.
    #[arg(long, value_name = "LABELS.csv")]
    labels: PathBuf,
    /// Alerts as JSON Lines (`exfilwatch scan --format jsonl`); `-` reads standard input.
    #[arg(value_name = "ALERTS.jsonl")]
    alerts: String,
    /// Output format.
    #[arg(long, value_enum, default_value_t = EvalFormat::Table)]
    format: EvalFormat,
    /// Evaluate only alerts at or above this severity.
    #[arg(long, value_enum, default_value_t = SeverityArg::Low)]
    min_severity: SeverityArg,
    /// Active account-days of the labelled period, for the false-alert rate. Without it,
    /// `tenant.json` next to the labels file is read (`{"active_account_days": N}`) if it exists;
    /// otherwise the rate is unknown.
    #[arg(long, value_name = "N")]
    account_days: Option<u64>,
    /// The planted benign look-alikes (`benign.csv`, as `generate` writes it: `kind,account,start,end`;
    /// `*` for every account, several accounts separated by `;`): each false alert is attributed
    /// to the look-alikes it overlaps, and each kind says how many of its look-alikes drew one.
    #[arg(long, value_name = "BENIGN.csv")]
    benign: Option<PathBuf>,
    /// Evaluate at this alert line instead of the scan's severities: an hourly or daily alert
    /// counts when its score is at least S, a run or ring alert when it is high (their own
    /// line). Scan with `--min-severity low` first, so that every alert a lower line would raise
    /// is in the file.
    #[arg(long, value_name = "S")]
    line: Option<f64>,
}

/// How `eval` writes its result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EvalFormat {
    /// Readable tables.
    Table,
    /// One JSON object (schema in the rustdoc of `exfilwatch::eval`).
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Auto,
    Table,
    Jsonl,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum SeverityArg {
    Low,
    Medium,
    High,
    Critical,
}

/// Everything a scan needs, resolved from the command line.
#[derive(Clone)]
pub struct ScanSettings {
    pub ingest: IngestConfig,
    pub features: FeatureConfig,
    pub detect: DetectConfig,
    pub min_severity: Severity,
    /// Table or JSON Lines (never `Auto` here).
    pub format: OutputFormat,
    pub rejects: Option<PathBuf>,
    pub quiet: bool,
    /// Exit 1 when an alert at or above this is raised; `None`: never.
    pub fail_on: Option<Severity>,
    /// Allowlists, suppressions and feedback.
    pub policy: crate::policy::Policy,
    /// The config file, when given: business hours for explanations.
    pub config: Option<crate::config::Config>,
    /// Keep the events and compute features with polars (`--in-memory`) instead of streaming.
    pub in_memory: bool,
}

impl SeverityArg {
    fn severity(self) -> Severity {
        match self {
            SeverityArg::Low => Severity::Low,
            SeverityArg::Medium => Severity::Medium,
            SeverityArg::High => Severity::High,
            SeverityArg::Critical => Severity::Critical,
        }
    }
}

/// Everything an evaluation needs, resolved from the command line.
#[derive(Debug, Clone)]
pub struct EvalSettings {
    pub labels: PathBuf,
    /// `None`: standard input.
    pub alerts: Option<PathBuf>,
    pub format: EvalFormat,
    pub min_severity: Severity,
    /// `--account-days`; when `None`, `tenant.json` beside the labels is looked for.
    pub account_days: Option<u64>,
    /// `--benign`: the planted look-alikes.
    pub benign: Option<PathBuf>,
    /// `--line`: the alert line to evaluate at.
    pub line: Option<f64>,
}

impl EvalArgs {
    fn into_settings(self) -> Result<EvalSettings, String> {
        if self.account_days == Some(0) {
            return Err("--account-days must be at least 1".into());
        }
        if self.line.is_some_and(|l| !l.is_finite() || l < 0.0) {
            return Err("--line must be a score of 0 or more".into());
        }
        Ok(EvalSettings {
            labels: self.labels,
            alerts: (self.alerts != "-").then(|| PathBuf::from(&self.alerts)),
            format: self.format,
            min_severity: self.min_severity.severity(),
            account_days: self.account_days,
            benign: self.benign,
            line: self.line,
        })
    }
}

impl ScanArgs {
    fn into_settings(self, quiet: bool, cfg: Option<&Config>) -> Result<ScanSettings, String> {
        let timezone = self
            .timezone
            .clone()
            .or_else(|| cfg.map(|c| c.organisation.timezone.name().to_owned()))
            .unwrap_or_else(|| "UTC".to_owned());
        let tz: chrono_tz::Tz = timezone.parse().map_err(|_| {
            format!("--timezone {timezone:?}: not an IANA time zone name (e.g. Europe/London)")
        })?;
        let defaults = DetectConfig::default();
        let alert_budget = self
            .alert_budget
            .or(cfg.map(|c| c.detection.alert_budget))
            .unwrap_or(defaults.budget_per_10k);
        let min_records = self
            .min_records
            .or(cfg.map(|c| c.detection.min_records))
            .unwrap_or(defaults.min_records);
        let min_bytes = self
            .min_bytes
            .or(cfg.map(|c| c.detection.min_bytes))
            .unwrap_or(defaults.min_bytes);
        let min_severity = self
            .min_severity
            .map(SeverityArg::severity)
            .or(cfg.map(|c| c.detection.min_severity))
            .unwrap_or(Severity::High);
        let fail_on = match &self.fail_on {
            Some(v) => parse_fail_on(v)?,
            None => Some(cfg.map_or(Severity::High, |c| c.detection.fail_on)),
        };
        let columns = ColumnMap::from_assignments(&self.map)?;
        let log_format = match &self.log_format {
            None => None,
            Some(name) => Some(Format::from_name(name).ok_or_else(|| {
                let names: Vec<&str> = Format::ALL.iter().map(|f| f.info().name).collect();
                format!(
                    "--log-format {name:?}: unknown format; formats are {}",
                    names.join(", ")
                )
            })?),
        };
        if !(alert_budget > 0.0 && alert_budget.is_finite()) {
            return Err("--alert-budget must be a positive number".into());
        }
        if min_records < 1 || min_bytes < 1 {
            return Err("--min-records and --min-bytes must be at least 1".into());
        }
        let inputs = self
            .paths
            .iter()
            .map(|p| {
                if p == "-" {
                    Input::Stdin
                } else {
                    Input::Path(PathBuf::from(p))
                }
            })
            .collect();
        let format = match self.format {
            OutputFormat::Auto if std::io::stdout().is_terminal() => OutputFormat::Table,
            OutputFormat::Auto => OutputFormat::Jsonl,
            f => f,
        };
        Ok(ScanSettings {
            ingest: IngestConfig {
                inputs,
                columns,
                format: log_format,
                strict: self.strict,
                block_bytes: self.block_bytes,
                progress: None,
            },
            features: FeatureConfig {
                tz,
                account_tz: cfg.map(account_zones).unwrap_or_default(),
            },
            detect: DetectConfig {
                min_records,
                min_bytes,
                budget_per_10k: alert_budget,
            },
            min_severity,
            format,
            rejects: self.rejects,
            quiet,
            fail_on,
            policy: crate::policy::Policy {
                allow: cfg.map(|c| c.allow.clone()).unwrap_or_default(),
                suppress: cfg.map(|c| c.suppress.clone()).unwrap_or_default(),
                verdicts: Vec::new(),
                tz,
            },
            config: cfg.cloned(),
            in_memory: self.in_memory,
        })
    }
}

/// `--fail-on`: a severity, or `never`.
fn parse_fail_on(v: &str) -> Result<Option<Severity>, String> {
    if v.eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    Severity::parse(v)
        .map(Some)
        .ok_or_else(|| format!("--fail-on {v:?}: expected low, medium, high, critical or never"))
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => e.exit(), // help and version exit 0, usage errors 2
    };
    init_tracing(cli.verbose, cli.quiet);
    match dispatch(cli) {
        Ok(code) => code.into(),
        Err((code, err)) => {
            eprintln!("exfilwatch: error: {err:#}");
            code.into()
        }
    }
}

fn usage(msg: impl std::fmt::Display) -> Failure {
    (Exit::Usage, anyhow::anyhow!("{msg}"))
}

fn dispatch(cli: Cli) -> Result<Exit, Failure> {
    let quiet = cli.quiet;
    let cfg = match &cli.config {
        Some(path) => {
            let c = crate::config::load(path).map_err(usage)?;
            if !quiet {
                for w in c.warnings(chrono::Utc::now()) {
                    eprintln!("exfilwatch: warning: {}", neutralize(&w));
                }
            }
            Some(c)
        }
        None => None,
    };
    let cfg = cfg.as_ref();
    match cli.command {
        Command::Scan(args) => scan(args.into_settings(quiet, cfg).map_err(usage)?),
        Command::Formats => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(formats_text().as_bytes());
            Ok(Exit::Success)
        }
        Command::Generate(args) => run_generate(&args.into_settings(quiet).map_err(usage)?),
        Command::Eval(args) => run_eval(&args.into_settings().map_err(usage)?),
        Command::Detect(args) => {
            let settings = args.into_settings(quiet, cfg).map_err(usage)?;
            jobs::run_job(jobs::JobKind::Detect, settings)
        }
        Command::Baseline(args) => {
            let settings = args.into_settings(quiet, cfg).map_err(usage)?;
            jobs::run_job(jobs::JobKind::Baseline, settings)
        }
        Command::Feedback(args) => {
            let state = args
                .state
                .clone()
                .or(cfg.and_then(|c| c.state.path.clone()))
                .ok_or_else(|| usage("--state is required (or `state.path` in the config file)"))?;
            jobs::record_feedback(
                &state,
                &args.alert,
                &args.reason,
                std::time::Duration::from_secs(args.lock_wait),
                quiet,
            )
        }
        Command::Config(ConfigCommand::Init { path, force }) => {
            crate::config::write_example(&path, force).map_err(usage)?;
            if !quiet {
                eprintln!(
                    "exfilwatch: wrote {} (every key commented; edit, then pass --config)",
                    neutralize(&path.display().to_string())
                );
            }
            Ok(Exit::Success)
        }
        Command::Config(ConfigCommand::Check { path }) => {
            let c = crate::config::load(&path).map_err(usage)?;
            for w in c.warnings(chrono::Utc::now()) {
                eprintln!("exfilwatch: warning: {}", neutralize(&w));
            }
            println!("{}: ok", neutralize(&path.display().to_string()));
            Ok(Exit::Success)
        }
    }
}

impl JobArgs {
    fn into_settings(self, quiet: bool, cfg: Option<&Config>) -> Result<jobs::JobSettings, String> {
        if self.scan.paths.iter().any(|p| p == "-") {
            return Err(
                "detect and baseline read files, not standard input: the state remembers \
                        inputs by content hash, which a pipe cannot be checked against"
                    .into(),
            );
        }
        let state = self
            .state
            .clone()
            .or(cfg.and_then(|c| c.state.path.clone()))
            .ok_or("--state is required (or `state.path` in the config file)")?;
        let history_days = self
            .history_days
            .or(cfg.map(|c| c.history.window_days))
            .unwrap_or(90);
        if history_days < 7 {
            return Err("--history-days must be at least 7".into());
        }
        let learn_days = self.learn_days.unwrap_or(14.min(history_days - 1));
        if learn_days >= history_days {
            return Err(format!(
                "--learn-days ({learn_days}) must be less than the history window ({history_days} days)"
            ));
        }
        let paths = self.scan.paths.iter().map(PathBuf::from).collect();
        let mut sinks = Vec::new();
        let delivery = cfg.map(|c| c.delivery.clone()).unwrap_or_default();
        if let Some(path) = self.output.clone() {
            sinks.push(crate::deliver::Sink::JsonlFile(path));
        }
        if let Some(path) = self.ocsf.clone().or(delivery.ocsf_file.clone()) {
            sinks.push(crate::deliver::Sink::OcsfFile(path));
        }
        let timeout = std::time::Duration::from_secs(delivery.timeout_secs);
        let webhook_env = delivery.webhook_url_env.clone();
        if self.webhook || webhook_env.is_some() {
            let url = webhook_env.as_deref().unwrap_or("EXFILWATCH_WEBHOOK_URL");
            let secret = delivery
                .webhook_secret_env
                .as_deref()
                .unwrap_or("EXFILWATCH_WEBHOOK_SECRET");
            let ep =
                crate::deliver::Endpoint::from_env(url, Some(secret), timeout, delivery.retries)
                    .map_err(|e| e.to_string())?;
            sinks.push(crate::deliver::Sink::Webhook(ep));
        }
        let slack_env = delivery.slack_url_env.clone();
        if self.slack || slack_env.is_some() {
            let url = slack_env.as_deref().unwrap_or("EXFILWATCH_SLACK_URL");
            let ep = crate::deliver::Endpoint::from_env(url, None, timeout, delivery.retries)
                .map_err(|e| e.to_string())?;
            sinks.push(crate::deliver::Sink::Slack(ep));
        }
        Ok(jobs::JobSettings {
            scan: self.scan.into_settings(quiet, cfg)?,
            paths,
            state,
            lock_wait: std::time::Duration::from_secs(self.lock_wait),
            history_days,
            learn_days,
            sinks,
        })
    }
}

/// The text of `exfilwatch formats`.
fn formats_text() -> String {
    let mut s = String::new();
    for f in Format::ALL {
        let i = f.info();
        s.push_str(&format!(
            "{}  (source: {})\n  {}\n",
            i.name, i.source, i.description
        ));
        for (field, from) in i.fields {
            s.push_str(&format!("    {field:<10} <- {from}\n"));
        }
        s.push('\n');
    }
    s
}

fn init_tracing(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("EXFILWATCH_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // The HTTP client logs request URLs at debug and trace; webhook URLs carry their secret
    // token (Slack's do), so its logs stop at info whatever EXFILWATCH_LOG asks for.
    let filter = ["ureq=info", "ureq_proto=info"]
        .iter()
        .filter_map(|d| d.parse().ok())
        .fold(filter, |f, d| f.add_directive(d));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// A spinner with bytes and rows read and their rates, on stderr when it is a terminal.
fn progress_bar(quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} reading: {bytes} ({bytes_per_sec}), {msg}, {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(pb)
}

type Failure = (Exit, anyhow::Error);

/// Reads the inputs (with the progress bar), and writes `--rejects`.
fn read_inputs<S: ingest::Collect>(
    settings: &mut ScanSettings,
) -> Result<(S, ingest::report::IngestReport), Failure> {
    let bar = progress_bar(settings.quiet);
    let reading = Arc::new(std::sync::atomic::AtomicBool::new(true));
    if let Some(pb) = &bar {
        let counts = Arc::new(ingest::Progress::default());
        settings.ingest.progress = Some(counts.clone());
        // Bytes and rows with their rates, refreshed four times a second while reading.
        let (pb, reading) = (pb.clone(), reading.clone());
        std::thread::spawn(move || {
            let start = Instant::now();
            while reading.load(std::sync::atomic::Ordering::Relaxed) {
                pb.set_position(counts.bytes.load(std::sync::atomic::Ordering::Relaxed));
                let n = counts.rows.load(std::sync::atomic::Ordering::Relaxed);
                let secs = start.elapsed().as_secs_f64().max(1e-3);
                pb.set_message(format!(
                    "{} rows ({}/s)",
                    thousands(n as f64),
                    thousands((n as f64 / secs).round())
                ));
                std::thread::sleep(std::time::Duration::from_millis(250));
            }
        });
    }
    let t0 = Instant::now();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| {
            (
                Exit::Internal,
                anyhow::Error::new(e).context("starting the runtime"),
            )
        })?;
    let ingested = runtime.block_on(ingest::ingest_into::<S>(&settings.ingest));
    reading.store(false, std::sync::atomic::Ordering::Relaxed);
    if let Some(pb) = &bar {
        pb.finish_and_clear();
    }
    let ingested = ingested.map_err(|e| match e {
        IngestError::Unreadable { .. } | IngestError::NothingReadable(_) => {
            (Exit::InputUnreadable, e.into())
        }
    })?;
    tracing::info!(
        rows = ingested.1.rows_read(),
        elapsed_ms = t0.elapsed().as_millis() as u64,
        "ingested"
    );
    if let Some(path) = &settings.rejects {
        write_rejects(path, &ingested.1.rejects).map_err(|e| {
            (
                Exit::Usage,
                e.context(format!("writing rejects to {}", path.display())),
            )
        })?;
    }
    Ok(ingested)
}

/// Features (with polars), detection and incidents over an event table.
fn analyse(
    events: &ingest::event::EventTable,
    settings: &ScanSettings,
) -> Result<(features::Features, Detection, Vec<detect::Incident>), Failure> {
    let t1 = Instant::now();
    let feats = features::compute(events, &settings.features).map_err(|e| {
        (
            Exit::Internal,
            anyhow::Error::new(e).context("computing features"),
        )
    })?;
    log_features(&feats, t1);
    let (detection, incidents) = detect_incidents(&feats, events, settings);
    Ok((feats, detection, incidents))
}

fn log_features(feats: &features::Features, t1: Instant) {
    tracing::info!(
        hourly = feats.hourly.len(),
        daily = feats.daily.len(),
        elapsed_ms = t1.elapsed().as_millis() as u64,
        "features"
    );
}

/// Detection and incidents over the windows.
fn detect_incidents(
    feats: &features::Features,
    names: &ingest::event::Names,
    settings: &ScanSettings,
) -> (Detection, Vec<detect::Incident>) {
    let t2 = Instant::now();
    let detection = detect::detect(feats, names, &settings.detect);
    let incidents = detect::incidents(&detection.findings, detection.line.high);
    let line = &detection.line;
    tracing::info!(
        high = line.high,
        run_high = line.run_high,
        run_starts = line.run_starts,
        ring_high = line.ring_high,
        fitted = line.fitted,
        windows = line.windows,
        account_days = line.account_days,
        budget = line.budget,
        s0 = line.fit.as_ref().map(|f| f.s0),
        rate = line.fit.as_ref().map(|f| f.rate),
        "alert line"
    );
    tracing::info!(
        findings = detection.findings.len(),
        incidents = incidents.len(),
        elapsed_ms = t2.elapsed().as_millis() as u64,
        "detection"
    );
    (detection, incidents)
}

/// Writes alerts to stdout in the chosen format; a closed pipe is not an error.
fn print_alerts(alerts: &[Alert], settings: &ScanSettings) -> Result<(), Failure> {
    let written = {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let res = match settings.format {
            OutputFormat::Table => alert::write_table(alerts, &settings.features.tz, &mut out),
            _ => alert::write_jsonl(alerts, &mut out),
        };
        res.and_then(|()| out.flush())
    };
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err((
            Exit::Internal,
            anyhow::Error::new(e).context("writing results"),
        )),
        Ok(()) => Ok(()),
    }
}

/// The exit code for a run that raised `alerts`: [`Exit::Alerts`] when one is at or above
/// `fail_on`.
fn exit_for(alerts: &[Alert], fail_on: Option<Severity>) -> Exit {
    match fail_on {
        Some(min) if alerts.iter().any(|a| a.severity >= min) => Exit::Alerts,
        _ => Exit::Success,
    }
}

/// Runs a scan: ingest, features, detection, output, summary. Rows are folded into windows as
/// they are read (`features::stream`), or with `--in-memory` kept in an event table whose
/// windows polars computes; both give the same alerts.
pub fn scan(mut settings: ScanSettings) -> Result<Exit, Failure> {
    if settings.in_memory {
        let (events, report) = read_inputs::<ingest::event::EventTable>(&mut settings)?;
        let (feats, detection, incidents) = analyse(&events, &settings)?;
        return report_scan(&settings, &report, &events, &feats, detection, incidents);
    }
    let (sink, report) = read_inputs::<features::stream::WindowSink>(&mut settings)?;
    let t1 = Instant::now();
    let streamed = sink.finish(&settings.features);
    log_features(&streamed.features, t1);
    let (detection, incidents) = detect_incidents(
        &streamed.features,
        features::Activity::names(&streamed),
        &settings,
    );
    let feats = &streamed.features;
    report_scan(&settings, &report, &streamed, feats, detection, incidents)
}

/// The policy, the alerts on stdout, the summary on stderr, and the exit code of a scan.
fn report_scan(
    settings: &ScanSettings,
    report: &ingest::report::IngestReport,
    activity: &dyn features::Activity,
    feats: &features::Features,
    detection: Detection,
    incidents: Vec<detect::Incident>,
) -> Result<Exit, Failure> {
    let (incidents, held) = settings
        .policy
        .apply(incidents, activity, &detection.line, now_ms());
    let mut alerts = alert::build(
        &incidents,
        activity,
        feats,
        &settings.features.tz,
        settings.min_severity,
    );
    if let Some(c) = &settings.config {
        note_business_hours(&mut alerts, c);
    }
    print_alerts(&alerts, settings)?;
    if !settings.quiet {
        let below = incidents.len() - alerts.len();
        let mut summary = summary(
            report,
            activity.names(),
            feats,
            &detection,
            &alerts,
            below,
            settings.min_severity,
        );
        summary.push_str(&held.summary());
        let _ = std::io::stderr().write_all(summary.as_bytes());
    }
    Ok(exit_for(&alerts, settings.fail_on))
}

/// Now, in ms since the epoch (for suppression expiry and run records).
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

fn write_rejects(path: &std::path::Path, rejects: &[ingest::report::Reject]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_path(path)?;
    w.write_record(["file", "line", "reason", "field", "detail"])?;
    for r in rejects {
        w.write_record([
            csv_cell(&r.file),
            r.line.to_string(),
            r.reason.as_str().to_owned(),
            r.field.unwrap_or("").to_owned(),
            csv_cell(&r.detail),
        ])?;
    }
    w.flush()?;
    Ok(())
}

/// The end-of-run summary for stderr. Every count here reconciles: rows read = used + rejected.
fn summary(
    report: &ingest::report::IngestReport,
    events: &ingest::event::Names,
    feats: &features::Features,
    detection: &Detection,
    alerts: &[Alert],
    below: usize,
    min: Severity,
) -> String {
    let mut s = String::new();
    let n = |x: u64| thousands(x as f64);
    s.push_str(&format!(
        "exfilwatch: {} file(s), {} rows read: {} used{}, {} rejected\n",
        report.files.len(),
        n(report.rows_read()),
        n(report.rows_used()),
        match report.rows_context() {
            0 => String::new(),
            c => format!(" ({} as context only)", n(c)),
        },
        n(report.rows_rejected()),
    ));
    for f in &report.files {
        if f.rows_rejected() > 0 || f.stopped_early.is_some() {
            let reasons: Vec<String> = f
                .rejected
                .iter()
                .map(|(r, c)| format!("{r}: {}", n(*c)))
                .collect();
            s.push_str(&format!(
                "  {} ({}): {} of {} rows rejected ({})\n",
                neutralize(&f.name),
                f.format,
                n(f.rows_rejected()),
                n(f.rows_read),
                reasons.join(", ")
            ));
            if let Some(why) = &f.stopped_early {
                s.push_str(&format!(
                    "  {}: stopped early: {}\n",
                    neutralize(&f.name),
                    neutralize(why)
                ));
            }
        }
    }
    s.push_str(&rejects_and_skips(report));
    if !report.ignored_in_dirs.is_empty() {
        let names: Vec<String> = report
            .ignored_in_dirs
            .iter()
            .take(5)
            .map(|x| neutralize(x).into_owned())
            .collect();
        s.push_str(&format!(
            "  ignored {} file(s) in directories whose names are not log exports (.csv, .jsonl, .json, .log, optionally .gz): {}\n",
            report.ignored_in_dirs.len(),
            names.join(", ")
        ));
    }
    let accounts = events.accounts.len().saturating_sub(1);
    s.push_str(&format!(
        "exfilwatch: {} account(s); {} hourly and {} daily windows; {} bulk windows scored\n",
        n(accounts as u64),
        n(feats.hourly.len() as u64),
        n(feats.daily.len() as u64),
        n(detection.scored as u64),
    ));
    if let Some(fitted) = detection.line.capped() {
        s.push_str(&format!(
            "  alert line held at {:.1}: the scores' tail fitted a line of {fitted:.1}, a tail ordinary windows do not make (thefts of many accounts at once, or a misfit); --min-severity medium shows the windows under it\n",
            detection.line.high
        ));
    }
    if !detection.thin.is_empty() {
        let names: Vec<String> = detection
            .thin
            .iter()
            .take(5)
            .map(|t| {
                format!(
                    "{} ({} h)",
                    neutralize(&events.account_display(t.account)),
                    t.hours_with_volume
                )
            })
            .collect();
        let without = detection.thin.iter().filter(|t| !t.population).count();
        s.push_str(&format!(
            "  history too thin for a baseline of their own (read data in fewer than {} hours): {} account(s){}: {}{}\n",
            detect::MIN_HISTORY_HOURS,
            detection.thin.len(),
            if without > 0 {
                format!(", {without} of them with too few other accounts in their source to compare with (their bulk windows are not scored)")
            } else {
                " (compared with the other accounts of their source)".to_owned()
            },
            names.join(", "),
            if detection.thin.len() > 5 { ", ..." } else { "" },
        ));
    }
    for u in &detection.unscored {
        s.push_str(&format!(
            "  not scored: {} ({}): {} bulk {} window(s), but its history ({} {} window(s)) is too thin for a baseline and its source has too few other accounts to compare with\n",
            neutralize(&events.account_display(u.account)),
            neutralize(events.account_source(u.account)),
            u.windows,
            kind_name(u.kind),
            u.history,
            kind_name(u.kind),
        ));
    }
    let mut by_sev: Vec<String> = Vec::new();
    for sev in [
        Severity::Critical,
        Severity::High,
        Severity::Medium,
        Severity::Low,
    ] {
        let c = alerts.iter().filter(|a| a.severity == sev).count();
        if c > 0 {
            by_sev.push(format!("{c} {}", sev.as_str()));
        }
    }
    s.push_str(&format!(
        "exfilwatch: {} alert(s) at or above {}{}",
        alerts.len(),
        min.as_str(),
        if by_sev.is_empty() {
            String::new()
        } else {
            format!(" ({})", by_sev.join(", "))
        }
    ));
    if below > 0 {
        s.push_str(&format!(
            "; {below} more below it (--min-severity low shows them)"
        ));
    }
    s.push('\n');
    s
}

/// Summary lines for the first rejected rows and the skipped files (neutralised).
fn rejects_and_skips(report: &ingest::report::IngestReport) -> String {
    let mut s = String::new();
    for r in report.rejects.iter().take(5) {
        s.push_str(&format!(
            "  e.g. {}:{}: {}{}: {}\n",
            neutralize(&r.file),
            r.line,
            r.reason,
            r.field.map(|f| format!(" ({f})")).unwrap_or_default(),
            neutralize(&r.detail)
        ));
    }
    if report.rejects.len() > 5 {
        s.push_str("  (--rejects FILE writes every rejected row)\n");
    }
    for sk in &report.skipped {
        s.push_str(&format!(
            "  skipped {}: {}\n",
            neutralize(&sk.name),
            neutralize(&sk.reason)
        ));
    }
    s
}

fn kind_name(k: WindowKind) -> &'static str {
    match k {
        WindowKind::Hour => "hourly",
        WindowKind::Day => "daily",
        WindowKind::Run => "multi-day",
    }
}

/// Runs `eval`: reads the labels, the alerts and the active account-days, scores the alerts and
/// prints the result. Unreadable labels or alerts exit 3; a bad label row, alert line or
/// `tenant.json` exits 2.
pub fn run_eval(settings: &EvalSettings) -> Result<Exit, Failure> {
    let bad = |e: EvalError| (Exit::Usage, anyhow::Error::new(e));
    let (labels_name, labels_text) = read_text(&settings.labels, "labels")?;
    let incidents = eval::parse_labels(&labels_text, &labels_name).map_err(bad)?;
    let look_alikes = match &settings.benign {
        Some(path) => {
            let (from, text) = read_text(path, "look-alikes")?;
            let rows = eval::parse_benign(&text, &from).map_err(bad)?;
            Some(eval::LookAlikes { rows, from })
        }
        None => None,
    };

    let (alerts_name, alert_bytes) = match &settings.alerts {
        Some(path) => {
            let name = path.display().to_string();
            let bytes = std::fs::read(path).map_err(|e| {
                (
                    Exit::InputUnreadable,
                    anyhow::Error::new(e).context(format!("reading alerts {name}")),
                )
            })?;
            (name, bytes)
        }
        None => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin().lock(), &mut bytes).map_err(|e| {
                (
                    Exit::InputUnreadable,
                    anyhow::Error::new(e).context("reading alerts from standard input"),
                )
            })?;
            ("(stdin)".to_owned(), bytes)
        }
    };
    let alerts = eval::parse_alerts(&alert_bytes, &alerts_name).map_err(bad)?;

    let account_days = match settings.account_days {
        Some(days) => Some(AccountDays {
            days,
            from: "--account-days".into(),
        }),
        None => tenant_account_days(&settings.labels)?,
    };
    let config = EvalConfig {
        min_severity: settings.min_severity,
        account_days,
        look_alikes,
        line: settings.line,
    };
    let result = eval::evaluate(&incidents, &alerts, &config);
    let text = match settings.format {
        EvalFormat::Json => {
            let mut s = serde_json::to_string_pretty(&result).map_err(|e| {
                (
                    Exit::Internal,
                    anyhow::Error::new(e).context("rendering JSON"),
                )
            })?;
            s.push('\n');
            s
        }
        EvalFormat::Table => eval_table(&result, &labels_name, &alerts_name),
    };
    let written = {
        let mut out = std::io::stdout().lock();
        out.write_all(text.as_bytes()).and_then(|()| out.flush())
    };
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err((
            Exit::Internal,
            anyhow::Error::new(e).context("writing results"),
        )),
        _ => Ok(Exit::Success),
    }
}

/// A text file's name and contents: unreadable exits 3, not UTF-8 exits 2.
fn read_text(path: &std::path::Path, what: &str) -> Result<(String, String), Failure> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        (
            Exit::InputUnreadable,
            anyhow::Error::new(e).context(format!("reading {what} {name}")),
        )
    })?;
    let text = String::from_utf8(bytes)
        .map_err(|e| (Exit::Usage, anyhow::anyhow!("{name}: not UTF-8 text: {e}")))?;
    Ok((name, text))
}

/// The active account-days from `tenant.json` beside the labels file, if there is one.
fn tenant_account_days(labels: &std::path::Path) -> Result<Option<AccountDays>, Failure> {
    let path = labels
        .parent()
        .unwrap_or(std::path::Path::new(""))
        .join("tenant.json");
    if !path.exists() {
        return Ok(None);
    }
    let name = path.display().to_string();
    let text = std::fs::read_to_string(&path).map_err(|e| {
        (
            Exit::Usage,
            anyhow::Error::new(e).context(format!("reading {name}")),
        )
    })?;
    let days =
        eval::parse_tenant(&text, &name).map_err(|e| (Exit::Usage, anyhow::Error::new(e)))?;
    Ok(Some(AccountDays { days, from: name }))
}

/// A share as a percentage, or `n/a` when undefined.
fn percent(x: Option<f64>) -> String {
    x.map_or("n/a".into(), |x| format!("{:.1}%", x * 100.0))
}

/// Left-aligned columns two spaces apart (numbers right-aligned where `right` says).
fn columns(header: &[&str], rows: &[Vec<String>], right: &[bool]) -> String {
    let mut width: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: &[String]| {
        let mut s = cells
            .iter()
            .zip(&width)
            .zip(right)
            .map(|((c, &w), &r)| {
                if r {
                    format!("{c:>w$}")
                } else {
                    format!("{c:<w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_owned();
        s.push('\n');
        s
    };
    let mut s = line(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>());
    for r in rows {
        s.push_str(&line(r));
    }
    s
}

/// The readable rendering of an evaluation. Labels and alerts are input, so their text is
/// neutralised.
fn eval_table(e: &Evaluation, labels: &str, alerts: &str) -> String {
    let mut s = format!(
        "Labels {}: {} incident(s). Alerts {}: {} read, {} at or above {} evaluated",
        neutralize(labels),
        e.incidents,
        neutralize(alerts),
        e.alerts_read,
        e.alerts,
        e.min_severity.as_str()
    );
    match e.line {
        Some(l) => s.push_str(&format!(
            " at a line of {l} ({} below it left out: windows scoring under {l}, runs and rings under high).\n\n",
            e.alerts_below_line
        )),
        None => s.push_str(".\n\n"),
    }
    let mut rows: Vec<Vec<String>> = e
        .families
        .iter()
        .map(|f| {
            vec![
                cell(&f.family, 40),
                f.incidents.to_string(),
                f.found.to_string(),
                percent(Some(f.recall)),
            ]
        })
        .collect();
    rows.push(vec![
        "all".into(),
        e.incidents.to_string(),
        e.found.to_string(),
        percent(e.recall),
    ]);
    s.push_str(&columns(
        &["FAMILY", "INCIDENTS", "FOUND", "RECALL"],
        &rows,
        &[false, true, true, true],
    ));
    s.push_str(&format!(
        "\nAlerts: {} evaluated: {} true, {} false; precision {}\n",
        e.alerts,
        e.true_alerts,
        e.false_alerts,
        percent(e.precision)
    ));
    match (
        e.false_alerts_per_10k_account_days,
        e.active_account_days,
        &e.active_account_days_from,
    ) {
        (Some(rate), Some(days), Some(from)) => s.push_str(&format!(
            "False alerts per 10,000 active account-days: {rate:.2} ({} over {} account-days, from {})\n",
            e.false_alerts,
            thousands(days as f64),
            neutralize(from)
        )),
        _ => s.push_str(
            "False alerts per 10,000 active account-days: n/a (unknown: pass --account-days N or put tenant.json with {\"active_account_days\": N} next to the labels)\n",
        ),
    }
    if let (Some(from), Some(without)) = (&e.look_alikes_from, e.false_alerts_without_look_alike) {
        let planted: u64 = e.look_alikes.iter().map(|k| k.planted).sum();
        s.push_str(&format!(
            "\nLook-alikes {}: {} planted; {} of the {} false alert(s) overlap one\n",
            neutralize(from),
            thousands(planted as f64),
            e.false_alerts - without,
            e.false_alerts
        ));
        let rows: Vec<Vec<String>> = e
            .look_alikes
            .iter()
            .map(|k| {
                vec![
                    cell(&k.kind, 40),
                    k.planted.to_string(),
                    k.alerted.to_string(),
                    k.false_alerts.to_string(),
                ]
            })
            .collect();
        s.push_str(&columns(
            &["LOOK-ALIKE", "PLANTED", "ALERTED", "FALSE ALERTS"],
            &rows,
            &[false, true, true, true],
        ));
    }

    s.push_str(&format!(
        "\nMissed incidents ({}):\n",
        e.missed_incidents.len()
    ));
    if !e.missed_incidents.is_empty() {
        let rows: Vec<Vec<String>> = e
            .missed_incidents
            .iter()
            .map(|m| {
                let accounts: Vec<String> = m
                    .accounts
                    .iter()
                    .map(|a| match &a.source {
                        Some(src) => format!("{} ({})", cell(&a.account, 60), cell(src, 20)),
                        None => cell(&a.account, 60),
                    })
                    .collect();
                vec![
                    cell(&m.incident_id, 30),
                    cell(&m.family, 30),
                    format!("{} - {}", m.start, m.end),
                    accounts.join(", "),
                ]
            })
            .collect();
        s.push_str(&columns(
            &["INCIDENT", "FAMILY", "SPAN (UTC)", "ACCOUNTS"],
            &rows,
            &[false; 4],
        ));
    }

    s.push_str(&format!(
        "\nFalse alerts ({}):\n",
        e.false_alert_details.len()
    ));
    let with_kinds = e.look_alikes_from.is_some();
    if !e.false_alert_details.is_empty() {
        let rows: Vec<Vec<String>> = e
            .false_alert_details
            .iter()
            .map(|f| {
                let account = match &f.account_name {
                    Some(n) if *n != f.account => format!("{} ({n})", f.account),
                    _ => f.account.clone(),
                };
                let mut row = vec![
                    cell(&account, 60),
                    cell(&f.source, 12),
                    format!(
                        "{} - {}",
                        cell(&f.window_start, 30),
                        cell(&f.window_end, 30)
                    ),
                    format!("{:.1}", f.score),
                    f.severity.as_str().into(),
                    cell(&f.id, 30),
                ];
                if with_kinds {
                    row.push(match f.look_alikes.as_slice() {
                        [] => "-".into(),
                        kinds => cell(&kinds.join(","), 80),
                    });
                }
                row
            })
            .collect();
        let mut header = vec!["ACCOUNT", "SOURCE", "WINDOW", "SCORE", "SEVERITY", "ID"];
        let mut right = vec![false, false, false, true, false, false];
        if with_kinds {
            header.push("LOOK-ALIKES");
            right.push(false);
        }
        s.push_str(&columns(&header, &rows, &right));
    }
    s
}

/// The config file's per-account time zones (`[accounts."NAME"] timezone`).
fn account_zones(c: &Config) -> std::collections::BTreeMap<String, chrono_tz::Tz> {
    c.accounts
        .iter()
        .filter_map(|(name, o)| Some((name.clone(), o.timezone?)))
        .collect()
}

/// Adds to each hourly alert that lies wholly outside its account's business hours (config
/// file: the organisation's, or the account's own, in the account's time zone) a sentence
/// saying so. Detection does not use business hours (it learns each account's own hours); this
/// tells the analyst how the window sits against the working week they know.
pub fn note_business_hours(alerts: &mut [Alert], cfg: &crate::config::Config) {
    use crate::ingest::time::parse_timestamp;
    const STEP_MS: i64 = 15 * 60_000;
    for a in alerts.iter_mut().filter(|a| a.window_kind == "hour") {
        let (Ok(start), Ok(end)) = (
            parse_timestamp(&a.window_start),
            parse_timestamp(&a.window_end),
        ) else {
            continue;
        };
        // Every quarter hour of the window, and its last minute.
        let mut inside = (start..end)
            .step_by(STEP_MS as usize)
            .chain(std::iter::once(end - 60_000))
            .filter_map(chrono::DateTime::from_timestamp_millis)
            .map(|t| cfg.in_business_hours(&a.account, t));
        if inside.all(|x| !x) {
            a.explanation.push_str(&format!(
                " Outside its business hours ({}, {}).",
                cfg.business_hours_for(&a.account),
                cfg.timezone_for(&a.account).name()
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generate_flags_default_to_the_library_defaults() {
        // `generate --out DIR` alone must write the tenant the docs describe (and the one
        // `GenerateConfig::default()` describes to library users): 1,000 accounts, 60 days.
        let cli = Cli::try_parse_from(["exfilwatch", "generate", "--out", "t"]).unwrap();
        let Command::Generate(args) = cli.command else {
            panic!("not generate");
        };
        let settings = args.into_settings(false).unwrap();
        assert_eq!(settings.config, GenerateConfig::default());
        assert_eq!(settings.config.accounts, 1000);
        assert_eq!(settings.config.days, 60);
    }
}
