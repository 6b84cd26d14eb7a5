//! Connection commands: PING, ECHO.

use crate::command::{flags, CommandSpec, Ctx};
use crate::reply::Reply;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "ping",
        arity: -1,
        flags: flags::FAST | flags::STALE | flags::PUBSUB,
        keys: (0, 0, 0),
        handler: ping,
        subcommands: &[],
    },
    CommandSpec {
        name: "echo",
        arity: 2,
        flags: flags::FAST,
        keys: (0, 0, 0),
        handler: echo,
        subcommands: &[],
    },
];

/// PING [message]: `PONG`, or the message as a bulk string. In the RESP2
/// subscribed context Redis answers with a `pong` push-style array instead.
fn ping(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 2 {
        return Reply::wrong_arity("ping");
    }
    let message = args.get(1).cloned();
    if ctx.me().in_pubsub_context() {
        return Reply::Array(vec![
            Reply::bulk("pong"),
            Reply::Bulk(message.unwrap_or_default()),
        ]);
    }
    match message {
        Some(m) => Reply::Bulk(m),
        None => Reply::Status("PONG".into()),
    }
}

/// ECHO message: the message back.
fn echo(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    Reply::Bulk(args[1].clone())
}
