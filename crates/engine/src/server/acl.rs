//! ACL users, as Redis 7.0 keeps them: who may log in with which password,
//! and which commands and keys each may use.
//!
//! Permissions are kept the way Redis's command bitmap keeps them: a rule
//! (`+@string`, `-config|set`, `+get`) is applied at once to the set of
//! full command names the user may run, so later commands of a category do
//! not change what an earlier rule meant. Channels are not checked (every
//! user may publish and subscribe anywhere): the model keeps no per-user
//! channel list.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, OnceLock};

use crate::command::CommandSpec;
use crate::commands;
use crate::glob::string_match;

/// The user every connection starts as.
pub const DEFAULT_USER: &[u8] = b"default";

/// One ACL user.
#[derive(Clone, Debug, Default)]
pub struct AclUser {
    pub enabled: bool,
    /// Any password logs in.
    pub nopass: bool,
    /// Passwords in the order they were added (Redis keeps SHA-256 hashes;
    /// the model never shows them, so it keeps them as given).
    pub passwords: Vec<Vec<u8>>,
    /// Full names (`get`, `config|get`) of the commands the user may run.
    /// Shared (copied on the first change), because every engine starts
    /// with a default user holding all of them: building that set per
    /// engine cost a simulated world's start-up most of its time.
    pub commands: Arc<BTreeSet<String>>,
    /// Key patterns (`~pattern`); `allkeys` is the pattern `*`.
    pub key_patterns: Vec<Vec<u8>>,
    /// Every command and every key: nothing to check (the common case,
    /// kept so that serving the default user costs nothing per command).
    unrestricted: bool,
}

impl AclUser {
    /// Redis's `default` user: on, no password, every command and key.
    fn default_user() -> AclUser {
        let mut user = AclUser {
            enabled: true,
            nopass: true,
            key_patterns: vec![b"*".to_vec()],
            ..AclUser::default()
        };
        user.commands = every_command();
        user.unrestricted = true;
        user
    }

    /// Applies ACL SETUSER's rules in order; on an error, says which rule
    /// and why, and the user is as before.
    pub fn apply_all(&mut self, rules: &[Vec<u8>]) -> Result<(), String> {
        let mut changed = self.clone();
        for rule in rules {
            changed.apply(rule).map_err(|why| {
                format!(
                    "Error in ACL SETUSER modifier '{}': {why}",
                    String::from_utf8_lossy(rule)
                )
            })?;
        }
        changed.unrestricted =
            changed.key_patterns == [b"*".to_vec()] && *changed.commands == *every_command();
        *self = changed;
        Ok(())
    }

