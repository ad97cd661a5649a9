//! Delivery against a real loopback HTTP server: payloads, signatures, retries, timeouts, and
//! that no error ever quotes the URL or the secret.

use super::http_server::{receiver_signature, Reply, TestServer};
use exfilwatch::alert::{Alert, BaselineOut, ObjectOut, ReasonOut};
use exfilwatch::deliver::{self, post_json, DeliveryError, Endpoint, Sink};
use exfilwatch::detect::Severity;
use serde_json::Value;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// A token-bearing path, like a Slack incoming-webhook URL.
const PATH: &str = "/services/T0001/B0002/XyZsEcReTtOkEn42";
const TOKEN: &str = "XyZsEcReTtOkEn42";
const SECRET: &str = "whsec-0123456789";

fn alert() -> Alert {
    Alert {
        id: "ew-00000000deadbeef".into(),
        account: "<!channel> bob".into(),
        account_name: None,
        source: "generic".into(),
        window_start: "2025-01-15T02:00:00Z".into(),
        window_end: "2025-01-15T03:00:00Z".into(),
        window_kind: "hour".into(),
        score: 10.25,
        severity: Severity::Critical,
        records: Some(50_000),
        bytes: None,
        events: 99,
        distinct_objects: 4,
        baseline: BaselineOut {
            scope: "account".into(),
            measure: "records".into(),
            window_kind: "hour".into(),
            windows: 300,
            median: 120.0,
            p99: 800.0,
            tail_probability: 3e-11,
            model: "pareto_tail".into(),
            hour_activity_rate: Some(0.2),
            days_active_at_hour: Some(6),
            days_observed: Some(30),
            busy_day_factor: None,
            peer_day_factor: None,
            peer_day_share: None,
            peer_object: None,
            month_close_factor: None,
            bulk_hours: None,
            bulk_hours_off_hours: None,
            bulk_hours_tool_accounts: None,
        },
        reasons: vec![ReasonOut {
            factor: "volume".into(),
            contribution: 10.25,
            observed: 50_000.0,
            typical: 120.0,
            detail: "50,000 records in an hour".into(),
        }],
        new_ips: vec!["192.0.2.9".into()],
        new_clients: vec!["<https://evil.example|open>".into()],
        new_ips_routine_accounts: Default::default(),
        new_clients_routine_accounts: Default::default(),
        top_objects: vec![ObjectOut {
            object: "Lead".into(),
            records: 50_000,
            events: 99,
        }],
        files: vec!["logs/a.csv".into()],
        explanation: "bob read 50,000 records in one hour.".into(),
        version: 1,
    }
}

fn endpoint(server: &TestServer) -> Endpoint {
    Endpoint::new("webhook (TEST_URL)", server.url(PATH))
        .unwrap()
        .with_timeout(Duration::from_secs(5))
        .with_retries(3)
        .with_backoff(Duration::from_millis(1))
}

/// The message and debug text of an error hold neither the URL, its token, nor the secret.
fn assert_no_secrets(e: &DeliveryError, server: &TestServer) {
    for text in [e.to_string(), format!("{e:?}")] {
        assert!(!text.contains(TOKEN), "token leaked: {text}");
        assert!(!text.contains(SECRET), "secret leaked: {text}");
        assert!(!text.contains(&server.url("")), "URL leaked: {text}");
        assert!(!text.contains("/services/"), "path leaked: {text}");
    }
}

#[test]
fn webhook_posts_the_envelope() {
    let server = TestServer::with_statuses(&[]);
    deliver::deliver(&Sink::Webhook(endpoint(&server)), &alert(), false).unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.method, "POST");
    assert_eq!(r.path, PATH);
    assert_eq!(r.header("content-type"), Some("application/json"));
    let ua = r.header("user-agent").unwrap();
    assert!(ua.starts_with("exfilwatch/"), "{ua}");
    assert_eq!(
        r.header("x-exfilwatch-signature"),
        None,
        "no secret, no signature"
    );
    assert_eq!(r.header("x-exfilwatch-timestamp"), None);
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["type"], "exfilwatch.alert");
    assert_eq!(body["version"], 1);
    assert_eq!(body["update"], false);
    // The alert goes out exactly (not neutralised): it is for machines.
    let back: Alert = serde_json::from_value(body["alert"].clone()).unwrap();
    assert_eq!(back, alert());
}

#[test]
fn signature_verifies_with_the_secret() {
    let server = TestServer::with_statuses(&[]);
    let ep = endpoint(&server).with_secret(SECRET);
    deliver::deliver(&Sink::Webhook(ep), &alert(), true).unwrap();
    let r = &server.requests()[0];
    let ts = r.header("x-exfilwatch-timestamp").unwrap();
    let sig = r.header("x-exfilwatch-signature").unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let t: u64 = ts.parse().unwrap();
    assert!(t.abs_diff(now) <= 60, "timestamp {t} vs now {now}");
    // Recompute as a receiver would: HMAC-SHA256(secret, "<ts>.<raw body>").
    assert_eq!(sig, receiver_signature(SECRET.as_bytes(), ts, &r.body));
    // A different secret does not verify.
    assert_ne!(sig, receiver_signature(b"other", ts, &r.body));
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["update"], true);
}

