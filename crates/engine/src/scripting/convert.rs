//! Converting between Lua values and replies, both ways, as Redis 7 does
//! (`luaReplyToRedisReply` and `redisProtocolToLuaType`).
//!
//! A script's return value can nest as deep as the script likes, or refer to
//! itself (`local a = {}; a[1] = a; return a`). Redis walks it recursively on
//! the Lua stack and stops where the stack is full, replying
//! `-ERR reached lua stack limit` in place of the element that did not fit.
//! Here the walk is iterative (a deep reply must not overflow the Rust
//! stack of a connection thread or of the page) and counts the Lua stack
//! slots Redis's walk would hold, so the error appears at the same depth.

use lockstep_lua::mlua::{self, Lua, Table, Value};

use crate::numbers::format_g;
use crate::reply::Reply;

/// Lua 5.1's `LUAI_MAXCSTACK`: `lua_checkstack` refuses to grow a C
/// function's stack frame beyond this many slots.
const LUA_MAX_C_STACK: usize = 8000;

/// Slots `luaReplyToRedisReply` asks `lua_checkstack` for before each value.
const SLOTS_PER_CONVERSION: usize = 4;

/// Slots in use when Redis converts a script's return value: the error
/// handler `luaCallFunction` pushed and the value itself. Measured against
/// Redis 7.0: a self-referencing one-element array replies 7995 nested
/// `*1` before the error.
const SLOTS_AT_RETURN: usize = 2;

/// The reply Redis gives for the element that does not fit on the Lua stack.
pub const STACK_LIMIT_ERROR: &str = "ERR reached lua stack limit";

/// The protocol a script speaks to Redis (`redis.setresp`), which decides
/// how command replies look in Lua and how booleans are returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScriptResp {
    Two,
    Three,
}

/// C's `(long long)` cast of a double on x86-64: out of range and NaN give
/// `i64::MIN`, which is what Redis replies for `return 1/0`.
pub fn lua_number_to_integer(n: f64) -> i64 {
    if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&n) {
        n.trunc() as i64
    } else {
        i64::MIN
    }
}

/// Replaces CR and LF with spaces: status and error replies are one line.
fn one_line(text: &[u8]) -> String {
    String::from_utf8_lossy(text).replace(['\r', '\n'], " ")
}

fn field(table: &Table, name: &mlua::LuaString) -> Value {
    table.raw_get(name).unwrap_or(Value::Nil)
}

/// The field names Redis reads special tables by, made into Lua strings
/// once per reply rather than once per element.
struct FieldNames {
    err: mlua::LuaString,
    ok: mlua::LuaString,
    double: mlua::LuaString,
    big_number: mlua::LuaString,
    verbatim_string: mlua::LuaString,
    format: mlua::LuaString,
    string: mlua::LuaString,
    map: mlua::LuaString,
    set: mlua::LuaString,
}

impl FieldNames {
    fn new(lua: &Lua) -> mlua::Result<FieldNames> {
        Ok(FieldNames {
            err: lua.create_string("err")?,
            ok: lua.create_string("ok")?,
            double: lua.create_string("double")?,
            big_number: lua.create_string("big_number")?,
            verbatim_string: lua.create_string("verbatim_string")?,
            format: lua.create_string("format")?,
            string: lua.create_string("string")?,
            map: lua.create_string("map")?,
            set: lua.create_string("set")?,
        })
    }
}

/// Most elements one script reply may have. A table that refers to itself
/// more than once (`a[1] = a; a[2] = a`), or shares its tables level after
/// level, unfolds into exponentially many elements; Redis would spend
/// forever building that reply and answer nobody meanwhile. A quarter of
/// a million is far beyond what a lesson or a test returns, and refusing
/// takes a fraction of a second instead of forever.
pub const MAX_REPLY_ELEMENTS: usize = 1 << 18;

/// A script's return value as the reply its caller gets. Fails only when
/// the Lua heap has no room for the walk's bookkeeping.
pub fn lua_to_reply(lua: &Lua, value: &Value, resp: ScriptResp) -> mlua::Result<Reply> {
    // Most scripts return a number, a string or nil: no walk to set up.
    if let Some(reply) = scalar_reply(value, resp) {
        return Ok(reply);
    }
    let mut walk = Walk {
        resp,
        elements: 0,
        path: lua.create_table()?,
        names: FieldNames::new(lua)?,
        lua,
        open: Vec::new(),
    };
    walk.run(value.clone(), SLOTS_AT_RETURN)
}

