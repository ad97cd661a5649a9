//! The canonical event table: every vendor format is mapped into this one shape.
//!
//! | column    | type            | meaning                                                    |
//! |-----------|-----------------|------------------------------------------------------------|
//! | `time`    | i64 ms, UTC     | when the access happened (milliseconds since the epoch)    |
//! | `account` | u32 dictionary  | the actor, keyed by (source, account as the log spells it) |
//! | `source`  | u32 dictionary  | the log family it came from (`generic`, ...)               |
//! | `action`  | u32 dictionary  | what was done (`query`, `report_export`, ...)              |
//! | `object`  | u32 dictionary  | what was read (table, object type, bucket, file)           |
//! | `records` | i64, nullable   | rows/records returned                                      |
//! | `bytes`   | i64, nullable   | bytes returned                                             |
//! | `src_ip`  | u32 dictionary  | client address                                             |
//! | `client`  | u32 dictionary  | user agent or application                                  |
//! | `file`    | u32             | index of the input file the row came from                  |
//! | `export`  | bool            | the action is an export ([`is_export_action`]), counted once |
//!
//! Strings are interned: each distinct value is stored once in a [`Dict`] and rows carry its
//! `u32` code, so group-bys run on integers and memory grows with the number of distinct
//! accounts, objects, IPs and clients rather than with rows. Code 0 of every dictionary is the
//! empty string, meaning "not given". Accounts of different sources are different accounts: the
//! account dictionary is keyed by the pair, so `alice` in Salesforce and `alice` in CloudTrail
//! never share a baseline.

use polars::prelude::*;
use std::collections::HashMap;

/// A hash map with a fast (non-cryptographic, randomly seeded) hasher. Iteration order never
/// reaches output: codes follow insertion order.
pub type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;
/// A hash set with the same hasher as [`FastMap`].
pub type FastSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// Column names of the canonical table as a polars [`DataFrame`].
pub mod col_name {
    pub const TIME: &str = "time";
    pub const ACCOUNT: &str = "account";
    pub const SOURCE: &str = "source";
    pub const ACTION: &str = "action";
    pub const OBJECT: &str = "object";
    pub const RECORDS: &str = "records";
    pub const BYTES: &str = "bytes";
    pub const SRC_IP: &str = "src_ip";
    pub const CLIENT: &str = "client";
    pub const FILE: &str = "file";
    pub const EXPORT: &str = "export";
}

/// A string dictionary: value <-> dense `u32` code. Code 0 is always the empty string.
#[derive(Clone)]
pub struct Dict {
    /// Every value, one after another; value `c` is `text[ends[c - 1]..ends[c]]` (from 0 for
    /// `c == 0`). One allocation for all values instead of one (and a copy in the index) each:
    /// S3 keys and file names make dictionaries as long as the input.
    text: String,
    ends: Vec<usize>,
    /// Codes, found by the hash of their value (the value itself is only in `text`).
    index: hashbrown::HashTable<u32>,
    hasher: foldhash::fast::RandomState,
}

impl Default for Dict {
    fn default() -> Self {
        let mut d = Dict {
            text: String::new(),
            ends: Vec::new(),
            index: hashbrown::HashTable::new(),
            hasher: foldhash::fast::RandomState::default(),
        };
        d.intern("");
        d
    }
}

/// Value `c` of a dictionary's buffer (`c` must be a code of it).
fn value_of<'a>(text: &'a str, ends: &[usize], c: u32) -> &'a str {
    let c = c as usize;
    &text[if c == 0 { 0 } else { ends[c - 1] }..ends[c]]
}

impl std::fmt::Debug for Dict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries((0..self.len() as u32).map(|c| self.get(c)))
            .finish()
    }
}

