//! Server processes on free loopback ports, killed when dropped.
//!
//! Readiness is read from each server's own output ("Ready to accept
//! connections", "Lockstep serving RESP on ...") rather than by probing the
//! port: a probe would be a client of its own, and would shift the client
//! ids (`CLIENT ID`, `HELLO`) the command files see.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// A server process listening on `127.0.0.1:port`.
pub struct ServerProcess {
    child: Child,
    pub port: u16,
    /// The working directory made for this server alone, removed with it.
    own_dir: Option<PathBuf>,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if let Some(dir) = &self.own_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// How long a server may take to say it is ready.
const STARTUP_DEADLINE: Duration = Duration::from_secs(10);

impl ServerProcess {
    /// A fresh `redis-server`: no persistence, loopback only.
    pub fn redis() -> Result<ServerProcess, String> {
        let mut last_error = String::new();
        // The port is picked before redis binds it; if something else takes
        // it in between, redis exits and another port is tried.
        for _ in 0..5 {
            let port = free_port()?;
            let mut command = Command::new("redis-server");
            command.args(["--port", &port.to_string(), "--bind", "127.0.0.1"]);
            command.args(["--save", "", "--appendonly", "no", "--loglevel", "notice"]);
            // Command files may turn persistence on (CONFIG SET appendonly
            // yes); its files go to a directory of this server's own under
            // the system's temporary directory, not into the source tree.
            // Not to the temporary directory itself: Redis loads dump.rdb
            // from its working directory when it starts, so a file one run
            // leaves there (this checkout's or another's) would fill the
            // next run's "fresh" server.
            let dir = std::env::temp_dir().join(format!(
                "lockstep-differential-redis-{}-{port}",
                std::process::id()
            ));
            std::fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot make {}: {e}", dir.display()))?;
            command.current_dir(&dir);
            let ready =
                move |line: &str| line.contains("Ready to accept connections").then_some(port);
            match Self::spawn(command, "redis-server", ready) {
                Ok(mut server) => {
                    server.own_dir = Some(dir);
                    return Ok(server);
                }
                Err(e) if e.contains("not found") => {
                    let _ = std::fs::remove_dir_all(&dir);
                    return Err(format!(
                        "{e}: the differential suite needs a real Redis 7.0; \
                         install the apt package `redis-server` (apt-get install redis-server)"
                    ));
                }
                Err(e) => {
                    let _ = std::fs::remove_dir_all(&dir);
                    last_error = e;
                }
            }
        }
        Err(last_error)
    }

    /// A `lockstep serve` process from the binary at `program`, on the port
    /// it picks itself and announces.
    pub fn lockstep(program: &Path) -> Result<ServerProcess, String> {
        let mut command = Command::new(program);
        command.args(["serve", "--port", "0", "--bind", "127.0.0.1"]);
        let announced = |line: &str| {
            line.strip_prefix("Lockstep serving RESP on ")
                .and_then(|addr| addr.trim().rsplit(':').next()?.parse().ok())
        };
        Self::spawn(command, &program.display().to_string(), announced)
    }

    /// The process id (to look at its memory in tests).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Starts `command` and waits until a line of its output gives the
    /// port it is ready on. Its output is drained until it exits, so that a
    /// chatty server never blocks on a full pipe.
    fn spawn(
        mut command: Command,
        shown: &str,
        ready: impl Fn(&str) -> Option<u16> + Send + 'static,
    ) -> Result<ServerProcess, String> {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound => format!("`{shown}` not found"),
                _ => format!("cannot start `{shown}`: {e}"),
            })?;
        let Some(stdout) = child.stdout.take() else {
            return Err(format!("no output from `{shown}`"));
        };
        let (tell, told) = mpsc::channel();
        std::thread::spawn(move || {
            let mut said = Vec::new();
            let mut announced = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !announced {
                    if let Some(port) = ready(&line) {
                        announced = true;
                        let _ = tell.send(Ok(port));
                    } else {
                        said.push(line);
                    }
                }
            }
            if !announced {
                let _ = tell.send(Err(said.join("\n")));
            }
        });
        let mut server = ServerProcess {
            child,
            port: 0,
            own_dir: None,
        };
        match told.recv_timeout(STARTUP_DEADLINE) {
            Ok(Ok(port)) => {
                server.port = port;
                Ok(server)
            }
            Ok(Err(said)) => Err(format!("`{shown}` exited before it was ready:\n{said}")),
            Err(_) => Err(format!(
                "`{shown}` was not ready after {STARTUP_DEADLINE:?}"
            )),
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
