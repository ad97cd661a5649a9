//! AWS CloudTrail (FORMATS.md, section 3): S3 object reads as exports, every other call as
//! context.
//!
//! Input is either a delivery file, `{"Records":[...]}` (as written under
//! `AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/`, gzip already undone by ingest), or one
//! record per line as log pipelines forward them. A delivery file can be hundreds of MB: it is
//! streamed (see [`read_json_records`]), one record parsed at a time, never the whole document.
//! Line numbers in rejects are lines for one-record-per-line files and the 1-based index of the
//! record for delivery files.
//!
//! | canonical | read from                                                                    |
//! |-----------|------------------------------------------------------------------------------|
//! | time      | `eventTime`, else `@timestamp` (Logstash pipelines drop `eventTime`)          |
//! | account   | `userIdentity.arn`, else `.principalId`, `.invokedBy` (AWS services), `.accountId` (cross-account and anonymous callers) |
//! | action    | `eventName`                                                                  |
//! | object    | the dataset read: `requestParameters.bucketName` + `/` + the key's leading path segments up to the first with a digit (see [`dataset`]) |
//! | records   | 1 for a successful S3 `GetObject` (one object read)                          |
//! | bytes     | `additionalEventData.bytesTransferredOut` of that `GetObject` (`89.0` accepted) |
//! | src_ip    | `sourceIPAddress` (an AWS service's name when a service made the call)        |
//! | client    | `userAgent`, without the `[...]` S3 data events wrap it in                   |
//!
//! A successful `GetObject` (event source `s3.amazonaws.com`, no `errorCode`) is an export whose
//! volume counts once per `eventID`, so the same event in two overlapping exports is not counted
//! twice. Failed calls and all other events are context: they show new IPs and clients, not
//! volume.
//!
//! The object is the *dataset* an object belongs to, not its key: S3 keys are mostly unique
//! (`exports/contact/2025-01-05/part-0001.csv`, `dt=2025-01-05/...`), so keys never recur, every
//! read would be of a "new object", and breadth would only count reads again. The dataset is the
//! bucket and the key's leading path segments before the first one holding a digit (a date, a
//! part number, a hash): `exports/contact/`. A key without such segments stays whole
//! (`acme-hr/salaries.xlsx`). Alerts name datasets; the keys are in the window's log records.

use super::common::{
    json_first_text, json_key_value, json_text, parse_count, read_json_records, RowError,
};
use crate::ingest::event::RawEvent;
use crate::ingest::report::{excerpt, RejectReason};
use crate::ingest::time::parse_timestamp;
use crate::ingest::RowSink;
use serde_json::Value;
use std::io::Read;

/// The `--log-format` name.
pub const NAME: &str = "cloudtrail";
/// The log family: accounts are AWS principals.
pub const SOURCE: &str = "aws";

pub const FIELDS: &[(&str, &str)] = &[
    ("timestamp", "eventTime, else @timestamp"),
    (
        "account",
        "userIdentity.arn, else .principalId, .invokedBy, .accountId",
    ),
    ("action", "eventName"),
    (
        "object",
        "requestParameters.bucketName/key, cut before the first path segment with a digit",
    ),
    ("records", "1 per successful s3 GetObject"),
    (
        "bytes",
        "additionalEventData.bytesTransferredOut (GetObject)",
    ),
    ("src_ip", "sourceIPAddress"),
    ("client", "userAgent (S3's [brackets] removed)"),
];

/// Where the time is, in order of preference.
const TIME: &[&str] = &["eventTime", "@timestamp"];
/// What identifies the actor, in order of preference.
const ACTOR: &[&str] = &[
    "userIdentity.arn",
    "userIdentity.principalId",
    "userIdentity.invokedBy",
    "userIdentity.accountId",
];
/// The envelope member of a delivery file that holds the records.
const RECORDS: &str = "Records";
/// The only call counted as export volume: an S3 object read.
const EXPORT_SOURCE: &str = "s3.amazonaws.com";
const EXPORT_EVENT: &str = "GetObject";

