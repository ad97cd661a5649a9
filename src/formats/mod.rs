//! Vendor formats: each knows its field names, its timestamp layout and its actor field, and
//! maps rows into canonical events. Vendor field names appear only below this module.

pub mod common;
pub mod generic;

use crate::ingest::RowSink;
use std::io::Read;

/// A readable log format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The generic schema as CSV with a header.
    GenericCsv,
    /// The generic schema as JSON Lines.
    GenericJsonl,
}

impl Format {
    /// Guesses the format from the first bytes of the (decompressed) content.
    pub fn sniff(head: &[u8]) -> Format {
        let first = head
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .map(|i| head[i]);
        let first = match head {
            [0xef, 0xbb, 0xbf, rest @ ..] => {
                rest.iter().copied().find(|b| !b.is_ascii_whitespace())
            }
            _ => first,
        };
        match first {
            Some(b'{') => Format::GenericJsonl,
            _ => Format::GenericCsv,
        }
    }

    /// The format's name in reports.
    pub fn name(self) -> &'static str {
        match self {
            Format::GenericCsv => "generic CSV",
            Format::GenericJsonl => "generic JSON Lines",
        }
    }

    /// The log family (source) its events belong to.
    pub fn source(self) -> &'static str {
        match self {
            Format::GenericCsv | Format::GenericJsonl => generic::SOURCE,
        }
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
}
