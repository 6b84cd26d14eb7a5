//! Retry loops, found so the picture can fold them: a client that sends
//! the same command to the same place, gets the same answer and (maybe)
//! sleeps, again and again. Folded, a thousand tries take one labelled
//! span instead of a screen each; a click opens it.
//!
//! A loop is only folded while nothing else happens: any event that is
//! not the client's own or its messages' (an expiry, another client's
//! command) ends the fold, so folding never hides what matters.

use lockstep_sim::trace::{Event, Trace, What};

/// Fewer tries than this are drawn as they are.
pub const MIN_TRIES: usize = 3;

/// One folded retry loop: events `first..=last`.
#[derive(Clone, Debug, PartialEq)]
pub struct Fold {
    pub first: usize,
    pub last: usize,
    pub client: String,
    pub tries: usize,
    /// What was tried and what came back, for the label.
    pub command: String,
    pub answer: String,
}

/// What one try sent and got back: tries that agree form a loop.
#[derive(Clone, Debug, PartialEq)]
struct Try {
    end: usize,
    client: String,
    to: String,
    command: String,
    answer: String,
}

/// Every retry loop of the run, in order, not overlapping.
pub fn find_folds(trace: &Trace) -> Vec<Fold> {
    let events = &trace.events;
    let mut folds = Vec::new();
    let mut i = 0;
    while i < events.len() {
        let Some(first) = one_try(events, i) else {
            i += 1;
            continue;
        };
        let mut tries = 1;
        let mut end = first.end;
        while let Some(next) = one_try(events, end + 1) {
            let same = next.client == first.client
                && next.to == first.to
                && next.command == first.command
                && next.answer == first.answer;
            if !same {
                break;
            }
            tries += 1;
            end = next.end;
        }
        if tries >= MIN_TRIES {
            folds.push(Fold {
                first: i,
                last: end,
                client: first.client,
                tries,
                command: first.command,
                answer: first.answer,
            });
            i = end + 1;
        } else {
            i += 1;
        }
    }
    folds
}

/// The try that starts with a client's send at `start`: the send, what the
/// receiver did with that message, the answer, and a sleep after it. `None`
/// when something else happens in between.
fn one_try(events: &[Event], start: usize) -> Option<Try> {
    let send = events.get(start)?;
    let What::Send { to, msg, text } = &send.what else {
        return None;
    };
    let client = &send.actor;
    let mut answer = None;
    let mut end = start;
    for (i, event) in events.iter().enumerate().skip(start + 1) {
        let ours = match &event.what {
            What::Exec { msg: m, .. }
            | What::Busy { msg: m, .. }
            | What::ScriptStart { msg: m, .. }
            | What::Write { msg: m, .. }
            | What::Query { msg: m, .. } => *m == *msg && event.actor == *to,
            What::Receive { msg: m, text, .. } if *m == *msg && event.actor == *client => {
                answer = Some(text.clone());
                true
            }
            What::Sleep { .. } if answer.is_some() && event.actor == *client => {
                end = i;
                break;
            }
            _ => false,
        };
        if !ours {
            break;
        }
        end = i;
    }
    Some(Try {
        end,
        client: client.clone(),
        to: to.clone(),
        command: text.clone(),
        answer: answer?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lab::tests::story_trace;

    #[test]
    fn the_waiting_client_polls_until_the_lock_expires() {
        let trace = story_trace("gc_pause_past_ttl");
        let folds = find_folds(&trace);
        assert_eq!(folds.len(), 1, "{folds:?}");
        let fold = &folds[0];
        assert_eq!(fold.client, "client-2");
        assert!(fold.tries >= MIN_TRIES);
        assert_eq!(fold.answer, "(nil)");
        // Everything inside is the client's or its messages'.
        for event in &trace.events[fold.first..=fold.last] {
            assert!(
                event.actor == "client-2" || event.actor == "redis",
                "{event:?}"
            );
            assert!(!matches!(event.what, What::Expire { .. }));
        }
        // It starts with a send and ends right before something else
        // happens: the try after it is not one more of the same.
        assert!(matches!(trace.events[fold.first].what, What::Send { .. }));
        assert!(one_try(&trace.events, fold.last + 1)
            .is_none_or(|t| t.answer != fold.answer || t.client != fold.client));
        // The lock's expiry comes after the loop, not inside it.
        let expire = trace
            .events
            .iter()
            .position(|e| matches!(e.what, What::Expire { .. }))
            .unwrap();
        assert!(expire > fold.last);
    }

    #[test]
    fn a_run_without_retries_has_no_folds() {
        assert!(find_folds(&story_trace("bank_transfer")).is_empty());
        assert!(find_folds(&lockstep_sim::trace::Trace::default()).is_empty());
    }
}
