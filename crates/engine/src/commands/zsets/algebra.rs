//! Set algebra over sorted sets (and plain sets, whose members score 1):
//! ZUNION, ZINTER, ZDIFF, their STORE forms, and ZINTERCARD, as one
//! command like Redis's `zunionInterDiffGenericCommand`.
//!
//! ```text
//! ZUNIONSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
//! ZINTERSTORE dst numkeys key [key ...] [WEIGHTS w ...] [AGGREGATE SUM|MIN|MAX]
//! ZDIFFSTORE dst numkeys key [key ...]
//! ZUNION|ZINTER numkeys key [key ...] [WEIGHTS ...] [AGGREGATE ...] [WITHSCORES]
//! ZDIFF numkeys key [key ...] [WITHSCORES]
//! ZINTERCARD numkeys key [key ...] [LIMIT limit]
//! ```
//!
//! Scores are combined in Redis's order (inputs from the smallest to the
//! largest, a stable sort), which matters for sums of doubles; a NaN from
//! `inf * 0` or `inf + -inf` becomes 0.

use std::borrow::Cow;
use std::collections::hash_map::{DefaultHasher, Entry};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use crate::command::Ctx;
use crate::keyspace::Entry as KeyEntry;
use crate::numbers::{parse_f64, parse_i64};
use crate::reply::Reply;
use crate::types::zset::SortedSet;
use crate::value::Value;

use super::{parse_long, resp3, with_scores_reply};

#[derive(Clone, Copy, PartialEq, Eq)]
enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// What the command does with the result.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Output {
    Reply,
    Store,
    Cardinality,
}

pub fn zunionstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, "zunionstore", Op::Union, Output::Store)
}

pub fn zinterstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, "zinterstore", Op::Inter, Output::Store)
}

pub fn zdiffstore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, "zdiffstore", Op::Diff, Output::Store)
}

pub fn zunion(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, "zunion", Op::Union, Output::Reply)
}

pub fn zinter(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, "zinter", Op::Inter, Output::Reply)
}

pub fn zdiff(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, "zdiff", Op::Diff, Output::Reply)
}

pub fn zintercard(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    generic(ctx, args, "zintercard", Op::Inter, Output::Cardinality)
}

/// One input: a key's value (None if missing) and its weight.
struct Input<'a> {
    value: Option<&'a Value>,
    weight: f64,
}

impl Input<'_> {
    fn len(&self) -> usize {
        match self.value {
            Some(Value::ZSet(z)) => z.len(),
            Some(Value::Set(s)) => s.len(),
            _ => 0,
        }
    }

    fn members(&self) -> Box<dyn Iterator<Item = (Cow<'_, [u8]>, f64)> + '_> {
        match self.value {
            Some(Value::ZSet(z)) => Box::new(z.iter().map(|(m, s)| (Cow::Borrowed(m), s))),
            Some(Value::Set(s)) => Box::new(s.iter().map(|m| (m, 1.0))),
            _ => Box::new(std::iter::empty()),
        }
    }

    fn score(&self, member: &[u8]) -> Option<f64> {
        match self.value {
            Some(Value::ZSet(z)) => z.score(member),
            Some(Value::Set(s)) => s.contains(member).then_some(1.0),
            _ => None,
        }
    }
}

/// Parsed options.
struct Options {
    weights: Option<Vec<f64>>,
    aggregate: Aggregate,
    with_scores: bool,
    /// ZINTERCARD's LIMIT; 0 means none.
    limit: usize,
}

fn generic(ctx: &mut Ctx, args: &[Vec<u8>], name: &str, op: Op, output: Output) -> Reply {
    let numkeys_at = if output == Output::Store { 2 } else { 1 };
    let numkeys = match parse_long(&args[numkeys_at]) {
        Ok(n) => n,
        Err(error) => return error,
    };
    if numkeys < 1 {
        return Reply::error(format!(
            "ERR at least 1 input key is needed for '{name}' command"
        ));
    }
    let first_key = numkeys_at + 1;
    if numkeys > (args.len() - first_key) as i64 {
        return Reply::syntax_error();
    }
    let keys = &args[first_key..first_key + numkeys as usize];
    // Redis checks the inputs' types before it reads the options.
    let now = ctx.now_ms;
    for key in keys {
        match ctx.db.get(key, now) {
            None
            | Some(KeyEntry {
                value: Value::ZSet(_) | Value::Set(_),
                ..
            }) => {}
            Some(_) => return Reply::wrong_type(),
        }
    }
    let options = match parse_options(&args[first_key + keys.len()..], keys.len(), op, output) {
        Ok(options) => options,
        Err(error) => return error,
    };
    let pairs = resp3(ctx);

    // Every key was just expired if due, so `peek` sees live values only.
    let mut inputs: Vec<Input> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| Input {
            value: ctx.db.peek(key).map(|e| &e.value),
            weight: options.weights.as_ref().map_or(1.0, |w| w[i]),
        })
        .collect();
    if op != Op::Diff {
        inputs.sort_by_key(Input::len);
    }
    let work: usize = inputs.iter().map(Input::len).sum();
    let result = match (op, output) {
        (Op::Inter, Output::Cardinality) => Err(intersection_size(&inputs, options.limit)),
        (Op::Union, _) => Ok(union(&inputs, options.aggregate)),
        (Op::Inter, _) => Ok(intersection(&inputs, options.aggregate)),
        (Op::Diff, _) => Ok(difference(&inputs)),
    };
    ctx.charge(work);
    let mut result = match result {
        Err(cardinality) => return Reply::Integer(cardinality as i64),
        Ok(result) => result,
    };
    if output == Output::Store {
        let dst = &args[1];
        if result.is_empty() {
            ctx.db.remove(dst);
            return Reply::Integer(0);
        }
        result.set_limits(super::listpack_limits(ctx));
        result.convert_to_listpack_if_small();
        let len = result.len();
        ctx.db.set(dst, Value::ZSet(result), false);
        return Reply::Integer(len as i64);
    }
    let items: Vec<(Vec<u8>, f64)> = result.iter().map(|(m, s)| (m.to_vec(), s)).collect();
    if options.with_scores {
        with_scores_reply(items, pairs)
    } else {
        Reply::Array(items.into_iter().map(|(m, _)| Reply::Bulk(m)).collect())
    }
}

