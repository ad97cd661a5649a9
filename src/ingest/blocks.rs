//! Reading one large file on several threads: the file is cut into blocks at line ends that lie
//! outside quoted fields, each block is parsed on a worker (with the CSV header put in front of
//! it), and the workers' sinks are merged in block order, so names get the same codes, volume-once
//! keys the same carriers and rejects the same line numbers as a sequential read.
//!
//! Only formats whose rows are independent of one another once the header is known are cut
//! ([`Split`]); a file that fits in one block is read on the calling thread.
//!
//! Cuts follow the quoting rules of the `csv` reader the formats use: a `"` opens a quoted field
//! only at the start of a field (after `,`, a line end, or at the start of the block); inside
//! one, `""` is a literal quote and a lone `"` closes it; a `"` elsewhere is an ordinary
//! character. A line end inside a quoted field is never a cut. A block with no safe cut grows
//! until it has one.

use super::report::{FileReport, Reject};
use super::{Collect, FileOutcome, IngestConfig};
use crate::formats::Format;
use std::collections::BTreeMap;
use std::io::{BufRead, Read};

/// Block size: large enough that merging a block's windows costs little next to parsing it.
pub const BLOCK_BYTES: usize = 8 << 20;

/// How a format's files may be cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// CSV with a header line, rows independent: each block is parsed behind the header.
    CsvWithHeader,
}

/// Position just past the last line end of `buf` that lies outside quoted fields, scanning from
/// a point outside quotes (the start of a block always is one). `None` when there is none, or
/// when the quoting cannot be decided within `buf`.
pub fn last_safe_cut(buf: &[u8]) -> Option<usize> {
    let mut last = None;
    // Start of the stretch, outside quotes, whose line ends are not yet considered.
    let mut seg = 0;
    let mut in_quotes = false;
    let mut skip_to = 0;
    for q in memchr::memchr_iter(b'"', buf) {
        if q < skip_to {
            continue;
        }
        if !in_quotes {
            if let Some(nl) = memchr::memrchr(b'\n', &buf[seg..q]) {
                last = Some(seg + nl + 1);
            }
            in_quotes = q == 0 || matches!(buf[q - 1], b',' | b'\n' | b'\r');
            seg = q + 1;
        } else {
            match buf.get(q + 1) {
                Some(b'"') => skip_to = q + 2,
                // A quote at the very end: a closing quote or half of an escaped pair.
                None => return last,
                Some(_) => {
                    in_quotes = false;
                    seg = q + 1;
                }
            }
        }
    }
    if !in_quotes {
        if let Some(nl) = memchr::memrchr(b'\n', &buf[seg..]) {
            last = Some(seg + nl + 1);
        }
    }
    last
}

/// Fills `buf` from `r` up to `cap` bytes; returns `Ok(true)` at the end of the input.
fn fill(r: &mut dyn BufRead, buf: &mut Vec<u8>, cap: usize) -> std::io::Result<bool> {
    while buf.len() < cap {
        let want = (cap - buf.len()) as u64;
        let n = r.take(want).read_to_end(buf)?;
        if n == 0 {
            return Ok(true);
        }
    }
    Ok(false)
}

/// One parsed block.
struct Parsed<S> {
    sink: S,
    report: FileReport,
    rejects: Vec<Reject>,
    result: Result<(), String>,
    /// Line ends in the block (for the line numbers of later blocks).
    newlines: u64,
}

fn parse_block<S: Collect>(
    header: &[u8],
    block: &[u8],
    format: Format,
    cfg: &IngestConfig,
    name: &str,
) -> Parsed<S> {
    let mut report = FileReport::default();
    let (sink, rejects, result) =
        super::read_into::<S>(header.chain(block), format, cfg, name, &mut report);
    Parsed {
        sink,
        report,
        rejects,
        result,
        newlines: memchr::memchr_iter(b'\n', block).count() as u64,
    }
}

/// Adds a later block's counts to the file's report.
fn add_counts(to: &mut FileReport, from: &FileReport) {
    to.rows_read += from.rows_read;
    to.rows_used += from.rows_used;
    to.rows_context += from.rows_context;
    for (reason, n) in &from.rejected {
        *to.rejected.entry(*reason).or_default() += n;
    }
}

/// The merged result of the blocks parsed so far, in order.
struct Merged<S> {
    sink: Option<S>,
    report: FileReport,
    rejects: Vec<Reject>,
    /// Line ends in the blocks merged so far.
    lines_before: u64,
    /// The first block's error (the header is not of this format): the file is skipped.
    error: Option<String>,
}

