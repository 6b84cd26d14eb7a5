//! Two runs side by side on one time axis: the lesson's run and the "what
//! if" run, each a strip of lanes (one per actor) with its events as ticks,
//! its pauses, crashes and busy scripts as shaded spans, and its violations
//! flagged — all placed by the same milliseconds-to-x rule, so "client-1
//! woke up at 16 s here, at 6 s there" reads straight across.
//!
//! The lesson's picture compresses quiet stretches per run, which would
//! put the same instant at different places in two runs; this one is
//! linear on purpose. Plain Rust, tested natively; `crate::ui::what_if`
//! draws it.

use std::collections::BTreeMap;

use lockstep_sim::trace::{Trace, What};

use crate::lab::picture::marks::{read_marks, SpanKind};
use crate::lab::picture::scale::duration_label;
use crate::lab::timeline::tone;

/// One actor's lane in a strip.
#[derive(Clone, Debug, PartialEq)]
pub struct StripLane {
    pub name: String,
    /// Each event: its time and its tone class (`t-io`, `t-fault`, ...).
    pub ticks: Vec<(u64, &'static str)>,
    /// Shaded spans: start, end (µs) and what (`paused`, `down`, `busy`).
    pub spans: Vec<(u64, u64, &'static str)>,
}

/// One run as a strip.
#[derive(Clone, Debug, PartialEq)]
pub struct Strip {
    pub lanes: Vec<StripLane>,
    /// When each violation happened (µs) and what it broke.
    pub violations: Vec<(u64, String)>,
    /// Verdicts by name (`mutual_exclusion(report)`) and whether they held.
    pub verdicts: Vec<(String, bool)>,
    /// A client program that stopped with a Lua error: the run is not a
    /// fair test, and the page says so before the verdicts.
    pub crashed: Option<String>,
    pub end_us: u64,
}

impl Strip {
    pub fn new(trace: &Trace) -> Strip {
        let mut order: BTreeMap<String, usize> = BTreeMap::new();
        let mut lanes: Vec<StripLane> = Vec::new();
        for actor in &trace.actors {
            order.insert(actor.name.clone(), lanes.len());
            lanes.push(StripLane {
                name: actor.name.clone(),
                ticks: Vec::new(),
                spans: Vec::new(),
            });
        }
        let time_of = |seq: usize| trace.events.get(seq).map_or(trace.end_us, |e| e.t_us);
        for event in &trace.events {
            if let Some(&lane) = order.get(&event.actor) {
                lanes[lane].ticks.push((event.t_us, tone(&event.what)));
            }
        }
        let marks = read_marks(trace, &order);
        for span in &marks.spans {
            let start = time_of(span.start_seq);
            let end = span
                .end_seq
                .map(time_of)
                .or(span.end_us)
                .unwrap_or(trace.end_us);
            let what = match span.kind {
                SpanKind::Paused => "paused",
                SpanKind::Down => "down",
                SpanKind::Busy => "busy",
            };
            if let Some(lane) = lanes.get_mut(span.lane) {
                lane.spans.push((start, end.max(start), what));
            }
        }
        let violations = trace
            .events
            .iter()
            .filter_map(|e| match &e.what {
                What::Violation { invariant, .. } => Some((e.t_us, invariant.clone())),
                _ => None,
            })
            .collect();
        let crashed = crate::lab::verdicts::program_errors(trace)
            .first()
            .map(|e| format!("{} stopped with a Lua error: {}", e.client, e.message));
        Strip {
            lanes,
            violations,
            verdicts: lockstep_lessons::lesson::facts::verdicts(trace),
            crashed,
            end_us: trace.end_us,
        }
    }

    /// True when every verdict held and no program crashed.
    pub fn all_held(&self) -> bool {
        self.crashed.is_none() && self.verdicts.iter().all(|(_, held)| *held)
    }
}

/// Both strips and the axis they share.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    pub before: Strip,
    pub after: Strip,
    /// The longer run's end: both strips are drawn to it.
    pub span_us: u64,
}

/// Width of a strip's drawing area, in the SVG's units.
pub const WIDTH: f64 = 600.0;
/// Room on the left for lane names.
pub const NAME_W: f64 = 78.0;

impl Comparison {
    pub fn new(before: &Trace, after: &Trace) -> Comparison {
        let (before, after) = (Strip::new(before), Strip::new(after));
        let span_us = before.end_us.max(after.end_us).max(1);
        Comparison {
            before,
            after,
            span_us,
        }
    }

