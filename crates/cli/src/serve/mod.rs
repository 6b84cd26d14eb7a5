//! `lockstep serve`: the engine behind a RESP server on a TCP port, so that
//! real clients (redis-cli, redis-benchmark, client libraries) and the
//! differential suite can talk to it.
//!
//! One engine behind one mutex, two threads per connection. The reader
//! thread parses requests ([`request`]) and runs every complete command of
//! what it read under the lock, as Redis runs a batch of pipelined commands
//! without interleaving other clients. The replies and any pushes the
//! commands queued (pub/sub messages, MONITOR lines) go into each
//! connection's [`outbox::Outbox`] while the lock is still held, which fixes
//! their order; the connection's writer thread wakes at once and writes
//! them, so an idle subscriber gets a message within microseconds of the
//! PUBLISH, and a slow reader never holds the lock.
//!
//! Time is the wall clock in milliseconds; a timer thread runs the active
//! expiry cycle every 100 ms (Redis's `hz 10`). A command whose simulated
//! cost exceeds the real time it took (DEBUG SLEEP, a long script) holds the
//! lock for the difference, so the node is busy for everyone, as in Redis.
//! Meanwhile a script past `busy-reply-threshold` lets the other
//! connections in for BUSY replies and SCRIPT KILL ([`busy`]).
//!
//! A command that blocks (BLPOP on an empty list) leaves the connection's
//! later commands unparsed in its [`Input`]; whoever unblocks it — another
//! connection's write, the timer at its timeout, CLIENT UNBLOCK — writes
//! its reply and runs those commands, under the same lock ([`blocked`]).

pub mod blocked;
pub mod busy;
pub mod outbox;
pub mod panic_probe;
pub mod request;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use lockstep_engine::scripting::{BusyAnswer, BusyClient, ScriptProgress};
use lockstep_engine::{encode, ClientId, Engine, Protocol};
use parking_lot::{Mutex, MutexGuard};

use busy::{ScriptGate, ServeWatcher};
use outbox::{Closing, Outbox};
use request::{RequestParser, QUERY_BUFFER_LIMIT};

/// Redis's default `maxclients`.
pub const MAX_CLIENTS: usize = 10_000;

/// Redis's hard output limit for pub/sub clients
/// (`client-output-buffer-limit pubsub 32mb`): a subscriber that does not
/// read its messages is disconnected rather than buffered without end.
pub const PUSH_OUTPUT_LIMIT: usize = 32 * 1024 * 1024;

/// A connection whose unwritten replies exceed this is not read from until
/// they drain (Redis would buffer without limit for normal clients).
pub const REPLY_BACKPRESSURE: usize = 64 * 1024 * 1024;

/// How often the active expiry cycle runs (`hz 10`).
pub const EXPIRE_PERIOD: Duration = Duration::from_millis(100);

/// Bytes read from a socket at a time (`PROTO_IOBUF_LEN`).
const READ_CHUNK: usize = 16 * 1024;

/// How long a connection waits for the engine before looking whether a
/// script is keeping it busy past the threshold.
const BUSY_POLL: Duration = Duration::from_millis(20);

/// The engine and the connections it can push to, under one lock.
struct State {
    engine: Engine,
    outboxes: BTreeMap<ClientId, Arc<Outbox>>,
    /// Each connection's unrun input, for running it when the connection
    /// is unblocked by another thread.
    inputs: BTreeMap<ClientId, Arc<Mutex<Input>>>,
}

/// What a connection sent that has not run yet: the commands held back
/// while a script was busy, then the parser's buffer. Its lock is taken
/// only briefly by the reader (to feed bytes) or under the engine's lock.
#[derive(Default)]
struct Input {
    deferred: VecDeque<Vec<Vec<u8>>>,
    parser: RequestParser,
}

// SAFETY: the engine is not `Send` because its Lua state and script
// bookkeeping use `Rc` and a non-thread-safe interpreter. Here it lives in a
// `Mutex` and is only ever used by the thread holding the lock; nothing
// inside it (no `Rc`, no Lua value) is ever taken out of the lock, so every
// access is sequential and ordered by the mutex.
unsafe impl Send for State {}

/// The engine's lock never poisons (parking_lot), and panics in the engine
/// are caught around each command, so one failing command cannot take the
/// other connections down.
struct Shared {
    state: Mutex<State>,
    gate: Arc<ScriptGate>,
    timer: blocked::TimerBell,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }
}

/// A bound, not yet running, server.
pub struct Server {
    listener: TcpListener,
    shared: Arc<Shared>,
}

