//! A trace as text: one row per event, one column per actor, then the
//! invariant verdicts. This is what `lockstep run` and `lockstep explore`
//! print; the web app draws the same trace graphically.

use crate::trace::{ActorKind, Event, Trace, What};

/// Total width the columns aim for.
const WIDTH: usize = 150;
const TIME_WIDTH: usize = 11;
/// Lines one event may take in its column.
const MAX_LINES: usize = 3;

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
    let notes: Vec<String> = trace
        .actors
        .iter()
        .filter_map(|a| Some(format!("{}: {}", a.name, a.note.as_ref()?)))
        .collect();
    if !notes.is_empty() {
        out.push_str(&format!("{}\n\n", notes.join("; ")));
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
                let lines = wrap(&text, width - 2, MAX_LINES);
                for (n, line) in lines.iter().enumerate() {
                    let mut row = if n == 0 {
                        time.clone()
                    } else {
                        " ".repeat(TIME_WIDTH)
                    };
                    for i in 0..columns.len() {
                        let cell = if i == column { line.as_str() } else { "" };
                        row.push_str(&format!("│ {:<w$}", cell, w = width - 2));
                    }
                    out.push_str(row.trim_end());
                    if n + 1 < lines.len() {
                        out.push('\n');
                    }
                }
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
        What::Receive {
            text,
            from,
            late: false,
            ..
        } => format!("← {text} ({from})"),
        What::Receive { text, from, .. } => format!("← too late, ignored: {text} ({from})"),
        What::Drop {
            to, reason, msg, ..
        } => format!("message {msg} to {to} lost: {reason}"),
        What::Message {
            from,
            channel,
            pattern,
            text,
            ..
        } => match pattern {
            Some(pattern) => format!("← message on {channel} (via {pattern}): {text} ({from})"),
            None => format!("← message on {channel}: {text} ({from})"),
        },
        What::Disconnect { client, reason } => format!("closed {client}'s connection: {reason}"),
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
        What::Query {
            from,
            query,
            result,
            queued_us,
            ..
        } => {
            let queued = if *queued_us > 0 {
                format!(" [waited {:.1} ms]", *queued_us as f64 / 1000.0)
            } else {
                String::new()
            };
            format!("{from}: {query} ⇒ {result}{queued}")
        }
        What::Commit {
            from,
            request,
            result,
            ..
        } => format!("{from}: {request} ⇒ {result} [majority]"),
        What::Elected { term } => format!("ELECTED leader of term {term}"),
        What::LeaseExpire { lease, keys, .. } => {
            if keys.is_empty() {
                format!("lease {lease} EXPIRED")
            } else {
                format!("lease {lease} EXPIRED: deleted {}", keys.join(", "))
            }
        }
        What::Request { to, id, user } => format!("request #{id} of user {user} → {to}"),
        What::Outcome {
            id, user, outcome, ..
        } => format!("request #{id} of user {user}: {outcome}"),
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
        What::Delay {
            between,
            extra_ms,
            duration_ms,
        } => format!(
            "messages {} ↔ {} slowed by {extra_ms} ms for {duration_ms} ms",
            between[0].join(", "),
            between[1].join(", ")
        ),
        What::LoseOneWay {
            from,
            to,
            duration_ms,
        } => format!(
            "messages {} → {} lost for {duration_ms} ms (the other way works)",
            from.join(", "),
            to.join(", ")
        ),
        What::LoseReply => "the next reply to it will be lost".into(),
        What::Operator {
            node,
            command,
            reply,
            ..
        } => format!("operator on {node}: {command} ⇒ {reply}"),
        What::Deploy { change, .. } => format!("DEPLOY: {change}"),
        What::Violation {
            invariant, message, ..
        } => format!("VIOLATION of {invariant}: {message}"),
    }
}

/// Splits `text` into lines of at most `width` characters, breaking at
/// spaces where it can; past `max_lines` the last line is cut with `…`.
fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let chars: Vec<char> = text.replace('\n', " ").chars().collect();
    let mut lines = Vec::new();
    let mut start = 0;
    while start < chars.len() {
        if lines.len() + 1 == max_lines || chars.len() - start <= width {
            let rest: String = chars[start..].iter().collect();
            lines.push(fit(&rest, width));
            break;
        }
        let window = &chars[start..start + width];
        let cut = window
            .iter()
            .rposition(|&c| c == ' ')
            .filter(|&at| at > width / 3)
            .unwrap_or(width);
        lines.push(
            chars[start..start + cut]
                .iter()
                .collect::<String>()
                .trim_end()
                .to_string(),
        );
        start += cut;
        while chars.get(start) == Some(&' ') {
            start += 1;
        }
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
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

/// The world as it stood right after event `seq`: each node's keys with
/// their TTLs, who is inside each critical section, each resource's
/// counters. This is one step of the timeline, drawn from the trace alone.
pub fn render_step(trace: &Trace, seq: u64) -> Result<String, String> {
    let last = trace.events.len().saturating_sub(1);
    let event = trace
        .events
        .get(seq as usize)
        .ok_or_else(|| format!("there is no event #{seq}: this trace has events #0 to #{last}"))?;
    let mut out = format!(
        "Step #{seq} of {last}, at {:.3} ms ({} local {:.3} ms): {}\n",
        event.t_us as f64 / 1000.0,
        event.actor,
        event.local_ms,
        describe(event)
    );
    let Some(state) = trace.state_at(seq) else {
        out.push_str("(no state recorded yet)\n");
        return Ok(out);
    };
    for (name, node) in &state.nodes {
        let status = if node.up { "up" } else { "DOWN" };
        out.push_str(&format!("\n{name} ({}, {status})\n", node.role));
        if node.keys.is_empty() && node.up {
            out.push_str("  (no keys)\n");
        }
        for key in &node.keys {
            let ttl = key
                .ttl_ms
                .map(|t| format!("  TTL {t} ms"))
                .unwrap_or_default();
            out.push_str(&format!(
                "  {} ({}) = {}{ttl}\n",
                key.key, key.kind, key.value
            ));
        }
    }
    if !state.holders.is_empty() {
        out.push_str("\nInside critical sections:\n");
        for (name, holders) in &state.holders {
            out.push_str(&format!("  {name}: {}\n", holders.join(", ")));
        }
    }
    for (name, resource) in &state.resources {
        out.push_str(&format!(
            "\n{name}: {} accepted, {} rejected{}{}\n",
            resource.accepted,
            resource.rejected,
            resource
                .highest_token
                .map(|t| format!(", highest token {t}"))
                .unwrap_or_default(),
            if resource.last_value.is_empty() {
                String::new()
            } else {
                format!(", last value {:?}", resource.last_value)
            }
        ));
    }
    for (name, database) in &state.databases {
        out.push_str(&format!(
            "\n{name} (database, {} queries answered)\n",
            database.queries
        ));
        if database.rows.is_empty() {
            out.push_str("  (no rows)\n");
        }
        for row in &database.rows {
            out.push_str(&format!(
                "  {} = {} (version {})\n",
                row.key,
                crate::trace::quote(row.value.as_bytes()),
                row.version
            ));
        }
    }
    Ok(out)
}