/// Whether the head of a file looks like CloudTrail: JSON starting with an object whose keys
/// include `eventVersion` together with `userIdentity` or `eventSource` (in a delivery file's
/// `{"Records":[...]}` or on their own). S3 event notifications share those keys but name their
/// source `aws:s3`, and are not claimed.
pub fn sniff(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    if head.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return false;
    }
    let is_notification =
        json_key_value(head, b"eventSource").is_some_and(|v| v.starts_with(b"\"aws:"));
    json_key_value(head, b"eventVersion").is_some()
        && (json_key_value(head, b"userIdentity").is_some()
            || json_key_value(head, b"eventSource").is_some())
        && !is_notification
}

/// Reads a CloudTrail file (delivery document or one record per line). `Err` only when the file
/// is not JSON records at all.
pub fn read(input: impl Read, sink: &mut RowSink<'_>) -> Result<(), String> {
    read_json_records(input, sink, RECORDS, |record, line, sink| {
        if let Err(err) = read_record(record, sink) {
            sink.reject(line, err);
        }
    })
}

/// Maps one record to an export, a context event, or an error.
fn read_record(r: &Value, sink: &mut RowSink<'_>) -> Result<(), RowError> {
    let (time_key, ts) = json_first_text(r, TIME).ok_or_else(|| {
        RowError::new(
            RejectReason::MissingTimestamp,
            Some("timestamp"),
            "no eventTime or @timestamp",
        )
    })?;
    let time_ms = parse_timestamp(&ts).map_err(|e| {
        RowError::new(
            RejectReason::BadTimestamp,
            Some("timestamp"),
            format!("{time_key}: {e}: {:?}", excerpt(&ts)),
        )
    })?;
    let (_, account) = json_first_text(r, ACTOR).ok_or_else(|| {
        RowError::new(
            RejectReason::MissingAccount,
            Some("account"),
            "userIdentity has no arn, principalId, invokedBy or accountId",
        )
    })?;
    let text = |path: &str| json_text(r, path).unwrap_or_default();
    let action = text("eventName");
    let failed = !text("errorCode").trim().is_empty();
    let export = !failed && action == EXPORT_EVENT && text("eventSource") == EXPORT_SOURCE;
    let bytes = match export {
        true => parse_count(&text("additionalEventData.bytesTransferredOut")).map_err(|e| {
            RowError::new(
                RejectReason::BadBytes,
                Some("bytes"),
                format!("additionalEventData.bytesTransferredOut: {e}"),
            )
        })?,
        false => None,
    };
    let bucket = text("requestParameters.bucketName");
    let key = text("requestParameters.key");
    let object = dataset(&bucket, &key);
    let agent = text("userAgent");
    let agent = agent.trim();
    let client = agent
        .strip_prefix('[')
        .and_then(|a| a.strip_suffix(']'))
        .unwrap_or(agent);
    let src_ip = text("sourceIPAddress");
    let e = RawEvent {
        time_ms,
        account: &account,
        action: &action,
        object: &object,
        records: export.then_some(1),
        bytes,
        src_ip: src_ip.trim(),
        client,
    };
    match (export, json_text(r, "eventID")) {
        (true, Some(id)) if !id.trim().is_empty() => {
            sink.used_once(&format!("cloudtrail:{}", id.trim()), &e);
        }
        (true, _) => sink.used(&e),
        (false, _) => sink.context(&e),
    }
    Ok(())
}

