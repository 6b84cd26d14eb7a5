//! Charts where a learner would rather look than read, drawn from the run
//! with the metric language (`lockstep_sim::metric`), so a chart means what
//! a lesson's `[[metric]]` or numeric question means:
//!
//! - a rate limit (a `rate` invariant on a section): requests let through
//!   per window against the limit, and requests refused where the run
//!   records them (`outcome`s, or the programs' `log`s);
//! - a database (`query` events): queries per window — a cache stampede
//!   is a spike;
//! - a script that blocks (`script_start`): the latency each command saw,
//!   with the node's busy spans shaded.
//!
//! Plain Rust: [`charts`] picks and computes them; `crate::ui::charts`
//! draws the SVG.

use lockstep_sim::metric::{self, Point};
use lockstep_sim::trace::{Trace, VerdictKind, What};

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    /// One bar per window.
    Bars,
    /// One dot per sample.
    Dots,
}

/// One line of data on a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub name: String,
    /// The metric expression it was read with (shown to the learner).
    pub query: String,
    /// The CSS class that colours it.
    pub class: &'static str,
    pub points: Vec<Point>,
}

/// A chart ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    /// Stable, for tests and the page (`rate-api`, `db-load`, `script-latency`).
    pub id: String,
    pub title: String,
    /// What the y axis counts (`requests per 250 ms`, `ms`).
    pub unit: String,
    pub style: Style,
    pub series: Vec<Series>,
    /// A horizontal line: value and label (`limit 5`).
    pub limit: Option<(f64, String)>,
    /// Shaded spans on the time axis (ms): start, end.
    pub shades: Vec<(f64, f64)>,
    /// The run's length, ms: the x axis.
    pub span_ms: f64,
    /// Width of a window for bars, ms.
    pub window_ms: f64,
}

impl Chart {
    /// The largest value, for the y axis (at least 1, and the limit).
    pub fn top(&self) -> f64 {
        self.series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.value))
            .chain(self.limit.iter().map(|(v, _)| *v))
            .fold(1.0, f64::max)
    }
}

/// About this many windows across a run.
const WINDOWS: f64 = 24.0;

/// A round window for a run `span_ms` long: 1, 2, 5 × a power of ten ms.
pub fn window_for(span_ms: f64) -> f64 {
    let rough = (span_ms / WINDOWS).max(1.0);
    let mut step = 1.0;
    loop {
        for m in [1.0, 2.0, 5.0] {
            if step * m >= rough {
                return step * m;
            }
        }
        step *= 10.0;
    }
}

/// The charts this run calls for, in the order above. `rate_limits` are
/// the scenario's `rate` invariants: section name, limit, window in ms.
pub fn charts(trace: &Trace, rate_limits: &[(String, f64, f64)]) -> Vec<Chart> {
    let span_ms = (trace.end_us as f64 / 1000.0).max(1.0);
    let window = window_for(span_ms);
    let per = format!("per={}ms", window as u64);
    let mut out = Vec::new();
    let rated: Vec<String> = trace
        .verdicts
        .iter()
        .filter(|v| v.kind == VerdictKind::Rate)
        .filter_map(|v| v.subject.clone())
        .collect();
    for section in rated {
        let (limit, limit_window) = rate_limits
            .iter()
            .find(|(name, _, _)| *name == section)
            .map_or((None, None), |(_, l, w)| (Some(*l), Some(*w)));
        // Windows of the limit's own length when the run holds several,
        // so the bars and the limit line speak of the same thing.
        let window = match limit_window {
            Some(w) if w >= 1.0 && span_ms / w >= 3.0 && span_ms / w <= 60.0 => w,
            _ => window,
        };
        let per = format!("per={}ms", window as u64);
        let allowed = format!("rate(enter text=\"{section}\", {per})");
        let mut series = vec![Series {
            name: format!("let through to {section}"),
            points: metric::series(&allowed, trace).unwrap_or_default(),
            query: allowed,
            class: "allowed",
        }];
        for refused in [
            "outcome text=\"rejected\"",
            "outcome text=\"refused\"",
            "log text=\"refused\"",
            "log text=\"rejected\"",
        ] {
            let query = format!("rate({refused}, {per})");
            let points = metric::series(&query, trace).unwrap_or_default();
            if points.iter().any(|p| p.value > 0.0) {
                series.push(Series {
                    name: "refused".into(),
                    query,
                    class: "refused",
                    points,
                });
                break;
            }
        }
        let limit = limit
            .filter(|_| limit_window == Some(window))
            .map(|l| (l, format!("limit {}", metric::number(l))));
        out.push(Chart {
            id: format!("rate-{section}"),
            title: format!("Requests let through to {section}, per window"),
            unit: format!("per {}", duration(window)),
            style: Style::Bars,
            series,
            limit,
            shades: Vec::new(),
            span_ms,
            window_ms: window,
        });
    }
    let has = |f: &dyn Fn(&What) -> bool| trace.events.iter().any(|e| f(&e.what));
    if has(&|w| matches!(w, What::Query { .. })) {
        let query = format!("rate(query, {per})");
        out.push(Chart {
            id: "db-load".into(),
            title: "Database load: queries per window".into(),
            unit: format!("queries per {}", duration(window)),
            style: Style::Bars,
            series: vec![Series {
                name: "queries".into(),
                points: metric::series(&query, trace).unwrap_or_default(),
                query,
                class: "load",
            }],
            limit: None,
            shades: Vec::new(),
            span_ms,
            window_ms: window,
        });
    }
    if has(&|w| matches!(w, What::ScriptStart { .. })) {
        let query = "max(latency)".to_string();
        let shades = trace
            .events
            .iter()
            .filter_map(|e| match &e.what {
                What::ScriptStart { busy_until_us, .. } => {
                    Some((e.t_us as f64 / 1000.0, *busy_until_us as f64 / 1000.0))
                }
                _ => None,
            })
            .collect();
        out.push(Chart {
            id: "script-latency".into(),
            title: "Latency each command saw while a script ran".into(),
            unit: "ms".into(),
            style: Style::Dots,
            series: vec![Series {
                name: "latency".into(),
                points: metric::series(&query, trace).unwrap_or_default(),
                query,
                class: "latency",
            }],
            limit: None,
            shades,
            span_ms,
            window_ms: window,
        });
    }
    out
}

