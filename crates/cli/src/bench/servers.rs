//! The servers a bench talks to — a real `redis-server` and `lockstep
//! serve` — each on a loopback port of its own, stopped when dropped, and
//! `redis-benchmark` run against them with the same command lines.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process on 127.0.0.1:`port`, killed when dropped.
pub struct Server {
    pub port: u16,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A loopback port nobody listens on, between 21000 and 29999.
pub fn free_port() -> Result<u16, String> {
    let start = 21_000 + (std::process::id() % 4_000) as u16 * 2;
    (start..30_000)
        .chain(21_000..start)
        .find(|&port| TcpListener::bind(("127.0.0.1", port)).is_ok())
        .ok_or_else(|| "no free port between 21000 and 29999".to_string())
}

/// Starts a real `redis-server` with nothing saved to disk.
pub fn redis_server() -> Result<Server, String> {
    let port = free_port()?;
    let child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
        .args(["--save", "", "--appendonly", "no", "--daemonize", "no"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start redis-server (apt: redis-server): {e}"))?;
    wait_ready(Server { port, child })
}

/// Starts `lockstep serve` from the binary at `exe`, with `env` set.
pub fn lockstep_serve(exe: &Path, env: &[(&str, &str)]) -> Result<Server, String> {
    let port = free_port()?;
    let child = Command::new(exe)
        .args(["serve", "--port", &port.to_string()])
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", exe.display()))?;
    wait_ready(Server { port, child })
}

/// Waits until the server answers PING (at most 10 s).
fn wait_ready(server: Server) -> Result<Server, String> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(10) {
        if let Ok(reply) = call(server.port, &[b"PING"]) {
            if reply == b"+PONG\r\n" {
                return Ok(server);
            }
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Err(format!(
        "the server on port {} never answered PING",
        server.port
    ))
}

/// Sends one command on a new connection and returns its reply's first line
/// (and the rest of a bulk string's bytes if it is one short line).
pub fn call(port: u16, args: &[&[u8]]) -> std::io::Result<Vec<u8>> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(120)))?;
    let mut request = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        request.extend_from_slice(arg);
        request.extend_from_slice(b"\r\n");
    }
    stream.write_all(&request)?;
    let mut reader = BufReader::new(stream);
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    if line.first() == Some(&b'$') {
        let len: i64 = String::from_utf8_lossy(&line[1..])
            .trim()
            .parse()
            .unwrap_or(-1);
        if len >= 0 {
            let mut body = vec![0u8; len as usize + 2];
            reader.read_exact(&mut body)?;
            line.extend_from_slice(&body);
        }
    }
    Ok(line)
}

/// How `redis-benchmark` is run: clients, pipeline depth, requests, and the
/// command line (with `__rand_int__` for keys drawn from `-r`).
pub struct BenchmarkLine<'a> {
    pub clients: u32,
    pub pipeline: u32,
    pub requests: u64,
    pub keyspace: u64,
    pub command: &'a [&'a str],
}

impl BenchmarkLine<'_> {
    /// The arguments after `-p PORT`, as they would be typed.
    pub fn args(&self) -> Vec<String> {
        let mut args = vec![
            "-c".to_string(),
            self.clients.to_string(),
            "-P".into(),
            self.pipeline.to_string(),
            "-n".into(),
            self.requests.to_string(),
            "-r".into(),
            self.keyspace.to_string(),
            "--csv".into(),
        ];
        args.extend(self.command.iter().map(|s| s.to_string()));
        args
    }

    /// Requests per second `redis-benchmark` measured against `port`.
    pub fn run(&self, port: u16) -> Result<f64, String> {
        let output = Command::new("redis-benchmark")
            .args(["-h", "127.0.0.1", "-p", &port.to_string()])
            .args(self.args())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run redis-benchmark (apt: redis-tools): {e}"))?;
        let text = String::from_utf8_lossy(&output.stdout);
        parse_csv_rps(&text).ok_or_else(|| {
            format!(
                "redis-benchmark {} gave no figure: {}{}",
                self.args().join(" "),
                text.trim(),
                String::from_utf8_lossy(&output.stderr).trim()
            )
        })
    }
}

/// The requests per second in `redis-benchmark --csv` output: the second
/// column of the first line after the header.
pub fn parse_csv_rps(text: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with("\"test\""))
        .find_map(|line| line.split("\",\"").nth(1)?.trim_matches('"').parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_output_gives_the_rps_column() {
        let text = "\"test\",\"rps\",\"avg_latency_ms\"\n\"SET k v\",\"81234.56\",\"0.5\"\n";
        assert_eq!(parse_csv_rps(text), Some(81234.56));
        assert_eq!(parse_csv_rps("\"test\",\"rps\"\n"), None);
        assert_eq!(parse_csv_rps("ERROR: connection refused"), None);
    }
}
