//! The timeline as the page draws it: one column per actor, one row per
//! event, each row's text and tone worked out once per trace so stepping
//! only moves a highlight.

use lockstep_sim::timeline::describe;
use lockstep_sim::trace::{ActorKind, Event, Trace, What};

/// A column: one actor of the run.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    pub name: String,
    /// `node`, `client`, `resource` or `sentinel`: a CSS class and a hint.
    pub kind: &'static str,
}

/// One event, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub seq: u64,
    /// Global time in ms, e.g. `10034.017`.
    pub time: String,
    /// The actor's own clock when it disagrees with global time: what
    /// clock lessons are about, so it is shown rather than hidden.
    pub local: Option<String>,
    /// The actor's name (shown in the cell on narrow screens, where the
    /// columns collapse into one).
    pub actor: String,
    /// Which column; `None` for the world's events (partitions, heals,
    /// violations), which span every column.
    pub column: Option<usize>,
    pub text: String,
    /// What kind of thing happened, for colour, as a CSS class: `t-fault`,
    /// `t-violation`, `t-section`, `t-error`, `t-lost`, `t-expire`, `t-log`,
    /// `t-io` or `t-quiet`.
    pub tone: &'static str,
}

/// The whole timeline of one trace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct TimelineView {
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
}

/// Most actors drawn as side-by-side columns. With more (Redlock's five
/// nodes and two clients) the columns no longer fit beside the world pane
/// and the clients scroll out of sight, so the timeline becomes one list of
/// events, each naming its actor.
pub const MAX_COLUMNS: usize = 5;

/// Most rows drawn at once. An edited scenario can run to a million
/// events; drawing them all would stall the page on every step, so the
/// page draws a window around the current step and says what it left out.
pub const WINDOW: usize = 400;

/// The rows to draw for `step` out of `len`: all of them when they fit,
/// else [`WINDOW`] rows with the step in the middle (or as near as the
/// ends allow).
pub fn window(len: usize, step: usize) -> std::ops::Range<usize> {
    if len <= WINDOW {
        return 0..len;
    }
    let start = step.saturating_sub(WINDOW / 2).min(len - WINDOW);
    start..start + WINDOW
}

impl TimelineView {
    /// Whether to draw one list instead of one column per actor.
    pub fn as_list(&self) -> bool {
        self.columns.len() > MAX_COLUMNS
    }

    pub fn new(trace: &Trace) -> TimelineView {
        let columns: Vec<Column> = trace
            .actors
            .iter()
            .filter(|a| a.kind != ActorKind::World)
            .map(|a| Column {
                name: a.name.clone(),
                kind: kind_name(a.kind),
            })
            .collect();
        let rows = trace
            .events
            .iter()
            .map(|event| Row {
                seq: event.seq,
                time: ms(event.t_us),
                local: local_clock(event),
                actor: event.actor.clone(),
                column: columns.iter().position(|c| c.name == event.actor),
                text: describe(event),
                tone: tone(&event.what),
            })
            .collect();
        TimelineView { columns, rows }
    }
}

/// Global time in ms with µs precision, as `lockstep run` prints it.
pub fn ms(t_us: u64) -> String {
    format!("{}.{:03}", t_us / 1000, t_us % 1000)
}

fn kind_name(kind: ActorKind) -> &'static str {
    match kind {
        ActorKind::Node => "node",
        ActorKind::Client => "client",
        ActorKind::Resource => "resource",
        ActorKind::Database => "database",
        ActorKind::Traffic => "traffic",
        ActorKind::Member => "consensus member",
        ActorKind::Sentinel => "sentinel",
        ActorKind::Operator => "operator",
        ActorKind::World => "world",
    }
}

/// The actor's clock, when it is more than a microsecond off global time.
fn local_clock(event: &Event) -> Option<String> {
    let global = event.t_us as f64 / 1000.0;
    ((event.local_ms - global).abs() >= 0.001).then(|| format!("{:.3}", event.local_ms))
}

