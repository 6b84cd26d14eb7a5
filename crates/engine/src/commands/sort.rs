//! SORT and SORT_RO (Redis's `sort.c`): the elements of a list, set or
//! sorted set, ordered numerically or as bytes (ALPHA), optionally by
//! other keys' values (BY pattern), with LIMIT, GET patterns and STORE.
//!
//! Where Redis's result is in random order — BY a constant pattern on a
//! set outside a script and without STORE, which keeps the set's own
//! order — ours is the set's stand-in order. ALPHA compares bytes, as
//! Redis's `strcoll` does in the C locale it runs in by default.

use std::cmp::Ordering;

use crate::command::{flags, spec, CommandSpec, Ctx, FIRST_KEY};
use crate::commands::keys::option_is;
use crate::numbers::{parse_i64, strtod};
use crate::reply::Reply;
use crate::value::Value;

pub const COMMANDS: &[CommandSpec] = &[
    spec("sort", -2, flags::WRITE | flags::DENYOOM, FIRST_KEY, sort),
    spec("sort_ro", -2, flags::READONLY, FIRST_KEY, sort_ro),
];

/// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...]
/// [ASC|DESC] [ALPHA] [STORE destination]
fn sort(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, false)
}

/// SORT_RO: SORT without STORE.
fn sort_ro(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, true)
}

struct Options {
    desc: bool,
    alpha: bool,
    limit: Option<(i64, i64)>,
    store: Option<Vec<u8>>,
    by: Option<Vec<u8>>,
    /// BY a pattern without `*`: nothing to sort by.
    dont_sort: bool,
    gets: Vec<Vec<u8>>,
}

fn parse_options(args: &[Vec<u8>], read_only: bool) -> Result<Options, Reply> {
    let mut o = Options {
        desc: false,
        alpha: false,
        limit: None,
        store: None,
        by: None,
        dont_sort: false,
        gets: Vec::new(),
    };
    let mut j = 2;
    while j < args.len() {
        let left = args.len() - j - 1;
        let arg = &args[j];
        if option_is(arg, "asc") {
            o.desc = false;
        } else if option_is(arg, "desc") {
            o.desc = true;
        } else if option_is(arg, "alpha") {
            o.alpha = true;
        } else if option_is(arg, "limit") && left >= 2 {
            let start = parse_i64(&args[j + 1]).ok_or_else(Reply::not_integer)?;
            let count = parse_i64(&args[j + 2]).ok_or_else(Reply::not_integer)?;
            o.limit = Some((start, count));
            j += 2;
        } else if !read_only && option_is(arg, "store") && left >= 1 {
            o.store = Some(args[j + 1].clone());
            j += 1;
        } else if option_is(arg, "by") && left >= 1 {
            let pattern = &args[j + 1];
            o.dont_sort = !pattern.contains(&b'*');
            o.by = Some(pattern.clone());
            j += 1;
        } else if option_is(arg, "get") && left >= 1 {
            o.gets.push(args[j + 1].clone());
            j += 1;
        } else {
            return Err(Reply::syntax_error());
        }
        j += 1;
    }
    Ok(o)
}

/// Redis's `lookupKeyByPattern`: `#` is the element itself; otherwise the
/// first `*` is replaced by the element and the key read as a string, or,
/// with `->field` after the `*`, as a hash field. Anything else is nil.
fn lookup_by_pattern(ctx: &mut Ctx, pattern: &[u8], element: &[u8]) -> Option<Vec<u8>> {
    if pattern == b"#" {
        return Some(element.to_vec());
    }
    let star = pattern.iter().position(|&b| b == b'*')?;
    let after = &pattern[star + 1..];
    let arrow = after
        .windows(2)
        .position(|w| w == b"->")
        .filter(|&i| i + 2 < after.len());
    let (suffix, field) = match arrow {
        Some(i) => (&after[..i], Some(&after[i + 2..])),
        None => (after, None),
    };
    let mut key = pattern[..star].to_vec();
    key.extend_from_slice(element);
    key.extend_from_slice(suffix);
    let now = ctx.now_ms;
    let entry = ctx.db.get(&key, now)?;
    match (&entry.value, field) {
        (Value::String(s), None) => Some(s.clone()),
        (Value::Hash(h), Some(field)) => h.get(field).cloned(),
        _ => None,
    }
}

