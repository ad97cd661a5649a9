//! Per-stage benchmarks of the pipeline through the library API, with divan
//! (`cargo bench --bench stages`).
//!
//! Input: `EXFILWATCH_BENCH_FILE` (default: the committed sample, 105,718 rows). Each stage is
//! timed on its own, with its input prepared outside the timing:
//! - `ingest_streaming`: parse and fold rows into hourly buckets (large files in blocks on all
//!   cores), what `scan` does;
//! - `windows_streaming`: buckets -> hourly and daily windows with novelty (`WindowSink::finish`);
//! - `ingest_in_memory` and `windows_polars`: the same two stages on the `--in-memory` path
//!   (every event kept, windows by polars group-bys and joins);
//! - `detect`: scoring every window, the alert line, incidents;
//! - `alerts`: evidence, explanations and JSON Lines rendering.
//!
//! The end-to-end comparison with DuckDB and `wc -l` is `benches/e2e.sh`.

use exfilwatch::alert;
use exfilwatch::detect::{self, DetectConfig, Severity};
use exfilwatch::features::stream::{Streamed, WindowSink};
use exfilwatch::features::{self, Activity, FeatureConfig};
use exfilwatch::ingest::event::EventTable;
use exfilwatch::ingest::{self, Collect, IngestConfig, Input};
use std::path::PathBuf;
use std::sync::LazyLock;

fn main() {
    eprintln!("input: {}", file().display());
    divan::main();
}

fn file() -> PathBuf {
    std::env::var("EXFILWATCH_BENCH_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("sample-logs/contact-centre-2025-01.csv.gz")
        })
}

fn read<S: Collect>() -> S {
    let cfg = IngestConfig {
        inputs: vec![Input::Path(file())],
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(ingest::ingest_into::<S>(&cfg))
        .expect("ingest")
        .0
}

static SINK: LazyLock<WindowSink> = LazyLock::new(read::<WindowSink>);
static STREAMED: LazyLock<Streamed> =
    LazyLock::new(|| SINK.clone().finish(&FeatureConfig::default()));
static TABLE: LazyLock<EventTable> = LazyLock::new(read::<EventTable>);
static INCIDENTS: LazyLock<Vec<detect::Incident>> = LazyLock::new(|| {
    let d = detect::detect(
        &STREAMED.features,
        STREAMED.names(),
        &DetectConfig::default(),
    );
    detect::incidents(&d.findings, d.line.high)
});

#[divan::bench(sample_count = 5, sample_size = 1)]
fn ingest_streaming() -> WindowSink {
    read::<WindowSink>()
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn windows_streaming(b: divan::Bencher) {
    b.with_inputs(|| SINK.clone())
        .bench_values(|s| s.finish(&FeatureConfig::default()));
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn ingest_in_memory() -> EventTable {
    read::<EventTable>()
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn windows_polars() -> features::Features {
    features::compute(&TABLE, &FeatureConfig::default()).expect("features")
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn detect() -> usize {
    let d = detect::detect(
        &STREAMED.features,
        STREAMED.names(),
        &DetectConfig::default(),
    );
    detect::incidents(&d.findings, d.line.high).len()
}

#[divan::bench(sample_count = 5, sample_size = 1)]
fn alerts() -> Vec<u8> {
    let alerts = alert::build(
        &INCIDENTS,
        &*STREAMED,
        &STREAMED.features,
        &chrono_tz::UTC,
        Severity::Low,
    );
    let mut out = Vec::new();
    alert::write_jsonl(&alerts, &mut out).expect("render");
    out
}