/// What kind of thing an event is, for colour (the table's rows and the
/// picture's dots share it).
pub fn tone(what: &What) -> &'static str {
    match what {
        What::Violation { .. } => "t-violation",
        what if what.is_fault() => "t-fault",
        What::Enter { .. } | What::Leave { .. } => "t-section",
        What::Finish { error: Some(_), .. } => "t-error",
        What::Exec { reply, .. } | What::Busy { reply, .. } | What::Operator { reply, .. }
            if reply.starts_with("(error)") =>
        {
            "t-error"
        }
        What::Write {
            accepted: false, ..
        } => "t-error",
        What::Drop { .. }
        | What::Timeout { .. }
        | What::Receive { late: true, .. }
        | What::Disconnect { .. } => "t-lost",
        What::Expire { .. } => "t-expire",
        What::Log { .. } => "t-log",
        What::Send { .. }
        | What::Exec { .. }
        | What::Receive { .. }
        | What::Message { .. }
        | What::Busy { .. }
        | What::ScriptStart { .. }
        | What::Write { .. }
        | What::Query { .. }
        | What::Commit { .. }
        | What::Request { .. }
        | What::Outcome { .. }
        | What::Operator { .. } => "t-io",
        What::Deploy { .. } => "t-section",
        What::Start { .. }
        | What::Finish { .. }
        | What::Sleep { .. }
        | What::Work { .. }
        | What::Replicate { .. }
        | What::Sync { .. }
        | What::Persist { .. }
        | What::Elected { .. } => "t-quiet",
        What::LeaseExpire { .. } => "t-expire",
        // The faults (`What::is_fault`, the simulator's one list) are
        // matched above.
        _ => "t-fault",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::tests::story_trace;

    #[test]
    fn one_column_per_actor_and_world_events_span_them() {
        let trace = story_trace("gc_pause_past_ttl");
        let view = TimelineView::new(&trace);
        let names: Vec<&str> = view.columns.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["redis", "client-1", "client-2", "storage"]);
        assert_eq!(view.columns[0].kind, "node");
        assert_eq!(view.columns[3].kind, "resource");
        assert_eq!(view.rows.len(), trace.events.len());
        let verdict = trace.first_violation().unwrap();
        let violation = &view.rows[verdict.at_seq.unwrap() as usize];
        assert_eq!(violation.column, None);
        assert_eq!(violation.tone, "t-violation");
        assert!(violation
            .text
            .starts_with("VIOLATION of mutual_exclusion(report)"));
        assert_eq!(violation.time, ms(verdict.at_us.unwrap()));
        let pause = view
            .rows
            .iter()
            .find(|r| r.text.starts_with("PAUSED"))
            .unwrap();
        assert_eq!((pause.column, pause.tone), (Some(1), "t-fault"));
    }

    #[test]
    fn many_actors_make_a_list() {
        assert!(!TimelineView::new(&story_trace("gc_pause_past_ttl")).as_list());
        let redlock = TimelineView::new(&story_trace("redlock_partition"));
        assert_eq!(redlock.columns.len(), 7);
        assert!(redlock.as_list());
    }

    #[test]
    fn local_clocks_show_only_when_they_disagree() {
        let calm = TimelineView::new(&story_trace("gc_pause_past_ttl"));
        assert!(calm.rows.iter().all(|r| r.local.is_none()));
        let jumped = TimelineView::new(&story_trace("clock_jump"));
        assert!(
            jumped.rows.iter().any(|r| r.local.is_some()),
            "the clock jump story shows a node clock ahead of global time"
        );
    }

    #[test]
    fn long_runs_draw_a_window_around_the_step() {
        assert_eq!(window(120, 7), 0..120);
        assert_eq!(window(60_000, 0), 0..WINDOW);
        assert_eq!(window(60_000, 30_000), 29_800..30_200);
        assert_eq!(window(60_000, 59_999), 60_000 - WINDOW..60_000);
        assert_eq!(window(WINDOW + 1, WINDOW), 1..WINDOW + 1);
    }

    #[test]
    fn times_keep_microseconds() {
        assert_eq!(ms(0), "0.000");
        assert_eq!(ms(10_034_017), "10034.017");
        assert_eq!(ms(5), "0.005");
    }
}
