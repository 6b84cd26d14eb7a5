//! Blocking commands as several redis-cli sessions on one node would show
//! them, in raw RESP: `run` answers for the sending connection, `served`
//! is what the other connections received since.

use crate::client::{ClientId, Protocol};
use crate::encode::to_bytes;
use crate::Engine;

struct Node {
    engine: Engine,
    now_ms: i64,
}

impl Node {
    fn new() -> Self {
        Node {
            engine: Engine::new(0),
            now_ms: 1_000,
        }
    }

    fn connect(&mut self) -> ClientId {
        self.engine.connect("127.0.0.1:50000", self.now_ms)
    }

    fn send(&mut self, client: ClientId, line: &str) -> crate::Outcome {
        let args: Vec<Vec<u8>> = line.split(' ').map(|w| w.as_bytes().to_vec()).collect();
        self.engine.execute(client, &args, self.now_ms)
    }

    /// The reply as RESP text; "(blocked)" if the command blocked.
    fn run(&mut self, client: ClientId, line: &str) -> String {
        let outcome = self.send(client, line);
        if outcome.blocked {
            assert!(self.engine.is_blocked(client));
            return "(blocked)".into();
        }
        self.text(client, &outcome.reply)
    }

    fn text(&self, client: ClientId, reply: &crate::Reply) -> String {
        String::from_utf8_lossy(&to_bytes(reply, self.engine.protocol(client))).into_owned()
    }

    /// Replies delivered to unblocked clients since the last look.
    fn served(&mut self) -> Vec<(ClientId, String)> {
        let unblocked = self.engine.take_unblocked();
        unblocked
            .iter()
            .map(|u| (u.client, self.text(u.client, &u.reply)))
            .collect()
    }

    fn timeouts(&mut self, now_ms: i64) -> Vec<(ClientId, String)> {
        self.now_ms = now_ms;
        let unblocked = self.engine.unblock_timed_out(now_ms);
        unblocked
            .iter()
            .map(|u| (u.client, self.text(u.client, &u.reply)))
            .collect()
    }

    fn resp3(&mut self, client: ClientId) {
        if let Some(c) = self.engine.clients.get_mut(&client) {
            c.protocol = Protocol::Resp3;
        }
    }
}

#[test]
fn blpop_waits_for_the_push_that_serves_it() {
    let mut n = Node::new();
    let (waiter, pusher) = (n.connect(), n.connect());
    assert_eq!(n.run(waiter, "BLPOP jobs 0"), "(blocked)");
    assert_eq!(n.served(), vec![]);
    assert_eq!(n.run(pusher, "RPUSH jobs j1 j2"), ":2\r\n");
    assert_eq!(
        n.served(),
        vec![(waiter, "*2\r\n$4\r\njobs\r\n$2\r\nj1\r\n".to_string())]
    );
    assert!(!n.engine.is_blocked(waiter));
    assert_eq!(n.run(pusher, "LRANGE jobs 0 -1"), "*1\r\n$2\r\nj2\r\n");
    // Served, the connection runs commands again.
    assert_eq!(n.run(waiter, "LLEN jobs"), ":1\r\n");
}

#[test]
fn clients_are_served_first_blocked_first() {
    let mut n = Node::new();
    let (first, second, third, pusher) = (n.connect(), n.connect(), n.connect(), n.connect());
    assert_eq!(n.run(first, "BRPOP q 0"), "(blocked)");
    assert_eq!(n.run(second, "BLPOP q 0"), "(blocked)");
    assert_eq!(n.run(third, "BLPOP q 0"), "(blocked)");
    // Two elements for three waiters: the third keeps waiting.
    assert_eq!(n.run(pusher, "RPUSH q a b"), ":2\r\n");
    assert_eq!(
        n.served(),
        vec![
            (first, "*2\r\n$1\r\nq\r\n$1\r\nb\r\n".to_string()),
            (second, "*2\r\n$1\r\nq\r\n$1\r\na\r\n".to_string()),
        ]
    );
    assert!(n.engine.is_blocked(third));
    assert_eq!(n.run(pusher, "EXISTS q"), ":0\r\n");
}

