//! SPOP, SRANDMEMBER and SSCAN (Redis's `t_set.c`).
//!
//! The picks come from the node's deterministic picker
//! ([`crate::commands::random::Picker`]); which members are picked differs
//! from a real server, everything else matches it: argument errors, reply
//! shapes (SPOP with a count answers a set in RESP3, SRANDMEMBER an
//! array), and the cases that are not random — a count at least the set's
//! size returns (and for SPOP removes) the whole set in its own order.

use crate::command::Ctx;
use crate::commands::collection_scan;
use crate::commands::random::{Picker, MAX_SAMPLES};
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::types::set::SetValue;

use super::{read_set, write_set};

/// SPOP key [count]: removes and returns random members; the key goes with
/// its last member.
pub fn spop(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match args.len() {
        2 => spop_one(ctx, &args[1]),
        3 => spop_count(ctx, args),
        _ => Reply::syntax_error(),
    }
}

fn spop_one(ctx: &mut Ctx, key: &[u8]) -> Reply {
    let mut picker = Picker::for_command(ctx);
    let (member, now_empty) = match write_set(ctx, key) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return Reply::Null,
        Ok(Some(set)) => {
            let Some(member) = set.nth(picker.below(set.len())) else {
                return Reply::Null;
            };
            set.remove(&member);
            (member, set.is_empty())
        }
    };
    finish_write(ctx, key, now_empty);
    Reply::Bulk(member)
}

fn spop_count(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let key = &args[1];
    // `getPositiveLongFromObjectOrReply`, before the key is looked up.
    let count = match parse_i64(&args[2]) {
        Some(n) if n >= 0 => n as u64,
        _ => return Reply::error("ERR value is out of range, must be positive"),
    };
    let mut picker = Picker::for_command(ctx);
    let (popped, now_empty) = match write_set(ctx, key) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return Reply::Set(Vec::new()),
        Ok(Some(_)) if count == 0 => return Reply::Set(Vec::new()),
        Ok(Some(set)) if count >= set.len() as u64 => (
            std::mem::take(set).iter().map(|m| m.into_owned()).collect(),
            true,
        ),
        Ok(Some(set)) => (pop_some(set, count as usize, &mut picker), false),
    };
    ctx.charge(popped.len());
    finish_write(ctx, key, now_empty);
    Reply::Set(popped.into_iter().map(Reply::Bulk).collect())
}

/// Removes `count` (fewer than all) random members. Like Redis, when most
/// of the set goes, the members that stay are picked instead and the
/// popped ones are replied in the set's own order.
fn pop_some(set: &mut SetValue, count: usize, picker: &mut Picker) -> Vec<Vec<u8>> {
    let remaining = set.len() - count;
    if remaining * 5 > count {
        let mut popped = Vec::with_capacity(count);
        for _ in 0..count {
            if let Some(member) = set.nth(picker.below(set.len())) {
                set.remove(&member);
                popped.push(member);
            }
        }
        return popped;
    }
    let mut kept: Option<SetValue> = None;
    for _ in 0..remaining {
        if let Some(member) = set.nth(picker.below(set.len())) {
            set.remove(&member);
            kept.get_or_insert_with(|| SetValue::for_first_member(&member))
                .insert(&member);
        }
    }
    let popped = set.iter().map(|m| m.into_owned()).collect();
    *set = kept.unwrap_or_default();
    popped
}

fn finish_write(ctx: &mut Ctx, key: &[u8], now_empty: bool) {
    if now_empty {
        ctx.db.remove(key);
    } else {
        ctx.db.signal_modified(key);
    }
}

/// SRANDMEMBER key [count]: random members without removing them; a
/// negative count may repeat members.
pub fn srandmember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut picker = Picker::for_command(ctx);
    if args.len() > 3 {
        return Reply::syntax_error();
    }
    if args.len() == 2 {
        return match read_set(ctx, &args[1]) {
            Err(wrong_type) => wrong_type,
            Ok(None) => Reply::Null,
            Ok(Some(set)) => set
                .nth(picker.below(set.len()))
                .map_or(Reply::Null, Reply::Bulk),
        };
    }
    // `getRangeLongFromObjectOrReply(-LONG_MAX, LONG_MAX)`.
    let count = match parse_i64(&args[2]) {
        None => return Reply::not_integer(),
        Some(i64::MIN) => {
            return Reply::error(
                "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
            )
        }
        Some(n) => n,
    };
    let set = match read_set(ctx, &args[1]) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return Reply::Array(Vec::new()),
        Ok(Some(set)) => set,
    };
    let size = set.len();
    let picked: Vec<Vec<u8>> = match count {
        0 => Vec::new(),
        n if n < 0 || n == 1 => {
            let wanted = n.unsigned_abs();
            if wanted > MAX_SAMPLES {
                return Reply::error(format!(
                    "ERR count is too large for the model (at most {MAX_SAMPLES} samples)"
                ));
            }
            (0..wanted)
                .filter_map(|_| set.nth(picker.below(size)))
                .collect()
        }
        n if n as u64 >= size as u64 => set.iter().map(|m| m.into_owned()).collect(),
        n => picker.distinct(
            size,
            n as usize,
            || set.iter().map(|m| m.into_owned()).collect(),
            |index| set.nth(index),
        ),
    };
    ctx.charge(picked.len());
    Reply::Array(picked.into_iter().map(Reply::Bulk).collect())
}

