//! A connection's pending output, filled under the engine lock (so replies
//! and pushes keep the order the engine produced them in) and drained by the
//! connection's writer thread (so a slow reader never blocks the engine).
//!
//! A connection's own replies are usually written by its reader thread
//! right after it leaves the engine lock, with a send that never blocks
//! ([`Outbox::push_reply`], [`Outbox::flush_reply`]): waking the writer
//! thread for every reply cost a thread switch per command, which is most
//! of the time a busy server spent (see docs/benchmarks.md). Whatever the
//! socket does not take at once is left to the writer thread.

use std::io::Write;
use std::net::{Shutdown, TcpStream};
use std::os::fd::AsRawFd;
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
    /// A thread is writing bytes taken from `bytes` (or the reader has
    /// reserved the next write): nobody else may write meanwhile, so the
    /// bytes reach the socket in order.
    writing: bool,
    /// The reservation is the reader's: it writes after leaving the lock.
    reserved_for_reader: bool,
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
                writing: false,
                reserved_for_reader: false,
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

    /// Queues a reply under the engine lock and, when nobody is writing,
    /// reserves the write for the reader thread, which then calls
    /// [`Outbox::flush_reply`] once it has left the lock.
    pub fn push_reply(&self, bytes: &[u8]) {
        if bytes.is_empty() {
            return;
        }
        let mut pending = self.lock();
        if pending.closing != Closing::Open || pending.dead {
            return;
        }
        pending.bytes.extend_from_slice(bytes);
        if pending.writing {
            self.changed.notify_all();
        } else {
            pending.writing = true;
            pending.reserved_for_reader = true;
        }
    }

    /// Writes what is pending if [`Outbox::push_reply`] reserved the write
    /// for the reader: as much as the socket takes without blocking; the
    /// rest, if any, goes to the writer thread.
    pub fn flush_reply(&self, stream: &TcpStream) {
        let bytes = {
            let mut pending = self.lock();
            if !pending.reserved_for_reader {
                return;
            }
            pending.reserved_for_reader = false;
            std::mem::take(&mut pending.bytes)
        };
        let sent = send_without_blocking(stream, &bytes);
        let mut pending = self.lock();
        if sent < bytes.len() {
            let mut rest = bytes[sent..].to_vec();
            rest.extend_from_slice(&pending.bytes);
            pending.bytes = rest;
        }
        pending.writing = false;
        if !pending.bytes.is_empty() || pending.closing != Closing::Open {
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
                while !pending.dead
                    && (pending.writing
                        || (pending.bytes.is_empty() && pending.closing == Closing::Open))
                {
                    pending = self
                        .changed
                        .wait(pending)
                        .unwrap_or_else(PoisonError::into_inner);
                }
                if pending.dead {
                    break;
                }
                pending.writing = true;
                (std::mem::take(&mut pending.bytes), pending.closing)
            };
            if closing == Closing::Now {
                break;
            }
            if !bytes.is_empty() && stream.write_all(&bytes).is_err() {
                break;
            }
            let mut pending = self.lock();
            pending.writing = false;
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

/// Sends what the socket takes at once and returns how many bytes that was;
/// 0 when it would block or failed (the writer thread then meets the error).
fn send_without_blocking(stream: &TcpStream, bytes: &[u8]) -> usize {
    let mut sent = 0;
    while sent < bytes.len() {
        let rest = &bytes[sent..];
        // SAFETY: `rest` is a valid, initialised buffer of `rest.len()`
        // bytes for the duration of the call, and the descriptor belongs to
        // `stream`, which outlives it. MSG_DONTWAIT makes only this call
        // non-blocking, leaving the socket as the other threads expect it.
        let n = unsafe {
            libc::send(
                stream.as_raw_fd(),
                rest.as_ptr().cast(),
                rest.len(),
                libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL,
            )
        };
        if n <= 0 {
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            break;
        }
        sent += n as usize;
    }
    sent
}
