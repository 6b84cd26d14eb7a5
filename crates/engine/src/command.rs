//! The command table's shape, the context a command runs in, and the
//! cursor handlers read their arguments with.
//!
//! Each command is a [`CommandSpec`] (built with [`spec`]) with Redis's
//! arity convention, its flags and a handler. Handlers get the whole
//! argument vector (`args[0]` is the command name as typed) and return one
//! [`Reply`]; [`Args`] walks that vector with Redis's exact errors.

use std::collections::BTreeMap;

mod args;
pub use args::Args;

use crate::client::{ClientId, ClientState};
use crate::keyspace::Keyspace;
use crate::reply::Reply;
use crate::server::ServerState;

/// Command flags, as in Redis's command table (`write`, `readonly`, ...).
pub mod flags {
    /// Modifies the keyspace: refused in `_RO` scripts and on replicas.
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    /// May grow memory (refused under maxmemory with noeviction).
    pub const DENYOOM: u32 = 1 << 2;
    /// Not callable from a script (`This Redis command is not allowed from script`).
    pub const NOSCRIPT: u32 = 1 << 3;
    pub const ADMIN: u32 = 1 << 4;
    /// Allowed in the RESP2 subscribed context.
    pub const PUBSUB: u32 = 1 << 5;
    /// Refused inside MULTI (`Command not allowed inside a transaction`).
    pub const NO_MULTI: u32 = 1 << 6;
    /// Allowed while a script is running past the busy threshold.
    pub const ALLOW_BUSY: u32 = 1 << 7;
    pub const FAST: u32 = 1 << 8;
    /// Allowed on a stale replica / while loading; informative only.
    pub const STALE: u32 = 1 << 9;
    /// Random output (`TIME`, `RANDOMKEY`); informative for scripts.
    pub const RANDOM: u32 = 1 << 10;
    /// Allowed while the dataset loads; informative only (COMMAND INFO).
    pub const LOADING: u32 = 1 << 11;
    /// Not shown to MONITOR clients by the dispatcher (EVAL feeds them itself).
    pub const SKIP_MONITOR: u32 = 1 << 12;
    /// Never logged in the SLOWLOG (EXEC: its commands are logged one by one).
    pub const SKIP_SLOWLOG: u32 = 1 << 13;
    /// Allowed before authentication (AUTH, HELLO, QUIT, RESET).
    pub const NO_AUTH: u32 = 1 << 14;
    /// May block the caller (BLPOP, XREAD BLOCK, ...).
    pub const BLOCKING: u32 = 1 << 15;
    /// May replicate even if it writes nothing (EVAL, PUBLISH); informative only.
    pub const MAY_REPLICATE: u32 = 1 << 16;
    /// Refused unless `enable-debug-command` allows it (DEBUG).
    pub const PROTECTED: u32 = 1 << 17;
}

pub type Handler = fn(&mut Ctx, &[Vec<u8>]) -> Reply;

/// Key positions (first, last, step), Redis's legacy key spec.
pub type KeySpec = (i32, i32, i32);
/// A command that names no key (PING, PUBLISH, CONFIG GET), or whose keys
/// follow a numkeys argument (`movablekeys`: ZUNION, ZMPOP), which the
/// legacy key spec cannot describe.
pub const NO_KEYS: KeySpec = (0, 0, 0);
/// One key, the first argument (GET, LPUSH, HSET, ...).
pub const FIRST_KEY: KeySpec = (1, 1, 1);
/// Every argument is a key (DEL, EXISTS, SUNION).
pub const ALL_KEYS: KeySpec = (1, -1, 1);

/// The one way a command table row is written: name, arity, flags, key
/// positions and handler, with no subcommands (add them with
/// [`CommandSpec::with_subcommands`]). A `const fn`, so each family's
/// `COMMANDS` stays a plain constant table, one row per command.
pub const fn spec(
    name: &'static str,
    arity: i32,
    flags: u32,
    keys: KeySpec,
    handler: Handler,
) -> CommandSpec {
    CommandSpec {
        name,
        arity,
        flags,
        keys,
        handler,
        subcommands: &[],
    }
}

pub struct CommandSpec {
    /// Lower-case name; subcommands use their own name (`get` for CONFIG GET).
    pub name: &'static str,
    /// Redis's convention: N means exactly N arguments (name included), -N
    /// means at least N.
    pub arity: i32,
    pub flags: u32,
    /// Key positions (first, last, step) as in Redis's legacy key spec; last
    /// may be negative (-1 = last argument). (0, 0, 0) for keyless commands.
    pub keys: (i32, i32, i32),
    pub handler: Handler,
    /// For container commands (CONFIG, CLIENT, ...): their subcommands.
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    /// A container command (CONFIG, CLIENT, XINFO, ...): `handler` runs
    /// when it is called bare, `subcommands` otherwise.
    pub const fn with_subcommands(mut self, subcommands: &'static [CommandSpec]) -> CommandSpec {
        self.subcommands = subcommands;
        self
    }

    pub fn has(&self, flag: u32) -> bool {
        self.flags & flag != 0
    }

    pub fn arity_ok(&self, argc: usize) -> bool {
        let argc = argc as i64;
        let arity = i64::from(self.arity);
        if arity >= 0 {
            argc == arity
        } else {
            argc >= -arity
        }
    }

