//! Streaming features: rows are folded into per-account hourly buckets as a format parser hands
//! them over, and no row is kept. Memory grows with accounts, windows and the distinct objects,
//! IPs and clients of each window, not with the number of rows.
//!
//! [`WindowSink`] is an [`EventSink`]: each input file, or each block of a large file, is read
//! into its own sink on a worker thread, and the sinks are merged in input order
//! ([`WindowSink::absorb`]), so names get the same codes as the event table would give them
//! (first appearance in input order) and the result does not depend on thread timing.
//! [`WindowSink::finish`] turns the buckets into the same [`Features`] that [`super::compute`]
//! computes with polars from an [`EventTable`](crate::ingest::event::EventTable); `scan`
//! compares the two paths byte for byte in its tests.
//!
//! A bucket is one account's UTC hour. It holds the event count, the sums of records and bytes
//! (and how many events gave each), the files its rows came from, and per object, IP and client
//! the first and last time the account used it in that hour (objects also with their records
//! and events, for the evidence of alerts). Everything the features need is a sum, a minimum or
//! a maximum of those, so buckets of different blocks merge exactly:
//! - hourly windows are the buckets; daily windows sum the buckets of the local day their hour
//!   starts in (as the polars plan does);
//! - a value is new to an account in an hour when the account's first and last use of it, over
//!   all buckets, lie within [`NOVELTY_BAND_MS`] of that hour.
//!
//! Volume-once keys (a bulk job logged at each state change, an event in two overlapping
//! exports) keep, per key, the bucket and object of the report that carries the volume; when a
//! later, larger report replaces it, the earlier one's records and bytes are taken back out of
//! its bucket. Keys are held as 128-bit SHA-256 prefixes, not strings.

use super::{
    local_day_start_ms, local_hour, Activity, Evidence, FeatureConfig, Features, LocalHour,
    MainObjects, Routine, Span, ToolUses, Window, WindowKind, NOVELTY_BAND_MS,
};
use crate::ingest::event::{
    once_replaces, EventSink, ExportActions, FastMap, FastSet, Names, RawEvent,
};
use crate::ingest::time::HOUR_MS;
use sha2::Digest;
use std::collections::BTreeMap;

/// One account's UTC hour.
#[derive(Debug, Clone, Default)]
struct Bucket {
    account: u32,
    hour: i64,
    events: u64,
    /// Events whose action is an export (see `Window::exports`).
    exports: u64,
    records: i64,
    records_given: u64,
    bytes: i64,
    bytes_given: u64,
    /// Codes of the files its rows came from (a handful at most).
    files: Vec<u32>,
}

/// An object, IP or client in one bucket: when it was first and last used there, and (for
/// objects) the records and events it accounts for.
#[derive(Debug, Clone, Copy)]
struct Seen {
    first: i64,
    last: i64,
    records: i64,
    events: u64,
}

impl Seen {
    fn new(t: i64, records: Option<i64>) -> Self {
        Seen {
            first: t,
            last: t,
            records: records.unwrap_or(0),
            events: 1,
        }
    }

    fn add(&mut self, o: &Seen) {
        self.first = self.first.min(o.first);
        self.last = self.last.max(o.last);
        self.records += o.records;
        self.events += o.events;
    }
}

/// The report of a volume-once key that carries its volume.
#[derive(Debug, Clone, Copy)]
struct Carrier {
    bucket: u32,
    object: u32,
    /// Whether the report was counted as an export.
    export: bool,
    records: Option<i64>,
    bytes: Option<i64>,
}

/// Folds rows into hourly buckets (see the module doc).
#[derive(Debug, Default, Clone)]
pub struct WindowSink {
    names: Names,
    index: FastMap<(u32, i64), u32>,
    buckets: Vec<Bucket>,
    /// (bucket, object) -> use; object code 0 ("not given") included, for the evidence.
    objects: FastMap<(u32, u32), Seen>,
    /// (bucket, IP) and (bucket, client) -> use; code 0 left out.
    ips: FastMap<(u32, u32), Seen>,
    clients: FastMap<(u32, u32), Seen>,
    once: FastMap<u128, Carrier>,
    export_actions: ExportActions,
}

