//! The sockets of `lockstep serve`: the listener and every connection with
//! its query buffer and output buffer, all non-blocking, their readiness
//! read from one `epoll` (through `mio`).
//!
//! Nothing here touches the engine. The event loop ([`super::event_loop`])
//! and, while a script is busy, the script's watcher ([`super::busy`]) both
//! reach the sockets through this one table, one after the other on the
//! same thread.
//!
//! Readiness is edge-triggered: an event says new bytes arrived, not that
//! bytes are waiting. A connection keeps a `readable` flag until a read
//! comes back short or empty, so a connection whose bytes were not all read
//! in one turn (a big pipeline, a connection paused because its replies
//! pile up) is read again on a later turn without a new event. One read per
//! connection per turn keeps a client that sends without pause from
//! starving the others, as Redis's one `read` per readable event does.

use std::collections::{BTreeMap, VecDeque};
use std::io::{ErrorKind, Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use lockstep_engine::scripting::BusyClient;
use lockstep_engine::{ClientId, Protocol};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use super::request::RequestParser;

/// The listener's token; connections are numbered from 1.
pub const LISTENER: Token = Token(0);

/// Redis's default `maxclients`.
pub const MAX_CLIENTS: usize = 10_000;

/// Redis refuses a connection past `maxclients` with this, at once.
pub const MAX_CLIENTS_REPLY: &[u8] = b"-ERR max number of clients reached\r\n";

/// Bytes read from a socket at a time. Redis reads 16 KB
/// (`PROTO_IOBUF_LEN`); a larger read costs nothing more and takes a
/// pipeline of small commands in fewer turns.
const READ_CHUNK: usize = 64 * 1024;

/// How a connection ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    Open,
    /// Write what is pending, then close (QUIT, protocol errors, EOF).
    AfterFlush,
    /// Close without writing what is pending (output limit, POST/Host:,
    /// CLIENT KILL).
    Now,
}

/// One client connection.
pub struct Conn {
    stream: TcpStream,
    /// Its engine client, once registered. A connection accepted while a
    /// script keeps the engine busy is registered when the engine is free;
    /// until then it can still be answered BUSY.
    pub id: Option<ClientId>,
    pub peer: String,
    pub parser: RequestParser,
    /// Commands held back while a script was busy, to run before the
    /// parser's buffer.
    pub deferred: VecDeque<Vec<Vec<u8>>>,
    out: Vec<u8>,
    /// How much of `out` the socket has taken.
    out_sent: usize,
    pub closing: Closing,
    /// An edge said bytes arrived and a read has not yet come back short.
    readable: bool,
    /// The peer closed its side (read returned 0) or the socket failed.
    pub eof: bool,
    /// An event said the peer closed its side: reads go on until they
    /// return 0, even after a short one.
    hup: bool,
    /// Registered for writable events: `out` did not fit in the socket.
    write_interest: bool,
    /// Queued in [`Net::to_flush`].
    flush_queued: bool,
    /// Its protocol after its last command, for BUSY replies.
    pub protocol: Protocol,
    /// Its transaction as a busy script's other clients see it.
    pub busy: BusyClient,
}

impl Conn {
    /// Bytes queued and not yet written.
    pub fn pending_out(&self) -> usize {
        self.out.len() - self.out_sent
    }

    /// Whether a turn should read from it.
    pub fn readable(&self) -> bool {
        self.readable && !self.eof
    }

    /// Whether it holds unrun input (deferred commands or parser bytes).
    pub fn has_input(&self) -> bool {
        !self.deferred.is_empty() || self.parser.pending_bytes() > 0
    }
}

/// What one read from a connection brought.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Got {
    /// Bytes went into its query buffer.
    Bytes,
    /// Nothing new (it would block, or the connection is gone or closing).
    Nothing,
    /// The peer closed its side or the socket failed.
    Eof,
}

/// The listener, the connections and the poll they are registered with.
pub struct Net {
    poll: Poll,
    events: Option<Events>,
    listener: Option<TcpListener>,
    /// The address the listener is bound to (the port follows CONFIG SET).
    bound: SocketAddr,
    conns: Vec<Option<Conn>>,
    free: Vec<usize>,
    open: usize,
    /// Connection of each engine client.
    pub by_client: BTreeMap<ClientId, Token>,
    /// Connections accepted while a script kept the engine busy, in the
    /// order accepted, to register with the engine once it is free.
    pub unregistered: Vec<Token>,
    /// Connections with output queued this turn.
    to_flush: Vec<Token>,
    /// Connections that may hold unread bytes or unrun commands: served
    /// again on the next turn without waiting for an event.
    pub again: Vec<Token>,
    read_buf: Vec<u8>,
}

