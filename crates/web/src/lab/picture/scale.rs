//! Time → x. Runs mix microsecond round trips with fifteen-second pauses,
//! so a linear scale either hides the messages or stretches the pauses off
//! the screen: each event gets room of its own, short gaps grow linearly,
//! long quiet stretches grow only with the logarithm of their length (and
//! say how long they really were), and a folded retry loop takes a fixed
//! width however long it ran.

use lockstep_sim::trace::Trace;

use super::folds::Fold;

/// Where the first event sits.
pub const LEFT_PAD: f64 = 28.0;
/// Room after the last event.
pub const RIGHT_PAD: f64 = 90.0;
/// Between two events at the same instant.
const SAME_TIME_PX: f64 = 14.0;
/// Between two events at different instants, before the gap's own width.
const EVENT_PX: f64 = 20.0;
/// Gaps up to this long are drawn to scale.
const LINEAR_MS: f64 = 5.0;
const PX_PER_MS: f64 = 6.0;
/// Past [`LINEAR_MS`], each doubling of the gap adds this much.
const PX_PER_DOUBLING: f64 = 26.0;
/// The width of a closed fold.
pub const FOLD_PX: f64 = 190.0;

/// A quiet stretch drawn shorter than its length: the picture labels it.
#[derive(Clone, Debug, PartialEq)]
pub struct Gap {
    pub x0: f64,
    pub x1: f64,
    pub ms: f64,
}

/// A time label on the axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Tick {
    pub x: f64,
    pub label: String,
}

/// The x of every event, and what the picture says about the scale.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scale {
    xs: Vec<f64>,
    times: Vec<u64>,
    pub width: f64,
    pub gaps: Vec<Gap>,
    pub ticks: Vec<Tick>,
}

/// The room a gap of `dt_us` takes, and whether it is drawn shorter than
/// to scale.
fn gap_px(dt_us: u64) -> (f64, bool) {
    if dt_us == 0 {
        return (SAME_TIME_PX, false);
    }
    let ms = dt_us as f64 / 1000.0;
    if ms <= LINEAR_MS {
        (EVENT_PX + ms * PX_PER_MS, false)
    } else {
        let px = EVENT_PX + LINEAR_MS * PX_PER_MS + PX_PER_DOUBLING * (ms / LINEAR_MS).log2();
        (px, true)
    }
}

impl Scale {
    /// `closed` are the folds drawn shut, in order, not overlapping.
    pub fn new(trace: &Trace, closed: &[&Fold]) -> Scale {
        let events = &trace.events;
        let mut xs = Vec::with_capacity(events.len());
        let mut gaps = Vec::new();
        let mut folds = closed.iter().peekable();
        let mut i = 0;
        let mut x = LEFT_PAD;
        while i < events.len() {
            if i > 0 {
                let (px, compressed) = gap_px(events[i].t_us.saturating_sub(events[i - 1].t_us));
                if compressed {
                    gaps.push(Gap {
                        x0: x,
                        x1: x + px,
                        ms: (events[i].t_us - events[i - 1].t_us) as f64 / 1000.0,
                    });
                }
                x += px;
            }
            match folds.peek() {
                Some(fold) if fold.first == i => {
                    // The loop's events share the fold's width, in order.
                    let count = (fold.last - fold.first).max(1) as f64;
                    for k in 0..=(fold.last - fold.first) {
                        xs.push(x + FOLD_PX * k as f64 / count);
                    }
                    x += FOLD_PX;
                    i = fold.last + 1;
                    folds.next();
                }
                _ => {
                    xs.push(x);
                    i += 1;
                }
            }
        }
        let width = x + RIGHT_PAD;
        let times = events.iter().map(|e| e.t_us).collect();
        let mut scale = Scale {
            xs,
            times,
            width,
            gaps,
            ticks: Vec::new(),
        };
        scale.ticks = scale.make_ticks();
        scale
    }

    /// The x of event `seq` (clamped to the run).
    pub fn x(&self, seq: usize) -> f64 {
        match self.xs.get(seq) {
            Some(x) => *x,
            None => self.xs.last().copied().unwrap_or(LEFT_PAD),
        }
    }

