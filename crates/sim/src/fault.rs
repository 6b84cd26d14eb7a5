//! Every fault kind, defined once: its parameters (the scenario's
//! `[[fault]]` table), its checks, its words, how much time it takes
//! away, and how the explorer varies it ([`ExploreKind`]). The world's
//! mechanism for each is in `world/faults.rs` (and `network.rs` for the
//! network's part); front ends show a fault with [`FaultKind::describe`].
//!
//! Adding a kind: a variant here with its arms below, its mechanism in
//! `world/faults.rs`, a row in `SCENARIO.md`.

use serde::{Deserialize, Serialize};

use crate::budget::Budget;
use crate::scenario::Scenario;

#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum FaultKind {
    /// A stop-the-world pause of a client process (GC, VM migration).
    Pause { target: String, duration_ms: f64 },
    /// A node dies; with `restart_after_ms` it comes back with what its
    /// persistence kept.
    Crash {
        target: String,
        #[serde(default)]
        restart_after_ms: Option<f64>,
    },
    /// A stopped node starts again; a killed client starts its program
    /// again from the top (fresh globals, new connections).
    Restart { target: String },
    /// A client process dies (its spawned tasks too).
    Kill { target: String },
    /// A replica becomes a primary (manual failover); the old primary, if
    /// it comes back, replicates from it.
    Promote { target: String },
    /// Cut the network into groups; actors not named form one more group.
    /// With `duration_ms` it heals by itself that much later.
    Partition {
        groups: Vec<Vec<String>>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration_ms: Option<f64>,
    },
    /// Remove every partition.
    Heal {},
    /// An actor's clock jumps (NTP step, VM resume).
    ClockJump { target: String, by_ms: f64 },
    /// An actor's clock starts running fast or slow.
    ClockDrift { target: String, drift: f64 },
    /// A latency spike: messages between the two groups (either way) take
    /// `extra_ms` longer for `duration_ms` — the reason a reply can arrive
    /// after its caller gave up.
    Delay {
        between: [Vec<String>; 2],
        extra_ms: f64,
        duration_ms: f64,
    },
    /// Messages from `from` to `to` are lost for `duration_ms`, while the
    /// other way works: commands arrive and run, their replies never come
    /// back (or the reverse).
    LoseOneWay {
        from: Vec<String>,
        to: Vec<String>,
        duration_ms: f64,
    },
    /// The next reply a node sends to `target` is lost: the command ran,
    /// the client never hears it did.
    LoseReply { target: String },
}