/// The iterative form of Redis's recursive walk. `open` holds the tables
/// being converted, innermost last; the Lua values each one still has to
/// convert live in the Lua table `path` at the same position (mlua can
/// only hold a few thousand values from Rust at once, fewer than a reply
/// may nest).
struct Walk<'l> {
    lua: &'l Lua,
    resp: ScriptResp,
    elements: usize,
    path: Table,
    names: FieldNames,
    open: Vec<OpenTable>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    /// Elements `t[1]`, `t[2]`, ... up to the first nil.
    Array,
    /// `{map = {...}}`: keys and values, listed as `k1, v1, k2, v2, ...`.
    Map,
    /// `{set = {...}}`: the keys, listed.
    Set,
}

/// A table being converted: what it becomes and how far it got.
struct OpenTable {
    aggregate: Aggregate,
    /// 1-based position of the next element in its list in `path`.
    next: usize,
    /// How many elements a map's or set's list has; arrays end at a nil.
    len: Option<usize>,
    items: Vec<Reply>,
    pairs: Vec<(Reply, Reply)>,
    key: Option<Reply>,
    /// Lua stack slots Redis's walk holds with this table on top.
    slots: usize,
}

impl OpenTable {
    /// Stack slots in use while element `index` (1-based) is converted, as
    /// `luaReplyToRedisReply` pushes them: an array element sits on its
    /// table; a map key copy on (map, key, value); a map value on (map,
    /// key); a set member copy on (set, member).
    fn slots_for(&self, index: usize) -> usize {
        match self.aggregate {
            Aggregate::Array => self.slots + 1,
            Aggregate::Map if index % 2 == 1 => self.slots + 4,
            Aggregate::Map | Aggregate::Set => self.slots + 3,
        }
    }

    fn accept(&mut self, reply: Reply) {
        match self.aggregate {
            Aggregate::Array | Aggregate::Set => self.items.push(reply),
            Aggregate::Map => match self.key.take() {
                Some(k) => self.pairs.push((k, reply)),
                None => self.key = Some(reply),
            },
        }
    }

    fn into_reply(self) -> Reply {
        match self.aggregate {
            Aggregate::Array => Reply::Array(self.items),
            Aggregate::Map => Reply::Map(self.pairs),
            Aggregate::Set => Reply::Set(self.items),
        }
    }
}

impl Walk<'_> {
    fn run(&mut self, value: Value, slots: usize) -> mlua::Result<Reply> {
        let mut child = Some((value, slots));
        let mut done: Option<Reply> = None;
        loop {
            if let Some((value, slots)) = child.take() {
                self.elements += 1;
                if self.elements > MAX_REPLY_ELEMENTS {
                    return Ok(Reply::error(format!(
                        "ERR the script's reply has more than {MAX_REPLY_ELEMENTS} elements: a \
                         table that refers to itself more than once unfolds without end"
                    )));
                }
                if let Some(reply) = self.begin(value, slots)? {
                    done = Some(reply);
                }
            }
            let depth = self.open.len();
            let Some(top) = self.open.last_mut() else {
                return Ok(done.unwrap_or(Reply::Null));
            };
            if let Some(reply) = done.take() {
                top.accept(reply);
            }
            let list: Table = self.path.raw_get(depth)?;
            let next: Value = match top.len {
                Some(len) if top.next > len => Value::Nil,
                _ => list.raw_get(top.next)?,
            };
            if next.is_nil() {
                self.path.raw_set(depth, Value::Nil)?;
                done = self.open.pop().map(OpenTable::into_reply);
            } else {
                child = Some((next, top.slots_for(top.next)));
                top.next += 1;
            }
        }
    }

    /// A value's reply when it has no elements to walk; otherwise opens it.
    fn begin(&mut self, value: Value, slots: usize) -> mlua::Result<Option<Reply>> {
        if slots + SLOTS_PER_CONVERSION > LUA_MAX_C_STACK {
            return Ok(Some(Reply::error(STACK_LIMIT_ERROR)));
        }
        let Value::Table(t) = value else {
            return Ok(scalar_reply(&value, self.resp));
        };
        match special_table(&t, &self.names) {
            Some(reply) => Ok(Some(reply)),
            None => {
                self.open_table(t, slots)?;
                Ok(None)
            }
        }
    }

    /// Opens a map (`{map = {...}}`), a set (`{set = {...}}`) or an array,
    /// in Redis's order of precedence.
    fn open_table(&mut self, table: Table, slots: usize) -> mlua::Result<()> {
        let (aggregate, list, len) = if let Value::Table(map) = field(&table, &self.names.map) {
            let list = self.lua.create_table()?;
            let mut len = 0;
            for pair in map.pairs::<Value, Value>() {
                let (k, v) = pair?;
                list.raw_set(len + 1, k)?;
                list.raw_set(len + 2, v)?;
                len += 2;
            }
            (Aggregate::Map, list, Some(len))
        } else if let Value::Table(set) = field(&table, &self.names.set) {
            let list = self.lua.create_table()?;
            let mut len = 0;
            for pair in set.pairs::<Value, Value>() {
                let (k, _) = pair?;
                len += 1;
                list.raw_set(len, k)?;
            }
            (Aggregate::Set, list, Some(len))
        } else {
            (Aggregate::Array, table, None)
        };
        self.path.raw_set(self.open.len() + 1, list)?;
        self.open.push(OpenTable {
            aggregate,
            next: 1,
            len,
            items: Vec::new(),
            pairs: Vec::new(),
            key: None,
            slots,
        });
        Ok(())
    }
}