    /// Applies one ACL SETUSER rule, or says why it is refused (the text
    /// after `Error in ACL SETUSER modifier '...': `).
    fn apply(&mut self, rule: &[u8]) -> Result<(), &'static str> {
        const SYNTAX: &str = "Syntax error";
        const UNKNOWN: &str = "Unknown command or category name in ACL";
        if rule.is_empty() {
            return Ok(());
        }
        let lower = String::from_utf8_lossy(rule).to_ascii_lowercase();
        match lower.as_str() {
            "on" => self.enabled = true,
            "off" => self.enabled = false,
            "nopass" => {
                self.nopass = true;
                self.passwords.clear();
            }
            "resetpass" => {
                self.nopass = false;
                self.passwords.clear();
            }
            "allkeys" => self.key_patterns = vec![b"*".to_vec()],
            "resetkeys" => self.key_patterns.clear(),
            "allcommands" | "+@all" => self.commands = every_command(),
            "nocommands" | "-@all" => self.commands = Arc::default(),
            // Channels are not modelled; payload sanitizing has no RESTORE
            // check to switch.
            "allchannels" | "resetchannels" | "sanitize-payload" | "skip-sanitize-payload" => {}
            "reset" => {
                *self = AclUser::default();
            }
            _ => match rule[0] {
                b'>' => {
                    let password = rule[1..].to_vec();
                    if !self.passwords.contains(&password) {
                        self.passwords.push(password);
                    }
                    self.nopass = false;
                }
                b'<' => {
                    let before = self.passwords.len();
                    self.passwords.retain(|p| p != &rule[1..]);
                    if self.passwords.len() == before {
                        return Err(
                            "The password you are trying to remove from the user does not exist",
                        );
                    }
                }
                b'~' => self.add_key_pattern(&rule[1..])?,
                b'%' => {
                    // %R~pattern, %W~pattern, %RW~pattern: read/write
                    // pattern kinds are not told apart.
                    let tilde = rule.iter().position(|&b| b == b'~').ok_or(SYNTAX)?;
                    let kinds = &lower.as_bytes()[1..tilde];
                    if kinds.is_empty() || kinds.iter().any(|k| !matches!(k, b'r' | b'w')) {
                        return Err(SYNTAX);
                    }
                    self.add_key_pattern(&rule[tilde + 1..])?;
                }
                b'&' => {}
                b'+' | b'-' => {
                    let names = command_names(&lower[1..]).ok_or(UNKNOWN)?;
                    if rule[0] == b'+' {
                        Arc::make_mut(&mut self.commands).extend(names);
                    } else {
                        let commands = Arc::make_mut(&mut self.commands);
                        for name in names {
                            commands.remove(&name);
                        }
                    }
                }
                _ => return Err(SYNTAX),
            },
        }
        Ok(())
    }

    fn add_key_pattern(&mut self, pattern: &[u8]) -> Result<(), &'static str> {
        if self.key_patterns.iter().any(|p| p == b"*") {
            return Err("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns");
        }
        if pattern == b"*" {
            self.key_patterns = vec![b"*".to_vec()];
        } else if !self.key_patterns.iter().any(|p| p == pattern) {
            self.key_patterns.push(pattern.to_vec());
        }
        Ok(())
    }

    /// Whether `password` logs this user in.
    pub fn accepts(&self, password: &[u8]) -> bool {
        self.enabled && (self.nopass || self.passwords.iter().any(|p| p == password))
    }

    /// Whether this user may run `args` (resolved to `spec`): Redis's
    /// `ACLCheckAllUserCommandPerm`.
    pub fn check(&self, spec: &CommandSpec, args: &[Vec<u8>]) -> Result<(), Denied> {
        // AUTH, HELLO and the like are open to every user, as a user
        // must be able to log in as another.
        if self.unrestricted || spec.has(crate::command::flags::NO_AUTH) {
            return Ok(());
        }
        let name = crate::engine::full_name(spec, args);
        if !self.commands.contains(name.as_ref()) {
            return Err(Denied::Command(name.into_owned()));
        }
        if self.key_patterns.iter().any(|p| p == b"*") {
            return Ok(());
        }
        let keys = match commands::server::command_keys(spec, args) {
            Some(keys) => keys,
            None => return Ok(()),
        };
        for index in keys {
            let key = &args[index];
            if !self
                .key_patterns
                .iter()
                .any(|p| string_match(p, key, false))
            {
                return Err(Denied::Key);
            }
        }
        Ok(())
    }
}

/// Why a command is refused to a user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denied {
    /// Not among the user's commands; carries the full name.
    Command(String),
    /// A key outside the user's patterns.
    Key,
}

impl Denied {
    /// The error a client gets (`processCommand`).
    pub fn client_error(&self) -> String {
        match self {
            Denied::Command(name) => {
                format!("NOPERM this user has no permissions to run the '{name}' command")
            }
            Denied::Key => {
                "NOPERM this user has no permissions to access one of the keys used as arguments"
                    .into()
            }
        }
    }

    /// The error a script gets from `redis.call` (`scriptVerifyACL`).
    pub fn script_error(&self) -> &'static str {
        match self {
            Denied::Command(_) => {
                "ERR The user executing the script can't run this command or subcommand"
            }
            Denied::Key => "ERR The user executing the script can't access at least one of the keys mentioned in the command arguments",
        }
    }
}

/// The users, by name.
#[derive(Clone, Debug)]
pub struct Acl {
    pub users: BTreeMap<Vec<u8>, AclUser>,
}

impl Default for Acl {
    fn default() -> Self {
        let mut users = BTreeMap::new();
        users.insert(DEFAULT_USER.to_vec(), AclUser::default_user());
        Acl { users }
    }
}

impl Acl {
    pub fn user(&self, name: &[u8]) -> Option<&AclUser> {
        self.users.get(name)
    }

