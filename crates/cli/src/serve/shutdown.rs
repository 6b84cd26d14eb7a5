//! SHUTDOWN on `lockstep serve`: the process exits, and every client hears
//! of it by its connection closing, as from redis-server. The model keeps
//! nothing on disk, so SAVE and NOSAVE end the same way; what differs from
//! Redis is only what a restart would find.
//!
//! The server answers SHUTDOWN itself rather than the engine, since only
//! the server can end the process; it keeps Redis's refusals: a syntax
//! error, ABORT with no shutdown in progress, and SHUTDOWN inside MULTI
//! (a `no-multi` command, refused and failing the transaction).

/// What a SHUTDOWN command asks for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Shutdown {
    /// Exit now.
    Exit,
    /// Refused with this error reply (without the leading `-` and CRLF).
    Refuse(&'static str),
}

pub const NOT_IN_MULTI: &str = "ERR Command not allowed inside a transaction";

/// Whether `args` is a SHUTDOWN command.
pub fn is_shutdown(args: &[Vec<u8>]) -> bool {
    args.first()
        .is_some_and(|name| name.eq_ignore_ascii_case(b"shutdown"))
}

/// SHUTDOWN's options as Redis 7.0's `shutdownCommand` parses them.
pub fn parse(args: &[Vec<u8>]) -> Shutdown {
    let (mut save, mut nosave, mut abort) = (false, false, false);
    for arg in &args[1..] {
        match arg.to_ascii_lowercase().as_slice() {
            b"save" => save = true,
            b"nosave" => nosave = true,
            b"abort" => abort = true,
            b"now" | b"force" => {}
            _ => return Shutdown::Refuse("ERR syntax error"),
        }
    }
    if (save && nosave) || (abort && args.len() > 2) {
        return Shutdown::Refuse("ERR syntax error");
    }
    if abort {
        return Shutdown::Refuse("ERR No shutdown in progress.");
    }
    Shutdown::Exit
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<Vec<u8>> {
        line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn options_as_redis_parses_them() {
        assert_eq!(parse(&args("SHUTDOWN")), Shutdown::Exit);
        assert_eq!(parse(&args("shutdown NOSAVE now FORCE")), Shutdown::Exit);
        assert_eq!(parse(&args("SHUTDOWN SAVE")), Shutdown::Exit);
        assert_eq!(
            parse(&args("SHUTDOWN SAVE NOSAVE")),
            Shutdown::Refuse("ERR syntax error")
        );
        assert_eq!(
            parse(&args("SHUTDOWN foo")),
            Shutdown::Refuse("ERR syntax error")
        );
        assert_eq!(
            parse(&args("SHUTDOWN ABORT")),
            Shutdown::Refuse("ERR No shutdown in progress.")
        );
        assert_eq!(
            parse(&args("SHUTDOWN ABORT NOW")),
            Shutdown::Refuse("ERR syntax error")
        );
    }
}
