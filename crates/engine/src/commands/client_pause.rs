//! CLIENT PAUSE timeout [WRITE|ALL] and CLIENT UNPAUSE (Redis 7.0's
//! `clientCommand`). What a pause holds back and how postponed commands
//! run again is in `crate::server::pause` and `crate::blocking::postponed`.

use crate::blocking::parse_timeout_millis;
use crate::command::Ctx;
use crate::reply::Reply;
use crate::server::pause::PauseMode;

/// CLIENT PAUSE timeout [WRITE|ALL]: pauses for `timeout` milliseconds
/// (0: a pause that is over at once), ALL when no mode is given.
pub fn client_pause(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 4 {
        let typed = String::from_utf8_lossy(&args[1]);
        return Reply::error(format!(
            "ERR unknown subcommand or wrong number of arguments for '{}'. Try CLIENT HELP.",
            typed.chars().take(128).collect::<String>()
        ));
    }
    let mode = match args.get(3) {
        None => PauseMode::All,
        Some(m) if m.eq_ignore_ascii_case(b"write") => PauseMode::Write,
        Some(m) if m.eq_ignore_ascii_case(b"all") => PauseMode::All,
        Some(_) => return Reply::error("ERR CLIENT PAUSE mode must be WRITE or ALL"),
    };
    let timeout = match parse_timeout_millis(&args[2]) {
        Ok(t) => t,
        Err(reply) => return reply,
    };
    // As `getTimeoutFromObjectOrReply`: 0 stays 0 (long past).
    let end_ms = if timeout > 0 {
        ctx.now_ms.saturating_add(timeout)
    } else {
        0
    };
    let now_ms = ctx.now_ms;
    ctx.server.pause.start(mode, end_ms, now_ms);
    Reply::ok()
}

/// CLIENT UNPAUSE: ends the pause; postponed commands run again.
pub fn client_unpause(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    ctx.server.pause.stop();
    Reply::ok()
}