#[test]
fn retries_503_then_succeeds() {
    let server = TestServer::with_statuses(&[503, 503]);
    let body = serde_json::json!({"k": "v"});
    let d = post_json(&endpoint(&server), &body).unwrap();
    assert_eq!((d.status, d.attempts), (200, 3));
    let reqs = server.requests();
    assert_eq!(reqs.len(), 3);
    for r in &reqs {
        assert_eq!(r.body, br#"{"k":"v"}"#);
    }
}

#[test]
fn gives_up_after_retries_with_a_safe_message() {
    let server = TestServer::start(vec![], Reply::status(503).body("upstream down"));
    let e = post_json(
        &endpoint(&server).with_secret(SECRET),
        &serde_json::json!({}),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "webhook (TEST_URL): HTTP 503 after 4 attempts: upstream down"
    );
    assert_eq!(e.attempts(), 4);
    assert_eq!(server.requests().len(), 4, "1 attempt + 3 retries");
    assert_no_secrets(&e, &server);
}

#[test]
fn client_errors_are_not_retried() {
    for status in [400, 401, 403, 404, 410, 422] {
        let server = TestServer::with_statuses(&[status]);
        let e = post_json(&endpoint(&server), &serde_json::json!({})).unwrap_err();
        assert!(
            matches!(e, DeliveryError::Status { status: s, attempts: 1, .. } if s == status),
            "{e:?}"
        );
        assert_eq!(
            e.to_string(),
            format!("webhook (TEST_URL): HTTP {status} after 1 attempt")
        );
        // The call is synchronous: nothing more can arrive after it returned.
        assert_eq!(server.requests().len(), 1, "{status}");
    }
}

#[test]
fn too_many_requests_and_408_are_retried() {
    let server = TestServer::with_statuses(&[429, 408, 500, 502]);
    let d = post_json(&endpoint(&server).with_retries(4), &serde_json::json!({})).unwrap();
    assert_eq!(d.attempts, 5);
}

#[test]
fn redirects_are_not_followed() {
    let target = TestServer::with_statuses(&[]);
    let server = TestServer::start(
        vec![Reply::status(302).header("Location", &target.url("/elsewhere"))],
        Reply::status(200),
    );
    let e = post_json(&endpoint(&server), &serde_json::json!({})).unwrap_err();
    assert_eq!(
        e.to_string(),
        "webhook (TEST_URL): HTTP 302 (redirects are not followed) after 1 attempt"
    );
    assert_eq!(server.requests().len(), 1);
    assert!(target.requests().is_empty());
}

#[test]
fn retry_after_is_honoured() {
    let server = TestServer::start(
        vec![
            Reply::status(429).header("Retry-After", "1"),
            Reply::status(503).header("Retry-After", "0"),
        ],
        Reply::status(200),
    );
    let start = Instant::now();
    let d = post_json(&endpoint(&server), &serde_json::json!({})).unwrap();
    let took = start.elapsed();
    assert_eq!(d.attempts, 3);
    let reqs = server.requests();
    // The backoff is 1 ms: only Retry-After explains a gap of a second.
    let gap = reqs[1].at.duration_since(reqs[0].at);
    assert!(gap >= Duration::from_millis(1000), "{gap:?}");
    assert!(gap < Duration::from_millis(3000), "{gap:?}");
    // Retry-After: 0 is no reason to wait longer than the backoff.
    let gap2 = reqs[2].at.duration_since(reqs[1].at);
    assert!(gap2 < Duration::from_millis(900), "{gap2:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn retry_after_is_ignored_on_other_statuses() {
    let server = TestServer::start(
        vec![Reply::status(500).header("Retry-After", "5")],
        Reply::status(200),
    );
    let start = Instant::now();
    post_json(&endpoint(&server), &serde_json::json!({})).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(4),
        "Retry-After on a 500 was waited for"
    );
}

#[test]
fn exponential_backoff_spaces_attempts() {
    let server = TestServer::with_statuses(&[503, 503, 503]);
    let ep = endpoint(&server).with_backoff(Duration::from_millis(50));
    post_json(&ep, &serde_json::json!({})).unwrap();
    let r = server.requests();
    assert_eq!(r.len(), 4);
    // Waits of 50, 100, 200 ms (plus up to 10% jitter).
    for (i, min) in [50u64, 100, 200].into_iter().enumerate() {
        let gap = r[i + 1].at.duration_since(r[i].at);
        assert!(gap >= Duration::from_millis(min), "gap {i}: {gap:?}");
        assert!(
            gap < Duration::from_millis(min * 4 + 500),
            "gap {i}: {gap:?}"
        );
    }
}

#[test]
fn timeout_against_a_silent_server() {
    let server = TestServer::start(vec![], Reply::hang());
    let ep = endpoint(&server)
        .with_secret(SECRET)
        .with_timeout(Duration::from_millis(200))
        .with_retries(1);
    let start = Instant::now();
    let e = post_json(&ep, &serde_json::json!({"x": 1})).unwrap_err();
    let took = start.elapsed();
    assert_eq!(
        e.to_string(),
        "webhook (TEST_URL): timed out after 2 attempts"
    );
    assert!(took >= Duration::from_millis(400), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
    assert_eq!(server.wait_for(2, Duration::from_secs(1)).len(), 2);
    assert_no_secrets(&e, &server);
}

#[test]
fn connection_refused_is_retried_then_reported() {
    // A port that was free a moment ago and has no listener now.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let url = format!("http://127.0.0.1:{port}{PATH}");
    let ep = Endpoint::new("webhook (TEST_URL)", url.clone())
        .unwrap()
        .with_secret(SECRET)
        .with_timeout(Duration::from_secs(2))
        .with_retries(2)
        .with_backoff(Duration::from_millis(1));
    let e = post_json(&ep, &serde_json::json!({})).unwrap_err();
    assert!(
        matches!(e, DeliveryError::Transport { attempts: 3, .. }),
        "{e:?}"
    );
    let m = e.to_string();
    assert!(
        m.starts_with("webhook (TEST_URL): connection failed"),
        "{m}"
    );
    assert!(m.ends_with("after 3 attempts"), "{m}");
    for text in [m, format!("{e:?}")] {
        assert!(!text.contains(TOKEN) && !text.contains(&url) && !text.contains(SECRET));
        assert!(!text.contains(&port.to_string()), "{text}");
    }
}

#[test]
fn response_echoing_the_url_is_withheld() {
    let server = TestServer::start(
        vec![Reply::status(404).body(format!("no such hook: POST {PATH}"))],
        Reply::status(200),
    );
    let e = post_json(
        &endpoint(&server).with_secret(SECRET),
        &serde_json::json!({}),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "webhook (TEST_URL): HTTP 404 after 1 attempt: [response body withheld: it quotes the endpoint]"
    );
    assert_no_secrets(&e, &server);
}

#[test]
fn response_body_is_neutralised_and_cut() {
    let hostile = format!("invalid_payload\x1b[2J{}", "z".repeat(5000));
    let server = TestServer::start(vec![Reply::status(400).body(hostile)], Reply::status(200));
    let e = post_json(&endpoint(&server), &serde_json::json!({})).unwrap_err();
    let m = e.to_string();
    assert!(m.contains("invalid_payload\\u{1b}[2J"), "{m}");
    assert!(!m.contains('\x1b'));
    assert!(m.len() < 400, "{}", m.len());
}

#[test]
fn slack_sink_posts_inert_blocks() {
    let server = TestServer::with_statuses(&[]);
    deliver::deliver(&Sink::Slack(endpoint(&server)), &alert(), false).unwrap();
    let r = &server.requests()[0];
    let body: Value = serde_json::from_slice(&r.body).unwrap();
    assert!(body["text"]
        .as_str()
        .unwrap()
        .contains("`&lt;!channel&gt; bob`"));
    assert_eq!(body["blocks"][0]["type"], "header");
    let raw = r.body_text();
    assert!(!raw.contains("<!channel>"));
    assert!(!raw.contains("<https://evil.example|open>"));
    assert!(raw.contains("&lt;https://evil.example|open&gt;"));
}

#[test]
fn ocsf_sink_posts_a_detection_finding() {
    let server = TestServer::with_statuses(&[]);
    deliver::deliver(&Sink::OcsfWebhook(endpoint(&server)), &alert(), true).unwrap();
    let body: Value = serde_json::from_slice(&server.requests()[0].body).unwrap();
    assert_eq!(body["class_uid"], 2004);
    assert_eq!(body["activity_id"], 2);
    assert_eq!(body["type_uid"], 200402);
    assert_eq!(body["severity_id"], 5);
    assert_eq!(body["finding_info"]["uid"], "ew-00000000deadbeef");
    assert_eq!(body["risk_score"], 10);
}

#[test]
fn keep_alive_serves_several_requests() {
    let server = TestServer::with_statuses(&[]);
    let ep = endpoint(&server);
    for _ in 0..3 {
        post_json(&ep, &serde_json::json!({})).unwrap();
    }
    assert_eq!(server.requests().len(), 3);
    server.stop();
}

#[test]
fn invalid_endpoint_is_refused_before_sending() {
    let ep = Endpoint {
        label: "webhook (TEST_URL)".into(),
        url: format!("ftp://files.example{PATH}"),
        secret: Some(SECRET.into()),
        timeout: Duration::from_secs(1),
        retries: 3,
        backoff: Duration::from_millis(1),
    };
    let e = post_json(&ep, &serde_json::json!({})).unwrap_err();
    assert_eq!(
        e.to_string(),
        "webhook (TEST_URL): URL must start with http:// or https://"
    );
    assert!(!format!("{e:?}").contains(TOKEN));
    assert_eq!(e.attempts(), 0);
}

#[test]
fn from_env_reads_the_variables() {
    // Names unique to this test: the process environment is shared by all tests.
    let url_var = "EXFILWATCH_DELIVER_TEST_URL_4F2A";
    let secret_var = "EXFILWATCH_DELIVER_TEST_SECRET_4F2A";
    let t = Duration::from_secs(3);
    let e = Endpoint::from_env(url_var, Some(secret_var), t, 1).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("environment variable {url_var} is not set")
    );
    std::env::set_var(url_var, format!("gopher://x.example{PATH}"));
    let e = Endpoint::from_env(url_var, Some(secret_var), t, 1).unwrap_err();
    assert!(!e.to_string().contains(TOKEN));
    assert!(e.to_string().contains(url_var));
    let server = TestServer::with_statuses(&[503]);
    std::env::set_var(url_var, server.url(PATH));
    std::env::set_var(secret_var, SECRET);
    let ep = Endpoint::from_env(url_var, Some(secret_var), t, 0)
        .unwrap()
        .with_backoff(Duration::from_millis(1));
    std::env::remove_var(url_var);
    std::env::remove_var(secret_var);
    assert_eq!(ep.label, url_var);
    assert_eq!(ep.secret.as_deref(), Some(SECRET));
    // Through a sink, the message names the sink and the variable; retries 0: one attempt.
    let e = deliver::deliver(&Sink::Slack(ep.clone()), &alert(), false).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!("slack ({url_var}): HTTP 503 after 1 attempt")
    );
    assert_no_secrets(&e, &server);
    deliver::deliver(&Sink::Slack(ep), &alert(), false).unwrap();
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    assert!(reqs[1].header("x-exfilwatch-signature").is_some());
}

