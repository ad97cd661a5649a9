//! JSON over HTTP POST, signed, with retries: the transport under every sink.
//!
//! # Request
//!
//! `POST <url>` with the JSON body, `Content-Type: application/json` and
//! `User-Agent: exfilwatch/<version>`. Redirects are not followed (a 3xx is a failure: a
//! webhook that moved must be reconfigured, and following it would send the signed alert
//! somewhere nobody configured).
//!
//! # Signature
//!
//! With a secret configured, every attempt carries two more headers:
//!
//! | header | value |
//! |--------|-------|
//! | `X-Exfilwatch-Timestamp` | Unix time of the attempt, in whole seconds (`1736906400`) |
//! | `X-Exfilwatch-Signature` | `sha256=` + lowercase hex of HMAC-SHA256(secret, `<timestamp>.<body>`) |
//!
//! where `<timestamp>` is the header's decimal text and `<body>` the exact bytes of the request
//! body. A receiver verifies by recomputing the HMAC over the raw body bytes it received (before
//! any JSON parsing), comparing in constant time, and rejecting timestamps more than a few
//! minutes from its clock (replays). Each retry is signed afresh with its own timestamp. In
//! Python:
//!
//! ```text
//! ts = request.headers["X-Exfilwatch-Timestamp"]
//! expected = "sha256=" + hmac.new(secret, ts.encode() + b"." + raw_body, hashlib.sha256).hexdigest()
//! ok = hmac.compare_digest(expected, request.headers["X-Exfilwatch-Signature"]) \
//!      and abs(time.time() - int(ts)) < 300
//! ```
//!
//! # Retries
//!
//! An attempt is retried (up to [`Endpoint::retries`] more times) after a connection failure
//! or a timeout, and on HTTP 408, 429 and 5xx. The wait before retry `n` (0-based) is
//! `backoff * 2^n`, capped at [`MAX_BACKOFF`] (or at `backoff` itself if larger), plus up to
//! 10% random jitter; on 429 and 503 a `Retry-After: <seconds>` header is honoured when it asks
//! for longer, up to [`MAX_RETRY_AFTER`]. Other 4xx and 3xx, TLS errors and malformed
//! endpoints fail at once. A retried POST may reach the receiver twice (an answer lost on the
//! way back): receivers deduplicate on the alert id (and `update`).
//!
//! # Secrets
//!
//! Webhook URLs often carry their credential (a Slack incoming-webhook URL *is* one), so
//! neither the URL nor the secret ever appears in an error, a log line or `Debug` output:
//! messages name the endpoint by its [`Endpoint::label`], ureq's errors are reduced to a
//! cause of our own (their `Display` can hold the URL), and a response body is quoted in an
//! error only when it does not echo the URL, its path or query, or the secret.
//! ureq's own `log` records hide the URL path at debug level but print it at trace level: keep
//! the `ureq` target at `debug` or quieter.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use std::collections::hash_map::RandomState;
use std::fmt;
use std::hash::{BuildHasher, Hasher};
use std::io::Read;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// `User-Agent` of every request.
pub const USER_AGENT: &str = concat!("exfilwatch/", env!("CARGO_PKG_VERSION"));
/// Header carrying the signing time, Unix seconds.
pub const TIMESTAMP_HEADER: &str = "X-Exfilwatch-Timestamp";
/// Header carrying `sha256=<hex>`.
pub const SIGNATURE_HEADER: &str = "X-Exfilwatch-Signature";
/// Per-attempt timeout of [`Endpoint::new`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Retries of [`Endpoint::new`] (so 4 attempts in all).
pub const DEFAULT_RETRIES: u32 = 3;
/// First backoff of [`Endpoint::new`] and [`Endpoint::from_env`].
pub const DEFAULT_BACKOFF: Duration = Duration::from_secs(1);
/// Ceiling of the exponential backoff (unless the configured backoff is itself larger).
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Ceiling of a server's `Retry-After`.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Most characters of a response body quoted in an error.
const DETAIL_CHARS: usize = 200;
/// Most bytes of a response body read (the rest is left unread).
const BODY_LIMIT: u64 = 64 * 1024;

