//! Pub/sub: SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and
//! PUBSUB CHANNELS/NUMSUB/NUMPAT.
//!
//! Subscriptions live on each connection ([`ClientState::channels`] and
//! [`ClientState::patterns`]); the node-wide views PUBLISH and PUBSUB need
//! are derived from the connections, walked in client-id order, so there is
//! no second registry to keep in step.
//!
//! Confirmations are one reply per channel, so SUBSCRIBE a b answers with
//! [`Reply::Many`]; each is a [`Reply::Push`] (a `>` frame in RESP3, an
//! array in RESP2). Messages go to the receivers' `pushes` queues. A RESP3
//! connection may PUBLISH to a channel it is subscribed to, and then its
//! own `message` is queued while PUBLISH runs: Redis writes that push to the
//! connection before PUBLISH's integer reply.
//!
//! In RESP2 a subscribed connection may only run the commands flagged
//! [`flags::PUBSUB`] here and PING/QUIT/RESET; the dispatcher enforces it.

use std::collections::BTreeSet;

use crate::client::ClientState;
use crate::command::{flags, spec, CommandSpec, Ctx, NO_KEYS};
pub use crate::command::{help_reply, subcommand_syntax_error};
use crate::glob::string_match;
use crate::reply::Reply;

/// The flags Redis gives SUBSCRIBE and friends (`pubsub noscript loading
/// stale`); our PUBSUB flag also marks them as allowed while subscribed.
const SUBSCRIBE_FLAGS: u32 = flags::PUBSUB | flags::NOSCRIPT | flags::LOADING | flags::STALE;

pub const COMMANDS: &[CommandSpec] = &[
    spec("subscribe", -2, SUBSCRIBE_FLAGS, NO_KEYS, subscribe),
    spec("psubscribe", -2, SUBSCRIBE_FLAGS, NO_KEYS, psubscribe),
    spec("unsubscribe", -1, SUBSCRIBE_FLAGS, NO_KEYS, unsubscribe),
    spec("punsubscribe", -1, SUBSCRIBE_FLAGS, NO_KEYS, punsubscribe),
    // Redis flags PUBLISH and PUBSUB's subcommands `pubsub` too, but they
    // are refused in the subscribed context, so they do not carry our
    // PUBSUB flag.
    spec(
        "publish",
        3,
        flags::LOADING | flags::STALE | flags::FAST,
        NO_KEYS,
        publish,
    ),
    spec("pubsub", -2, 0, NO_KEYS, pubsub_help).with_subcommands(PUBSUB_SUBCOMMANDS),
];

const PUBSUB_SUBCOMMANDS: &[CommandSpec] = &[
    spec(
        "channels",
        -2,
        flags::LOADING | flags::STALE,
        NO_KEYS,
        pubsub_channels,
    ),
    spec(
        "numsub",
        -2,
        flags::LOADING | flags::STALE,
        NO_KEYS,
        pubsub_numsub,
    ),
    spec(
        "numpat",
        2,
        flags::LOADING | flags::STALE,
        NO_KEYS,
        pubsub_numpat,
    ),
    spec(
        "shardchannels",
        -2,
        flags::LOADING | flags::STALE,
        NO_KEYS,
        pubsub_shardchannels,
    ),
    spec(
        "shardnumsub",
        -2,
        flags::LOADING | flags::STALE,
        NO_KEYS,
        pubsub_numsub,
    ),
    spec(
        "help",
        2,
        flags::LOADING | flags::STALE,
        NO_KEYS,
        pubsub_help,
    ),
];

/// `[kind, name, count]`, the confirmation Redis sends per channel or pattern.
fn confirmation(kind: &str, name: Option<&[u8]>, count: usize) -> Reply {
    Reply::Push(vec![
        Reply::bulk(kind),
        name.map_or(Reply::Null, Reply::bulk),
        Reply::Integer(count as i64),
    ])
}

/// What a subscription names: a channel (SUBSCRIBE) or a glob pattern
/// (PSUBSCRIBE). The two kinds differ only in where the connection keeps
/// them and in the words of their confirmations.
#[derive(Clone, Copy)]
enum Target {
    Channel,
    Pattern,
}

