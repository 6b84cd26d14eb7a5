//! What readers of a trace ask of any event — its `type` name, the text it
//! shows, the key it concerns — defined once, for the lessons' selectors
//! and the metric language alike.

use crate::trace::What;

/// Every event `type`, as the trace spells it.
pub const EVENT_TYPES: &[&str] = &[
    "start",
    "finish",
    "send",
    "exec",
    "script_start",
    "busy",
    "receive",
    "timeout",
    "message",
    "disconnect",
    "drop",
    "expire",
    "sleep",
    "work",
    "log",
    "enter",
    "leave",
    "write",
    "query",
    "commit",
    "elected",
    "lease_expire",
    "request",
    "outcome",
    "pause",
    "resume",
    "crash",
    "restart",
    "promote",
    "replicate",
    "sync",
    "persist",
    "partition",
    "heal",
    "clock_jump",
    "clock_drift",
    "delay",
    "lose_one_way",
    "lose_reply",
    "operator",
    "deploy",
    "violation",
];

impl What {
    /// The event's `type` in the trace.
    pub fn type_name(&self) -> &'static str {
        match self {
            What::Start { .. } => "start",
            What::Finish { .. } => "finish",
            What::Send { .. } => "send",
            What::Exec { .. } => "exec",
            What::ScriptStart { .. } => "script_start",
            What::Busy { .. } => "busy",
            What::Receive { .. } => "receive",
            What::Timeout { .. } => "timeout",
            What::Message { .. } => "message",
            What::Disconnect { .. } => "disconnect",
            What::Drop { .. } => "drop",
            What::Expire { .. } => "expire",
            What::Sleep { .. } => "sleep",
            What::Work { .. } => "work",
            What::Log { .. } => "log",
            What::Enter { .. } => "enter",
            What::Leave { .. } => "leave",
            What::Write { .. } => "write",
            What::Query { .. } => "query",
            What::Commit { .. } => "commit",
            What::Elected { .. } => "elected",
            What::LeaseExpire { .. } => "lease_expire",
            What::Request { .. } => "request",
            What::Outcome { .. } => "outcome",
            What::Pause { .. } => "pause",
            What::Resume => "resume",
            What::Crash => "crash",
            What::Restart { .. } => "restart",
            What::Promote { .. } => "promote",
            What::Replicate { .. } => "replicate",
            What::Sync { .. } => "sync",
            What::Persist { .. } => "persist",
            What::Partition { .. } => "partition",
            What::Heal => "heal",
            What::ClockJump { .. } => "clock_jump",
            What::ClockDrift { .. } => "clock_drift",
            What::Delay { .. } => "delay",
            What::LoseOneWay { .. } => "lose_one_way",
            What::LoseReply => "lose_reply",
            What::Operator { .. } => "operator",
            What::Deploy { .. } => "deploy",
            What::Violation { .. } => "violation",
        }
    }

    /// The text a `text="..."` filter searches: the command, reply, log
    /// line, section name, error or reason the event shows.
    pub fn text(&self) -> String {
        match self {
            What::Send { text, .. } | What::Receive { text, .. } | What::Log { text } => {
                text.clone()
            }
            What::Exec { command, reply, .. } | What::Operator { command, reply, .. } => {
                format!("{command} => {reply}")
            }
            What::Deploy { change, .. } => change.clone(),
            What::Busy { reply, .. } => reply.clone(),
            What::Finish { error, .. } => error.clone().unwrap_or_default(),
            What::Enter { name } | What::Leave { name } => name.clone(),
            What::Write { detail, .. } => detail.clone(),
            What::Drop { reason, .. } | What::Disconnect { reason, .. } => reason.clone(),
            What::Message { text, .. } => text.clone(),
            What::Restart { kept } => kept.clone(),
            What::Promote { reason } => reason.clone(),
            What::Violation {
                invariant, message, ..
            } => format!("{invariant}: {message}"),
            What::Expire { key } => key.clone(),
            What::Query { query, result, .. } => format!("{query} => {result}"),
            What::Commit {
                request, result, ..
            } => format!("{request} => {result}"),
            What::LeaseExpire { keys, .. } => keys.join(" "),
            What::Outcome { outcome, .. } => outcome.clone(),
            _ => String::new(),
        }
    }

    /// The key an event concerns: the expired key, a database row, or the
    /// first argument of a command sent or run (`SET lock:x ...` concerns
    /// `lock:x`).
    pub fn key(&self) -> Option<String> {
        match self {
            What::Expire { key } => Some(key.clone()),
            What::Send { text, .. } => second_word(text),
            What::Exec { command, .. } | What::Operator { command, .. } => second_word(command),
            What::Query { key, .. } => Some(key.clone()),
            What::Commit { key, .. } => key.clone(),
            What::LeaseExpire { keys, .. } => keys.first().cloned(),
            _ => None,
        }
    }
}

fn second_word(command: &str) -> Option<String> {
    command
        .split_whitespace()
        .nth(1)
        .map(|w| w.trim_matches('"').to_string())
}