/// Where to POST, and how hard to try.
#[derive(Clone)]
pub struct Endpoint {
    /// Names the endpoint in errors and logs instead of the URL, e.g.
    /// `webhook (EXFILWATCH_WEBHOOK_URL)`. Must not contain the URL or the secret.
    pub label: String,
    /// `http://` or `https://` URL. Treated as a secret: never logged.
    pub url: String,
    /// HMAC key: when set, requests are signed (see the module docs).
    pub secret: Option<String>,
    /// Timeout of one attempt, end to end (connect, send, receive the whole response).
    pub timeout: Duration,
    /// Further attempts after the first fails retryably.
    pub retries: u32,
    /// Wait before the first retry; doubled for each further one.
    pub backoff: Duration,
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("label", &self.label)
            .field("url", &"[redacted]")
            .field("secret", &self.secret.as_ref().map(|_| "[redacted]"))
            .field("timeout", &self.timeout)
            .field("retries", &self.retries)
            .field("backoff", &self.backoff)
            .finish()
    }
}

impl Endpoint {
    /// An endpoint with the default timeout, retries and backoff and no secret; `Err` when
    /// `url` is not an `http://` or `https://` URL with a host (the error names `label`).
    pub fn new(
        label: impl Into<String>,
        url: impl Into<String>,
    ) -> Result<Endpoint, DeliveryError> {
        let label = label.into();
        let url = url.into();
        if let Err(problem) = check_url(&url) {
            return Err(DeliveryError::InvalidEndpoint { label, problem });
        }
        Ok(Endpoint {
            label,
            url,
            secret: None,
            timeout: DEFAULT_TIMEOUT,
            retries: DEFAULT_RETRIES,
            backoff: DEFAULT_BACKOFF,
        })
    }

    /// The endpoint whose URL is in the environment variable `url_var` and, when `secret_var`
    /// is given and that variable is set, whose signing secret is in it; labelled `url_var`
    /// (so messages read `EXFILWATCH_WEBHOOK_URL: HTTP 503 after 4 attempts`, and
    /// [`deliver`](super::deliver) adds the sink: `webhook (EXFILWATCH_WEBHOOK_URL): ...`).
    /// `timeout` is per attempt, `retries` the attempts after the first; the backoff starts at
    /// [`DEFAULT_BACKOFF`]. Errors name the variable, never its value: unset, empty, not
    /// UTF-8, or not an `http(s)://` URL with a host; a secret variable that is set but empty is
    /// an error too (it would silently turn signing off).
    pub fn from_env(
        url_var: &str,
        secret_var: Option<&str>,
        timeout: Duration,
        retries: u32,
    ) -> Result<Endpoint, DeliveryError> {
        Self::from_lookup(url_var, secret_var, timeout, retries, |k| {
            std::env::var_os(k)
        })
    }

    /// [`Endpoint::from_env`] reading variables through `lookup` (tests, config layers).
    pub fn from_lookup(
        url_var: &str,
        secret_var: Option<&str>,
        timeout: Duration,
        retries: u32,
        lookup: impl Fn(&str) -> Option<std::ffi::OsString>,
    ) -> Result<Endpoint, DeliveryError> {
        let env_err = |var: &str, problem: &'static str| DeliveryError::Env {
            var: var.to_owned(),
            problem,
        };
        let url = match lookup(url_var) {
            None => return Err(env_err(url_var, "is not set")),
            Some(v) => v
                .into_string()
                .map_err(|_| env_err(url_var, "is not valid UTF-8"))?,
        };
        let url = url.trim().to_owned();
        if url.is_empty() {
            return Err(env_err(url_var, "is empty"));
        }
        check_url(&url).map_err(|problem| env_err(url_var, problem))?;
        let secret = match secret_var {
            None => None,
            Some(var) => match lookup(var) {
                None => None,
                Some(v) => {
                    let s = v
                        .into_string()
                        .map_err(|_| env_err(var, "is not valid UTF-8"))?;
                    if s.is_empty() {
                        return Err(env_err(
                            var,
                            "is set but empty (unset it to send unsigned requests)",
                        ));
                    }
                    Some(s)
                }
            },
        };
        Ok(Endpoint {
            label: url_var.to_owned(),
            url,
            secret,
            timeout,
            retries,
            backoff: DEFAULT_BACKOFF,
        })
    }

    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        self.secret = Some(secret.into());
        self
    }

    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    pub fn with_retries(mut self, retries: u32) -> Self {
        self.retries = retries;
        self
    }

    pub fn with_backoff(mut self, backoff: Duration) -> Self {
        self.backoff = backoff;
        self
    }
}

