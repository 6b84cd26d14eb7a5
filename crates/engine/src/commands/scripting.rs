//! EVAL, EVALSHA, their `_RO` variants, and SCRIPT LOAD/EXISTS/FLUSH/KILL.

use std::borrow::Cow;

use crate::command::{flags, spec, CommandSpec, Ctx, NO_KEYS};
use crate::engine::feed_monitors;
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::scripting::{run_script, sha1_hex, RunMode, ScriptRun, ScriptVm};

/// Scripts are fed to MONITOR by hand, before the commands they run.
/// `scriptPrepareForRun`'s refusal of a script that may write while memory
/// is over `maxmemory` (reached inside MULTI; a direct call is refused
/// before it runs, with the plain OOM error).
pub(crate) const SCRIPT_OOM_ERROR: &str =
    "OOM allow-oom flag is not set on the script, can not run it when used memory > 'maxmemory'";

const EVAL_FLAGS: u32 = flags::NOSCRIPT | flags::STALE | flags::SKIP_MONITOR;

pub const COMMANDS: &[CommandSpec] = &[
    spec("eval", -3, EVAL_FLAGS, NO_KEYS, |ctx, args| {
        eval(ctx, args, Lookup::Body, false)
    }),
    spec("evalsha", -3, EVAL_FLAGS, NO_KEYS, |ctx, args| {
        eval(ctx, args, Lookup::Sha, false)
    }),
    spec(
        "eval_ro",
        -3,
        EVAL_FLAGS | flags::READONLY,
        NO_KEYS,
        |ctx, args| eval(ctx, args, Lookup::Body, true),
    ),
    spec(
        "evalsha_ro",
        -3,
        EVAL_FLAGS | flags::READONLY,
        NO_KEYS,
        |ctx, args| eval(ctx, args, Lookup::Sha, true),
    ),
    spec("script", -2, 0, NO_KEYS, script_help).with_subcommands(SCRIPT_SUBCOMMANDS),
];

const SCRIPT_SUBCOMMANDS: &[CommandSpec] = &[
    spec(
        "load",
        3,
        flags::NOSCRIPT | flags::STALE,
        NO_KEYS,
        script_load,
    ),
    spec("exists", -3, flags::NOSCRIPT, NO_KEYS, script_exists),
    spec("flush", -2, flags::NOSCRIPT, NO_KEYS, script_flush),
    spec(
        "kill",
        2,
        flags::NOSCRIPT | flags::ALLOW_BUSY,
        NO_KEYS,
        script_kill,
    ),
    spec("debug", 3, flags::NOSCRIPT, NO_KEYS, script_debug),
    spec("help", 2, flags::STALE, NO_KEYS, script_help),
];

/// Whether `args[1]` is a script body or the sha of a cached one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lookup {
    Body,
    Sha,
}

/// Flags a script declares in a `#!lua flags=...` first line.
#[derive(Debug, Default, PartialEq, Eq)]
struct Shebang {
    /// Bytes of the first line (kept out of the compiled body, but its line
    /// feed stays so line numbers match the user's text).
    len: usize,
    /// A `#!lua` line was given: the script is not in compatibility mode.
    declared: bool,
    no_writes: bool,
    allow_oom: bool,
}

/// The flags a script declares that decide how Redis treats the command
/// running it (write, `may-replicate`, `denyoom`).
struct DeclaredFlags {
    no_writes: bool,
    allow_oom: bool,
}

/// The flags of the script EVAL/EVALSHA/FCALL `args` runs: a function's,
/// or an EVAL script's shebang flags. `None` for a script without a
/// shebang, an unknown script or function, or another command: such a call
/// is not refused up front; it fails later in its own way.
fn declared_flags(
    server: &crate::server::ServerState,
    name: &str,
    args: &[Vec<u8>],
) -> Option<DeclaredFlags> {
    let target = args.get(1)?;
    let body = match name {
        "eval" => target,
        "evalsha" => {
            let sha = String::from_utf8_lossy(target).to_ascii_lowercase();
            server.scripting.scripts.get(&sha)?
        }
        "fcall" => {
            let (_, info) = server
                .scripting
                .libraries
                .function(&String::from_utf8_lossy(target))?;
            return Some(DeclaredFlags {
                no_writes: info.no_writes(),
                allow_oom: info.allow_oom(),
            });
        }
        _ => return None,
    };
    let shebang = parse_shebang(body).ok().filter(|s| s.declared)?;
    Some(DeclaredFlags {
        no_writes: shebang.no_writes,
        allow_oom: shebang.allow_oom,
    })
}

/// Whether EVAL/EVALSHA/FCALL `args` runs a script that declares it may
/// write (flags given, `no-writes` not among them): Redis then treats the
/// call as a write command (READONLY on a replica).
pub fn declares_writes(server: &crate::server::ServerState, name: &str, args: &[Vec<u8>]) -> bool {
    declared_flags(server, name, args).is_some_and(|f| !f.no_writes)
}

