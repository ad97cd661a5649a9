//! What ingest did with every input row: used, or rejected with a reason.
//!
//! Invariant: for every file, `rows_read == rows_used + rows_rejected` (a blank line is not a
//! row). Rejected rows are never silently dropped: they are counted by file and reason, kept
//! with their line number for the end-of-run summary, and written out with `--rejects FILE`.

use std::collections::BTreeMap;
use std::fmt;

/// Why a row could not be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectReason {
    /// The row is not well formed: wrong number of CSV fields, invalid JSON, not an object.
    Malformed,
    /// The row is not valid UTF-8.
    InvalidUtf8,
    /// The timestamp field is absent or empty.
    MissingTimestamp,
    /// The timestamp field is present but not a valid date-time.
    BadTimestamp,
    /// The account field is absent or empty.
    MissingAccount,
    /// The records field is not a non-negative whole number.
    BadRecords,
    /// The bytes field is not a non-negative whole number.
    BadBytes,
}

impl RejectReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RejectReason::Malformed => "malformed row",
            RejectReason::InvalidUtf8 => "invalid UTF-8",
            RejectReason::MissingTimestamp => "no timestamp",
            RejectReason::BadTimestamp => "bad timestamp",
            RejectReason::MissingAccount => "no account",
            RejectReason::BadRecords => "non-numeric records",
            RejectReason::BadBytes => "non-numeric bytes",
        }
    }
}

impl fmt::Display for RejectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A row that could not be used, with where it was and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Reject {
    pub file: String,
    /// 1-based line number where the row starts.
    pub line: u64,
    pub reason: RejectReason,
    /// The canonical field at fault (`timestamp`, `records`, ...), if one is.
    pub field: Option<&'static str>,
    /// What was wrong, including the offending value (truncated).
    pub detail: String,
}

/// The ingest outcome of one input file.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub name: String,
    /// The format the file was read as.
    pub format: &'static str,
    pub rows_read: u64,
    /// Rows that became events (exports and context alike).
    pub rows_used: u64,
    /// Of `rows_used`, the rows kept as context only (logins, failed or non-export calls): they
    /// count for activity and for novelty of IPs and clients, never as export volume.
    pub rows_context: u64,
    pub rejected: BTreeMap<RejectReason, u64>,
    /// A read error that ended the file early (e.g. a truncated gzip stream): rows before it
    /// were used, and the error is reported.
    pub stopped_early: Option<String>,
}

impl FileReport {
    pub fn rows_rejected(&self) -> u64 {
        self.rejected.values().sum()
    }
}

/// A file that was not read at all, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct SkippedFile {
    pub name: String,
    pub reason: String,
}

/// The ingest outcome of a whole run.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    pub files: Vec<FileReport>,
    pub skipped: Vec<SkippedFile>,
    pub rejects: Vec<Reject>,
    /// Files met while walking a directory that do not look like log exports (by name).
    pub ignored_in_dirs: Vec<String>,
}

impl IngestReport {
    pub fn rows_read(&self) -> u64 {
        self.files.iter().map(|f| f.rows_read).sum()
    }
    pub fn rows_used(&self) -> u64 {
        self.files.iter().map(|f| f.rows_used).sum()
    }
    pub fn rows_context(&self) -> u64 {
        self.files.iter().map(|f| f.rows_context).sum()
    }
    pub fn rows_rejected(&self) -> u64 {
        self.files.iter().map(FileReport::rows_rejected).sum()
    }

    /// Merges the report of one file into the run's report.
    pub fn absorb(&mut self, file: FileReport, rejects: Vec<Reject>) {
        self.files.push(file);
        self.rejects.extend(rejects);
    }
}

/// Cuts a value for inclusion in a message, on a character boundary.
pub fn excerpt(s: &str) -> String {
    const MAX: usize = 80;
    match s.char_indices().nth(MAX) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_reconcile_across_files() {
        let mut r = IngestReport::default();
        let mut a = FileReport {
            name: "a".into(),
            rows_read: 10,
            rows_used: 7,
            ..Default::default()
        };
        a.rejected.insert(RejectReason::BadTimestamp, 2);
        a.rejected.insert(RejectReason::MissingAccount, 1);
        r.absorb(a, vec![]);
        r.absorb(
            FileReport {
                name: "b".into(),
                rows_read: 5,
                rows_used: 5,
                ..Default::default()
            },
            vec![],
        );
        assert_eq!(r.rows_read(), 15);
        assert_eq!(r.rows_used(), 12);
        assert_eq!(r.rows_rejected(), 3);
    }

    #[test]
    fn excerpt_cuts_on_char_boundary() {
        let long = "é".repeat(100);
        let e = excerpt(&long);
        assert_eq!(e.chars().count(), 83);
        assert!(e.ends_with("..."));
        assert_eq!(excerpt("short"), "short");
    }
}