/// SSCAN key cursor [MATCH pattern] [COUNT count]: the whole set in one
/// call (see [`collection_scan`]).
pub fn sscan(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if let Err(error) = crate::commands::keys::scan::parse_cursor(&args[2]) {
        return error;
    }
    let set = match read_set(ctx, &args[1]) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return collection_scan::whole_reply(Vec::new()),
        Ok(Some(set)) => set,
    };
    let members: Vec<Vec<u8>> = set.iter().map(|m| m.into_owned()).collect();
    let pattern = match collection_scan::parse_options(args) {
        Err(error) => return error,
        Ok(pattern) => pattern,
    };
    ctx.charge(members.len());
    let items = members
        .into_iter()
        .filter(|m| collection_scan::matches(pattern.as_deref(), m))
        .map(Reply::Bulk)
        .collect();
    collection_scan::whole_reply(items)
}

#[cfg(test)]
mod tests {
    use crate::commands::test_session::{session, Session};

    /// The bulk strings of a flat RESP array, in order.
    fn bulks(resp: &str) -> Vec<String> {
        resp.split("\r\n")
            .skip(1)
            .collect::<Vec<_>>()
            .chunks(2)
            .filter(|c| c.len() == 2 && c[0].starts_with('$'))
            .map(|c| c[1].to_string())
            .collect()
    }

    #[test]
    fn spop_removes_what_it_returns() {
        let mut s = Session::new();
        s.run("SADD s a b c d e f g h");
        let popped = bulks(&s.run("SPOP s 3"));
        assert_eq!(popped.len(), 3);
        for member in &popped {
            assert_eq!(s.run(&format!("SISMEMBER s {member}")), ":0\r\n");
        }
        session!(s, "SCARD s" => ":5\r\n");
        let one = s.run("SPOP s");
        let member = one.split("\r\n").nth(1).unwrap_or_default().to_string();
        assert_eq!(s.run(&format!("SISMEMBER s {member}")), ":0\r\n");
        session!(s, "SCARD s" => ":4\r\n");
        // Popping at least everything replies the whole set in its order.
        let all = s.run("SMEMBERS s");
        session!(s, "SPOP s 10" => all.as_str(), "EXISTS s" => ":0\r\n");
    }

    #[test]
    fn spop_taking_most_of_a_set_keeps_the_rest_as_a_set() {
        let mut s = Session::new();
        s.run("SADD s 1 2 3 4 5 6 7 8 9 10 x");
        let popped = bulks(&s.run("SPOP s 10"));
        assert_eq!(popped.len(), 10);
        let rest = bulks(&s.run("SMEMBERS s"));
        assert_eq!(rest.len(), 1);
        assert!(!popped.contains(&rest[0]));
        session!(s,
            "SPOP s 5" => format!("*1\r\n${}\r\n{}\r\n", rest[0].len(), rest[0]).as_str(),
            "EXISTS s" => ":0\r\n",
        );
    }

    #[test]
    fn pop_all_replies_in_set_order_and_deletes() {
        let mut s = Session::new();
        session!(s,
            "SADD s 3 1 2" => ":3\r\n",
            "SPOP s 3" => "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n",
            "EXISTS s" => ":0\r\n",
            "SPOP s" => "$-1\r\n",
            "SPOP s 2" => "*0\r\n",
            "SPOP s -1" => "-ERR value is out of range, must be positive\r\n",
            "SPOP s x" => "-ERR value is out of range, must be positive\r\n",
            "SPOP s 1 2" => "-ERR syntax error\r\n",
        );
        s.resp3();
        session!(s, "SPOP s 2" => "~0\r\n");
    }

    #[test]
    fn srandmember_counts() {
        let mut s = Session::new();
        s.run("SADD s a b c d e f g h i j");
        let distinct = bulks(&s.run("SRANDMEMBER s 4"));
        let unique: std::collections::BTreeSet<_> = distinct.iter().collect();
        assert_eq!((distinct.len(), unique.len()), (4, 4));
        let many = bulks(&s.run("SRANDMEMBER s 9"));
        let unique: std::collections::BTreeSet<_> = many.iter().collect();
        assert_eq!(unique.len(), 9);
        let repeated = bulks(&s.run("SRANDMEMBER s -30"));
        assert_eq!(repeated.len(), 30);
        session!(s,
            "SCARD s" => ":10\r\n",
            "SRANDMEMBER s 0" => "*0\r\n",
            "SRANDMEMBER nokey 5" => "*0\r\n",
            "SRANDMEMBER nokey" => "$-1\r\n",
            "SRANDMEMBER s x" => "-ERR value is not an integer or out of range\r\n",
        );
        s.run("SADD ints 3 1 2");
        session!(s, "SRANDMEMBER ints 5" => "*3\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n");
    }

    #[test]
    fn successive_picks_differ() {
        let mut s = Session::new();
        s.run("SADD s a b c d e f g h i j k l m n o p");
        let picks: std::collections::BTreeSet<String> =
            (0..20).map(|_| s.run("SRANDMEMBER s")).collect();
        assert!(picks.len() > 3, "{picks:?}");
    }

    #[test]
    fn sscan_returns_the_whole_set() {
        let mut s = Session::new();
        s.run("SADD s 10 2 30");
        session!(s,
            "SSCAN s 0" => "*2\r\n$1\r\n0\r\n*3\r\n$1\r\n2\r\n$2\r\n10\r\n$2\r\n30\r\n",
            "SSCAN s 0 MATCH 1* COUNT 5" => "*2\r\n$1\r\n0\r\n*1\r\n$2\r\n10\r\n",
            "SSCAN s 0 COUNT 0" => "-ERR syntax error\r\n",
            "SSCAN s x" => "-ERR invalid cursor\r\n",
            "SSCAN nokey 0" => "*2\r\n$1\r\n0\r\n*0\r\n",
        );
    }
}