    /// The key arguments of a call, per `keys`.
    pub fn key_indices(&self, argc: usize) -> Vec<usize> {
        let (first, last, step) = self.keys;
        if first <= 0 || step <= 0 {
            return Vec::new();
        }
        let last = if last < 0 { argc as i32 + last } else { last };
        (first..=last.min(argc as i32 - 1))
            .step_by(step as usize)
            .map(|i| i as usize)
            .collect()
    }
}

/// Redis's `addReplyHelp`, what a container's HELP subcommand answers: a
/// header naming the command as typed, the lines, and the HELP footer, as
/// status replies.
pub fn help_reply(command: &[u8], lines: &[&str]) -> Reply {
    let mut out = Vec::with_capacity(lines.len() + 3);
    out.push(Reply::Status(format!(
        "{} <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        String::from_utf8_lossy(command).to_ascii_uppercase()
    )));
    out.extend(lines.iter().map(|l| Reply::Status((*l).to_string())));
    out.push(Reply::Status("HELP".into()));
    out.push(Reply::Status("    Prints this help.".into()));
    Reply::Array(out)
}

/// Redis's `addReplySubcommandSyntaxError`, for a subcommand a container's
/// handler does not accept (the subcommand cut to 128 bytes).
pub fn subcommand_syntax_error(args: &[Vec<u8>]) -> Reply {
    let sub = args.get(1).map_or(&[][..], |a| &a[..a.len().min(128)]);
    let command = args.first().map_or(&[][..], Vec::as_slice);
    Reply::error(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        String::from_utf8_lossy(sub),
        String::from_utf8_lossy(command).to_ascii_uppercase()
    ))
}

/// Who is calling: a connection directly, or a script on its behalf.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Caller {
    Client,
    /// From `redis.call` inside EVAL/FCALL; `read_only` for `_RO` variants
    /// and `no-writes` functions.
    Script {
        read_only: bool,
    },
}

/// Everything a command may touch while it runs.
pub struct Ctx<'a> {
    pub db: &'a mut Keyspace,
    pub clients: &'a mut BTreeMap<ClientId, ClientState>,
    pub server: &'a mut ServerState,
    /// The calling connection.
    pub client_id: ClientId,
    pub now_ms: i64,
    pub caller: Caller,
    /// Simulated cost of this call in nanoseconds; commands add to it for
    /// the work they do (SLOWLOG and the simulator read it). See
    /// [`crate::cost`].
    pub cost_ns: u64,
}

impl Ctx<'_> {
    /// The calling connection's state.
    pub fn me(&mut self) -> &mut ClientState {
        self.clients
            .get_mut(&self.client_id)
            .expect("the calling client is registered for the duration of a call")
    }

    /// Charges simulated time for touching `elements` items (members
    /// scanned, bytes copied in kilobytes, ...): [`crate::cost::ELEMENT_NS`]
    /// each, on top of the command's base cost, so O(N) commands visibly
    /// take longer on big values.
    pub fn charge(&mut self, elements: usize) {
        self.cost_ns += elements as u64 * crate::cost::ELEMENT_NS;
    }

    /// Charges `ns` nanoseconds of work priced on its own in
    /// [`crate::cost`] (a new sorted-set member, a score formatted).
    pub fn charge_ns(&mut self, ns: u64) {
        self.cost_ns += ns;
    }

    /// Charges for `count` lookups or updates in a sorted structure of
    /// `size` elements: each walks the skiplist's O(log N) levels, so a
    /// ZADD into a million-member set costs more than into a small one.
    pub fn charge_log(&mut self, count: usize, size: usize) {
        self.charge(count * log_depth(size));
    }

    pub fn in_script(&self) -> bool {
        matches!(self.caller, Caller::Script { .. })
    }

    /// Makes database `index` the current one for this connection: `db`
    /// then points at it for the rest of this call and for its later
    /// commands (SELECT; EXEC after a queued SELECT). Returns false if out
    /// of range.
    pub fn select_db(&mut self, index: usize) -> bool {
        if !self.server.activate(self.db, index) {
            return false;
        }
        self.me().db = index;
        true
    }

    /// Number of databases (SELECT accepts 0..count).
    pub fn db_count(&self) -> usize {
        self.server.parked_dbs.len()
    }

    /// Database `index`, whether or not it is the current one (FLUSHALL,
    /// SWAPDB, MOVE, INFO keyspace).
    pub fn db_at(&mut self, index: usize) -> Option<&mut Keyspace> {
        if index == self.server.active_db {
            Some(&mut *self.db)
        } else {
            self.server.parked_dbs.get_mut(index)
        }
    }

    /// Whether a blocking command may actually block. Inside EXEC and in
    /// scripts it must not: Redis runs it as its non-blocking form (an
    /// empty or null reply at once), as `CLIENT_DENY_BLOCKING` does.
    pub fn may_block(&mut self) -> bool {
        !self.in_script() && !self.me().in_exec
    }
}

/// The levels a search walks in a sorted structure of `size` elements
/// (⌈log2(size + 1)⌉, at least 1).
pub fn log_depth(size: usize) -> usize {
    ((usize::BITS - size.leading_zeros()) as usize).max(1)
}

/// How many elements a value holds: what freeing it synchronously walks
/// (a string counts one per kilobyte, as copying one is charged).
pub fn element_count(value: &crate::value::Value) -> usize {
    use crate::value::Value;
    match value {
        Value::String(bytes) => 1 + bytes.len() / 1024,
        Value::List(items) => items.len(),
        Value::Hash(map) => map.len(),
        Value::Set(set) => set.len(),
        Value::ZSet(zset) => zset.len(),
        Value::Stream(stream) => stream.len() as usize,
    }
}