fn once_key(key: &str) -> u128 {
    let d = sha2::Sha256::digest(key.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&d[..16]);
    u128::from_le_bytes(b)
}

fn merge_into(map: &mut FastMap<(u32, u32), Seen>, key: (u32, u32), s: &Seen) {
    map.entry(key).and_modify(|x| x.add(s)).or_insert(*s);
}

impl EventSink for WindowSink {
    fn names(&mut self) -> &mut Names {
        &mut self.names
    }

    fn push(&mut self, source: u32, file: u32, e: &RawEvent<'_>) {
        self.add(source, file, e);
    }

    fn push_once(&mut self, source: u32, file: u32, key: &str, e: &RawEvent<'_>) {
        let (bucket, object, export) = self.add(source, file, e);
        let c = Carrier {
            bucket,
            object,
            export,
            records: e.records,
            bytes: e.bytes,
        };
        self.settle(once_key(key), c);
    }
}

impl WindowSink {
    /// The bucket of (account, hour), created empty if new.
    fn bucket(&mut self, account: u32, hour: i64) -> u32 {
        let next = self.buckets.len() as u32;
        let b = *self.index.entry((account, hour)).or_insert(next);
        if b == next {
            self.buckets.push(Bucket {
                account,
                hour,
                ..Default::default()
            });
        }
        b
    }

    /// Folds one event in; returns its bucket, its object code and whether it is an export.
    fn add(&mut self, source: u32, file: u32, e: &RawEvent<'_>) -> (u32, u32, bool) {
        let n = &mut self.names;
        let account = n.account_code(source, e.account);
        let action = n.actions.intern(e.action);
        let export = self.export_actions.get(action, &self.names);
        let n = &mut self.names;
        let object = n.objects.intern(e.object);
        let ip = n.ips.intern(e.src_ip);
        let client = n.clients.intern(e.client);
        let b = self.bucket(account, e.time_ms.div_euclid(HOUR_MS));
        let bk = &mut self.buckets[b as usize];
        bk.events += 1;
        bk.exports += u64::from(export);
        if let Some(r) = e.records {
            bk.records += r;
            bk.records_given += 1;
        }
        if let Some(x) = e.bytes {
            bk.bytes += x;
            bk.bytes_given += 1;
        }
        if !bk.files.contains(&file) {
            bk.files.push(file);
        }
        let seen = Seen::new(e.time_ms, e.records);
        merge_into(&mut self.objects, (b, object), &seen);
        if ip != 0 {
            merge_into(&mut self.ips, (b, ip), &seen);
        }
        if client != 0 {
            merge_into(&mut self.clients, (b, client), &seen);
        }
        (b, object, export)
    }

    /// Takes a report's volume back out of its bucket (another report of its key carries it).
    fn drop_volume(&mut self, c: &Carrier) {
        let bk = &mut self.buckets[c.bucket as usize];
        bk.exports -= u64::from(c.export);
        if let Some(r) = c.records {
            bk.records -= r;
            bk.records_given -= 1;
        }
        if let Some(x) = c.bytes {
            bk.bytes -= x;
            bk.bytes_given -= 1;
        }
        if let Some(s) = self.objects.get_mut(&(c.bucket, c.object)) {
            s.records -= c.records.unwrap_or(0);
        }
    }

    /// A report `c` of volume-once key `k`, later in input order than any known report of it.
    fn settle(&mut self, k: u128, c: Carrier) {
        match self.once.get(&k).copied() {
            None => {
                self.once.insert(k, c);
            }
            Some(prev) if once_replaces((c.records, c.bytes), (prev.records, prev.bytes)) => {
                self.drop_volume(&prev);
                self.once.insert(k, c);
            }
            Some(_) => self.drop_volume(&c),
        }
    }