impl Net {
    pub fn bind(addr: SocketAddr) -> std::io::Result<Net> {
        let poll = Poll::new()?;
        let mut listener = TcpListener::bind(addr)?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let bound = listener.local_addr()?;
        Ok(Net {
            poll,
            events: Some(Events::with_capacity(1024)),
            listener: Some(listener),
            bound,
            conns: Vec::new(),
            free: Vec::new(),
            open: 0,
            by_client: BTreeMap::new(),
            unregistered: Vec::new(),
            to_flush: Vec::new(),
            again: Vec::new(),
            read_buf: vec![0; READ_CHUNK],
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.bound
    }

    /// Listens on `port` instead (CONFIG SET port), on the same address;
    /// port 0 stops listening, as in Redis. On failure the old listener
    /// stays.
    pub fn rebind(&mut self, port: u16) -> std::io::Result<()> {
        if port == 0 {
            if let Some(mut old) = self.listener.take() {
                let _ = self.poll.registry().deregister(&mut old);
            }
            self.bound.set_port(0);
            return Ok(());
        }
        let mut addr = self.bound;
        addr.set_port(port);
        let mut listener = TcpListener::bind(addr)?;
        self.poll
            .registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        if let Some(mut old) = self.listener.replace(listener) {
            let _ = self.poll.registry().deregister(&mut old);
        }
        self.bound = addr;
        Ok(())
    }

    /// Waits for readiness up to `timeout` and returns the events (hand
    /// them back with [`Net::put_events`]).
    pub fn wait(&mut self, timeout: Option<Duration>) -> Events {
        let mut events = self
            .events
            .take()
            .unwrap_or_else(|| Events::with_capacity(1024));
        if let Err(e) = self.poll.poll(&mut events, timeout) {
            // EINTR: an empty turn. Anything else leaves `events` empty too.
            let _ = e;
            events.clear();
        }
        events
    }

    pub fn put_events(&mut self, events: Events) {
        self.events = Some(events);
    }

    /// Notes what an event says of a connection: bytes (or an EOF) to read,
    /// room to write.
    pub fn note_event(&mut self, token: Token, readable: bool, hup: bool, writable: bool) {
        let Some(conn) = self.conn_mut(token) else {
            return;
        };
        if readable || hup {
            conn.readable = true;
        }
        if hup {
            conn.hup = true;
        }
        if writable && conn.write_interest {
            self.queue_flush(token);
        }
    }

    /// Accepts every waiting connection; returns their tokens in the order
    /// accepted. Past [`MAX_CLIENTS`] a connection is refused with Redis's
    /// error.
    pub fn accept_all(&mut self) -> Vec<Token> {
        let mut accepted = Vec::new();
        while let Some(listener) = &self.listener {
            let (mut stream, peer) = match listener.accept() {
                Ok(pair) => pair,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                // WouldBlock, or out of file descriptors and the like: keep
                // serving the connections we have.
                Err(_) => break,
            };
            if self.open >= MAX_CLIENTS {
                let _ = stream.write(MAX_CLIENTS_REPLY);
                continue;
            }
            let _ = stream.set_nodelay(true);
            let index = self.free.pop().unwrap_or_else(|| {
                self.conns.push(None);
                self.conns.len() - 1
            });
            let token = Token(index + 1);
            if self
                .poll
                .registry()
                .register(&mut stream, token, Interest::READABLE)
                .is_err()
            {
                self.free.push(index);
                continue;
            }
            self.conns[index] = Some(Conn {
                stream,
                id: None,
                peer: peer.to_string(),
                parser: RequestParser::new(),
                deferred: VecDeque::new(),
                out: Vec::new(),
                out_sent: 0,
                closing: Closing::Open,
                // Bytes may have arrived before the registration.
                readable: true,
                eof: false,
                hup: false,
                write_interest: false,
                flush_queued: false,
                protocol: Protocol::Resp2,
                busy: BusyClient::default(),
            });
            self.open += 1;
            accepted.push(token);
        }
        accepted
    }

    pub fn conn(&self, token: Token) -> Option<&Conn> {
        self.conns.get(token.0.wrapping_sub(1))?.as_ref()
    }

    pub fn conn_mut(&mut self, token: Token) -> Option<&mut Conn> {
        self.conns.get_mut(token.0.wrapping_sub(1))?.as_mut()
    }

    /// The connection of an engine client.
    pub fn token_of(&self, id: ClientId) -> Option<Token> {
        self.by_client.get(&id).copied()
    }

    /// Every open connection's token, in token order.
    pub fn tokens(&self) -> Vec<Token> {
        (0..self.conns.len())
            .filter(|&i| self.conns[i].is_some())
            .map(|i| Token(i + 1))
            .collect()
    }

    /// Reads once into the connection's query buffer.
    pub fn read_once(&mut self, token: Token) -> Got {
        let index = token.0.wrapping_sub(1);
        let Some(Some(conn)) = self.conns.get_mut(index) else {
            return Got::Nothing;
        };
        if conn.eof || conn.closing != Closing::Open {
            conn.readable = false;
            return Got::Nothing;
        }
        loop {
            match conn.stream.read(&mut self.read_buf) {
                Ok(0) => {
                    conn.readable = false;
                    conn.eof = true;
                    return Got::Eof;
                }
                Ok(n) => {
                    // A short read emptied the socket: the next bytes come
                    // with a new edge.
                    conn.readable = conn.hup || n == self.read_buf.len();
                    conn.parser.feed(&self.read_buf[..n]);
                    return Got::Bytes;
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => {
                    conn.readable = false;
                    return Got::Nothing;
                }
                Err(_) => {
                    conn.readable = false;
                    conn.eof = true;
                    return Got::Eof;
                }
            }
        }
    }

    /// Queues bytes for the connection; ignored once it is closing.
    pub fn push(&mut self, token: Token, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let Some(conn) = self.conn_mut(token) else {
            return;
        };
        if conn.closing != Closing::Open {
            return;
        }
        conn.out.extend_from_slice(bytes);
        self.queue_flush(token);
    }

    /// Ends the connection: at once (`Closing::Now`, its pending output
    /// dropped) or once its output is written.
    pub fn close(&mut self, token: Token, how: Closing) {
        let Some(conn) = self.conn_mut(token) else {
            return;
        };
        if conn.closing != Closing::Now {
            conn.closing = how;
        }
        self.queue_flush(token);
    }

    fn queue_flush(&mut self, token: Token) {
        if let Some(conn) = self.conn_mut(token) {
            if !conn.flush_queued {
                conn.flush_queued = true;
                self.to_flush.push(token);
            }
        }
    }

    /// Writes what every connection has queued, as much as each socket
    /// takes; returns the engine clients of connections that are now
    /// closed (the caller disconnects them from the engine) — with
    /// `remove_registered` false (the engine is busy) registered ones are
    /// left for later, unregistered ones are dropped at once.
    pub fn flush_all(&mut self, remove_registered: bool) -> Vec<ClientId> {
        let mut gone = Vec::new();
        let tokens = std::mem::take(&mut self.to_flush);
        for token in tokens {
            if let Some(conn) = self.conn_mut(token) {
                conn.flush_queued = false;
            }
            if !self.flush(token) {
                continue;
            }
            let registered = self.conn(token).is_some_and(|c| c.id.is_some());
            if registered && !remove_registered {
                // Written out and closing: it goes when the engine is free.
                if let Some(conn) = self.conn_mut(token) {
                    conn.flush_queued = true;
                }
                self.to_flush.push(token);
                continue;
            }
            if let Some(id) = self.remove(token) {
                gone.push(id);
            }
        }
        gone
    }

    /// Writes the connection's output; true when it is to be removed
    /// (closing, and its output written or dropped).
    fn flush(&mut self, token: Token) -> bool {
        let Some(Some(conn)) = self.conns.get_mut(token.0.wrapping_sub(1)) else {
            return false;
        };
        if conn.closing == Closing::Now {
            return true;
        }
        while conn.out_sent < conn.out.len() {
            match conn.stream.write(&conn.out[conn.out_sent..]) {
                Ok(0) => {
                    conn.closing = Closing::Now;
                    return true;
                }
                Ok(n) => conn.out_sent += n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => {
                    conn.closing = Closing::Now;
                    return true;
                }
            }
        }
        let drained = conn.out_sent == conn.out.len();
        if drained {
            conn.out.clear();
            conn.out_sent = 0;
            if conn.out.capacity() > READ_CHUNK * 16 {
                conn.out = Vec::new();
            }
        }
        let want_write = !drained;
        if want_write != conn.write_interest {
            conn.write_interest = want_write;
            let interest = if want_write {
                Interest::READABLE | Interest::WRITABLE
            } else {
                Interest::READABLE
            };
            let _ = self
                .poll
                .registry()
                .reregister(&mut conn.stream, token, interest);
        }
        if drained && conn.closing == Closing::AfterFlush {
            return true;
        }
        if drained && (conn.readable() || conn.has_input()) {
            // It may have been paused while its replies piled up.
            self.again.push(token);
        }
        false
    }

    /// The peer closed: writes what its socket still takes of its output,
    /// then drops it; returns its engine client.
    pub fn drop_closed(&mut self, token: Token) -> Option<ClientId> {
        if let Some(conn) = self.conn_mut(token) {
            if conn.closing == Closing::Open {
                conn.closing = Closing::AfterFlush;
            }
        }
        self.flush(token);
        self.remove(token)
    }

    /// Drops the connection (its socket closes); returns its engine client.
    pub fn remove(&mut self, token: Token) -> Option<ClientId> {
        let index = token.0.wrapping_sub(1);
        let mut conn = self.conns.get_mut(index)?.take()?;
        let _ = self.poll.registry().deregister(&mut conn.stream);
        let _ = conn.stream.shutdown(std::net::Shutdown::Both);
        self.free.push(index);
        self.open -= 1;
        self.unregistered.retain(|&t| t != token);
        if let Some(id) = conn.id {
            self.by_client.remove(&id);
        }
        conn.id
    }
}
