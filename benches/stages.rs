//! Per-stage timings of the pipeline through the library API (`cargo bench --bench stages`).
//!
//! Reads `EXFILWATCH_BENCH_FILE` (default: the committed sample) and reports, for the median of
//! `EXFILWATCH_BENCH_RUNS` runs (default 5), the time of ingest, features, detection and alert
//! building, with rows per second. The end-to-end comparison with DuckDB is `benches/e2e.sh`.

use exfilwatch::alert;
use exfilwatch::detect::{self, DetectConfig, Severity};
use exfilwatch::features::{self, FeatureConfig};
use exfilwatch::ingest::{self, IngestConfig, Input};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() {
    // `cargo bench` passes `--bench`; a filter argument that is not ours is ignored.
    let file = std::env::var("EXFILWATCH_BENCH_FILE")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("sample-logs/contact-centre-2025-01.csv.gz")
        });
    let runs: usize = std::env::var("EXFILWATCH_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let cfg = IngestConfig {
        inputs: vec![Input::Path(file.clone())],
        ..Default::default()
    };
    let fcfg = FeatureConfig::default();
    let dcfg = DetectConfig::default();

    let (mut t_ingest, mut t_feat, mut t_detect, mut t_alert) = (vec![], vec![], vec![], vec![]);
    let mut rows = 0;
    let mut n_alerts = 0;
    for _ in 0..runs.max(1) {
        let t = Instant::now();
        let ing = rt.block_on(ingest::ingest(&cfg)).expect("ingest");
        t_ingest.push(t.elapsed());
        rows = ing.events.len();

        let t = Instant::now();
        let feats = features::compute(&ing.events, &fcfg).expect("features");
        t_feat.push(t.elapsed());

        let t = Instant::now();
        let det = detect::detect(&feats, &ing.events, &dcfg);
        let inc = detect::incidents(&det.findings, det.line.high);
        t_detect.push(t.elapsed());

        let t = Instant::now();
        let alerts = alert::build(&inc, &ing.events, &fcfg.tz, Severity::High);
        let mut out = Vec::new();
        alert::write_jsonl(&alerts, &mut out).expect("render");
        t_alert.push(t.elapsed());
        n_alerts = alerts.len();
    }
    println!(
        "file: {} ({rows} rows, {n_alerts} alerts at high+), median of {runs} runs",
        file.display()
    );
    println!("| stage | ms | k rows/s |");
    println!("|---|---|---|");
    for (name, v) in [
        ("ingest", t_ingest),
        ("features", t_feat),
        ("detect", t_detect),
        ("alerts", t_alert),
    ] {
        let m = median(v);
        let krs = rows as f64 / m.as_secs_f64().max(1e-9) / 1000.0;
        println!("| {name} | {:.1} | {krs:.0} |", m.as_secs_f64() * 1000.0);
    }
}
