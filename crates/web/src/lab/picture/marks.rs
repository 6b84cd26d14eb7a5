//! What is drawn on the lanes, each read from the trace's events: messages
//! as arrows (request, reply, lost, late), faults as shaded spans on their
//! lane, partitions and latency spikes as bands across the picture,
//! violations as flags. Positions are in lane indices and event numbers;
//! [`super::Picture`] turns them into pixels.

use std::collections::BTreeMap;

use lockstep_sim::trace::{Trace, What};

use super::scale::duration_label;

/// Which way a message went and how it ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArrowKind {
    /// A command to a node, or a write to a resource.
    Request,
    /// The answer back.
    Reply,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Delivered,
    /// Lost on the way: the arrow stops halfway with a cross.
    Dropped,
    /// Arrived after the caller had given up.
    Late,
}

/// A message between two lanes.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub kind: ArrowKind,
    pub fate: Fate,
    pub from_lane: usize,
    pub to_lane: usize,
    /// The event it left with and the one it arrived with (for a dropped
    /// message, the drop).
    pub from_seq: usize,
    pub to_seq: usize,
    /// How long it took (or how long until it was lost).
    pub latency: String,
    /// The fencing token a write carried.
    pub token: Option<i64>,
    /// Why a message was lost.
    pub reason: Option<String>,
}

