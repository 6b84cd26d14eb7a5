//! The command table: one module per family, each exporting `COMMANDS`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::command::CommandSpec;

pub mod admin;
pub mod bits;
pub mod collection_scan;
pub mod connection;
pub mod dump;
pub mod function_dump;
pub mod functions;
pub mod hashes;
pub mod keys;
pub mod lists;
pub mod memory;
pub mod pubsub;
pub mod random;
pub mod scripting;
pub mod server;
pub mod sets;
pub mod sort;
pub mod streams;
pub mod strings;
#[cfg(test)]
pub(crate) mod test_session;
pub mod transactions;
pub mod zsets;

fn families() -> [&'static [CommandSpec]; 18] {
    [
        admin::COMMANDS,
        bits::COMMANDS,
        connection::COMMANDS,
        dump::COMMANDS,
        functions::COMMANDS,
        hashes::COMMANDS,
        keys::COMMANDS,
        lists::COMMANDS,
        memory::COMMANDS,
        pubsub::COMMANDS,
        scripting::COMMANDS,
        server::COMMANDS,
        sets::COMMANDS,
        sort::COMMANDS,
        streams::COMMANDS,
        strings::COMMANDS,
        transactions::COMMANDS,
        zsets::COMMANDS,
    ]
}

fn table() -> &'static BTreeMap<&'static str, &'static CommandSpec> {
    static TABLE: OnceLock<BTreeMap<&'static str, &'static CommandSpec>> = OnceLock::new();
    TABLE.get_or_init(|| {
        families()
            .into_iter()
            .flatten()
            .map(|spec| (spec.name, spec))
            .collect()
    })
}

/// Finds a command by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
    table().get(lower.as_str()).copied()
}

/// Every command, in name order (for COMMAND COUNT and the UI's help).
pub fn all() -> impl Iterator<Item = &'static CommandSpec> {
    table().values().copied()
}
