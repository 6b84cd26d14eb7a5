//! Invariants, checked after every event; the first violation of each is
//! kept with the events that led to it.

use std::collections::{BTreeMap, VecDeque};

use lockstep_lua::mlua::{Function, Value};
use lockstep_lua::{Budget, Limits, LuaVm};

use crate::scenario::InvariantSpec;
use crate::trace::{Time, Verdict, VerdictKind, WorldState};

/// Instructions a Lua invariant may run per check.
const LUA_CHECK_BUDGET: u64 = 1_000_000;

/// A failed invariant, before it is written to the trace.
#[derive(Clone, Debug, PartialEq)]
pub struct Violation {
    pub index: usize,
    pub message: String,
    pub caused_by: Vec<u64>,
}

/// Who is inside each critical section, and since which event.
#[derive(Clone, Debug, Default)]
pub struct Sections {
    /// name -> (process name -> seq of its `enter`)
    pub inside: BTreeMap<String, BTreeMap<String, u64>>,
}

/// Whose turn a write belongs to, for the stale-write check.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Turn {
    /// The fencing token the write carried, if any: the lock service's own
    /// order of turns, which is the one that counts when both writes have it.
    pub token: Option<i64>,
    /// Otherwise, global time of the writer's latest `enter` before it.
    pub entered: Option<Time>,
}

impl Turn {
    /// Whether `self` is a later turn than `other`.
    fn later_than(&self, other: &Turn) -> bool {
        match (self.token, other.token) {
            (Some(mine), Some(theirs)) => mine > theirs,
            _ => {
                matches!((self.entered, other.entered), (Some(mine), Some(theirs)) if mine > theirs)
            }
        }
    }
}

/// An accepted write, remembered for the stale-write check.
#[derive(Clone, Debug)]
struct AcceptedWrite {
    writer: String,
    turn: Turn,
    seq: u64,
}

pub struct Invariants {
    pub specs: Vec<InvariantSpec>,
    pub verdicts: Vec<Option<(Violation, Time, u64)>>,
    pub sections: Sections,
    entries: BTreeMap<String, VecDeque<(Time, u64)>>,
    writes: BTreeMap<String, Vec<AcceptedWrite>>,
    lua: Option<(LuaVm, Vec<Option<Function>>)>,
    /// For `stale_at_most`: since when each key has disagreed, and the
    /// event where it began, by invariant.
    stale_since: BTreeMap<(usize, String), (Time, u64)>,
    /// Moments when a disagreement that began will have outlasted its
    /// bound: the world checks again then, even if nothing else happens.
    stale_deadlines: Vec<Time>,
}

impl Invariants {
    pub fn new(specs: Vec<InvariantSpec>) -> Invariants {
        let lua = if specs.iter().any(|s| matches!(s, InvariantSpec::Lua { .. })) {
            LuaVm::new(Limits::default()).ok().map(|vm| {
                let checks = specs
                    .iter()
                    .map(|spec| match spec {
                        InvariantSpec::Lua { name, check } => vm
                            .lua()
                            .load(format!("return function(world) return ({check}) end"))
                            .set_name(format!("={name}"))
                            .eval::<Function>()
                            .ok(),
                        _ => None,
                    })
                    .collect();
                (vm, checks)
            })
        } else {
            None
        };
        Invariants {
            verdicts: vec![None; specs.len()],
            specs,
            sections: Sections::default(),
            entries: BTreeMap::new(),
            writes: BTreeMap::new(),
            lua,
            stale_since: BTreeMap::new(),
            stale_deadlines: Vec::new(),
        }
    }

    pub fn any_violated(&self) -> bool {
        self.verdicts.iter().any(Option::is_some)
    }

    /// A process entered `name` (event `seq`): mutual exclusion and rate.
    pub fn enter(&mut self, name: &str, who: &str, t: Time, seq: u64) -> Vec<Violation> {
        let mut found = Vec::new();
        let inside = self.sections.inside.entry(name.to_string()).or_default();
        let others: Vec<(String, u64)> = inside
            .iter()
            .filter(|(p, _)| p.as_str() != who)
            .map(|(p, s)| (p.clone(), *s))
            .collect();
        inside.insert(who.to_string(), seq);
        let window = self.entries.entry(name.to_string()).or_default();
        window.push_back((t, seq));
        for (index, spec) in self.specs.iter().enumerate() {
            match spec {
                InvariantSpec::MutualExclusion { name: n } if n == name && !others.is_empty() => {
                    let holders: Vec<&str> = others.iter().map(|(p, _)| p.as_str()).collect();
                    let mut caused_by: Vec<u64> = others.iter().map(|(_, s)| *s).collect();
                    caused_by.push(seq);
                    found.push(Violation {
                        index,
                        message: format!(
                            "{who} entered \"{name}\" while {} {} still inside",
                            holders.join(" and "),
                            if holders.len() == 1 { "was" } else { "were" }
                        ),
                        caused_by,
                    });
                }
                InvariantSpec::Rate {
                    name: n,
                    limit,
                    window_ms,
                } if n == name => {
                    let span = (window_ms * 1000.0).round() as Time;
                    let recent: Vec<u64> = window
                        .iter()
                        .filter(|(at, _)| t.saturating_sub(*at) < span)
                        .map(|(_, s)| *s)
                        .collect();
                    if recent.len() > *limit as usize {
                        found.push(Violation {
                            index,
                            message: format!(
                                "{} entries into \"{name}\" within {window_ms} ms (limit {limit})",
                                recent.len()
                            ),
                            caused_by: recent,
                        });
                    }
                }
                _ => {}
            }
        }
        self.record(found, t)
    }