impl FaultKind {
    /// The `kind` as written in the file.
    pub fn name(&self) -> &'static str {
        match self {
            FaultKind::Pause { .. } => "pause",
            FaultKind::Crash { .. } => "crash",
            FaultKind::Restart { .. } => "restart",
            FaultKind::Kill { .. } => "kill",
            FaultKind::Promote { .. } => "promote",
            FaultKind::Partition { .. } => "partition",
            FaultKind::Heal {} => "heal",
            FaultKind::ClockJump { .. } => "clock_jump",
            FaultKind::ClockDrift { .. } => "clock_drift",
            FaultKind::Delay { .. } => "delay",
            FaultKind::LoseOneWay { .. } => "lose_one_way",
            FaultKind::LoseReply { .. } => "lose_reply",
        }
    }

    /// The fault in a few words, e.g. "pause client-1 for 15000 ms": the
    /// words of the command line, the page and the explorer's findings.
    pub fn describe(&self) -> String {
        match self {
            FaultKind::Pause {
                target,
                duration_ms,
            } => format!("pause {target} for {duration_ms} ms"),
            FaultKind::Crash {
                target,
                restart_after_ms: Some(after),
            } => format!("crash {target} and restart it {after} ms later"),
            FaultKind::Crash { target, .. } => format!("crash {target} for good"),
            FaultKind::Restart { target } => format!("restart {target}"),
            FaultKind::Kill { target } => format!("kill {target}"),
            FaultKind::Promote { target } => format!("promote {target} (failover)"),
            FaultKind::Partition {
                groups,
                duration_ms,
            } => {
                let what = match groups.as_slice() {
                    [one] if one.len() == 1 => format!("cut {} off the network", one[0]),
                    _ => {
                        let sides: Vec<String> = groups.iter().map(|g| g.join(", ")).collect();
                        format!("partition {}", sides.join(" | "))
                    }
                };
                match duration_ms {
                    Some(ms) => format!("{what} for {ms} ms"),
                    None => what,
                }
            }
            FaultKind::Heal {} => "heal the network".into(),
            FaultKind::ClockJump { target, by_ms } => {
                format!("jump {target}'s clock by {by_ms:+} ms")
            }
            FaultKind::ClockDrift { target, drift } => {
                format!("drift {target}'s clock by {drift:+}")
            }
            FaultKind::Delay {
                between,
                extra_ms,
                duration_ms,
            } => format!(
                "slow messages between {} and {} by {extra_ms} ms for {duration_ms} ms",
                between[0].join(", "),
                between[1].join(", ")
            ),
            FaultKind::LoseOneWay {
                from,
                to,
                duration_ms,
            } => format!(
                "lose messages from {} to {} for {duration_ms} ms",
                from.join(", "),
                to.join(", ")
            ),
            FaultKind::LoseReply { target } => format!("lose the next reply to {target}"),
        }
    }

    /// The one actor a fault is aimed at, if it has one (a partition's
    /// or a delay's first listed actor).
    pub fn target(&self) -> Option<&str> {
        match self {
            FaultKind::Pause { target, .. }
            | FaultKind::Crash { target, .. }
            | FaultKind::Restart { target }
            | FaultKind::Kill { target }
            | FaultKind::Promote { target }
            | FaultKind::ClockJump { target, .. }
            | FaultKind::ClockDrift { target, .. }
            | FaultKind::LoseReply { target } => Some(target),
            FaultKind::LoseOneWay { to, .. } => to.first().map(String::as_str),
            FaultKind::Partition { groups, .. } => groups.first()?.first().map(String::as_str),
            FaultKind::Delay { between, .. } => between[0].first().map(String::as_str),
            FaultKind::Heal {} => None,
        }
    }

    /// How long the fault keeps something from working (a pause, an
    /// outage, a cut, a spike): the explorer lets a run go on that much
    /// longer, so that "the work did not get done" means stuck.
    pub(crate) fn lasts_ms(&self) -> f64 {
        match self {
            FaultKind::Pause { duration_ms, .. }
            | FaultKind::Partition {
                duration_ms: Some(duration_ms),
                ..
            }
            | FaultKind::Delay { duration_ms, .. }
            | FaultKind::LoseOneWay { duration_ms, .. } => *duration_ms,
            FaultKind::Crash {
                restart_after_ms: Some(after),
                ..
            } => *after,
            _ => 0.0,
        }
    }

    /// The checks TOML's types cannot express; the message names the
    /// field or actor at fault.
    pub fn check(&self, scenario: &Scenario) -> Result<(), String> {
        // Consensus members crash, restart and have clocks as nodes do.
        let members = scenario.member_names();
        let is_node =
            |n: &str| scenario.nodes.iter().any(|x| x.name == n) || members.iter().any(|m| m == n);
        let is_client = |n: &str| scenario.clients.iter().any(|x| x.name == n);
        let names = scenario.actor_names();
        let known = |n: &str| names.iter().any(|x| x == n);
        let target_is = |target: &str, want: &str, ok: bool| {
            if ok {
                Ok(())
            } else {
                Err(format!("target \"{target}\" is not a {want}"))
            }
        };
        let non_negative = |field: &str, value: f64| {
            if value.is_finite() && value >= 0.0 {
                Ok(())
            } else {
                Err(format!("{field} must be a number ≥ 0, not {value}"))
            }
        };
        match self {
            FaultKind::Pause {
                target,
                duration_ms,
            } => {
                target_is(target, "client", is_client(target))?;
                non_negative("duration_ms", *duration_ms)
            }
            FaultKind::Kill { target } => target_is(target, "client", is_client(target)),
            FaultKind::Crash {
                target,
                restart_after_ms,
            } => {
                target_is(target, "node", is_node(target))?;
                restart_after_ms.map_or(Ok(()), |after| non_negative("restart_after_ms", after))
            }
            FaultKind::Restart { target } => target_is(
                target,
                "node or client",
                is_node(target) || is_client(target),
            ),
            FaultKind::Promote { target } => target_is(
                target,
                "Redis node",
                scenario.nodes.iter().any(|x| &x.name == target),
            ),
            FaultKind::ClockJump { target, by_ms } => {
                target_is(
                    target,
                    "node or client",
                    is_node(target) || is_client(target),
                )?;
                if by_ms.is_finite() {
                    Ok(())
                } else {
                    Err("by_ms must be a number".into())
                }
            }
            FaultKind::ClockDrift { target, drift } => {
                target_is(
                    target,
                    "node or client",
                    is_node(target) || is_client(target),
                )?;
                if drift.is_finite() && *drift > -1.0 {
                    Ok(())
                } else {
                    Err("drift must be above -1".into())
                }
            }
            FaultKind::Partition {
                groups,
                duration_ms,
            } => {
                if let Some(name) = groups.iter().flatten().find(|n| !known(n)) {
                    return Err(format!("\"{name}\" is not an actor"));
                }
                duration_ms.map_or(Ok(()), |ms| non_negative("duration_ms", ms))
            }
            FaultKind::Heal {} => Ok(()),
            FaultKind::Delay {
                between,
                extra_ms,
                duration_ms,
            } => {
                for side in between {
                    if side.is_empty() {
                        return Err("between wants two non-empty groups of actors".into());
                    }
                    if let Some(name) = side.iter().find(|n| !known(n)) {
                        return Err(format!("between: \"{name}\" is not an actor"));
                    }
                }
                non_negative("extra_ms", *extra_ms)?;
                non_negative("duration_ms", *duration_ms)
            }
            FaultKind::LoseOneWay {
                from,
                to,
                duration_ms,
            } => {
                for (field, side) in [("from", from), ("to", to)] {
                    if side.is_empty() {
                        return Err(format!("{field} wants a non-empty list of actors"));
                    }
                    if let Some(name) = side.iter().find(|n| !known(n)) {
                        return Err(format!("{field}: \"{name}\" is not an actor"));
                    }
                }
                non_negative("duration_ms", *duration_ms)
            }
            FaultKind::LoseReply { target } => target_is(target, "client", is_client(target)),
        }
    }
}

