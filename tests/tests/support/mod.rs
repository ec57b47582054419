//! Shared helpers of the end-to-end tests: a real server on `127.0.0.1:0`, and a raw TCP
//! client that reports exactly what came back and whether the server closed.

#![allow(dead_code, unreachable_pub)]

pub mod etcd;
pub mod h2frames;

use std::net::SocketAddr;
use std::time::Duration;

use routemark::{Router, Server, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A server running in the background of a test.
pub struct TestServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), routemark::Error>>,
}

impl TestServer {
    /// `http://127.0.0.1:PORT{path}`
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends the shutdown signal and waits for `serve` to return.
    pub async fn shutdown(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        (&mut self.task)
            .await
            .expect("server task panicked")
            .expect("server returned an error");
    }

    /// Sends the shutdown signal without waiting.
    pub fn signal_shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    pub async fn join(self) {
        self.task
            .await
            .expect("server task panicked")
            .expect("server error");
    }
}

/// Serves `router` on `127.0.0.1:0` with default settings.
pub async fn spawn(router: Router) -> TestServer {
    spawn_with(router, |s| s).await
}

/// Serves `router` with settings changed by `configure`.
pub async fn spawn_with(
    router: Router,
    configure: impl FnOnce(ServerConfig) -> ServerConfig,
) -> TestServer {
    let server = Server::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0")
        .config(configure(ServerConfig::default()));
    let addr = server.local_addr();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(server.serve_with_shutdown(router, async move {
        let _ = rx.await;
    }));
    TestServer {
        addr,
        shutdown: Some(tx),
        task,
    }
}

/// What a raw exchange produced.
#[derive(Debug)]
pub struct RawExchange {
    /// Every byte the server sent, lossily as text.
    pub text: String,
    /// Whether the server closed the connection.
    pub closed: bool,
}

impl RawExchange {
    /// The status codes of every response in `text`, in order.
    pub fn statuses(&self) -> Vec<u16> {
        self.text
            .match_indices("HTTP/1.1 ")
            .filter_map(|(i, _)| self.text.get(i + 9..i + 12)?.parse().ok())
            .collect()
    }

    /// The body of the (last) response.
    pub fn body(&self) -> &str {
        self.text.rsplit("\r\n\r\n").next().unwrap_or_default()
    }

    /// Whether a header line `name: value` appears (case-insensitive name).
    pub fn has_header(&self, name: &str, value: &str) -> bool {
        self.text.lines().any(|l| {
            l.split_once(':')
                .is_some_and(|(n, v)| n.eq_ignore_ascii_case(name) && v.trim() == value)
        })
    }
}

/// Writes `request` in one write, then reads until the server closes or stays silent for
/// `idle`.
pub async fn raw(addr: SocketAddr, request: &[u8]) -> RawExchange {
    raw_chunks(addr, &[request], Duration::from_millis(400)).await
}

/// Writes each chunk in its own write (with a flush and a pause between), then reads as
/// [`raw`] does.
pub async fn raw_chunks(addr: SocketAddr, chunks: &[&[u8]], idle: Duration) -> RawExchange {
    let mut stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).unwrap();
    for chunk in chunks {
        if stream.write_all(chunk).await.is_err() {
            break;
        }
        stream.flush().await.unwrap();
        if chunks.len() > 1 {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }
    read_all(&mut stream, idle).await
}

/// Reads until EOF (closed) or `idle` passes without bytes (open).
pub async fn read_all(stream: &mut TcpStream, idle: Duration) -> RawExchange {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let closed = loop {
        match tokio::time::timeout(idle, stream.read(&mut chunk)).await {
            Ok(Ok(0)) => break true,
            Ok(Ok(n)) => buf.extend_from_slice(&chunk[..n]),
            Ok(Err(_)) => break true,
            Err(_) => break false,
        }
    };
    RawExchange {
        text: String::from_utf8_lossy(&buf).into_owned(),
        closed,
    }
}

/// A `GET` request for `path` with a Host header, as raw bytes.
pub fn get(path: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").into_bytes()
}

/// Starts a probe server binary of this crate (`env!("CARGO_BIN_EXE_...")`), which prints its
/// address on its first line of output; returns the process and that address.
pub fn start_probe(binary: &str) -> (std::process::Child, SocketAddr) {
    start_probe_with(binary, &[])
}

/// [`start_probe`] with environment variables set for the process.
pub fn start_probe_with(binary: &str, env: &[(&str, &str)]) -> (std::process::Child, SocketAddr) {
    use std::io::BufRead;
    let mut child = std::process::Command::new(binary)
        .envs(env.iter().copied())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the probe server");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("piped stdout"))
        .read_line(&mut line)
        .expect("read the probe's address");
    let addr = line.trim().parse().expect("the probe prints its address");
    (child, addr)
}
