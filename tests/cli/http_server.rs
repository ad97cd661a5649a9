//! A scripted HTTP/1.1 server on the loopback interface, for tests of code that POSTs.
//!
//! Plain `std`, no dependencies. It binds `127.0.0.1:0` (a free port), accepts connections on a
//! thread, serves each connection on its own thread (keep-alive supported), records every
//! request (method, path, headers, body) and answers with the next [`Reply`] of a script, then
//! with a default reply once the script is used up:
//!
//! ```ignore
//! let server = TestServer::start(vec![Reply::status(503), Reply::status(503)], Reply::status(200));
//! // ... POST to server.url("/hook") three times ...
//! assert_eq!(server.requests().len(), 3);
//! ```
//!
//! [`Reply::hang`] accepts a request and never answers (timeouts); [`Reply::delay`] answers
//! late. Parsing is minimal: request line, headers (names kept as sent, looked up
//! case-insensitively), body by `Content-Length` or `Transfer-Encoding: chunked`;
//! `Expect: 100-continue` is answered. Requests are recorded once their body is read, before
//! the reply. Dropping the server (or [`TestServer::stop`]) stops it and closes hanging
//! connections; a test never waits more than the poll interval for that.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How often blocked threads look at the stop flag.
const POLL: Duration = Duration::from_millis(10);
/// Largest request head accepted.
const MAX_HEAD: usize = 64 * 1024;

/// One recorded request.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    /// Path and query, as sent.
    pub path: String,
    /// Headers in order, names as sent.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// When the request was complete (for timing assertions).
    pub at: Instant,
}

impl Request {
    /// First header of that name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as UTF-8 (lossy).
    pub fn body_text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// One scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering.
    pub delay: Duration,
    /// Never answer; hold the connection until the server stops.
    pub hang: bool,
}

impl Reply {
    /// `status` with an empty body.
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            delay: Duration::ZERO,
            hang: false,
        }
    }

    /// Reads the request, never answers.
    pub fn hang() -> Reply {
        Reply {
            hang: true,
            ..Reply::status(200)
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Reply {
        self.body = body.into();
        self
    }

    pub fn delay(mut self, d: Duration) -> Reply {
        self.delay = d;
        self
    }
}

struct Shared {
    script: Mutex<(Vec<Reply>, usize)>,
    default: Reply,
    requests: Mutex<Vec<Request>>,
    stop: AtomicBool,
}

impl Shared {
    fn next_reply(&self) -> Reply {
        let mut s = self.script.lock().unwrap();
        let (script, next) = &mut *s;
        match script.get(*next) {
            Some(r) => {
                *next += 1;
                r.clone()
            }
            None => self.default.clone(),
        }
    }
}

/// The running server. Stops when dropped.
pub struct TestServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: Option<JoinHandle<()>>,
}

impl TestServer {
    /// Serves `script` in order, then `default` for every further request.
    pub fn start(script: Vec<Reply>, default: Reply) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("nonblocking listener");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared {
            script: Mutex::new((script, 0)),
            default,
            requests: Mutex::new(Vec::new()),
            stop: AtomicBool::new(false),
        });
        let s = Arc::clone(&shared);
        let accept = std::thread::spawn(move || {
            let mut conns: Vec<JoinHandle<()>> = Vec::new();
            while !s.stop.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let s = Arc::clone(&s);
                        conns.push(std::thread::spawn(move || serve(stream, &s)));
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(POLL)
                    }
                    Err(_) => std::thread::sleep(POLL),
                }
            }
            for c in conns {
                let _ = c.join();
            }
        });
        TestServer {
            addr,
            shared,
            accept: Some(accept),
        }
    }

    /// Answers each status of `statuses` in turn (empty bodies), then 200.
    pub fn with_statuses(statuses: &[u16]) -> TestServer {
        TestServer::start(
            statuses.iter().map(|&s| Reply::status(s)).collect(),
            Reply::status(200),
        )
    }

    /// `http://127.0.0.1:<port>` + `path` (which should start with `/`).
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The requests recorded so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// Waits until at least `n` requests are recorded or `timeout` passes; returns them.
    pub fn wait_for(&self, n: usize, timeout: Duration) -> Vec<Request> {
        let end = Instant::now() + timeout;
        loop {
            let r = self.requests();
            if r.len() >= n || Instant::now() >= end {
                return r;
            }
            std::thread::sleep(POLL);
        }
    }

    /// Stops accepting, closes every connection and waits for the threads.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.accept.take() {
            let _ = h.join();
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Reads one line (up to `\n`), polling the stop flag through read timeouts.
fn read_line(r: &mut BufReader<TcpStream>, s: &Shared, limit: &mut usize) -> Option<String> {
    let mut buf = Vec::new();
    loop {
        if s.stop.load(Ordering::SeqCst) {
            return None;
        }
        match r.read_until(b'\n', &mut buf) {
            Ok(0) => return None, // EOF
            Ok(_) if buf.ends_with(b"\n") => break,
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return None,
        }
        if buf.len() > *limit {
            return None;
        }
    }
    *limit = limit.saturating_sub(buf.len());
    let line = String::from_utf8_lossy(&buf);
    Some(line.trim_end_matches(['\r', '\n']).to_owned())
}