/// Whether EVAL/EVALSHA/FCALL `args` runs a script that declares
/// `no-writes` (Redis then drops the call's `may-replicate` flag, so CLIENT
/// PAUSE WRITE lets it through).
pub fn declares_no_writes(
    server: &crate::server::ServerState,
    name: &str,
    args: &[Vec<u8>],
) -> bool {
    declared_flags(server, name, args).is_some_and(|f| f.no_writes)
}

/// Whether EVAL/EVALSHA/FCALL `args` runs a script that declares flags
/// without `allow-oom` or `no-writes`: Redis then treats the call as
/// `denyoom` (refused while memory is over `maxmemory`).
pub fn declares_denyoom(server: &crate::server::ServerState, name: &str, args: &[Vec<u8>]) -> bool {
    declared_flags(server, name, args).is_some_and(|f| !f.no_writes && !f.allow_oom)
}

/// Redis's `evalExtractShebangFlags`.
fn parse_shebang(body: &[u8]) -> Result<Shebang, String> {
    if !body.starts_with(b"#!") {
        return Ok(Shebang::default());
    }
    let Some(end) = body.iter().position(|&b| b == b'\n') else {
        return Err("ERR Invalid script shebang".into());
    };
    let line = String::from_utf8_lossy(&body[..end]);
    let mut parts = line.split_ascii_whitespace();
    let Some(engine) = parts.next() else {
        return Err("ERR Invalid engine in script shebang".into());
    };
    if engine != "#!lua" {
        return Err(format!("ERR Unexpected engine in script shebang: {engine}"));
    }
    let mut shebang = Shebang {
        len: end,
        declared: true,
        no_writes: false,
        allow_oom: false,
    };
    for part in parts {
        let Some(list) = part.strip_prefix("flags=") else {
            return Err(format!("ERR Unknown lua shebang option: {part}"));
        };
        if list.is_empty() {
            // `flags=` declares no flags: the script is out of
            // compatibility mode, with none of them.
            continue;
        }
        for flag in list.split(',') {
            match flag {
                "no-writes" => shebang.no_writes = true,
                "allow-oom" => shebang.allow_oom = true,
                "allow-stale" | "no-cluster" | "allow-cross-slot-keys" => {}
                other => return Err(format!("ERR Unexpected flag in script shebang: {other}")),
            }
        }
    }
    Ok(shebang)
}

fn eval(ctx: &mut Ctx, args: &[Vec<u8>], lookup: Lookup, read_only: bool) -> Reply {
    feed_monitors(ctx, args);
    let Some(numkeys) = parse_i64(&args[2]) else {
        return Reply::not_integer();
    };
    if numkeys > args.len() as i64 - 3 {
        return Reply::error("ERR Number of keys can't be greater than number of args");
    }
    if numkeys < 0 {
        return Reply::error("ERR Number of keys can't be negative");
    }
    let (sha, body) = match lookup {
        Lookup::Body => (
            ctx.server.scripting.sha_of_body(&args[1]),
            Cow::Borrowed(args[1].as_slice()),
        ),
        Lookup::Sha => {
            let sha = String::from_utf8_lossy(&args[1]).to_ascii_lowercase();
            match ctx.server.scripting.scripts.get(&sha) {
                Some(body) => (sha, Cow::Owned(body.clone())),
                None => return Reply::error("NOSCRIPT No matching script. Please use EVAL."),
            }
        }
    };
    let shebang = match parse_shebang(&body) {
        Ok(s) => s,
        Err(e) => return Reply::Error(e),
    };
    if read_only && shebang.declared && !shebang.no_writes {
        return Reply::error("ERR Can not execute a script with write flag using *_ro command.");
    }
    if shebang.declared
        && !shebang.no_writes
        && !shebang.allow_oom
        && ctx.server.script_out_of_memory()
    {
        return Reply::error(SCRIPT_OOM_ERROR);
    }
    let mut svm = match take_vm(ctx) {
        Ok(vm) => vm,
        Err(reply) => return reply,
    };
    let function = match svm.compile(&sha, &body[shebang.len..]) {
        Ok(f) => f,
        Err(message) => {
            ctx.server.scripting.vm = Some(svm);
            return Reply::error(format!(
                "ERR Error compiling script (new function): {message}"
            ));
        }
    };
    // The cache keeps the first copy; a script run again copies nothing.
    if !ctx.server.scripting.scripts.contains_key(&sha) {
        let body = body.into_owned();
        ctx.server.scripting.scripts.insert(sha.clone(), body);
    }
    let split = 3 + numkeys as usize;
    let run = ScriptRun {
        function,
        mode: RunMode::Eval,
        name: &sha,
        command: args,
        keys: &args[3..split],
        argv: &args[split..],
        read_only: read_only || shebang.no_writes,
        allow_oom: shebang.allow_oom,
    };
    let reply = run_script(ctx, &mut svm, run);
    put_vm(ctx, svm);
    reply
}