    /// Merges `other` (the rows that come after this sink's in input order) into this one;
    /// `same_file` as in [`Names::absorb`].
    pub fn absorb(&mut self, other: WindowSink, same_file: bool) {
        let r = self.names.absorb(&other.names, same_file);
        let buckets: Vec<u32> = other
            .buckets
            .iter()
            .map(|o| {
                let b = self.bucket(r.accounts[o.account as usize], o.hour);
                let bk = &mut self.buckets[b as usize];
                bk.events += o.events;
                bk.exports += o.exports;
                bk.records += o.records;
                bk.records_given += o.records_given;
                bk.bytes += o.bytes;
                bk.bytes_given += o.bytes_given;
                for f in &o.files {
                    let f = f + r.file_base;
                    if !bk.files.contains(&f) {
                        bk.files.push(f);
                    }
                }
                b
            })
            .collect();
        for ((b, o), s) in &other.objects {
            merge_into(
                &mut self.objects,
                (buckets[*b as usize], r.objects[*o as usize]),
                s,
            );
        }
        for ((b, ip), s) in &other.ips {
            merge_into(
                &mut self.ips,
                (buckets[*b as usize], r.ips[*ip as usize]),
                s,
            );
        }
        for ((b, c), s) in &other.clients {
            merge_into(
                &mut self.clients,
                (buckets[*b as usize], r.clients[*c as usize]),
                s,
            );
        }
        for (k, c) in other.once {
            let c = Carrier {
                bucket: buckets[c.bucket as usize],
                object: r.objects[c.object as usize],
                ..c
            };
            self.settle(k, c);
        }
    }

