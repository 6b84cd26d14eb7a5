//! Converting between Lua values and replies, both ways, as Redis 7 does
//! (`luaReplyToRedisReply` and `redisProtocolToLuaType`).

use lockstep_lua::mlua::{self, Lua, Table, Value};

use crate::numbers::format_g;
use crate::reply::Reply;

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

fn field(table: &Table, name: &str) -> Value {
    table.raw_get(name).unwrap_or(Value::Nil)
}

/// A script's return value (or an element of it) as a reply.
pub fn lua_to_reply(value: &Value, resp: ScriptResp) -> Reply {
    match value {
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
        Value::Table(t) => table_to_reply(t, resp),
        _ => Reply::Null,
    }
}

fn table_to_reply(table: &Table, resp: ScriptResp) -> Reply {
    if let Value::String(e) = field(table, "err") {
        return Reply::Error(one_line(&e.as_bytes()));
    }
    if let Value::String(ok) = field(table, "ok") {
        return Reply::Status(one_line(&ok.as_bytes()));
    }
    match field(table, "double") {
        Value::Number(d) => return Reply::Double(d),
        Value::Integer(i) => return Reply::Double(i as f64),
        _ => {}
    }
    if let Value::Table(v) = field(table, "verbatim_string") {
        if let (Value::String(_), Value::String(s)) = (field(&v, "format"), field(&v, "string")) {
            return Reply::Verbatim(String::from_utf8_lossy(&s.as_bytes()).into_owned());
        }
    }
    if let Value::Table(map) = field(table, "map") {
        let pairs = map
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, v)| (lua_to_reply(&k, resp), lua_to_reply(&v, resp)))
            .collect();
        return Reply::Map(pairs);
    }
    if let Value::Table(set) = field(table, "set") {
        let members = set
            .pairs::<Value, Value>()
            .filter_map(Result::ok)
            .map(|(k, _)| lua_to_reply(&k, resp))
            .collect();
        return Reply::Set(members);
    }
    let mut items = Vec::new();
    for i in 1.. {
        let v: Value = table.raw_get(i).unwrap_or(Value::Nil);
        if v.is_nil() {
            break;
        }
        items.push(lua_to_reply(&v, resp));
    }
    Reply::Array(items)
}

/// A command's reply as the script sees it from `redis.call`.
pub fn reply_to_lua(lua: &Lua, reply: &Reply, resp: ScriptResp) -> mlua::Result<Value> {
    let three = resp == ScriptResp::Three;
    Ok(match reply {
        Reply::Status(s) => single_field(lua, "ok", Value::String(lua.create_string(s)?))?,
        Reply::Error(e) => error_table(lua, e)?,
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
