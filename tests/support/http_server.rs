//! A small HTTP/1.1 server on 127.0.0.1 for tests: one thread per connection, one request per
//! connection (`Connection: close`), replies chosen by a handler. It logs every request (path,
//! headers, arrival time), counts requests in flight, and can misbehave on purpose: never
//! answer, answer slowly, or stream an endless body.
#![allow(dead_code)]
// Test-support code: failing loudly is how a test reports.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A request as the server saw it.
#[derive(Debug, Clone)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub at: Instant,
}

impl Request {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}

/// What to answer.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A complete response.
    Full { status: u16, headers: Vec<(String, String)>, body: Vec<u8> },
    /// Read the request, then say nothing (for a long time).
    Hang,
    /// 200 with no length, then `bytes` bytes of a JSON string, then close.
    Stream { bytes: u64 },
    /// 200 with no length, then one byte every 100 ms for a minute.
    Trickle,
    /// Wait, then answer.
    Delayed(Duration, Box<Reply>),
}

impl Reply {
    pub fn json(body: impl Into<Vec<u8>>) -> Reply {
        Reply::Full {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.into(),
        }
    }

    pub fn status(status: u16) -> Reply {
        Reply::Full { status, headers: Vec::new(), body: Vec::new() }
    }

    pub fn with_header(self, name: &str, value: &str) -> Reply {
        match self {
            Reply::Full { status, mut headers, body } => {
                headers.push((name.to_owned(), value.to_owned()));
                Reply::Full { status, headers, body }
            }
            other => other,
        }
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;

/// A running server; it lives until the test process ends.
pub struct Server {
    pub url: String,
    log: Arc<Mutex<Vec<Request>>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
}

impl Server {
    pub fn start(handler: impl Fn(&Request) -> Reply + Send + Sync + 'static) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let handler: Arc<Handler> = Arc::new(handler);
        let (l, f, m) = (Arc::clone(&log), Arc::clone(&in_flight), Arc::clone(&max_in_flight));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let (handler, log, in_flight, max_in_flight) =
                    (Arc::clone(&handler), Arc::clone(&l), Arc::clone(&f), Arc::clone(&m));
                std::thread::spawn(move || serve(stream, &*handler, &log, &in_flight, &max_in_flight));
            }
        });
        Server { url, log, in_flight, max_in_flight }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.log.lock().unwrap().clone()
    }

    /// Requests whose path starts with `prefix`.
    pub fn requests_to(&self, prefix: &str) -> Vec<Request> {
        self.requests().into_iter().filter(|r| r.path.starts_with(prefix)).collect()
    }

    /// The most requests ever being answered at once.
    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }
}

/// A URL nothing listens on (connections are refused).
pub fn refusing_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    url
}

fn serve(
    stream: TcpStream,
    handler: &Handler,
    log: &Mutex<Vec<Request>>,
    in_flight: &AtomicUsize,
    max_in_flight: &AtomicUsize,
) {
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return;
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let path = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
            break;
        }
        if let Some((k, v)) = h.split_once(':') {
            headers.push((k.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let request = Request { method, path, headers, at: Instant::now() };
    log.lock().unwrap().push(request.clone());
    let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    max_in_flight.fetch_max(now, Ordering::SeqCst);
    let reply = handler(&request);
    write_reply(stream, reply);
    in_flight.fetch_sub(1, Ordering::SeqCst);
}

fn write_reply(mut stream: TcpStream, reply: Reply) {
    match reply {
        Reply::Full { status, headers, body } => {
            let mut head = format!("HTTP/1.1 {status} {}\r\nConnection: close\r\n", reason(status));
            let mut has_length = false;
            for (k, v) in &headers {
                has_length |= k.eq_ignore_ascii_case("content-length");
                let _ = write!(head, "{k}: {v}\r\n");
            }
            if !has_length {
                let _ = write!(head, "Content-Length: {}\r\n", body.len());
            }
            head.push_str("\r\n");
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
        Reply::Hang => std::thread::sleep(Duration::from_secs(60)),
        Reply::Stream { bytes } => {
            let _ = stream
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{\"x\":\"");
            let chunk = vec![b'a'; 64 << 10];
            let mut sent = 0u64;
            while sent < bytes {
                if stream.write_all(&chunk).is_err() {
                    return;
                }
                sent += chunk.len() as u64;
            }
        }
        Reply::Trickle => {
            let _ = stream.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n");
            for _ in 0..600 {
                if stream.write_all(b" ").and_then(|()| stream.flush()).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
        Reply::Delayed(delay, reply) => {
            std::thread::sleep(delay);
            write_reply(stream, *reply);
        }
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        302 => "Found",
        304 => "Not Modified",
        404 => "Not Found",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
