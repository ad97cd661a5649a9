//! Vendor formats: each knows its field names, its timestamp layout and its actor field, and
//! maps rows into canonical events. Vendor field names appear only below this module.
//!
//! A format module provides `NAME` (for `--log-format`), `SOURCE` (the log family its accounts
//! belong to), `FIELDS` (what each canonical field is read from, for `exfilwatch formats`),
//! `sniff` (whether the first bytes of a file look like it) and `read`. [`Format`] is the
//! registry: detection tries the vendor formats in order and falls back to the generic format.

pub mod cloudtrail;
pub mod common;
pub mod gdrive;
pub mod generic;
pub mod m365;
pub mod salesforce;
pub mod salesforce_rtem;
pub mod snowflake;

use crate::ingest::RowSink;
use std::io::Read;

/// A readable log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Salesforce Event Monitoring Event Log Files (CSV).
    SalesforceElf,
    /// Salesforce Real-Time Event Monitoring exports (CSV or JSON).
    SalesforceRtem,
    /// Microsoft 365 Unified Audit Log (Purview CSV, Management API JSON, Sentinel).
    M365,
    /// Snowflake ACCOUNT_USAGE.QUERY_HISTORY as CSV.
    Snowflake,
    /// AWS CloudTrail records (delivery files or one per line).
    CloudTrail,
    /// Google Workspace Drive audit activities (Admin SDK Reports API).
    GoogleDrive,
    /// The generic schema as CSV with a header.
    GenericCsv,
    /// The generic schema as JSON Lines.
    GenericJsonl,
}

/// What `exfilwatch formats` shows of a format.
#[derive(Debug, Clone, Copy)]
pub struct FormatInfo {
    /// The name `--log-format` takes.
    pub name: &'static str,
    /// The log family its accounts belong to (accounts of different sources never mix).
    pub source: &'static str,
    pub description: &'static str,
    /// (canonical field, where it is read from).
    pub fields: &'static [(&'static str, &'static str)],
}

const GENERIC_FIELDS: &[(&str, &str)] = &[
    ("timestamp", "timestamp (RFC 3339; no zone = UTC)"),
    ("account", "account"),
    ("action", "action"),
    ("object", "object"),
    ("records", "records"),
    ("bytes", "bytes"),
    ("src_ip", "src_ip"),
    ("client", "client"),
];

impl Format {
    /// Every format, in detection order (the generic ones last).
    pub const ALL: [Format; 8] = [
        Format::SalesforceElf,
        Format::SalesforceRtem,
        Format::M365,
        Format::Snowflake,
        Format::CloudTrail,
        Format::GoogleDrive,
        Format::GenericCsv,
        Format::GenericJsonl,
    ];

    pub fn info(self) -> FormatInfo {
        match self {
            Format::SalesforceElf => FormatInfo {
                name: salesforce::NAME,
                source: salesforce::SOURCE,
                description: "Salesforce Event Monitoring Event Log Files (CSV): API, RestApi, BulkApi, BulkApi2, Report, ReportExport, Login",
                fields: salesforce::FIELDS,
            },
            Format::SalesforceRtem => FormatInfo {
                name: salesforce_rtem::NAME,
                source: salesforce_rtem::SOURCE,
                description: "Salesforce Real-Time Event Monitoring exports (CSV or JSON): ApiEvent, ReportEvent, BulkApiResultEvent",
                fields: salesforce_rtem::FIELDS,
            },
            Format::M365 => FormatInfo {
                name: m365::NAME,
                source: m365::SOURCE,
                description: "Microsoft 365 Unified Audit Log: Purview CSV export (AuditData), \
                              Management Activity API JSON, Sentinel OfficeActivity",
                fields: m365::FIELDS,
            },
            Format::Snowflake => FormatInfo {
                name: snowflake::NAME,
                source: snowflake::SOURCE,
                description: "Snowflake ACCOUNT_USAGE.QUERY_HISTORY exported as CSV",
                fields: snowflake::FIELDS,
            },
            Format::CloudTrail => FormatInfo {
                name: cloudtrail::NAME,
                source: cloudtrail::SOURCE,
                description: "AWS CloudTrail, {\"Records\":[...]} delivery files or one record per line; S3 GetObject is export volume",
                fields: cloudtrail::FIELDS,
            },
            Format::GoogleDrive => FormatInfo {
                name: gdrive::NAME,
                source: gdrive::SOURCE,
                description: "Google Workspace Drive audit (Reports API activities, document or one per line); one row per event, download/copy/print/access_item_content count one document each",
                fields: gdrive::FIELDS,
            },
            Format::GenericCsv => FormatInfo {
                name: "generic-csv",
                source: generic::SOURCE,
                description:
                    "exfilwatch's generic schema, CSV with a header (columns renamed with --map)",
                fields: GENERIC_FIELDS,
            },
            Format::GenericJsonl => FormatInfo {
                name: "generic-jsonl",
                source: generic::SOURCE,
                description:
                    "exfilwatch's generic schema, JSON Lines (dotted --map paths for nested fields)",
                fields: GENERIC_FIELDS,
            },
        }
    }

