//! Fault schedules: which faults, and the moments they strike.
//!
//! A moment is either a time or "right after an actor did something" (its
//! n-th enter, reply, send...), taken from a fault-free run. Events keep
//! their meaning when a fault shifts the timeline, so "kill client-1 right
//! after its first reply" stays the same idea in every run.

use crate::explore::budget::{Budget, ExploreKind};
use crate::scenario::{FaultKind, FaultSpec, Scenario, Trigger, TriggerEvent};
use crate::trace::{ActorKind, Time, Trace, What};

/// A fault without its moment.
#[derive(Clone, Debug, PartialEq)]
pub enum Template {
    Pause { target: String, ms: f64 },
    Kill { target: String },
    Crash { target: String },
    Restart { target: String, after_ms: f64 },
    Isolate { target: String, ms: f64 },
    ClockJump { target: String, by_ms: f64 },
    Promote { target: String },
}

/// When a fault strikes.
#[derive(Clone, Debug, PartialEq)]
pub enum Placement {
    At {
        ms: f64,
    },
    After {
        actor: String,
        event: TriggerEvent,
        nth: u32,
    },
}

/// One fault in a schedule, with the time its moment had in the
/// fault-free run (to order and shrink by).
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    pub template: Template,
    pub placement: Placement,
    pub baseline_us: Time,
}

/// A moment with its time in the fault-free run.
#[derive(Clone, Debug, PartialEq)]
pub struct Moment {
    pub placement: Placement,
    pub baseline_us: Time,
}

/// Every fault the budget allows in this scenario.
pub fn templates(scenario: &Scenario, budget: &Budget) -> Vec<Template> {
    let allowed =
        |name: &str| budget.targets.is_empty() || budget.targets.iter().any(|t| t == name);
    let clients: Vec<String> = scenario
        .clients
        .iter()
        .map(|c| c.name.clone())
        .filter(|n| allowed(n))
        .collect();
    let nodes: Vec<String> = scenario
        .nodes
        .iter()
        .map(|n| n.name.clone())
        .filter(|n| allowed(n))
        .collect();
    let replicas: Vec<String> = scenario
        .nodes
        .iter()
        .filter(|n| n.replica_of.is_some())
        .map(|n| n.name.clone())
        .filter(|n| allowed(n))
        .collect();
    let mut out = Vec::new();
    for kind in &budget.kinds {
        match kind {
            ExploreKind::Pause => {
                for target in &clients {
                    for &ms in &budget.pause_ms {
                        out.push(Template::Pause {
                            target: target.clone(),
                            ms,
                        });
                    }
                }
            }
            ExploreKind::Kill => {
                out.extend(clients.iter().map(|t| Template::Kill { target: t.clone() }));
            }
            ExploreKind::Crash => {
                out.extend(nodes.iter().map(|t| Template::Crash { target: t.clone() }));
            }
            ExploreKind::Restart => {
                for target in &nodes {
                    for &after_ms in &budget.restart_after_ms {
                        out.push(Template::Restart {
                            target: target.clone(),
                            after_ms,
                        });
                    }
                }
            }
            ExploreKind::Partition => {
                for target in nodes.iter().chain(&clients) {
                    for &ms in &budget.partition_ms {
                        out.push(Template::Isolate {
                            target: target.clone(),
                            ms,
                        });
                    }
                }
            }
            ExploreKind::ClockJump => {
                for target in nodes.iter().chain(&clients) {
                    for &by_ms in &budget.clock_jump_ms {
                        out.push(Template::ClockJump {
                            target: target.clone(),
                            by_ms,
                        });
                    }
                }
            }
            ExploreKind::Promote => {
                out.extend(
                    replicas
                        .iter()
                        .map(|t| Template::Promote { target: t.clone() }),
                );
            }
        }
    }
    out
}

/// Most moments kept from one fault-free run.
const MAX_MOMENTS: usize = 160;

/// The moments that matter in a fault-free run: right after each client
/// enters or leaves a critical section, sends a command or gets a reply;
/// just before and at each key expiry; and a coarse grid of times.
pub fn moments(trace: &Trace, budget: &Budget, duration_ms: u64) -> Vec<Moment> {
    let [low, high] = budget.within_ms.unwrap_or([0.0, duration_ms as f64]);
    let inside = |t: Time| {
        let ms = t as f64 / 1000.0;
        ms >= low && ms <= high
    };
    let clients: Vec<&str> = trace
        .actors
        .iter()
        .filter(|a| a.kind == ActorKind::Client)
        .map(|a| a.name.as_str())
        .collect();
    let mut counts: std::collections::BTreeMap<(String, u8), u32> = Default::default();
    let mut events = Vec::new();
    let mut times = Vec::new();
    for event in &trace.events {
        if let What::Expire { .. } = event.what {
            times.push(event.t_us.saturating_sub(1000));
            times.push(event.t_us);
        }
        // The world's own count (late replies excluded); log lines are
        // left to the scenario's triggers, not planned here.
        let kind = crate::trigger::counted(&event.what)
            .map(|(kind, _)| kind)
            .filter(|&kind| kind != TriggerEvent::Log);
        let Some(kind) = kind else { continue };
        if !clients.contains(&event.actor.as_str()) {
            continue;
        }
        let count = counts.entry((event.actor.clone(), kind as u8)).or_insert(0);
        *count += 1;
        if inside(event.t_us) {
            events.push(Moment {
                placement: Placement::After {
                    actor: event.actor.clone(),
                    event: kind,
                    nth: *count,
                },
                baseline_us: event.t_us,
            });
        }
    }
    const GRID: u32 = 16;
    for i in 0..GRID {
        let ms = low + (high - low) * f64::from(i) / f64::from(GRID);
        times.push((ms * 1000.0) as Time);
    }
    let mut moments: Vec<Moment> = thin(events, MAX_MOMENTS - times.len().min(MAX_MOMENTS / 2));
    moments.extend(times.into_iter().filter(|&t| inside(t)).map(|t| Moment {
        placement: Placement::At {
            ms: t as f64 / 1000.0,
        },
        baseline_us: t,
    }));
    moments.sort_by_key(|m| m.baseline_us);
    moments.dedup();
    moments
}

