//! Measurements read from a trace, in one small language used three ways:
//! as `[[metric]]` assertions with bounds in a scenario (their verdicts go
//! into the trace), as the numbers lessons ask for, and as series a chart
//! draws. Two runs can be compared metric by metric.
//!
//! ```text
//! count(client-* send text="SET")     events matching a filter
//! retries(client-* send text="SET")   matches beyond each actor's first
//! first(violation)                    ms of the first match (last: the last)
//! rate(db query, per=1s)              the most matches in one window
//! p99(latency, client-1)              send → reply, ms, per command
//! max(wait, db)                       a query's wait for a database connection
//! sum(sleep, client-2)                ms slept
//! max(memory, redis key="rl:log:*")   the most bytes those keys held at once
//! ```
//!
//! A filter is an actor (a glob: `client-*`; `any` or nothing for all), an
//! event type as the trace spells it (plurals too: `queries`), and fields
//! `text="..."` (contained in the event's text), `key=`, `to=`, `from=`,
//! `actor=`, `type=`, in any order. Everything is computed from the trace
//! alone (its events and the state snapshots they carry), so a metric means
//! the same natively, in wasm and in a saved trace.
//!
//! `memory` is the one quantity read from the snapshots rather than from
//! events: the bytes MEMORY USAGE gives for the keys `key=` matches (a
//! glob) on the nodes the actor names, added up, each time that total
//! changes. Nodes record it only with `memory_usage = true`, so a trace
//! without it has nothing to measure.

mod parse;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::trace::{Event, Trace, Verdict, VerdictKind, What};

pub use parse::ParseError;

/// A parsed metric expression.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    /// As written (trimmed), for messages and tables.
    pub source: String,
    pub func: Func,
    /// What `p99`, `max`, ... measure; `None` for the counting functions.
    pub quantity: Option<Quantity>,
    pub filter: Filter,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Func {
    Count,
    Retries,
    First,
    Last,
    Rate { per_us: u64 },
    Percentile(f64),
    Max,
    Min,
    Mean,
    Sum,
}

/// A number per event, for the statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// From a `send` to the reply that reached the program, ms (a command
    /// that timed out or was lost has none).
    Latency,
    /// How long a database `query` waited for a free connection, ms.
    Wait,
    /// How long a `sleep` lasted, ms.
    Sleep,
    /// The bytes of the matching keys together (MEMORY USAGE), from the
    /// state snapshots of nodes that record it.
    Memory,
}

/// Which events a metric looks at.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Filter {
    /// A name or a glob with `*`.
    pub actor: Option<String>,
    /// An event `type`.
    pub kind: Option<String>,
    /// Text the event's text contains.
    pub text: Option<String>,
    pub key: Option<String>,
    pub to: Option<String>,
    pub from: Option<String>,
}

/// One point of a series: a time in ms and a value.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Point {
    pub t_ms: f64,
    pub value: f64,
}

/// A `[[metric]]` assertion: the value must lie within the bounds.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct MetricSpec {
    /// The expression, e.g. `count(db query)`.
    pub query: String,
    #[serde(default)]
    pub min: Option<f64>,
    #[serde(default)]
    pub max: Option<f64>,
}

/// One metric in two runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Comparison {
    pub metric: String,
    pub a: Option<f64>,
    pub b: Option<f64>,
}

impl Func {
    fn takes_quantity(&self) -> bool {
        matches!(
            self,
            Func::Percentile(_) | Func::Max | Func::Min | Func::Mean | Func::Sum
        )
    }
}

impl Quantity {
    /// The event type the quantity is read from (`None`: the state).
    fn event_type(self) -> Option<&'static str> {
        match self {
            Quantity::Latency => Some("send"),
            Quantity::Wait => Some("query"),
            Quantity::Sleep => Some("sleep"),
            Quantity::Memory => None,
        }
    }
}

impl Filter {
    pub fn matches(&self, event: &Event) -> bool {
        let what = &event.what;
        self.actor.as_deref().is_none_or(|g| glob(g, &event.actor))
            && self.kind.as_deref().is_none_or(|k| what.type_name() == k)
            && self.text.as_deref().is_none_or(|t| what.text().contains(t))
            && self
                .key
                .as_deref()
                .is_none_or(|k| what.key().is_some_and(|key| glob(k, &key)))
            && self
                .to
                .as_deref()
                .is_none_or(|g| peer_to(what).is_some_and(|p| glob(g, p)))
            && self
                .from
                .as_deref()
                .is_none_or(|g| peer_from(what).is_some_and(|p| glob(g, p)))
    }
}

fn peer_to(what: &What) -> Option<&str> {
    match what {
        What::Send { to, .. }
        | What::Timeout { to, .. }
        | What::Drop { to, .. }
        | What::Request { to, .. } => Some(to),
        _ => None,
    }
}

fn peer_from(what: &What) -> Option<&str> {
    match what {
        What::Receive { from, .. }
        | What::Exec { from, .. }
        | What::Busy { from, .. }
        | What::Write { from, .. }
        | What::Query { from, .. }
        | What::Commit { from, .. }
        | What::Drop { from, .. } => Some(from),
        What::Outcome { traffic, .. } => Some(traffic),
        _ => None,
    }
}

