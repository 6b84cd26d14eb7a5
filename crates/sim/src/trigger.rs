//! Which trace events an `after` trigger counts — one definition for the
//! world, which fires faults on them, and the explorer, which plans faults
//! "right after the n-th" of them. If the two counted differently the
//! explorer would plan moments that never come.

use crate::scenario::{Trigger, TriggerEvent};
use crate::trace::What;

/// The trigger kind an event counts as, with the text `matching` looks in;
/// `None` for events no trigger counts. A late reply counts as nothing:
/// its caller had already timed out, so the program never saw it.
pub fn counted(what: &What) -> Option<(TriggerEvent, &str)> {
    match what {
        What::Enter { name } => Some((TriggerEvent::Enter, name)),
        What::Leave { name } => Some((TriggerEvent::Leave, name)),
        What::Receive { late: true, .. } => None,
        What::Receive { text, .. } => Some((TriggerEvent::Reply, text)),
        What::Send { text, .. } => Some((TriggerEvent::Send, text)),
        What::Log { text } => Some((TriggerEvent::Log, text)),
        What::Message { text, .. } => Some((TriggerEvent::Message, text)),
        _ => None,
    }
}

impl Trigger {
    /// Whether an event of `kind` with `text` by `actor` is one this
    /// trigger counts: a section by its exact name, other text by a part.
    pub fn counts(&self, actor: &str, kind: TriggerEvent, text: &str) -> bool {
        if self.actor != actor || self.event != kind {
            return false;
        }
        match (&self.matching, kind) {
            (None, _) => true,
            (Some(want), TriggerEvent::Enter | TriggerEvent::Leave) => text == want,
            (Some(want), _) => text.contains(want.as_str()),
        }
    }
}