/// The fault kinds the explorer knows how to place; each is defined by
/// the actors it may hit, the budget list it varies over, and the
/// [`FaultKind`] it makes.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum ExploreKind {
    /// A stop-the-world pause of a client.
    Pause,
    /// A client process dies.
    Kill,
    /// A node dies and stays down.
    Crash,
    /// A node dies and comes back after a while (with what its persistence kept).
    Restart,
    /// One actor is cut off from everyone else for a while.
    Partition,
    /// A node's or client's clock jumps.
    ClockJump,
    /// A replica is promoted (failover).
    Promote,
    /// A client's messages to and from the nodes are slowed for a while.
    Delay,
    /// For a while the nodes' replies to a client are lost, while its
    /// commands still arrive and run.
    LoseOneWay,
    /// For a while a client's commands to the nodes are lost, while what
    /// the nodes send it (replies to earlier calls, pub/sub messages)
    /// still arrives: nothing it sends runs.
    LoseRequests,
    /// One reply to a client is lost.
    LoseReply,
}

/// Which actors an explored fault may hit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Targets {
    Clients,
    Nodes,
    Replicas,
    NodesThenClients,
}

impl ExploreKind {
    pub(crate) const ALL: [ExploreKind; 11] = [
        ExploreKind::Pause,
        ExploreKind::Kill,
        ExploreKind::Crash,
        ExploreKind::Restart,
        ExploreKind::Partition,
        ExploreKind::ClockJump,
        ExploreKind::Promote,
        ExploreKind::Delay,
        ExploreKind::LoseOneWay,
        ExploreKind::LoseRequests,
        ExploreKind::LoseReply,
    ];

