//! MIGRATE: a node of the model reaches no other server, so MIGRATE checks
//! its arguments as Redis does, answers NOKEY when none of its keys exist
//! (Redis does so before connecting), and otherwise fails the way a
//! Redis that cannot reach the target fails.

use crate::command::Ctx;
use crate::numbers::parse_i64;
use crate::reply::Reply;

/// Where MIGRATE's keys are: `key` (argument 3), or after `KEYS`.
pub fn migrate_keys(args: &[Vec<u8>]) -> Vec<usize> {
    let mut j = 6;
    while j < args.len() {
        if args[j].eq_ignore_ascii_case(b"keys") && args[3].is_empty() {
            return (j + 1..args.len()).collect();
        }
        j += 1;
    }
    vec![3]
}

/// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
/// [AUTH password | AUTH2 username password] [KEYS key ...]
pub(super) fn migrate(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut keys = vec![3];
    let mut j = 6;
    while j < args.len() {
        let more = args.len() - 1 - j;
        let option = String::from_utf8_lossy(&args[j]).to_ascii_lowercase();
        match option.as_str() {
            "copy" | "replace" => {}
            "auth" if more >= 1 => j += 1,
            "auth2" if more >= 2 => j += 2,
            "keys" => {
                if !args[3].is_empty() {
                    return Reply::error(
                        "ERR When using MIGRATE KEYS option, the key argument must be set to the empty string",
                    );
                }
                keys = (j + 1..args.len()).collect();
                break;
            }
            _ => return Reply::syntax_error(),
        }
        j += 1;
    }
    if parse_i64(&args[5]).is_none() || parse_i64(&args[4]).is_none() {
        return Reply::not_integer();
    }
    let now = ctx.now_ms;
    if !keys.iter().any(|&i| ctx.db.exists(&args[i], now)) {
        return Reply::Status("NOKEY".into());
    }
    Reply::error("IOERR error or timeout connecting to the client")
}

#[cfg(test)]
mod tests {
    use crate::commands::test_session::Session;

    #[test]
    fn monitor_shows_migrate_passwords_redacted() {
        let mut s = Session::new();
        let watcher = s.engine.connect("127.0.0.1:50001", 0);
        let monitor: Vec<Vec<u8>> = vec![b"MONITOR".to_vec()];
        s.engine.execute(watcher, &monitor, 0);
        assert_eq!(
            s.run("MIGRATE h 1 key 9 5000 AUTH2 user secret"),
            "+NOKEY\r\n"
        );
        let line = format!("{:?}", s.engine.take_pushes(watcher));
        assert!(
            line.contains(r#"\"AUTH2\" \"(redacted)\" \"(redacted)\""#),
            "{line}"
        );
        assert!(!line.contains("secret"), "{line}");
    }
}