    /// The hourly and daily windows of everything folded in, and what alerts need to gather
    /// their evidence.
    pub fn finish(self, cfg: &FeatureConfig) -> Streamed {
        let (zones, zone_of) = cfg.zones(&self.names);
        let zone = |a: u32| zone_of.get(a as usize).copied().unwrap_or(0);
        let mut calendar: FastMap<(u32, i64), LocalHour> = FastMap::default();
        let local: Vec<LocalHour> = self
            .buckets
            .iter()
            .map(|b| {
                let z = zone(b.account);
                *calendar
                    .entry((z, b.hour))
                    .or_insert_with(|| local_hour(&zones[z as usize], b.hour))
            })
            .collect();

        // Per bucket: distinct objects, and the IPs, clients and objects new to its account.
        let n = self.buckets.len();
        let mut distinct = vec![0u32; n];
        for &(b, o) in self.objects.keys() {
            if o != 0 {
                distinct[b as usize] += 1;
            }
        }
        // The three novelty passes are independent: one thread each.
        let (new_ips, new_clients, new_objects) = std::thread::scope(|scope| {
            let ips = scope.spawn(|| novel(&self.buckets, &self.ips, true, false));
            let clients = scope.spawn(|| novel(&self.buckets, &self.clients, true, true));
            let objects = novel(&self.buckets, &self.objects, false, false);
            let join = |h: std::thread::ScopedJoinHandle<'_, Novel>| {
                h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))
            };
            (join(ips), join(clients), objects.0)
        });
        let main_objects = MainObjects::from_totals(
            self.objects
                .iter()
                .map(|(&(b, o), s)| (self.buckets[b as usize].account, o, s.records, s.events)),
        );
        let (new_ips, routine_ips, _) = new_ips;
        let (new_clients, routine_clients, tool_uses) = new_clients;

        // Days: the sums of their hours (by the local day each hour starts in), the distinct
        // objects of the whole day, and the union of the hours' new values.
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_unstable_by_key(|&i| (self.buckets[i as usize].account, local[i as usize].day));
        let mut day_of = vec![0u32; n];
        let mut groups: Vec<std::ops::Range<usize>> = Vec::new();
        let mut i = 0;
        while i < order.len() {
            let key = |b: u32| (self.buckets[b as usize].account, local[b as usize].day);
            let k = key(order[i]);
            let j = i + order[i..].partition_point(|&b| key(b) == k);
            for &b in &order[i..j] {
                day_of[b as usize] = groups.len() as u32;
            }
            groups.push(i..j);
            i = j;
        }
        let mut day_objects: Vec<(u32, u32)> = self
            .objects
            .keys()
            .filter(|(_, o)| *o != 0)
            .map(|&(b, o)| (day_of[b as usize], o))
            .collect();
        day_objects.sort_unstable();
        day_objects.dedup();
        let mut distinct_day = vec![0u32; groups.len()];
        for &(g, _) in &day_objects {
            distinct_day[g as usize] += 1;
        }
        drop(day_objects);
        let union = |lists: &[Vec<u32>], members: &[u32]| {
            let mut v: Vec<u32> = members
                .iter()
                .flat_map(|&b| lists[b as usize].iter().copied())
                .collect();
            v.sort_unstable();
            v.dedup();
            v
        };
        let mut daily: Vec<Window> = groups
            .iter()
            .enumerate()
            .map(|(g, r)| {
                let members = &order[r.clone()];
                let first = members[0] as usize;
                let (account, day) = (self.buckets[first].account, local[first].day);
                let (mut events, mut records, mut records_given) = (0u64, 0i64, 0u64);
                let (mut bytes, mut bytes_given, mut exports) = (0i64, 0u64, 0u64);
                for &b in members {
                    let bk = &self.buckets[b as usize];
                    events += bk.events;
                    exports += bk.exports;
                    records += bk.records;
                    records_given += bk.records_given;
                    bytes += bk.bytes;
                    bytes_given += bk.bytes_given;
                }
                let tz = &zones[zone(account) as usize];
                let start_ms = local_day_start_ms(tz, day);
                Window {
                    account,
                    kind: WindowKind::Day,
                    start_ms,
                    end_ms: local_day_start_ms(tz, day + 1),
                    events,
                    exports,
                    records: (records_given > 0).then_some(records),
                    bytes: (bytes_given > 0).then_some(bytes),
                    distinct_objects: distinct_day[g],
                    local_day: day,
                    local_hour: 0,
                    local_weekday: local_hour(tz, start_ms.div_euclid(HOUR_MS)).weekday,
                    new_ips: union(&new_ips, members),
                    new_clients: union(&new_clients, members),
                    new_objects: union(&new_objects, members),
                }
            })
            .collect();
        // Hours last: they take their lists of new values, which the days have copied.
        let news = new_ips.into_iter().zip(new_clients).zip(new_objects);
        let mut hourly: Vec<Window> = self
            .buckets
            .iter()
            .zip(news)
            .enumerate()
            .map(|(i, (b, ((ips, clients), objects)))| {
                let l = &local[i];
                Window {
                    account: b.account,
                    kind: WindowKind::Hour,
                    start_ms: b.hour * HOUR_MS,
                    end_ms: (b.hour + 1) * HOUR_MS,
                    events: b.events,
                    exports: b.exports,
                    records: (b.records_given > 0).then_some(b.records),
                    bytes: (b.bytes_given > 0).then_some(b.bytes),
                    distinct_objects: distinct[i],
                    local_day: l.day,
                    local_hour: l.hour,
                    local_weekday: l.weekday,
                    new_ips: ips,
                    new_clients: clients,
                    new_objects: objects,
                }
            })
            .collect();

        hourly.sort_by_key(|w| (w.account, w.start_ms));
        daily.sort_by_key(|w| (w.account, w.start_ms));

        let mut by_account: BTreeMap<u32, Vec<(i64, u32)>> = BTreeMap::new();
        for (i, b) in self.buckets.iter().enumerate() {
            by_account
                .entry(b.account)
                .or_default()
                .push((b.hour, i as u32));
        }
        for v in by_account.values_mut() {
            v.sort_unstable();
        }
        Streamed {
            features: Features {
                hourly,
                daily,
                routine_ips,
                routine_clients,
                tool_uses,
                main_objects,
            },
            names: self.names,
            buckets: self.buckets,
            by_account,
            objects: self.objects,
            ips: self.ips,
        }
    }
}

/// Per bucket, the new values; the routine values; the regular users' uses of tools.
type Novel = (Vec<Vec<u32>>, Routine, ToolUses);

