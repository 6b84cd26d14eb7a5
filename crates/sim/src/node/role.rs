//! The commands a node answers about the world rather than its data,
//! before the engine sees them: REPLICAOF (SLAVEOF) changes who it
//! follows, a replica refuses writes from clients (READONLY), and WAIT's
//! errors (`super::wait`). ROLE and INFO replication are the engine's,
//! told the node's role when a connection runs a command (`super::exec`).
//! The node decides; the world carries out a change of role (a failover,
//! a full sync), which involves other nodes and clients.

use lockstep_engine::command::flags;
use lockstep_engine::engine::resolve;
use lockstep_engine::Reply;

use super::Node;

const READONLY: &str = "READONLY You can't write against a read only replica.";

/// Argument `i` of a command, lowercased (empty if missing).
pub(crate) fn word(args: &[Vec<u8>], i: usize) -> String {
    args.get(i)
        .map(|a| String::from_utf8_lossy(a).to_ascii_lowercase())
        .unwrap_or_default()
}

/// What the node makes of a command before the engine runs it.
#[derive(Clone, Debug, PartialEq)]
pub enum Intercepted {
    /// The answer, with nothing else to do.
    Answer(Reply),
    /// REPLICAOF NO ONE on a replica: it becomes a primary (answer OK).
    Promote,
    /// REPLICAOF to another node: it follows that node (answer OK).
    Follow(usize),
}

impl Node {
    /// Whether the node answers `args` itself; `None` when the engine
    /// runs it. `me` is this node's index, `from_world` whether the world
    /// sent it (a story's setup, not bound by READONLY), and `node_named`
    /// finds a node by the name a REPLICAOF gives as its host.
    pub fn intercept(
        &self,
        me: usize,
        args: &[Vec<u8>],
        from_world: bool,
        node_named: impl Fn(&str) -> Option<usize>,
    ) -> Option<Intercepted> {
        let is_replica = self.replica_of.is_some();
        match word(args, 0).as_str() {
            "wait" => self.wait_error(args).map(Intercepted::Answer),
            "replicaof" | "slaveof" => Some(replica_of(me, args, is_replica, node_named)),
            _ if is_replica && !from_world => {
                let writes = resolve(args).is_ok_and(|spec| spec.has(flags::WRITE));
                writes.then(|| Intercepted::Answer(Reply::error(READONLY)))
            }
            _ => None,
        }
    }
}

/// REPLICAOF host port / NO ONE, on node `me`. The host is a node's name
/// in the scenario (the port is not looked at).
fn replica_of(
    me: usize,
    args: &[Vec<u8>],
    is_replica: bool,
    node_named: impl Fn(&str) -> Option<usize>,
) -> Intercepted {
    if args.len() != 3 {
        return Intercepted::Answer(Reply::wrong_arity(&word(args, 0)));
    }
    if word(args, 1) == "no" && word(args, 2) == "one" {
        return if is_replica {
            Intercepted::Promote
        } else {
            Intercepted::Answer(Reply::ok())
        };
    }
    let host = String::from_utf8_lossy(&args[1]).into_owned();
    match node_named(&host) {
        Some(primary) if primary != me => Intercepted::Follow(primary),
        _ => Intercepted::Answer(Reply::error(format!(
            "ERR no node named '{host}' in this scenario (give a node's name as the host)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(replica_of: Option<usize>) -> Node {
        let scenario = crate::Scenario::parse(
            "title = \"r\"\nduration_ms = 10\n[[node]]\nname = \"r1\"\n\
             [[client]]\nname = \"c1\"\nprogram = \"return\"\n",
        )
        .expect("scenario");
        Node::new(scenario.nodes[0].clone(), replica_of).expect("node")
    }

    fn args(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    fn named(name: &str) -> Option<usize> {
        ["r1", "r2"].iter().position(|n| *n == name)
    }

    #[test]
    fn replicaof_changes_the_role_or_says_why_not() {
        let primary = node(None);
        let replica = node(Some(1));
        let ask = |n: &Node, line: &str| n.intercept(0, &args(line), false, named);
        assert_eq!(
            ask(&primary, "REPLICAOF r2 6379"),
            Some(Intercepted::Follow(1))
        );
        assert_eq!(
            ask(&replica, "replicaof no one"),
            Some(Intercepted::Promote)
        );
        assert_eq!(
            ask(&primary, "REPLICAOF NO ONE"),
            Some(Intercepted::Answer(Reply::ok())),
            "a primary stays one"
        );
        let Some(Intercepted::Answer(Reply::Error(ref error))) = ask(&primary, "SLAVEOF r1 6379")
        else {
            panic!("itself as primary is refused");
        };
        assert!(error.contains("no node named 'r1'"), "{error}");
        assert!(matches!(
            ask(&primary, "REPLICAOF nobody 6379"),
            Some(Intercepted::Answer(Reply::Error(_)))
        ));
        assert_eq!(
            ask(&primary, "REPLICAOF r2"),
            Some(Intercepted::Answer(Reply::wrong_arity("replicaof")))
        );
    }

    #[test]
    fn a_replica_refuses_client_writes_but_not_reads_or_the_worlds() {
        let replica = node(Some(1));
        assert_eq!(
            replica.intercept(0, &args("SET k v"), false, named),
            Some(Intercepted::Answer(Reply::error(READONLY)))
        );
        assert_eq!(replica.intercept(0, &args("GET k"), false, named), None);
        assert_eq!(replica.intercept(0, &args("SET k v"), true, named), None);
        assert_eq!(
            node(None).intercept(0, &args("SET k v"), false, named),
            None
        );
    }
}