impl Dict {
    /// Returns the code of `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        use std::hash::BuildHasher;
        let hash = self.hasher.hash_one(s);
        let (text, ends) = (&self.text, &self.ends);
        if let Some(&c) = self.index.find(hash, |&c| value_of(text, ends, c) == s) {
            return c;
        }
        let c = u32::try_from(self.ends.len()).expect("more than 4 billion distinct values");
        self.text.push_str(s);
        self.ends.push(self.text.len());
        let (text, ends, hasher) = (&self.text, &self.ends, &self.hasher);
        self.index
            .insert_unique(hash, c, |&c| hasher.hash_one(value_of(text, ends, c)));
        c
    }

    /// The value of a code (the empty string for an unknown code).
    pub fn get(&self, code: u32) -> &str {
        if (code as usize) < self.ends.len() {
            value_of(&self.text, &self.ends, code)
        } else {
            ""
        }
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.len() <= 1
    }

    /// Adds every value of `other`, returning the map from `other`'s codes to this dictionary's.
    pub fn absorb(&mut self, other: &Dict) -> Vec<u32> {
        (0..other.len() as u32)
            .map(|c| self.intern(other.get(c)))
            .collect()
    }
}

/// An account: the source it belongs to and its name as the log spells it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AccountKey {
    pub source: u32,
    pub name: String,
}

/// One event before interning, as a format parser produces it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RawEvent<'a> {
    pub time_ms: i64,
    pub account: &'a str,
    pub action: &'a str,
    pub object: &'a str,
    pub records: Option<i64>,
    pub bytes: Option<i64>,
    pub src_ip: &'a str,
    pub client: &'a str,
}

/// The names behind the codes: the dictionaries of accounts, sources, actions, objects, IPs and
/// clients, the input files and the accounts' display names. The event table holds one; so does
/// the streaming window builder (`features::stream`), which keeps no rows. Codes are given in
/// order of first appearance, so two builders fed the same rows in the same order agree on
/// every code.
#[derive(Debug, Clone, Default)]
pub struct Names {
    /// Account codes -> (source, name). Code 0 is unused (an event always has an account).
    pub accounts: Vec<AccountKey>,
    /// Per source code, account name -> account code (looked up by `&str`, no allocation).
    account_codes: Vec<FastMap<String, u32>>,
    pub sources: Dict,
    pub actions: Dict,
    pub objects: Dict,
    pub ips: Dict,
    pub clients: Dict,
    /// Input file names, indexed by file code.
    pub files: Vec<String>,
    /// Display names for accounts whose key is an opaque id (e.g. a Salesforce user id whose
    /// username a login record gave), by account code.
    pub aliases: std::collections::BTreeMap<u32, String>,
}

/// How the codes of one [`Names`] map onto another's after [`Names::absorb`].
#[derive(Debug, Clone, Default)]
pub struct Recode {
    pub accounts: Vec<u32>,
    pub sources: Vec<u32>,
    pub actions: Vec<u32>,
    pub objects: Vec<u32>,
    pub ips: Vec<u32>,
    pub clients: Vec<u32>,
    /// Added to the other's file codes.
    pub file_base: u32,
}

impl Names {
    /// Registers an input file and returns its code.
    pub fn add_file(&mut self, name: &str) -> u32 {
        self.files.push(name.to_owned());
        (self.files.len() - 1) as u32
    }

    /// Returns the code of `source`.
    pub fn source_code(&mut self, source: &str) -> u32 {
        self.sources.intern(source)
    }

    /// Returns the code of the account `name` of `source`, adding it if new.
    pub fn account_code(&mut self, source: u32, name: &str) -> u32 {
        let s = source as usize;
        if let Some(&c) = self.account_codes.get(s).and_then(|m| m.get(name)) {
            return c;
        }
        if self.accounts.is_empty() {
            self.accounts.push(AccountKey {
                source: 0,
                name: String::new(),
            });
        }
        let c = u32::try_from(self.accounts.len()).expect("more than 4 billion accounts");
        self.accounts.push(AccountKey {
            source,
            name: name.to_owned(),
        });
        if self.account_codes.len() <= s {
            self.account_codes.resize_with(s + 1, FastMap::default);
        }
        self.account_codes[s].insert(name.to_owned(), c);
        c
    }

    /// Records a display name for an account of `source` (e.g. the username of a user id).
    pub fn alias(&mut self, source: u32, account: &str, display: &str) {
        let code = self.account_code(source, account);
        self.aliases.insert(code, display.to_owned());
    }