/// Why `url` is not a URL we post to, in words that do not quote it.
fn check_url(url: &str) -> Result<(), &'static str> {
    let uri: ureq::http::Uri = url
        .parse()
        .map_err(|_| "is not a valid http:// or https:// URL")?;
    match uri.scheme_str().map(str::to_ascii_lowercase).as_deref() {
        Some("http" | "https") => {}
        _ => return Err("must start with http:// or https://"),
    }
    match uri.host() {
        Some(h) if !h.is_empty() => Ok(()),
        _ => Err("has no host"),
    }
}

/// A successful POST.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Delivered {
    /// The 2xx status of the final attempt.
    pub status: u16,
    /// Attempts made, 1 when the first succeeded.
    pub attempts: u32,
}

/// Why a transport attempt failed, without any detail that could quote the URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportCause {
    Timeout,
    /// The host name did not resolve.
    Dns,
    /// Connect, read or write failed (with the OS error kind).
    Io(std::io::ErrorKind),
    /// No connection could be made.
    Connect,
    /// TLS handshake or certificate failure.
    Tls,
    /// The server spoke broken HTTP.
    Protocol,
    /// The proxy (from the environment) refused or is malformed.
    Proxy,
    /// Anything else ureq reported.
    Other,
}

impl TransportCause {
    fn retryable(self) -> bool {
        !matches!(self, TransportCause::Tls | TransportCause::Proxy)
    }
}

impl fmt::Display for TransportCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TransportCause::Timeout => f.write_str("timed out"),
            TransportCause::Dns => f.write_str("host name did not resolve"),
            TransportCause::Io(kind) => write!(f, "connection failed ({kind})"),
            TransportCause::Connect => f.write_str("connection failed"),
            TransportCause::Tls => f.write_str("TLS failed"),
            TransportCause::Protocol => f.write_str("invalid HTTP response"),
            TransportCause::Proxy => f.write_str("proxy failed"),
            TransportCause::Other => f.write_str("request failed"),
        }
    }
}

/// A delivery that did not happen. `Display` and `Debug` never hold the URL or the secret.
#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    /// A configuration variable is missing or unusable.
    #[error("environment variable {var} {problem}")]
    Env { var: String, problem: &'static str },
    /// An endpoint built in code has an unusable URL.
    #[error("{label}: URL {problem}")]
    InvalidEndpoint {
        label: String,
        problem: &'static str,
    },
    /// The receiver answered with a non-2xx status (the last one, after retries).
    #[error("{label}: HTTP {status}{} after {}{}", status_note(*.status), attempts_text(*.attempts), detail_text(.detail))]
    Status {
        label: String,
        status: u16,
        attempts: u32,
        /// The start of the response body, neutralised, when it is safe to quote.
        detail: Option<String>,
    },
    /// No HTTP answer: connection, TLS or timeout (the last cause, after retries).
    #[error("{label}: {cause} after {}", attempts_text(*.attempts))]
    Transport {
        label: String,
        cause: TransportCause,
        attempts: u32,
    },
    /// A file sink could not be written (`path` neutralised for display).
    #[error("{sink} file {path}: {error}")]
    File {
        sink: &'static str,
        path: String,
        error: String,
    },
}

