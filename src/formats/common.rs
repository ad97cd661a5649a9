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

/// Looks up the first of `paths` (see [`json_text`]) whose value is present and not blank,
/// returning the path it was found at and the trimmed value: for fallback chains such as
/// "`eventTime`, else `@timestamp`".
pub fn json_first_text<'a>(
    obj: &'a serde_json::Value,
    paths: &[&'static str],
) -> Option<(&'static str, Cow<'a, str>)> {
    paths.iter().find_map(|&p| {
        let v = json_text(obj, p)?;
        let trimmed = v.trim();
        if trimmed.is_empty() {
            return None;
        }
        let v = match v {
            Cow::Borrowed(b) => Cow::Borrowed(b.trim()),
            Cow::Owned(o) => Cow::Owned(o.trim().to_owned()),
        };
        Some((p, v))
    })
}

/// For sniffing: the bytes of the value after the first occurrence of `"key"` as a JSON key
/// (followed by a colon, white space allowed) in `head`, which may be cut anywhere. A textual
/// scan, not a parse: it does not know nesting, and a key spelled inside a string value with
/// its quotes and colon would also match.
pub fn json_key_value<'h>(head: &'h [u8], key: &[u8]) -> Option<&'h [u8]> {
    let mut from = 0;
    while let Some(at) = find_bytes(head.get(from..)?, key) {
        let start = from + at;
        let quoted = start > 0 && head.get(start - 1) == Some(&b'"');
        let rest = head.get(start + key.len()..)?;
        if quoted && rest.first() == Some(&b'"') {
            let rest = rest.get(1..)?;
            let rest = rest.get(rest.iter().position(|b| !b.is_ascii_whitespace())?..)?;
            if let Some(value) = rest.strip_prefix(b":") {
                let skip = value.iter().position(|b| !b.is_ascii_whitespace());
                return Some(value.get(skip.unwrap_or(value.len())..).unwrap_or_default());
            }
        }
        from = start + 1;
    }
    None
}

fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// How much of a file [`read_json_records`] looks at to tell JSON Lines from a document.
const JSON_HEAD: u64 = 1 << 16;

