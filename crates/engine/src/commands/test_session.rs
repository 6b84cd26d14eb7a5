//! A redis-cli-like session for the command families' unit tests: one
//! engine, one connection, a clock the test moves by hand, and replies as
//! the raw RESP text Redis 7.0 sends, so a test reads like a transcript:
//!
//! ```text
//! let mut s = Session::new();
//! session!(s,
//!     "SET k v" => "+OK\r\n",
//!     "GET k" => "$1\r\nv\r\n",
//! );
//! ```

use crate::client::{ClientId, Protocol};
use crate::encode::to_bytes;
use crate::{Engine, Reply};

/// A realistic Unix time in ms, for sessions that set absolute expire
/// times (`Session::at(NOW_MS)`).
pub(crate) const NOW_MS: i64 = 1_700_000_000_000;

pub(crate) struct Session {
    pub(crate) engine: Engine,
    pub(crate) client: ClientId,
    /// The clock every command runs at; tests move it to expire keys or
    /// to make stream IDs.
    pub(crate) now_ms: i64,
}

impl Session {
    /// A fresh engine whose clock starts at 0.
    pub(crate) fn new() -> Self {
        Session::at(0)
    }

    /// A fresh engine started at `now_ms` (for TTLs and absolute expire
    /// times that need a realistic clock).
    pub(crate) fn at(now_ms: i64) -> Self {
        let mut engine = Engine::new(now_ms);
        let client = engine.connect("127.0.0.1:50000", now_ms);
        Session {
            engine,
            client,
            now_ms,
        }
    }

    /// Runs a command given as words separated by single spaces (two
    /// spaces make an empty argument) and returns its reply.
    pub(crate) fn reply(&mut self, line: &str) -> Reply {
        let args: Vec<Vec<u8>> = line.split(' ').map(|w| w.as_bytes().to_vec()).collect();
        self.engine.execute(self.client, &args, self.now_ms).reply
    }

    /// Runs a command like [`Session::reply`]; the reply as RESP text in the
    /// connection's protocol.
    pub(crate) fn run(&mut self, line: &str) -> String {
        let reply = self.reply(line);
        let protocol = self.engine.protocol(self.client);
        String::from_utf8_lossy(&to_bytes(&reply, protocol)).into_owned()
    }

    /// Switches the connection to RESP3, as HELLO 3 does.
    pub(crate) fn resp3(&mut self) {
        if let Some(c) = self.engine.clients.get_mut(&self.client) {
            c.protocol = Protocol::Resp3;
        }
    }
}

/// Runs each `command => RESP reply` pair in order on a [`Session`].
macro_rules! session {
    ($s:expr, $($cmd:expr => $reply:expr),* $(,)?) => {
        $( assert_eq!($s.run($cmd), $reply, "after `{}`", $cmd); )*
    };
}
pub(crate) use session;
