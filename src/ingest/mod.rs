//! Ingest: bytes of log exports -> canonical events, with a full account of every row. The
//! events go into a [`Collect`] sink: the [`EventTable`] (every row kept) or the streaming
//! window sink of `features::stream` (rows folded into windows, none kept).
//!
//! Inputs are files, directories (walked recursively, in sorted order, keeping files whose names
//! look like log exports) or `-` for standard input. Compression is detected from the content
//! (gzip magic bytes), not the name. Files are parsed in parallel on blocking threads, a large
//! file of a splittable format in blocks on several threads ([`blocks`]), and everything is
//! merged in input order, so the result does not depend on thread timing.

pub mod blocks;
pub mod event;
pub mod report;
pub mod time;

use crate::formats::{self, common::RowError, Format};
use event::{EventSink, EventTable, RawEvent};
use report::{FileReport, IngestReport, Reject, SkippedFile};
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

pub use event::EventTable as Events;

/// Where to read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Stdin,
    Path(PathBuf),
}

/// How to ingest.
#[derive(Clone, Default)]
pub struct IngestConfig {
    pub inputs: Vec<Input>,
    pub columns: formats::generic::ColumnMap,
    /// Read every file as this format instead of recognising it from its content.
    pub format: Option<Format>,
    /// A file that cannot be read is an error instead of being skipped.
    pub strict: bool,
    /// Size of the blocks a large file is cut into for parsing on several threads
    /// ([`blocks`]); `None`: [`blocks::BLOCK_BYTES`].
    pub block_bytes: Option<usize>,
    /// Where to count input bytes and rows read as reading goes, for a progress display.
    pub progress: Option<Arc<Progress>>,
}

/// Input bytes consumed and rows read (used or rejected) so far, counted by the readers and
/// parsers of every thread.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes: AtomicU64,
    pub rows: AtomicU64,
}

/// Ingest failed as a whole.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error("{path}: {reason}")]
    Unreadable { path: String, reason: String },
    #[error("no input could be read: {0}")]
    NothingReadable(String),
}

/// The canonical events and the account of what happened to every row.
#[derive(Debug, Default)]
pub struct Ingested {
    pub events: EventTable,
    pub report: IngestReport,
}

/// Receives the rows a format parser reads from one file: used rows go into the event table,
/// rejected ones into the report. Keeps `rows_read == rows_used + rows_rejected` by construction.
pub struct RowSink<'a> {
    table: &'a mut dyn EventSink,
    report: &'a mut FileReport,
    rejects: &'a mut Vec<Reject>,
    file_name: String,
    file: u32,
    source: u32,
    /// Shared counts, for progress, and the rows not yet added to them.
    counter: Option<Arc<Progress>>,
    uncounted: u64,
}

impl Drop for RowSink<'_> {
    fn drop(&mut self) {
        self.flush_count();
    }
}

impl<'a> RowSink<'a> {
    pub fn new(
        table: &'a mut dyn EventSink,
        report: &'a mut FileReport,
        rejects: &'a mut Vec<Reject>,
        file_name: &str,
        source: &str,
    ) -> Self {
        let file = table.names().add_file(file_name);
        let source = table.names().source_code(source);
        RowSink {
            table,
            report,
            rejects,
            file_name: file_name.to_owned(),
            file,
            source,
            counter: None,
            uncounted: 0,
        }
    }

    /// Also counts rows read into `counter` (in steps, for a progress display).
    pub fn counting(mut self, counter: Option<Arc<Progress>>) -> Self {
        self.counter = counter;
        self
    }

    fn flush_count(&mut self) {
        if let Some(c) = &self.counter {
            c.rows.fetch_add(self.uncounted, Ordering::Relaxed);
        }
        self.uncounted = 0;
    }

    /// One more row read.
    fn read_one_row(&mut self) {
        self.report.rows_read += 1;
        self.uncounted += 1;
        if self.uncounted == 1 << 14 {
            self.flush_count();
        }
    }

    /// A row that became an event.
    pub fn used(&mut self, e: &RawEvent<'_>) {
        self.read_one_row();
        self.report.rows_used += 1;
        self.table.push(self.source, self.file, e);
    }

    /// A row that became an event whose volume counts once per `key` across all files (see
    /// [`EventTable::push_once`]).
    pub fn used_once(&mut self, key: &str, e: &RawEvent<'_>) {
        self.read_one_row();
        self.report.rows_used += 1;
        self.table.push_once(self.source, self.file, key, e);
    }

    /// Records a display name for an account of this file's source.
    pub fn alias(&mut self, account: &str, display: &str) {
        self.table.names().alias(self.source, account, display);
    }

    /// A row kept as context only: activity, IP and client, but no export volume (any records
    /// or bytes it carries are dropped).
    pub fn context(&mut self, e: &RawEvent<'_>) {
        self.read_one_row();
        self.report.rows_used += 1;
        self.report.rows_context += 1;
        let e = RawEvent {
            records: None,
            bytes: None,
            ..e.clone()
        };
        self.table.push(self.source, self.file, &e);
    }

