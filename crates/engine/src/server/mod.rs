//! Node-wide state: configuration, statistics, the slow log.

pub mod config;
pub mod slowlog;
pub mod stats;

use config::Config;
use slowlog::SlowLog;
use stats::Stats;

#[derive(Clone, Debug, Default)]
pub struct ServerState {
    pub config: Config,
    pub stats: Stats,
    pub slowlog: SlowLog,
    pub scripting: crate::scripting::Scripting,
    /// When the node started (INFO's uptime), in the caller's clock.
    pub started_ms: i64,
    /// Next id for CLIENT ID (Redis starts at 1 and never reuses).
    pub next_client_id: u64,
}