#[test]
fn a_client_is_served_from_the_key_written_first() {
    let mut n = Node::new();
    let (waiter, writer) = (n.connect(), n.connect());
    assert_eq!(n.run(waiter, "BLPOP a b 0"), "(blocked)");
    n.run(writer, "MULTI");
    n.run(writer, "RPUSH b from-b");
    n.run(writer, "RPUSH a from-a");
    // Inside the transaction nobody is served yet.
    assert_eq!(n.run(writer, "EXEC"), "*2\r\n:1\r\n:1\r\n".to_string());
    assert_eq!(
        n.served(),
        vec![(waiter, "*2\r\n$1\r\nb\r\n$6\r\nfrom-b\r\n".to_string())]
    );
    assert_eq!(n.run(writer, "LLEN a"), ":1\r\n");
}

#[test]
fn inside_multi_blocking_commands_answer_at_once() {
    let mut n = Node::new();
    let c = n.connect();
    n.run(c, "MULTI");
    n.run(c, "BLPOP empty 0");
    n.run(c, "BLMOVE empty dst LEFT RIGHT 0");
    n.run(c, "BZPOPMIN empty 0");
    n.run(c, "XREAD BLOCK 0 STREAMS empty $");
    assert_eq!(n.run(c, "EXEC"), "*4\r\n*-1\r\n$-1\r\n*-1\r\n*-1\r\n");
    assert!(!n.engine.is_blocked(c));
    // Scripts refuse the list and sorted-set forms and BLOCK outright.
    assert_eq!(
        n.run(c, "EVAL return(redis.pcall('BLPOP','k',0)['err']) 0"),
        "$49\r\nERR This Redis command is not allowed from script\r\n"
    );
    assert_eq!(
        n.run(
            c,
            "EVAL return(redis.pcall('xread','BLOCK',0,'STREAMS','s','$')['err']) 0"
        ),
        "$63\r\nERR xread command is not allowed with BLOCK option from scripts\r\n"
    );
}

#[test]
fn timeouts_end_the_wait_with_a_null_array() {
    let mut n = Node::new();
    let (a, b, c) = (n.connect(), n.connect(), n.connect());
    assert_eq!(n.run(a, "BLPOP k 0.5"), "(blocked)");
    assert_eq!(n.run(b, "BZPOPMAX z 2"), "(blocked)");
    assert_eq!(n.run(c, "BLPOP k 0"), "(blocked)");
    n.resp3(b);
    // Past the deadline, as Redis's `timeout < now`.
    assert_eq!(n.engine.next_block_timeout_ms(), Some(1_501));
    assert_eq!(n.timeouts(1_500), vec![]);
    assert_eq!(n.timeouts(1_501), vec![(a, "*-1\r\n".to_string())]);
    assert_eq!(n.engine.next_block_timeout_ms(), Some(3_001));
    assert_eq!(n.timeouts(3_001), vec![(b, "_\r\n".to_string())]);
    // Timeout 0 waits forever.
    assert_eq!(n.engine.next_block_timeout_ms(), None);
    assert_eq!(n.timeouts(i64::MAX), vec![]);
    assert!(n.engine.is_blocked(c));
}

#[test]
fn timeouts_are_checked_before_blocking() {
    let mut n = Node::new();
    let c = n.connect();
    let not_float = "-ERR timeout is not a float or out of range\r\n";
    assert_eq!(n.run(c, "BLPOP k abc"), not_float);
    assert_eq!(n.run(c, "BRPOPLPUSH a b 1x"), not_float);
    assert_eq!(n.run(c, "BLPOP k -1"), "-ERR timeout is negative\r\n");
    assert_eq!(
        n.run(c, "BLMPOP -0.001 1 k LEFT"),
        "-ERR timeout is negative\r\n"
    );
    assert_eq!(
        n.run(c, "XREAD BLOCK 1.5 STREAMS s $"),
        "-ERR timeout is not an integer or out of range\r\n"
    );
    // 0.0001 s rounds up to a millisecond, not down to "forever".
    assert_eq!(n.run(c, "BLPOP k 0.0001"), "(blocked)");
    assert_eq!(n.engine.next_block_timeout_ms(), Some(1_002));
}

#[test]
fn blmove_serves_the_next_waiter_in_a_chain() {
    let mut n = Node::new();
    let (mover, popper, pusher) = (n.connect(), n.connect(), n.connect());
    assert_eq!(n.run(mover, "BLMOVE src dst RIGHT LEFT 0"), "(blocked)");
    assert_eq!(n.run(popper, "BLPOP dst 0"), "(blocked)");
    assert_eq!(n.run(pusher, "LPUSH src x"), ":1\r\n");
    assert_eq!(
        n.served(),
        vec![
            (mover, "$1\r\nx\r\n".to_string()),
            (popper, "*2\r\n$3\r\ndst\r\n$1\r\nx\r\n".to_string()),
        ]
    );
    assert_eq!(n.run(pusher, "EXISTS src dst"), ":0\r\n");
}

