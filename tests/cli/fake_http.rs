//! A fake HTTP server on 127.0.0.1 for provider and webhook tests. It speaks just enough
//! HTTP/1.1 to answer one request per connection, and can also answer with garbage or not at
//! all, which a real server library would not let a test do.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the server answers a request.
#[derive(Debug, Clone)]
pub enum Reply {
    /// A normal response.
    Http {
        /// Status code.
        status: u16,
        /// Body.
        body: String,
        /// Extra headers.
        headers: Vec<(String, String)>,
    },
    /// Bytes that are not HTTP.
    Garbage,
    /// Say nothing for this long, then close.
    Hang(Duration),
}

impl Reply {
    /// A response with a status and body.
    pub fn status(status: u16, body: &str) -> Reply {
        Reply::Http {
            status,
            body: body.into(),
            headers: Vec::new(),
        }
    }
}

type Handler = dyn Fn(&str) -> Reply + Send + Sync;

/// A running fake server; it lives until the test process ends.
pub struct FakeServer {
    /// Its address.
    pub addr: SocketAddr,
    requests: Arc<Mutex<Vec<String>>>,
}

impl FakeServer {
    /// Starts a server that answers each request (given as raw text) with `handler`.
    pub fn start(handler: impl Fn(&str) -> Reply + Send + Sync + 'static) -> FakeServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let handler: Arc<Handler> = Arc::new(handler);
        let log = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (handler, log) = (handler.clone(), log.clone());
                std::thread::spawn(move || serve(stream, &*handler, &log));
            }
        });
        FakeServer { addr, requests }
    }

    /// Every request received so far, as raw text.
    pub fn requests(&self) -> Vec<String> {
        self.requests.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// `host=addr` for `KEYTRAIL_TEST_HOST_OVERRIDE`.
    pub fn override_for(&self, host: &str) -> String {
        format!("{host}={}", self.addr)
    }
}

fn serve(stream: TcpStream, handler: &Handler, log: &Mutex<Vec<String>>) {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        head.push_str(&line);
        if line == "\r\n" {
            break;
        }
    }
    let mut body = vec![0u8; length];
    let _ = reader.read_exact(&mut body);
    let request = format!("{head}{}", String::from_utf8_lossy(&body));
    if let Ok(mut l) = log.lock() {
        l.push(request.clone());
    }
    let mut stream = reader.into_inner();
    let _ = match handler(&request) {
        Reply::Http {
            status,
            body,
            headers,
        } => {
            let extra: String = headers
                .iter()
                .map(|(k, v)| format!("{k}: {v}\r\n"))
                .collect();
            write!(
                stream,
                "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n{extra}\r\n{body}",
                body.len()
            )
        }
        Reply::Garbage => stream.write_all(b"\x00\x01garbage that is not HTTP\r\n\r\n"),
        Reply::Hang(d) => {
            std::thread::sleep(d);
            Ok(())
        }
    };
}
