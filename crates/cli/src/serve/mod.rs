//! `lockstep serve`: the engine behind a RESP server on a TCP port, so that
//! real clients (redis-cli, redis-benchmark, client libraries) and the
//! differential suite can talk to it.
//!
//! One thread serves everything, as Redis does: an event loop
//! ([`event_loop`]) owns the engine and every non-blocking socket
//! ([`net`]), wakes on readiness (epoll, through `mio`), reads each ready
//! connection, parses every complete command in its buffer ([`request`]),
//! runs them, and writes the replies and the pushes they made for other
//! connections (pub/sub messages, MONITOR lines, tracking invalidations)
//! before it waits again. A connection whose output does not fit in its
//! socket keeps the rest in its output buffer until the socket has room.
//! One wake-up serves every ready connection, so fifty clients cost no
//! more per command than one.
//!
//! Time is the wall clock in milliseconds; the loop runs the active expiry
//! cycle every 100 ms (Redis's `hz 10`) and wakes at the next blocked
//! client's timeout ([`blocked`]). A command whose simulated cost exceeds
//! the real time it took (DEBUG SLEEP, a long script) keeps the loop for
//! the difference, so the node is busy for everyone, as in Redis. A script
//! past `busy-reply-threshold` runs turns of the loop's socket side from
//! its hook, answering the others BUSY and taking SCRIPT KILL ([`busy`]).

pub mod blocked;
pub mod busy;
pub mod event_loop;
pub mod net;
pub mod panic_probe;
pub mod port;
pub mod request;

use std::cell::RefCell;
use std::net::{SocketAddr, ToSocketAddrs};
use std::rc::Rc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use lockstep_engine::Engine;

use busy::{ScriptState, ServeWatcher};
use event_loop::EventLoop;
use net::Net;

pub use net::MAX_CLIENTS;

/// Redis's hard output limit for pub/sub clients
/// (`client-output-buffer-limit pubsub 32mb`): a subscriber that does not
/// read its messages is disconnected rather than buffered without end.
pub const PUSH_OUTPUT_LIMIT: usize = 32 * 1024 * 1024;

/// A connection whose unwritten replies exceed this is not read from until
/// they drain (Redis would buffer without limit for normal clients).
pub const REPLY_BACKPRESSURE: usize = 64 * 1024 * 1024;

/// How often the active expiry cycle runs (`hz 10`).
pub const EXPIRE_PERIOD: Duration = Duration::from_millis(100);

/// A bound, not yet running, server.
pub struct Server {
    event_loop: EventLoop,
}

impl Server {
    pub fn bind(addr: impl ToSocketAddrs) -> std::io::Result<Server> {
        let mut last_error = None;
        let mut bound = None;
        for addr in addr.to_socket_addrs()? {
            match Net::bind(addr) {
                Ok(net) => {
                    bound = Some(net);
                    break;
                }
                Err(e) => last_error = Some(e),
            }
        }
        let Some(net) = bound else {
            return Err(last_error.unwrap_or_else(|| {
                std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address to bind")
            }));
        };
        let port = net.local_addr().port();
        let net = Rc::new(RefCell::new(net));
        let script = Rc::new(ScriptState::default());
        let mut engine = Engine::new(now_ms());
        // CONFIG GET port and INFO's tcp_port say where it listens.
        let _ = engine.config_mut().set_startup("port", &port.to_string());
        let watcher = ServeWatcher::new(Rc::clone(&script), Rc::clone(&net));
        engine.set_script_watcher(Some(Rc::new(RefCell::new(watcher))));
        Ok(Server {
            event_loop: EventLoop::new(engine, net, script),
        })
    }

    /// Sets a configuration parameter before serving, as `redis-server
    /// --name value` does (Redis's own test runs start the server with
    /// `--enable-debug-command yes`).
    pub fn set_config(&mut self, name: &str, value: &str) -> Result<(), String> {
        self.event_loop.engine.config_mut().set_startup(name, value)
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        Ok(self.event_loop.net.borrow().local_addr())
    }

    /// Serves connections until the process ends.
    pub fn run(mut self) -> std::io::Result<()> {
        self.event_loop.run();
        Ok(())
    }
}

/// The wall clock in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