/// Per bucket, the values (sorted) its account used only within [`NOVELTY_BAND_MS`] of the
/// bucket's hour: first and last use over all of the account's buckets. Code 0 ("not given")
/// is never new. Also, when `routine`, the values some account uses routinely: new to it in none
/// of its buckets ([`Routine`]; else empty); and, when `tools`, their regular users' uses
/// ([`ToolUses`]; else empty).
fn novel(
    buckets: &[Bucket],
    used: &FastMap<(u32, u32), Seen>,
    routine: bool,
    tools: bool,
) -> Novel {
    let mut span: FastMap<(u32, u32), (i64, i64)> = FastMap::default();
    for (&(b, v), s) in used.iter().filter(|((_, v), _)| *v != 0) {
        let a = buckets[b as usize].account;
        span.entry((a, v))
            .and_modify(|x| {
                x.0 = x.0.min(s.first);
                x.1 = x.1.max(s.last);
            })
            .or_insert((s.first, s.last));
    }
    let mut out = vec![Vec::new(); buckets.len()];
    let mut novel_pairs: FastSet<(u32, u32)> = FastSet::default();
    for &(b, v) in used.keys().filter(|(_, v)| *v != 0) {
        let bk = &buckets[b as usize];
        let (first, last) = span[&(bk.account, v)];
        let start = bk.hour * HOUR_MS;
        if first >= start - NOVELTY_BAND_MS && last < start + HOUR_MS + NOVELTY_BAND_MS {
            out[b as usize].push(v);
            if routine || tools {
                novel_pairs.insert((bk.account, v));
            }
        }
    }
    for v in &mut out {
        v.sort_unstable();
    }
    let tool_uses = if tools {
        ToolUses::from_uses(
            used.keys().filter(|(_, v)| *v != 0).map(|&(b, v)| {
                let bk = &buckets[b as usize];
                (bk.account, bk.hour, v)
            }),
            &novel_pairs,
        )
    } else {
        ToolUses::default()
    };
    if !routine {
        return (out, Routine::default(), tool_uses);
    }
    let routine = span
        .keys()
        .filter(|pair| !novel_pairs.contains(pair))
        .map(|&(_, v)| v)
        .collect();
    (out, Routine::from_uses(routine), tool_uses)
}

/// The result of a streaming read: the features, the names, and the buckets alerts gather
/// their evidence from.
#[derive(Debug)]
pub struct Streamed {
    pub features: Features,
    names: Names,
    buckets: Vec<Bucket>,
    /// Per account, its buckets' (hour, index), by hour.
    by_account: BTreeMap<u32, Vec<(i64, u32)>>,
    objects: FastMap<(u32, u32), Seen>,
    ips: FastMap<(u32, u32), Seen>,
}

impl Activity for Streamed {
    fn names(&self) -> &Names {
        &self.names
    }

    fn evidence(&self, spans: &[Span]) -> Vec<Evidence> {
        let mut out: Vec<Evidence> = spans.iter().map(|_| Evidence::default()).collect();
        // Which spans each bucket falls in (an hour belongs to a span when it starts inside it).
        let mut wanted: FastMap<u32, Vec<usize>> = FastMap::default();
        for (i, s) in spans.iter().enumerate() {
            let Some(hours) = self.by_account.get(&s.account) else {
                continue;
            };
            let from = hours.partition_point(|&(h, _)| h * HOUR_MS < s.start_ms);
            for &(h, b) in &hours[from..] {
                if h * HOUR_MS >= s.end_ms {
                    break;
                }
                wanted.entry(b).or_default().push(i);
                let bk = &self.buckets[b as usize];
                let e = &mut out[i];
                e.events += bk.events;
                if bk.records_given > 0 {
                    *e.records.get_or_insert(0) += bk.records;
                }
                if bk.bytes_given > 0 {
                    *e.bytes.get_or_insert(0) += bk.bytes;
                }
                e.files.extend(&bk.files);
            }
        }
        if wanted.is_empty() {
            return out;
        }
        for (&(b, o), s) in &self.objects {
            for &i in wanted.get(&b).map_or(&[][..], Vec::as_slice) {
                let x = out[i].objects.entry(o).or_default();
                x.0 += s.records;
                x.1 += s.events;
            }
        }
        for &(b, ip) in self.ips.keys() {
            for &i in wanted.get(&b).map_or(&[][..], Vec::as_slice) {
                out[i].ips.insert(ip);
            }
        }
        out
    }
}
