//! The consensus service (`[[consensus]]`): a small replicated key-value
//! store in the manner of etcd or ZooKeeper, modelled at the level a
//! learner needs to see why it makes a safer lock than Redis — not a full
//! Raft.
//!
//! What is modelled:
//! - A group of members, one of them the leader. Every request — reads,
//!   writes, lease grants and keepalives alike — becomes an entry at the
//!   leader and is answered only once a majority of the members have
//!   written it (the leader counts itself). A leader cut off from a
//!   majority therefore answers nothing: its clients time out.
//! - Compare-and-set: `put_if_absent` writes only if the key does not exist.
//! - A revision that only grows: every write that changes a key (a put, a
//!   delete, a lease's keys going with it) adds one. The revision of the
//!   write that took a lock is a fencing token for free.
//! - Leases: a key can be attached to a lease, which lives while its holder
//!   keeps it alive. The leader times leases on its own monotonic clock
//!   (the service's, not the client's); a lease whose holder sent no
//!   keepalive for `ttl_ms` expires, and its keys are deleted — itself an
//!   entry that needs a majority.
//! - Elections: when the leader is down or cannot reach a majority for
//!   `election_timeout_ms`, a member that can reach a majority becomes the
//!   leader of a new term. Of those, the one with the most recent log wins
//!   (highest term, then highest index), so it holds every committed entry:
//!   any two majorities share a member.
//!
//! Assumptions, on purpose:
//! - Members write an entry to disk before acknowledging it (taking
//!   `latency_ms`), so a restart keeps everything the member acknowledged.
//! - Replication sends the leader's whole state with each entry (no log
//!   matching, no truncation messages): a member keeps the newest state of
//!   the newest term it has seen. Messages between members are not lost
//!   at random (Raft retransmits); partitions and crashes do stop them.
//! - Elections are decided, not messaged: the vote's outcome is computed
//!   from who can reach whom when the timeout runs out.
//! - A new leader restarts every lease's countdown from its full TTL (as
//!   etcd does): leases may live longer across an election, never shorter.
//! - Wall-clock jumps on a member change nothing: leases are timed on a
//!   monotonic clock. A client's clock plays no part at all.
//! - Entries the old leader had not committed are dropped when a new leader
//!   takes over, unless the new leader already had them; their callers have
//!   timed out either way (a timed-out request may or may not have happened).

use std::collections::BTreeMap;
use std::rc::Rc;

use crate::scenario::ConsensusSpec;
use crate::trace::{quote, Time};

/// One request, as a client program sends it.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// A new lease that lives `ttl_ms` past its last keepalive.
    Grant {
        ttl_ms: f64,
    },
    KeepAlive {
        lease: u64,
    },
    /// Ends a lease at once, deleting its keys.
    Revoke {
        lease: u64,
    },
    /// Writes `key` only if it does not exist (compare-and-set on "absent"),
    /// attached to `lease` if given.
    PutIfAbsent {
        key: String,
        value: String,
        lease: Option<u64>,
    },
    Get {
        key: String,
    },
    Delete {
        key: String,
    },
    /// The leader's own entry: a lease ran out.
    Expire {
        lease: u64,
    },
}

/// What a request found or did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Whether it did what was asked (a get: whether the key exists).
    pub ok: bool,
    /// The key's value after the request (for a refused put: the holder's).
    pub value: Option<String>,
    /// For a write: the revision it made. For a get or a refused put: the
    /// revision of the key's last change. 0: no such key.
    pub revision: u64,
    /// A granted lease's id.
    pub lease: Option<u64>,
    /// Keys deleted with a lease.
    pub deleted: Vec<String>,
    /// Why the request was refused (an unknown lease, not the leader).
    pub error: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
struct Kv {
    value: String,
    mod_revision: u64,
    lease: Option<u64>,
}

/// The replicated state: what each member keeps on disk.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Store {
    revision: u64,
    keys: BTreeMap<String, Kv>,
    /// Live leases and their TTL.
    leases: BTreeMap<u64, f64>,
    next_lease: u64,
}

impl Store {
    /// Applies one entry: the new state and what the caller is told.
    pub fn apply(&self, op: &Op) -> (Store, Outcome) {
        let mut next = self.clone();
        let outcome = next.apply_in_place(op);
        (next, outcome)
    }

