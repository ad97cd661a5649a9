//! The command line: clap parses raw options, which become one plain settings struct
//! ([`ScanSettings`]) before any work starts; nothing below this module sees clap types. This is
//! the only module that prints: results to stdout, the run summary and diagnostics to stderr.
//!
//! Exit codes ([`Exit`]): 0 success, 2 usage or configuration error, 3 input could not be read at
//! all, 4 internal error.

use crate::alert::{self, sanitize::csv_cell, sanitize::neutralize, thousands, Alert};
use crate::detect::{self, DetectConfig, Detection, Severity};
use crate::features::{self, FeatureConfig, WindowKind};
use crate::formats::{generic::ColumnMap, Format};
use crate::ingest::{self, IngestConfig, IngestError, Ingested, Input};
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
    /// Bad flags, arguments or configuration.
    Usage = 2,
    /// No input could be read at all (or, under `--strict`, some input could not).
    InputUnreadable = 3,
    /// A bug: an internal step failed.
    Internal = 4,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "exfilwatch",
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
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Scan log exports and report abnormal bulk exports.
    Scan(ScanArgs),
    /// List the log formats exfilwatch reads, with the fields each maps.
    Formats,
}

#[derive(clap::Args, Debug)]
struct ScanArgs {
    /// Files or directories (read recursively) of log exports; `-` reads standard input.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<String>,
    /// Output format; `auto` is a table on a terminal and JSON Lines otherwise.
    #[arg(long, value_enum, default_value_t = OutputFormat::Auto)]
    format: OutputFormat,
    /// Show alerts at or above this severity.
    #[arg(long, value_enum, default_value_t = SeverityArg::High)]
    min_severity: SeverityArg,
    /// Read every input as this format instead of recognising it (see `exfilwatch formats`).
    #[arg(long, value_name = "NAME")]
    log_format: Option<String>,
    /// Read a canonical field from a differently named column, e.g. `account=user_email`.
    /// Repeatable. Fields: timestamp, account, action, object, records, bytes, src_ip, client.
    #[arg(long = "map", value_name = "FIELD=COLUMN")]
    map: Vec<String>,
    /// The organisation's time zone (IANA name, e.g. Europe/London) for local hours, days and
    /// reporting.
    #[arg(long, default_value = "UTC", value_name = "ZONE")]
    timezone: String,
    /// Write every rejected row (file, line, reason, field, detail) to this CSV file.
    #[arg(long, value_name = "FILE")]
    rejects: Option<PathBuf>,
    /// Fail (exit 3) if any input file cannot be read, instead of skipping it.
    #[arg(long)]
    strict: bool,
    /// Smallest number of records in a window that counts as a bulk export.
    #[arg(long, default_value_t = DetectConfig::default().min_records, value_name = "N")]
    min_records: i64,
    /// Smallest number of bytes in a window that counts as a bulk export.
    #[arg(long, default_value_t = DetectConfig::default().min_bytes, value_name = "N")]
    min_bytes: i64,
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
}