/// Keeps at most `max` items, evenly spread, first ones always kept.
fn thin<T>(items: Vec<T>, max: usize) -> Vec<T> {
    if items.len() <= max || max == 0 {
        return items;
    }
    let step = items.len() as f64 / max as f64;
    let keep: std::collections::BTreeSet<usize> =
        (0..max).map(|i| (i as f64 * step) as usize).collect();
    items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| keep.contains(i))
        .map(|(_, item)| item)
        .collect()
}

impl Planned {
    /// The scenario faults that carry this out.
    pub fn specs(&self) -> Vec<FaultSpec> {
        let at = |kind: FaultKind, delay_ms: f64| match &self.placement {
            Placement::At { ms } => FaultSpec {
                kind,
                at_ms: ms + delay_ms,
                after: None,
            },
            Placement::After { actor, event, nth } => FaultSpec {
                kind,
                at_ms: delay_ms,
                after: Some(Trigger {
                    actor: actor.clone(),
                    event: *event,
                    matching: None,
                    nth: *nth,
                }),
            },
        };
        match &self.template {
            Template::Pause { target, ms } => vec![at(
                FaultKind::Pause {
                    target: target.clone(),
                    duration_ms: *ms,
                },
                0.0,
            )],
            Template::Kill { target } => vec![at(
                FaultKind::Kill {
                    target: target.clone(),
                },
                0.0,
            )],
            Template::Crash { target } => vec![at(
                FaultKind::Crash {
                    target: target.clone(),
                    restart_after_ms: None,
                },
                0.0,
            )],
            Template::Restart { target, after_ms } => vec![at(
                FaultKind::Crash {
                    target: target.clone(),
                    restart_after_ms: Some(*after_ms),
                },
                0.0,
            )],
            Template::Isolate { target, ms } => vec![
                at(
                    FaultKind::Partition {
                        groups: vec![vec![target.clone()]],
                    },
                    0.0,
                ),
                at(FaultKind::Heal {}, *ms),
            ],
            Template::ClockJump { target, by_ms } => vec![at(
                FaultKind::ClockJump {
                    target: target.clone(),
                    by_ms: *by_ms,
                },
                0.0,
            )],
            Template::Promote { target } => vec![at(
                FaultKind::Promote {
                    target: target.clone(),
                },
                0.0,
            )],
        }
    }

    /// The fault in words: "pause client-1 for 15000 ms right after its
    /// 1st enter".
    pub fn describe(&self) -> String {
        let what = match &self.template {
            Template::Pause { target, ms } => format!("pause {target} for {ms} ms"),
            Template::Kill { target } => format!("kill {target}"),
            Template::Crash { target } => format!("crash {target} for good"),
            Template::Restart { target, after_ms } => {
                format!("crash {target} and restart it {after_ms} ms later")
            }
            Template::Isolate { target, ms } => format!("cut {target} off the network for {ms} ms"),
            Template::ClockJump { target, by_ms } => {
                format!("jump {target}'s clock by {by_ms:+} ms")
            }
            Template::Promote { target } => format!("promote {target} (failover)"),
        };
        let when = match &self.placement {
            Placement::At { ms } => format!("at {ms} ms"),
            Placement::After { actor, event, nth } => {
                let event = match event {
                    TriggerEvent::Enter => "enter",
                    TriggerEvent::Leave => "leave",
                    TriggerEvent::Reply => "reply",
                    TriggerEvent::Send => "command sent",
                    TriggerEvent::Log => "log line",
                };
                format!("right after {actor}'s {} {event}", ordinal(*nth))
            }
        };
        format!("{what} {when}")
    }
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (1, 11) | (2, 12) | (3, 13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// All the scenario faults of a schedule.
pub fn specs(schedule: &[Planned]) -> Vec<FaultSpec> {
    schedule.iter().flat_map(Planned::specs).collect()
}

/// How much time a schedule's faults take away (pauses, outages,
/// isolations): the explorer lets the run go on that much longer.
pub fn lost_time_ms(schedule: &[Planned]) -> u64 {
    schedule
        .iter()
        .map(|p| match &p.template {
            Template::Pause { ms, .. } | Template::Isolate { ms, .. } => *ms,
            Template::Restart { after_ms, .. } => *after_ms,
            _ => 0.0,
        })
        .sum::<f64>()
        .ceil() as u64
}
