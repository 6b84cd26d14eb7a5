//! Selectors: how a lesson points at an event without naming its step
//! number, so that notes and questions survive a change of seed or of the
//! scenario.
//!
//! ```text
//! client-1 enter                  client-1's 1st enter
//! client-2 receive 3rd            its 3rd reply
//! redis expire key=lock:report    the expiry of lock:report
//! client-2 send text="SET" last   its last command containing SET
//! any violation                   any actor's 1st violation
//! first violation                 the first invariant to break
//! liveness failure                where the liveness check failed
//! ```

use std::fmt;

use lockstep_sim::trace::Event;
use lockstep_sim::Trace;

use super::facts;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Nth {
    /// 1-based.
    Number(usize),
    Last,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selector {
    /// As written, for messages.
    pub source: String,
    /// `None` matches any actor.
    pub actor: Option<String>,
    pub kind: String,
    pub nth: Nth,
    pub key: Option<String>,
    pub text: Option<String>,
    /// "first violation": the verdict that broke first.
    pub first_violation: bool,
    /// "liveness failure": where the liveness verdict failed.
    pub liveness_failure: bool,
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// Splits on whitespace, keeping `"quoted text"` (after `text=`) whole.
fn words(source: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in source.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if quoted {
        return Err(format!("unbalanced quote in selector `{source}`"));
    }
    if !current.is_empty() {
        out.push(current);
    }
    Ok(out)
}

fn ordinal(word: &str) -> Option<Nth> {
    if word == "last" {
        return Some(Nth::Last);
    }
    let digits = word.strip_prefix('#').or_else(|| {
        ["st", "nd", "rd", "th"]
            .iter()
            .find_map(|suffix| word.strip_suffix(suffix))
    })?;
    match digits.parse::<usize>() {
        Ok(n) if n >= 1 => Some(Nth::Number(n)),
        _ => None,
    }
}

impl Selector {
    pub fn parse(source: &str) -> Result<Selector, String> {
        let source = source.trim();
        let usage = "a selector is `ACTOR KIND [1st|2nd|…|last] [key=K] [text=\"…\"]`, \
                     `first violation` or `liveness failure`";
        if source == "first violation" || source == "liveness failure" {
            return Ok(Selector {
                source: source.to_string(),
                actor: None,
                kind: "violation".into(),
                nth: Nth::Number(1),
                key: None,
                text: None,
                first_violation: source == "first violation",
                liveness_failure: source == "liveness failure",
            });
        }
        let words = words(source)?;
        let (Some(actor), Some(kind)) = (words.first(), words.get(1)) else {
            return Err(format!("`{source}`: {usage}"));
        };
        if !facts::KINDS.contains(&kind.as_str()) {
            return Err(format!(
                "`{source}`: unknown event kind `{kind}` (kinds: {})",
                facts::KINDS.join(", ")
            ));
        }
        let mut selector = Selector {
            source: source.to_string(),
            actor: (actor != "any").then(|| actor.clone()),
            kind: kind.clone(),
            nth: Nth::Number(1),
            key: None,
            text: None,
            first_violation: false,
            liveness_failure: false,
        };
        for word in &words[2..] {
            if let Some(key) = word.strip_prefix("key=") {
                selector.key = Some(key.to_string());
            } else if let Some(text) = word.strip_prefix("text=") {
                selector.text = Some(text.to_string());
            } else if let Some(nth) = ordinal(word) {
                selector.nth = nth;
            } else {
                return Err(format!("`{source}`: cannot read `{word}`; {usage}"));
            }
        }
        Ok(selector)
    }

    /// Every event the selector's filters match, ignoring `nth`.
    pub fn all<'t>(&self, trace: &'t Trace) -> Vec<&'t Event> {
        if self.first_violation || self.liveness_failure {
            let seq = if self.first_violation {
                facts::first_violation(trace)
            } else {
                facts::liveness_failure(trace)
            };
            return seq
                .and_then(|seq| trace.events.iter().find(|e| e.seq == seq))
                .into_iter()
                .collect();
        }
        trace
            .events
            .iter()
            .filter(|e| self.actor.as_ref().is_none_or(|a| &e.actor == a))
            .filter(|e| facts::kind(&e.what) == self.kind)
            .filter(|e| {
                self.key
                    .as_ref()
                    .is_none_or(|k| facts::key(&e.what).as_deref() == Some(k))
            })
            .filter(|e| {
                self.text
                    .as_ref()
                    .is_none_or(|t| facts::text(&e.what).contains(t.as_str()))
            })
            .collect()
    }

    /// The one event meant, or why there is none.
    pub fn find<'t>(&self, trace: &'t Trace) -> Result<&'t Event, String> {
        let all = self.all(trace);
        let found = match self.nth {
            Nth::Number(n) => all.get(n - 1).copied(),
            Nth::Last => all.last().copied(),
        };
        found.ok_or_else(|| {
            if self.first_violation {
                format!("`{self}` matches nothing: every invariant held in this run")
            } else if self.liveness_failure {
                format!("`{self}` matches nothing: the work got done in this run (or the scenario has no [liveness])")
            } else {
                format!(
                    "`{self}` matches no event in the run ({} event(s) match without the position)",
                    all.len()
                )
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_part() {
        let s = Selector::parse("client-2 send text=\"SET lock\" 3rd key=lock:x").unwrap();
        assert_eq!(s.actor.as_deref(), Some("client-2"));
        assert_eq!(s.kind, "send");
        assert_eq!(s.nth, Nth::Number(3));
        assert_eq!(s.key.as_deref(), Some("lock:x"));
        assert_eq!(s.text.as_deref(), Some("SET lock"));
        assert_eq!(Selector::parse("any expire last").unwrap().nth, Nth::Last);
        assert!(Selector::parse("first violation").unwrap().first_violation);
        assert!(
            Selector::parse("liveness failure")
                .unwrap()
                .liveness_failure
        );
    }

    #[test]
    fn bad_selectors_say_why() {
        for (source, needle) in [
            ("client-1", "a selector is"),
            ("client-1 entr", "unknown event kind"),
            ("client-1 enter 0th", "cannot read"),
            ("client-1 enter text=\"x", "unbalanced"),
        ] {
            let e = Selector::parse(source).unwrap_err();
            assert!(e.contains(needle), "{source}: {e}");
        }
    }
}