/// The dataset an S3 object belongs to (see the module doc): `bucket/` and the key's leading
/// path segments before the first that holds an ASCII digit, each with its `/`; a key with no
/// such segment is kept whole. Without a bucket, the key alone; without a key, the bucket.
pub fn dataset(bucket: &str, key: &str) -> String {
    if bucket.is_empty() || key.is_empty() {
        return format!("{bucket}{key}");
    }
    let mut out = format!("{bucket}/");
    for seg in key.split_inclusive('/') {
        if seg.bytes().any(|b| b.is_ascii_digit()) {
            return out;
        }
        out.push_str(seg);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::common::testing::Run;

    fn run(input: impl Read) -> Run {
        crate::formats::common::testing::parse("ct.json", SOURCE, |sink| read(input, sink)).into()
    }

    fn fixture(name: &str) -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/cloudtrail")
            .join(name)
    }

    const FIXTURE: &str = "123456789012_CloudTrail_us-east-1_20250123T0225Z_fixture.json";

    const REAL: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/real-logs/aws_cloudtrail/otrf-ec2_proxy_s3_exfiltration/",
        "ec2_proxy_s3_exfiltration_2020-09-14011940.json"
    );
    const WAF_ROLE: &str = "arn:aws:sts::123456789123:assumed-role/\
                            MordorNginxStack-BankingWAFRole-9S3E0UAE1MM0/i-0317f6c6b66ae9c40";

    #[test]
    fn real_capture_two_get_objects_rest_context() {
        let r = run(std::fs::File::open(REAL).expect("real capture present"));
        assert!(r.res.is_ok(), "{:?}", r.res);
        assert!(r.rej.is_empty(), "{:?}", r.rej);
        assert_eq!(
            (r.rep.rows_read, r.rep.rows_used, r.rep.rows_context),
            (103, 103, 101)
        );
        assert_eq!(r.t.len(), 103);
        // The GetObject calls are on lines 80 and 103 (no rejects, so rows 79 and 102).
        // 2020-09-14 is day 18519 (18262 days to 2020-01-01, plus 244 to Sep 1, plus 13).
        let day = 18_519 * 86_400_000i64;
        for (row, time) in [
            (79, day + (3600 + 2 * 60 + 34) * 1000),
            (102, day + (3600 + 13 * 60 + 20) * 1000),
        ] {
            let t = &r.t;
            assert_eq!(t.account_name(t.account[row]), WAF_ROLE);
            assert_eq!(t.time[row], time);
            assert_eq!(t.records[row], Some(1));
            assert_eq!(t.bytes[row], Some(89));
            assert_eq!(t.actions.get(t.action[row]), "GetObject");
            assert_eq!(
                t.objects.get(t.object[row]),
                "mordors3stack-s3bucket-llp2yingx64a/ring.txt"
            );
            assert_eq!(t.ips.get(t.src_ip[row]), "1.2.3.4");
            assert_eq!(
                t.clients.get(t.client[row]),
                "aws-cli/1.18.136 Python/3.8.5 Darwin/19.5.0 botocore/1.17.59"
            );
        }
        let with_volume: Vec<usize> = (0..r.t.len())
            .filter(|&i| r.t.records[i].is_some() || r.t.bytes[i].is_some())
            .collect();
        assert_eq!(with_volume, vec![79, 102], "every other record is context");
        // The AWS-service AssumeRole calls have no ARN: the invoking service is the actor.
        let sts = (0..r.t.len())
            .filter(|&i| r.t.account_name(r.t.account[i]) == "ec2.amazonaws.com")
            .count();
        assert_eq!(sts, 5);
    }

    /// The hand-written delivery file; see the expected values at each assertion.
    fn check_fixture(r: &Run) {
        assert!(r.res.is_ok(), "{:?}", r.res);
        // 9 records: exports 1, 3, 4 (duplicate of 1), 8; context 2, 6, 7; rejects 5, 9.
        assert_eq!(
            (r.rep.rows_read, r.rep.rows_used, r.rep.rows_context),
            (9, 7, 3)
        );
        assert_eq!(r.rep.rows_rejected(), 2);
        let t = &r.t;
        let alice = "arn:aws:iam::123456789012:user/alice";
        // Record 1: integer bytesTransferredOut, bracketed user agent.
        assert_eq!(t.account_name(t.account[0]), alice);
        assert_eq!(t.time[0], parse_timestamp("2025-01-23T02:14:07Z").unwrap());
        assert_eq!((t.records[0], t.bytes[0]), (Some(1), Some(1_048_576)));
        assert_eq!(t.objects.get(t.object[0]), "acme-finance-exports/");
        assert_eq!(t.ips.get(t.src_ip[0]), "203.0.113.7");
        assert_eq!(
            t.clients.get(t.client[0]),
            "aws-cli/2.15.0 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22"
        );
        // Record 2: GetObject denied -> context, its bytes dropped.
        assert_eq!(t.actions.get(t.action[1]), "GetObject");
        assert_eq!(t.objects.get(t.object[1]), "acme-hr/salaries.xlsx");
        assert_eq!((t.records[1], t.bytes[1]), (None, None));
        // Record 3: no eventTime, @timestamp with milliseconds; float bytes.
        assert_eq!(
            t.account_name(t.account[2]),
            "arn:aws:sts::123456789012:assumed-role/ReportingRole/session-42"
        );
        assert_eq!(
            t.time[2],
            parse_timestamp("2025-01-23T02:20:00Z").unwrap() + 500
        );
        assert_eq!((t.records[2], t.bytes[2]), (Some(1), Some(2048)));
        assert_eq!(
            t.clients.get(t.client[2]),
            "Boto3/1.34.0 md/Botocore#1.34.0"
        );
        // Record 4: same eventID as record 1 -> still an event, volume counted once.
        assert_eq!(t.account_name(t.account[3]), alice);
        assert_eq!((t.records[3], t.bytes[3]), (None, None));
        // Record 5 is rejected (bad time); records 6 and 7 are context.
        assert_eq!(t.account_name(t.account[4]), "ec2.amazonaws.com");
        assert_eq!(t.actions.get(t.action[4]), "AssumeRole");
        assert_eq!(t.ips.get(t.src_ip[4]), "ec2.amazonaws.com");
        assert_eq!(t.actions.get(t.action[5]), "ListObjects");
        assert_eq!(t.objects.get(t.object[5]), "acme-finance-exports");
        assert_eq!((t.records[5], t.bytes[5]), (None, None));
        // Record 8: anonymous read of a public object, no ARN or principal id.
        assert_eq!(t.account_name(t.account[6]), "ANONYMOUS_PRINCIPAL");
        assert_eq!((t.records[6], t.bytes[6]), (Some(1), Some(512)));
        assert_eq!(
            t.bytes.iter().flatten().sum::<i64>(),
            1_048_576 + 2048 + 512
        );

        assert_eq!(r.rej.len(), 2);
        assert_eq!(
            (r.rej[0].line, r.rej[0].reason, r.rej[0].field),
            (5, RejectReason::BadTimestamp, Some("timestamp"))
        );
        assert!(
            r.rej[0].detail.contains("eventTime") && r.rej[0].detail.contains("T25:00"),
            "{}",
            r.rej[0].detail
        );
        assert_eq!(
            (r.rej[1].line, r.rej[1].reason),
            (9, RejectReason::MissingAccount)
        );
    }

    #[test]
    fn delivery_file_maps_exports_context_and_rejects() {
        check_fixture(&run(std::fs::File::open(fixture(FIXTURE)).unwrap()));
    }

    #[test]
    fn gzipped_delivery_file_reads_the_same() {
        let gz = std::fs::File::open(fixture(&format!("{FIXTURE}.gz"))).unwrap();
        let zipped = run(flate2::read::GzDecoder::new(gz));
        check_fixture(&zipped);
        let plain = run(std::fs::File::open(fixture(FIXTURE)).unwrap());
        assert_eq!(zipped.t.time, plain.t.time);
        assert_eq!(zipped.t.bytes, plain.t.bytes);
        assert_eq!(zipped.rej, plain.rej);
    }

    #[test]
    fn one_line_envelope_and_concatenated_documents() {
        let rec = |id: &str, bytes: u32| {
            format!(
                "{{\"eventVersion\":\"1.09\",\"eventTime\":\"2025-01-23T03:00:00Z\",\
                 \"userIdentity\":{{\"arn\":\"arn:aws:iam::1:user/bob\"}},\
                 \"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\
                 \"eventID\":\"{id}\",\"additionalEventData\":{{\"bytesTransferredOut\":{bytes}}}}}"
            )
        };
        // Two delivery documents back to back, the second spanning lines; a non-object record.
        let data = format!(
            "{{\"Records\":[{},{}]}}\n{{\n\"Records\": [{}, 7]}}",
            rec("a", 10),
            rec("b", 20),
            rec("c", 30)
        );
        let r = run(data.as_bytes());
        assert!(r.res.is_ok());
        assert_eq!(r.t.bytes, vec![Some(10), Some(20), Some(30)]);
        assert_eq!((r.rep.rows_read, r.rej.len()), (4, 1));
        assert_eq!(r.rej[0].line, 4, "records are numbered across documents");
    }

    #[test]
    fn json_lines_use_line_numbers() {
        let data = "{\"eventVersion\":\"1.08\",\"eventTime\":\"2025-01-23T03:00:00Z\",\"userIdentity\":{\"arn\":\"arn:aws:iam::1:user/bob\"},\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"additionalEventData\":{\"bytesTransferredOut\":\"1.5\"}}\n\
                    \n\
                    not json\n\
                    {\"eventVersion\":\"1.08\",\"userIdentity\":{\"arn\":\"arn:aws:iam::1:user/bob\"},\"eventName\":\"ListBuckets\"}\n\
                    {\"eventVersion\":\"1.08\",\"eventTime\":\"2025-01-23T03:00:01Z\",\"userIdentity\":{\"arn\":\"arn:aws:iam::1:user/bob\"},\"eventSource\":\"s3.amazonaws.com\",\"eventName\":\"GetObject\",\"requestParameters\":{\"bucketName\":\"b\"}}\n";
        let r = run(data.as_bytes());
        assert!(r.res.is_ok());
        let lines: Vec<_> = r.rej.iter().map(|j| (j.line, j.reason)).collect();
        assert_eq!(
            lines,
            vec![
                (1, RejectReason::BadBytes),
                (3, RejectReason::Malformed),
                (4, RejectReason::MissingTimestamp)
            ]
        );
        // Line 5: a GetObject with no eventID and no byte count is one object read.
        assert_eq!((r.t.records[0], r.t.bytes[0]), (Some(1), None));
        assert_eq!(r.t.objects.get(r.t.object[0]), "b");
    }

    #[test]
    fn dataset_cuts_keys_before_dated_or_numbered_segments() {
        let cases = [
            ("b", "Contact/2025-01-05/9f2c.csv", "b/Contact/"),
            (
                "b",
                "exports/contact/dt=2025-01-05/part-0.csv",
                "b/exports/contact/",
            ),
            ("b", "2024/q4/ledger.csv", "b/"),
            ("b", "salaries.xlsx", "b/salaries.xlsx"),
            ("b", "hr/reviews/summary.pdf", "b/hr/reviews/summary.pdf"),
            ("b", "hr/invoice-17.pdf", "b/hr/"),
            ("b", "", "b"),
            ("", "k/1", "k/1"),
        ];
        for (bucket, key, want) in cases {
            assert_eq!(dataset(bucket, key), want, "{bucket} {key}");
        }
    }

    #[test]
    fn broken_document_keeps_earlier_records_and_stops() {
        let data = "{\"Records\":[{\"eventTime\":\"2025-01-23T03:00:00Z\",\"userIdentity\":{\"arn\":\"a\"},\"eventName\":\"ListBuckets\"},{\"eventTime\":";
        let r = run(data.as_bytes());
        assert!(r.res.is_ok());
        assert_eq!((r.rep.rows_used, r.rep.rows_rejected()), (1, 1));
        assert_eq!(
            (r.rej[0].line, r.rej[0].reason),
            (2, RejectReason::Malformed)
        );
        assert!(r.rep.stopped_early.is_some());
        assert!(run(&b"{\"Records\":[oops"[..]).res.is_err());
        assert!(run(&b"eventVersion,eventTime\n"[..]).res.is_err());
        assert!(run(&b""[..]).res.is_ok());
    }

    #[test]
    fn sniffs_cloudtrail_only() {
        let head = std::fs::read(fixture(FIXTURE)).unwrap();
        assert!(sniff(&head));
        let real = std::fs::read(REAL).unwrap();
        assert!(sniff(&real[..4096]), "a cut record still sniffs");
        assert!(sniff(
            b"{\"eventVersion\" : \"1.08\", \"userIdentity\": {\"type\":\"Root\"}"
        ));
        // Generic JSON Lines, CSV, S3 event notifications and keys only inside values: no.
        assert!(!sniff(
            b"{\"timestamp\":\"2025-01-01T00:00:00Z\",\"account\":\"a\"}\n"
        ));
        assert!(!sniff(b"eventVersion,userIdentity\n1,2\n"));
        assert!(!sniff(
            b"{\"Records\":[{\"eventVersion\":\"2.1\",\"eventSource\":\"aws:s3\",\"userIdentity\":{}}]}"
        ));
        assert!(!sniff(b"{\"note\":\"eventVersion userIdentity\"}"));
        assert!(!sniff(b""));
    }

    proptest::proptest! {
        #[test]
        fn arbitrary_text_never_panics_and_reconciles(
            text in "[{}\\[\\]\"a-zA-Z0-9:,.@\\- \\n]{0,300}"
        ) {
            let _ = sniff(text.as_bytes());
            for data in [text.clone(), format!("{{\"Records\":[{text}")] {
                let r = run(data.as_bytes());
                crate::formats::common::testing::reconciles(&r.t, &r.rep, &r.rej)?;
            }
        }
    }
}