impl Target {
    /// The confirmation's kind: `subscribe`, `punsubscribe`, ...
    fn confirmation_kind(self, subscribing: bool) -> &'static str {
        match (self, subscribing) {
            (Target::Channel, true) => "subscribe",
            (Target::Channel, false) => "unsubscribe",
            (Target::Pattern, true) => "psubscribe",
            (Target::Pattern, false) => "punsubscribe",
        }
    }

    fn add(self, client: &mut ClientState, name: &[u8]) {
        match self {
            Target::Channel => client.channels.insert(name.to_vec()),
            Target::Pattern => client.patterns.insert(name.to_vec()),
        };
    }

    /// Patterns keep the order of the rest (Redis keeps them in a list).
    fn remove(self, client: &mut ClientState, name: &[u8]) {
        match self {
            Target::Channel => client.channels.remove(name),
            Target::Pattern => client.patterns.shift_remove(name),
        };
    }

    /// Everything the connection subscribes to of this kind, in the order
    /// an argument-less UNSUBSCRIBE drops them.
    fn all(self, client: &ClientState) -> Vec<Vec<u8>> {
        match self {
            Target::Channel => client.channels.iter().cloned().collect(),
            Target::Pattern => client.patterns.iter().cloned().collect(),
        }
    }
}

/// SUBSCRIBE channel [channel ...]: one `subscribe` confirmation per
/// channel with the connection's subscription count (channels + patterns).
/// Subscribing twice to a channel is harmless and still confirmed.
fn subscribe(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    subscribe_to(ctx, args, Target::Channel)
}

/// PSUBSCRIBE pattern [pattern ...]: like SUBSCRIBE, for glob patterns.
fn psubscribe(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    subscribe_to(ctx, args, Target::Pattern)
}

/// UNSUBSCRIBE [channel ...]: one confirmation per channel named (even if
/// not subscribed), or per subscribed channel when none is named; with no
/// subscriptions at all a single confirmation with a null channel.
fn unsubscribe(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    unsubscribe_from(ctx, args, Target::Channel)
}

/// PUNSUBSCRIBE [pattern ...]: like UNSUBSCRIBE, for patterns, which are
/// dropped in the order they were subscribed.
fn punsubscribe(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    unsubscribe_from(ctx, args, Target::Pattern)
}

fn subscribe_to(ctx: &mut Ctx, args: &[Vec<u8>], target: Target) -> Reply {
    let me = ctx.me();
    let kind = target.confirmation_kind(true);
    let replies = args[1..]
        .iter()
        .map(|name| {
            target.add(me, name);
            confirmation(kind, Some(name), me.subscription_count())
        })
        .collect();
    Reply::Many(replies)
}

fn unsubscribe_from(ctx: &mut Ctx, args: &[Vec<u8>], target: Target) -> Reply {
    let me = ctx.me();
    let kind = target.confirmation_kind(false);
    let named: Vec<Vec<u8>> = if args.len() > 1 {
        args[1..].to_vec()
    } else {
        target.all(me)
    };
    if named.is_empty() {
        return Reply::Many(vec![confirmation(kind, None, me.subscription_count())]);
    }
    let replies = named
        .iter()
        .map(|name| {
            target.remove(me, name);
            confirmation(kind, Some(name), me.subscription_count())
        })
        .collect();
    Reply::Many(replies)
}

/// PUBLISH channel message: queues a `message` push for every connection
/// subscribed to the channel, then a `pmessage` for every (connection,
/// matching pattern) pair, and returns how many pushes were queued.
fn publish(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let receivers = deliver(ctx, &args[1], &args[2]);
    Reply::Integer(receivers)
}

/// Queues `message` on `channel` for its subscribers and the matching
/// pattern subscribers; how many pushes were queued (PUBLISH's reply;
/// keyspace notifications use it too).
pub fn deliver(ctx: &mut Ctx, channel: &[u8], message: &[u8]) -> i64 {
    let mut receivers = 0i64;
    let clients = ctx.clients.len();
    for client in ctx.clients.values_mut() {
        if client.channels.contains(channel) {
            client.pushes.push_back(Reply::Push(vec![
                Reply::bulk("message"),
                Reply::bulk(channel),
                Reply::bulk(message),
            ]));
            receivers += 1;
        }
    }
    for client in ctx.clients.values_mut() {
        let matching: Vec<Vec<u8>> = client
            .patterns
            .iter()
            .filter(|pattern| string_match(pattern, channel, false))
            .cloned()
            .collect();
        for pattern in matching {
            client.pushes.push_back(Reply::Push(vec![
                Reply::bulk("pmessage"),
                Reply::Bulk(pattern),
                Reply::bulk(channel),
                Reply::bulk(message),
            ]));
            receivers += 1;
        }
    }
    ctx.charge(clients);
    receivers
}

/// Every channel some connection subscribes to, each once, in byte order.
fn active_channels<'a>(clients: impl Iterator<Item = &'a ClientState>) -> Vec<Vec<u8>> {
    let mut all = BTreeSet::new();
    for client in clients {
        all.extend(client.channels.iter().cloned());
    }
    all.into_iter().collect()
}

