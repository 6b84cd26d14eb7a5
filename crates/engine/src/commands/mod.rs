//! The command table: one module per family, each exporting `COMMANDS`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use crate::command::CommandSpec;

pub mod admin;
pub mod bits;
mod client_kill;
mod client_pause;
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

/// Each family's command table, with the ACL categories its module stands
/// for (`@string`, `@list`, ...). The other categories come from a
/// command's flags: see [`in_acl_category`].
fn families() -> [(&'static [CommandSpec], &'static [&'static str]); 18] {
    [
        (admin::COMMANDS, &[]),
        (bits::COMMANDS, &["bitmap"]),
        (connection::COMMANDS, &["connection"]),
        (dump::COMMANDS, &["keyspace"]),
        (functions::COMMANDS, &["scripting"]),
        (hashes::COMMANDS, &["hash"]),
        (keys::COMMANDS, &["keyspace"]),
        (lists::COMMANDS, &["list"]),
        (memory::COMMANDS, &[]),
        (pubsub::COMMANDS, &["pubsub"]),
        (scripting::COMMANDS, &["scripting"]),
        (server::COMMANDS, &[]),
        (sets::COMMANDS, &["set"]),
        (sort::COMMANDS, &["set", "sortedset", "list"]),
        (streams::COMMANDS, &["stream"]),
        (strings::COMMANDS, &["string"]),
        (transactions::COMMANDS, &["transaction"]),
        (zsets::COMMANDS, &["sortedset"]),
    ]
}

/// Redis 7.0's ACL categories (`ACL CAT`), `all` aside.
pub const ACL_CATEGORIES: [&str; 21] = [
    "keyspace",
    "read",
    "write",
    "set",
    "sortedset",
    "list",
    "hash",
    "string",
    "bitmap",
    "hyperloglog",
    "geo",
    "stream",
    "pubsub",
    "admin",
    "fast",
    "slow",
    "blocking",
    "dangerous",
    "connection",
    "transaction",
    "scripting",
];

/// Whether a command of a family belongs to an ACL category: by its
/// family, or by the flags Redis's categories follow (`write` commands are
/// `@write`, non-`fast` ones `@slow`, `admin` ones `@admin` and
/// `@dangerous`).
fn in_acl_category(spec: &CommandSpec, family: &[&str], category: &str) -> bool {
    use crate::command::flags;
    family.contains(&category)
        || match category {
            "read" => spec.has(flags::READONLY),
            "write" => spec.has(flags::WRITE),
            "fast" => spec.has(flags::FAST),
            "slow" => !spec.has(flags::FAST),
            "admin" | "dangerous" => spec.has(flags::ADMIN),
            "blocking" => spec.has(flags::BLOCKING),
            _ => false,
        }
}

/// Full names (`get`, `config|get`) of the commands in an ACL category, or
/// `None` if there is no such category.
pub fn acl_category_members(category: &str) -> Option<Vec<String>> {
    let all = category == "all";
    if !all && !ACL_CATEGORIES.contains(&category) {
        return None;
    }
    let mut names = Vec::new();
    for (table, family) in families() {
        for spec in table {
            if all || in_acl_category(spec, family, category) {
                names.push(spec.name.to_string());
            }
            for sub in spec.subcommands {
                if all || in_acl_category(sub, family, category) {
                    names.push(format!("{}|{}", spec.name, sub.name));
                }
            }
        }
    }
    Some(names)
}

fn table() -> &'static BTreeMap<&'static str, &'static CommandSpec> {
    static TABLE: OnceLock<BTreeMap<&'static str, &'static CommandSpec>> = OnceLock::new();
    TABLE.get_or_init(|| {
        families()
            .into_iter()
            .flat_map(|(table, _)| table)
            .map(|spec| (spec.name, spec))
            .collect()
    })
}

/// Finds a command by name, case-insensitively.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    crate::names::find_ignore_case(table(), name)
}

/// Every command, in name order (for COMMAND COUNT and the UI's help).
pub fn all() -> impl Iterator<Item = &'static CommandSpec> {
    table().values().copied()
}
