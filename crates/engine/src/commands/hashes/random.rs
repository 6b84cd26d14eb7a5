//! HRANDFIELD and HSCAN (Redis's `t_hash.c`).
//!
//! HRANDFIELD's picks come from the node's deterministic picker
//! ([`crate::commands::random::Picker`]); which fields are picked differs
//! from a real server, everything else matches it: argument errors, reply
//! shapes (pairs in RESP3 WITHVALUES), and a count at least the hash's
//! size, which returns the whole hash in its own order.

use crate::client::Protocol;
use crate::command::Ctx;
use crate::commands::collection_scan;
use crate::commands::random::{Picker, MAX_SAMPLES};
use crate::numbers::parse_i64;
use crate::reply::Reply;

use super::{read_hash, Hash};

/// HRANDFIELD key [count [WITHVALUES]].
pub fn hrandfield(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut picker = Picker::for_command(ctx);
    if args.len() == 2 {
        return match read_hash(ctx, &args[1]) {
            Err(wrong_type) => wrong_type,
            Ok(None) => Reply::Null,
            Ok(Some(hash)) => hash
                .get_index(picker.below(hash.len()))
                .map_or(Reply::Null, |(f, _)| Reply::Bulk(f.clone())),
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
    let with_values = match args.len() {
        3 => false,
        4 if args[3].eq_ignore_ascii_case(b"withvalues") => true,
        _ => return Reply::syntax_error(),
    };
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return Reply::error("ERR value is out of range");
    }
    let pairs = with_values && ctx.me().protocol == Protocol::Resp3;
    let hash = match read_hash(ctx, &args[1]) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return Reply::Array(Vec::new()),
        Ok(Some(hash)) => hash,
    };
    let size = hash.len();
    let picked: Vec<usize> = match count {
        0 => Vec::new(),
        n if n < 0 || n == 1 => {
            let wanted = n.unsigned_abs();
            if wanted > MAX_SAMPLES {
                return Reply::error(format!(
                    "ERR count is too large for the model (at most {MAX_SAMPLES} samples)"
                ));
            }
            (0..wanted).map(|_| picker.below(size)).collect()
        }
        n if n as u64 >= size as u64 => (0..size).collect(),
        n => picker.distinct(size, n as usize, || (0..size).collect(), Some),
    };
    let reply = fields_reply(hash, &picked, with_values, pairs);
    ctx.charge(picked.len());
    reply
}

fn fields_reply(hash: &Hash, picked: &[usize], with_values: bool, pairs: bool) -> Reply {
    let mut items = Vec::with_capacity(picked.len() * if with_values { 2 } else { 1 });
    for &index in picked {
        let Some((field, value)) = hash.get_index(index) else {
            continue;
        };
        let field = Reply::Bulk(field.clone());
        match (with_values, pairs) {
            (false, _) => items.push(field),
            (true, true) => items.push(Reply::Array(vec![field, Reply::Bulk(value.clone())])),
            (true, false) => {
                items.push(field);
                items.push(Reply::Bulk(value.clone()));
            }
        }
    }
    Reply::Array(items)
}

/// HSCAN key cursor [MATCH pattern] [COUNT count]: the whole hash in one
/// call, field and value pairs (see [`collection_scan`]); MATCH filters on
/// the field.
pub fn hscan(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if let Err(error) = crate::commands::keys::scan::parse_cursor(&args[2]) {
        return error;
    }
    let fields: Vec<(Vec<u8>, Vec<u8>)> = match read_hash(ctx, &args[1]) {
        Err(wrong_type) => return wrong_type,
        Ok(None) => return collection_scan::whole_reply(Vec::new()),
        Ok(Some(hash)) => hash.iter().map(|(f, v)| (f.clone(), v.clone())).collect(),
    };
    let pattern = match collection_scan::parse_options(args) {
        Err(error) => return error,
        Ok(pattern) => pattern,
    };
    ctx.charge(fields.len());
    let items = fields
        .into_iter()
        .filter(|(f, _)| collection_scan::matches(pattern.as_deref(), f))
        .flat_map(|(f, v)| [Reply::Bulk(f), Reply::Bulk(v)])
        .collect();
    collection_scan::whole_reply(items)
}

#[cfg(test)]
mod tests {
    use crate::commands::test_session::{session, Session};

    #[test]
    fn whole_hash_when_the_count_covers_it() {
        let mut s = Session::new();
        s.run("HSET h a 1 b 2");
        session!(s,
            "HRANDFIELD h 5" => "*2\r\n$1\r\na\r\n$1\r\nb\r\n",
            "HRANDFIELD h 2 WITHVALUES" => "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n",
            "HRANDFIELD h 0" => "*0\r\n",
            "HRANDFIELD nokey" => "$-1\r\n",
            "HRANDFIELD nokey 1" => "*0\r\n",
            "HRANDFIELD h 1 WITHVALUES x" => "-ERR syntax error\r\n",
            "HRANDFIELD h 4611686018427387904 WITHVALUES" => "-ERR value is out of range\r\n",
        );
        s.resp3();
        session!(s,
            "HRANDFIELD h 2 WITHVALUES" => "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n",
        );
    }

    #[test]
    fn picks_are_fields_of_the_hash() {
        let mut s = Session::new();
        s.run("HSET h a 1 b 2 c 3 d 4 e 5 f 6");
        for _ in 0..10 {
            let reply = s.run("HRANDFIELD h -3 WITHVALUES");
            let parts: Vec<&str> = reply.split("\r\n").collect();
            assert_eq!(parts[0], "*6");
            // Each picked field comes with its own value.
            for pair in parts[1..13].chunks(4) {
                let (field, value) = (pair[1], pair[3]);
                assert_eq!(
                    s.run(&format!("HGET h {field}")),
                    format!("$1\r\n{value}\r\n")
                );
            }
        }
        let distinct = s.run("HRANDFIELD h 3");
        let fields: std::collections::BTreeSet<&str> = distinct
            .split("\r\n")
            .skip(2)
            .step_by(2)
            .filter(|f| !f.is_empty())
            .collect();
        assert_eq!(fields.len(), 3, "{distinct}");
    }

    #[test]
    fn hscan_filters_on_fields() {
        let mut s = Session::new();
        s.run("HSET h key1 v1 other v2 key2 v3");
        session!(s,
            "HSCAN h 0 MATCH key*" => "*2\r\n$1\r\n0\r\n*4\r\n$4\r\nkey1\r\n$2\r\nv1\r\n$4\r\nkey2\r\n$2\r\nv3\r\n",
            "HSCAN h 0 NOVALUES" => "-ERR syntax error\r\n",
            "HSCAN nokey 0" => "*2\r\n$1\r\n0\r\n*0\r\n",
        );
    }
}
