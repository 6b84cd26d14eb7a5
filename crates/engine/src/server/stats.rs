//! Counters INFO reports.

#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub total_commands_processed: u64,
    pub total_connections_received: u64,
}