impl<S: Collect> Merged<S> {
    fn add(&mut self, p: Parsed<S>) {
        let offset = self.lines_before;
        self.lines_before += p.newlines;
        if let Err(e) = p.result {
            self.error.get_or_insert(e);
            return;
        }
        add_counts(&mut self.report, &p.report);
        self.rejects.extend(p.rejects.into_iter().map(|mut r| {
            if r.line > 0 {
                r.line += offset;
            }
            r
        }));
        match &mut self.sink {
            None => self.sink = Some(p.sink),
            Some(s) => s.merge(p.sink, true),
        }
    }
}

/// Reads a file of a [`Split`] format, in blocks on `workers` threads when it is larger than
/// one block. `reader` is positioned at the start of the (decompressed) content.
pub(super) fn read_split<S: Collect>(
    mut reader: Box<dyn BufRead + Send>,
    format: Format,
    cfg: &IngestConfig,
    name: &str,
    mut report: FileReport,
) -> FileOutcome<S> {
    let block_bytes = cfg.block_bytes.unwrap_or(BLOCK_BYTES).max(1);
    let mut first = Vec::with_capacity(block_bytes.min(BLOCK_BYTES));
    let mut stopped: Option<String> = None;
    let ended = match fill(&mut reader, &mut first, block_bytes) {
        Ok(e) => e,
        Err(e) => {
            stopped = Some(format!("read error after {} bytes: {e}", first.len()));
            true
        }
    };
    // The header line. With one block only, or no line end outside quotes in the first one,
    // the file is read here, whole.
    let header_end = match header_end(&first) {
        Some(h) if !ended => h,
        _ => {
            let rest: Box<dyn Read + Send> = if ended {
                Box::new(std::io::empty())
            } else {
                Box::new(reader)
            };
            let input = std::io::Cursor::new(first).chain(rest);
            let (sink, rejects, result) =
                super::read_into::<S>(input, format, cfg, name, &mut report);
            if let Some(why) = stopped {
                report.stopped_early = Some(why);
            }
            return super::outcome(sink, report, rejects, result, cfg, format, name);
        }
    };
    let header = first[..header_end].to_vec();
    let first_rows = first.split_off(header_end);
    let Merged {
        sink,
        report: counts,
        rejects,
        error,
        ..
    } = parse_in_blocks::<S>(
        reader,
        header.clone(),
        first_rows,
        format,
        cfg,
        name,
        &mut stopped,
    );
    // No rows after the header (the first block held exactly the header line): the header
    // alone is read, as a whole-file read would, so the file is still known to the table.
    let sink = sink.unwrap_or_else(|| parse_block::<S>(&header, &[], format, cfg, name).sink);
    add_counts(&mut report, &counts);
    report.stopped_early = stopped;
    let result = match error {
        Some(e) => Err(e),
        None => Ok(()),
    };
    super::outcome(sink, report, rejects, result, cfg, format, name)
}

/// The end of the header line: the first line end outside quotes (within the first MiB).
fn header_end(buf: &[u8]) -> Option<usize> {
    // The header is short: look for its end within the first line ends only.
    let mut from = 0;
    while let Some(nl) = memchr::memchr(b'\n', &buf[from..]) {
        let end = from + nl + 1;
        if last_safe_cut(&buf[..end]) == Some(end) {
            return Some(end);
        }
        from = end;
        if from > 1 << 20 {
            return None;
        }
    }
    None
}