/// Reads JSON records that come either one object per line (JSON Lines) or inside JSON
/// documents: an envelope object whose `array_key` member holds the records (CloudTrail's
/// `{"Records":[...]}`, the Reports API's `{"kind":...,"items":[...]}`), or a top-level array.
///
/// The first line decides: a complete JSON object that is not an envelope means JSON Lines,
/// read by [`read_json_lines`] with line numbers (a line that is itself an envelope is expanded,
/// its records all numbered with that line). Anything else (a pretty-printed or one-line
/// document, a first record longer than 64 KiB) is read as a stream of documents, without
/// holding a whole document in memory: each record of the array is parsed on its own and handed
/// to `on_value` with its 1-based index in the file. Several documents one after another are read
/// in turn; a top-level object without `array_key` is itself a record. Records that are not
/// objects are rejected here. Invalid JSON inside a document ends the file: the record at fault
/// is rejected, the records before it stand, and the file is marked as stopped early.
///
/// `Err` (the file is not JSON records) when it does not start with `{` or `[`, or when its very
/// first value is invalid.
pub fn read_json_records(
    mut input: impl Read,
    sink: &mut RowSink<'_>,
    array_key: &str,
    mut on_value: impl FnMut(&serde_json::Value, u64, &mut RowSink<'_>),
) -> Result<(), String> {
    let mut head = Vec::new();
    let read_error = input.by_ref().take(JSON_HEAD).read_to_end(&mut head).err();
    let complete = read_error.is_none() && (head.len() as u64) < JSON_HEAD;
    let body = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&head);
    let start = body.iter().position(|b| !b.is_ascii_whitespace());
    let first = start.and_then(|i| body.get(i).copied());
    let lines = match first {
        None if read_error.is_none() => return Ok(()),
        None => false,
        Some(b'{') => {
            let rest = body.get(start.unwrap_or(0)..).unwrap_or_default();
            let line = match rest.iter().position(|&b| b == b'\n') {
                Some(end) => rest.get(..end),
                None if complete => Some(rest),
                None => None,
            };
            line.and_then(|l| serde_json::from_slice::<serde_json::Value>(l).ok())
                .is_some_and(|v| v.is_object() && envelope(&v, array_key).is_none())
        }
        Some(b'[') => false,
        Some(_) => return Err("not JSON: does not start with '{' or '['".to_owned()),
    };
    let input = std::io::Cursor::new(head)
        .chain(FailOnce(read_error))
        .chain(input);
    if lines {
        read_json_lines(input, sink, |v, line, sink| match envelope(v, array_key) {
            Some(records) => {
                for r in records {
                    match r.is_object() {
                        true => on_value(r, line, sink),
                        false => sink.reject(line, not_an_object()),
                    }
                }
            }
            None => on_value(v, line, sink),
        });
        return Ok(());
    }
    let mut de = serde_json::Deserializer::from_reader(std::io::BufReader::with_capacity(
        JSON_HEAD as usize,
        input,
    ));
    let mut doc = JsonDoc {
        sink,
        on_value: &mut on_value,
        array_key,
        index: 0,
    };
    let mut first_value = true;
    loop {
        use serde::de::DeserializeSeed;
        if let Err(e) = TopLevel(&mut doc).deserialize(&mut de) {
            if e.is_io() {
                doc.sink
                    .stop_early(format!("read error after record {}: {e}", doc.index));
            } else if first_value && doc.index == 0 {
                return Err(format!("not valid JSON: {e}"));
            } else {
                let at = doc.index + 1;
                doc.sink.reject(
                    at,
                    RowError::new(RejectReason::Malformed, None, format!("invalid JSON: {e}")),
                );
                doc.sink.stop_early(format!(
                    "invalid JSON in record {at} ({e}): the rest of the file was not read"
                ));
            }
            return Ok(());
        }
        first_value = false;
        // `end` only looks past white space: an error means another document follows.
        match de.end() {
            Ok(()) => return Ok(()),
            Err(e) if e.is_io() => {
                doc.sink
                    .stop_early(format!("read error after record {}: {e}", doc.index));
                return Ok(());
            }
            Err(_) => {}
        }
    }
}

/// The records of an envelope object (its `array_key` member, when that is an array).
fn envelope<'v>(v: &'v serde_json::Value, array_key: &str) -> Option<&'v Vec<serde_json::Value>> {
    v.get(array_key)?.as_array()
}

fn not_an_object() -> RowError {
    RowError::new(RejectReason::Malformed, None, "record is not a JSON object")
}

/// A reader that yields a stored read error once (the one met while looking at the head of a
/// file), then nothing, so that it surfaces where the data ends.
struct FailOnce(Option<std::io::Error>);

impl Read for FailOnce {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        match self.0.take() {
            Some(e) => Err(e),
            None => Ok(0),
        }
    }
}

/// State of a streamed JSON document: where records go and how many were seen.
struct JsonDoc<'s, 'a, F> {
    sink: &'s mut RowSink<'a>,
    on_value: &'s mut F,
    array_key: &'s str,
    index: u64,
}

impl<F: FnMut(&serde_json::Value, u64, &mut RowSink<'_>)> JsonDoc<'_, '_, F> {
    fn record(&mut self, v: serde_json::Value) {
        self.index += 1;
        match v.is_object() {
            true => (self.on_value)(&v, self.index, self.sink),
            false => self.sink.reject(self.index, not_an_object()),
        }
    }
}

/// Deserializes one top-level value: an envelope, a record, or an array of records.
struct TopLevel<'d, 's, 'a, F>(&'d mut JsonDoc<'s, 'a, F>);

/// Deserializes the array of records inside an envelope (`null` is no records).
struct RecordArray<'d, 's, 'a, F>(&'d mut JsonDoc<'s, 'a, F>);