/// The node's Lua state, built on first use. While a script runs it is
/// out of the engine, so the script can use the rest of the engine freely.
pub(crate) fn take_vm(ctx: &mut Ctx) -> Result<ScriptVm, Reply> {
    if let Some(vm) = ctx.server.scripting.vm.take() {
        return Ok(vm);
    }
    let scripting = &ctx.server.scripting;
    let mut vm = ScriptVm::new(scripting.random.clone(), scripting.log.clone())
        .map_err(|e| Reply::error(format!("ERR Failed to start the Lua interpreter: {e}")))?;
    scripting.libraries.reload_into(&mut vm);
    Ok(vm)
}

pub(crate) fn put_vm(ctx: &mut Ctx, svm: ScriptVm) {
    // A state that failed mid-run is dropped; the next script builds a new one.
    if !svm.vm.is_poisoned() {
        ctx.server.scripting.vm = Some(svm);
    }
}

fn script_load(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let body = &args[2];
    let sha = sha1_hex(body);
    let shebang = match parse_shebang(body) {
        Ok(s) => s,
        Err(e) => return Reply::Error(e),
    };
    let mut svm = match take_vm(ctx) {
        Ok(vm) => vm,
        Err(reply) => return reply,
    };
    let compiled = svm.compile(&sha, &body[shebang.len..]);
    put_vm(ctx, svm);
    match compiled {
        Ok(_) => {
            ctx.server
                .scripting
                .scripts
                .insert(sha.clone(), body.clone());
            Reply::Bulk(sha.into_bytes())
        }
        Err(message) => Reply::error(format!(
            "ERR Error compiling script (new function): {message}"
        )),
    }
}

fn script_exists(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let scripts = &ctx.server.scripting.scripts;
    Reply::Array(
        args[2..]
            .iter()
            .map(|sha| {
                let sha = String::from_utf8_lossy(sha).to_ascii_lowercase();
                Reply::Integer(i64::from(scripts.contains_key(&sha)))
            })
            .collect(),
    )
}

fn script_flush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mode = args.get(2).map(|a| a.to_ascii_lowercase());
    match (args.len(), mode.as_deref()) {
        (2, _) | (3, Some(b"sync")) | (3, Some(b"async")) => {
            ctx.server.scripting.flush();
            Reply::ok()
        }
        _ => Reply::error("ERR SCRIPT FLUSH only support SYNC|ASYNC option"),
    }
}

/// SCRIPT KILL reaching the dispatcher means no script is running: a
/// running one is interrupted from its watcher (see `scripting::busy_reply`).
fn script_kill(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::error("NOTBUSY No scripts in execution right now.")
}

/// SCRIPT DEBUG: Lockstep has no step debugger; the timeline plays that role.
fn script_debug(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    match args[2].to_ascii_lowercase().as_slice() {
        b"no" => Reply::ok(),
        b"yes" | b"sync" => Reply::error(
            "ERR SCRIPT DEBUG is not available in Lockstep: step through the script's effects on the timeline instead",
        ),
        _ => Reply::error("ERR Use SCRIPT DEBUG YES/SYNC/NO"),
    }
}

fn script_help(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    let lines = [
        "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DEBUG (YES|SYNC|NO)",
        "    Set the debug mode for subsequent scripts executed.",
        "EXISTS <sha1> [<sha1> ...]",
        "    Return information about the existence of the scripts in the script cache.",
        "FLUSH [ASYNC|SYNC]",
        "    Flush the Lua scripts cache. Very dangerous on replicas.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the scripts cache.",
        "    * SYNC: Synchronously flush the scripts cache.",
        "KILL",
        "    Kill the currently executing Lua script.",
        "LOAD <script>",
        "    Load a script into the scripts cache without executing it.",
        "HELP",
        "    Prints this help.",
    ];
    Reply::Array(lines.iter().map(|l| Reply::Status((*l).into())).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_flags() {
        assert_eq!(parse_shebang(b"return 1").unwrap(), Shebang::default());
        let s = parse_shebang(b"#!lua flags=no-writes\nreturn 1").unwrap();
        assert_eq!((s.len, s.declared, s.no_writes), (21, true, true));
        assert_eq!(
            parse_shebang(b"#!python\n").unwrap_err(),
            "ERR Unexpected engine in script shebang: #!python"
        );
        assert_eq!(
            parse_shebang(b"#!lua").unwrap_err(),
            "ERR Invalid script shebang"
        );
    }
}
