//! What SSCAN and HSCAN share with ZSCAN: the `[MATCH pattern] [COUNT
//! count]` options and the reply.
//!
//! Redis returns a small (intset or listpack) collection whole in one call
//! with cursor 0, and walks a big one's hash table in random hash order a
//! few COUNT at a time. The model cannot reproduce that order, so it
//! returns every collection whole with cursor 0. COUNT is only a hint in
//! Redis too, and SCAN's guarantee (every element present for the whole
//! iteration is returned) holds.

use crate::glob::string_match;
use crate::numbers::parse_i64;
use crate::reply::Reply;

/// The MATCH pattern of the options from `args[3]` on (`None`: match
/// all), or the error Redis's `scanGenericCommand` gives.
pub fn parse_options(args: &[Vec<u8>]) -> Result<Option<Vec<u8>>, Reply> {
    let mut pattern = None;
    let mut i = 3;
    while i < args.len() {
        let has_value = i + 1 < args.len();
        if args[i].eq_ignore_ascii_case(b"count") && has_value {
            match parse_i64(&args[i + 1]) {
                None => return Err(Reply::not_integer()),
                Some(n) if n < 1 => return Err(Reply::syntax_error()),
                Some(_) => {}
            }
        } else if args[i].eq_ignore_ascii_case(b"match") && has_value {
            pattern = Some(args[i + 1].clone()).filter(|p| p.as_slice() != b"*");
        } else {
            return Err(Reply::syntax_error());
        }
        i += 2;
    }
    Ok(pattern)
}

/// Whether `element` passes the MATCH filter.
pub fn matches(pattern: Option<&[u8]>, element: &[u8]) -> bool {
    pattern.is_none_or(|p| string_match(p, element, false))
}

/// `[cursor 0, items]`: the whole collection in one call.
pub fn whole_reply(items: Vec<Reply>) -> Reply {
    Reply::Array(vec![Reply::bulk("0"), Reply::Array(items)])
}