/// Reads exactly `n` bytes, polling the stop flag.
fn read_exact(r: &mut BufReader<TcpStream>, s: &Shared, n: usize) -> Option<Vec<u8>> {
    let mut out = vec![0u8; n];
    let mut got = 0;
    while got < n {
        if s.stop.load(Ordering::SeqCst) {
            return None;
        }
        match r.read(&mut out[got..]) {
            Ok(0) => return None,
            Ok(k) => got += k,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return None,
        }
    }
    Some(out)
}

/// Reads one request from the connection; `None` at EOF, on a malformed request or on stop.
fn read_request(r: &mut BufReader<TcpStream>, s: &Shared) -> Option<Request> {
    let mut limit = MAX_HEAD;
    let mut line = read_line(r, s, &mut limit)?;
    while line.is_empty() {
        // Tolerate stray CRLF between requests.
        line = read_line(r, s, &mut limit)?;
    }
    let mut parts = line.split(' ');
    let method = parts.next()?.to_owned();
    let path = parts.next()?.to_owned();
    let mut headers = Vec::new();
    loop {
        let h = read_line(r, s, &mut limit)?;
        if h.is_empty() {
            break;
        }
        let (k, v) = h.split_once(':')?;
        headers.push((k.trim().to_owned(), v.trim().to_owned()));
    }
    let get = |name: &str| {
        headers
            .iter()
            .find(|(k, _): &&(String, String)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.clone())
    };
    if get("expect").is_some_and(|v| v.eq_ignore_ascii_case("100-continue")) {
        let _ = r.get_mut().write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let body =
        if get("transfer-encoding").is_some_and(|v| v.to_ascii_lowercase().contains("chunked")) {
            let mut body = Vec::new();
            loop {
                let size_line = read_line(r, s, &mut limit)?;
                let size = usize::from_str_radix(size_line.split(';').next()?.trim(), 16).ok()?;
                if size == 0 {
                    // Trailers, up to the empty line.
                    while !read_line(r, s, &mut limit)?.is_empty() {}
                    break;
                }
                body.extend(read_exact(r, s, size)?);
                read_line(r, s, &mut limit)?; // the CRLF after the chunk
            }
            body
        } else {
            let n: usize = match get("content-length") {
                Some(v) => v.parse().ok()?,
                None => 0,
            };
            read_exact(r, s, n)?
        };
    Some(Request {
        method,
        path,
        headers,
        body,
        at: Instant::now(),
    })
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        204 => "No Content",
        301 => "Moved Permanently",
        302 => "Found",
        307 => "Temporary Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Status",
    }
}

/// Serves one connection until EOF, `Connection: close`, a hang, or stop.
fn serve(stream: TcpStream, s: &Shared) {
    let _ = stream.set_read_timeout(Some(POLL));
    let _ = stream.set_nodelay(true);
    let mut r = BufReader::new(stream);
    while let Some(req) = read_request(&mut r, s) {
        let close = req
            .header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"));
        s.requests.lock().unwrap().push(req);
        let reply = s.next_reply();
        if reply.hang {
            while !s.stop.load(Ordering::SeqCst) {
                std::thread::sleep(POLL);
            }
            return;
        }
        let end = Instant::now() + reply.delay;
        while Instant::now() < end {
            if s.stop.load(Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(POLL.min(end.saturating_duration_since(Instant::now())));
        }
        let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
        for (k, v) in &reply.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str(&format!("Content-Length: {}\r\n", reply.body.len()));
        if close {
            head.push_str("Connection: close\r\n");
        }
        head.push_str("\r\n");
        let w = r.get_mut();
        if w.write_all(head.as_bytes()).is_err()
            || w.write_all(&reply.body).is_err()
            || w.flush().is_err()
        {
            return;
        }
        if close {
            return;
        }
    }
}

/// What a receiver computes to verify a signed delivery: `sha256=` + hex of
/// HMAC-SHA256(secret, "<timestamp>.<raw body>"), with an independent HMAC implementation (the
/// `hmac` crate), not the code under test.
pub fn receiver_signature(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    use hmac::{Hmac, KeyInit, Mac};
    let mut mac = <Hmac<sha2::Sha256> as KeyInit>::new_from_slice(secret).unwrap();
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256={hex}")
}
