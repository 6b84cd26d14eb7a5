//! ZSCAN key cursor [MATCH pattern] [COUNT count].
//!
//! A small (listpack) set is returned whole in one call with cursor 0, as
//! Redis does, scores spelled as the listpack stores them (`d2string`:
//! integers without exponent, so 1e17 is "100000000000000000"). Redis walks
//! a big set's hash table in random hash order, a few COUNT at a time; we
//! cannot reproduce that order, so a big set is also returned whole, in
//! score order, with scores as `%.17Lg` prints them. COUNT is a hint in
//! Redis too, and the SCAN guarantees (every member present throughout is
//! returned) hold.

use crate::command::Ctx;
use crate::commands::keys::scan::parse_cursor;
use crate::glob::string_match;
use crate::numbers::{format_g, parse_i64};
use crate::reply::Reply;

use super::lookup;

pub fn zscan(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if let Err(error) = parse_cursor(&args[2]) {
        return error;
    }
    // Redis looks the key up before it reads the options.
    let zset = match lookup(ctx, &args[1]) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return Reply::Array(vec![Reply::bulk("0"), Reply::Array(Vec::new())]),
        Ok(Some(zset)) => zset,
    };
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if args[i].eq_ignore_ascii_case(b"count") && has_value {
            match parse_i64(&args[i + 1]) {
                None => return Reply::not_integer(),
                Some(n) if n < 1 => return Reply::syntax_error(),
                Some(_) => {}
            }
        } else if args[i].eq_ignore_ascii_case(b"match") && has_value {
            pattern = Some(args[i + 1].as_slice()).filter(|p| *p != b"*");
        } else {
            return Reply::syntax_error();
        }
        i += 2;
    }
    let listpack = zset.encoding() == "listpack";
    let mut items = Vec::new();
    for (member, score) in zset.iter() {
        if pattern.is_some_and(|p| !string_match(p, member, false)) {
            continue;
        }
        let score = if listpack {
            listpack_score_text(score)
        } else {
            format_g(score, 17)
        };
        items.push(Reply::Bulk(member.to_vec()));
        items.push(Reply::Bulk(score.into_bytes()));
    }
    let visited = zset.len();
    ctx.charge(visited);
    Reply::Array(vec![Reply::bulk("0"), Reply::Array(items)])
}

/// How a listpack holds a score (`zzlInsertAt`): an integer when the double
/// is integral and within ±LLONG_MAX/2 (`double2ll`; -0 becomes 0), else
/// Redis's `d2string` text (`%.17g`, `inf`, `-inf`).
fn listpack_score_text(score: f64) -> String {
    const HALF_LLONG_MAX: f64 = (i64::MAX / 2) as f64;
    if (-HALF_LLONG_MAX..=HALF_LLONG_MAX).contains(&score) && score.fract() == 0.0 {
        return (score as i64).to_string();
    }
    format_g(score, 17)
}