    /// The account's display name.
    pub fn account_name(&self, code: u32) -> &str {
        self.accounts
            .get(code as usize)
            .map_or("", |k| k.name.as_str())
    }

    /// The name of the source an account belongs to.
    pub fn account_source(&self, code: u32) -> &str {
        self.accounts
            .get(code as usize)
            .map_or("", |k| self.sources.get(k.source))
    }

    /// The account's name with its alias, if any: `0055j00000AT6I1 (jane@example.com)`.
    pub fn account_display(&self, code: u32) -> String {
        match self.aliases.get(&code) {
            Some(a) if a != self.account_name(code) => format!("{} ({a})", self.account_name(code)),
            _ => self.account_name(code).to_owned(),
        }
    }

    /// Adds every name of `other` (built separately, e.g. on another thread) in `other`'s code
    /// order, and returns how its codes map onto this one's. An alias already known here wins.
    /// With `same_file`, `other` is a later block of the file(s) last added here: its files
    /// are this one's last ones, not new files.
    pub fn absorb(&mut self, other: &Names, same_file: bool) -> Recode {
        let sources = self.sources.absorb(&other.sources);
        let actions = self.actions.absorb(&other.actions);
        let objects = self.objects.absorb(&other.objects);
        let ips = self.ips.absorb(&other.ips);
        let clients = self.clients.absorb(&other.clients);
        let accounts: Vec<u32> = other
            .accounts
            .iter()
            .map(|k| match k.name.is_empty() && k.source == 0 {
                true => 0,
                false => self.account_code(sources[k.source as usize], &k.name),
            })
            .collect();
        for (code, alias) in &other.aliases {
            let mine = accounts[*code as usize];
            self.aliases.entry(mine).or_insert_with(|| alias.clone());
        }
        let file_base = if same_file && self.files.len() >= other.files.len() {
            (self.files.len() - other.files.len()) as u32
        } else {
            let base = self.files.len() as u32;
            self.files.extend(other.files.iter().cloned());
            base
        };
        Recode {
            accounts,
            sources,
            actions,
            objects,
            ips,
            clients,
            file_base,
        }
    }
}