/// An element with what it sorts by.
struct Item {
    element: Vec<u8>,
    score: f64,
    by_value: Option<Vec<u8>>,
}

fn generic(ctx: &mut Ctx, args: &[Vec<u8>], read_only: bool) -> Reply {
    let mut o = match parse_options(args, read_only) {
        Ok(o) => o,
        Err(e) => return e,
    };
    let now = ctx.now_ms;
    let (elements, is_set, ordered): (Vec<Vec<u8>>, bool, bool) = match ctx.db.get(&args[1], now) {
        None => (Vec::new(), false, true),
        Some(entry) => match &entry.value {
            Value::List(items) => (items.iter().cloned().collect(), false, true),
            Value::Set(set) => (set.iter().map(|m| m.into_owned()).collect(), true, false),
            Value::ZSet(zset) => (zset.iter().map(|(m, _)| m.to_vec()).collect(), false, true),
            _ => return Reply::wrong_type(),
        },
    };
    // A set has no order of its own to keep when the result is stored or
    // read by a script: Redis sorts it as ALPHA instead.
    if o.dont_sort && is_set && (o.store.is_some() || ctx.in_script()) {
        o.dont_sort = false;
        o.alpha = true;
        o.by = None;
    }
    let len = elements.len() as i64;
    let (limit_start, limit_count) = o.limit.unwrap_or((0, -1));
    let mut start = limit_start.max(0).min(len);
    let limit_count = limit_count.max(-1).min(len);
    let mut end = if limit_count < 0 {
        len - 1
    } else {
        start + limit_count - 1
    };
    if start >= len {
        start = len - 1;
        end = len - 2;
    }
    if end >= len {
        end = len - 1;
    }
    ctx.charge(elements.len());

    let mut items: Vec<Item> = Vec::with_capacity(elements.len());
    if o.dont_sort && ordered && o.desc {
        // Unsorted lists and sorted sets walk from the tail under DESC.
        items.extend(elements.into_iter().rev().map(|element| Item {
            element,
            score: 0.0,
            by_value: None,
        }));
    } else {
        items.extend(elements.into_iter().map(|element| Item {
            element,
            score: 0.0,
            by_value: None,
        }));
    }
    if !o.dont_sort {
        let mut conversion_error = false;
        for item in &mut items {
            let by_value = match &o.by {
                Some(pattern) => match lookup_by_pattern(ctx, pattern, &item.element) {
                    Some(v) => v,
                    None => continue,
                },
                None => item.element.clone(),
            };
            if o.alpha {
                if o.by.is_some() {
                    item.by_value = Some(by_value);
                }
            } else {
                let c_str = by_value.split(|&b| b == 0).next().unwrap_or_default();
                let parsed = strtod(c_str);
                if parsed.len != c_str.len() || parsed.range_error || parsed.value.is_nan() {
                    conversion_error = true;
                }
                item.score = parsed.value;
            }
        }
        if conversion_error {
            return Reply::error("ERR One or more scores can't be converted into double");
        }
        let (alpha, by_pattern, desc) = (o.alpha, o.by.is_some(), o.desc);
        items.sort_by(|a, b| {
            let cmp = compare(a, b, alpha, by_pattern);
            if desc {
                cmp.reverse()
            } else {
                cmp
            }
        });
    }
    let selected: Vec<Vec<u8>> = if end >= start && start >= 0 {
        items
            .into_iter()
            .skip(start as usize)
            .take((end - start + 1) as usize)
            .map(|i| i.element)
            .collect()
    } else {
        Vec::new()
    };
    output(ctx, &o, selected)
}

