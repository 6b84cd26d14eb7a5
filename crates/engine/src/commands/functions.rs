//! FUNCTION LOAD/DELETE/LIST/FLUSH/KILL and FCALL, FCALL_RO: Redis 7's
//! named, versioned scripts.

use super::scripting::{put_vm, take_vm};
use crate::command::{flags, spec, CommandSpec, Ctx, NO_KEYS};
use crate::engine::feed_monitors;
use crate::glob::string_match;
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::scripting::{run_script, FunctionInfo, Library, RunMode, ScriptRun};

/// Functions are fed to MONITOR by hand, before the commands they run.
const FCALL_FLAGS: u32 = flags::NOSCRIPT | flags::STALE | flags::SKIP_MONITOR;

pub const COMMANDS: &[CommandSpec] = &[
    spec("fcall", -3, FCALL_FLAGS, NO_KEYS, |ctx, args| {
        fcall(ctx, args, false)
    }),
    spec(
        "fcall_ro",
        -3,
        FCALL_FLAGS | flags::READONLY,
        NO_KEYS,
        |ctx, args| fcall(ctx, args, true),
    ),
    spec("function", -2, 0, NO_KEYS, function_help).with_subcommands(FUNCTION_SUBCOMMANDS),
];

const FUNCTION_SUBCOMMANDS: &[CommandSpec] = &[
    spec(
        "load",
        -3,
        flags::WRITE | flags::DENYOOM | flags::NOSCRIPT,
        NO_KEYS,
        function_load,
    ),
    spec(
        "delete",
        3,
        flags::WRITE | flags::NOSCRIPT,
        NO_KEYS,
        function_delete,
    ),
    spec("list", -2, flags::NOSCRIPT, NO_KEYS, function_list),
    spec(
        "flush",
        -2,
        flags::WRITE | flags::NOSCRIPT,
        NO_KEYS,
        function_flush,
    ),
    spec(
        "kill",
        2,
        flags::NOSCRIPT | flags::ALLOW_BUSY,
        NO_KEYS,
        function_kill,
    ),
    spec(
        "dump",
        2,
        flags::NOSCRIPT,
        NO_KEYS,
        super::function_dump::function_dump,
    ),
    spec(
        "restore",
        -3,
        flags::WRITE | flags::DENYOOM | flags::NOSCRIPT,
        NO_KEYS,
        super::function_dump::function_restore,
    ),
    spec(
        "stats",
        2,
        flags::NOSCRIPT | flags::ALLOW_BUSY,
        NO_KEYS,
        super::function_dump::function_stats,
    ),
    spec("help", 2, flags::STALE, NO_KEYS, function_help),
];

fn fcall(ctx: &mut Ctx, args: &[Vec<u8>], read_only: bool) -> Reply {
    feed_monitors(ctx, args);
    let Some((_, info)) = ctx
        .server
        .scripting
        .libraries
        .function(&String::from_utf8_lossy(&args[1]))
    else {
        return Reply::error("ERR Function not found");
    };
    let info = info.clone();
    let name = info.name.clone();
    let Some(numkeys) = parse_i64(&args[2]) else {
        return Reply::error("ERR Bad number of keys provided");
    };
    if numkeys > args.len() as i64 - 3 {
        return Reply::error("ERR Number of keys can't be greater than number of args");
    }
    if numkeys < 0 {
        return Reply::error("ERR Number of keys can't be negative");
    }
    if read_only && !info.no_writes() {
        return Reply::error("ERR Can not execute a script with write flag using *_ro command.");
    }
    if !info.no_writes() && !info.allow_oom() && ctx.server.script_out_of_memory() {
        return Reply::error(super::scripting::SCRIPT_OOM_ERROR);
    }
    let mut svm = match take_vm(ctx) {
        Ok(vm) => vm,
        Err(reply) => return reply,
    };
    let Some(function) = svm.functions.get(&name.to_ascii_lowercase()).cloned() else {
        put_vm(ctx, svm);
        return Reply::error("ERR Function not found");
    };
    let split = 3 + numkeys as usize;
    let run = ScriptRun {
        function,
        mode: RunMode::Function,
        name: &name,
        command: args,
        keys: &args[3..split],
        argv: &args[split..],
        read_only: info.no_writes(),
        allow_oom: info.allow_oom(),
    };
    let reply = run_script(ctx, &mut svm, run);
    put_vm(ctx, svm);
    reply
}