/// Where a format's rows go: the event table (every row kept) or the streaming window builder
/// (rows folded into per-account windows as they arrive). [`crate::ingest::RowSink`] feeds one.
pub trait EventSink {
    /// The names the sink interns into.
    fn names(&mut self) -> &mut Names;
    /// One event read from file `file` of log family `source`.
    fn push(&mut self, source: u32, file: u32, e: &RawEvent<'_>);
    /// An event whose volume counts once per `key`, the largest reported (see
    /// [`EventTable::push_once`]).
    fn push_once(&mut self, source: u32, file: u32, key: &str, e: &RawEvent<'_>);
}

/// Words that mark an action as an *export*: data delivered out of the platform in bulk (a
/// report export, a download, a bulk job, an unload, an extract; S3's `GetObject`), matched
/// anywhere in the action's name, ignoring case. Exports are counted per window
/// (`features::Window::exports`): a thief who splits a theft into many small exports changes
/// that count far more than the account's record total.
pub const EXPORT_WORDS: [&str; 6] = [
    "export",
    "download",
    "bulk",
    "unload",
    "extract",
    "getobject",
];

/// Whether an action's name marks it as an export ([`EXPORT_WORDS`]).
pub fn is_export_action(action: &str) -> bool {
    let a = action.as_bytes();
    EXPORT_WORDS.iter().any(|w| {
        a.windows(w.len())
            .any(|x| x.eq_ignore_ascii_case(w.as_bytes()))
    })
}

/// [`is_export_action`] by action code, remembered: codes are dense, so a vector.
#[derive(Debug, Clone, Default)]
pub struct ExportActions(Vec<Option<bool>>);

impl ExportActions {
    /// Whether action `code` (of `names`' dictionary) is an export.
    pub fn get(&mut self, code: u32, names: &Names) -> bool {
        let i = code as usize;
        if self.0.len() <= i {
            self.0.resize(i + 1, None);
        }
        *self.0[i].get_or_insert_with(|| is_export_action(names.actions.get(code)))
    }
}

/// Of two reports of one volume-once key, whether the later (`new`) replaces the earlier: only
/// when strictly larger (records first, then bytes; a missing count is smaller than any), so
/// ties keep the earlier one.
pub fn once_replaces(new: (Option<i64>, Option<i64>), old: (Option<i64>, Option<i64>)) -> bool {
    let size = |(r, b): (Option<i64>, Option<i64>)| (r.unwrap_or(-1), b.unwrap_or(-1));
    size(new) > size(old)
}

/// The canonical event table, column by column, with its [`Names`] (reached through `Deref`:
/// `table.ips.get(code)`).
#[derive(Debug, Clone, Default)]
pub struct EventTable {
    pub time: Vec<i64>,
    pub account: Vec<u32>,
    pub source: Vec<u32>,
    pub action: Vec<u32>,
    pub object: Vec<u32>,
    pub records: Vec<Option<i64>>,
    pub bytes: Vec<Option<i64>>,
    pub src_ip: Vec<u32>,
    pub client: Vec<u32>,
    pub file: Vec<u32>,
    /// Whether the row counts as an export ([`is_export_action`]); of the rows sharing a
    /// volume-once key, only the one carrying its volume can.
    pub export: Vec<bool>,
    pub names: Names,
    exports: ExportActions,
    /// Keys of events whose volume must count once (e.g. a bulk job logged at every state
    /// change, or the same event in two overlapping exports) -> the row that carries it.
    once: HashMap<String, usize>,
}

impl std::ops::Deref for EventTable {
    type Target = Names;
    fn deref(&self) -> &Names {
        &self.names
    }
}

impl std::ops::DerefMut for EventTable {
    fn deref_mut(&mut self) -> &mut Names {
        &mut self.names
    }
}

impl EventSink for EventTable {
    fn names(&mut self) -> &mut Names {
        &mut self.names
    }
    fn push(&mut self, source: u32, file: u32, e: &RawEvent<'_>) {
        EventTable::push(self, source, file, e);
    }
    fn push_once(&mut self, source: u32, file: u32, key: &str, e: &RawEvent<'_>) {
        EventTable::push_once(self, source, file, key, e);
    }
}

impl EventTable {
    pub fn len(&self) -> usize {
        self.time.len()
    }

    pub fn is_empty(&self) -> bool {
        self.time.is_empty()
    }

    /// Appends one event read from file `file` of log family `source`.
    pub fn push(&mut self, source: u32, file: u32, e: &RawEvent<'_>) {
        let n = &mut self.names;
        let account = n.account_code(source, e.account);
        self.time.push(e.time_ms);
        self.account.push(account);
        self.source.push(source);
        let action = n.actions.intern(e.action);
        self.action.push(action);
        self.object.push(n.objects.intern(e.object));
        self.records.push(e.records);
        self.bytes.push(e.bytes);
        self.src_ip.push(n.ips.intern(e.src_ip));
        self.client.push(n.clients.intern(e.client));
        self.file.push(file);
        let export = self.exports.get(action, &self.names);
        self.export.push(export);
    }

    /// Appends an event whose volume counts once per `key`, the largest reported: a job logged
    /// at every state change with a growing count counts its final count once, and the same
    /// event in two overlapping exports counts once. Every row stays an event; the rows whose
    /// volume is not the one counted keep no records and bytes (they are context).
    pub fn push_once(&mut self, source: u32, file: u32, key: &str, e: &RawEvent<'_>) {
        let row = self.len();
        self.push(source, file, e);
        match self.once.get(key).copied() {
            None => {
                self.once.insert(key.to_owned(), row);
            }
            Some(prev) => self.keep_larger(prev, row, key),
        }
    }

    /// Of two rows sharing a volume-once key, keeps the volume of the larger and drops the
    /// other's; ties keep the earlier row.
    fn keep_larger(&mut self, prev: usize, row: usize, key: &str) {
        let size = |t: &Self, r: usize| (t.records[r], t.bytes[r]);
        let (keep, drop) = if once_replaces(size(self, row), size(self, prev)) {
            (row, prev)
        } else {
            (prev, row)
        };
        self.records[drop] = None;
        self.bytes[drop] = None;
        self.export[drop] = false;
        if let Some(v) = self.once.get_mut(key) {
            *v = keep;
        }
    }

    /// Each source event key (see [`EventTable::push_once`]) and the row that carries its
    /// volume, in no particular order.
    pub fn once_rows(&self) -> impl Iterator<Item = (&str, usize)> + '_ {
        self.once.iter().map(|(k, &r)| (k.as_str(), r))
    }

    /// Appends all of `other` (built separately, e.g. on another thread), re-coding its strings;
    /// `same_file` as in [`Names::absorb`].
    pub fn append(&mut self, other: EventTable, same_file: bool) {
        let r = self.names.absorb(&other.names, same_file);
        let base = self.len();
        // Volume-once keys met again: resolved once the rows are in place.
        let mut again: Vec<(usize, usize, String)> = Vec::new();
        let mut other_once: Vec<(String, usize)> = other.once.into_iter().collect();
        other_once.sort();
        for (key, row) in other_once {
            match self.once.get(&key) {
                Some(&prev) => again.push((prev, base + row, key)),
                None => {
                    self.once.insert(key, base + row);
                }
            }
        }
        let map =
            |v: &[u32], codes: &[u32]| v.iter().map(|&c| codes[c as usize]).collect::<Vec<_>>();
        self.time.extend(other.time);
        self.account.extend(map(&other.account, &r.accounts));
        self.source.extend(map(&other.source, &r.sources));
        self.action.extend(map(&other.action, &r.actions));
        self.object.extend(map(&other.object, &r.objects));
        self.records.extend(other.records);
        self.bytes.extend(other.bytes);
        self.src_ip.extend(map(&other.src_ip, &r.ips));
        self.client.extend(map(&other.client, &r.clients));
        self.file
            .extend(other.file.into_iter().map(|f| f + r.file_base));
        self.export.extend(other.export);
        for (prev, row, key) in again {
            self.keep_larger(prev, row, &key);
        }
    }

    /// The table as a polars [`DataFrame`] with the columns of [`col_name`].
    pub fn to_dataframe(&self) -> PolarsResult<DataFrame> {
        use col_name::*;
        let cols = vec![
            Column::new(TIME.into(), &self.time),
            Column::new(ACCOUNT.into(), &self.account),
            Column::new(SOURCE.into(), &self.source),
            Column::new(ACTION.into(), &self.action),
            Column::new(OBJECT.into(), &self.object),
            Column::new(RECORDS.into(), &self.records),
            Column::new(BYTES.into(), &self.bytes),
            Column::new(SRC_IP.into(), &self.src_ip),
            Column::new(CLIENT.into(), &self.client),
            Column::new(FILE.into(), &self.file),
            Column::new(EXPORT.into(), &self.export),
        ];
        DataFrame::new(self.len(), cols)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(account: &'a str, ip: &'a str) -> RawEvent<'a> {
        RawEvent {
            time_ms: 1,
            account,
            src_ip: ip,
            records: Some(5),
            ..Default::default()
        }
    }

    #[test]
    fn export_actions_by_name() {
        for a in [
            "report_export",
            "ReportExport",
            "bulk_export",
            "BulkApi2:query",
            "download",
            "FileDownloaded",
            "GetObject",
            "UNLOAD",
            "extract",
        ] {
            assert!(is_export_action(a), "{a}");
        }
        for a in [
            "",
            "query",
            "API:query",
            "Report",
            "ListObjects",
            "FileAccessed",
            "SELECT",
            "exp",
        ] {
            assert!(!is_export_action(a), "{a}");
        }
    }

    #[test]
    fn dictionary_codes_follow_first_appearance_and_values_round_trip() {
        let mut d = Dict::default();
        let words = ["ab", "a", "", "abc", "a", "b\u{e9}", "ab"];
        let codes: Vec<u32> = words.iter().map(|w| d.intern(w)).collect();
        assert_eq!(codes, vec![1, 2, 0, 3, 2, 4, 1]);
        for (w, c) in words.iter().zip(&codes) {
            assert_eq!(d.get(*c), *w);
        }
        assert_eq!(d.len(), 5);
        assert_eq!(d.get(99), "", "an unknown code reads as not given");
        let mut e = Dict::default();
        e.intern("b\u{e9}");
        assert_eq!(e.absorb(&d), vec![0, 2, 3, 4, 1]);
        assert_eq!(e.get(4), "abc");
    }

    #[test]
    fn same_name_in_two_sources_is_two_accounts() {
        let mut t = EventTable::default();
        let f = t.add_file("a.csv");
        let sf = t.source_code("salesforce");
        let ct = t.source_code("cloudtrail");
        t.push(sf, f, &ev("alice", "1.2.3.4"));
        t.push(ct, f, &ev("alice", "1.2.3.4"));
        t.push(sf, f, &ev("alice", ""));
        assert_eq!(t.account[0], t.account[2]);
        assert_ne!(t.account[0], t.account[1]);
        assert_eq!(t.account_source(t.account[1]), "cloudtrail");
        assert_eq!(t.src_ip[2], 0, "an empty IP is code 0");
        assert_eq!(t.ips.get(t.src_ip[0]), "1.2.3.4");
    }

    #[test]
    fn volume_counts_once_per_key_within_and_across_files() {
        let mut a = EventTable::default();
        let f = a.add_file("day1.csv");
        let s = a.source_code("salesforce");
        a.push_once(s, f, "job-1", &ev("u", ""));
        a.push_once(s, f, "job-1", &ev("u", ""));
        let mut b = EventTable::default();
        let f = b.add_file("day2.csv");
        let s = b.source_code("salesforce");
        b.push_once(s, f, "job-1", &ev("u", ""));
        b.push_once(s, f, "job-2", &ev("u", ""));
        a.append(b, false);
        assert_eq!(a.records, vec![Some(5), None, None, Some(5)]);
        assert_eq!(a.len(), 4, "every row stays an event");
    }

    #[test]
    fn the_largest_reported_volume_of_a_key_is_the_one_counted() {
        let at = |n: i64| RawEvent {
            time_ms: n,
            account: "u",
            records: Some(n),
            ..Default::default()
        };
        let mut a = EventTable::default();
        let f = a.add_file("day1.csv");
        let s = a.source_code("salesforce");
        a.push_once(s, f, "job", &at(10)); // in progress
        a.push_once(s, f, "job", &at(40)); // a later, larger count
        let mut b = EventTable::default();
        let f = b.add_file("day2.csv");
        let s = b.source_code("salesforce");
        b.push_once(s, f, "job", &at(100)); // complete, logged in the next day's file
        b.push_once(s, f, "job", &at(100)); // the same row exported twice
        a.append(b, false);
        assert_eq!(a.records, vec![None, None, Some(100), None]);
    }

    #[test]
    fn aliases_follow_accounts_across_tables() {
        let mut a = EventTable::default();
        let mut b = EventTable::default();
        let f = b.add_file("login.csv");
        let s = b.source_code("salesforce");
        b.push(s, f, &ev("0055j00000AT6I1", ""));
        b.alias(s, "0055j00000AT6I1", "jane@example.com");
        a.append(b, false);
        assert_eq!(
            a.account_display(a.account[0]),
            "0055j00000AT6I1 (jane@example.com)"
        );
    }

    #[test]
    fn append_recodes_strings_and_files() {
        let mut a = EventTable::default();
        let fa = a.add_file("a.csv");
        let s = a.source_code("generic");
        a.push(s, fa, &ev("alice", "10.0.0.1"));
        let mut b = EventTable::default();
        let fb = b.add_file("b.csv");
        let s = b.source_code("generic");
        b.push(s, fb, &ev("bob", "10.0.0.2"));
        b.push(s, fb, &ev("alice", "10.0.0.1"));
        a.append(b, false);
        assert_eq!(a.len(), 3);
        assert_eq!(a.account_name(a.account[1]), "bob");
        assert_eq!(
            a.account[0], a.account[2],
            "alice from both files is one account"
        );
        assert_eq!(a.src_ip[0], a.src_ip[2]);
        assert_eq!(a.files[a.file[1] as usize], "b.csv");
        let df = a.to_dataframe().unwrap();
        assert_eq!(df.height(), 3);
        assert_eq!(df.width(), 11, "one column per `col_name`");
    }
}
