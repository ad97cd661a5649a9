//! What every format parser shares: row errors, number parsing, JSON field lookup, and the read
//! loops for CSV with a header, JSON Lines and whole JSON documents. The loops own line
//! numbering and structural rejects (wrong field count, invalid JSON, invalid UTF-8); a format
//! supplies only how a row becomes an event.

use crate::ingest::report::{excerpt, RejectReason};
use crate::ingest::RowSink;
use std::borrow::Cow;
use std::io::{BufRead, Read};

/// Why one row could not be used.
#[derive(Debug, Clone, PartialEq)]
pub struct RowError {
    pub reason: RejectReason,
    pub field: Option<&'static str>,
    pub detail: String,
}

impl RowError {
    pub fn new(
        reason: RejectReason,
        field: Option<&'static str>,
        detail: impl Into<String>,
    ) -> Self {
        RowError {
            reason,
            field,
            detail: detail.into(),
        }
    }
}

/// Parses a count of records or bytes: empty is "not given"; a whole number, possibly written
/// as a float with no fractional part (`89.0`, as some pipelines emit), is accepted; anything
/// else (negative, fractional, text) is an error.
pub fn parse_count(s: &str) -> Result<Option<i64>, String> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = s.parse::<i64>() {
        return if n >= 0 {
            Ok(Some(n))
        } else {
            Err(format!("negative: {s:?}"))
        };
    }
    match s.parse::<f64>() {
        Ok(f) if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < 9.0e18 => Ok(Some(f as i64)),
        Ok(_) => Err(format!("not a non-negative whole number: {:?}", excerpt(s))),
        Err(_) => Err(format!("not a number: {:?}", excerpt(s))),
    }
}

/// Looks up `key` in a JSON object (directly, else as a dotted path) as text. Numbers and
/// booleans are rendered as text; null and absent are `None`.
pub fn json_text<'a>(obj: &'a serde_json::Value, key: &str) -> Option<Cow<'a, str>> {
    let v = match obj.get(key) {
        Some(v) => v,
        None if key.contains('.') => key.split('.').try_fold(obj, |o, k| o.get(k))?,
        None => return None,
    };
    match v {
        serde_json::Value::String(s) => Some(Cow::Borrowed(s)),
        serde_json::Value::Number(n) => Some(Cow::Owned(n.to_string())),
        serde_json::Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        serde_json::Value::Null => None,
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// A CSV header: column names, trimmed, byte-order mark removed.
#[derive(Debug, Clone)]
pub struct CsvHeader {
    pub names: Vec<String>,
}

impl CsvHeader {
    /// Index of the first of `candidates` present, matching case-insensitively.
    pub fn find(&self, candidates: &[&str]) -> Option<usize> {
        candidates
            .iter()
            .find_map(|c| self.names.iter().position(|n| n.eq_ignore_ascii_case(c)))
    }
}

/// One CSV record and the line it starts on.
pub struct CsvRow<'r> {
    rec: &'r csv::ByteRecord,
    pub line: u64,
}

impl CsvRow<'_> {
    /// The value of column `i` (empty when `i` is `None`), or an invalid-UTF-8 error naming `field`.
    pub fn get(&self, i: Option<usize>, field: &'static str) -> Result<&str, RowError> {
        let Some(i) = i else { return Ok("") };
        std::str::from_utf8(self.rec.get(i).unwrap_or_default())
            .map_err(|_| RowError::new(RejectReason::InvalidUtf8, Some(field), "not UTF-8"))
    }
}

/// Reads CSV with a header row. `on_header` checks the header and prepares a column map (an
/// `Err` means the file is not of this format and is skipped with that reason); `on_row` turns
/// each record into an event, a context event or a reject. Records whose field count differs
/// from the header's are rejected here; blank lines are not rows.
pub fn read_csv_rows<H>(
    input: impl Read,
    sink: &mut RowSink<'_>,
    on_header: impl FnOnce(&CsvHeader) -> Result<H, String>,
    mut on_row: impl FnMut(&H, &CsvRow<'_>, &mut RowSink<'_>),
) -> Result<(), String> {
    let tracker = std::rc::Rc::new(std::cell::Cell::new(StreamEnd::default()));
    let input = EndTracking {
        inner: input,
        end: tracker.clone(),
    };
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(input);
    let mut rec = csv::ByteRecord::new();
    let header = match rdr.read_byte_record(&mut rec) {
        Ok(true) => CsvHeader {
            names: rec
                .iter()
                .enumerate()
                .map(|(i, h)| {
                    let h = String::from_utf8_lossy(h);
                    let h = if i == 0 {
                        h.trim_start_matches('\u{feff}')
                    } else {
                        &h
                    };
                    h.trim().to_owned()
                })
                .collect(),
        },
        Ok(false) => return Ok(()),
        Err(e) => return Err(format!("cannot read the header: {e}")),
    };
    // With CRLF line ends the reader stops a record at its '\r' and counts the '\n' only when
    // it reads the next record, so right after the header the line count has not moved on.
    let crlf = rdr.position().line() == 1 + newlines(&rec);
    let map = on_header(&header)?;
    let width = header.names.len();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => return Ok(()),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                if let csv::ErrorKind::Io(io) = e.kind() {
                    sink.stop_early(format!("read error after line {line}: {io}"));
                    return Ok(());
                }
                // A CSV-level error in one record: the reader resumes at the next one.
                sink.reject(
                    line,
                    RowError::new(RejectReason::Malformed, None, e.to_string()),
                );
                continue;
            }
        }
        let line = start_line(&rdr, &rec, tracker.get(), crlf);
        if rec.len() == 1 && rec.get(0).is_some_and(<[u8]>::is_empty) {
            continue;
        }
        if rec.len() != width {
            let detail = format!(
                "expected {width} fields as in the header, found {}",
                rec.len()
            );
            sink.reject(line, RowError::new(RejectReason::Malformed, None, detail));
            continue;
        }
        on_row(&map, &CsvRow { rec: &rec, line }, sink);
    }
}