    fn apply_in_place(&mut self, op: &Op) -> Outcome {
        let unknown = |lease: u64| Outcome {
            error: Some(format!(
                "lease {lease} not found (it expired or was revoked)"
            )),
            ..Outcome::default()
        };
        match op {
            Op::Grant { ttl_ms } => {
                self.next_lease += 1;
                self.leases.insert(self.next_lease, *ttl_ms);
                Outcome {
                    ok: true,
                    lease: Some(self.next_lease),
                    ..Outcome::default()
                }
            }
            Op::KeepAlive { lease } => {
                if !self.leases.contains_key(lease) {
                    return unknown(*lease);
                }
                Outcome {
                    ok: true,
                    lease: Some(*lease),
                    ..Outcome::default()
                }
            }
            Op::Revoke { lease } | Op::Expire { lease } => {
                if self.leases.remove(lease).is_none() {
                    return unknown(*lease);
                }
                let deleted: Vec<String> = self
                    .keys
                    .iter()
                    .filter(|(_, kv)| kv.lease == Some(*lease))
                    .map(|(k, _)| k.clone())
                    .collect();
                for key in &deleted {
                    self.keys.remove(key);
                }
                if !deleted.is_empty() {
                    self.revision += 1;
                }
                Outcome {
                    ok: true,
                    revision: self.revision,
                    lease: Some(*lease),
                    deleted,
                    ..Outcome::default()
                }
            }
            Op::PutIfAbsent { key, value, lease } => {
                if let Some(lease) = lease.filter(|l| !self.leases.contains_key(l)) {
                    return unknown(lease);
                }
                if let Some(kv) = self.keys.get(key) {
                    return Outcome {
                        value: Some(kv.value.clone()),
                        revision: kv.mod_revision,
                        ..Outcome::default()
                    };
                }
                self.revision += 1;
                let kv = Kv {
                    value: value.clone(),
                    mod_revision: self.revision,
                    lease: *lease,
                };
                self.keys.insert(key.clone(), kv);
                Outcome {
                    ok: true,
                    value: Some(value.clone()),
                    revision: self.revision,
                    ..Outcome::default()
                }
            }
            Op::Get { key } => match self.keys.get(key) {
                Some(kv) => Outcome {
                    ok: true,
                    value: Some(kv.value.clone()),
                    revision: kv.mod_revision,
                    ..Outcome::default()
                },
                None => Outcome::default(),
            },
            Op::Delete { key } => {
                if self.keys.remove(key).is_none() {
                    return Outcome::default();
                }
                self.revision += 1;
                Outcome {
                    ok: true,
                    revision: self.revision,
                    ..Outcome::default()
                }
            }
        }
    }

    /// The revision of the last write.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// A key's value, if present (the tests read the store with it).
    #[cfg(test)]
    pub fn value(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(|kv| kv.value.as_str())
    }

    /// Every live lease and its TTL.
    pub fn leases(&self) -> impl Iterator<Item = (u64, f64)> + '_ {
        self.leases.iter().map(|(&l, &ttl)| (l, ttl))
    }
}

/// One member: what it has written to disk, and whether it runs.
#[derive(Clone, Debug)]
pub struct Member {
    pub up: bool,
    /// The newest term it has heard of, and the entry index it holds.
    pub term: u64,
    pub index: u64,
    pub store: Rc<Store>,
    pub clock: crate::clock::Clock,
}

/// An entry the leader proposed and has not committed yet.
#[derive(Clone, Debug)]
pub struct Proposal<R> {
    pub index: u64,
    /// The leader's state right after this entry.
    pub store: Rc<Store>,
    pub op: Op,
    pub outcome: Outcome,
    /// Who gets the answer (`None`: the leader's own entry).
    pub reply_to: Option<R>,
}

/// The whole group, as the world sees it.
#[derive(Clone, Debug)]
pub struct Service<R> {
    pub spec: ConsensusSpec,
    pub members: Vec<Member>,
    /// The member leading the current term, if any.
    pub leader: Option<usize>,
    /// Where clients send requests while there is no leader: the last one.
    pub last_leader: usize,
    pub term: u64,
    /// Per member, the highest index it acknowledged in this term.
    matched: Vec<u64>,
    proposals: Vec<Proposal<R>>,
    /// The leader's lease deadlines (global µs: a monotonic clock).
    pub deadlines: BTreeMap<u64, Time>,
    /// Leases whose expiry entry is on its way.
    expiring: std::collections::BTreeSet<u64>,
    /// The state as of the last committed entry: what the world shows.
    committed: Rc<Store>,
}