/// PUBSUB CHANNELS [pattern]: active channels (with at least one
/// subscriber), optionally filtered by a glob pattern. Redis lists them in
/// hash order; ours is byte order.
fn pubsub_channels(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 3 {
        return subcommand_syntax_error(args);
    }
    let channels = active_channels(ctx.clients.values());
    ctx.charge(channels.len());
    let pattern = args.get(2);
    Reply::Array(
        channels
            .into_iter()
            .filter(|c| pattern.is_none_or(|p| string_match(p, c, false)))
            .map(Reply::Bulk)
            .collect(),
    )
}

/// PUBSUB NUMSUB [channel ...]: a flat list of channel, subscriber count
/// (patterns not included). PUBSUB SHARDNUMSUB answers the same way; with
/// no shard channels modelled, every count is 0.
fn pubsub_numsub(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let shard = args[1].eq_ignore_ascii_case(b"shardnumsub");
    let mut out = Vec::with_capacity((args.len() - 2) * 2);
    for channel in &args[2..] {
        let count = if shard {
            0
        } else {
            ctx.clients
                .values()
                .filter(|c| c.channels.contains(channel))
                .count()
        };
        out.push(Reply::bulk(channel));
        out.push(Reply::Integer(count as i64));
    }
    ctx.charge(ctx.clients.len() * (args.len() - 2));
    Reply::Array(out)
}

/// PUBSUB NUMPAT: how many distinct patterns have subscribers.
fn pubsub_numpat(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    let mut patterns = BTreeSet::new();
    for client in ctx.clients.values() {
        patterns.extend(client.patterns.iter());
    }
    Reply::Integer(patterns.len() as i64)
}

/// PUBSUB SHARDCHANNELS [pattern]: shard channels (SSUBSCRIBE) are not
/// modelled, so there are never any.
fn pubsub_shardchannels(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 3 {
        return subcommand_syntax_error(args);
    }
    Reply::Array(Vec::new())
}

const PUBSUB_HELP: &[&str] = &[
    "CHANNELS [<pattern>]",
    "    Return the currently active channels matching a <pattern> (default: '*').",
    "NUMPAT",
    "    Return number of subscriptions to patterns.",
    "NUMSUB [<channel> ...]",
    "    Return the number of subscribers for the specified channels, excluding",
    "    pattern subscriptions(default: no channels).",
    "SHARDCHANNELS [<pattern>]",
    "    Return the currently active shard level channels matching a <pattern> (default: '*').",
    "SHARDNUMSUB [<shardchannel> ...]",
    "    Return the number of subscribers for the specified shard level channel(s)",
];

/// PUBSUB HELP.
fn pubsub_help(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    help_reply(&args[0], PUBSUB_HELP)
}

#[cfg(test)]
mod tests {
    use crate::client::{ClientId, Protocol};
    use crate::encode::to_bytes;
    use crate::{Engine, Reply};

    fn run(engine: &mut Engine, id: ClientId, line: &str) -> Reply {
        let args: Vec<Vec<u8>> = line.split(' ').map(|s| s.as_bytes().to_vec()).collect();
        engine.execute(id, &args, 1_000).reply
    }

    fn wire(engine: &mut Engine, id: ClientId, line: &str) -> String {
        let reply = run(engine, id, line);
        String::from_utf8_lossy(&to_bytes(&reply, engine.protocol(id))).into_owned()
    }

    fn pushes(engine: &mut Engine, id: ClientId) -> String {
        let protocol = engine.protocol(id);
        engine
            .take_pushes(id)
            .iter()
            .map(|p| String::from_utf8_lossy(&to_bytes(p, protocol)).into_owned())
            .collect()
    }

