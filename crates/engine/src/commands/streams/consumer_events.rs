//! `xgroup-createconsumer` for consumers XREADGROUP, XCLAIM and XAUTOCLAIM
//! create on the way (Redis's `streamCreateConsumer` announces them), in
//! the order Redis creates them: before anything else the command
//! announces, which for these commands is nothing.

use crate::command::Ctx;
use crate::reply::Reply;
use crate::value::Value;

/// (stream key, group, consumer) a command may create a consumer for.
type Target = (Vec<u8>, Vec<u8>, Vec<u8>);

/// Runs `handler`, then announces each consumer it created.
pub fn announcing(
    ctx: &mut Ctx,
    args: &[Vec<u8>],
    handler: fn(&mut Ctx, &[Vec<u8>]) -> Reply,
) -> Reply {
    let targets = targets(args);
    let before: Vec<bool> = targets.iter().map(|t| exists(ctx, t)).collect();
    let reply = handler(ctx, args);
    for (target, existed) in targets.iter().zip(before) {
        if !existed && exists(ctx, target) {
            crate::notify::consumer_created(ctx, &target.0);
        }
    }
    reply
}

fn exists(ctx: &Ctx, (key, group, consumer): &Target) -> bool {
    match ctx.db.peek(key).map(|e| &e.value) {
        Some(Value::Stream(stream)) => stream
            .groups
            .get(group)
            .is_some_and(|g| g.consumers.contains_key(consumer)),
        _ => false,
    }
}

/// XREADGROUP GROUP g c ... STREAMS k1 .. kN id1 .. idN; XCLAIM and
/// XAUTOCLAIM key group consumer ...
fn targets(args: &[Vec<u8>]) -> Vec<Target> {
    if !args[0].eq_ignore_ascii_case(b"xreadgroup") {
        return match args {
            [_, key, group, consumer, ..] => vec![(key.clone(), group.clone(), consumer.clone())],
            _ => Vec::new(),
        };
    }
    let (Some(group), Some(consumer)) = (args.get(2), args.get(3)) else {
        return Vec::new();
    };
    let Some(streams) = args.iter().position(|a| a.eq_ignore_ascii_case(b"streams")) else {
        return Vec::new();
    };
    let rest = &args[streams + 1..];
    rest[..rest.len() / 2]
        .iter()
        .map(|key| (key.clone(), group.clone(), consumer.clone()))
        .collect()
}