/// What shades a stretch of a lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpanKind {
    Paused,
    Down,
    Busy,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Span {
    pub kind: SpanKind,
    pub lane: usize,
    pub start_seq: usize,
    /// The event that ended it; `None` when it lasted past the run (or,
    /// for a script, ends at `end_us` without an event of its own).
    pub end_seq: Option<usize>,
    pub end_us: Option<u64>,
    pub label: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BandKind {
    Partition,
    Delay,
}

/// Something that happened to the whole network for a while.
#[derive(Clone, Debug, PartialEq)]
pub struct Band {
    pub kind: BandKind,
    pub start_seq: usize,
    pub end_seq: Option<usize>,
    pub end_us: Option<u64>,
    pub label: String,
}

/// A violated invariant, where it broke.
#[derive(Clone, Debug, PartialEq)]
pub struct Flag {
    pub seq: usize,
    pub invariant: String,
    pub causes: Vec<usize>,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Marks {
    pub messages: Vec<Message>,
    pub spans: Vec<Span>,
    pub bands: Vec<Band>,
    pub flags: Vec<Flag>,
}

/// Everything the lanes show, read from `trace`; `lane_of` maps an actor's
/// name to its lane.
pub fn read_marks(trace: &Trace, lane_of: &BTreeMap<String, usize>) -> Marks {
    let events = &trace.events;
    let lane = |name: &str| lane_of.get(name).copied();
    let mut marks = Marks::default();
    // Per message: the send, the first and last handling, the receive.
    let mut sent: BTreeMap<u64, usize> = BTreeMap::new();
    let mut handled: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    // What each actor is inside.
    let mut inside: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    let mut partition: Option<usize> = None;
    let latency = |a: usize, b: usize| {
        duration_label(events[b].t_us.saturating_sub(events[a].t_us) as f64 / 1000.0)
    };
    for (seq, event) in events.iter().enumerate() {
        let here = lane(&event.actor);
        match &event.what {
            What::Send { msg, .. } => {
                sent.insert(*msg, seq);
            }
            What::Exec { from, msg, .. }
            | What::Busy { from, msg, .. }
            | What::ScriptStart { from, msg, .. }
            | What::Write { from, msg, .. }
            | What::Query { from, msg, .. } => {
                let first = match handled.get_mut(msg) {
                    Some(seen) => {
                        seen.1 = seq;
                        None
                    }
                    None => {
                        handled.insert(*msg, (seq, seq));
                        Some(seq)
                    }
                };
                let token = match &event.what {
                    What::Write { token, .. } => *token,
                    _ => None,
                };
                if let (Some(to_seq), Some(&from_seq), Some(from_lane), Some(to_lane)) =
                    (first, sent.get(msg), lane(from), here)
                {
                    marks.messages.push(Message {
                        kind: ArrowKind::Request,
                        fate: Fate::Delivered,
                        from_lane,
                        to_lane,
                        from_seq,
                        to_seq,
                        latency: latency(from_seq, to_seq),
                        token,
                        reason: None,
                    });
                }
                if let What::ScriptStart { busy_until_us, .. } = &event.what {
                    if let Some(lane) = here {
                        marks.spans.push(Span {
                            kind: SpanKind::Busy,
                            lane,
                            start_seq: seq,
                            end_seq: None,
                            end_us: Some(*busy_until_us),
                            label: "busy with a script".into(),
                        });
                    }
                }
            }
            What::Receive {
                from, msg, late, ..
            } => {
                if let (Some(&(_, from_seq)), Some(from_lane), Some(to_lane)) =
                    (handled.get(msg), lane(from), here)
                {
                    marks.messages.push(Message {
                        kind: ArrowKind::Reply,
                        fate: if *late { Fate::Late } else { Fate::Delivered },
                        from_lane,
                        to_lane,
                        from_seq,
                        to_seq: seq,
                        latency: latency(from_seq, seq),
                        token: None,
                        reason: None,
                    });
                }
            }
            What::Drop {
                from,
                to,
                msg,
                reason,
            } => {
                // A request is lost after its send; a reply after the
                // command that made it.
                let (origin, reply) = match handled.get(msg) {
                    Some(&(_, last)) if events[last].actor == *from => (Some(last), true),
                    _ => (sent.get(msg).copied(), false),
                };
                if let (Some(from_seq), Some(from_lane), Some(to_lane)) =
                    (origin, lane(from), lane(to))
                {
                    marks.messages.push(Message {
                        kind: if reply {
                            ArrowKind::Reply
                        } else {
                            ArrowKind::Request
                        },
                        fate: Fate::Dropped,
                        from_lane,
                        to_lane,
                        from_seq,
                        to_seq: seq,
                        latency: latency(from_seq, seq),
                        token: None,
                        reason: Some(reason.clone()),
                    });
                }
            }
            What::Enter { name } => inside.entry(&event.actor).or_default().push(name),
            What::Leave { name } => {
                if let Some(names) = inside.get_mut(event.actor.as_str()) {
                    names.retain(|n| *n != name.as_str());
                }
            }
            What::Pause { duration_ms } => {
                if let Some(lane) = here {
                    let within = inside.get(event.actor.as_str()).filter(|n| !n.is_empty());
                    let label = match within {
                        Some(names) => format!(
                            "paused {} \u{b7} inside {}",
                            duration_label(*duration_ms),
                            names.join(", ")
                        ),
                        None => format!("paused {}", duration_label(*duration_ms)),
                    };
                    marks.spans.push(Span {
                        kind: SpanKind::Paused,
                        lane,
                        start_seq: seq,
                        end_seq: None,
                        end_us: None,
                        label,
                    });
                }
            }
            What::Resume => close(&mut marks.spans, here, SpanKind::Paused, seq),
            What::Crash => {
                if let Some(lane) = here {
                    marks.spans.push(Span {
                        kind: SpanKind::Down,
                        lane,
                        start_seq: seq,
                        end_seq: None,
                        end_us: None,
                        label: "down".into(),
                    });
                }
            }
            What::Restart { .. } => close(&mut marks.spans, here, SpanKind::Down, seq),
            What::Partition { groups } => {
                let label = format!(
                    "partition: {}",
                    groups
                        .iter()
                        .map(|g| g.join(", "))
                        .collect::<Vec<_>>()
                        .join(" | ")
                );
                partition = Some(marks.bands.len());
                marks.bands.push(Band {
                    kind: BandKind::Partition,
                    start_seq: seq,
                    end_seq: None,
                    end_us: None,
                    label,
                });
            }
            What::Heal => {
                if let Some(band) = partition.take().and_then(|i| marks.bands.get_mut(i)) {
                    band.end_seq = Some(seq);
                }
            }
            What::Delay {
                between,
                extra_ms,
                duration_ms,
            } => marks.bands.push(Band {
                kind: BandKind::Delay,
                start_seq: seq,
                end_seq: None,
                end_us: Some(event.t_us + (duration_ms * 1000.0) as u64),
                label: format!(
                    "+{} between {} and {}",
                    duration_label(*extra_ms),
                    between[0].join(", "),
                    between[1].join(", ")
                ),
            }),
            What::Violation {
                invariant,
                caused_by,
                ..
            } => marks.flags.push(Flag {
                seq,
                invariant: invariant.clone(),
                causes: caused_by.iter().map(|&c| c as usize).collect(),
            }),
            _ => {}
        }
    }
    marks
}

/// Ends the lane's latest open span of `kind` at `seq`.
fn close(spans: &mut [Span], lane: Option<usize>, kind: SpanKind, seq: usize) {
    let Some(lane) = lane else {
        return;
    };
    if let Some(span) = spans
        .iter_mut()
        .rev()
        .find(|s| s.lane == lane && s.kind == kind && s.end_seq.is_none() && s.end_us.is_none())
    {
        span.end_seq = Some(seq);
    }
}