/// The `rate` invariants of a scenario's table: section, limit, window ms.
pub fn rate_limits(table: &toml::Table) -> Vec<(String, f64, f64)> {
    table
        .get("invariant")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_table)
        .filter(|t| t.get("kind").and_then(toml::Value::as_str) == Some("rate"))
        .filter_map(|t| {
            let name = t.get("name")?.as_str()?.to_string();
            let number = |k: &str| {
                t.get(k)
                    .and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
            };
            Some((name, number("limit")?, number("window_ms")?))
        })
        .collect()
}

/// `250` → `250 ms`, `1000` → `1 s`.
fn duration(ms: f64) -> String {
    if ms >= 1000.0 && ms % 1000.0 == 0.0 {
        format!("{} s", ms / 1000.0)
    } else {
        format!("{} ms", metric::number(ms))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::learn::catalogue::Catalogue;

    fn run(id: &str) -> (Trace, Vec<(String, f64, f64)>) {
        let lesson = Catalogue::load().find(id).unwrap().lesson.clone();
        let limits = rate_limits(&lesson.scenarios[""].table);
        (lesson.run(None).unwrap(), limits)
    }

    fn count(trace: &Trace, f: impl Fn(&What) -> bool) -> f64 {
        trace.events.iter().filter(|e| f(&e.what)).count() as f64
    }

    #[test]
    fn windows_are_round_and_about_two_dozen_to_a_run() {
        assert_eq!(window_for(3000.0), 200.0);
        assert_eq!(window_for(30_000.0), 2000.0);
        assert_eq!(window_for(10.0), 1.0);
        let n = 86_400_000.0 / window_for(86_400_000.0);
        assert!((10.0..=30.0).contains(&n), "{n}");
    }

    #[test]
    fn a_rate_limiter_lesson_charts_requests_let_through_and_its_limit() {
        let (trace, limits) = run("patterns/fixed-window");
        let charts = charts(&trace, &limits);
        let rate = charts.iter().find(|c| c.id.starts_with("rate-")).unwrap();
        let section = rate.id.trim_start_matches("rate-");
        // Every entry into the section is in one window or another.
        let total: f64 = rate.series[0].points.iter().map(|p| p.value).sum();
        let entered = count(
            &trace,
            |w| matches!(w, What::Enter { name } if name == section),
        );
        assert_eq!(total, entered);
        assert!(total > 0.0);
        // The limit is drawn when the bars are windows of the limit's length.
        if let Some((limit, label)) = &rate.limit {
            let (_, l, w) = limits.iter().find(|(n, _, _)| n == section).unwrap();
            assert_eq!(limit, l);
            assert_eq!(rate.window_ms, *w);
            assert!(label.starts_with("limit "));
        }
    }

    #[test]
    fn a_cache_stampede_charts_the_database_load() {
        let (trace, limits) = run("patterns/cache-stampede");
        let charts = charts(&trace, &limits);
        let load = charts.iter().find(|c| c.id == "db-load").unwrap();
        let total: f64 = load.series[0].points.iter().map(|p| p.value).sum();
        assert_eq!(total, count(&trace, |w| matches!(w, What::Query { .. })));
        // A stampede is a spike: one window holds more than the mean.
        let busiest = load.top();
        let windows = load.series[0].points.len() as f64;
        assert!(busiest > total / windows, "{busiest} vs {total}/{windows}");
    }

    #[test]
    fn a_long_script_charts_latency_with_the_busy_span_shaded() {
        let (trace, limits) = run("lua/long-scripts");
        let charts = charts(&trace, &limits);
        let latency = charts.iter().find(|c| c.id == "script-latency").unwrap();
        assert!(!latency.shades.is_empty());
        let (start, end) = latency.shades[0];
        assert!(end > start);
        // Some command waited out the script: its latency is at least the
        // part of the busy span after it was sent.
        let worst = latency.top();
        assert!(
            worst >= (end - start) / 2.0,
            "{worst} vs span {}",
            end - start
        );
    }

    #[test]
    fn a_lock_lesson_without_traffic_has_no_charts() {
        let (trace, limits) = run("locks/gc-pause-past-the-ttl");
        assert!(charts(&trace, &limits).is_empty());
    }
}
