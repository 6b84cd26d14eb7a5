//! KEYS and SCAN.
//!
//! Redis walks its hash table in bucket order, which is random from run to
//! run; the model walks keys in the keyspace's fixed-hash order (see
//! [`crate::keyspace`]). So the order of keys, and SCAN's cursor values,
//! differ from a real server, while the guarantees are the same: KEYS
//! returns every live match, and a full SCAN returns every key that was
//! present for the whole iteration.

use crate::command::Ctx;
use crate::numbers::parse_i64;
use crate::reply::Reply;

use super::option_is;
use super::pattern::string_match;

/// KEYS pattern: every live key matching the glob, skipping keys whose TTL
/// has passed without removing them (as Redis's `keyIsExpired` check).
pub fn keys(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let pattern = &args[1];
    let all = pattern.as_slice() == b"*";
    let now = ctx.now_ms;
    let matches: Vec<Reply> = ctx
        .db
        .iter()
        .filter(|(_, e)| e.expire_at_ms.is_none_or(|t| t >= now))
        .filter(|(k, _)| all || string_match(pattern, k, false))
        .map(|(k, _)| Reply::Bulk(k.clone()))
        .collect();
    let visited = ctx.db.len();
    ctx.charge(visited);
    Reply::Array(matches)
}

/// Parses a SCAN cursor as Redis's `parseScanCursorOrReply` does with
/// `strtoul`: decimal digits with an optional sign (a leading `-` wraps
/// around), an empty string is 0, leading spaces and overflow are refused.
pub fn parse_cursor(arg: &[u8]) -> Result<u64, Reply> {
    let invalid = || Reply::error("ERR invalid cursor");
    // strtoul reads a C string: parsing stops at a NUL byte.
    let s = arg.split(|&b| b == 0).next().unwrap_or_default();
    if s.first()
        .is_some_and(|b| b.is_ascii_whitespace() || *b == 0x0b)
    {
        return Err(invalid());
    }
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() {
        // No conversion: strtoul leaves the end pointer at the start, which
        // is only accepted when the string is empty.
        return if s.is_empty() { Ok(0) } else { Err(invalid()) };
    }
    let mut value: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return Err(invalid());
        }
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(u64::from(d - b'0')))
            .ok_or_else(invalid)?;
    }
    Ok(if negative {
        value.wrapping_neg()
    } else {
        value
    })
}

/// SCAN cursor [MATCH pattern] [COUNT count] [TYPE type]: one step of an
/// iteration, as `[next-cursor, [keys...]]`. COUNT keys are visited, then
/// filtered by pattern, type and expiry, as in Redis.
pub fn scan(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let cursor = match parse_cursor(&args[1]) {
        Ok(c) => c,
        Err(reply) => return reply,
    };
    let mut count: i64 = 10;
    let mut pattern: Option<&[u8]> = None;
    let mut type_name: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if option_is(&args[i], "count") && has_value {
            let Some(n) = parse_i64(&args[i + 1]) else {
                return Reply::not_integer();
            };
            if n < 1 {
                return Reply::syntax_error();
            }
            count = n;
        } else if option_is(&args[i], "match") && has_value {
            let p = args[i + 1].as_slice();
            pattern = (p != b"*").then_some(p);
        } else if option_is(&args[i], "type") && has_value {
            type_name = Some(args[i + 1].as_slice());
        } else {
            return Reply::syntax_error();
        }
        i += 2;
    }
    let count = usize::try_from(count).unwrap_or(usize::MAX);
    let (next, visited) = ctx.db.scan(cursor, count);
    ctx.charge(visited.len());
    let now = ctx.now_ms;
    let mut keys = Vec::new();
    for key in visited {
        if pattern.is_some_and(|p| !string_match(p, &key, false)) {
            continue;
        }
        if let Some(wanted) = type_name {
            let actual = ctx
                .db
                .get(&key, now)
                .map_or("none", |e| e.value.type_name());
            if !option_is(wanted, actual) {
                continue;
            }
        }
        if ctx.db.expire_if_needed(&key, now) {
            continue;
        }
        keys.push(Reply::Bulk(key));
    }
    Reply::Array(vec![
        Reply::Bulk(next.to_string().into_bytes()),
        Reply::Array(keys),
    ])
}