/// Cuts the rest of the input into blocks, parses them on worker threads and merges them in
/// order. `carry` holds the rows read so far (after the header).
#[allow(clippy::too_many_arguments)]
fn parse_in_blocks<S: Collect>(
    mut reader: Box<dyn BufRead + Send>,
    header: Vec<u8>,
    mut carry: Vec<u8>,
    format: Format,
    cfg: &IngestConfig,
    name: &str,
    stopped: &mut Option<String>,
) -> Merged<S> {
    let block_bytes = cfg.block_bytes.unwrap_or(BLOCK_BYTES).max(1);
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (work_tx, work_rx) = crossbeam_channel::bounded::<(usize, Vec<u8>)>(workers);
    let (done_tx, done_rx) = crossbeam_channel::unbounded::<(usize, Parsed<S>)>();
    // Parsed blocks' buffers come back for reuse (fresh pages would have to be zeroed).
    let (pool_tx, pool_rx) = crossbeam_channel::unbounded::<Vec<u8>>();
    let mut merged = Merged {
        sink: None,
        report: FileReport::default(),
        rejects: Vec::new(),
        lines_before: 0,
        error: None,
    };
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let rx = work_rx.clone();
            let tx = done_tx.clone();
            let pool = pool_tx.clone();
            let header = &header;
            scope.spawn(move || {
                for (i, mut block) in rx {
                    let p = parse_block::<S>(header, &block, format, cfg, name);
                    if tx.send((i, p)).is_err() {
                        return;
                    }
                    block.clear();
                    let _ = pool.send(block);
                }
            });
        }
        drop(done_tx);
        let mut pending: BTreeMap<usize, Parsed<S>> = BTreeMap::new();
        let mut next = 0usize;
        let drain =
            |pending: &mut BTreeMap<usize, Parsed<S>>, next: &mut usize, merged: &mut Merged<S>| {
                while let Some(p) = pending.remove(next) {
                    merged.add(p);
                    *next += 1;
                }
            };
        let mut sent = 0usize;
        let mut bytes_sent = 0usize;
        let mut ended = false;
        while !ended {
            let cap = carry.len() + block_bytes;
            match fill(&mut reader, &mut carry, cap) {
                Ok(e) => ended = e,
                Err(e) => {
                    *stopped = Some(format!(
                        "read error after {} bytes of content: {e}",
                        header.len() + bytes_sent + carry.len()
                    ));
                    ended = true;
                }
            }
            let cut = if ended {
                // The last block: everything left (a final line without a line end included),
                // except a fragment cut off by a read error.
                if stopped.is_some() {
                    last_safe_cut(&carry).unwrap_or(0)
                } else {
                    carry.len()
                }
            } else {
                match last_safe_cut(&carry) {
                    Some(c) => c,
                    None => continue, // no safe cut yet: read more into this block
                }
            };
            let mut fresh = pool_rx
                .try_recv()
                .unwrap_or_else(|_| Vec::with_capacity(block_bytes + (carry.len() - cut)));
            fresh.extend_from_slice(&carry[cut..]);
            carry.truncate(cut);
            let block = std::mem::replace(&mut carry, fresh);
            if !block.is_empty() {
                bytes_sent += block.len();
                if work_tx.send((sent, block)).is_err() {
                    break;
                }
                sent += 1;
            }
            while let Ok((i, p)) = done_rx.try_recv() {
                pending.insert(i, p);
            }
            drain(&mut pending, &mut next, &mut merged);
        }
        drop(work_tx);
        for (i, p) in done_rx.iter() {
            pending.insert(i, p);
            drain(&mut pending, &mut next, &mut merged);
        }
    });
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::event::EventTable;
    use proptest::prelude::*;

    /// Reads `data` as `format` with blocks of `block` bytes (`usize::MAX`: whole, on this
    /// thread, as the sequential reader does).
    fn read(data: &str, format: Format, block: usize) -> (EventTable, FileReport, Vec<Reject>) {
        let cfg = IngestConfig {
            block_bytes: Some(block),
            ..Default::default()
        };
        let reader = Box::new(std::io::Cursor::new(data.as_bytes().to_vec()));
        match read_split::<EventTable>(reader, format, &cfg, "t.csv", FileReport::default()) {
            FileOutcome::Read {
                table,
                file,
                rejects,
            } => (*table, file, rejects),
            FileOutcome::Skipped(s) => panic!("skipped: {}", s.reason),
        }
    }

    /// Every row of a table as text, for comparing tables built with different codes.
    fn rows(t: &EventTable) -> Vec<String> {
        (0..t.len())
            .map(|r| {
                format!(
                    "{}|{}|{}|{}|{:?}|{:?}|{}|{}|{}",
                    t.time[r],
                    t.account_name(t.account[r]),
                    t.actions.get(t.action[r]),
                    t.objects.get(t.object[r]),
                    t.records[r],
                    t.bytes[r],
                    t.ips.get(t.src_ip[r]),
                    t.clients.get(t.client[r]),
                    t.files[t.file[r] as usize],
                )
            })
            .collect()
    }

    fn field() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{0,6}",
            // Quoted, with line ends, commas and escaped quotes inside.
            "[a-z\\n,]{0,6}".prop_map(|s| format!("\"{}\"", s.replace('"', "\"\""))),
            Just("\"a\"\"b\nc\"".to_owned()),
            // A quote in the middle of a field is an ordinary character.
            Just("x\"y".to_owned()),
        ]
    }

    fn row() -> impl Strategy<Value = String> {
        prop_oneof![
            4 => (0u8..3, 0u8..24, 0u8..4, field(), 0u32..5000, field()).prop_map(
                |(d, h, a, obj, rec, client)| format!(
                    "2025-01-0{}T{h:02}:15:00Z,acct{a},export,{obj},{rec},{},10.0.0.{a},{client}",
                    d + 1,
                    rec * 10
                )
            ),
            1 => Just(String::new()),
            1 => Just("not-a-time,acct1,export,x,1,1,,".to_owned()),
            1 => Just("2025-01-01T00:00:00Z,acct1".to_owned()),
            1 => (field(), field()).prop_map(|(a, b)| format!("2025-01-02T03:00:00Z,{a},q,{b},7,70,,")),
        ]
    }

    #[test]
    fn a_file_of_only_a_header_filling_the_first_block_is_still_read() {
        // 61 bytes: the header line and its CRLF, read in blocks of exactly 61 bytes (found by
        // the property below: the file was left out of the table).
        let data = "timestamp,account,action,object,records,bytes,src_ip,client\r\n";
        assert_eq!(data.len(), 61);
        let (whole, wrep, _) = read(data, Format::GenericCsv, usize::MAX);
        let (cut, crep, _) = read(data, Format::GenericCsv, data.len());
        assert_eq!(whole.files, vec!["t.csv".to_owned()]);
        assert_eq!(cut.files, whole.files);
        assert_eq!((crep.rows_read, crep.rows_used), (0, 0));
        assert_eq!((wrep.rows_read, wrep.rows_used), (0, 0));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        /// Cut into blocks of any size, a file gives the same rows, codes, counts and rejects
        /// (with the same line numbers) as read whole.
        #[test]
        fn blocks_read_like_the_whole_file(
            rows_in in proptest::collection::vec(row(), 0..40),
            crlf in any::<bool>(),
            last_newline in any::<bool>(),
            block in 1usize..300,
        ) {
            let eol = if crlf { "\r\n" } else { "\n" };
            let mut data = format!("timestamp,account,action,object,records,bytes,src_ip,client{eol}");
            data.push_str(&rows_in.join(eol));
            if last_newline {
                data.push_str(eol);
            }
            let (whole, wrep, wrej) = read(&data, Format::GenericCsv, usize::MAX);
            let (cut, crep, crej) = read(&data, Format::GenericCsv, block);
            prop_assert_eq!(rows(&cut), rows(&whole));
            prop_assert_eq!(&cut.account, &whole.account, "same codes");
            prop_assert_eq!(&cut.object, &whole.object, "same codes");
            prop_assert_eq!(&cut.files, &whole.files);
            prop_assert_eq!(
                (crep.rows_read, crep.rows_used, &crep.rejected),
                (wrep.rows_read, wrep.rows_used, &wrep.rejected)
            );
            let lines = |r: &[Reject]| r.iter().map(|x| (x.line, x.reason)).collect::<Vec<_>>();
            prop_assert_eq!(lines(&crej), lines(&wrej));
        }
    }

    #[test]
    fn cuts_after_the_last_line_end() {
        assert_eq!(last_safe_cut(b"a,b\nc,d\ne"), Some(8));
        assert_eq!(last_safe_cut(b"a,b\n"), Some(4));
        assert_eq!(last_safe_cut(b"abc"), None);
    }

    #[test]
    fn never_cuts_inside_a_quoted_field() {
        // The second line end is inside "x\ny": the cut is after the first.
        assert_eq!(last_safe_cut(b"a,b\nc,\"x\ny"), Some(4));
        // Closed again: the line end after it is safe.
        assert_eq!(last_safe_cut(b"a,b\nc,\"x\ny\"\nz"), Some(12));
        // An escaped quote does not close the field.
        assert_eq!(last_safe_cut(b"a\nc,\"x\"\"\ny"), Some(2));
        // A quote in the middle of a field is an ordinary character.
        assert_eq!(last_safe_cut(b"a\nc,x\"y\nz"), Some(8));
        // A quote at the very end cannot be decided: cut before its field.
        assert_eq!(last_safe_cut(b"a\nc,\"x\ny\""), Some(2));
        // A field opened at the start of the block.
        assert_eq!(last_safe_cut(b"\"a\nb\"\nc"), Some(6));
    }
}