    pub fn leave(&mut self, name: &str, who: &str) {
        if let Some(inside) = self.sections.inside.get_mut(name) {
            inside.remove(who);
        }
    }

    /// A crashed process leaves every section it was in.
    pub fn forget(&mut self, who: &str) {
        for inside in self.sections.inside.values_mut() {
            inside.remove(who);
        }
    }

    /// A resource accepted a write from `writer` in its `turn`;
    /// `duplicate` if its id had been accepted before.
    pub fn accepted_write(
        &mut self,
        resource: &str,
        writer: &str,
        turn: Turn,
        duplicate: Option<&str>,
        t: Time,
        seq: u64,
    ) -> Vec<Violation> {
        let mut found = Vec::new();
        let history = self.writes.entry(resource.to_string()).or_default();
        for (index, spec) in self.specs.iter().enumerate() {
            match spec {
                InvariantSpec::NoStaleWrites { resource: r } if r == resource => {
                    let newer = history
                        .iter()
                        .find(|w| w.writer != writer && w.turn.later_than(&turn));
                    if let Some(newer) = newer {
                        found.push(Violation {
                            index,
                            message: format!(
                                "\"{resource}\" accepted a write from {writer} after one from {}, \
                                 whose turn began later: {writer}'s write is stale",
                                newer.writer
                            ),
                            caused_by: vec![newer.seq, seq],
                        });
                    }
                }
                InvariantSpec::NoDuplicates { resource: r } if r == resource => {
                    if let Some(id) = duplicate {
                        found.push(Violation {
                            index,
                            message: format!("\"{resource}\" accepted id \"{id}\" twice"),
                            caused_by: vec![seq],
                        });
                    }
                }
                _ => {}
            }
        }
        history.push(AcceptedWrite {
            writer: writer.to_string(),
            turn,
            seq,
        });
        self.record(found, t)
    }

    /// Checks the invariants over data: sums over keys and Lua predicates.
    /// `value_of(node, key)` reads a key as a live client would.
    pub fn check_state(
        &mut self,
        value_of: &dyn Fn(&str, &str) -> Option<Vec<u8>>,
        state: &dyn Fn() -> WorldState,
        t: Time,
        seq: u64,
    ) -> Vec<Violation> {
        let mut found = Vec::new();
        let mut world: Option<WorldState> = None;
        for (index, spec) in self.specs.iter().enumerate() {
            if self.verdicts[index].is_some() {
                continue;
            }
            match spec {
                InvariantSpec::SumConserved { node, keys, total } => {
                    let mut sum: i64 = 0;
                    let mut unreadable = None;
                    for key in keys {
                        let value = value_of(node, key);
                        match value.as_deref().map(parse_integer) {
                            None => {}
                            Some(Some(n)) => sum = sum.saturating_add(n),
                            Some(None) => unreadable = Some(key.clone()),
                        }
                    }
                    if let Some(key) = unreadable {
                        found.push(Violation {
                            index,
                            message: format!("{key} on {node} no longer holds an integer"),
                            caused_by: vec![seq],
                        });
                    } else if sum != *total {
                        found.push(Violation {
                            index,
                            message: format!(
                                "{} on {node} add up to {sum}, not {total}",
                                keys.join(" + ")
                            ),
                            caused_by: vec![seq],
                        });
                    }
                }
                InvariantSpec::StaleAtMost {
                    node,
                    of,
                    ms,
                    cache_prefix,
                    row_prefix,
                } => {
                    let world = world.get_or_insert_with(state);
                    let now_differ =
                        crate::eventual::disagreements(world, node, of, cache_prefix, row_prefix);
                    self.stale_since.retain(|(i, key), _| {
                        *i != index || now_differ.iter().any(|(k, _)| k == key)
                    });
                    let bound = (ms * 1000.0).round() as Time;
                    for (key, how) in now_differ {
                        let (since, began) =
                            *self.stale_since.entry((index, key)).or_insert_with(|| {
                                self.stale_deadlines.push(t + bound + 1);
                                (t, seq)
                            });
                        if t.saturating_sub(since) > bound {
                            found.push(Violation {
                                index,
                                message: format!(
                                    "stale for {} ms (bound {ms} ms): {how}",
                                    (t - since) as f64 / 1000.0
                                ),
                                caused_by: vec![began, seq],
                            });
                            break;
                        }
                    }
                }
                InvariantSpec::Lua { name, .. } => {
                    let Some((vm, checks)) = self.lua.as_mut() else {
                        continue;
                    };
                    let world = world.get_or_insert_with(state);
                    let verdict = match checks.get(index).cloned().flatten() {
                        None => Err(format!("the check of \"{name}\" does not compile")),
                        Some(check) => run_lua_check(vm, &check, world),
                    };
                    if let Err(message) = verdict {
                        found.push(Violation {
                            index,
                            message,
                            caused_by: vec![seq],
                        });
                    }
                }
                _ => {}
            }
        }
        self.record(found, t)
    }