    #[test]
    fn subscribe_confirms_each_channel_with_a_running_count() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        assert_eq!(
            wire(&mut e, c, "SUBSCRIBE a b a"),
            "*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n\
             *3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n\
             *3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:2\r\n"
        );
        assert_eq!(
            wire(&mut e, c, "PSUBSCRIBE n*"),
            "*3\r\n$10\r\npsubscribe\r\n$2\r\nn*\r\n:3\r\n"
        );
    }

    #[test]
    fn subscribed_resp2_connections_only_run_pubsub_commands() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        run(&mut e, c, "SUBSCRIBE a");
        assert_eq!(
            run(&mut e, c, "PUBLISH a hi"),
            Reply::error("ERR Can't execute 'publish': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
        );
        assert_eq!(
            run(&mut e, c, "PUBSUB NUMPAT"),
            Reply::error("ERR Can't execute 'pubsub|numpat': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context")
        );
        assert_eq!(wire(&mut e, c, "PING"), "*2\r\n$4\r\npong\r\n$0\r\n\r\n");
        assert_eq!(
            wire(&mut e, c, "UNSUBSCRIBE"),
            "*3\r\n$11\r\nunsubscribe\r\n$1\r\na\r\n:0\r\n"
        );
        assert_eq!(
            wire(&mut e, c, "UNSUBSCRIBE"),
            "*3\r\n$11\r\nunsubscribe\r\n$-1\r\n:0\r\n"
        );
        assert_eq!(wire(&mut e, c, "PING"), "+PONG\r\n");
    }

    #[test]
    fn publish_reaches_channel_then_pattern_subscribers() {
        let mut e = Engine::new(0);
        let alice = e.connect("127.0.0.1:1", 0);
        let bob = e.connect("127.0.0.1:2", 0);
        let carol = e.connect("127.0.0.1:3", 0);
        run(&mut e, alice, "SUBSCRIBE news.art");
        run(&mut e, bob, "PSUBSCRIBE news.* n*");
        run(&mut e, bob, "SUBSCRIBE news.art");
        assert_eq!(
            run(&mut e, carol, "PUBLISH news.art hello"),
            Reply::Integer(4)
        );
        assert_eq!(
            pushes(&mut e, alice),
            "*3\r\n$7\r\nmessage\r\n$8\r\nnews.art\r\n$5\r\nhello\r\n"
        );
        assert_eq!(
            pushes(&mut e, bob),
            "*3\r\n$7\r\nmessage\r\n$8\r\nnews.art\r\n$5\r\nhello\r\n\
             *4\r\n$8\r\npmessage\r\n$6\r\nnews.*\r\n$8\r\nnews.art\r\n$5\r\nhello\r\n\
             *4\r\n$8\r\npmessage\r\n$2\r\nn*\r\n$8\r\nnews.art\r\n$5\r\nhello\r\n"
        );
        assert_eq!(pushes(&mut e, carol), "");
        assert_eq!(run(&mut e, carol, "PUBLISH sports x"), Reply::Integer(0));
    }

    #[test]
    fn resp3_subscribers_get_push_frames_and_their_own_messages() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        e.clients.get_mut(&c).unwrap().protocol = Protocol::Resp3;
        assert_eq!(
            wire(&mut e, c, "SUBSCRIBE ch"),
            ">3\r\n$9\r\nsubscribe\r\n$2\r\nch\r\n:1\r\n"
        );
        assert_eq!(run(&mut e, c, "PUBLISH ch hi"), Reply::Integer(1));
        assert_eq!(
            pushes(&mut e, c),
            ">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n"
        );
        assert_eq!(
            wire(&mut e, c, "UNSUBSCRIBE nope"),
            ">3\r\n$11\r\nunsubscribe\r\n$4\r\nnope\r\n:1\r\n"
        );
    }

    #[test]
    fn punsubscribe_without_arguments_goes_in_subscription_order() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        run(&mut e, c, "PSUBSCRIBE z* a*");
        assert_eq!(
            wire(&mut e, c, "PUNSUBSCRIBE"),
            "*3\r\n$12\r\npunsubscribe\r\n$2\r\nz*\r\n:1\r\n\
             *3\r\n$12\r\npunsubscribe\r\n$2\r\na*\r\n:0\r\n"
        );
    }

    #[test]
    fn pubsub_introspection() {
        let mut e = Engine::new(0);
        let a = e.connect("127.0.0.1:1", 0);
        let b = e.connect("127.0.0.1:2", 0);
        let admin = e.connect("127.0.0.1:3", 0);
        run(&mut e, a, "SUBSCRIBE x y");
        run(&mut e, b, "SUBSCRIBE y");
        run(&mut e, b, "PSUBSCRIBE p* q*");
        run(&mut e, a, "PSUBSCRIBE p*");
        assert_eq!(
            wire(&mut e, admin, "PUBSUB CHANNELS"),
            "*2\r\n$1\r\nx\r\n$1\r\ny\r\n"
        );
        assert_eq!(
            wire(&mut e, admin, "PUBSUB CHANNELS x*"),
            "*1\r\n$1\r\nx\r\n"
        );
        assert_eq!(
            wire(&mut e, admin, "PUBSUB NUMSUB y x z"),
            "*6\r\n$1\r\ny\r\n:2\r\n$1\r\nx\r\n:1\r\n$1\r\nz\r\n:0\r\n"
        );
        assert_eq!(run(&mut e, admin, "PUBSUB NUMPAT"), Reply::Integer(2));
        e.disconnect(b);
        assert_eq!(run(&mut e, admin, "PUBSUB NUMPAT"), Reply::Integer(1));
        assert_eq!(
            run(&mut e, admin, "PUBSUB CHANNELS a b"),
            Reply::error("ERR unknown subcommand or wrong number of arguments for 'CHANNELS'. Try PUBSUB HELP.")
        );
    }
}
