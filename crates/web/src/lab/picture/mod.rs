//! The run as a picture: swimlanes, arrows, shaded spans, lock bars and
//! flags, laid out in plain Rust (tested natively) for the SVG component
//! in `crate::ui::picture` to draw.
//!
//! - [`scale`]: time → x, with quiet stretches compressed and labelled;
//! - [`lanes`]: one lane per client, node, resource;
//! - [`marks`]: messages, fault spans, network bands, violation flags;
//! - [`keys`]: each lock key's lifetime, holder and TTL;
//! - [`folds`]: retry loops, folded into one span;
//! - [`nav`]: the next event of a kind or an actor;
//! - [`window`]: which marks are on screen, indexed once per layout.
//!
//! [`Reading`] is what the trace says, read once per run; [`Picture`] is
//! where it goes, redrawn when a fold opens or closes.

pub mod folds;
pub mod keys;
pub mod lanes;
pub mod marks;
pub mod nav;
pub mod scale;
pub mod window;

use std::collections::{BTreeMap, BTreeSet};

use lockstep_sim::trace::{Trace, What};

use self::folds::{find_folds, Fold};
use self::keys::{key_bars, Ended, KeyBars};
use self::lanes::{lay_out, Lane, LANE_H};
use self::marks::{read_marks, ArrowKind, BandKind, Fate, Marks, SpanKind};
use self::scale::{duration_label, Scale};
use super::timeline::tone;

/// What the trace says, in lanes and event numbers: read once per run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Reading {
    pub lanes: Vec<Lane>,
    pub height: f64,
    pub lane_of: BTreeMap<String, usize>,
    pub marks: Marks,
    pub keys: KeyBars,
    pub folds: Vec<Fold>,
}

impl Reading {
    pub fn new(trace: &Trace) -> Reading {
        let keys = key_bars(trace);
        let (lanes, height) = lay_out(trace, &keys.rows);
        let lane_of = lanes
            .iter()
            .enumerate()
            .map(|(i, l)| (l.name.clone(), i))
            .collect();
        Reading {
            marks: read_marks(trace, &lane_of),
            folds: find_folds(trace),
            lanes,
            height,
            lane_of,
            keys,
        }
    }

    /// The fold that holds event `seq`, if any.
    pub fn fold_of(&self, seq: usize) -> Option<usize> {
        self.folds
            .iter()
            .position(|f| f.first <= seq && seq <= f.last)
    }
}

/// An event on its lane.
#[derive(Clone, Debug, PartialEq)]
pub struct Dot {
    pub seq: usize,
    pub x: f64,
    pub y: f64,
    /// The timeline's tone class (`t-fault`, `t-io`, ...).
    pub tone: &'static str,
    /// A few words beside the dot, for the events worth naming.
    pub label: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Arrow {
    /// Where a click goes: the arrival (or the loss).
    pub seq: usize,
    pub from_seq: usize,
    pub x1: f64,
    pub y1: f64,
    pub x2: f64,
    pub y2: f64,
    /// `request`, `reply`: a CSS class.
    pub kind: &'static str,
    /// `delivered`, `dropped`, `late`: a CSS class.
    pub fate: &'static str,
    /// Latency, and a fencing token or why it was lost.
    pub label: String,
    pub token: Option<i64>,
}

/// A shaded rectangle: a fault span on a lane or a band across them.
#[derive(Clone, Debug, PartialEq)]
pub struct Shade {
    pub seq: usize,
    pub end_seq: Option<usize>,
    /// `paused`, `down`, `busy`, `partition`, `delay`: a CSS class.
    pub kind: &'static str,
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
    pub label: String,
}

/// A lock key's bar on its node's lane.
#[derive(Clone, Debug, PartialEq)]
pub struct Bar {
    /// Index into [`Reading::keys`]`.bars`.
    pub index: usize,
    pub seq: usize,
    pub x0: f64,
    pub x1: f64,
    pub y: f64,
    /// Where its TTL would run out, when it has one.
    pub deadline_x: Option<f64>,
    /// `key · holder`.
    pub label: String,
    /// What ended it, in a few words.
    pub ended: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlagMark {
    pub seq: usize,
    pub x: f64,
    pub label: String,
    pub causes: Vec<usize>,
}

/// A retry loop's span on its client's lane.
#[derive(Clone, Debug, PartialEq)]
pub struct FoldMark {
    pub index: usize,
    pub open: bool,
    pub first: usize,
    pub last: usize,
    pub x0: f64,
    pub x1: f64,
    pub y0: f64,
    pub y1: f64,
    /// The whole story: tries, command, answer, how long.
    pub label: String,
    pub tries: usize,
    /// The command tried, its answer, and how long the loop lasted.
    pub command: String,
    pub answer: String,
    pub lasted: String,
}

/// Everything in pixels.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Picture {
    pub scale: Scale,
    pub width: f64,
    pub height: f64,
    pub dots: Vec<Dot>,
    pub arrows: Vec<Arrow>,
    pub shades: Vec<Shade>,
    pub bars: Vec<Bar>,
    pub flags: Vec<FlagMark>,
    pub folds: Vec<FoldMark>,
    /// Each kind of mark by the stretch of x it covers.
    pub on_screen: OnScreen,
}

/// The picture's marks indexed by where they are, so a redraw finds what
/// is in view without testing every mark ([`window::Windows`]).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct OnScreen {
    pub ticks: window::Windows,
    pub gaps: window::Windows,
    pub shades: window::Windows,
    pub bars: window::Windows,
    pub folds: window::Windows,
    pub arrows: window::Windows,
    pub dots: window::Windows,
    pub flags: window::Windows,
}