impl Server {
    pub fn bind(addr: impl ToSocketAddrs) -> std::io::Result<Server> {
        let listener = TcpListener::bind(addr)?;
        let gate = Arc::new(ScriptGate::default());
        let mut engine = Engine::new(now_ms());
        let watcher = ServeWatcher::new(Arc::clone(&gate));
        engine.set_script_watcher(Some(Rc::new(RefCell::new(watcher))));
        let state = State {
            engine,
            outboxes: BTreeMap::new(),
            inputs: BTreeMap::new(),
        };
        Ok(Server {
            listener,
            shared: Arc::new(Shared {
                state: Mutex::new(state),
                gate,
                timer: blocked::TimerBell::default(),
            }),
        })
    }

    /// Sets a configuration parameter before serving, as `redis-server
    /// --name value` does (Redis's own test runs start the server with
    /// `--enable-debug-command yes`).
    pub fn set_config(&self, name: &str, value: &str) -> Result<(), String> {
        self.shared
            .state
            .lock()
            .engine
            .config_mut()
            .set_startup(name, value)
    }

    pub fn local_addr(&self) -> std::io::Result<std::net::SocketAddr> {
        self.listener.local_addr()
    }

    /// Accepts connections until the process ends.
    pub fn run(self) -> std::io::Result<()> {
        let timer = Arc::clone(&self.shared);
        std::thread::Builder::new()
            .name("timer".into())
            .spawn(move || blocked::run_timer(&timer))?;
        for stream in self.listener.incoming() {
            let stream = match stream {
                Ok(stream) => stream,
                // Out of file descriptors and the like: keep serving the
                // connections we have.
                Err(_) => {
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
            let shared = Arc::clone(&self.shared);
            // Redis numbers clients in the order it accepts them (CLIENT
            // ID); each connection's thread registers before the next
            // accept, so two threads never race for the next id.
            let (registered, wait_registered) = std::sync::mpsc::channel::<()>();
            let spawned = std::thread::Builder::new()
                .name("connection".into())
                .spawn(move || serve_connection(&shared, stream, registered));
            if spawned.is_err() {
                std::thread::sleep(Duration::from_millis(10));
            } else {
                let _ = wait_registered.recv_timeout(Duration::from_millis(200));
            }
        }
        Ok(())
    }
}

/// A connection as its reader thread knows it.
struct Connection {
    /// Its engine client, once registered. A connection accepted while a
    /// script keeps the engine busy is registered when the engine is free;
    /// until then it can still be answered BUSY.
    id: Option<ClientId>,
    peer: String,
    outbox: Arc<Outbox>,
    input: Arc<Mutex<Input>>,
    /// The protocol after its last command, for BUSY replies.
    protocol: Protocol,
    /// Its transaction while a script keeps the engine busy.
    busy: BusyClient,
}

/// Redis refuses a connection past `maxclients` with this, at once.
const MAX_CLIENTS_REPLY: &[u8] = b"-ERR max number of clients reached\r\n";

impl State {
    /// Registers the connection with the engine, unless there are already
    /// [`MAX_CLIENTS`].
    fn register(&mut self, conn: &mut Connection) -> Result<ClientId, ()> {
        if let Some(id) = conn.id {
            return Ok(id);
        }
        if self.outboxes.len() >= MAX_CLIENTS {
            return Err(());
        }
        let id = self.engine.connect(&conn.peer, now_ms());
        self.outboxes.insert(id, Arc::clone(&conn.outbox));
        self.inputs.insert(id, Arc::clone(&conn.input));
        conn.id = Some(id);
        Ok(id)
    }
}

fn serve_connection(
    shared: &Shared,
    mut stream: TcpStream,
    registered: std::sync::mpsc::Sender<()>,
) {
    let _ = stream.set_nodelay(true);
    let peer = stream
        .peer_addr()
        .map(|a| a.to_string())
        .unwrap_or_else(|_| "?:0".into());
    let Ok(writer_stream) = stream.try_clone() else {
        return;
    };
    let mut conn = Connection {
        id: None,
        peer,
        outbox: Arc::new(Outbox::default()),
        input: Arc::new(Mutex::new(Input::default())),
        protocol: Protocol::Resp2,
        busy: BusyClient::default(),
    };
    if let Some(mut state) = shared.state.try_lock_for(BUSY_POLL) {
        if state.register(&mut conn).is_err() {
            drop(state);
            let _ = stream.write_all(MAX_CLIENTS_REPLY);
            return;
        }
    }
    drop(registered);
    let writer = {
        let outbox = Arc::clone(&conn.outbox);
        std::thread::Builder::new()
            .name("connection-writer".into())
            .spawn(move || outbox.run_writer(writer_stream))
    };
    let Ok(writer) = writer else {
        if let Some(id) = conn.id {
            shared.lock().forget(id);
        }
        return;
    };

    let mut chunk = vec![0u8; READ_CHUNK];
    let mut closing = Closing::AfterFlush;
    loop {
        conn.outbox.wait_below(REPLY_BACKPRESSURE);
        if !conn.outbox.is_open() {
            break;
        }
        let n = match stream.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let pending_bytes = {
            let mut input = conn.input.lock();
            input.parser.feed(&chunk[..n]);
            input.parser.pending_bytes()
        };
        let outcome = run_when_ready(shared, &mut conn);
        conn.outbox.flush_reply(&stream);
        if outcome != Closing::Open {
            closing = outcome;
            break;
        }
        if pending_bytes > QUERY_BUFFER_LIMIT {
            // Redis closes such a client without a reply.
            closing = Closing::Now;
            break;
        }
    }
    if let Some(id) = conn.id {
        shared.lock().forget(id);
    }
    conn.outbox.close(closing);
    let _ = writer.join();
}

/// Runs what the connection sent once the engine is free. While a script
/// keeps the engine busy past `busy-reply-threshold`, commands are answered
/// as Redis answers them then (BUSY, SCRIPT KILL, SHUTDOWN NOSAVE, and
/// MULTI, DISCARD, WATCH, UNWATCH, whose changes are applied to the engine
/// once it is free); the few others Redis lets through (HELLO, AUTH, RESET,
/// QUIT) wait for the script, and so does everything this connection sent
/// after them.
fn run_when_ready(shared: &Shared, conn: &mut Connection) -> Closing {
    loop {
        if let Some(mut state) = shared.state.try_lock_for(BUSY_POLL) {
            let Ok(id) = state.register(conn) else {
                conn.outbox.push(MAX_CLIENTS_REPLY);
                return Closing::AfterFlush;
            };
            let changed_while_busy = std::mem::take(&mut conn.busy.replay);
            state.engine.replay(id, changed_while_busy, now_ms());
            // A blocked connection's commands wait for whoever unblocks it.
            let closing = if state.engine.is_blocked(id) {
                Closing::Open
            } else {
                let mut input = conn.input.lock();
                state.run_batch(id, &mut input, &conn.outbox, shared, true)
            };
            state.route_unblocked(shared);
            state.deliver_pushes();
            conn.protocol = state.engine.protocol(id);
            conn.busy = BusyClient::new(state.engine.in_multi(id));
            return closing;
        }
        let mut input = conn.input.lock();
        if input.deferred.is_empty() {
            if let Some(progress) = shared.gate.busy() {
                let closing = answer_while_busy(
                    &mut input,
                    progress,
                    &mut conn.busy,
                    shared,
                    &conn.outbox,
                    conn.protocol,
                );
                // Everything complete has been answered: read on, unless a
                // command now waits for the script.
                if closing != Closing::Open || input.deferred.is_empty() {
                    return closing;
                }
            }
        }
    }
}

/// `FUNCTION STATS`, which a busy node answers about the running script.
fn is_function_stats(args: &[Vec<u8>]) -> bool {
    args.len() == 2
        && args[0].eq_ignore_ascii_case(b"function")
        && args[1].eq_ignore_ascii_case(b"stats")
}

/// Answers the complete commands in `parser` while a script is busy; stops at
/// the first one that must wait for the script (moved to `deferred`).
fn answer_while_busy(
    input: &mut Input,
    progress: ScriptProgress,
    busy: &mut BusyClient,
    shared: &Shared,
    outbox: &Outbox,
    protocol: Protocol,
) -> Closing {
    let mut out = Vec::new();
    let mut closing = Closing::Open;
    loop {
        let args = match input.parser.next_command() {
            Ok(Some(args)) => args,
            Ok(None) => break,
            Err(error) => {
                out.extend_from_slice(&error.to_bytes());
                closing = Closing::AfterFlush;
                break;
            }
        };
        if is_function_stats(&args) {
            if let Some(reply) = shared.gate.function_stats(progress) {
                encode::encode(&reply, protocol, &mut out);
                continue;
            }
        }
        match busy.answer(&args, progress) {
            BusyAnswer::Reply(reply) => encode::encode(&reply, protocol, &mut out),
            BusyAnswer::Kill => {
                shared.gate.kill();
                out.extend_from_slice(b"+OK\r\n");
            }
            // Redis exits at once, the script's writes unsaved.
            BusyAnswer::Shutdown => std::process::exit(0),
            BusyAnswer::Defer => {
                input.deferred.push_back(args);
                break;
            }
        }
    }
    outbox.push(&out);
    if closing != Closing::Open {
        outbox.close(closing);
    }
    closing
}

impl State {
    /// Runs the deferred commands, then every complete command in the
    /// parser's buffer for `id`, queueing the replies, until one blocks.
    /// Returns how the connection should end, if it should. `own_reader`:
    /// the caller is the connection's reader thread, which writes the
    /// replies itself once it leaves the lock ([`Outbox::push_reply`]);
    /// otherwise (a connection another one unblocked) the writer thread does.
    fn run_batch(
        &mut self,
        id: ClientId,
        input: &mut Input,
        outbox: &Outbox,
        shared: &Shared,
        own_reader: bool,
    ) -> Closing {
        let gate = &shared.gate;
        let mut out = Vec::new();
        let mut closing = Closing::Open;
        loop {
            let next = match input.deferred.pop_front() {
                Some(args) => Ok(Some(args)),
                None => input.parser.next_command(),
            };
            let args = match next {
                Ok(Some(args)) => args,
                Ok(None) => break,
                Err(error) => {
                    out.extend_from_slice(&error.to_bytes());
                    closing = Closing::AfterFlush;
                    break;
                }
            };
            if is_cross_protocol_attack(&args[0]) {
                // Redis drops the connection at once, unanswered, when it
                // sees what looks like HTTP sent to it ("POST", "Host:").
                closing = Closing::Now;
                break;
            }
            let now = now_ms();
            let started = Instant::now();
            gate.command_started(started);
            let engine = &mut self.engine;
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                if panic_probe::is_probe(&args) {
                    panic!(
                        "{} was sent with {} set",
                        panic_probe::COMMAND,
                        panic_probe::ENV
                    );
                }
                engine.execute(id, &args, now)
            }));
            if let Ok(outcome) = &outcome {
                stay_busy(outcome.cost_us, started);
            }
            gate.command_finished();
            let protocol = self.engine.protocol(id);
            // Pushes a command queued for its own connection go before its
            // reply, as Redis writes a PUBLISH's message to a RESP3
            // subscriber on the same connection before the count.
            for push in self.engine.take_pushes(id) {
                encode::encode(&push, protocol, &mut out);
            }
            match outcome {
                Ok(outcome) if outcome.blocked => {
                    // Its reply and the commands after it wait.
                    shared.timer.ring();
                    break;
                }
                Ok(outcome) => {
                    encode::encode(&outcome.reply, protocol, &mut out);
                    let killed_self = self.close_killed(id);
                    if outcome.close || killed_self {
                        closing = Closing::AfterFlush;
                        break;
                    }
                }
                Err(_) => {
                    let name = String::from_utf8_lossy(&args[0]).replace(['\r', '\n'], " ");
                    out.extend_from_slice(
                        format!("-ERR internal error while running '{name}'\r\n").as_bytes(),
                    );
                }
            }
        }
        if closing == Closing::Now {
            outbox.close(Closing::Now);
        } else if own_reader {
            outbox.push_reply(&out);
        } else {
            outbox.push(&out);
        }
        closing
    }

    /// Moves every connection's queued pushes into its outbox. A connection
    /// whose unwritten output passes [`PUSH_OUTPUT_LIMIT`] is dropped.
    fn deliver_pushes(&mut self) {
        let mut overflowing = Vec::new();
        for id in self.engine.clients_with_pushes() {
            let Some(outbox) = self.outboxes.get(&id) else {
                continue;
            };
            let pushes = self.engine.take_pushes(id);
            if pushes.is_empty() {
                continue;
            }
            let protocol = self.engine.protocol(id);
            let mut out = Vec::new();
            for push in &pushes {
                encode::encode(push, protocol, &mut out);
            }
            outbox.push(&out);
            if outbox.pending_len() > PUSH_OUTPUT_LIMIT {
                outbox.close(Closing::Now);
                overflowing.push(id);
            }
        }
        for id in overflowing {
            self.forget(id);
        }
    }

    /// Closes the connections CLIENT KILL named, other than `own`; returns
    /// whether `own` was among them (it closes after its reply).
    fn close_killed(&mut self, own: ClientId) -> bool {
        let mut killed_self = false;
        for id in self.engine.take_killed() {
            if id == own {
                killed_self = true;
                continue;
            }
            if let Some(outbox) = self.outboxes.get(&id) {
                outbox.close(Closing::Now);
            }
            self.forget(id);
        }
        killed_self
    }

    /// The connection is gone: its transaction, watches and subscriptions go
    /// with it.
    fn forget(&mut self, id: ClientId) {
        self.inputs.remove(&id);
        if self.outboxes.remove(&id).is_some() {
            self.engine.disconnect(id);
        }
    }
}

/// Keeps the node busy (the lock held) for the simulated cost of a command
/// that took longer in the model than in reality: a DEBUG SLEEP or a long
/// script blocks every client, as in Redis. Differences under a
/// millisecond are not worth a sleep.
fn stay_busy(cost_us: u64, started: Instant) {
    let cost = Duration::from_micros(cost_us);
    if let Some(left) = cost.checked_sub(started.elapsed()) {
        if left >= Duration::from_millis(1) {
            std::thread::sleep(left);
        }
    }
}

fn is_cross_protocol_attack(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"post") || name.eq_ignore_ascii_case(b"host:")
}

/// The wall clock in milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