fn parse_options(
    args: &[Vec<u8>],
    numkeys: usize,
    op: Op,
    output: Output,
) -> Result<Options, Reply> {
    let mut options = Options {
        weights: None,
        aggregate: Aggregate::Sum,
        with_scores: false,
        limit: 0,
    };
    let scored = op != Op::Diff && output != Output::Cardinality;
    let mut j = 0;
    while j < args.len() {
        let remaining = args.len() - j;
        let opt = args[j].to_ascii_lowercase();
        match opt.as_slice() {
            b"weights" if scored && remaining > numkeys => {
                let mut weights = Vec::with_capacity(numkeys);
                for arg in &args[j + 1..=j + numkeys] {
                    weights.push(
                        parse_f64(arg)
                            .ok_or_else(|| Reply::error("ERR weight value is not a float"))?,
                    );
                }
                options.weights = Some(weights);
                j += 1 + numkeys;
            }
            b"aggregate" if scored && remaining >= 2 => {
                options.aggregate = match args[j + 1].to_ascii_lowercase().as_slice() {
                    b"sum" => Aggregate::Sum,
                    b"min" => Aggregate::Min,
                    b"max" => Aggregate::Max,
                    _ => return Err(Reply::syntax_error()),
                };
                j += 2;
            }
            b"withscores" if output == Output::Reply => {
                options.with_scores = true;
                j += 1;
            }
            b"limit" if output == Output::Cardinality && remaining >= 2 => {
                options.limit = match parse_i64(&args[j + 1]) {
                    Some(n) if n >= 0 => usize::try_from(n).unwrap_or(usize::MAX),
                    _ => return Err(Reply::error("ERR LIMIT can't be negative")),
                };
                j += 2;
            }
            _ => return Err(Reply::syntax_error()),
        }
    }
    Ok(options)
}

/// `zunionInterAggregate`.
fn aggregate(target: &mut f64, value: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += value;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if value < *target {
                *target = value;
            }
        }
        Aggregate::Max => {
            if value > *target {
                *target = value;
            }
        }
    }
}

fn weighted(score: f64, weight: f64) -> f64 {
    let product = score * weight;
    if product.is_nan() {
        0.0
    } else {
        product
    }
}

type FixedHasher = BuildHasherDefault<DefaultHasher>;

fn union(inputs: &[Input], how: Aggregate) -> SortedSet {
    let mut scores: HashMap<Vec<u8>, f64, FixedHasher> = HashMap::default();
    for input in inputs {
        for (member, score) in input.members() {
            let score = weighted(score, input.weight);
            match scores.entry(member.into_owned()) {
                Entry::Occupied(mut e) => aggregate(e.get_mut(), score, how),
                Entry::Vacant(e) => {
                    e.insert(score);
                }
            }
        }
    }
    let mut result = SortedSet::new_skiplist(Default::default());
    for (member, score) in scores {
        result.insert(&member, score);
    }
    result
}

/// Members of the smallest input found in all others, with their combined
/// score, calling `found` for each; stops when `found` returns false.
fn each_common(inputs: &[Input], how: Aggregate, mut found: impl FnMut(&[u8], f64) -> bool) {
    let Some((smallest, others)) = inputs.split_first() else {
        return;
    };
    'members: for (member, score) in smallest.members() {
        let mut combined = weighted(score, smallest.weight);
        for other in others {
            match other.score(&member) {
                Some(s) => aggregate(&mut combined, s * other.weight, how),
                None => continue 'members,
            }
        }
        if !found(&member, combined) {
            return;
        }
    }
}

fn intersection(inputs: &[Input], how: Aggregate) -> SortedSet {
    let mut result = SortedSet::new_skiplist(Default::default());
    each_common(inputs, how, |member, score| {
        result.insert(member, score);
        true
    });
    result
}

fn intersection_size(inputs: &[Input], limit: usize) -> usize {
    let mut count = 0;
    each_common(inputs, Aggregate::Sum, |_, _| {
        count += 1;
        limit == 0 || count < limit
    });
    count
}

/// Members of the first input in none of the others, with their first score.
fn difference(inputs: &[Input]) -> SortedSet {
    let mut result = SortedSet::new_skiplist(Default::default());
    if let Some((first, others)) = inputs.split_first() {
        for (member, score) in first.members() {
            if others.iter().all(|o| o.score(&member).is_none()) {
                result.insert(&member, score);
            }
        }
    }
    result
}
