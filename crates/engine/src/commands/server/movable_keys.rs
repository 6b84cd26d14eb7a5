//! Key positions of the commands whose keys move with their arguments
//! (Redis's `movablekeys`): scripts and functions, numkeys commands,
//! SORT's STORE, XREAD's STREAMS. COMMAND GETKEYS reads them here.

use crate::commands::keys::option_is;
use crate::numbers::parse_i64;
use crate::reply::Reply;

/// The key indexes of `call` (the command and its arguments), `None` for a
/// command with fixed key positions, an error for numkeys that do not fit.
pub fn movable_keys(name: &str, call: &[Vec<u8>]) -> Option<Result<Vec<usize>, Reply>> {
    let invalid = || Reply::error("ERR Invalid arguments specified for command");
    let numkeys = |at: usize| -> Option<usize> {
        let n = parse_i64(call.get(at)?)?;
        let n = usize::try_from(n).ok()?;
        (at + 1 + n <= call.len()).then_some(n)
    };
    let counted = |at: usize, first: Vec<usize>| match numkeys(at) {
        Some(n) => Ok(first.into_iter().chain(at + 1..at + 1 + n).collect()),
        None => Err(invalid()),
    };
    Some(match name {
        // A script's numkeys that does not fit gives no keys, not an error.
        "eval" | "evalsha" | "eval_ro" | "evalsha_ro" | "fcall" | "fcall_ro" => {
            Ok(numkeys(2).map_or_else(Vec::new, |n| (3..3 + n).collect()))
        }
        "zunionstore" | "zinterstore" | "zdiffstore" => counted(2, vec![1]),
        "migrate" => Ok(crate::commands::keys::migrate::migrate_keys(call)),
        "zunion" | "zinter" | "zdiff" | "zintercard" | "sintercard" | "lmpop" | "zmpop" => {
            counted(1, Vec::new())
        }
        "blmpop" | "bzmpop" => counted(2, Vec::new()),
        "sort" | "sort_ro" => Ok(sort_keys(call)),
        "xread" | "xreadgroup" => {
            let streams = call.iter().position(|a| option_is(a, "streams"));
            Ok(streams.map_or_else(Vec::new, |at| {
                let n = (call.len() - at - 1) / 2;
                (at + 1..at + 1 + n).collect()
            }))
        }
        _ => return None,
    })
}

/// Redis's `sortGetKeys`: the sorted key, and STORE's destination (the
/// last one given), skipping LIMIT's two arguments and GET's and BY's one.
fn sort_keys(call: &[Vec<u8>]) -> Vec<usize> {
    let mut keys = vec![1];
    let mut store = None;
    let mut j = 2;
    while j < call.len() {
        let skip = if option_is(&call[j], "limit") {
            2
        } else if option_is(&call[j], "get") || option_is(&call[j], "by") {
            1
        } else if option_is(&call[j], "store") {
            if j + 1 < call.len() {
                store = Some(j + 1);
            }
            1
        } else {
            0
        };
        j += 1 + skip;
    }
    keys.extend(store);
    keys
}

#[cfg(test)]
mod tests {
    use crate::commands::test_session::Session;

    #[test]
    fn getkeys_follows_the_arguments() {
        let mut s = Session::new();
        assert_eq!(
            s.run("COMMAND GETKEYS eval x 2 a b c"),
            "*2\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        assert_eq!(s.run("COMMAND GETKEYS eval x 5 a"), "*0\r\n");
        assert_eq!(
            s.run("COMMAND GETKEYS sort a by w get g store d"),
            "*2\r\n$1\r\na\r\n$1\r\nd\r\n"
        );
        assert_eq!(
            s.run("COMMAND GETKEYS zunionstore d 2 a b"),
            "*3\r\n$1\r\nd\r\n$1\r\na\r\n$1\r\nb\r\n"
        );
        assert_eq!(
            s.run("COMMAND GETKEYS zunionstore d 3 a b"),
            "-ERR Invalid arguments specified for command\r\n"
        );
        assert_eq!(
            s.run("COMMAND GETKEYS xread count 1 streams a b 0"),
            "*1\r\n$1\r\na\r\n"
        );
    }
}