    /// Checks the end-of-run invariants on the settled world.
    pub fn check_end(
        &mut self,
        state: &WorldState,
        writes: &crate::eventual::Writes,
        t: Time,
        seq: u64,
    ) -> Vec<Violation> {
        let found = self
            .specs
            .iter()
            .enumerate()
            .filter(|(i, spec)| crate::eventual::at_end(spec) && self.verdicts[*i].is_none())
            .filter_map(|(index, spec)| {
                crate::eventual::check_end(spec, state, writes)
                    .err()
                    .map(|message| Violation {
                        index,
                        message,
                        caused_by: vec![seq],
                    })
            })
            .collect();
        self.record(found, t)
    }

    /// When to check again for staleness outlasting its bound (taken:
    /// each moment is returned once).
    pub fn take_stale_deadlines(&mut self) -> Vec<Time> {
        std::mem::take(&mut self.stale_deadlines)
    }

    /// Whether any invariant is checked only when the run ends.
    pub fn any_at_end(&self) -> bool {
        self.specs.iter().any(crate::eventual::at_end)
    }

    /// Keeps the first violation of each invariant; returns the new ones.
    fn record(&mut self, found: Vec<Violation>, t: Time) -> Vec<Violation> {
        found
            .into_iter()
            .filter(|v| {
                let slot = &mut self.verdicts[v.index];
                if slot.is_some() {
                    return false;
                }
                *slot = Some((v.clone(), t, 0));
                true
            })
            .collect()
    }

    /// Notes the trace position of a violation once its event is written.
    pub fn set_violation_seq(&mut self, index: usize, seq: u64) {
        if let Some((_, _, at)) = self.verdicts[index].as_mut() {
            *at = seq;
        }
    }

    pub fn verdicts(&self) -> Vec<Verdict> {
        self.specs
            .iter()
            .zip(&self.verdicts)
            .map(|(spec, verdict)| Verdict {
                invariant: describe(spec),
                kind: kind_of(spec),
                subject: Some(subject_of(spec).to_string()),
                held: verdict.is_none(),
                message: verdict.as_ref().map(|(v, _, _)| v.message.clone()),
                at_seq: verdict.as_ref().map(|(_, _, s)| *s),
                at_us: verdict.as_ref().map(|(_, t, _)| *t),
            })
            .collect()
    }
}

/// An invariant in one line, e.g. `mutual_exclusion(report)`.
pub fn describe(spec: &InvariantSpec) -> String {
    match spec {
        InvariantSpec::MutualExclusion { name } => format!("mutual_exclusion({name})"),
        InvariantSpec::NoStaleWrites { resource } => format!("no_stale_writes({resource})"),
        InvariantSpec::NoDuplicates { resource } => format!("no_duplicates({resource})"),
        InvariantSpec::Rate {
            name,
            limit,
            window_ms,
        } => format!("rate({name} ≤ {limit} per {window_ms} ms)"),
        InvariantSpec::SumConserved { node, keys, total } => {
            format!("sum_conserved({} on {node} = {total})", keys.join(" + "))
        }
        InvariantSpec::Lua { name, .. } => format!("lua({name})"),
        InvariantSpec::KeyEquals { node, key, value } => {
            format!("key_equals({key} on {node} = {value:?})")
        }
        InvariantSpec::CacheMatchesDatabase { node, database, .. } => {
            format!("cache_matches_database({node} = {database})")
        }
        InvariantSpec::ReplicasMatch { primary } => format!("replicas_match({primary})"),
        InvariantSpec::AcknowledgedWrites { node } => format!("acknowledged_writes({node})"),
        InvariantSpec::AcknowledgedMessages {
            subscriber,
            channel,
        } => format!("acknowledged_messages({channel} to {subscriber})"),
        InvariantSpec::StaleAtMost { node, of, ms, .. } => {
            format!("stale_at_most({node} behind {of} ≤ {ms} ms)")
        }
    }
}