#[test]
fn jsonl_file_sink_appends_records() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alerts.jsonl");
    let sink = Sink::JsonlFile(path.clone());
    deliver::deliver(&sink, &alert(), false).unwrap();
    let mut changed = alert();
    changed.score = 11.0;
    deliver::deliver(&sink, &changed, true).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2);
    assert!(text.ends_with('\n'));
    assert_eq!(serde_json::from_str::<Alert>(lines[0]).unwrap(), alert());
    assert_eq!(serde_json::from_str::<Alert>(lines[1]).unwrap(), changed);
}

#[test]
fn ocsf_file_sink_appends_findings() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("findings.ocsf.jsonl");
    let sink = Sink::OcsfFile(path.clone());
    deliver::deliver(&sink, &alert(), false).unwrap();
    deliver::deliver(&sink, &alert(), true).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let f: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(f.len(), 2);
    assert_eq!(
        (f[0]["type_uid"].as_i64(), f[1]["type_uid"].as_i64()),
        (Some(200401), Some(200402))
    );
    assert_eq!(f[0]["finding_info"]["uid"], f[1]["finding_info"]["uid"]);
}

#[test]
fn a_torn_last_line_is_ended_first() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alerts.jsonl");
    std::fs::write(&path, "{\"id\":\"ew-torn").unwrap();
    deliver::deliver(&Sink::JsonlFile(path.clone()), &alert(), false).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "{\"id\":\"ew-torn");
    assert_eq!(serde_json::from_str::<Alert>(lines[1]).unwrap(), alert());
}

#[test]
fn unwritable_file_sink_reports_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir").join("alerts.jsonl");
    let e = deliver::deliver(&Sink::JsonlFile(path.clone()), &alert(), false).unwrap_err();
    let m = e.to_string();
    assert!(
        m.starts_with(&format!("jsonl file {}: ", path.display())),
        "{m}"
    );
    assert!(matches!(e, DeliveryError::File { sink: "jsonl", .. }));
}

#[test]
fn server_records_chunked_bodies() {
    // The test server itself: a chunked request is decoded.
    use std::io::{Read, Write};
    let server = TestServer::with_statuses(&[201]);
    let mut s = std::net::TcpStream::connect(server.addr()).unwrap();
    s.write_all(
        b"POST /c HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n\
          4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n",
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 201 Created\r\n"), "{resp}");
    let r = &server.requests()[0];
    assert_eq!(r.path, "/c");
    assert_eq!(r.body, b"Wikipedia");
}