impl<R> Service<R> {
    /// The group as it starts: every member up and empty, the first one
    /// leading term 1 (the first election is not shown).
    pub fn new(spec: ConsensusSpec) -> Service<R> {
        let member = Member {
            up: true,
            term: 1,
            index: 0,
            store: Rc::new(Store::default()),
            clock: crate::clock::Clock::new(0.0, 0.0),
        };
        let n = spec.members as usize;
        Service {
            spec,
            members: vec![member; n],
            leader: Some(0),
            last_leader: 0,
            term: 1,
            matched: vec![0; n],
            proposals: Vec::new(),
            deadlines: BTreeMap::new(),
            expiring: Default::default(),
            committed: Rc::new(Store::default()),
        }
    }

    /// How many members make a majority.
    pub fn majority(&self) -> usize {
        self.members.len() / 2 + 1
    }

    /// The member requests go to: the leader, or the last one there was.
    pub fn contact(&self) -> usize {
        self.leader.unwrap_or(self.last_leader)
    }

    /// The leader applies `op` to its newest state: the entry's index, the
    /// state to send to the followers, and nothing is answered yet.
    pub fn propose(&mut self, op: Op, reply_to: Option<R>) -> Option<(u64, Rc<Store>)> {
        let leader = self.leader?;
        let member = &mut self.members[leader];
        let (store, outcome) = member.store.apply(&op);
        member.index += 1;
        member.store = Rc::new(store);
        let index = member.index;
        let store = Rc::clone(&member.store);
        self.matched[leader] = index;
        if let Op::Expire { lease } = op {
            self.expiring.insert(lease);
        }
        self.proposals.push(Proposal {
            index,
            store,
            op,
            outcome,
            reply_to,
        });
        Some((index, Rc::clone(&self.members[leader].store)))
    }

    /// A follower gets the leader's state of term `term` at `index`; it
    /// keeps it if it is newer than its own. Returns whether it holds it now
    /// (false: the member is down, or the sender is a deposed leader).
    pub fn follow(&mut self, member: usize, term: u64, index: u64, store: &Rc<Store>) -> bool {
        let m = &mut self.members[member];
        if !m.up || term < m.term {
            return false;
        }
        if term == m.term && index <= m.index {
            return true;
        }
        m.term = term;
        m.index = index;
        m.store = Rc::clone(store);
        true
    }

    /// The leader hears that `member` holds `index` of term `term`: the
    /// entries a majority now holds are committed and returned, oldest
    /// first.
    pub fn acknowledged(&mut self, member: usize, term: u64, index: u64) -> Vec<Proposal<R>> {
        if term != self.term || self.leader.is_none() {
            return Vec::new();
        }
        let matched = &mut self.matched[member];
        *matched = (*matched).max(index);
        let mut sorted = self.matched.clone();
        sorted.sort_unstable_by(|a, b| b.cmp(a));
        let committed = sorted[self.majority() - 1];
        let split = self
            .proposals
            .iter()
            .position(|p| p.index > committed)
            .unwrap_or(self.proposals.len());
        let done: Vec<Proposal<R>> = self.proposals.drain(..split).collect();
        if let Some(last) = done.last() {
            self.committed = Rc::clone(&last.store);
        }
        for proposal in &done {
            if let Op::Expire { lease } | Op::Revoke { lease } = proposal.op {
                self.expiring.remove(&lease);
                self.deadlines.remove(&lease);
            }
        }
        done
    }

    /// A committed grant or keepalive restarts its lease's countdown.
    pub fn lease_renewed(&mut self, lease: u64, ttl_ms: f64, now: Time) {
        self.deadlines.insert(lease, now + crate::clock::ms(ttl_ms));
    }

    /// The TTL of a live lease in the leader's state.
    pub fn ttl_of(&self, lease: u64) -> Option<f64> {
        let leader = self.leader?;
        self.members[leader].store.leases.get(&lease).copied()
    }