impl ScanArgs {
    fn into_settings(self, quiet: bool) -> Result<ScanSettings, String> {
        let tz: chrono_tz::Tz = self.timezone.parse().map_err(|_| {
            format!(
                "--timezone {:?}: not an IANA time zone name (e.g. Europe/London)",
                self.timezone
            )
        })?;
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
        if self.min_records < 1 || self.min_bytes < 1 {
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
                progress: None,
            },
            features: FeatureConfig { tz },
            detect: DetectConfig {
                min_records: self.min_records,
                min_bytes: self.min_bytes,
            },
            min_severity: match self.min_severity {
                SeverityArg::Low => Severity::Low,
                SeverityArg::Medium => Severity::Medium,
                SeverityArg::High => Severity::High,
                SeverityArg::Critical => Severity::Critical,
            },
            format,
            rejects: self.rejects,
            quiet,
        })
    }
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => e.exit(), // help and version exit 0, usage errors 2
    };
    init_tracing(cli.verbose, cli.quiet);
    let args = match cli.command {
        Command::Scan(args) => args,
        Command::Formats => {
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(formats_text().as_bytes());
            return Exit::Success.into();
        }
    };
    let settings = match args.into_settings(cli.quiet) {
        Ok(s) => s,
        Err(msg) => {
            eprintln!("exfilwatch: error: {msg}");
            return Exit::Usage.into();
        }
    };
    match scan(settings) {
        Ok(code) => code.into(),
        Err((code, err)) => {
            eprintln!("exfilwatch: error: {err:#}");
            code.into()
        }
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
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

/// A spinner with bytes read and throughput, on stderr when it is a terminal.
fn progress_bar(quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet || !std::io::stderr().is_terminal() {
        return None;
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_style(
        indicatif::ProgressStyle::with_template(
            "{spinner} reading: {bytes} ({bytes_per_sec}), {elapsed}",
        )
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(pb)
}

type Failure = (Exit, anyhow::Error);

/// Runs a scan: ingest, features, detection, output, summary.
pub fn scan(mut settings: ScanSettings) -> Result<Exit, Failure> {
    let bar = progress_bar(settings.quiet);
    if let Some(pb) = &bar {
        let pb = pb.clone();
        settings.ingest.progress = Some(Arc::new(move |n| pb.inc(n)));
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
    let ingested = runtime.block_on(ingest::ingest(&settings.ingest));
    if let Some(pb) = &bar {
        pb.finish_and_clear();
    }
    let Ingested { events, report } = ingested.map_err(|e| match e {
        IngestError::Unreadable { .. } | IngestError::NothingReadable(_) => {
            (Exit::InputUnreadable, e.into())
        }
    })?;
    tracing::info!(
        rows = events.len(),
        elapsed_ms = t0.elapsed().as_millis() as u64,
        "ingested"
    );

    if let Some(path) = &settings.rejects {
        write_rejects(path, &report.rejects).map_err(|e| {
            (
                Exit::Usage,
                e.context(format!("writing rejects to {}", path.display())),
            )
        })?;
    }

    let t1 = Instant::now();
    let feats = features::compute(&events, &settings.features).map_err(|e| {
        (
            Exit::Internal,
            anyhow::Error::new(e).context("computing features"),
        )
    })?;
    tracing::info!(
        hourly = feats.hourly.len(),
        daily = feats.daily.len(),
        elapsed_ms = t1.elapsed().as_millis() as u64,
        "features"
    );

    let t2 = Instant::now();
    let detection = detect::detect(&feats, &events, &settings.detect);
    let incidents = detect::incidents(&detection.findings);
    let alerts = alert::build(
        &incidents,
        &events,
        &settings.features.tz,
        settings.min_severity,
    );
    tracing::info!(
        findings = detection.findings.len(),
        incidents = incidents.len(),
        elapsed_ms = t2.elapsed().as_millis() as u64,
        "detection"
    );

    let written = {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        let res = match settings.format {
            OutputFormat::Table => alert::write_table(&alerts, &settings.features.tz, &mut out),
            _ => alert::write_jsonl(&alerts, &mut out),
        };
        res.and_then(|()| out.flush())
    };
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            return Err((
                Exit::Internal,
                anyhow::Error::new(e).context("writing results"),
            ))
        }
        Ok(()) => {}
    }

    if !settings.quiet {
        let below = incidents.len() - alerts.len();
        let summary = summary(
            &report,
            &events,
            &feats,
            &detection,
            &alerts,
            below,
            settings.min_severity,
        );
        let _ = std::io::stderr().write_all(summary.as_bytes());
    }
    Ok(Exit::Success)
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
    events: &ingest::event::EventTable,
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

fn kind_name(k: WindowKind) -> &'static str {
    match k {
        WindowKind::Hour => "hourly",
        WindowKind::Day => "daily",
    }
}