/// What has been seen of the end of a byte stream: its length so far, its last byte, and
/// whether it has ended.
#[derive(Debug, Clone, Copy, Default)]
struct StreamEnd {
    bytes: u64,
    last: u8,
    eof: bool,
}

/// A reader that records [`StreamEnd`] for the line arithmetic of [`start_line`].
struct EndTracking<R> {
    inner: R,
    end: std::rc::Rc<std::cell::Cell<StreamEnd>>,
}

impl<R: Read> Read for EndTracking<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut e = self.end.get();
        if n == 0 {
            e.eof = !buf.is_empty();
        } else {
            e.bytes += n as u64;
            e.last = buf[n - 1];
        }
        self.end.set(e);
        Ok(n)
    }
}

/// The 1-based line on which the record just read starts.
///
/// The csv reader's own record position points *before* any blank lines it skipped, so it is
/// wrong after a blank line. The line count after the record is right, so count back from it:
/// minus the newlines inside quoted fields, minus the record's own terminator (absent only for a
/// last line with no newline at the end of the stream, and not yet counted in a CRLF file).
fn start_line<R: Read>(
    rdr: &csv::Reader<R>,
    rec: &csv::ByteRecord,
    end: StreamEnd,
    crlf: bool,
) -> u64 {
    let after = rdr.position();
    let unterminated = end.eof && after.byte() == end.bytes && end.last != b'\n';
    let terminator = u64::from(!unterminated && !crlf);
    after
        .line()
        .saturating_sub(newlines(rec) + terminator)
        .max(1)
}

/// The newlines inside a record's quoted fields.
fn newlines(rec: &csv::ByteRecord) -> u64 {
    rec.as_slice().iter().filter(|&&b| b == b'\n').count() as u64
}

/// Reads JSON Lines: one JSON object per line, handed to `on_value` with its line number.
/// Blank lines are skipped; invalid JSON, non-objects and invalid UTF-8 are rejected here.
pub fn read_json_lines(
    input: impl Read,
    sink: &mut RowSink<'_>,
    mut on_value: impl FnMut(&serde_json::Value, u64, &mut RowSink<'_>),
) {
    let mut reader = std::io::BufReader::with_capacity(1 << 16, input);
    let mut buf = Vec::new();
    let mut line = 0u64;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => return,
            Ok(_) => line += 1,
            Err(e) => {
                sink.stop_early(format!("read error after line {line}: {e}"));
                return;
            }
        }
        let Ok(text) = std::str::from_utf8(&buf) else {
            sink.reject(
                line,
                RowError::new(RejectReason::InvalidUtf8, None, "line is not UTF-8"),
            );
            continue;
        };
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        match serde_json::from_str::<serde_json::Value>(text) {
            Ok(v) if v.is_object() => on_value(&v, line, sink),
            Ok(_) => sink.reject(
                line,
                RowError::new(RejectReason::Malformed, None, "not a JSON object"),
            ),
            Err(e) => sink.reject(
                line,
                RowError::new(RejectReason::Malformed, None, format!("invalid JSON: {e}")),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lookup_is_case_insensitive_and_ordered() {
        let h = CsvHeader {
            names: vec!["TIMESTAMP".into(), "timestamp_derived".into()],
        };
        assert_eq!(h.find(&["TIMESTAMP_DERIVED", "TIMESTAMP"]), Some(1));
        assert_eq!(h.find(&["nope"]), None);
    }

    #[test]
    fn line_numbers_with_crlf_line_ends() {
        let data = "a,b\r\n1,\"x\r\ny\"\r\n\r\n3\r\n4,z\r\n5\r\n6,w";
        let mut table = crate::ingest::event::EventTable::default();
        let mut report = crate::ingest::report::FileReport::default();
        let mut rejects = Vec::new();
        let mut rows = Vec::new();
        {
            let mut sink = RowSink::new(&mut table, &mut report, &mut rejects, "t", "generic");
            read_csv_rows(
                data.as_bytes(),
                &mut sink,
                |_| Ok(()),
                |_, row, _| rows.push(row.line),
            )
            .unwrap();
        }
        // Row 1 spans lines 2-3, line 4 is blank, lines 5 and 7 have one field.
        assert_eq!(rows, vec![2, 6, 8]);
        let bad: Vec<u64> = rejects.iter().map(|r| r.line).collect();
        assert_eq!(bad, vec![5, 7]);
    }

    #[test]
    fn json_paths() {
        let v: serde_json::Value = serde_json::json!({"a": {"b": 2.0}, "c": null, "d.e": "x"});
        assert_eq!(json_text(&v, "a.b").as_deref(), Some("2.0"));
        assert_eq!(json_text(&v, "c"), None);
        assert_eq!(
            json_text(&v, "d.e").as_deref(),
            Some("x"),
            "a literal dotted key wins"
        );
        assert_eq!(json_text(&v, "a.z"), None);
    }
}
