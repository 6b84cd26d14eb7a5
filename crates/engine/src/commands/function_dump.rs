//! FUNCTION DUMP, FUNCTION RESTORE and FUNCTION STATS.
//!
//! The payload wraps every library's source in the same envelope as DUMP
//! (RDB version and CRC-64, see [`crate::commands::dump::payload`]), so a
//! corrupted payload gets Redis's error; the contents are the model's own
//! (a round trip through the model, not between servers).

use super::scripting::{put_vm, take_vm};
use crate::command::Ctx;
use crate::commands::dump::payload::{crc64, RDB_VERSION};
use crate::reply::Reply;

/// `RDB_OPCODE_FUNCTION2`: what precedes each library in Redis's payload.
const LIBRARY_MARK: u8 = 245;

/// FUNCTION DUMP: every library, in name order.
pub fn function_dump(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    let mut out = Vec::new();
    for lib in ctx.server.scripting.libraries.libraries.values() {
        out.push(LIBRARY_MARK);
        out.extend_from_slice(&(lib.code.len() as u64).to_le_bytes());
        out.extend_from_slice(&lib.code);
    }
    out.extend_from_slice(&RDB_VERSION.to_le_bytes());
    let crc = crc64(0, &out);
    out.extend_from_slice(&crc.to_le_bytes());
    Reply::Bulk(out)
}

#[derive(Clone, Copy, PartialEq)]
enum Policy {
    Append,
    Replace,
    Flush,
}

/// The library sources in a payload, or `None` if its envelope or
/// contents are broken.
fn library_codes(payload: &[u8]) -> Result<Vec<Vec<u8>>, Reply> {
    let envelope = || Reply::error("ERR DUMP payload version or checksum are wrong");
    if payload.len() < 10 {
        return Err(envelope());
    }
    let (body, footer) = payload.split_at(payload.len() - 10);
    let version = u16::from_le_bytes([footer[0], footer[1]]);
    let mut crc = [0u8; 8];
    crc.copy_from_slice(&footer[2..]);
    if version > RDB_VERSION || crc64(0, &payload[..payload.len() - 8]) != u64::from_le_bytes(crc) {
        return Err(envelope());
    }
    let broken = || Reply::error("ERR given type is not a function");
    let mut codes = Vec::new();
    let mut rest = body;
    while let Some((&mark, tail)) = rest.split_first() {
        if mark != LIBRARY_MARK || tail.len() < 8 {
            return Err(broken());
        }
        let mut len = [0u8; 8];
        len.copy_from_slice(&tail[..8]);
        let len = usize::try_from(u64::from_le_bytes(len)).map_err(|_| broken())?;
        let tail = &tail[8..];
        if tail.len() < len {
            return Err(broken());
        }
        codes.push(tail[..len].to_vec());
        rest = &tail[len..];
    }
    Ok(codes)
}

/// FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE].
pub fn function_restore(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args.len() > 4 {
        return crate::command::subcommand_syntax_error(args);
    }
    let policy =
        match args.get(3).map(|p| p.to_ascii_lowercase()) {
            None => Policy::Append,
            Some(p) if p == b"append" => Policy::Append,
            Some(p) if p == b"replace" => Policy::Replace,
            Some(p) if p == b"flush" => Policy::Flush,
            Some(_) => return Reply::error(
                "ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.",
            ),
        };
    let codes = match library_codes(&args[2]) {
        Ok(codes) => codes,
        Err(e) => return e,
    };
    let mut svm = match take_vm(ctx) {
        Ok(vm) => vm,
        Err(reply) => return reply,
    };
    let libraries = &mut ctx.server.scripting.libraries;
    // Everything is checked on a copy first, so a failing payload changes
    // nothing (Redis loads into a fresh context, then joins it).
    let mut trial = libraries.clone();
    if policy == Policy::Flush {
        let names: Vec<String> = trial.libraries.keys().cloned().collect();
        for name in names {
            trial.delete(Some(&mut svm), &name);
        }
    }
    let mut outcome = Ok(());
    for code in &codes {
        if let Err(message) = trial.load(&mut svm, code, policy != Policy::Append) {
            // Redis joins the restored libraries into the existing ones,
            // and that step names a clash without quotes.
            let message = match message
                .strip_prefix("Library '")
                .and_then(|m| m.strip_suffix("' already exists"))
            {
                Some(name) => format!("Library {name} already exists"),
                None => message,
            };
            outcome = Err(message);
            break;
        }
    }
    // The Lua state must hold exactly the functions of whichever set won:
    // drop every function either set installed, then load the winner's.
    for set in [&*libraries, &trial] {
        for lib in set.libraries.values() {
            for f in &lib.functions {
                svm.functions.remove(&f.name.to_ascii_lowercase());
            }
        }
    }
    let reply = match outcome {
        Ok(()) => {
            *libraries = trial;
            ctx.server.scripting.library_changes += 1;
            Reply::ok()
        }
        Err(message) => Reply::error(format!("ERR {message}")),
    };
    libraries.reload_into(&mut svm);
    put_vm(ctx, svm);
    reply
}