impl<'de, F: FnMut(&serde_json::Value, u64, &mut RowSink<'_>)> serde::de::DeserializeSeed<'de>
    for TopLevel<'_, '_, '_, F>
{
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: FnMut(&serde_json::Value, u64, &mut RowSink<'_>)> serde::de::Visitor<'de>
    for TopLevel<'_, '_, '_, F>
{
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "a JSON object (a record, or {{\"{}\":[...]}}) or an array of records",
            self.0.array_key
        )
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        RecordArray(self.0).visit_seq(seq)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut others = serde_json::Map::new();
        let mut is_envelope = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == self.0.array_key {
                map.next_value_seed(RecordArray(&mut *self.0))?;
                is_envelope = true;
            } else {
                let v: serde_json::Value = map.next_value()?;
                if !is_envelope {
                    others.insert(key, v);
                }
            }
        }
        if !is_envelope {
            self.0.record(serde_json::Value::Object(others));
        }
        Ok(())
    }
}

impl<'de, F: FnMut(&serde_json::Value, u64, &mut RowSink<'_>)> serde::de::DeserializeSeed<'de>
    for RecordArray<'_, '_, '_, F>
{
    type Value = ();
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, F: FnMut(&serde_json::Value, u64, &mut RowSink<'_>)> serde::de::Visitor<'de>
    for RecordArray<'_, '_, '_, F>
{
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "an array of records in \"{}\"", self.0.array_key)
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<serde_json::Value>()? {
            self.0.record(v);
        }
        Ok(())
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

    /// Reads `data` with [`read_json_records`], returning (record, number) pairs, the report and
    /// the result.
    fn records(
        data: impl Read,
    ) -> (
        Vec<(serde_json::Value, u64)>,
        crate::ingest::report::FileReport,
        Result<(), String>,
    ) {
        let mut table = crate::ingest::event::EventTable::default();
        let mut report = crate::ingest::report::FileReport::default();
        let mut rejects = Vec::new();
        let mut seen = Vec::new();
        let res = {
            let mut sink = RowSink::new(&mut table, &mut report, &mut rejects, "t.json", "test");
            read_json_records(data, &mut sink, "items", |v, n, sink| {
                seen.push((v.clone(), n));
                sink.context(&crate::ingest::event::RawEvent::default());
            })
        };
        (seen, report, res)
    }

    #[test]
    fn json_records_from_arrays_envelopes_and_lines() {
        let (seen, rep, res) = records(&b" [{\"a\":1}, 2, {\"a\":3}]"[..]);
        assert!(res.is_ok());
        assert_eq!(
            seen,
            vec![
                (serde_json::json!({"a": 1}), 1),
                (serde_json::json!({"a": 3}), 3)
            ]
        );
        assert_eq!((rep.rows_read, rep.rows_rejected()), (3, 1));
        // A pretty-printed envelope with members around the array; `null` items are none.
        let doc = b"{\n \"kind\": \"k\",\n \"items\": [\n  {\"a\": 1}\n ],\n \"next\": \"t\"\n}\n{\"items\": null}";
        let (seen, rep, _) = records(&doc[..]);
        assert_eq!(seen, vec![(serde_json::json!({"a": 1}), 1)]);
        assert_eq!(rep.rows_read, 1);
        // Lines: an envelope line is expanded with its line number.
        let (seen, _, _) = records(&b"{\"a\":1}\n{\"items\":[{\"a\":2},{\"a\":3}]}\n"[..]);
        let numbers: Vec<u64> = seen.iter().map(|s| s.1).collect();
        assert_eq!(numbers, vec![1, 2, 2]);
        assert!(records(&b"a,b\n1,2\n"[..]).2.is_err());
    }

    #[test]
    fn json_documents_are_streamed_not_slurped() {
        let mut doc = b"{\"items\":[".to_vec();
        for i in 0..20_000 {
            doc.extend_from_slice(format!("{{\"n\":{i},\"pad\":\"{:0>80}\"}},", i).as_bytes());
        }
        doc.extend_from_slice(b"{\"n\":-1}]}");
        let total = doc.len() as u64;
        assert!(total > 2_000_000);
        let consumed = std::rc::Rc::new(std::cell::Cell::new(0u64));
        let reader = Counted(std::io::Cursor::new(doc), consumed.clone());
        let mut table = crate::ingest::event::EventTable::default();
        let mut report = crate::ingest::report::FileReport::default();
        let mut rejects = Vec::new();
        let mut at_first = None;
        let mut sink = RowSink::new(&mut table, &mut report, &mut rejects, "t.json", "test");
        read_json_records(reader, &mut sink, "items", |_, n, sink| {
            if n == 1 {
                at_first = Some(consumed.get());
            }
            sink.context(&crate::ingest::event::RawEvent::default());
        })
        .unwrap();
        drop(sink);
        assert_eq!(report.rows_read, 20_001);
        let at_first = at_first.unwrap();
        assert!(
            at_first < 256 * 1024,
            "first record after {at_first} of {total} bytes"
        );
    }

    /// Counts the bytes read through it.
    struct Counted<R>(R, std::rc::Rc<std::cell::Cell<u64>>);

    impl<R: Read> Read for Counted<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1.set(self.1.get() + n as u64);
            Ok(n)
        }
    }

    #[test]
    fn key_scan_for_sniffing() {
        let head = br#"{"x": "eventVersion", "eventVersion" : "1.08", "k":"#;
        assert_eq!(
            json_key_value(head, b"eventVersion"),
            Some(&b"\"1.08\", \"k\":"[..])
        );
        assert_eq!(
            json_key_value(head, b"k"),
            Some(&b""[..]),
            "cut after the colon"
        );
        assert_eq!(json_key_value(head, b"x\""), None);
        assert_eq!(json_key_value(head, b""), None);
        assert_eq!(json_key_value(b"\"", b"\""), None);
    }
}

