//! ZRANDMEMBER key [count [WITHSCORES]].
//!
//! Redis picks at random. The model must stay deterministic, so its picks
//! come from a generator seeded with the number of commands the node has
//! processed (different from call to call, identical across runs), as
//! RANDOMKEY does. Everything that is not random matches Redis: argument
//! errors, reply shapes, and a positive count at least the set's size,
//! which returns the whole set from the highest score down.

use crate::command::Ctx;
use crate::commands::random::{Picker, MAX_SAMPLES};
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::types::zset::SortedSet;

use super::{lookup, resp3, with_scores_reply};

pub fn zrandmember(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut picker = Picker::for_command(ctx);
    if args.len() == 2 {
        return match lookup(ctx, &args[1]) {
            Err(wrong_type) => wrong_type,
            Ok(None) => Reply::Null,
            Ok(Some(zset)) => {
                let index = picker.below(zset.len());
                zset.iter_from_rank(index, false)
                    .next()
                    .map_or(Reply::Null, |(m, _)| Reply::bulk(m))
            }
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
    let with_scores = match args.len() {
        3 => false,
        4 if args[3].eq_ignore_ascii_case(b"withscores") => true,
        _ => return Reply::syntax_error(),
    };
    if with_scores && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Reply::error("ERR value is out of range");
    }
    let pairs = with_scores && resp3(ctx);
    let zset = match lookup(ctx, &args[1]) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return Reply::Array(Vec::new()),
        Ok(Some(zset)) => zset,
    };
    let picked = match count {
        0 => Vec::new(),
        n if n < 0 || n == 1 => {
            let wanted = n.unsigned_abs();
            if wanted > MAX_SAMPLES {
                return Reply::error(format!(
                    "ERR count is too large for the model (at most {MAX_SAMPLES} samples)"
                ));
            }
            (0..wanted)
                .map(|_| at(zset, picker.below(zset.len())))
                .collect()
        }
        // Redis's set iterator (`zuiNext`) walks from the highest score down.
        n if n as u64 >= zset.len() as u64 => zset
            .iter_from_rank(0, true)
            .map(|(m, s)| (m.to_vec(), s))
            .collect(),
        n => picker.distinct(
            zset.len(),
            n as usize,
            || zset.iter().map(|(m, s)| (m.to_vec(), s)).collect(),
            |index| Some(at(zset, index)),
        ),
    };
    ctx.charge(picked.len());
    if with_scores {
        with_scores_reply(picked, pairs)
    } else {
        Reply::Array(picked.into_iter().map(|(m, _)| Reply::Bulk(m)).collect())
    }
}

fn at(zset: &SortedSet, index: usize) -> (Vec<u8>, f64) {
    zset.iter_from_rank(index, false)
        .next()
        .map_or((Vec::new(), 0.0), |(m, s)| (m.to_vec(), s))
}