    /// The x of time `t_us` on either strip.
    pub fn x(&self, t_us: u64) -> f64 {
        NAME_W + (WIDTH - NAME_W) * (t_us.min(self.span_us) as f64 / self.span_us as f64)
    }

    /// Labelled ticks on the shared axis, about five of them at round times.
    pub fn axis(&self) -> Vec<(f64, String)> {
        let span_ms = self.span_us as f64 / 1000.0;
        let rough = span_ms / 5.0;
        let step = [1.0, 2.0, 5.0]
            .iter()
            .flat_map(|m| (0..10).map(move |p| m * 10f64.powi(p)))
            .filter(|s| *s >= rough)
            .fold(f64::INFINITY, f64::min);
        let step = if step.is_finite() {
            step
        } else {
            span_ms.max(1.0)
        };
        let mut out = Vec::new();
        let mut t = 0.0;
        while t <= span_ms + 1e-9 {
            out.push((self.x((t * 1000.0) as u64), duration_label(t)));
            t += step;
        }
        out
    }

    /// The verdicts that came out differently, by name: before, after.
    pub fn changed(&self) -> Vec<(String, bool, bool)> {
        self.before
            .verdicts
            .iter()
            .filter_map(|(name, held)| {
                let after = self.after.verdicts.iter().find(|(n, _)| n == name)?.1;
                (after != *held).then(|| (name.clone(), *held, after))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::jobs::run_text;
    use crate::learn::catalogue::Catalogue;
    use crate::learn::what_if::{scenario_text, Changes};

    fn runs(pause_ms: &str) -> (Trace, Trace) {
        let lesson = Catalogue::load()
            .find("locks/gc-pause-past-the-ttl")
            .unwrap()
            .lesson
            .clone();
        let (text, seed) = scenario_text(&lesson, &Changes::default()).unwrap();
        let before = run_text(&text, seed).unwrap();
        let mut changes = Changes::default();
        changes
            .values
            .insert("fault[0].duration_ms".into(), pause_ms.into());
        let (text, seed) = scenario_text(&lesson, &changes).unwrap();
        (before, run_text(&text, seed).unwrap())
    }

    fn pause_of(strip: &Strip) -> (u64, u64) {
        let lane = strip.lanes.iter().find(|l| l.name == "client-1").unwrap();
        let &(start, end, _) = lane.spans.iter().find(|s| s.2 == "paused").unwrap();
        (start, end)
    }

    #[test]
    fn both_runs_share_one_linear_time_axis() {
        let (before, after) = runs("5000");
        let c = Comparison::new(&before, &after);
        assert_eq!(c.span_us, before.end_us.max(after.end_us));
        // The same instant sits at the same x on both strips, and twice
        // the time is twice the distance from the start.
        assert_eq!(c.x(0), NAME_W);
        assert_eq!(c.x(c.span_us), WIDTH);
        let half = c.x(c.span_us / 2) - NAME_W;
        assert!((half * 2.0 - (WIDTH - NAME_W)).abs() < 1e-3);
        // The pauses read from the runs are as long as the scenarios say.
        let (s0, e0) = pause_of(&c.before);
        let (s1, e1) = pause_of(&c.after);
        assert_eq!(e0 - s0, 15_000_000);
        assert_eq!(e1 - s1, 5_000_000);
        assert!(c.x(e1) < c.x(e0));
    }

    #[test]
    fn the_verdicts_that_changed_are_named() {
        let (before, after) = runs("5000");
        let c = Comparison::new(&before, &after);
        assert!(!c.before.all_held());
        assert!(c.after.all_held());
        assert!(!c.before.violations.is_empty());
        assert!(c.after.violations.is_empty());
        let changed = c.changed();
        assert!(changed
            .iter()
            .any(|(name, b, a)| name == "mutual_exclusion(report)" && !b && *a));
        // A run compared with itself changes nothing.
        assert!(Comparison::new(&before, &before).changed().is_empty());
    }

    #[test]
    fn the_axis_has_round_labels_within_the_strip() {
        let (before, after) = runs("5000");
        let c = Comparison::new(&before, &after);
        let axis = c.axis();
        assert!(axis.len() >= 3 && axis.len() <= 11, "{axis:?}");
        assert_eq!(axis[0].0, NAME_W);
        assert!(axis.iter().all(|(x, _)| *x >= NAME_W && *x <= WIDTH));
    }
}