/// The kind of check an invariant is.
pub fn kind_of(spec: &InvariantSpec) -> VerdictKind {
    match spec {
        InvariantSpec::MutualExclusion { .. } => VerdictKind::MutualExclusion,
        InvariantSpec::NoStaleWrites { .. } => VerdictKind::NoStaleWrites,
        InvariantSpec::NoDuplicates { .. } => VerdictKind::NoDuplicates,
        InvariantSpec::Rate { .. } => VerdictKind::Rate,
        InvariantSpec::SumConserved { .. } => VerdictKind::SumConserved,
        InvariantSpec::Lua { .. } => VerdictKind::Lua,
        InvariantSpec::KeyEquals { .. } => VerdictKind::KeyEquals,
        InvariantSpec::CacheMatchesDatabase { .. } => VerdictKind::CacheMatchesDatabase,
        InvariantSpec::ReplicasMatch { .. } => VerdictKind::ReplicasMatch,
        InvariantSpec::AcknowledgedWrites { .. } => VerdictKind::AcknowledgedWrites,
        InvariantSpec::AcknowledgedMessages { .. } => VerdictKind::AcknowledgedMessages,
        InvariantSpec::StaleAtMost { .. } => VerdictKind::StaleAtMost,
    }
}

/// What an invariant is about: its section, resource, node or name.
pub fn subject_of(spec: &InvariantSpec) -> &str {
    match spec {
        InvariantSpec::MutualExclusion { name }
        | InvariantSpec::Rate { name, .. }
        | InvariantSpec::Lua { name, .. } => name,
        InvariantSpec::NoStaleWrites { resource } | InvariantSpec::NoDuplicates { resource } => {
            resource
        }
        InvariantSpec::SumConserved { node, .. }
        | InvariantSpec::KeyEquals { node, .. }
        | InvariantSpec::CacheMatchesDatabase { node, .. }
        | InvariantSpec::StaleAtMost { node, .. }
        | InvariantSpec::AcknowledgedWrites { node } => node,
        InvariantSpec::ReplicasMatch { primary } => primary,
        InvariantSpec::AcknowledgedMessages { subscriber, .. } => subscriber,
    }
}

fn parse_integer(bytes: &[u8]) -> Option<i64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// Runs a Lua predicate over the world. The predicate sees a table:
/// `world.nodes[name].keys[key] = {value=..., ttl_ms=...}`, `world.holders[name]`
/// (a list of process names) and `world.resources[name]`.
fn run_lua_check(vm: &mut LuaVm, check: &Function, world: &WorldState) -> Result<(), String> {
    let result = vm.run(Budget::instructions(LUA_CHECK_BUDGET), |lua| {
        let table = lua.create_table()?;
        let nodes = lua.create_table()?;
        for (name, node) in &world.nodes {
            let entry = lua.create_table()?;
            let keys = lua.create_table()?;
            for key in &node.keys {
                let k = lua.create_table()?;
                // A string's exact bytes; other types their display text.
                match &key.bytes {
                    Some(bytes) => k.set("value", lua.create_string(&bytes.0)?)?,
                    None => k.set("value", key.value.as_str())?,
                }
                k.set("type", key.kind.as_str())?;
                if let Some(ttl) = key.ttl_ms {
                    k.set("ttl_ms", ttl as f64)?;
                }
                let name = match &key.key_bytes {
                    Some(bytes) => lua.create_string(&bytes.0)?,
                    None => lua.create_string(&key.key)?,
                };
                keys.set(name, k)?;
            }
            entry.set("keys", keys)?;
            entry.set("up", node.up)?;
            entry.set("role", node.role.as_str())?;
            nodes.set(name.as_str(), entry)?;
        }
        table.set("nodes", nodes)?;
        let holders = lua.create_table()?;
        for (name, list) in &world.holders {
            holders.set(name.as_str(), list.clone())?;
        }
        table.set("holders", holders)?;
        let resources = lua.create_table()?;
        for (name, r) in &world.resources {
            let entry = lua.create_table()?;
            entry.set("accepted", r.accepted)?;
            entry.set("rejected", r.rejected)?;
            if let Some(token) = r.highest_token {
                entry.set("highest_token", token as f64)?;
            }
            resources.set(name.as_str(), entry)?;
        }
        table.set("resources", resources)?;
        check.call::<Value>(table)
    });
    match result {
        Ok(Value::Boolean(false)) | Ok(Value::Nil) => Err("the Lua check returned false".into()),
        Ok(_) => Ok(()),
        Err(error) => Err(format!("the Lua check failed: {error}")),
    }
}
