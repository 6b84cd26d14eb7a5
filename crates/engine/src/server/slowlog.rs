//! SLOWLOG entries, timed by the simulated cost model.
//!
//! Redis logs a command whose execution took at least
//! `slowlog-log-slower-than` microseconds. Here the duration is the
//! command's simulated cost (`Ctx::cost_ns`), so a DEBUG SLEEP or a long
//! script lands in the log exactly when the simulation says it was slow.

use std::collections::VecDeque;

/// Arguments beyond this many are summarized (`SLOWLOG_ENTRY_MAX_ARGC`).
pub const MAX_ARGC: usize = 32;
/// Longer arguments are cut (`SLOWLOG_ENTRY_MAX_STRING`).
pub const MAX_STRING: usize = 128;

#[derive(Clone, Debug, PartialEq)]
pub struct SlowLogEntry {
    pub id: u64,
    /// Unix time in seconds when the command ran.
    pub time_s: i64,
    pub duration_us: u64,
    pub args: Vec<Vec<u8>>,
    /// `ip:port` of the client, `?:0` for a script's calls.
    pub addr: String,
    pub name: Vec<u8>,
}

#[derive(Clone, Debug, Default)]
pub struct SlowLog {
    /// Newest first, as SLOWLOG GET lists them.
    entries: VecDeque<SlowLogEntry>,
    next_id: u64,
}

impl SlowLog {
    /// `slowlogPushEntryIfNeeded`: logs the call if it was slow enough
    /// (`threshold_us` < 0 disables the log), then trims to `max_len`.
    /// `details` gives the arguments as shown, the client's address and
    /// name; it runs only for a call that is logged, so a fast command
    /// copies nothing.
    pub fn record(
        &mut self,
        threshold_us: i64,
        max_len: usize,
        duration_us: u64,
        time_s: i64,
        details: impl FnOnce() -> (Vec<Vec<u8>>, String, Vec<u8>),
    ) {
        if threshold_us < 0 {
            return;
        }
        if i128::from(duration_us) >= i128::from(threshold_us) {
            let (args, addr, name) = details();
            let entry = SlowLogEntry {
                id: self.next_id,
                time_s,
                duration_us,
                args: summarize(&args),
                addr,
                name,
            };
            self.next_id += 1;
            self.entries.push_front(entry);
        }
        self.entries.truncate(max_len);
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Empties the log; ids keep counting, as in Redis.
    pub fn reset(&mut self) {
        self.entries.clear();
    }

    /// Newest first.
    pub fn entries(&self) -> impl Iterator<Item = &SlowLogEntry> {
        self.entries.iter()
    }
}

/// `slowlogCreateEntry`'s trimming: at most 32 arguments (the last one
/// saying how many more there were), each at most 128 bytes plus a note.
fn summarize(args: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let kept = args.len().min(MAX_ARGC);
    let mut out = Vec::with_capacity(kept);
    for (j, arg) in args.iter().take(kept).enumerate() {
        if kept != args.len() && j == kept - 1 {
            out.push(format!("... ({} more arguments)", args.len() - kept + 1).into_bytes());
        } else if arg.len() > MAX_STRING {
            let mut s = arg[..MAX_STRING].to_vec();
            s.extend_from_slice(format!("... ({} more bytes)", arg.len() - MAX_STRING).as_bytes());
            out.push(s);
        } else {
            out.push(arg.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn details(args: &[Vec<u8>]) -> Vec<Vec<u8>> {
        args.to_vec()
    }

    #[test]
    fn long_commands_are_summarized() {
        let mut log = SlowLog::default();
        let args: Vec<Vec<u8>> = (0..40).map(|i| format!("a{i}").into_bytes()).collect();
        log.record(0, 128, 5, 0, || (details(&args), "?:0".into(), Vec::new()));
        let e = log
            .entries()
            .next()
            .cloned()
            .unwrap_or_else(|| panic!("logged"));
        assert_eq!(e.args.len(), 32);
        assert_eq!(e.args[31], b"... (9 more arguments)".to_vec());
        log.record(0, 128, 5, 0, || {
            (details(&[vec![b'x'; 130]]), "?:0".into(), Vec::new())
        });
        let e = log
            .entries()
            .next()
            .cloned()
            .unwrap_or_else(|| panic!("logged"));
        assert!(e.args[0].ends_with(b"... (2 more bytes)"));
    }

    #[test]
    fn threshold_and_max_len() {
        let mut log = SlowLog::default();
        log.record(10, 2, 9, 0, || {
            (details(&[b"a".to_vec()]), "?:0".into(), Vec::new())
        });
        assert_eq!(log.len(), 0);
        for _ in 0..3 {
            log.record(10, 2, 10, 0, || {
                (details(&[b"a".to_vec()]), "?:0".into(), Vec::new())
            });
        }
        assert_eq!(log.len(), 2);
        assert_eq!(log.entries().next().map(|e| e.id), Some(2));
        log.record(-1, 2, 1000, 0, || {
            (details(&[b"a".to_vec()]), "?:0".into(), Vec::new())
        });
        assert_eq!(log.entries().next().map(|e| e.id), Some(2));
    }

    #[test]
    fn a_fast_call_copies_nothing() {
        let mut log = SlowLog::default();
        log.record(10, 2, 9, 0, || {
            panic!("only a logged call's details are made")
        });
        assert!(log.is_empty());
    }
}
