//! The cost model: how long commands and scripts keep a node busy, in
//! simulated time.
//!
//! The engine has no clock of its own; every command adds to its context's
//! cost (in nanoseconds), and the host — the simulator, `lockstep serve` —
//! keeps the node busy that long. The figures below are calibrated against
//! redis-server 7.0's CPU time on a fixed set of commands and scripts
//! (`calibration/redis-7.0.json`, checked by `tests/calibration.rs`, method
//! and table in `COSTS.md`): every case of that set lands within ±30% of
//! Redis's figure. Keep it that way when changing a number here.
//!
//! The model, whole:
//! - a command costs [`COMMAND_NS`], [`WRITE_NS`] more if it writes, and
//!   [`ELEMENT_NS`] per element it walks or returns ([`crate::Ctx::charge`]);
//! - a script costs [`INSTRUCTION_PS`] per Lua VM instruction, the cost of
//!   Lua library C function it calls ([`C_FUNCTION_NS`]), and the commands
//!   it calls, each with [`SCRIPT_CALL_NS`], [`NUMBER_ARGUMENT_NS`] per
//!   argument given as a number, [`STATUS_REPLY_NS`] for a status reply and
//!   [`SCRIPT_REPLY_ELEMENT_NS`] per element of an array reply; the Lua part
//!   is divided by the node's script speed ([`ScriptSpeed`]).
//!
//! What it leaves out (so a script that leans on it is charged too little):
//! `..` with a number formats it like `tostring` but is one instruction;
//! `#t` on a table that has just grown is a binary search; Redis pays cache
//! misses when a script touches thousands of distinct keys, and about
//! 0.13 µs for each argument of EVAL.

pub use lockstep_lua::CallCost;

/// Every command: looking it up, running it, writing a small reply (Redis
/// spends 0.3 µs on a GET in a pipeline).
pub const COMMAND_NS: u64 = 300;

/// More for a command flagged as a write (a SET costs Redis 0.37 µs, an
/// INCR 0.31 µs).
pub const WRITE_NS: u64 = 60;

/// Each element a command walks or returns (an LRANGE of 10k elements costs
/// Redis about 40 ns per element).
pub const ELEMENT_NS: u64 = 40;

/// Each key MSET (MSETNX) sets, beyond walking its pair: a key and a value
/// stored (Redis: an MSET of 1,000 new keys, 0.19 µs a key).
pub const KEY_SET_NS: u64 = 150;

/// A member a ZADD adds to a sorted set: a skiplist node and a dict entry
/// allocated (Redis: ZADD of 100 new members, 0.83 µs a member).
pub const NEW_MEMBER_NS: u64 = 500;

/// A score formatted into a reply (`WITHSCORES`: Redis prints it with
/// `%.17g`, about three times the cost of walking the member).
pub const SCORE_NS: u64 = 120;

/// One Lua VM instruction, in picoseconds. Instructions differ (an empty
/// loop's FORLOOP costs Redis 3 ns, an arithmetic loop's MUL and ADD under
/// 2 ns): this is their middle.
pub const INSTRUCTION_PS: u64 = 2_150;

/// What a call to one of Lua's C library functions costs: one VM
/// instruction calls it, but it may format a number, build a string or grow
/// a table. `per_unit_ps` is for each element of the first argument (a
/// table's array part, a string's bytes). Paths are globals as scripts see
/// them. Library functions not listed, and host functions (the bindings
/// behind `redis.*`, read-only table guards), cost nothing of their own:
/// `redis.call`'s work is [`SCRIPT_CALL_NS`].
pub const C_FUNCTION_NS: &[(&str, CallCost)] = &[
    ("tostring", cost(300)),
    ("tonumber", cost(60)),
    ("string.format", cost(180)),
    ("string.sub", cost(40)),
    ("string.byte", cost(30)),
    ("string.char", cost(40)),
    ("string.len", cost(20)),
    ("string.lower", cost(60)),
    ("string.upper", cost(60)),
    ("string.rep", cost(100)),
    ("string.find", cost(150)),
    ("string.match", cost(200)),
    ("string.gmatch", cost(150)),
    ("string.gsub", cost(300)),
    ("table.insert", cost(64)),
    ("table.remove", cost(40)),
    (
        "table.concat",
        CallCost {
            fixed: 100,
            per_unit_ps: 40_000,
        },
    ),
    ("table.sort", cost(300)),
    ("type", cost(20)),
    ("select", cost(20)),
    ("ipairs", cost(30)),
    ("pairs", cost(30)),
    ("next", cost(30)),
    ("unpack", cost(40)),
    ("math.floor", cost(20)),
    ("math.random", cost(40)),
];