/// Test support: runs a format's reader over one input into a fresh table.
#[cfg(test)]
pub(crate) mod testing {
    use crate::ingest::event::EventTable;
    use crate::ingest::report::{FileReport, Reject};
    use crate::ingest::RowSink;

    /// What reading one file gave: the events, the file's report, its rejects, and the reader's
    /// result.
    pub type Parsed = (EventTable, FileReport, Vec<Reject>, Result<(), String>);

    /// A [`Parsed`] outcome with named parts, for readers' tests.
    pub struct Run {
        pub t: EventTable,
        pub rep: FileReport,
        pub rej: Vec<Reject>,
        pub res: Result<(), String>,
    }

    impl From<Parsed> for Run {
        fn from((t, rep, rej, res): Parsed) -> Run {
            Run { t, rep, rej, res }
        }
    }

    /// Reads one input named `name` of `source` with `read`.
    pub fn parse(
        name: &str,
        source: &str,
        read: impl FnOnce(&mut RowSink<'_>) -> Result<(), String>,
    ) -> Parsed {
        let mut table = EventTable::default();
        let mut report = FileReport::default();
        let mut rejects = Vec::new();
        let res = {
            let mut sink = RowSink::new(&mut table, &mut report, &mut rejects, name, source);
            read(&mut sink)
        };
        (table, report, rejects, res)
    }

    /// The reconciliation every reader keeps, as a property-test check: rows read = rows used +
    /// rows rejected, one table row per used row, one reject per rejected row.
    pub fn reconciles(
        table: &EventTable,
        report: &FileReport,
        rejects: &[Reject],
    ) -> Result<(), proptest::test_runner::TestCaseError> {
        proptest::prop_assert_eq!(report.rows_read, report.rows_used + report.rows_rejected());
        proptest::prop_assert_eq!(table.len() as u64, report.rows_used);
        proptest::prop_assert_eq!(rejects.len() as u64, report.rows_rejected());
        Ok(())
    }
}
