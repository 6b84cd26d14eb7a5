//! A connection's pending output, filled under the engine lock (so replies
//! and pushes keep the order the engine produced them in) and drained by the
//! connection's writer thread (so a slow reader never blocks the engine).

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::sync::{Condvar, Mutex, MutexGuard, PoisonError};

/// How a connection ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Closing {
    Open,
    /// Write what is pending, then close (QUIT, protocol errors, EOF).
    AfterFlush,
    /// Close without writing what is pending (output limit, POST/Host:).
    Now,
}

#[derive(Debug)]
struct Pending {
    bytes: Vec<u8>,
    closing: Closing,
    /// The peer is gone or the socket failed: nothing more will be written.
    dead: bool,
}

#[derive(Debug)]
pub struct Outbox {
    pending: Mutex<Pending>,
    changed: Condvar,
}

impl Default for Outbox {
    fn default() -> Self {
        Outbox {
            pending: Mutex::new(Pending {
                bytes: Vec::new(),
                closing: Closing::Open,
                dead: false,
            }),
            changed: Condvar::new(),
        }
    }
}

impl Outbox {
    fn lock(&self) -> MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues bytes; ignored once the connection is closing.
    pub fn push(&self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut pending = self.lock();
        if pending.closing == Closing::Open && !pending.dead {
            pending.bytes.extend_from_slice(bytes);
            self.changed.notify_all();
        }
    }

    pub fn close(&self, how: Closing) {
        let mut pending = self.lock();
        if pending.closing != Closing::Now {
            pending.closing = how;
        }
        if how == Closing::Now {
            pending.bytes = Vec::new();
        }
        self.changed.notify_all();
    }

    /// Whether replies can still be queued (not closing, peer not gone).
    pub fn is_open(&self) -> bool {
        let pending = self.lock();
        pending.closing == Closing::Open && !pending.dead
    }

    pub fn pending_len(&self) -> usize {
        self.lock().bytes.len()
    }

    /// Blocks until at most `limit` bytes are pending (or the connection is
    /// going away): a client that pipelines without reading its replies
    /// stops being read instead of growing our memory.
    pub fn wait_below(&self, limit: usize) {
        let mut pending = self.lock();
        while pending.bytes.len() > limit && !pending.dead && pending.closing == Closing::Open {
            pending = self
                .changed
                .wait(pending)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// The writer thread: writes pending bytes until the connection closes,
    /// then shuts the socket down, which also wakes the reader.
    pub fn run_writer(&self, mut stream: TcpStream) {
        loop {
            let (bytes, closing) = {
                let mut pending = self.lock();
                while pending.bytes.is_empty() && pending.closing == Closing::Open && !pending.dead
                {
                    pending = self
                        .changed
                        .wait(pending)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                if pending.dead {
                    break;
                }
                (std::mem::take(&mut pending.bytes), pending.closing)
            };
            if closing == Closing::Now {
                break;
            }
            if !bytes.is_empty() && stream.write_all(&bytes).is_err() {
                break;
            }
            let mut pending = self.lock();
            self.changed.notify_all();
            if pending.closing != Closing::Open && pending.bytes.is_empty() {
                pending.dead = true;
                break;
            }
        }
        self.lock().dead = true;
        self.changed.notify_all();
        let _ = stream.shutdown(Shutdown::Both);
    }
}
