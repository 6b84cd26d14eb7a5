//! Bulk seed data: a node's `populate` entries fill its engine with large
//! generated values (a million-member leaderboard) at the start of a run.
//!
//! Writing a million `data` lines, or a million commands through the
//! simulator, would cost a million events; here the values go straight
//! into the engine in batches of one command each, before time starts,
//! and count as already on disk like `data`. Random scores come from the
//! run's one seeded RNG, so a seed always builds the same data.

use lockstep_engine::Engine;
use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

/// The most members one entry may ask for: enough for the biggest lesson,
/// small enough that a typo cannot exhaust memory.
pub const MAX_MEMBERS: u64 = 10_000_000;

/// Members per generated command: big enough to stay cheap, small enough
/// that no single batch shows in the slow log.
const BATCH: usize = 500;

/// One generated value: `{ key = "board", type = "zset", members = 1000000,
/// score = "random 0..10000" }`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct PopulateSpec {
    pub key: String,
    /// `zset`, `set`, `hash` or `list`.
    #[serde(rename = "type")]
    pub kind: String,
    /// How many members (fields, elements) the value gets.
    pub members: u64,
    /// Members are named prefix + index: `member:0`, `member:1`, ...
    #[serde(default = "default_prefix")]
    pub prefix: String,
    /// A sorted set's scores: `index` (member i scores i) or
    /// `random LOW..HIGH` (whole numbers, both ends included).
    #[serde(default)]
    pub score: Option<String>,
}

fn default_prefix() -> String {
    "member:".to_string()
}

/// How a sorted set's scores are chosen.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Score {
    Index,
    Random(i64, i64),
}

fn parse_score(text: Option<&str>) -> Result<Score, String> {
    let Some(text) = text.map(str::trim) else {
        return Ok(Score::Index);
    };
    if text == "index" {
        return Ok(Score::Index);
    }
    let range = text
        .strip_prefix("random")
        .map(str::trim)
        .and_then(|r| r.split_once(".."))
        .and_then(|(low, high)| Some((low.trim().parse().ok()?, high.trim().parse().ok()?)));
    match range {
        Some((low, high)) if low <= high => Ok(Score::Random(low, high)),
        _ => Err(format!(
            "score \"{text}\" is not `index` or `random LOW..HIGH` (whole numbers, LOW ≤ HIGH)"
        )),
    }
}

/// Fills `engine` with the entries, drawing random scores from `rng`; an
/// error names the entry and what is wrong with it.
pub fn populate(
    engine: &mut Engine,
    entries: &[PopulateSpec],
    now_ms: i64,
    rng: &mut ChaCha8Rng,
) -> Result<(), String> {
    if entries.is_empty() {
        return Ok(());
    }
    let conn = engine.connect("populate", now_ms);
    let result = entries
        .iter()
        .try_for_each(|entry| fill(engine, conn, entry, now_ms, rng));
    engine.disconnect(conn);
    result
}

fn fill(
    engine: &mut Engine,
    conn: lockstep_engine::client::ClientId,
    entry: &PopulateSpec,
    now_ms: i64,
    rng: &mut ChaCha8Rng,
) -> Result<(), String> {
    let fail = |why: String| format!("populate \"{}\": {why}", entry.key);
    if entry.members > MAX_MEMBERS {
        return Err(fail(format!(
            "{} members is more than the {MAX_MEMBERS} allowed",
            entry.members
        )));
    }
    let command: &[u8] = match entry.kind.as_str() {
        "zset" => b"ZADD",
        "set" => b"SADD",
        "hash" => b"HSET",
        "list" => b"RPUSH",
        other => {
            return Err(fail(format!(
                "type \"{other}\" is not one of zset, set, hash, list"
            )))
        }
    };
    let score = parse_score(entry.score.as_deref()).map_err(fail)?;
    if entry.score.is_some() && entry.kind != "zset" {
        return Err(fail("only a zset takes a score".to_string()));
    }
    let mut members = generate(entry, score, rng).into_iter().peekable();
    while members.peek().is_some() {
        let mut args = Vec::with_capacity(2 + 2 * BATCH);
        args.extend([command.to_vec(), entry.key.as_bytes().to_vec()]);
        for (score, name, index) in members.by_ref().take(BATCH) {
            match entry.kind.as_str() {
                "zset" => args.extend([score.to_string().into_bytes(), name]),
                "hash" => args.extend([name, index.to_string().into_bytes()]),
                _ => args.push(name),
            }
        }
        let outcome = engine.execute(conn, &args, now_ms);
        if let lockstep_engine::Reply::Error(error) = &outcome.reply {
            return Err(fail(error.clone()));
        }
    }
    Ok(())
}

/// Every member of `entry` as (score, name, index), scores drawn from
/// `rng` in index order. A sorted set's members come back in the set's
/// own order (score, then name): inserted that way, each lands at the
/// end of the skip list, whose last nodes stay in the CPU's cache, which
/// makes a million inserts several times faster than in random order.
fn generate(entry: &PopulateSpec, score: Score, rng: &mut ChaCha8Rng) -> Vec<(i64, Vec<u8>, u64)> {
    let mut members: Vec<(i64, Vec<u8>, u64)> = (0..entry.members)
        .map(|i| {
            let score = match score {
                Score::Random(low, high) if entry.kind == "zset" => rng.random_range(low..=high),
                _ => i as i64,
            };
            (score, format!("{}{i}", entry.prefix).into_bytes(), i)
        })
        .collect();
    if entry.kind == "zset" {
        members.sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    }
    members
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn scores_parse_or_say_why_not() {
        assert_eq!(parse_score(None), Ok(Score::Index));
        assert_eq!(parse_score(Some("random 0..10")), Ok(Score::Random(0, 10)));
        assert!(parse_score(Some("random 10..0")).is_err());
        assert!(parse_score(Some("gaussian")).is_err());
    }

    #[test]
    fn fills_a_sorted_set_from_the_seed() {
        let build = |seed| {
            let mut engine = Engine::new(0);
            let spec = PopulateSpec {
                key: "board".into(),
                kind: "zset".into(),
                members: 1200,
                prefix: "p".into(),
                score: Some("random 0..1000000".into()),
            };
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            populate(&mut engine, &[spec], 0, &mut rng).unwrap();
            engine
        };
        let (a, b, c) = (build(1), build(1), build(2));
        let value = |e: &Engine| e.keyspace().peek(b"board").map(|entry| entry.value.clone());
        match value(&a) {
            Some(lockstep_engine::value::Value::ZSet(z)) => assert_eq!(z.len(), 1200),
            other => panic!("not a zset: {other:?}"),
        }
        assert_eq!(value(&a), value(&b));
        assert_ne!(value(&a), value(&c));
    }

    #[test]
    fn refuses_unknown_types_and_huge_counts() {
        let mut engine = Engine::new(0);
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let mut spec = PopulateSpec {
            key: "k".into(),
            kind: "tree".into(),
            members: 3,
            prefix: "m".into(),
            score: None,
        };
        let err = populate(&mut engine, &[spec.clone()], 0, &mut rng).unwrap_err();
        assert!(err.contains("not one of zset"), "{err}");
        spec.kind = "set".into();
        spec.members = MAX_MEMBERS + 1;
        assert!(populate(&mut engine, &[spec], 0, &mut rng).is_err());
    }
}