    /// Leases past their deadline with no expiry entry on its way yet.
    pub fn due_leases(&self, now: Time) -> Vec<u64> {
        self.deadlines
            .iter()
            .filter(|(lease, &at)| at <= now && !self.expiring.contains(lease))
            .map(|(&lease, _)| lease)
            .collect()
    }

    /// The earliest lease deadline.
    pub fn next_deadline(&self) -> Option<Time> {
        self.deadlines.values().min().copied()
    }

    /// A member stops; if it led, its unanswered entries are lost with it.
    pub fn crash(&mut self, member: usize) {
        self.members[member].up = false;
        if self.leader == Some(member) {
            self.step_down();
        }
    }

    /// The leader gives up (crashed, or cut off from a majority).
    pub fn step_down(&mut self) {
        if let Some(leader) = self.leader.take() {
            self.last_leader = leader;
        }
        self.proposals.clear();
        self.expiring.clear();
        self.deadlines.clear();
    }

    /// Whether the leader can still reach a majority of running members.
    pub fn leader_has_majority(&self, reaches: &dyn Fn(usize, usize) -> bool) -> bool {
        match self.leader {
            Some(leader) => {
                self.members[leader].up && self.reachable(leader, reaches) >= self.majority()
            }
            None => false,
        }
    }

    /// Running members `member` can reach, itself included.
    fn reachable(&self, member: usize, reaches: &dyn Fn(usize, usize) -> bool) -> usize {
        (0..self.members.len())
            .filter(|&m| self.members[m].up && (m == member || reaches(member, m)))
            .count()
    }

    /// The election: among running members that reach a majority, the one
    /// with the newest log (term, then index; ties to the first) leads a
    /// new term. Returns the new leader, or `None` if no member can.
    pub fn elect(&mut self, now: Time, reaches: &dyn Fn(usize, usize) -> bool) -> Option<usize> {
        self.step_down();
        let winner = (0..self.members.len())
            .filter(|&m| self.members[m].up && self.reachable(m, reaches) >= self.majority())
            .max_by(|&a, &b| {
                let (ma, mb) = (&self.members[a], &self.members[b]);
                (ma.term, ma.index)
                    .cmp(&(mb.term, mb.index))
                    .then(b.cmp(&a))
            })?;
        self.term += 1;
        self.leader = Some(winner);
        self.last_leader = winner;
        self.members[winner].term = self.term;
        self.matched = vec![0; self.members.len()];
        self.matched[winner] = self.members[winner].index;
        self.committed = Rc::clone(&self.members[winner].store);
        let leases: Vec<(u64, f64)> = self.members[winner].store.leases().collect();
        for (lease, ttl) in leases {
            self.lease_renewed(lease, ttl, now);
        }
        Some(winner)
    }
}

impl<R> Service<R> {
    /// The committed state as the world shows it; `names` are the members'.
    pub fn state(&self, names: &[String]) -> crate::trace::ConsensusState {
        let store = &self.committed;
        crate::trace::ConsensusState {
            leader: self.leader.and_then(|l| names.get(l).cloned()),
            term: self.term,
            revision: store.revision,
            keys: store
                .keys
                .iter()
                .map(|(key, kv)| crate::trace::ConsensusKey {
                    key: key.clone(),
                    value: kv.value.clone(),
                    revision: kv.mod_revision,
                    lease: kv.lease,
                })
                .collect(),
            leases: store
                .leases()
                .map(|(lease, ttl_ms)| crate::trace::LeaseState { lease, ttl_ms })
                .collect(),
            down: (0..self.members.len())
                .filter(|&m| !self.members[m].up)
                .filter_map(|m| names.get(m).cloned())
                .collect(),
        }
    }
}

impl Op {
    /// The request in one line, as the timeline shows it.
    pub fn text(&self) -> String {
        match self {
            Op::Grant { ttl_ms } => format!("GRANT ttl={ttl_ms}ms"),
            Op::KeepAlive { lease } => format!("KEEPALIVE lease {lease}"),
            Op::Revoke { lease } => format!("REVOKE lease {lease}"),
            Op::Expire { lease } => format!("EXPIRE lease {lease}"),
            Op::PutIfAbsent { key, value, lease } => {
                let lease = lease.map(|l| format!(" lease {l}")).unwrap_or_default();
                format!("PUT {key} {} IF ABSENT{lease}", quote(value.as_bytes()))
            }
            Op::Get { key } => format!("GET {key}"),
            Op::Delete { key } => format!("DELETE {key}"),
        }
    }