impl OnScreen {
    fn new(picture: &Picture) -> OnScreen {
        use window::Windows;
        OnScreen {
            ticks: Windows::new(picture.scale.ticks.iter().map(|t| (t.x, t.x))),
            gaps: Windows::new(picture.scale.gaps.iter().map(|g| (g.x0, g.x1))),
            shades: Windows::new(picture.shades.iter().map(|s| (s.x0, s.x1))),
            bars: Windows::new(
                picture
                    .bars
                    .iter()
                    .map(|b| (b.x0, b.deadline_x.unwrap_or(b.x1).max(b.x1))),
            ),
            folds: Windows::new(picture.folds.iter().map(|f| (f.x0, f.x1))),
            arrows: Windows::new(picture.arrows.iter().map(|a| (a.x1, a.x2))),
            dots: Windows::new(picture.dots.iter().map(|d| (d.x, d.x))),
            flags: Windows::new(picture.flags.iter().map(|f| (f.x, f.x))),
        }
    }
}

impl Picture {
    /// Lays `trace` out with the folds in `open` drawn open.
    pub fn new(trace: &Trace, reading: &Reading, open: &BTreeSet<usize>) -> Picture {
        let closed: Vec<&Fold> = reading
            .folds
            .iter()
            .enumerate()
            .filter(|(i, _)| !open.contains(i))
            .map(|(_, f)| f)
            .collect();
        let scale = Scale::new(trace, &closed);
        let hidden = |seq: usize| closed.iter().any(|f| f.first <= seq && seq <= f.last);
        let lanes = &reading.lanes;
        let events = &trace.events;
        let top = lanes.first().map_or(0.0, |l| l.top);
        let bottom = lanes.last().map_or(0.0, |l| l.top + l.height);
        let end_x = |end_seq: Option<usize>, end_us: Option<u64>| match (end_seq, end_us) {
            (Some(seq), _) => scale.x(seq),
            (None, Some(t)) => scale.x_of_time(t),
            (None, None) => scale.width - 10.0,
        };

        let dots = events
            .iter()
            .enumerate()
            .filter(|(seq, _)| !hidden(*seq))
            .filter_map(|(seq, event)| {
                let lane = &lanes[*reading.lane_of.get(&event.actor)?];
                Some(Dot {
                    seq,
                    x: scale.x(seq),
                    y: lane.y(),
                    tone: tone(&event.what),
                    label: dot_label(&event.what),
                })
            })
            .collect();

        let arrows = reading
            .marks
            .messages
            .iter()
            .filter(|m| !(hidden(m.from_seq) && hidden(m.to_seq)))
            .map(|m| {
                let (from, to) = (&lanes[m.from_lane], &lanes[m.to_lane]);
                let y2 = match m.fate {
                    Fate::Dropped => (from.y() + to.y()) / 2.0,
                    _ => to.y(),
                };
                let mut label = m.latency.clone();
                if let Some(token) = m.token {
                    label = format!("token {token} \u{b7} {label}");
                }
                if let Some(reason) = &m.reason {
                    label = format!("lost: {reason}");
                }
                if m.fate == Fate::Late {
                    label = format!("late \u{b7} {label}");
                }
                Arrow {
                    seq: m.to_seq,
                    from_seq: m.from_seq,
                    x1: scale.x(m.from_seq),
                    y1: from.y(),
                    x2: scale.x(m.to_seq),
                    y2,
                    kind: match m.kind {
                        ArrowKind::Request => "request",
                        ArrowKind::Reply => "reply",
                    },
                    fate: match m.fate {
                        Fate::Delivered => "delivered",
                        Fate::Dropped => "dropped",
                        Fate::Late => "late",
                    },
                    label,
                    token: m.token,
                }
            })
            .collect();

        let mut shades: Vec<Shade> = reading
            .marks
            .bands
            .iter()
            .map(|b| Shade {
                seq: b.start_seq,
                end_seq: b.end_seq,
                kind: match b.kind {
                    BandKind::Partition => "partition",
                    BandKind::Delay => "delay",
                },
                x0: scale.x(b.start_seq),
                x1: end_x(b.end_seq, b.end_us),
                y0: top,
                y1: bottom,
                label: b.label.clone(),
            })
            .collect();
        shades.extend(reading.marks.spans.iter().map(|s| {
            let lane = &lanes[s.lane];
            Shade {
                seq: s.start_seq,
                end_seq: s.end_seq,
                kind: match s.kind {
                    SpanKind::Paused => "paused",
                    SpanKind::Down => "down",
                    SpanKind::Busy => "busy",
                },
                x0: scale.x(s.start_seq),
                x1: end_x(s.end_seq, s.end_us),
                y0: lane.top + 3.0,
                y1: lane.top + LANE_H - 3.0,
                label: s.label.clone(),
            }
        }));

        let bars = reading
            .keys
            .bars
            .iter()
            .enumerate()
            .filter_map(|(index, bar)| {
                let lane = &lanes[*reading.lane_of.get(&bar.node)?];
                let y = lane.key_y(&bar.key)?;
                let holder = if bar.holder == bar.value {
                    bar.value.clone()
                } else {
                    format!("held by {}", bar.holder)
                };
                Some(Bar {
                    index,
                    seq: bar.start_seq,
                    x0: scale.x(bar.start_seq),
                    x1: end_x(bar.end_seq, None),
                    y,
                    deadline_x: bar.deadline_us.map(|t| scale.x_of_time(t)),
                    label: format!("{} \u{b7} {holder}", bar.key),
                    ended: match &bar.ended {
                        Ended::Expired => "expired".into(),
                        Ended::Removed { by } => format!("deleted by {by}"),
                        Ended::Replaced { by } => format!("overwritten by {by}"),
                        Ended::Lost => "lost by its node".into(),
                        Ended::RunEnd => "still set at the end".into(),
                    },
                })
            })
            .collect();

        let flags = reading
            .marks
            .flags
            .iter()
            .map(|f| FlagMark {
                seq: f.seq,
                x: scale.x(f.seq),
                label: format!("VIOLATED {}", f.invariant),
                causes: f.causes.clone(),
            })
            .collect();

        let folds = reading
            .folds
            .iter()
            .enumerate()
            .filter_map(|(index, fold)| {
                let lane = &lanes[*reading.lane_of.get(&fold.client)?];
                let (x0, x1) = (scale.x(fold.first), scale.x(fold.last));
                let span = duration_label(
                    events[fold.last]
                        .t_us
                        .saturating_sub(events[fold.first].t_us) as f64
                        / 1000.0,
                );
                Some(FoldMark {
                    index,
                    open: open.contains(&index),
                    first: fold.first,
                    last: fold.last,
                    x0,
                    x1,
                    y0: lane.top + 4.0,
                    y1: lane.top + LANE_H - 4.0,
                    label: format!(
                        "{}\u{d7} {} \u{2192} {} over {span}",
                        fold.tries,
                        short(&fold.command, 80),
                        short(&fold.answer, 40)
                    ),
                    tries: fold.tries,
                    command: fold.command.clone(),
                    answer: fold.answer.clone(),
                    lasted: span,
                })
            })
            .collect();

        let mut picture = Picture {
            width: scale.width,
            height: reading.height,
            scale,
            dots,
            arrows,
            shades,
            bars,
            flags,
            folds,
            on_screen: OnScreen::default(),
        };
        picture.on_screen = OnScreen::new(&picture);
        picture
    }
}