#[test]
fn blmove_onto_a_key_of_another_type_wakes_with_wrongtype() {
    let mut n = Node::new();
    let (mover, writer) = (n.connect(), n.connect());
    assert_eq!(n.run(mover, "BRPOPLPUSH src dst 0"), "(blocked)");
    n.run(writer, "SET dst string");
    assert_eq!(n.run(writer, "RPUSH src x"), ":1\r\n");
    assert_eq!(
        n.served(),
        vec![(
            mover,
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n".to_string()
        )]
    );
    // Nothing was moved.
    assert_eq!(n.run(writer, "LLEN src"), ":1\r\n");
}

#[test]
fn a_key_that_becomes_a_string_keeps_list_waiters_blocked() {
    let mut n = Node::new();
    let (waiter, writer) = (n.connect(), n.connect());
    assert_eq!(n.run(waiter, "BLPOP k 0"), "(blocked)");
    assert_eq!(n.run(writer, "SET k v"), "+OK\r\n");
    assert_eq!(n.served(), vec![]);
    assert!(n.engine.is_blocked(waiter));
    n.run(writer, "DEL k");
    n.run(writer, "LPUSH k again");
    assert_eq!(
        n.served(),
        vec![(waiter, "*2\r\n$1\r\nk\r\n$5\r\nagain\r\n".to_string())]
    );
}

#[test]
fn client_unblock_ends_a_wait_as_a_timeout_or_an_error() {
    let mut n = Node::new();
    let (a, b, admin) = (n.connect(), n.connect(), n.connect());
    n.run(a, "BLPOP k 0");
    n.run(b, "XREAD BLOCK 0 STREAMS s $");
    assert_eq!(n.run(admin, &format!("CLIENT UNBLOCK {a}")), ":1\r\n");
    assert_eq!(n.served(), vec![(a, "*-1\r\n".to_string())]);
    assert_eq!(n.run(admin, &format!("CLIENT UNBLOCK {a}")), ":0\r\n");
    assert_eq!(n.run(admin, &format!("CLIENT UNBLOCK {b} error")), ":1\r\n");
    assert_eq!(
        n.served(),
        vec![(
            b,
            "-UNBLOCKED client unblocked via CLIENT UNBLOCK\r\n".to_string()
        )]
    );
    assert_eq!(
        n.run(admin, &format!("CLIENT UNBLOCK {b} later")),
        "-ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR\r\n"
    );
    assert_eq!(
        n.run(admin, "CLIENT UNBLOCK x"),
        "-ERR value is not an integer or out of range\r\n"
    );
}

#[test]
fn a_disconnected_client_no_longer_waits() {
    let mut n = Node::new();
    let (gone, pusher) = (n.connect(), n.connect());
    n.run(gone, "BLPOP k 0");
    n.engine.disconnect(gone);
    assert_eq!(n.run(pusher, "LPUSH k v"), ":1\r\n");
    assert_eq!(n.served(), vec![]);
    assert_eq!(n.run(pusher, "LLEN k"), ":1\r\n");
    assert!(n
        .run(pusher, "INFO clients")
        .contains("blocked_clients:0\r\n"));
}

#[test]
fn info_counts_blocked_clients() {
    let mut n = Node::new();
    let (a, b, c) = (n.connect(), n.connect(), n.connect());
    n.run(a, "BLPOP k 0");
    n.run(b, "BLPOP k 1");
    let info = n.run(c, "INFO clients");
    assert!(info.contains("blocked_clients:2\r\n"), "{info}");
    assert!(info.contains("clients_in_timeout_table:1\r\n"), "{info}");
}

#[test]
fn bzpopmin_and_bzmpop_are_served_by_zadd() {
    let mut n = Node::new();
    let (single, many, writer) = (n.connect(), n.connect(), n.connect());
    assert_eq!(n.run(single, "BZPOPMIN z 0"), "(blocked)");
    assert_eq!(n.run(many, "BZMPOP 0 1 z MAX COUNT 5"), "(blocked)");
    n.resp3(many);
    assert_eq!(n.run(writer, "ZADD z 1 a 2 b 3 c"), ":3\r\n");
    assert_eq!(
        n.served(),
        vec![
            (
                single,
                "*3\r\n$1\r\nz\r\n$1\r\na\r\n$1\r\n1\r\n".to_string()
            ),
            (
                many,
                "*2\r\n$1\r\nz\r\n*2\r\n*2\r\n$1\r\nc\r\n,3\r\n*2\r\n$1\r\nb\r\n,2\r\n".to_string()
            ),
        ]
    );
}

