//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP. The parameters and
//! their validation live in `server::config`.

use crate::command::help_reply;
use crate::command::Ctx;
use crate::reply::Reply;

/// CONFIG GET pattern [pattern ...]: a map of matching parameters.
pub(super) fn get(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let pairs = ctx.server.config.get_matching(&args[2..]);
    Reply::Map(
        pairs
            .into_iter()
            .map(|(name, value)| (Reply::Bulk(name), Reply::bulk(value)))
            .collect(),
    )
}

/// CONFIG SET name value [name value ...]: all pairs or none.
pub(super) fn set(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() % 2 == 1 {
        return Reply::syntax_error();
    }
    let pairs: Vec<(&[u8], &[u8])> = args[2..]
        .chunks(2)
        .map(|p| (p[0].as_slice(), p[1].as_slice()))
        .collect();
    match ctx.server.config.set_many(&pairs) {
        Ok(()) => Reply::ok(),
        Err(e) => Reply::error(e.message()),
    }
}

/// CONFIG RESETSTAT: zeroes INFO's counters and empties nothing else (the
/// slow log has its own SLOWLOG RESET).
pub(super) fn resetstat(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    ctx.server.stats.reset();
    ctx.server.stats.expired_keys_base = super::info::expired_total(ctx);
    Reply::ok()
}

/// CONFIG REWRITE: the node has no configuration file, like a server
/// started without one.
pub(super) fn rewrite(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::error("ERR The server is running without a config file")
}

pub(super) fn help(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    help_reply(
        &args[0],
        &[
            "GET <pattern>",
            "    Return parameters matching the glob-like <pattern> and their values.",
            "SET <directive> <value>",
            "    Set the configuration <directive> to <value>.",
            "RESETSTAT",
            "    Reset statistics reported by the INFO command.",
            "REWRITE",
            "    Rewrite the configuration file.",
        ],
    )
}