/// FUNCTION STATS: no script is running when this runs; the library and
/// function counts of the Lua engine.
pub fn function_stats(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    let libraries = &ctx.server.scripting.libraries.libraries;
    let functions: usize = libraries.values().map(|l| l.functions.len()).sum();
    crate::scripting::function_stats(Reply::Null, libraries.len(), functions)
}

#[cfg(test)]
mod tests {
    use crate::commands::test_session::Session;
    use crate::Reply;

    fn call(s: &mut Session, args: &[&[u8]]) -> Reply {
        let args: Vec<Vec<u8>> = args.iter().map(|a| a.to_vec()).collect();
        s.engine.execute(s.client, &args, 0).reply
    }

    const ONE: &[u8] = b"#!lua name=one\nredis.register_function('f1', function() return 1 end)";
    const ONE_V2: &[u8] =
        b"#!lua name=one\nredis.register_function('f1', function() return 10 end)";

    #[test]
    fn dump_restore_with_each_policy() {
        let mut s = Session::new();
        call(&mut s, &[b"FUNCTION", b"LOAD", ONE]);
        let dumped = call(&mut s, &[b"FUNCTION", b"DUMP"]);
        let Reply::Bulk(payload) = &dumped else {
            panic!("FUNCTION DUMP gives a bulk payload");
        };
        let payload = payload.clone();
        assert_eq!(
            call(&mut s, &[b"FUNCTION", b"RESTORE", &payload]),
            Reply::error("ERR Library one already exists")
        );
        call(&mut s, &[b"FUNCTION", b"LOAD", b"REPLACE", ONE_V2]);
        assert_eq!(call(&mut s, &[b"FCALL", b"f1", b"0"]), Reply::Integer(10));
        assert_eq!(
            call(&mut s, &[b"FUNCTION", b"RESTORE", &payload, b"REPLACE"]),
            Reply::ok()
        );
        assert_eq!(call(&mut s, &[b"FCALL", b"f1", b"0"]), Reply::Integer(1));
        call(&mut s, &[b"FUNCTION", b"FLUSH"]);
        assert_eq!(
            call(&mut s, &[b"FUNCTION", b"RESTORE", &payload]),
            Reply::ok()
        );
        assert_eq!(call(&mut s, &[b"FCALL", b"f1", b"0"]), Reply::Integer(1));
        assert_eq!(
            call(&mut s, &[b"FUNCTION", b"RESTORE", &payload, b"FLUSH"]),
            Reply::ok()
        );
        assert_eq!(s.run("FUNCTION STATS"), "*4\r\n$14\r\nrunning_script\r\n$-1\r\n$7\r\nengines\r\n*2\r\n$3\r\nLUA\r\n*4\r\n$15\r\nlibraries_count\r\n:1\r\n$15\r\nfunctions_count\r\n:1\r\n");
    }

    #[test]
    fn a_failed_restore_changes_nothing() {
        let mut s = Session::new();
        call(&mut s, &[b"FUNCTION", b"LOAD", ONE]);
        let dumped = call(&mut s, &[b"FUNCTION", b"DUMP"]);
        let Reply::Bulk(payload) = &dumped else {
            panic!("FUNCTION DUMP gives a bulk payload");
        };
        let payload = payload.clone();
        call(&mut s, &[b"FUNCTION", b"LOAD", b"REPLACE", ONE_V2]);
        let mut broken = payload.clone();
        broken[3] ^= 1;
        assert_eq!(
            call(&mut s, &[b"FUNCTION", b"RESTORE", &broken, b"FLUSH"]),
            Reply::error("ERR DUMP payload version or checksum are wrong")
        );
        assert_eq!(call(&mut s, &[b"FCALL", b"f1", b"0"]), Reply::Integer(10));
    }
}
