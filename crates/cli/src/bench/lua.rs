//! Lua: the same scripts in our native build (EVAL in the engine, in
//! process) and in PUC Lua 5.1 (Debian's `lua5.1`, the interpreter Redis
//! embeds), and a script of many `redis.call`s against `redis-server`'s
//! EVAL, since plain Lua has no Redis to call.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;

use lockstep_engine::Engine;

use super::figure::{Better, Figure};
use super::servers;
use super::Bench;

/// Scripts valid both as an EVAL body and as a plain Lua 5.1 chunk (locals
/// only: Redis's sandbox forbids new globals).
pub const SCRIPTS: &[(&str, &str)] = &[
    (
        "numeric loop",
        "local s = 0 for i = 1, 3000000 do s = (s + i * 3) % 1000003 end return s",
    ),
    (
        "string building",
        "local t = {} for i = 1, 200000 do t[#t + 1] = tostring(i) .. ',' end \
         local s = table.concat(t) local u = '' for i = 1, 5000 do u = u .. 'x' end \
         return #s + #u",
    ),
    (
        "table work",
        "local t = {} for i = 1, 100000 do t[i] = {id = i, name = 'n' .. i} end \
         local sum = 0 for _, v in ipairs(t) do sum = sum + v.id end \
         table.sort(t, function(a, b) return a.id > b.id end) return sum",
    ),
];

/// A script that is mostly `redis.call`s.
pub const CALLS_SCRIPT: &str =
    "for i = 1, 50000 do redis.call('SET', 'k' .. i, i) redis.call('INCR', 'k' .. i) end return 1";

/// Best of this many runs, so a neighbour's burst on a busy machine does
/// not decide the figure.
const RUNS: usize = 3;

pub fn run(bench: &mut Bench) -> Result<(), String> {
    let startup = best_seconds(|| lua51("return 0"))?;
    for (name, script) in SCRIPTS {
        bench.progress(&format!("lua: {name} in our native build"));
        let ours = best_seconds(|| eval_in_engine(script))?;
        bench.progress(&format!("lua: {name} in lua5.1"));
        let reference = (best_seconds(|| lua51(script))? - startup).max(1e-6);
        bench.add(Figure {
            group: "lua",
            name: format!("Lua {name}, native build"),
            unit: "ms",
            better: Better::Lower,
            ours: ours * 1000.0,
            reference_name: "PUC Lua 5.1 (lua5.1)".into(),
            reference: reference * 1000.0,
            reference_unit: None,
            target: None,
        });
    }
    bench.progress("lua: many redis.call in our native build");
    let ours = best_seconds(|| eval_in_engine(CALLS_SCRIPT))?;
    bench.progress("lua: many redis.call on redis-server");
    let port = bench.redis_port()?;
    let reference = best_seconds(|| {
        let reply = servers::call(port, &[b"EVAL", CALLS_SCRIPT.as_bytes(), b"0"])
            .map_err(|e| format!("EVAL on redis-server: {e}"))?;
        if reply.starts_with(b"-") {
            return Err(String::from_utf8_lossy(&reply).into_owned());
        }
        Ok(())
    })?;
    bench.add(Figure {
        group: "lua",
        name: "Lua 100k redis.call, native build".into(),
        unit: "ms",
        better: Better::Lower,
        ours: ours * 1000.0,
        reference_name: "redis-server EVAL".into(),
        reference: reference * 1000.0,
        reference_unit: None,
        target: None,
    });
    Ok(())
}

/// Iterations per second of PUC Lua 5.1 running the numeric loop (the
/// first of [`SCRIPTS`], 3M iterations): how fast this machine is right now.
pub fn lua51_loop_rate() -> Result<f64, String> {
    let startup = best_seconds(|| lua51("return 0"))?;
    let seconds = best_seconds(|| lua51(SCRIPTS[0].1))? - startup;
    Ok(3_000_000.0 / seconds.max(1e-6))
}

/// The shortest wall time of [`RUNS`] runs of `what`, in seconds.
pub fn best_seconds(mut what: impl FnMut() -> Result<(), String>) -> Result<f64, String> {
    let mut best = f64::MAX;
    for _ in 0..RUNS {
        let started = Instant::now();
        what()?;
        best = best.min(started.elapsed().as_secs_f64());
    }
    Ok(best)
}

/// Runs `script` as EVAL on a fresh engine.
fn eval_in_engine(script: &str) -> Result<(), String> {
    let mut engine = Engine::new(0);
    let client = engine.connect("127.0.0.1:1", 0);
    let args = vec![b"EVAL".to_vec(), script.as_bytes().to_vec(), b"0".to_vec()];
    let outcome = engine.execute(client, &args, 0);
    if outcome.reply.is_error() {
        return Err(format!("EVAL: {:?}", outcome.reply));
    }
    Ok(())
}

/// Runs `script` in a `lua5.1` process, fed on stdin.
fn lua51(script: &str) -> Result<(), String> {
    let mut child = Command::new("lua5.1")
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run lua5.1 (apt: lua5.1): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| format!("lua5.1: {e}"))?;
    }
    let output = child
        .wait_with_output()
        .map_err(|e| format!("lua5.1: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "lua5.1: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(())
}
