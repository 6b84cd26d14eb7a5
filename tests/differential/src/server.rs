//! Server processes on free loopback ports, killed when dropped.

use std::io::{BufRead, BufReader};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A server process listening on `127.0.0.1:port`.
pub struct ServerProcess {
    child: Child,
    pub port: u16,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ServerProcess {
    /// The process id (to look at its memory in tests).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

/// How long a server may take to accept its first connection.
const STARTUP_DEADLINE: Duration = Duration::from_secs(10);

impl ServerProcess {
    /// A fresh `redis-server`: no persistence, loopback only.
    pub fn redis() -> Result<ServerProcess, String> {
        Self::start("redis-server", |port| {
            let port = port.to_string();
            ["--port", &port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
                .map(String::from)
                .to_vec()
        })
        .map_err(|e| {
            if e.contains("not found") {
                format!("{e}: the differential suite needs a real Redis 7.0; install the apt package `redis-server` (apt-get install redis-server)")
            } else {
                e
            }
        })
    }

    /// A `lockstep serve` process from the binary at `program`, on the port
    /// it picks itself and announces on its first line of output.
    pub fn lockstep(program: &Path) -> Result<ServerProcess, String> {
        let shown = program.display();
        let mut child = Command::new(program)
            .args(["serve", "--port", "0", "--bind", "127.0.0.1"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| format!("cannot start `{shown}`: {e}"))?;
        let mut line = String::new();
        if let Some(stdout) = child.stdout.take() {
            let _ = BufReader::new(stdout).read_line(&mut line);
        }
        let port = line.trim().rsplit(':').next().and_then(|p| p.parse().ok());
        let mut server = ServerProcess {
            child,
            port: port.unwrap_or(0),
        };
        if port.is_none() {
            return Err(format!(
                "`{shown} serve` did not announce its port (said {line:?})"
            ));
        }
        server.wait_until_listening()?;
        Ok(server)
    }

    /// Starts `program` with the arguments for a port, retrying on another
    /// port if the one picked was taken in the meantime.
    fn start(program: &str, args: impl Fn(u16) -> Vec<String>) -> Result<ServerProcess, String> {
        let mut last_error = String::new();
        for _ in 0..5 {
            let port = free_port()?;
            let child = Command::new(program)
                .args(args(port))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::NotFound => format!("`{program}` not found"),
                    _ => format!("cannot start `{program}`: {e}"),
                })?;
            let mut server = ServerProcess { child, port };
            match server.wait_until_listening() {
                Ok(()) => return Ok(server),
                Err(e) => last_error = e,
            }
        }
        Err(format!("`{program}` did not start: {last_error}"))
    }

    fn wait_until_listening(&mut self) -> Result<(), String> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("exited with {status} (port {} taken?)", self.port));
            }
            if TcpStream::connect(("127.0.0.1", self.port)).is_ok() {
                return Ok(());
            }
            if started.elapsed() > STARTUP_DEADLINE {
                return Err(format!(
                    "not listening on port {} after {STARTUP_DEADLINE:?}",
                    self.port
                ));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    }
}

/// A port nothing listens on right now (the OS's pick for port 0).
pub fn free_port() -> Result<u16, String> {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| format!("no free loopback port: {e}"))
}