impl DeliveryError {
    /// Attempts made (0 for configuration errors).
    pub fn attempts(&self) -> u32 {
        match self {
            DeliveryError::Status { attempts, .. } | DeliveryError::Transport { attempts, .. } => {
                *attempts
            }
            _ => 0,
        }
    }
}

fn status_note(status: u16) -> &'static str {
    if (300..400).contains(&status) {
        " (redirects are not followed)"
    } else {
        ""
    }
}

fn attempts_text(n: u32) -> String {
    if n == 1 {
        "1 attempt".into()
    } else {
        format!("{n} attempts")
    }
}

fn detail_text(d: &Option<String>) -> String {
    match d {
        Some(d) if !d.is_empty() => format!(": {d}"),
        _ => String::new(),
    }
}

/// Lowercase hex of HMAC-SHA256(`key`, `data`).
pub fn hmac_sha256_hex(key: &[u8], data: &[u8]) -> String {
    // HMAC takes keys of any length (long ones are hashed), so this cannot fail.
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC accepts any key");
    mac.update(data);
    let tag = mac.finalize().into_bytes();
    let mut out = String::with_capacity(tag.len() * 2);
    for b in tag.iter() {
        out.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(b & 0xf)]));
    }
    out
}

/// The `X-Exfilwatch-Signature` value for a body sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: u64, body: &[u8]) -> String {
    let mut data = Vec::with_capacity(body.len() + 21);
    data.extend_from_slice(timestamp.to_string().as_bytes());
    data.push(b'.');
    data.extend_from_slice(body);
    format!("sha256={}", hmac_sha256_hex(secret.as_bytes(), &data))
}

/// The wait before retry `n` (0-based): `backoff * 2^n` up to the cap, or a longer
/// `Retry-After` (already capped), without jitter.
pub fn retry_delay(n: u32, backoff: Duration, retry_after: Option<Duration>) -> Duration {
    let cap = MAX_BACKOFF.max(backoff);
    let exp = backoff
        .checked_mul(1u32.checked_shl(n.min(31)).unwrap_or(u32::MAX))
        .unwrap_or(cap)
        .min(cap);
    match retry_after {
        Some(r) => exp.max(r),
        None => exp,
    }
}

/// `Retry-After` in delta-seconds, capped at [`MAX_RETRY_AFTER`]; HTTP dates and junk are
/// ignored (the backoff applies).
pub fn parse_retry_after(v: &str) -> Option<Duration> {
    let v = v.trim();
    if v.is_empty() || v.len() > 10 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs: u64 = v.parse().ok()?;
    Some(Duration::from_secs(secs).min(MAX_RETRY_AFTER))
}

/// Up to 10% more than `d`, at random, so that many senders do not retry in lockstep.
fn jittered(d: Duration) -> Duration {
    let r = RandomState::new().build_hasher().finish() % 1001;
    d + d.mul_f64(r as f64 / 10_000.0)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// One attempt's outcome.
enum Attempt {
    Ok(u16),
    Status {
        status: u16,
        retry_after: Option<Duration>,
        detail: Option<String>,
    },
    Transport(TransportCause),
}

fn classify(e: &ureq::Error) -> TransportCause {
    use ureq::Error as E;
    match e {
        E::Timeout(_) => TransportCause::Timeout,
        E::HostNotFound => TransportCause::Dns,
        E::Io(io) => match io.kind() {
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
                TransportCause::Timeout
            }
            kind => TransportCause::Io(kind),
        },
        E::ConnectionFailed => TransportCause::Connect,
        E::Tls(_) | E::Pem(_) | E::Rustls(_) | E::TlsRequired => TransportCause::Tls,
        E::Protocol(_) | E::LargeResponseHeader(..) | E::BodyStalled => TransportCause::Protocol,
        E::InvalidProxyUrl | E::ConnectProxyFailed(_) => TransportCause::Proxy,
        _ => TransportCause::Other,
    }
}