fn function_load(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut replace = false;
    let mut i = 2;
    while i < args.len() - 1 {
        if args[i].eq_ignore_ascii_case(b"replace") {
            replace = true;
            i += 1;
            continue;
        }
        return Reply::error(format!(
            "ERR Unknown option given: {}",
            String::from_utf8_lossy(&args[i])
        ));
    }
    if i >= args.len() {
        return Reply::error("ERR Function code is missing");
    }
    let mut svm = match take_vm(ctx) {
        Ok(vm) => vm,
        Err(reply) => return reply,
    };
    let loaded = ctx
        .server
        .scripting
        .libraries
        .load(&mut svm, &args[i], replace);
    put_vm(ctx, svm);
    match loaded {
        Ok(name) => {
            ctx.server.scripting.library_changes += 1;
            Reply::Bulk(name.into_bytes())
        }
        Err(message) => Reply::error(format!("ERR {message}")),
    }
}

fn function_delete(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let name = String::from_utf8_lossy(&args[2]).into_owned();
    let scripting = &mut ctx.server.scripting;
    if scripting.libraries.delete(scripting.vm.as_mut(), &name) {
        scripting.library_changes += 1;
        Reply::ok()
    } else {
        Reply::error("ERR Library not found")
    }
}

fn function_list(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut with_code = false;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 2;
    while i < args.len() {
        if !with_code && args[i].eq_ignore_ascii_case(b"withcode") {
            with_code = true;
        } else if pattern.is_none() && args[i].eq_ignore_ascii_case(b"libraryname") {
            if i >= args.len() - 1 {
                return Reply::error("ERR library name argument was not given");
            }
            i += 1;
            pattern = Some(&args[i]);
        } else {
            return Reply::error(format!(
                "ERR Unknown argument {}",
                String::from_utf8_lossy(&args[i])
            ));
        }
        i += 1;
    }
    let libraries = ctx
        .server
        .scripting
        .libraries
        .libraries
        .values()
        .filter(|lib| pattern.is_none_or(|p| string_match(p, lib.name.as_bytes(), true)))
        .map(|lib| library_entry(lib, with_code))
        .collect();
    Reply::Array(libraries)
}

fn library_entry(lib: &Library, with_code: bool) -> Reply {
    let mut fields = vec![
        (Reply::bulk("library_name"), Reply::bulk(&lib.name)),
        (Reply::bulk("engine"), Reply::bulk("LUA")),
        (
            Reply::bulk("functions"),
            Reply::Array(lib.functions.iter().map(function_entry).collect()),
        ),
    ];
    if with_code {
        fields.push((Reply::bulk("library_code"), Reply::Bulk(lib.code.clone())));
    }
    Reply::Map(fields)
}

fn function_entry(f: &FunctionInfo) -> Reply {
    Reply::Map(vec![
        (Reply::bulk("name"), Reply::bulk(&f.name)),
        (
            Reply::bulk("description"),
            f.description.as_ref().map_or(Reply::Null, Reply::bulk),
        ),
        (
            Reply::bulk("flags"),
            Reply::Set(
                f.flag_names()
                    .into_iter()
                    .map(|n| Reply::Status(n.into()))
                    .collect(),
            ),
        ),
    ])
}

fn function_flush(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mode = args.get(2).map(|a| a.to_ascii_lowercase());
    match (args.len(), mode.as_deref()) {
        (2, _) | (3, Some(b"sync")) | (3, Some(b"async")) => {
            let scripting = &mut ctx.server.scripting;
            let names: Vec<String> = scripting.libraries.libraries.keys().cloned().collect();
            for name in names {
                scripting.libraries.delete(scripting.vm.as_mut(), &name);
            }
            scripting.library_changes += 1;
            Reply::ok()
        }
        (3, _) => Reply::error("ERR FUNCTION FLUSH only supports SYNC|ASYNC option"),
        _ => crate::command::subcommand_syntax_error(args),
    }
}

/// FUNCTION KILL reaching the dispatcher means nothing is running.
fn function_kill(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::error("NOTBUSY No scripts in execution right now.")
}

fn function_help(_ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    let lines = [
        "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "LOAD [REPLACE] <FUNCTION CODE>",
        "    Create a new library with the given library name and code.",
        "DELETE <LIBRARY NAME>",
        "    Delete the given library.",
        "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
        "    Return general information on all the libraries:",
        "    * Library name",
        "    * The engine used to run the Library",
        "    * Library description",
        "    * Functions list",
        "    * Library code (if WITHCODE is given)",
        "    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
        "FLUSH [ASYNC|SYNC]",
        "    Deletes all the libraries.",
        "    When called without the optional mode argument, the behavior is determined by the",
        "    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
        "    * ASYNC: Asynchronously flush the libraries.",
        "    * SYNC: Synchronously flush the libraries.",
        "HELP",
        "    Prints this help.",
    ];
    Reply::Array(lines.iter().map(|l| Reply::Status((*l).into())).collect())
}
