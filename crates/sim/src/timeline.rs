//! A trace as text: one row per event, one column per actor, then the
//! invariant verdicts. This is what `lockstep run` and `lockstep explore`
//! print; the web app draws the same trace graphically.

use crate::trace::{ActorKind, Event, Trace, What};

/// Total width the columns aim for.
const WIDTH: usize = 150;
const TIME_WIDTH: usize = 11;

/// The whole trace as a table plus verdicts.
pub fn render(trace: &Trace) -> String {
    let mut out = String::new();
    let columns: Vec<&str> = trace
        .actors
        .iter()
        .filter(|a| a.kind != ActorKind::World)
        .map(|a| a.name.as_str())
        .collect();
    let width = ((WIDTH - TIME_WIDTH) / columns.len().max(1)).clamp(16, 40);
    if !trace.title.is_empty() {
        out.push_str(&format!("{}  (seed {})\n\n", trace.title, trace.seed));
    }
    let mut header = format!("{:>w$} ", "time (ms)", w = TIME_WIDTH - 1);
    for name in &columns {
        header.push_str(&format!("│ {:<w$}", fit(name, width - 2), w = width - 2));
    }
    out.push_str(header.trim_end());
    out.push('\n');
    out.push_str(&"─".repeat(TIME_WIDTH + columns.len() * width));
    out.push('\n');
    for event in &trace.events {
        let time = format!("{:>w$.3} ", event.t_us as f64 / 1000.0, w = TIME_WIDTH - 1);
        let text = describe(event);
        match columns.iter().position(|c| *c == event.actor) {
            Some(column) => {
                let mut row = time;
                for i in 0..columns.len() {
                    let cell = if i == column {
                        fit(&text, width - 2)
                    } else {
                        String::new()
                    };
                    row.push_str(&format!("│ {:<w$}", cell, w = width - 2));
                }
                out.push_str(row.trim_end());
            }
            None => out.push_str(&format!("{time}╞═ {text}")),
        }
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&verdicts(trace));
    out
}

/// The verdicts alone, one line each, and why the run stopped.
pub fn verdicts(trace: &Trace) -> String {
    let mut out = String::new();
    if trace.verdicts.is_empty() {
        out.push_str("No invariants declared.\n");
    } else {
        out.push_str("Invariants:\n");
    }
    for verdict in &trace.verdicts {
        if verdict.held {
            out.push_str(&format!("  held      {}\n", verdict.invariant));
            continue;
        }
        let at = match (verdict.at_us, verdict.at_seq) {
            (Some(t), Some(seq)) => format!(" at {:.3} ms (event #{seq})", t as f64 / 1000.0),
            _ => String::new(),
        };
        out.push_str(&format!(
            "  VIOLATED  {}{at}: {}\n",
            verdict.invariant,
            verdict.message.as_deref().unwrap_or("")
        ));
    }
    out.push_str(&format!(
        "Stopped at {:.3} ms: {}.\n",
        trace.end_us as f64 / 1000.0,
        trace.stopped
    ));
    out
}

/// One event in a few words.
pub fn describe(event: &Event) -> String {
    match &event.what {
        What::Start { task: 0 } => "start".into(),
        What::Start { task } => format!("spawn task {task}"),
        What::Finish { task, error: None } => {
            if *task == 0 {
                "done".into()
            } else {
                format!("task {task} done")
            }
        }
        What::Finish {
            task,
            error: Some(e),
        } => format!("task {task} failed: {e}"),
        What::Send { to, text, .. } => format!("{text} → {to}"),
        What::Exec {
            from,
            command,
            reply,
            cost_us,
            ..
        } => {
            let busy = if *cost_us >= 1000 {
                format!(" [{:.1} ms]", *cost_us as f64 / 1000.0)
            } else {
                String::new()
            };
            format!("{from}: {command} ⇒ {reply}{busy}")
        }
        What::Receive { text, from, .. } => format!("← {text} ({from})"),
        What::Drop {
            to, reason, msg, ..
        } => format!("message {msg} to {to} lost: {reason}"),
        What::Timeout { to, .. } => format!("timeout waiting for {to}"),
        What::Expire { key } => format!("{key} expired"),
        What::ScriptStart {
            from,
            busy_until_us,
            ..
        } => {
            format!(
                "busy with {from}'s script until {:.3}",
                *busy_until_us as f64 / 1000.0
            )
        }
        What::Busy { from, reply, .. } => format!("{from}: {reply}"),
        What::Sleep { ms, .. } => format!("sleep {ms} ms"),
        What::Work { ms, .. } => format!("work {ms} ms"),
        What::Log { text } => format!("log: {text}"),
        What::Enter { name } => format!(">> enter {name}"),
        What::Leave { name } => format!("<< leave {name}"),
        What::Write { from, detail, .. } => format!("{from}: {detail}"),
        What::Pause { duration_ms } => format!("PAUSED for {duration_ms} ms"),
        What::Resume => "resumed".into(),
        What::Crash => "CRASHED".into(),
        What::Restart { kept } => format!("restarted, kept {kept}"),
        What::Promote { reason } => format!("promoted to primary ({reason})"),
        What::Replicate { primary, full_sync } => {
            format!(
                "replica of {primary}{}",
                if *full_sync { ", full sync" } else { "" }
            )
        }
        What::Sync { offset } => format!("synced to offset {offset}"),
        What::Persist { what } => what.clone(),
        What::Partition { groups } => {
            let sides: Vec<String> = groups.iter().map(|g| g.join(", ")).collect();
            format!("PARTITION: {} | everyone else", sides.join(" | "))
        }
        What::Heal => "network healed".into(),
        What::ClockJump { by_ms } => format!("clock jumps {by_ms:+} ms"),
        What::ClockDrift { drift } => format!("clock drift now {drift:+}"),
        What::Violation {
            invariant, message, ..
        } => format!("VIOLATION of {invariant}: {message}"),
    }
}

/// Cuts `text` to `width` characters, marking the cut.
fn fit(text: &str, width: usize) -> String {
    let text = text.replace('\n', " ");
    if text.chars().count() <= width {
        return text;
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}