    /// The key it concerns, if one.
    pub fn key(&self) -> Option<&str> {
        match self {
            Op::PutIfAbsent { key, .. } | Op::Get { key } | Op::Delete { key } => Some(key),
            _ => None,
        }
    }
}

impl Outcome {
    /// The answer in one line: `ok (revision 3)`, `held: "b" (revision 2)`.
    pub fn text(&self, op: &Op) -> String {
        if let Some(error) = &self.error {
            return error.clone();
        }
        let value = || {
            self.value
                .as_ref()
                .map(|v| quote(v.as_bytes()))
                .unwrap_or_else(|| "(nil)".into())
        };
        match op {
            Op::Grant { .. } => format!("lease {}", self.lease.unwrap_or(0)),
            Op::KeepAlive { .. } => "kept alive".into(),
            Op::Revoke { .. } | Op::Expire { .. } if self.deleted.is_empty() => {
                "no keys deleted".into()
            }
            Op::Revoke { .. } | Op::Expire { .. } => format!(
                "deleted {} (revision {})",
                self.deleted.join(", "),
                self.revision
            ),
            Op::PutIfAbsent { .. } if self.ok => format!("written (revision {})", self.revision),
            Op::PutIfAbsent { .. } => {
                format!(
                    "not written: held by {} (revision {})",
                    value(),
                    self.revision
                )
            }
            Op::Get { .. } if self.ok => format!("{} (revision {})", value(), self.revision),
            Op::Get { .. } => "(nil)".into(),
            Op::Delete { .. } if self.ok => format!("deleted (revision {})", self.revision),
            Op::Delete { .. } => "no such key".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service(members: u32) -> Service<u32> {
        Service::new(ConsensusSpec {
            name: "etcd".into(),
            members,
            latency_ms: 1.0,
            election_timeout_ms: 1000.0,
        })
    }

    fn put(key: &str, value: &str, lease: Option<u64>) -> Op {
        Op::PutIfAbsent {
            key: key.into(),
            value: value.into(),
            lease,
        }
    }

    #[test]
    fn the_revision_only_grows_and_put_if_absent_writes_once() {
        let store = Store::default();
        let (store, grant) = store.apply(&Op::Grant { ttl_ms: 5000.0 });
        let lease = grant.lease.unwrap();
        let (store, first) = store.apply(&put("lock", "a", Some(lease)));
        assert!(first.ok);
        assert_eq!(first.revision, 1);
        let (store, second) = store.apply(&put("lock", "b", None));
        assert!(!second.ok, "the key exists");
        assert_eq!(second.value.as_deref(), Some("a"));
        let (store, expired) = store.apply(&Op::Expire { lease });
        assert_eq!(expired.deleted, vec!["lock".to_string()]);
        let (store, third) = store.apply(&put("lock", "b", None));
        assert!(third.ok);
        assert!(
            third.revision > first.revision,
            "a later holder's token is higher"
        );
        let (_, stale) = store.apply(&Op::KeepAlive { lease });
        assert!(
            stale.error.is_some(),
            "an expired lease cannot be kept alive"
        );
    }

    #[test]
    fn an_entry_is_committed_only_when_a_majority_holds_it() {
        let mut s = service(3);
        let (index, store) = s.propose(put("k", "v", None), Some(7)).unwrap();
        assert!(s.acknowledged(0, 1, index).is_empty(), "the leader alone");
        assert!(s.follow(1, 1, index, &store));
        let done = s.acknowledged(1, 1, index);
        assert_eq!(done.len(), 1, "leader and one follower: 2 of 3");
        assert_eq!(done[0].reply_to, Some(7));
    }

    #[test]
    fn the_newest_log_wins_the_election_and_a_minority_elects_nobody() {
        let mut s = service(3);
        let (index, store) = s.propose(put("k", "v", None), None).unwrap();
        s.follow(2, 1, index, &store);
        s.crash(0);
        let all = |_: usize, _: usize| true;
        assert_eq!(s.elect(0, &all), Some(2), "member 2 has the entry");
        assert_eq!(s.members[2].store.value("k"), Some("v"));
        s.crash(1);
        assert_eq!(s.elect(0, &all), None, "one member of three is no majority");
    }
}
