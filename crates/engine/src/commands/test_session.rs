//! A redis-cli-like session for the command families' unit tests: one
//! engine, one connection, replies as raw RESP text.

use crate::client::{ClientId, Protocol};
use crate::encode::to_bytes;
use crate::Engine;

pub(crate) struct Session {
    pub(crate) engine: Engine,
    pub(crate) client: ClientId,
}

impl Session {
    pub(crate) fn new() -> Self {
        let mut engine = Engine::new(0);
        let client = engine.connect("127.0.0.1:50000", 0);
        Session { engine, client }
    }

    /// Runs a command given as space-separated words; the reply as RESP text.
    pub(crate) fn run(&mut self, line: &str) -> String {
        let args: Vec<Vec<u8>> = line.split(' ').map(|w| w.as_bytes().to_vec()).collect();
        let reply = self.engine.execute(self.client, &args, 0).reply;
        let protocol = self.engine.protocol(self.client);
        String::from_utf8_lossy(&to_bytes(&reply, protocol)).into_owned()
    }

    pub(crate) fn resp3(&mut self) {
        if let Some(c) = self.engine.clients.get_mut(&self.client) {
            c.protocol = Protocol::Resp3;
        }
    }
}