    /// A row that could not be used.
    pub fn reject(&mut self, line: u64, err: RowError) {
        self.read_one_row();
        *self.report.rejected.entry(err.reason).or_default() += 1;
        self.rejects.push(Reject {
            file: self.file_name.clone(),
            line,
            reason: err.reason,
            field: err.field,
            detail: err.detail,
        });
    }

    /// The file ended early on a read error; the rows before it stand.
    pub fn stop_early(&mut self, why: String) {
        self.report.stopped_early = Some(why);
    }
}

/// A sink that reads can be collected into: built per file (or block) on a worker thread, then
/// merged in input order.
pub trait Collect: EventSink + Default + Send + 'static {
    /// Merges `later` (rows that come after this one's in input order) into this one; with
    /// `same_file`, `later` is a later block of the file read last here (see
    /// [`event::Names::absorb`]).
    fn merge(&mut self, later: Self, same_file: bool);
}

impl Collect for EventTable {
    fn merge(&mut self, later: Self, same_file: bool) {
        self.append(later, same_file);
    }
}

impl Collect for crate::features::stream::WindowSink {
    fn merge(&mut self, later: Self, same_file: bool) {
        self.absorb(later, same_file);
    }
}

/// Reads every input into one event table.
///
/// Unreadable files are skipped and listed in the report (an error under `strict`). If nothing
/// at all could be read, returns [`IngestError::NothingReadable`].
pub async fn ingest(cfg: &IngestConfig) -> Result<Ingested, IngestError> {
    let (events, report) = ingest_into::<EventTable>(cfg).await?;
    Ok(Ingested { events, report })
}

/// Reads every input into one sink of type `S`: the event table, or the streaming window
/// builder (no rows kept). See [`ingest`].
pub async fn ingest_into<S: Collect>(cfg: &IngestConfig) -> Result<(S, IngestReport), IngestError> {
    let mut report = IngestReport::default();
    let mut jobs: Vec<Input> = Vec::new();
    for input in &cfg.inputs {
        match input {
            Input::Stdin => jobs.push(Input::Stdin),
            Input::Path(p) => match discover(p, &mut report) {
                Ok(files) => jobs.extend(files.into_iter().map(Input::Path)),
                Err(reason) => {
                    let path = p.display().to_string();
                    if cfg.strict {
                        return Err(IngestError::Unreadable { path, reason });
                    }
                    report.skipped.push(SkippedFile { name: path, reason });
                }
            },
        }
    }

    // Parse files in parallel (bounded by the blocking pool), then merge in input order.
    let limit = Arc::new(tokio::sync::Semaphore::new(
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    ));
    let mut handles = Vec::with_capacity(jobs.len());
    for job in jobs {
        let cfg = cfg.clone();
        let limit = limit.clone();
        handles.push(tokio::spawn(async move {
            let _permit = limit.acquire_owned().await.expect("semaphore never closed");
            tokio::task::spawn_blocking(move || read_one::<S>(&job, &cfg)).await
        }));
    }
    let mut events = S::default();
    for h in handles {
        let outcome = match h.await {
            Ok(Ok(o)) => o,
            Ok(Err(e)) | Err(e) => FileOutcome::Skipped(SkippedFile {
                name: "(internal)".into(),
                reason: format!("reader task failed: {e}"),
            }),
        };
        match outcome {
            FileOutcome::Read {
                table,
                file,
                rejects,
            } => {
                // The first file read is taken as it is (merging into an empty sink would copy
                // it and give the same codes).
                if report.files.is_empty() {
                    events = *table;
                } else {
                    events.merge(*table, false);
                }
                report.absorb(file, rejects);
            }
            FileOutcome::Skipped(s) => {
                if cfg.strict {
                    return Err(IngestError::Unreadable {
                        path: s.name,
                        reason: s.reason,
                    });
                }
                report.skipped.push(s);
            }
        }
    }
    if report.files.is_empty() {
        let why = match report.skipped.first() {
            Some(s) => format!("{}: {}", s.name, s.reason),
            None => "no input files found".to_owned(),
        };
        return Err(IngestError::NothingReadable(why));
    }
    Ok((events, report))
}

enum FileOutcome<S> {
    Read {
        table: Box<S>,
        file: FileReport,
        rejects: Vec<Reject>,
    },
    Skipped(SkippedFile),
}

/// Expands a path into the files to read: itself, or every log-like file below a directory
/// (sorted); names met in directories that are not log exports go to `report`.
pub fn expand(path: &Path, report: &mut IngestReport) -> Result<Vec<PathBuf>, String> {
    discover(path, report)
}