/// Whether a non-2xx status is worth another attempt.
fn retryable_status(status: u16) -> bool {
    status == 408 || status == 429 || (500..600).contains(&status)
}

/// The start of a response body for an error message: neutralised, cut, and withheld when
/// it echoes the URL (or its path or query) or the secret.
fn safe_detail(body: &str, ep: &Endpoint) -> Option<String> {
    let body = body.trim();
    if body.is_empty() {
        return None;
    }
    let mut needles: Vec<String> = vec![ep.url.clone()];
    if let Ok(uri) = ep.url.parse::<ureq::http::Uri>() {
        if uri.path().len() > 1 {
            needles.push(uri.path().to_owned());
        }
        needles.extend(uri.query().map(str::to_owned));
    }
    needles.extend(ep.secret.clone());
    if needles
        .iter()
        .any(|n| !n.is_empty() && body.contains(n.as_str()))
    {
        return Some("[response body withheld: it quotes the endpoint]".into());
    }
    Some(crate::alert::sanitize::cell(body, DETAIL_CHARS))
}

fn attempt(agent: &ureq::Agent, ep: &Endpoint, body: &[u8]) -> Attempt {
    let mut req = agent
        .post(ep.url.as_str())
        .header("Content-Type", "application/json");
    if let Some(secret) = ep.secret.as_deref() {
        let ts = unix_now();
        req = req
            .header(TIMESTAMP_HEADER, ts.to_string())
            .header(SIGNATURE_HEADER, signature(secret, ts, body));
    }
    let mut resp = match req.send(body) {
        Ok(r) => r,
        Err(e) => return Attempt::Transport(classify(&e)),
    };
    let status = resp.status().as_u16();
    let retry_after = if status == 429 || status == 503 {
        resp.headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after)
    } else {
        None
    };
    // Read (a bounded part of) the body: it frees the connection for reuse and may explain a
    // refusal. A body that fails to arrive in time does not turn a 2xx into a failure.
    let mut buf = Vec::new();
    let _ = resp
        .body_mut()
        .as_reader()
        .take(BODY_LIMIT)
        .read_to_end(&mut buf);
    if (200..300).contains(&status) {
        Attempt::Ok(status)
    } else {
        Attempt::Status {
            status,
            retry_after,
            detail: safe_detail(&String::from_utf8_lossy(&buf), ep),
        }
    }
}

