//! Counters INFO reports.

use std::collections::BTreeMap;

/// Per-command counters (INFO commandstats).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CommandStats {
    pub calls: u64,
    /// Simulated microseconds spent in the command.
    pub usec: u64,
    /// Refused before running (wrong arity, not allowed in this context).
    pub rejected_calls: u64,
    /// Ran and replied with an error.
    pub failed_calls: u64,
}

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub total_commands_processed: u64,
    /// Keys maxmemory's policy evicted (INFO's `evicted_keys`).
    pub evicted_keys: u64,
    pub total_connections_received: u64,
    /// Error replies by their code (`ERR`, `WRONGTYPE`, ...): INFO errorstats.
    pub errors: BTreeMap<String, u64>,
    pub total_error_replies: u64,
    /// By full command name (`config|set`).
    pub commands: BTreeMap<String, CommandStats>,
    /// Keys expired before the last CONFIG RESETSTAT (the keyspaces count
    /// from the start; INFO reports the difference).
    pub expired_keys_base: u64,
    /// Redis's `ERR_REPLY_FLAG_NO_STATS_UPDATE`: the next error reply (a
    /// script passing on a command's error) was counted in `errors` when
    /// the command failed; it counts only as its command's failed call.
    pub error_reply_already_counted: bool,
}

impl Stats {
    /// Counts one error reply under its code, the first word of its text.
    pub fn count_error(&mut self, text: &str) {
        let code = text.split(' ').next().unwrap_or("ERR");
        *self.errors.entry(code.to_string()).or_default() += 1;
        self.total_error_replies += 1;
    }

    pub fn command(&mut self, full_name: &str) -> &mut CommandStats {
        // The name is copied only the first time a command is seen.
        if !self.commands.contains_key(full_name) {
            self.commands
                .insert(full_name.to_string(), CommandStats::default());
        }
        self.commands
            .get_mut(full_name)
            .expect("inserted above if it was missing")
    }

    /// CONFIG RESETSTAT: everything INFO counts starts again from zero.
    pub fn reset(&mut self) {
        *self = Stats::default();
    }
}
