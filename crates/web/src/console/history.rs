//! Command history for the up and down arrows, as linenoise (redis-cli's
//! line editor) keeps it: a repeated line is stored once, and the line being
//! typed is kept aside while browsing, so coming back down restores it.

/// The most lines kept; older ones are dropped first.
pub const MAX_ENTRIES: usize = 500;

#[derive(Clone, Debug, Default)]
pub struct History {
    entries: Vec<String>,
    /// Index into `entries` while browsing; `None` when editing a new line.
    cursor: Option<usize>,
    /// The unsent line that was in the input when browsing started.
    draft: String,
}

impl History {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records a submitted line and stops browsing.
    pub fn push(&mut self, line: &str) {
        self.cursor = None;
        self.draft.clear();
        if line.trim().is_empty() || self.entries.last().is_some_and(|last| last == line) {
            return;
        }
        if self.entries.len() == MAX_ENTRIES {
            self.entries.remove(0);
        }
        self.entries.push(line.to_string());
    }

    /// The line before the one shown (arrow up). `current` is what the input
    /// holds now; it is kept as the draft when browsing starts.
    pub fn older(&mut self, current: &str) -> Option<&str> {
        let index = match self.cursor {
            None if self.entries.is_empty() => return None,
            None => {
                self.draft = current.to_string();
                self.entries.len() - 1
            }
            Some(0) => 0,
            Some(i) => i - 1,
        };
        self.cursor = Some(index);
        Some(&self.entries[index])
    }

    /// The line after the one shown (arrow down); past the newest, the draft.
    pub fn newer(&mut self) -> Option<&str> {
        let index = self.cursor?;
        if index + 1 < self.entries.len() {
            self.cursor = Some(index + 1);
            Some(&self.entries[index + 1])
        } else {
            self.cursor = None;
            Some(&self.draft)
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsing_up_and_back_down_restores_the_draft() {
        let mut h = History::new();
        h.push("PING");
        h.push("ECHO hi");
        assert_eq!(h.older("GET"), Some("ECHO hi"));
        assert_eq!(h.older("ECHO hi"), Some("PING"));
        assert_eq!(h.older("PING"), Some("PING"), "stays at the oldest");
        assert_eq!(h.newer(), Some("ECHO hi"));
        assert_eq!(h.newer(), Some("GET"));
        assert_eq!(h.newer(), None, "not browsing any more");
    }

    #[test]
    fn empty_history_has_nothing_to_recall() {
        let mut h = History::new();
        assert_eq!(h.older("x"), None);
        assert_eq!(h.newer(), None);
    }

    #[test]
    fn repeats_and_blank_lines_are_not_stored() {
        let mut h = History::new();
        h.push("PING");
        h.push("PING");
        h.push("   ");
        assert_eq!(h.len(), 1);
    }

    #[test]
    fn submitting_stops_browsing() {
        let mut h = History::new();
        h.push("A");
        h.push("B");
        h.older("");
        h.older("");
        h.push("A");
        assert_eq!(h.older(""), Some("A"));
        assert_eq!(h.older(""), Some("B"));
    }

    #[test]
    fn oldest_lines_are_dropped_past_the_limit() {
        let mut h = History::new();
        for i in 0..=MAX_ENTRIES {
            h.push(&i.to_string());
        }
        assert_eq!(h.len(), MAX_ENTRIES);
        let mut oldest = String::new();
        while let Some(line) = h.older("") {
            if line == oldest {
                break;
            }
            oldest = line.to_string();
        }
        assert_eq!(oldest, "1");
    }
}