    /// The x of a moment: an event's x when one happened then, else
    /// between the events either side, in proportion; past the last event,
    /// a little further right (bounded by the picture's width).
    pub fn x_of_time(&self, t_us: u64) -> f64 {
        let i = self.times.partition_point(|&t| t < t_us);
        if i < self.times.len() && self.times[i] == t_us {
            return self.xs[i];
        }
        if i == 0 {
            return LEFT_PAD;
        }
        if i == self.times.len() {
            let last = self.xs[i - 1];
            let (px, _) = gap_px(t_us - self.times[i - 1]);
            return (last + px).min(self.width - 4.0);
        }
        let (t0, t1) = (self.times[i - 1], self.times[i]);
        let (x0, x1) = (self.xs[i - 1], self.xs[i]);
        x0 + (x1 - x0) * (t_us - t0) as f64 / (t1 - t0) as f64
    }

    /// The first event at or right of `x`.
    pub fn seq_at(&self, x: f64) -> usize {
        self.xs
            .partition_point(|&e| e < x)
            .min(self.xs.len().saturating_sub(1))
    }

    /// Time labels, at least 110 px apart, each on an event.
    fn make_ticks(&self) -> Vec<Tick> {
        let mut ticks: Vec<Tick> = Vec::new();
        for (i, &x) in self.xs.iter().enumerate() {
            let room = ticks.last().is_none_or(|t| x - t.x >= 110.0);
            let new_time = i == 0 || self.times[i] != self.times[i - 1];
            if room && new_time {
                ticks.push(Tick {
                    x,
                    label: time_label(self.times[i]),
                });
            }
        }
        ticks
    }
}

/// A moment for the axis: `2002 ms`, `2.001 ms`, `10 s`.
pub fn time_label(t_us: u64) -> String {
    if t_us.is_multiple_of(1000) {
        format!("{} ms", t_us / 1000)
    } else {
        let ms = t_us as f64 / 1000.0;
        let text = format!("{ms:.3}");
        format!("{} ms", text.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// A length of time for a label: `1 ms`, `0.5 ms`, `500 ms`, `15 s`.
pub fn duration_label(ms: f64) -> String {
    if ms >= 10_000.0 {
        format!("{:.1} s", ms / 1000.0).replace(".0 s", " s")
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        let text = format!("{ms:.3}");
        format!("{} ms", text.trim_end_matches('0').trim_end_matches('.'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::tests::story_trace;

    #[test]
    fn events_move_right_in_order_and_long_gaps_are_labelled_shorter() {
        let trace = story_trace("gc_pause_past_ttl");
        let scale = Scale::new(&trace, &[]);
        for i in 1..trace.events.len() {
            assert!(
                scale.x(i) > scale.x(i - 1),
                "event {i} is right of {}",
                i - 1
            );
        }
        // The client's 500 ms sleeps are quiet stretches: drawn, labelled
        // with their real length, narrower than to scale.
        let sleep = scale
            .gaps
            .iter()
            .find(|g| (g.ms - 500.0).abs() < 1.0)
            .expect("a 500 ms gap is labelled");
        assert!(sleep.x1 - sleep.x0 < 500.0 * PX_PER_MS);
        assert!(sleep.x1 > sleep.x0);
        // A gap ten times longer is wider, but not ten times wider.
        let (short, _) = gap_px(500_000);
        let (long, _) = gap_px(5_000_000);
        assert!(long > short && long < 2.0 * short);
    }

    #[test]
    fn a_moment_between_events_lies_between_them() {
        let trace = story_trace("gc_pause_past_ttl");
        let scale = Scale::new(&trace, &[]);
        let (a, b) = (&trace.events[5], &trace.events[6]);
        assert!(b.t_us > a.t_us + 1);
        let middle = scale.x_of_time((a.t_us + b.t_us) / 2);
        assert!(middle > scale.x(5) && middle < scale.x(6));
        assert_eq!(scale.x_of_time(b.t_us), scale.x(6));
        assert_eq!(scale.seq_at(scale.x(6) - 0.5), 6);
        assert!(scale.x_of_time(trace.end_us + 1_000_000) < scale.width);
    }

    #[test]
    fn labels_read_as_times() {
        assert_eq!(time_label(2_001_000), "2001 ms");
        assert_eq!(time_label(2_001), "2.001 ms");
        assert_eq!(time_label(2_500), "2.5 ms");
        assert_eq!(duration_label(15_000.0), "15 s");
        assert_eq!(duration_label(12_500.0), "12.5 s");
        assert_eq!(duration_label(500.0), "500 ms");
        assert_eq!(duration_label(1.001), "1.001 ms");
    }
}