/// File names that a directory walk reads: log exports, possibly compressed.
fn looks_like_log(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    let n = n.strip_suffix(".gz").unwrap_or(&n);
    [".csv", ".jsonl", ".ndjson", ".json", ".log"]
        .iter()
        .any(|ext| n.ends_with(ext))
}

/// Expands a path into the files to read: itself, or every log-like file below a directory.
fn discover(path: &Path, report: &mut IngestReport) -> Result<Vec<PathBuf>, String> {
    let meta = std::fs::metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut stack = vec![path.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries.into_iter().rev() {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') {
                continue;
            }
            if p.is_dir() {
                stack.push(p);
            } else if looks_like_log(&name) {
                out.push(p);
            } else {
                report.ignored_in_dirs.push(p.display().to_string());
            }
        }
    }
    out.sort();
    report.ignored_in_dirs.sort();
    Ok(out)
}

/// Counts bytes read for the progress display.
struct Counting<R> {
    inner: R,
    progress: Option<Arc<Progress>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if let Some(p) = &self.progress {
            p.bytes.fetch_add(n as u64, Ordering::Relaxed);
        }
        Ok(n)
    }
}

/// Opens an input, decompressing gzip when the content starts with its magic bytes.
fn open(input: &Input, cfg: &IngestConfig) -> io::Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = match input {
        Input::Stdin => Box::new(io::stdin()),
        Input::Path(p) => Box::new(std::fs::File::open(p)?),
    };
    let mut buffered = BufReader::with_capacity(
        1 << 16,
        Counting {
            inner: raw,
            progress: cfg.progress.clone(),
        },
    );
    let head = buffered.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        let gz = flate2::bufread::MultiGzDecoder::new(buffered);
        Ok(Box::new(BufReader::with_capacity(1 << 16, gz)))
    } else {
        Ok(Box::new(buffered))
    }
}

fn display_name(input: &Input) -> String {
    match input {
        Input::Stdin => "(stdin)".to_owned(),
        Input::Path(p) => p.display().to_string(),
    }
}

/// Reads one file completely.
fn read_one<S: Collect>(input: &Input, cfg: &IngestConfig) -> FileOutcome<S> {
    let name = display_name(input);
    let skip = |reason: String| {
        FileOutcome::Skipped(SkippedFile {
            name: name.clone(),
            reason,
        })
    };
    let mut reader = match open(input, cfg) {
        Ok(r) => r,
        Err(e) => return skip(e.to_string()),
    };
    let format = match reader.fill_buf() {
        Ok(head) => cfg.format.unwrap_or_else(|| Format::sniff(head)),
        Err(e) => return skip(format!("cannot read: {e}")),
    };
    let file = FileReport {
        name: name.clone(),
        format: format.name(),
        ..Default::default()
    };
    if format.split().is_some() {
        return blocks::read_split::<S>(reader, format, cfg, &name, file);
    }
    let mut file = file;
    let (table, rejects, res) = read_into::<S>(reader, format, cfg, &name, &mut file);
    outcome(table, file, rejects, res, cfg, format, &name)
}

/// Reads `input` as `format` into a new sink, counting its rows in `report`.
fn read_into<S: Collect>(
    input: impl Read,
    format: Format,
    cfg: &IngestConfig,
    name: &str,
    report: &mut FileReport,
) -> (S, Vec<Reject>, Result<(), String>) {
    let mut sink = S::default();
    let mut rejects = Vec::new();
    let res = {
        let mut rows = RowSink::new(&mut sink, report, &mut rejects, name, format.source())
            .counting(cfg.progress.clone());
        format.read(input, &cfg.columns, &mut rows)
    };
    (sink, rejects, res)
}

/// What reading a file gave: its rows, or the reason it is skipped.
fn outcome<S>(
    table: S,
    file: FileReport,
    rejects: Vec<Reject>,
    res: Result<(), String>,
    cfg: &IngestConfig,
    format: Format,
    name: &str,
) -> FileOutcome<S> {
    let skip = |reason: String| {
        FileOutcome::Skipped(SkippedFile {
            name: name.to_owned(),
            reason,
        })
    };
    match res {
        Ok(()) => FileOutcome::Read {
            table: Box::new(table),
            file,
            rejects,
        },
        Err(reason) if cfg.format.is_none() && format.source() == formats::generic::SOURCE => {
            let known: Vec<&str> = Format::ALL.iter().map(|f| f.info().name).collect();
            skip(format!(
                "not a recognised log format ({}): as generic: {reason}",
                known.join(", ")
            ))
        }
        Err(reason) => skip(reason),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_like_names() {
        for n in [
            "a.csv",
            "A.CSV.gz",
            "x.jsonl",
            "y.ndjson.gz",
            "z.json",
            "s.log",
        ] {
            assert!(looks_like_log(n), "{n}");
        }
        for n in ["README.md", "make_sample.py", "notes.txt.gz", "archive.tar"] {
            assert!(!looks_like_log(n), "{n}");
        }
    }
}
