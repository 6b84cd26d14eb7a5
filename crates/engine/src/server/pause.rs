//! CLIENT PAUSE's state (Redis's `client_pause_type` and
//! `client_pause_end_time`, pause.c in later versions).
//!
//! While a pause holds, commands it covers are postponed: the client is
//! blocked before its command runs, and the command starts again from
//! scratch once the pause ends (see `crate::blocking::postponed`). `WRITE`
//! covers commands that may write or propagate (write commands, PUBLISH,
//! PFCOUNT, EVAL/EVALSHA/FCALL unless the script declares `no-writes`, an
//! EXEC with any of those queued); `ALL` covers every command, CLIENT
//! UNPAUSE from another connection included. Keys do not expire while
//! clients are paused, so the data set stays still.

use crate::command::{flags, CommandSpec};

/// How much a pause holds back, least to most restrictive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum PauseMode {
    #[default]
    Off,
    Write,
    All,
}

/// The pause in force, set by CLIENT PAUSE and ended by CLIENT UNPAUSE or
/// its timeout.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pause {
    mode: PauseMode,
    /// The pause holds while the clock is at or before this millisecond
    /// (Redis: `client_pause_end_time < mstime` ends it).
    end_ms: i64,
    /// The pause got less restrictive since the postponed clients were
    /// last re-run: they must be tried again.
    relaxed: bool,
}

impl Pause {
    /// Redis's `pauseClients`: a second pause keeps the more restrictive
    /// mode and the later end.
    pub fn start(&mut self, mode: PauseMode, end_ms: i64, now_ms: i64) {
        self.refresh(now_ms);
        if self.mode == PauseMode::Off {
            self.mode = mode;
            self.end_ms = end_ms;
        } else {
            self.mode = self.mode.max(mode);
            self.end_ms = self.end_ms.max(end_ms);
        }
        // A pause that has already ended (CLIENT PAUSE 0) holds nothing.
        self.refresh(now_ms);
    }

    /// CLIENT UNPAUSE.
    pub fn stop(&mut self) {
        if self.mode != PauseMode::Off {
            self.mode = PauseMode::Off;
            self.relaxed = true;
        }
    }

    /// Ends the pause if its time is over (`checkClientPauseTimeoutAndReturnIfPaused`).
    pub fn refresh(&mut self, now_ms: i64) {
        if self.mode != PauseMode::Off && self.end_ms < now_ms {
            self.stop();
        }
    }

    /// Whether clients are paused (in either mode).
    pub fn active(&self) -> bool {
        self.mode != PauseMode::Off
    }

    pub fn mode(&self) -> PauseMode {
        self.mode
    }

    /// The millisecond after which the pause ends by itself, if one holds.
    pub fn end_ms(&self) -> Option<i64> {
        self.active().then_some(self.end_ms)
    }

    /// Whether the pause was relaxed since the last call (and forgets it).
    pub fn take_relaxed(&mut self) -> bool {
        std::mem::take(&mut self.relaxed)
    }

    /// Whether a command that may replicate (`may_replicate`) or not is
    /// held back by the pause in force.
    pub fn holds(&self, may_replicate: bool) -> bool {
        match self.mode {
            PauseMode::Off => false,
            PauseMode::Write => may_replicate,
            PauseMode::All => true,
        }
    }
}

/// Commands Redis 7.0 flags `may-replicate` without being write commands.
const MAY_REPLICATE: [&str; 6] = ["eval", "evalsha", "fcall", "pfcount", "publish", "spublish"];

/// Whether the command table flags `spec` `write` or `may-replicate`
/// (read-only scripts refuse both: PUBLISH, PFCOUNT).
pub fn flagged_may_replicate(spec: &CommandSpec) -> bool {
    spec.has(flags::WRITE | flags::MAY_REPLICATE) || MAY_REPLICATE.contains(&spec.name)
}

/// `processCommand`'s `is_may_replicate_command` for one command (not
/// EXEC's queue): a write command, or one flagged `may-replicate` — except
/// a script that declares its flags, which may replicate only if it does
/// not declare `no-writes` (`scriptFlagsToCmdFlags`).
pub fn may_replicate(server: &super::ServerState, spec: &CommandSpec, args: &[Vec<u8>]) -> bool {
    if spec.has(flags::WRITE | flags::MAY_REPLICATE) {
        return true;
    }
    if !MAY_REPLICATE.contains(&spec.name) {
        return false;
    }
    !crate::commands::scripting::declares_no_writes(server, spec.name, args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_pause_keeps_the_stricter_mode_and_the_later_end() {
        let mut pause = Pause::default();
        pause.start(PauseMode::All, 500, 0);
        pause.start(PauseMode::Write, 900, 10);
        assert_eq!(pause.mode(), PauseMode::All);
        assert_eq!(pause.end_ms(), Some(900));
        pause.refresh(900);
        assert!(pause.active());
        pause.refresh(901);
        assert!(!pause.active());
        assert!(pause.take_relaxed());
        assert!(!pause.take_relaxed());
    }

    #[test]
    fn a_pause_that_ends_at_once_holds_nothing() {
        let mut pause = Pause::default();
        pause.start(PauseMode::All, 0, 100);
        assert!(!pause.active());
        assert!(!pause.holds(true));
    }

    #[test]
    fn write_mode_holds_only_what_may_replicate() {
        let mut pause = Pause::default();
        pause.start(PauseMode::Write, 1_000, 0);
        assert!(pause.holds(true));
        assert!(!pause.holds(false));
        pause.start(PauseMode::All, 1_000, 0);
        assert!(pause.holds(false));
    }
}