/// The reply of any value but a table (`None` for a table).
fn scalar_reply(value: &Value, resp: ScriptResp) -> Option<Reply> {
    Some(match value {
        Value::String(s) => Reply::Bulk(s.as_bytes().to_vec()),
        Value::Boolean(b) => match (resp, b) {
            (ScriptResp::Three, _) => Reply::Bool(*b),
            (ScriptResp::Two, true) => Reply::Integer(1),
            (ScriptResp::Two, false) => Reply::Null,
        },
        // mlua's Integer is i32 on wasm32 and i64 natively.
        #[allow(clippy::useless_conversion)]
        Value::Integer(i) => Reply::Integer(i64::from(*i)),
        Value::Number(n) => Reply::Integer(lua_number_to_integer(*n)),
        Value::Table(_) => return None,
        _ => Reply::Null,
    })
}

/// The reply of a table Redis reads by its fields (`err`, `ok`, `double`,
/// `big_number`, `verbatim_string`), or `None` for an aggregate.
fn special_table(table: &Table, names: &FieldNames) -> Option<Reply> {
    if let Value::String(e) = field(table, &names.err) {
        return Some(Reply::Error(one_line(&e.as_bytes())));
    }
    if let Value::String(ok) = field(table, &names.ok) {
        return Some(Reply::Status(one_line(&ok.as_bytes())));
    }
    match field(table, &names.double) {
        Value::Number(d) => return Some(Reply::Double(d)),
        Value::Integer(i) => return Some(Reply::Double(i as f64)),
        _ => {}
    }
    if let Value::String(n) = field(table, &names.big_number) {
        return Some(Reply::BigNumber(one_line(&n.as_bytes())));
    }
    if let Value::Table(v) = field(table, &names.verbatim_string) {
        if let (Value::String(_), Value::String(s)) =
            (field(&v, &names.format), field(&v, &names.string))
        {
            return Some(Reply::Verbatim(
                String::from_utf8_lossy(&s.as_bytes()).into_owned(),
            ));
        }
    }
    None
}