    /// Whether the user named `user` may run `args`. A connection whose
    /// user was deleted may only log in again.
    pub fn check(&self, user: &[u8], spec: &CommandSpec, args: &[Vec<u8>]) -> Result<(), Denied> {
        match self.users.get(user) {
            Some(user) => user.check(spec, args),
            None if spec.has(crate::command::flags::NO_AUTH) => Ok(()),
            None => Err(Denied::Command(
                crate::engine::full_name(spec, args).into_owned(),
            )),
        }
    }
}

/// Every full command name: each command, and each container's
/// subcommands as `parent|sub`. Built once per process and shared.
fn every_command() -> Arc<BTreeSet<String>> {
    static EVERY: OnceLock<Arc<BTreeSet<String>>> = OnceLock::new();
    Arc::clone(EVERY.get_or_init(|| {
        Arc::new(
            commands::all()
                .flat_map(|spec| {
                    std::iter::once(spec.name.to_string()).chain(
                        spec.subcommands
                            .iter()
                            .map(move |sub| format!("{}|{}", spec.name, sub.name)),
                    )
                })
                .collect(),
        )
    }))
}

/// The full names a `+`/`-` rule names: `@category`, `command` (with all
/// its subcommands) or `command|sub`. `None` if there is no such thing.
fn command_names(what: &str) -> Option<Vec<String>> {
    if let Some(category) = what.strip_prefix('@') {
        return commands::acl_category_members(category);
    }
    if let Some((parent, sub)) = what.split_once('|') {
        let spec = commands::lookup(parent.as_bytes())?;
        let sub = spec.subcommands.iter().find(|s| s.name == sub)?;
        return Some(vec![format!("{}|{}", spec.name, sub.name)]);
    }
    let spec = commands::lookup(what.as_bytes())?;
    let mut names = vec![spec.name.to_string()];
    names.extend(
        spec.subcommands
            .iter()
            .map(|sub| format!("{}|{}", spec.name, sub.name)),
    );
    Some(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(rules: &[&str]) -> AclUser {
        let mut user = AclUser::default();
        let rules: Vec<Vec<u8>> = rules.iter().map(|r| r.as_bytes().to_vec()).collect();
        user.apply_all(&rules).expect("valid rules");
        user
    }

    fn check(user: &AclUser, line: &[&str]) -> Result<(), Denied> {
        let args: Vec<Vec<u8>> = line.iter().map(|a| a.as_bytes().to_vec()).collect();
        let spec = crate::engine::resolve(&args).expect("a known command");
        user.check(spec, &args)
    }

    #[test]
    fn categories_commands_and_key_patterns_decide() {
        let bob = user(&["on", ">123", "+@scripting", "+set", "~x*"]);
        assert!(bob.accepts(b"123"));
        assert!(!bob.accepts(b"124"));
        assert_eq!(check(&bob, &["set", "xx", "1"]), Ok(()));
        assert_eq!(check(&bob, &["set", "yy", "1"]), Err(Denied::Key));
        assert_eq!(
            check(&bob, &["hset", "xx", "f", "1"]),
            Err(Denied::Command("hset".into()))
        );
        assert_eq!(check(&bob, &["eval", "return 1", "1", "xa"]), Ok(()));
        assert_eq!(
            check(&bob, &["eval", "return 1", "1", "ya"]),
            Err(Denied::Key)
        );
    }

    #[test]
    fn subcommands_can_be_granted_alone() {
        let u = user(&["on", "nopass", "allkeys", "+config|get"]);
        assert_eq!(check(&u, &["config", "get", "x"]), Ok(()));
        assert_eq!(
            check(&u, &["config", "set", "x", "y"]),
            Err(Denied::Command("config|set".into()))
        );
    }

    #[test]
    fn bad_rules_say_why() {
        let mut u = AclUser::default();
        assert_eq!(
            u.apply(b"+nosuch"),
            Err("Unknown command or category name in ACL")
        );
        assert_eq!(
            u.apply(b"+@nosuch"),
            Err("Unknown command or category name in ACL")
        );
        assert_eq!(u.apply(b"bogus"), Err("Syntax error"));
        assert!(u.apply(b"allkeys").is_ok());
        assert!(u.apply(b"~x").is_err());
        assert!(!u.accepts(b""), "a new user is off");
    }
}