/// `*` matches any run of characters; everything else itself.
fn glob(pattern: &str, name: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !name.starts_with(first) || name.len() < first.len() + last.len() {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    if !name.ends_with(last) {
        return false;
    }
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    true
}

impl Metric {
    /// The metric's value in `trace`; `None` when it has nothing to measure
    /// (the first of no event, the p99 of no command).
    pub fn value(&self, trace: &Trace) -> Option<f64> {
        let matching = || trace.events.iter().filter(|e| self.matches(e));
        match &self.func {
            Func::Count => Some(matching().count() as f64),
            Func::Retries => {
                let mut per_actor: BTreeMap<&str, usize> = BTreeMap::new();
                for e in matching() {
                    *per_actor.entry(e.actor.as_str()).or_default() += 1;
                }
                Some(per_actor.values().map(|n| n - 1).sum::<usize>() as f64)
            }
            Func::First => matching().next().map(|e| ms(e.t_us)),
            Func::Last => matching().next_back().map(|e| ms(e.t_us)),
            Func::Rate { per_us } => {
                Some(self.windows(trace, *per_us).into_iter().max().unwrap_or(0) as f64)
            }
            _ => {
                let samples: Vec<f64> = self.samples(trace).into_iter().map(|p| p.value).collect();
                statistic(&self.func, samples)
            }
        }
    }

    /// The metric over time, for a chart: counts as they grow, rates per
    /// window, or one point per sample (at the event's time).
    pub fn series(&self, trace: &Trace) -> Vec<Point> {
        match &self.func {
            Func::Count | Func::Retries => {
                let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
                let mut total = 0.0;
                let mut points = Vec::new();
                for e in trace.events.iter().filter(|e| self.matches(e)) {
                    let n = seen.entry(e.actor.as_str()).or_default();
                    *n += 1;
                    if self.func == Func::Count || *n > 1 {
                        total += 1.0;
                        points.push(Point {
                            t_ms: ms(e.t_us),
                            value: total,
                        });
                    }
                }
                points
            }
            Func::First | Func::Last => self
                .value(trace)
                .map(|t| vec![Point { t_ms: t, value: t }])
                .unwrap_or_default(),
            Func::Rate { per_us } => self
                .windows(trace, *per_us)
                .into_iter()
                .enumerate()
                .map(|(i, n)| Point {
                    t_ms: ms(i as u64 * per_us),
                    value: n as f64,
                })
                .collect(),
            _ => self.samples(trace),
        }
    }

    fn matches(&self, event: &Event) -> bool {
        let implied = self.quantity.and_then(Quantity::event_type);
        implied.is_none_or(|k| event.what.type_name() == k) && self.filter.matches(event)
    }

    /// Matches per window of `per_us`, from time 0 to the run's end.
    fn windows(&self, trace: &Trace, per_us: u64) -> Vec<usize> {
        let per = per_us.max(1);
        let mut counts = vec![0; (trace.end_us / per) as usize + 1];
        for e in trace.events.iter().filter(|e| self.matches(e)) {
            if let Some(slot) = counts.get_mut((e.t_us / per) as usize) {
                *slot += 1;
            }
        }
        counts
    }

    /// The quantity's value at each matching event.
    fn samples(&self, trace: &Trace) -> Vec<Point> {
        let Some(quantity) = self.quantity else {
            return Vec::new();
        };
        if quantity == Quantity::Memory {
            return self.memory_samples(trace);
        }
        let replies: BTreeMap<(&str, u64), u64> = match quantity {
            Quantity::Latency => trace
                .events
                .iter()
                .filter_map(|e| match &e.what {
                    What::Receive {
                        msg, late: false, ..
                    } => Some(((e.actor.as_str(), *msg), e.t_us)),
                    _ => None,
                })
                .collect(),
            _ => BTreeMap::new(),
        };
        trace
            .events
            .iter()
            .filter(|e| self.matches(e))
            .filter_map(|e| {
                let value = match (&e.what, quantity) {
                    (What::Send { msg, .. }, Quantity::Latency) => replies
                        .get(&(e.actor.as_str(), *msg))
                        .map(|t| ms(t.saturating_sub(e.t_us)))?,
                    (What::Query { queued_us, .. }, Quantity::Wait) => ms(*queued_us),
                    (What::Sleep { ms: slept, .. }, Quantity::Sleep) => *slept,
                    _ => return None,
                };
                Some(Point {
                    t_ms: ms(e.t_us),
                    value,
                })
            })
            .collect()
    }
}

impl Metric {
    /// The matching keys' bytes together, at each snapshot where the total
    /// changes, from the first snapshot in which a matching node recorded
    /// a size (so keys that expire count down to 0).
    fn memory_samples(&self, trace: &Trace) -> Vec<Point> {
        let mut points = Vec::new();
        let mut last = None;
        for event in &trace.events {
            let Some(state) = &event.state else { continue };
            let mut recorded = last.is_some();
            let mut total = 0;
            let nodes = state
                .nodes
                .iter()
                .filter(|(name, _)| self.filter.actor.as_deref().is_none_or(|g| glob(g, name)));
            for (_, node) in nodes {
                for key in &node.keys {
                    let Some(bytes) = key.memory else { continue };
                    recorded = true;
                    if self.filter.key.as_deref().is_none_or(|g| glob(g, &key.key)) {
                        total += bytes;
                    }
                }
            }
            if recorded && last != Some(total) {
                last = Some(total);
                points.push(Point {
                    t_ms: ms(event.t_us),
                    value: total as f64,
                });
            }
        }
        points
    }
}

fn ms(us: u64) -> f64 {
    us as f64 / 1000.0
}

fn statistic(func: &Func, mut samples: Vec<f64>) -> Option<f64> {
    if samples.is_empty() {
        return None;
    }
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    Some(match func {
        // Nearest rank: the smallest sample with at least p% at or below it.
        Func::Percentile(p) => {
            let rank = ((p / 100.0) * n as f64).ceil().max(1.0) as usize;
            samples[rank.min(n) - 1]
        }
        Func::Max => samples[n - 1],
        Func::Min => samples[0],
        Func::Mean => samples.iter().sum::<f64>() / n as f64,
        Func::Sum => samples.iter().sum(),
        _ => return None,
    })
}

/// Reads and evaluates `source` against `trace`: the function lessons call
/// for numeric questions.
pub fn evaluate(source: &str, trace: &Trace) -> Result<Option<f64>, ParseError> {
    Ok(Metric::parse(source)?.value(trace))
}

/// `source` over time, for a chart.
pub fn series(source: &str, trace: &Trace) -> Result<Vec<Point>, ParseError> {
    Ok(Metric::parse(source)?.series(trace))
}

/// The same metrics in two runs (variants of a scenario on one seed).
pub fn compare(metrics: &[Metric], a: &Trace, b: &Trace) -> Vec<Comparison> {
    metrics
        .iter()
        .map(|m| Comparison {
            metric: m.source.clone(),
            a: m.value(a),
            b: m.value(b),
        })
        .collect()
}

/// What `lockstep run --compare` measures when the scenarios declare no
/// metrics of their own.
pub const DEFAULT_COMPARISON: &[&str] = &[
    "count(send)",
    "p50(latency)",
    "p99(latency)",
    "count(query)",
    "max(wait)",
    "count(timeout)",
    "count(violation)",
];

impl MetricSpec {
    /// Checks the expression and the bounds.
    pub fn check(&self) -> Result<Metric, String> {
        let metric = Metric::parse(&self.query)?;
        let what = format!("[[metric]] `{}`", self.query.trim());
        for bound in [self.min, self.max].into_iter().flatten() {
            if !bound.is_finite() {
                return Err(format!("{what}: bounds must be numbers"));
            }
        }
        match (self.min, self.max) {
            (None, None) => Err(format!("{what}: give `min`, `max` or both")),
            (Some(low), Some(high)) if low > high => {
                Err(format!("{what}: min {low} is above max {high}"))
            }
            _ => Ok(metric),
        }
    }

    /// The assertion in one line: `count(db query) ≤ 1`.
    pub fn describe(&self) -> String {
        let query = self.query.trim();
        match (self.min, self.max) {
            (Some(low), Some(high)) if low == high => format!("{query} = {}", number(low)),
            (Some(low), Some(high)) => format!("{} ≤ {query} ≤ {}", number(low), number(high)),
            (Some(low), None) => format!("{query} ≥ {}", number(low)),
            (None, Some(high)) => format!("{query} ≤ {}", number(high)),
            (None, None) => query.to_string(),
        }
    }

    /// The verdict of this assertion on a finished trace. A failure points
    /// at the run's last event, where the whole run has been measured.
    pub fn verdict(&self, trace: &Trace) -> Verdict {
        let value = Metric::parse(&self.query)
            .map_err(|e| e.to_string())
            .map(|m| m.value(trace));
        let problem = match value {
            Err(error) => Some(error),
            Ok(None) => Some(format!(
                "{} has nothing to measure in this run",
                self.query.trim()
            )),
            Ok(Some(v)) => match (self.min, self.max) {
                (Some(low), _) if v < low => Some(format!(
                    "{} = {}, below the minimum {}",
                    self.query.trim(),
                    number(v),
                    number(low)
                )),
                (_, Some(high)) if v > high => Some(format!(
                    "{} = {}, above the maximum {}",
                    self.query.trim(),
                    number(v),
                    number(high)
                )),
                _ => None,
            },
        };
        let last = trace.events.last();
        Verdict {
            invariant: self.describe(),
            kind: VerdictKind::Metric,
            subject: Some(self.query.trim().to_string()),
            held: problem.is_none(),
            at_seq: problem.as_ref().and(last.map(|e| e.seq)),
            at_us: problem.as_ref().and(last.map(|e| e.t_us)),
            message: problem,
        }
    }
}

/// A number as people write it: `3`, `2.5`, `0.125`.
pub fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        let text = format!("{n:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

#[cfg(test)]
mod tests;