/// A command's reply as the script sees it from `redis.call`.
pub fn reply_to_lua(lua: &Lua, reply: &Reply, resp: ScriptResp) -> mlua::Result<Value> {
    let three = resp == ScriptResp::Three;
    Ok(match reply {
        Reply::Status(s) => single_field(lua, "ok", Value::String(lua.create_string(s)?))?,
        Reply::Error(e) => command_error_table(lua, e)?,
        Reply::Integer(n) => Value::Number(*n as f64),
        Reply::Bulk(b) => Value::String(lua.create_string(b)?),
        Reply::Null | Reply::NullArray if three => Value::Nil,
        Reply::Null | Reply::NullArray => Value::Boolean(false),
        Reply::Array(items) | Reply::Push(items) | Reply::Many(items) => {
            sequence(lua, items.iter().map(|r| reply_to_lua(lua, r, resp)))?
        }
        Reply::Set(items) if three => {
            let set = lua.create_table()?;
            for item in items {
                set.raw_set(reply_to_lua(lua, item, resp)?, true)?;
            }
            single_field(lua, "set", Value::Table(set))?
        }
        Reply::Set(items) => sequence(lua, items.iter().map(|r| reply_to_lua(lua, r, resp)))?,
        Reply::Map(pairs) if three => {
            let map = lua.create_table()?;
            for (k, v) in pairs {
                map.raw_set(reply_to_lua(lua, k, resp)?, reply_to_lua(lua, v, resp)?)?;
            }
            single_field(lua, "map", Value::Table(map))?
        }
        Reply::Map(pairs) => sequence(
            lua,
            pairs
                .iter()
                .flat_map(|(k, v)| [k, v])
                .map(|r| reply_to_lua(lua, r, resp)),
        )?,
        Reply::Double(d) if three => single_field(lua, "double", Value::Number(*d))?,
        Reply::Double(d) => Value::String(lua.create_string(format_g(*d, 17))?),
        Reply::Bool(b) if three => Value::Boolean(*b),
        Reply::Bool(b) => Value::Number(if *b { 1.0 } else { 0.0 }),
        Reply::Verbatim(text) if three => {
            let v = lua.create_table()?;
            v.raw_set("format", "txt")?;
            v.raw_set("string", lua.create_string(text)?)?;
            single_field(lua, "verbatim_string", Value::Table(v))?
        }
        Reply::Verbatim(text) => Value::String(lua.create_string(text)?),
        Reply::BigNumber(digits) if three => {
            single_field(lua, "big_number", Value::String(lua.create_string(digits)?))?
        }
        Reply::BigNumber(digits) => Value::String(lua.create_string(digits)?),
        // Attributes are not shown to scripts, as in Redis 7.0.
        Reply::Attributed { reply, .. } => reply_to_lua(lua, reply, resp)?,
    })
}

fn single_field(lua: &Lua, name: &str, value: Value) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    t.raw_set(name, value)?;
    Ok(Value::Table(t))
}

fn sequence(lua: &Lua, items: impl Iterator<Item = mlua::Result<Value>>) -> mlua::Result<Value> {
    let t = lua.create_table()?;
    for (i, item) in items.enumerate() {
        t.raw_set(i + 1, item?)?;
    }
    Ok(Value::Table(t))
}

/// `luaPushError` for a command's error reply: `{err = "CODE message"}`.
pub fn error_table(lua: &Lua, text: &str) -> mlua::Result<Value> {
    let text = text.trim_matches(['\r', '\n']);
    let full = match text.split_once(' ') {
        Some(_) => text.to_string(),
        None => format!("ERR {text}"),
    };
    single_field(lua, "err", Value::String(lua.create_string(full)?))
}

/// The field Redis adds to the error table of a command's error reply
/// (and of a command the script may not run): the error was counted in
/// INFO errorstats when the command failed, so if the script passes it on
/// as its own reply it is not counted again. Scripts can see the field.
pub const ALREADY_COUNTED_FIELD: &str = "ignore_error_stats_update";

/// The error table of a command's error reply, marked as already counted.
pub fn command_error_table(lua: &Lua, text: &str) -> mlua::Result<Value> {
    let value = error_table(lua, text)?;
    if let Value::Table(t) = &value {
        t.raw_set(ALREADY_COUNTED_FIELD, true)?;
    }
    Ok(value)
}

/// Whether a script's result (returned or raised) is an error table that
/// was counted when its command failed.
pub fn is_counted_error(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Table(t)) => {
            matches!(t.raw_get::<Value>("err"), Ok(Value::String(_)))
                && matches!(
                    t.raw_get::<Value>(ALREADY_COUNTED_FIELD),
                    Ok(Value::Boolean(true))
                )
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_range_numbers_become_the_smallest_integer() {
        assert_eq!(lua_number_to_integer(f64::INFINITY), i64::MIN);
        assert_eq!(lua_number_to_integer(f64::NAN), i64::MIN);
        assert_eq!(lua_number_to_integer(-3.7), -3);
        assert_eq!(lua_number_to_integer(3.7), 3);
    }
}