    /// The format named `name` (as `--log-format` takes it).
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.info().name.eq_ignore_ascii_case(name))
    }

    /// Recognises the format from the first bytes of the (decompressed) content: the first
    /// vendor format whose `sniff` accepts it, else generic JSON Lines for content starting with
    /// `{`, else generic CSV (which then needs its `timestamp` and `account` columns).
    pub fn sniff(head: &[u8]) -> Format {
        let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
        let vendor = Format::ALL
            .into_iter()
            .find(|f| f.sniffer().is_some_and(|sniff| sniff(head)));
        vendor.unwrap_or(
            match head.iter().copied().find(|b| !b.is_ascii_whitespace()) {
                Some(b'{') => Format::GenericJsonl,
                _ => Format::GenericCsv,
            },
        )
    }

    /// The content test of a vendor format (`None` for the generic fallbacks).
    fn sniffer(self) -> Option<fn(&[u8]) -> bool> {
        match self {
            Format::SalesforceElf => Some(salesforce::sniff),
            Format::SalesforceRtem => Some(salesforce_rtem::sniff),
            Format::M365 => Some(m365::sniff),
            Format::Snowflake => Some(snowflake::sniff),
            Format::CloudTrail => Some(cloudtrail::sniff),
            Format::GoogleDrive => Some(gdrive::sniff),
            Format::GenericCsv | Format::GenericJsonl => None,
        }
    }

    /// How a large file of this format may be cut into blocks read on several threads
    /// (`ingest::blocks`); `None`: it is read whole, on one thread.
    pub fn split(self) -> Option<crate::ingest::blocks::Split> {
        match self {
            // CSV with a header whose rows are read independently of one another.
            Format::GenericCsv | Format::SalesforceElf => {
                Some(crate::ingest::blocks::Split::CsvWithHeader)
            }
            _ => None,
        }
    }

    /// The format's name in reports.
    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// The log family (source) its events belong to.
    pub fn source(self) -> &'static str {
        self.info().source
    }

    /// Reads a whole file of this format into `sink`. `Err` means the file as a whole could
    /// not be read as this format (it is skipped with that reason).
    pub fn read(
        self,
        input: impl Read,
        columns: &generic::ColumnMap,
        sink: &mut RowSink<'_>,
    ) -> Result<(), String> {
        match self {
            Format::SalesforceElf => salesforce::read(input, sink),
            Format::SalesforceRtem => salesforce_rtem::read(input, sink),
            Format::M365 => m365::read(input, sink),
            Format::Snowflake => snowflake::read(input, sink),
            Format::CloudTrail => cloudtrail::read(input, sink),
            Format::GoogleDrive => gdrive::read(input, sink),
            Format::GenericCsv => generic::read_csv(input, columns, sink),
            Format::GenericJsonl => generic::read_jsonl(input, columns, sink),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_json_lines_and_csv() {
        assert_eq!(Format::sniff(b"  {\"a\":1}\n"), Format::GenericJsonl);
        assert_eq!(
            Format::sniff(b"\xef\xbb\xbf{\"a\":1}"),
            Format::GenericJsonl
        );
        assert_eq!(Format::sniff(b"timestamp,account\n"), Format::GenericCsv);
        assert_eq!(Format::sniff(b""), Format::GenericCsv);
    }

    #[test]
    fn sniffs_vendor_formats_before_generic() {
        let fixture = |p: &str| {
            std::fs::read(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(p)).unwrap()
        };
        let ct = fixture(
            "tests/fixtures/cloudtrail/123456789012_CloudTrail_us-east-1_20250123T0225Z_fixture.json",
        );
        assert_eq!(Format::sniff(&ct), Format::CloudTrail);
        let drive = fixture("tests/fixtures/google-drive/drive_activities.json");
        assert_eq!(Format::sniff(&drive), Format::GoogleDrive);
        assert_eq!(
            Format::sniff(b"{\"timestamp\":\"2025-01-01T00:00:00Z\",\"account\":\"a\"}\n"),
            Format::GenericJsonl
        );
    }

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(Format::from_name(f.info().name), Some(f));
            assert!(!f.info().fields.is_empty());
        }
        assert_eq!(Format::from_name("no-such-format"), None);
    }
}