const fn cost(fixed: u64) -> CallCost {
    CallCost {
        fixed,
        per_unit_ps: 0,
    }
}

/// What any other C function costs (see [`C_FUNCTION_NS`]).
pub const C_CALL_NS: u64 = 0;

/// `redis.call` / `redis.pcall`'s own work on top of the command: turning
/// Lua values into arguments and the reply into Lua values (Redis: 10k GET
/// from a script, 0.33 µs each, about a pipelined GET's cost).
pub const SCRIPT_CALL_NS: u64 = 20;

/// Each argument of `redis.call` given as a Lua number: Redis formats it
/// with `%.17g` (about what `tostring` costs).
pub const NUMBER_ARGUMENT_NS: u64 = 250;

/// A status reply (`OK`) a script receives: Redis makes it a table
/// `{ok = "OK"}` (10k SETs of one key from a script cost Redis 0.52 µs
/// each, 10k INCRs 0.34 µs).
pub const STATUS_REPLY_NS: u64 = 150;

/// Each element of a reply a script receives, made into a Lua value.
pub const SCRIPT_REPLY_ELEMENT_NS: u64 = 15;

/// How fast a node runs scripts, as a fraction of normal speed: `0.01`
/// runs the Lua part of every script (instructions and C function calls,
/// not the commands it calls) a hundred times slower. A scenario declares
/// a slow node this way when a story needs a script that blocks for
/// seconds without running billions of instructions.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScriptSpeed(f64);

impl ScriptSpeed {
    pub const NORMAL: ScriptSpeed = ScriptSpeed(1.0);

    /// A speed in (0, 1000]; anything else is refused with the reason.
    pub fn new(speed: f64) -> Result<ScriptSpeed, String> {
        if speed.is_finite() && speed > 0.0 && speed <= 1000.0 {
            Ok(ScriptSpeed(speed))
        } else {
            Err(format!(
                "script_speed must be a number above 0 and at most 1000 (1 is normal speed), not {speed}"
            ))
        }
    }

    pub fn get(self) -> f64 {
        self.0
    }

    pub fn is_normal(self) -> bool {
        self.0 == 1.0
    }
}

impl Default for ScriptSpeed {
    fn default() -> Self {
        ScriptSpeed::NORMAL
    }
}

/// The Lua part of a script's cost in nanoseconds: `instructions` VM
/// instructions and C function calls costing `c_call_ns` in all, at `speed`.
pub fn lua_ns(instructions: u64, c_call_ns: u64, speed: ScriptSpeed) -> u64 {
    let normal = instructions * INSTRUCTION_PS / 1000 + c_call_ns;
    if speed.is_normal() {
        normal
    } else {
        (normal as f64 / speed.0).round() as u64
    }
}

/// Nanoseconds as the whole microseconds a host waits: rounded up, so any
/// command keeps its node busy for at least a microsecond.
pub fn whole_micros(ns: u64) -> u64 {
    ns.div_ceil(1000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slower_node_takes_proportionally_longer() {
        let normal = lua_ns(1_000_000, 50_000, ScriptSpeed::NORMAL);
        assert_eq!(normal, 1_000_000 * INSTRUCTION_PS / 1000 + 50_000);
        let slow = lua_ns(1_000_000, 50_000, ScriptSpeed::new(0.01).unwrap());
        assert_eq!(slow, normal * 100);
    }

    #[test]
    fn a_speed_must_be_positive_and_finite() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e6] {
            assert!(ScriptSpeed::new(bad).is_err(), "{bad}");
        }
        assert!(ScriptSpeed::new(0.5).is_ok());
    }
}