    pub fn name(self) -> &'static str {
        match self {
            ExploreKind::Pause => "pause",
            ExploreKind::Kill => "kill",
            ExploreKind::Crash => "crash",
            ExploreKind::Restart => "restart",
            ExploreKind::Partition => "partition",
            ExploreKind::ClockJump => "clock_jump",
            ExploreKind::Promote => "promote",
            ExploreKind::Delay => "delay",
            ExploreKind::LoseOneWay => "lose_one_way",
            ExploreKind::LoseRequests => "lose_requests",
            ExploreKind::LoseReply => "lose_reply",
        }
    }

    pub fn parse(word: &str) -> Option<ExploreKind> {
        ExploreKind::ALL.into_iter().find(|k| k.name() == word)
    }

    pub(crate) fn targets(self) -> Targets {
        match self {
            ExploreKind::Pause
            | ExploreKind::Kill
            | ExploreKind::Delay
            | ExploreKind::LoseOneWay
            | ExploreKind::LoseRequests
            | ExploreKind::LoseReply => Targets::Clients,
            ExploreKind::Crash | ExploreKind::Restart => Targets::Nodes,
            ExploreKind::Promote => Targets::Replicas,
            ExploreKind::Partition | ExploreKind::ClockJump => Targets::NodesThenClients,
        }
    }

    /// The budget's list of amounts this kind is tried with (durations,
    /// clock steps, extra latency); `None` for kinds without an amount.
    pub(crate) fn amounts(self, budget: &Budget) -> Option<&[f64]> {
        match self {
            ExploreKind::Pause => Some(&budget.pause_ms),
            ExploreKind::Restart => Some(&budget.restart_after_ms),
            ExploreKind::Partition | ExploreKind::LoseOneWay | ExploreKind::LoseRequests => {
                Some(&budget.partition_ms)
            }
            ExploreKind::ClockJump => Some(&budget.clock_jump_ms),
            ExploreKind::Delay => Some(&budget.delay_ms),
            ExploreKind::Kill
            | ExploreKind::Crash
            | ExploreKind::Promote
            | ExploreKind::LoseReply => None,
        }
    }

    /// Whether a smaller amount is a gentler fault (what shrinking tries).
    pub(crate) fn smaller_is_gentler(self) -> bool {
        !matches!(self, ExploreKind::ClockJump)
    }

    /// The fault this kind makes for `target` with `amount`.
    pub fn fault(
        self,
        target: &str,
        amount: f64,
        budget: &Budget,
        scenario: &Scenario,
    ) -> FaultKind {
        let target = target.to_string();
        match self {
            ExploreKind::Pause => FaultKind::Pause {
                target,
                duration_ms: amount,
            },
            ExploreKind::Kill => FaultKind::Kill { target },
            ExploreKind::Crash => FaultKind::Crash {
                target,
                restart_after_ms: None,
            },
            ExploreKind::Restart => FaultKind::Crash {
                target,
                restart_after_ms: Some(amount),
            },
            ExploreKind::Partition => FaultKind::Partition {
                groups: vec![vec![target]],
                duration_ms: Some(amount),
            },
            ExploreKind::ClockJump => FaultKind::ClockJump {
                target,
                by_ms: amount,
            },
            ExploreKind::Promote => FaultKind::Promote { target },
            ExploreKind::Delay => FaultKind::Delay {
                between: [
                    vec![target],
                    scenario.nodes.iter().map(|n| n.name.clone()).collect(),
                ],
                extra_ms: amount,
                duration_ms: budget.delay_for_ms,
            },
            ExploreKind::LoseOneWay => FaultKind::LoseOneWay {
                from: scenario.nodes.iter().map(|n| n.name.clone()).collect(),
                to: vec![target],
                duration_ms: amount,
            },
            ExploreKind::LoseRequests => FaultKind::LoseOneWay {
                from: vec![target],
                to: scenario.nodes.iter().map(|n| n.name.clone()).collect(),
                duration_ms: amount,
            },
            ExploreKind::LoseReply => FaultKind::LoseReply { target },
        }
    }

    /// The amount an explored fault of this kind was made with.
    pub(crate) fn amount_of(self, fault: &FaultKind) -> f64 {
        match fault {
            FaultKind::Pause { duration_ms, .. } => *duration_ms,
            FaultKind::Crash {
                restart_after_ms, ..
            } => restart_after_ms.unwrap_or(0.0),
            FaultKind::Partition { duration_ms, .. } => duration_ms.unwrap_or(0.0),
            FaultKind::LoseOneWay { duration_ms, .. } => *duration_ms,
            FaultKind::ClockJump { by_ms, .. } => *by_ms,
            FaultKind::Delay { extra_ms, .. } => *extra_ms,
            _ => 0.0,
        }
    }
}