fn compare(a: &Item, b: &Item, alpha: bool, by_pattern: bool) -> Ordering {
    if !alpha {
        return a
            .score
            .partial_cmp(&b.score)
            .unwrap_or(Ordering::Equal)
            .then_with(|| a.element.cmp(&b.element));
    }
    if by_pattern {
        // Elements with no BY value come first.
        match (&a.by_value, &b.by_value) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Less,
            (Some(_), None) => Ordering::Greater,
            (Some(x), Some(y)) => x.cmp(y),
        }
    } else {
        a.element.cmp(&b.element)
    }
}

fn output(ctx: &mut Ctx, o: &Options, selected: Vec<Vec<u8>>) -> Reply {
    let mut values: Vec<Option<Vec<u8>>> = Vec::new();
    for element in &selected {
        if o.gets.is_empty() {
            values.push(Some(element.clone()));
        }
        for pattern in &o.gets {
            values.push(lookup_by_pattern(ctx, pattern, element));
        }
    }
    ctx.charge(values.len());
    let Some(dest) = &o.store else {
        return Reply::Array(
            values
                .into_iter()
                .map(|v| v.map_or(Reply::Null, Reply::Bulk))
                .collect(),
        );
    };
    let count = values.len();
    if count > 0 {
        let list = values.into_iter().map(Option::unwrap_or_default).collect();
        ctx.db.set(dest, Value::List(list), false);
    } else {
        let now = ctx.now_ms;
        ctx.db.expire_if_needed(dest, now);
        ctx.db.remove(dest);
    }
    Reply::Integer(count as i64)
}

#[cfg(test)]
mod tests {
    use crate::commands::test_session::{session, Session};

    #[test]
    fn numeric_alpha_and_limits() {
        let mut s = Session::new();
        s.run("RPUSH l 3 10 1 2");
        session!(s,
            "SORT l" => "*4\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$2\r\n10\r\n",
            "SORT l DESC LIMIT 1 2" => "*2\r\n$1\r\n3\r\n$1\r\n2\r\n",
            "SORT l ALPHA" => "*4\r\n$1\r\n1\r\n$2\r\n10\r\n$1\r\n2\r\n$1\r\n3\r\n",
            "SORT l LIMIT 10 5" => "*0\r\n",
            "SORT l LIMIT x 1" => "-ERR value is not an integer or out of range\r\n",
            "SORT l FOO" => "-ERR syntax error\r\n",
            "SORT_RO l STORE x" => "-ERR syntax error\r\n",
        );
        s.run("RPUSH words b a");
        session!(s,
            "SORT words" => "-ERR One or more scores can't be converted into double\r\n",
            "SORT nokey" => "*0\r\n",
        );
    }

    #[test]
    fn by_and_get_patterns() {
        let mut s = Session::new();
        s.run("RPUSH ids 1 2 3");
        s.run("MSET w_1 30 w_2 10 w_3 20 name_1 one name_3 three");
        s.run("HSET h_2 f two");
        session!(s,
            "SORT ids BY w_*" => "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n1\r\n",
            "SORT ids BY w_* GET name_* GET # GET h_*->f" =>
                "*9\r\n$-1\r\n$1\r\n2\r\n$3\r\ntwo\r\n$5\r\nthree\r\n$1\r\n3\r\n$-1\r\n$3\r\none\r\n$1\r\n1\r\n$-1\r\n",
            "SORT ids BY nosort DESC" => "*3\r\n$1\r\n3\r\n$1\r\n2\r\n$1\r\n1\r\n",
            "SORT ids BY w_* STORE out" => ":3\r\n",
            "LRANGE out 0 -1" => "*3\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n1\r\n",
            "SORT nokey STORE out" => ":0\r\n",
            "EXISTS out" => ":0\r\n",
        );
    }
}
