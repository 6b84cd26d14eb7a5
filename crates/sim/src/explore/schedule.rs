//! Fault schedules: which faults, and the moments they strike.
//!
//! A moment is either a time or "right after an actor did something" (its
//! n-th enter, reply, send...), taken from a fault-free run. Events keep
//! their meaning when a fault shifts the timeline, so "kill client-1 right
//! after its first reply" stays the same idea in every run.

use crate::explore::budget::Budget;
use crate::fault::{ExploreKind, FaultKind, Targets};
use crate::scenario::{FaultSpec, Scenario, Trigger, TriggerEvent};
use crate::trace::{ActorKind, Time, Trace, What};

/// A fault without its moment: the kind the budget named and the fault
/// it made.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    pub kind: ExploreKind,
    pub fault: FaultKind,
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

/// Every fault the budget allows in this scenario, kind by kind, target
/// by target, amount by amount.
pub fn templates(scenario: &Scenario, budget: &Budget) -> Vec<Template> {
    let allowed =
        |name: &str| budget.targets.is_empty() || budget.targets.iter().any(|t| t == name);
    let clients = || scenario.clients.iter().map(|c| &c.name);
    // Consensus members are servers too: they crash, restart, get cut off
    // and have their clocks jump like Redis nodes.
    let members = scenario.member_names();
    let nodes = || scenario.nodes.iter().map(|n| &n.name).chain(members.iter());
    let replicas = || {
        scenario
            .nodes
            .iter()
            .filter(|n| n.replica_of.is_some())
            .map(|n| &n.name)
    };
    let mut out = Vec::new();
    for &kind in &budget.kinds {
        let targets: Vec<&String> = match kind.targets() {
            Targets::Clients => clients().collect(),
            Targets::Nodes => nodes().collect(),
            Targets::Replicas => replicas().collect(),
            Targets::NodesThenClients => nodes().chain(clients()).collect(),
        };
        let amounts = kind.amounts(budget).unwrap_or(&[0.0]);
        for target in targets.into_iter().filter(|t| allowed(t)) {
            for &amount in amounts {
                out.push(Template {
                    kind,
                    fault: kind.fault(target, amount, budget, scenario),
                });
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
        // A key's or a consensus lease's expiry: just before and at it.
        if let What::Expire { .. } | What::LeaseExpire { .. } = event.what {
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
    /// The scenario fault that carries this out.
    pub fn spec(&self) -> FaultSpec {
        let kind = self.template.fault.clone();
        match &self.placement {
            Placement::At { ms } => FaultSpec {
                kind,
                at_ms: *ms,
                after: None,
            },
            Placement::After { actor, event, nth } => FaultSpec {
                kind,
                at_ms: 0.0,
                after: Some(Trigger {
                    actor: actor.clone(),
                    event: *event,
                    matching: None,
                    nth: *nth,
                }),
            },
        }
    }

    /// The fault in words: "pause client-1 for 15000 ms right after its
    /// 1st enter".
    pub fn describe(&self) -> String {
        let what = self.template.fault.describe();
        let when = match &self.placement {
            Placement::At { ms } => format!("at {ms} ms"),
            Placement::After { actor, event, nth } => {
                let event = match event {
                    TriggerEvent::Enter => "enter",
                    TriggerEvent::Leave => "leave",
                    TriggerEvent::Reply => "reply",
                    TriggerEvent::Send => "command sent",
                    TriggerEvent::Log => "log line",
                    TriggerEvent::Message => "pub/sub message",
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
    schedule.iter().map(Planned::spec).collect()
}

/// How much time a schedule's faults take away (pauses, outages,
/// isolations, spikes): the explorer lets the run go on that much longer.
pub fn lost_time_ms(schedule: &[Planned]) -> u64 {
    schedule
        .iter()
        .map(|p| p.template.fault.lasts_ms())
        .sum::<f64>()
        .ceil() as u64
}