/// Text cut to `max` characters, with an ellipsis.
pub fn short(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}\u{2026}")
    }
}

/// The few words a dot carries, for events a learner looks for.
fn dot_label(what: &What) -> Option<String> {
    Some(match what {
        What::Enter { name } => format!("enter {name}"),
        What::Leave { name } => format!("leave {name}"),
        What::Timeout { .. } => "timeout".into(),
        What::Expire { key } => format!("expire {}", short(key, 20)),
        What::Crash => "crash".into(),
        What::Restart { .. } => "restart".into(),
        What::Promote { .. } => "promoted".into(),
        What::ClockJump { by_ms } => format!("clock {by_ms:+} ms"),
        What::Finish { error: Some(_), .. } => "Lua error".into(),
        What::Write {
            accepted: false, ..
        } => "rejected".into(),
        // An operator's command is the point of its lane: say what it did.
        What::Operator { command, reply, .. } => {
            format!("{} \u{21d2} {}", short(command, 24), short(reply, 16))
        }
        What::Deploy { .. } => "deploy".into(),
        _ => return None,
    })
}

/// Whether `[a, b]` reaches into the window `[lo, hi]`.
pub fn in_view(a: f64, b: f64, lo: f64, hi: f64) -> bool {
    a.min(b) <= hi && a.max(b) >= lo
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::tests::story_trace;

    fn position(trace: &Trace, pick: impl Fn(&lockstep_sim::trace::Event) -> bool) -> usize {
        trace.events.iter().position(pick).unwrap()
    }

    #[test]
    fn operator_commands_and_deploys_are_labelled_on_their_lanes() {
        let trace = story_trace("rolling_deploy_script_flush");
        let flush = position(&trace, |e| matches!(e.what, What::Operator { .. }));
        let deploy = position(&trace, |e| matches!(e.what, What::Deploy { .. }));
        assert_eq!(
            dot_label(&trace.events[flush].what).as_deref(),
            Some("SCRIPT FLUSH \u{21d2} OK")
        );
        assert_eq!(
            dot_label(&trace.events[deploy].what).as_deref(),
            Some("deploy")
        );
    }

    fn laid_out(name: &str) -> (Trace, Reading, Picture) {
        let trace = story_trace(name);
        let reading = Reading::new(&trace);
        let picture = Picture::new(&trace, &reading, &BTreeSet::new());
        (trace, reading, picture)
    }

    #[test]
    fn the_pause_covers_the_clients_lane_from_pause_to_resume() {
        let (trace, reading, picture) = laid_out("gc_pause_past_ttl");
        let pause = position(&trace, |e| matches!(e.what, What::Pause { .. }));
        let resume = position(&trace, |e| matches!(e.what, What::Resume));
        let actor = &trace.events[pause].actor;
        let lane = &reading.lanes[reading.lane_of[actor]];
        let span = picture.shades.iter().find(|s| s.kind == "paused").unwrap();
        assert_eq!(span.x0, picture.scale.x(pause));
        assert_eq!(span.x1, picture.scale.x(resume));
        assert_eq!(span.end_seq, Some(resume));
        assert!(span.y0 >= lane.top && span.y1 <= lane.top + lane.height);
        assert!(span.label.contains("inside report"), "{}", span.label);
    }

    #[test]
    fn the_lock_bar_ends_at_the_expire_event_after_its_deadline() {
        let (trace, _, picture) = laid_out("gc_pause_past_ttl");
        let expire = position(&trace, |e| matches!(e.what, What::Expire { .. }));
        let bar = &picture.bars[0];
        assert_eq!(bar.x1, picture.scale.x(expire));
        assert_eq!(bar.ended, "expired");
        assert!(bar.label.contains("held by client-1"));
        let deadline = bar.deadline_x.unwrap();
        assert!(deadline > bar.x0 && deadline <= bar.x1);
    }

    #[test]
    fn requests_and_replies_join_their_events_with_latency() {
        let (trace, reading, picture) = laid_out("gc_pause_past_ttl");
        let send = position(&trace, |e| matches!(e.what, What::Send { .. }));
        let arrow = picture.arrows.iter().find(|a| a.from_seq == send).unwrap();
        assert_eq!(arrow.kind, "request");
        assert!(matches!(trace.events[arrow.seq].what, What::Exec { .. }));
        assert_eq!(
            (arrow.x1, arrow.x2),
            (picture.scale.x(send), picture.scale.x(arrow.seq))
        );
        assert_eq!(arrow.y2, reading.lanes[reading.lane_of["redis"]].y());
        let took = (trace.events[arrow.seq].t_us - trace.events[send].t_us) as f64 / 1000.0;
        assert_eq!(arrow.label, duration_label(took));
        let reply = picture
            .arrows
            .iter()
            .find(|a| a.from_seq == arrow.seq)
            .unwrap();
        assert_eq!(reply.kind, "reply");
        assert!(matches!(trace.events[reply.seq].what, What::Receive { .. }));
    }

    #[test]
    fn the_violation_is_flagged_at_its_event_with_its_causes() {
        let (trace, _, picture) = laid_out("gc_pause_past_ttl");
        let verdict = trace.first_violation().unwrap();
        let seq = verdict.at_seq.unwrap() as usize;
        let flag = &picture.flags[0];
        assert_eq!((flag.seq, flag.x), (seq, picture.scale.x(seq)));
        assert!(flag.label.contains(&verdict.invariant));
        assert!(!flag.causes.is_empty());
    }

    #[test]
    fn fenced_writes_carry_their_tokens() {
        let (trace, _, picture) = laid_out("gc_pause_fenced");
        let writes: Vec<&Arrow> = picture
            .arrows
            .iter()
            .filter(|a| a.token.is_some())
            .collect();
        assert!(!writes.is_empty());
        for arrow in writes {
            let What::Write { token, .. } = &trace.events[arrow.seq].what else {
                panic!("a token on something other than a write");
            };
            assert_eq!(*token, arrow.token);
            assert!(arrow.label.contains(&format!("token {}", token.unwrap())));
        }
    }

    #[test]
    fn a_partition_is_a_band_across_every_lane_until_the_heal() {
        let (trace, reading, picture) = laid_out("redlock_partition");
        let start = position(&trace, |e| matches!(e.what, What::Partition { .. }));
        let band = picture
            .shades
            .iter()
            .find(|s| s.kind == "partition")
            .unwrap();
        assert_eq!(band.x0, picture.scale.x(start));
        let last = reading.lanes.last().unwrap();
        assert_eq!(
            (band.y0, band.y1),
            (reading.lanes[0].top, last.top + last.height)
        );
        match trace
            .events
            .iter()
            .position(|e| matches!(e.what, What::Heal))
        {
            Some(heal) => assert_eq!(band.x1, picture.scale.x(heal)),
            None => assert!(band.x1 > band.x0),
        }
    }

    #[test]
    fn lost_messages_stop_halfway() {
        let (trace, _, picture) = laid_out("redlock_partition");
        let dropped: Vec<&Arrow> = picture
            .arrows
            .iter()
            .filter(|a| a.fate == "dropped")
            .collect();
        assert!(!dropped.is_empty(), "the partition drops messages");
        for arrow in dropped {
            assert!(matches!(trace.events[arrow.seq].what, What::Drop { .. }));
            assert!(arrow.label.starts_with("lost"));
        }
    }

    #[test]
    fn a_busy_script_shades_its_node_until_it_ends_and_late_replies_are_marked() {
        let (trace, reading, picture) = laid_out("busy_script");
        let (start, until, node) = trace
            .events
            .iter()
            .enumerate()
            .find_map(|(i, e)| match e.what {
                What::ScriptStart { busy_until_us, .. } => {
                    Some((i, busy_until_us, e.actor.clone()))
                }
                _ => None,
            })
            .unwrap();
        let busy = picture.shades.iter().find(|s| s.kind == "busy").unwrap();
        assert_eq!(busy.x0, picture.scale.x(start));
        assert_eq!(busy.x1, picture.scale.x_of_time(until));
        let lane = &reading.lanes[reading.lane_of[&node]];
        assert!(busy.y0 >= lane.top && busy.y1 <= lane.top + lane.height);
        let late: Vec<&Arrow> = picture.arrows.iter().filter(|a| a.fate == "late").collect();
        let late_receives = trace
            .events
            .iter()
            .filter(|e| matches!(e.what, What::Receive { late: true, .. }))
            .count();
        assert_eq!(late.len(), late_receives);
        assert!(late
            .iter()
            .all(|a| a.kind == "reply" && a.label.starts_with("late")));
    }

    #[test]
    fn a_crashed_node_is_down_from_its_crash_to_its_restart() {
        let (trace, reading, picture) = laid_out("restart_without_aof");
        let crash = position(&trace, |e| matches!(e.what, What::Crash));
        let restart = position(&trace, |e| matches!(e.what, What::Restart { .. }));
        let down = picture.shades.iter().find(|s| s.kind == "down").unwrap();
        assert_eq!(
            (down.x0, down.x1),
            (picture.scale.x(crash), picture.scale.x(restart))
        );
        let lane = &reading.lanes[reading.lane_of[&trace.events[crash].actor]];
        assert_eq!(lane.kind, "node");
        assert!(down.y0 >= lane.top && down.y1 <= lane.top + lane.height);
        // A crash with no restart runs to the end of the picture.
        let (_, _, never) = laid_out("setnx_expire_crash");
        let down = never.shades.iter().find(|s| s.kind == "down").unwrap();
        assert_eq!(down.end_seq, None);
        assert!(down.x1 > down.x0);
    }

    #[test]
    fn a_closed_fold_is_narrow_and_opening_it_spreads_its_events() {
        let (trace, reading, closed) = laid_out("gc_pause_past_ttl");
        let fold = &closed.folds[0];
        assert!(!fold.open);
        assert!((fold.x1 - fold.x0 - scale::FOLD_PX).abs() < 0.01);
        assert!(fold
            .label
            .starts_with(&format!("{}\u{d7}", reading.folds[0].tries)));
        // No dots or arrows inside a closed fold; all of them once open.
        assert!(closed
            .dots
            .iter()
            .all(|d| d.seq < fold.first || d.seq > fold.last));
        let open = Picture::new(&trace, &reading, &BTreeSet::from([0]));
        assert!(open.folds[0].open);
        assert!(open.folds[0].x1 - open.folds[0].x0 > fold.x1 - fold.x0);
        let on_lanes = trace
            .events
            .iter()
            .filter(|e| reading.lane_of.contains_key(&e.actor))
            .count();
        assert_eq!(open.dots.len(), on_lanes);
        assert!(closed.dots.len() < on_lanes);
        assert!(open.width > closed.width);
        assert_eq!(reading.fold_of(fold.first), Some(0));
    }

    #[test]
    fn the_window_takes_what_reaches_into_it_and_text_is_cut_with_an_ellipsis() {
        assert!(in_view(10.0, 20.0, 15.0, 100.0));
        assert!(in_view(120.0, 5.0, 15.0, 100.0), "either end first");
        assert!(!in_view(0.0, 14.0, 15.0, 100.0));
        assert!(!in_view(101.0, 300.0, 15.0, 100.0));
        assert_eq!(short("lock:report", 20), "lock:report");
        assert_eq!(short("SET lock:report abc", 8), "SET loc\u{2026}");
    }

    #[test]
    fn every_story_lays_out_inside_its_picture() {
        for story in lockstep_lessons::stories::catalogue() {
            let (trace, _, picture) = laid_out(story.name);
            let inside = |x: f64| (0.0..=picture.width).contains(&x);
            assert!(
                picture
                    .dots
                    .iter()
                    .all(|d| inside(d.x) && d.y < picture.height),
                "{}",
                story.name
            );
            assert!(
                picture.arrows.iter().all(|a| inside(a.x1) && inside(a.x2)),
                "{}",
                story.name
            );
            assert!(
                picture.shades.iter().all(|s| s.x0 <= s.x1 && inside(s.x1)),
                "{}",
                story.name
            );
            assert!(picture.bars.iter().all(|b| b.x0 <= b.x1), "{}", story.name);
            assert!(!trace.events.is_empty());
        }
        let empty = Trace::default();
        let reading = Reading::new(&empty);
        assert!(Picture::new(&empty, &reading, &BTreeSet::new())
            .dots
            .is_empty());
    }
}