#[test]
fn xread_block_is_served_by_the_next_xadd() {
    let mut n = Node::new();
    let (reader, writer) = (n.connect(), n.connect());
    n.run(writer, "XADD s 1-1 f old");
    // `$` means after what is there now.
    assert_eq!(n.run(reader, "XREAD BLOCK 0 STREAMS s $"), "(blocked)");
    n.run(writer, "XADD s 2-1 f new");
    assert_eq!(
        n.served(),
        vec![(
            reader,
            "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n2-1\r\n*2\r\n$1\r\nf\r\n$3\r\nnew\r\n"
                .to_string()
        )]
    );
}

#[test]
fn xreadgroup_block_delivers_new_entries_or_wakes_with_an_error() {
    let mut n = Node::new();
    let (reader, other, writer) = (n.connect(), n.connect(), n.connect());
    n.run(writer, "XGROUP CREATE s g $ MKSTREAM");
    assert_eq!(
        n.run(reader, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >"),
        "(blocked)"
    );
    n.run(writer, "XADD s 5-1 f v");
    assert_eq!(
        n.served(),
        vec![(
            reader,
            "*1\r\n*2\r\n$1\r\ns\r\n*1\r\n*2\r\n$3\r\n5-1\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"
                .to_string()
        )]
    );
    assert_eq!(
        n.run(writer, "XPENDING s g"),
        "*4\r\n:1\r\n$3\r\n5-1\r\n$3\r\n5-1\r\n*1\r\n*2\r\n$5\r\nalice\r\n$1\r\n1\r\n"
    );
    n.run(reader, "XREADGROUP GROUP g alice BLOCK 0 STREAMS s >");
    n.run(writer, "XGROUP DESTROY s g");
    // XGROUP DESTROY writes the key, so the reader looks again.
    assert_eq!(
        n.served(),
        vec![(
            reader,
            "-NOGROUP the consumer group this client was blocked on no longer exists\r\n"
                .to_string()
        )]
    );
    n.run(writer, "XGROUP CREATE s g $");
    n.run(other, "XREADGROUP GROUP g bob BLOCK 0 STREAMS s >");
    n.run(writer, "DEL s");
    assert_eq!(
        n.served(),
        vec![(
            other,
            "-UNBLOCKED the stream key no longer exists\r\n".to_string()
        )]
    );
}

#[test]
fn lmpop_pops_from_the_first_non_empty_list() {
    let mut n = Node::new();
    let c = n.connect();
    assert_eq!(n.run(c, "LMPOP 2 a b LEFT"), "*-1\r\n");
    n.run(c, "RPUSH b 1 2 3");
    assert_eq!(
        n.run(c, "LMPOP 2 a b RIGHT COUNT 2"),
        "*2\r\n$1\r\nb\r\n*2\r\n$1\r\n3\r\n$1\r\n2\r\n"
    );
    assert_eq!(
        n.run(c, "LMPOP 0 a LEFT"),
        "-ERR numkeys should be greater than 0\r\n"
    );
    assert_eq!(n.run(c, "LMPOP 2 a LEFT"), "-ERR syntax error\r\n");
    assert_eq!(
        n.run(c, "LMPOP 1 a LEFT COUNT 0"),
        "-ERR count should be greater than 0\r\n"
    );
    assert_eq!(n.run(c, "LMPOP 1 a UP"), "-ERR syntax error\r\n");
}

#[test]
fn a_watched_key_emptied_by_a_served_pop_fails_exec() {
    let mut n = Node::new();
    let (watcher, waiter, pusher) = (n.connect(), n.connect(), n.connect());
    n.run(pusher, "SET other x");
    n.run(waiter, "BLPOP k 0");
    n.run(pusher, "LPUSH k v");
    // The pop that served the waiter changed k after the WATCH... of the
    // push only if the WATCH came first: watch after both, nothing fails.
    n.run(watcher, "WATCH k");
    n.run(watcher, "MULTI");
    n.run(watcher, "GET other");
    assert_eq!(n.run(watcher, "EXEC"), "*1\r\n$1\r\nx\r\n");
    n.served();
    n.run(waiter, "BLPOP k 0");
    n.run(watcher, "WATCH k");
    n.run(pusher, "LPUSH k v");
    n.run(watcher, "MULTI");
    n.run(watcher, "GET other");
    assert_eq!(n.run(watcher, "EXEC"), "*-1\r\n");
}