/// POSTs `body` to `ep` (signed when it has a secret), retrying as the module docs say.
/// `Ok` on a 2xx answer.
pub fn post_json(ep: &Endpoint, body: &serde_json::Value) -> Result<Delivered, DeliveryError> {
    if let Err(problem) = check_url(&ep.url) {
        return Err(DeliveryError::InvalidEndpoint {
            label: ep.label.clone(),
            problem,
        });
    }
    // Serialising a `Value` cannot fail (its map keys are strings).
    let bytes = serde_json::to_vec(body).expect("a JSON value serialises");
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(ep.timeout))
        .http_status_as_error(false)
        .max_redirects(0)
        .user_agent(USER_AGENT)
        .build()
        .into();
    let total = ep.retries.saturating_add(1);
    let mut n = 0;
    loop {
        n += 1;
        let outcome = attempt(&agent, ep, &bytes);
        let (retry, after, err) = match outcome {
            Attempt::Ok(status) => {
                tracing::debug!(endpoint = %ep.label, status, attempts = n, "delivered");
                return Ok(Delivered {
                    status,
                    attempts: n,
                });
            }
            Attempt::Status {
                status,
                retry_after,
                detail,
            } => (
                retryable_status(status),
                retry_after,
                DeliveryError::Status {
                    label: ep.label.clone(),
                    status,
                    attempts: n,
                    detail,
                },
            ),
            Attempt::Transport(cause) => (
                cause.retryable(),
                None,
                DeliveryError::Transport {
                    label: ep.label.clone(),
                    cause,
                    attempts: n,
                },
            ),
        };
        if !retry || n >= total {
            // The caller reports the error; this records it for `-v` runs.
            tracing::debug!(endpoint = %ep.label, "delivery failed: {err}");
            return Err(err);
        }
        let wait = jittered(retry_delay(n - 1, ep.backoff, after));
        tracing::info!(
            endpoint = %ep.label,
            attempt = n,
            of = total,
            wait_ms = wait.as_millis() as u64,
            "delivery attempt failed, retrying: {err}"
        );
        std::thread::sleep(wait);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc4231_case_2() {
        // RFC 4231, test case 2: key "Jefe", data "what do ya want for nothing?".
        assert_eq!(
            hmac_sha256_hex(b"Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signature_covers_timestamp_dot_body() {
        let sig = signature("k", 1_736_906_400, br#"{"a":1}"#);
        assert_eq!(
            sig,
            format!("sha256={}", hmac_sha256_hex(b"k", br#"1736906400.{"a":1}"#))
        );
        assert_ne!(sig, signature("k", 1_736_906_401, br#"{"a":1}"#));
        assert_ne!(sig, signature("k", 1_736_906_400, br#"{"a":2}"#));
        assert_ne!(sig, signature("j", 1_736_906_400, br#"{"a":1}"#));
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        let b = Duration::from_millis(500);
        assert_eq!(retry_delay(0, b, None), Duration::from_millis(500));
        assert_eq!(retry_delay(1, b, None), Duration::from_millis(1000));
        assert_eq!(retry_delay(3, b, None), Duration::from_millis(4000));
        // 500 ms * 2^7 = 64 s > 60 s cap.
        assert_eq!(retry_delay(7, b, None), MAX_BACKOFF);
        assert_eq!(retry_delay(40, b, None), MAX_BACKOFF);
        assert_eq!(retry_delay(u32::MAX, b, None), MAX_BACKOFF);
        // A backoff above the cap is kept as configured.
        let big = Duration::from_secs(90);
        assert_eq!(retry_delay(2, big, None), big);
        // Retry-After wins only when longer.
        assert_eq!(
            retry_delay(0, b, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            retry_delay(3, b, Some(Duration::from_secs(1))),
            Duration::from_millis(4000)
        );
    }

    #[test]
    fn retry_after_is_seconds_only_and_capped() {
        assert_eq!(parse_retry_after("7"), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("3600"), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("99999999999999999999"), None);
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("1.5"), None);
        assert_eq!(parse_retry_after(""), None);
    }

    #[test]
    fn jitter_adds_at_most_ten_percent() {
        let d = Duration::from_millis(1000);
        for _ in 0..200 {
            let j = jittered(d);
            assert!(j >= d && j <= Duration::from_millis(1100), "{j:?}");
        }
    }

    #[test]
    fn statuses_retried_are_408_429_and_5xx() {
        for s in [408, 429, 500, 502, 503, 504, 599] {
            assert!(retryable_status(s), "{s}");
        }
        for s in [301, 302, 400, 401, 403, 404, 409, 410, 413, 422] {
            assert!(!retryable_status(s), "{s}");
        }
    }

    #[test]
    fn urls_are_checked_without_quoting_them() {
        assert!(check_url("https://hooks.slack.com/services/T/B/x").is_ok());
        assert!(check_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(check_url("HTTPS://example.com").is_ok());
        assert_eq!(
            check_url("ftp://example.com/x"),
            Err("must start with http:// or https://")
        );
        assert!(check_url("example.com/hook").is_err());
        assert!(check_url("https://").is_err());
        assert!(check_url("https://exa mple.com/").is_err());
        assert!(check_url("").is_err());
    }

    #[test]
    fn debug_redacts_url_and_secret() {
        let ep = Endpoint::new("slack (X)", "https://hooks.example/services/TOKEN123")
            .unwrap()
            .with_secret("hunter2");
        let d = format!("{ep:?}");
        assert!(
            !d.contains("TOKEN123") && !d.contains("hooks.example"),
            "{d}"
        );
        assert!(!d.contains("hunter2"), "{d}");
        assert!(d.contains("slack (X)") && d.contains("[redacted]"), "{d}");
    }

    #[test]
    fn from_lookup_names_the_variable_never_the_value() {
        let vars = |pairs: &'static [(&'static str, &'static str)]| {
            move |k: &str| {
                pairs
                    .iter()
                    .find(|(n, _)| *n == k)
                    .map(|(_, v)| std::ffi::OsString::from(*v))
            }
        };
        let t = Duration::from_secs(7);
        let e = Endpoint::from_lookup("EW_URL", None, t, 2, vars(&[])).unwrap_err();
        assert_eq!(e.to_string(), "environment variable EW_URL is not set");

        let e = Endpoint::from_lookup("EW_URL", None, t, 2, vars(&[("EW_URL", "  ")])).unwrap_err();
        assert_eq!(e.to_string(), "environment variable EW_URL is empty");

        let e = Endpoint::from_lookup(
            "EW_URL",
            None,
            t,
            2,
            vars(&[("EW_URL", "ftp://files.example/SECRETPATH")]),
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "environment variable EW_URL must start with http:// or https://"
        );

        let e = Endpoint::from_lookup(
            "EW_URL",
            None,
            t,
            2,
            vars(&[("EW_URL", "https://exa mple/SECRETPATH")]),
        )
        .unwrap_err();
        let m = e.to_string();
        assert!(
            m.starts_with("environment variable EW_URL is not a valid"),
            "{m}"
        );
        assert!(!m.contains("SECRETPATH") && !m.contains("mple"), "{m}");

        let e = Endpoint::from_lookup(
            "EW_URL",
            Some("EW_SECRET"),
            t,
            2,
            vars(&[("EW_URL", "https://x.example/h"), ("EW_SECRET", "")]),
        )
        .unwrap_err();
        assert!(e
            .to_string()
            .starts_with("environment variable EW_SECRET is set but empty"));

        let ep = Endpoint::from_lookup(
            "EW_URL",
            Some("EW_SECRET"),
            t,
            2,
            vars(&[("EW_URL", " https://x.example/h "), ("EW_SECRET", "s3")]),
        )
        .unwrap();
        assert_eq!(ep.label, "EW_URL");
        assert_eq!(ep.url, "https://x.example/h");
        assert_eq!(ep.secret.as_deref(), Some("s3"));
        assert_eq!((ep.timeout, ep.retries), (t, 2));
        assert_eq!(ep.backoff, DEFAULT_BACKOFF);

        // Secret variable named but unset: unsigned.
        let ep = Endpoint::from_lookup(
            "EW_URL",
            Some("EW_SECRET"),
            t,
            2,
            vars(&[("EW_URL", "https://x.example/h")]),
        )
        .unwrap();
        assert_eq!(ep.secret, None);
    }

    #[test]
    fn response_bodies_echoing_the_endpoint_are_withheld() {
        let ep = Endpoint::new("w", "https://h.example/services/T1/B2/TOKEN?key=QK")
            .unwrap()
            .with_secret("SEKRIT");
        let withheld = Some("[response body withheld: it quotes the endpoint]".to_owned());
        assert_eq!(
            safe_detail("no route for /services/T1/B2/TOKEN", &ep),
            withheld
        );
        assert_eq!(safe_detail("bad key=QK", &ep), withheld);
        assert_eq!(safe_detail("signed with SEKRIT?", &ep), withheld);
        assert_eq!(safe_detail("  ", &ep), None);
        assert_eq!(
            safe_detail("invalid_payload", &ep).as_deref(),
            Some("invalid_payload")
        );
        assert_eq!(
            safe_detail("bad\x1b[2Jthing", &ep).as_deref(),
            Some("bad\\u{1b}[2Jthing")
        );
        let long = "x".repeat(1000);
        assert_eq!(
            safe_detail(&long, &ep).unwrap().chars().count(),
            DETAIL_CHARS
        );
    }
}
