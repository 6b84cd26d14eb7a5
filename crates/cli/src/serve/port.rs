//! CONFIG SET port: the server listens on the new port at once, as Redis
//! does (`changeListenPort`). If it cannot listen there, the old listener
//! stays and the whole CONFIG SET is rolled back — every parameter the
//! command named gets its old value — with Redis 7.0's error.

use lockstep_engine::server::config::Config;
use lockstep_engine::{Engine, Outcome, Reply};

use super::net::Net;

/// Redis 7.0's reply when the new port cannot be listened on.
pub const UNABLE_TO_LISTEN: &str = "ERR CONFIG SET failed (possibly related to argument 'port') - Unable to listen on this port. Check server logs.";

/// The configuration before a CONFIG SET, to compare and to roll back to.
pub struct PortChange {
    before: Config,
}

impl PortChange {
    /// `Some` when `args` is a CONFIG SET.
    pub fn before(engine: &Engine, args: &[Vec<u8>]) -> Option<PortChange> {
        let is_config_set = args.len() >= 2
            && args[0].eq_ignore_ascii_case(b"config")
            && args[1].eq_ignore_ascii_case(b"set");
        is_config_set.then(|| PortChange {
            before: engine.config().clone(),
        })
    }

    /// After the command: if it changed the port, listen there instead, or
    /// roll the command back and answer with Redis's error.
    pub fn apply(self, engine: &mut Engine, net: &mut Net, outcome: &mut Outcome) {
        let old = self.before.get("port").unwrap_or_default();
        let new = engine.config().get("port").unwrap_or_default();
        if old == new || outcome.reply.is_error() {
            return;
        }
        let rebound = new
            .parse::<u16>()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
            .and_then(|port| net.rebind(port));
        if rebound.is_err() {
            *engine.config_mut() = self.before;
            outcome.reply = Reply::error(UNABLE_TO_LISTEN);
        }
    }
}
