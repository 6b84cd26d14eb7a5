//! The libraries Redis bundles for scripts (`cjson`, `bit`, `struct`,
//! `cmsgpack`), checked against what Redis 7.0 itself answers.
//!
//! `libs/<library>.cases` list scripts and Redis's replies to them, one
//! case per line: `<script> => <reply>`. Blank lines and lines starting
//! with `#` are comments. A script is one line of Lua run as
//! `EVAL <script> 0`, in file order on one server (so a script that
//! changes a setting such as `cjson.encode_max_depth` must restore it). It
//! must not raise an uncaught error (Redis's message would name the
//! script's SHA1): failures are caught with `pcall`. Replies are written
//! as RESP2 values:
//! - `"..."` a bulk string, with `\\ \" \n \r \t` and `\xHH` for other
//!   bytes outside printable ASCII;
//! - `:N` an integer, `nil` a null, `[a, b]` an array, `+...` a status,
//!   `-...` an error.
//!
//! Here each file runs in one `LuaVm` with the libraries installed, and
//! each script's return value goes through Redis's Lua-to-RESP2 conversion
//! (strings to bulk strings, numbers truncated to integers, true to 1,
//! false and nil to null, tables to arrays up to the first nil).
//! The same cases run natively and, under Node, on wasm32.
//!
//! To record replies from a real server (native only): start
//! `redis-server --port P --save '' --appendonly no`, then run
//! `LOCKSTEP_REDIS=127.0.0.1:P cargo test -p lockstep-lua --test libs --
//! --ignored record_replies`; it rewrites the replies in the files.
//! `LOCKSTEP_EVAL_FILE=out.redis` with `--ignored write_eval_commands`
//! writes the scripts as a command file (`EVAL "..." 0` lines) for the
//! differential suite.

use lockstep_lua::mlua::{self, Value};
use lockstep_lua::{libs, Budget, Limits, LuaVm, RunError};

/// The case files, by library.
const CASE_FILES: &[(&str, &str)] = &[
    ("bit", include_str!("libs/bit.cases")),
    ("cjson", include_str!("libs/cjson.cases")),
    ("struct", include_str!("libs/struct.cases")),
    ("cmsgpack", include_str!("libs/cmsgpack.cases")),
];

/// Separates a script from its reply.
const ARROW: &str = " => ";

struct Case<'a> {
    line: usize,
    script: &'a str,
    reply: &'a str,
}

/// The cases of a file, with their line numbers.
fn cases(text: &str) -> Vec<Case<'_>> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.starts_with('#'))
        .map(|(index, line)| {
            let (script, reply) = line
                .split_once(ARROW)
                .unwrap_or_else(|| panic!("line {}: no `{ARROW}`: {line}", index + 1));
            Case {
                line: index + 1,
                script,
                reply,
            }
        })
        .collect()
}

/// Appends `bytes` quoted as a bulk string reply.
fn quote(out: &mut String, bytes: &[u8]) {
    out.push('"');
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'"' => out.push_str("\\\""),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            b'\t' => out.push_str("\\t"),
            0x20..=0x7e => out.push(char::from(b)),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push('"');
}

/// `(long long)d` on x86-64, as Redis turns a Lua number into an integer
/// reply.
fn c_long_long(d: f64) -> i64 {
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if (-LIMIT..LIMIT).contains(&d) {
        d as i64
    } else {
        i64::MIN
    }
}

/// Redis's conversion of a script's return value to RESP2, rendered.
fn render(out: &mut String, value: &Value) {
    match value {
        Value::String(s) => quote(out, &s.as_bytes()),
        Value::Integer(i) => out.push_str(&format!(":{i}")),
        Value::Number(n) => out.push_str(&format!(":{}", c_long_long(*n))),
        Value::Boolean(true) => out.push_str(":1"),
        Value::Table(table) => {
            let text = |key: &str| match table.raw_get::<Value>(key) {
                Ok(Value::String(s)) => Some(s.to_string_lossy()),
                _ => None,
            };
            if let Some(error) = text("err") {
                out.push('-');
                out.push_str(&error);
                return;
            }
            if let Some(status) = text("ok") {
                out.push('+');
                out.push_str(&status);
                return;
            }
            out.push('[');
            for i in 1.. {
                let element: Value = table.raw_get(i).unwrap_or(Value::Nil);
                if element.is_nil() {
                    break;
                }
                if i > 1 {
                    out.push_str(", ");
                }
                render(out, &element);
            }
            out.push(']');
        }
        _ => out.push_str("nil"),
    }
}

/// Runs one file's cases in a fresh state and lists every difference.
fn check_file(library: &str, text: &str) {
    let mut vm = LuaVm::new(Limits::default()).expect("a fresh state");
    libs::install(vm.lua()).expect("libraries install");
    let mut failures = Vec::new();
    let all = cases(text);
    for case in &all {
        let result = vm.run(Budget::instructions(50_000_000), |lua| {
            lua.load(case.script)
                .set_name("@user_script")
                .eval::<mlua::MultiValue>()
        });
        let got = match result {
            Ok(values) => {
                let mut out = String::new();
                render(&mut out, values.front().unwrap_or(&Value::Nil));
                out
            }
            Err(error) => format!("(uncaught error) {error}"),
        };
        if got != case.reply {
            failures.push(format!(
                "{library}.cases:{}: {}\n  redis:    {}\n  lockstep: {got}",
                case.line, case.script, case.reply
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} {library} cases differ:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

fn check(library: &str) {
    let (_, text) = CASE_FILES
        .iter()
        .find(|(name, _)| *name == library)
        .expect("a case file");
    check_file(library, text);
}

/// Expands to one test per library, marked with the given attribute.
macro_rules! library_tests {
    ($attr:meta) => {
        #[$attr]
        fn bit_matches_redis() {
            check("bit");
        }

        #[$attr]
        fn cjson_matches_redis() {
            check("cjson");
        }

        #[$attr]
        fn struct_matches_redis() {
            check("struct");
        }

        #[$attr]
        fn cmsgpack_matches_redis() {
            check("cmsgpack");
        }

        /// The globals exist, and only as tables of functions and fields.
        #[$attr]
        fn libraries_are_globals() {
            let mut vm = LuaVm::new(Limits::default()).expect("a fresh state");
            libs::install(vm.lua()).expect("libraries install");
            let kinds: String = vm
                .run(Budget::UNLIMITED, |lua| {
                    lua.load(
                        "return type(cjson) .. type(bit) .. type(struct) .. type(cmsgpack) \
                         .. type(cjson.encode) .. tostring(cjson.null == cjson.decode('null'))",
                    )
                    .eval()
                })
                .expect("runs");
            assert_eq!(kinds, "tabletabletabletablefunctiontrue");
        }

        #[$attr]
        fn running_out_of_memory_is_a_memory_error() {
            running_out_of_memory();
        }

        #[$attr]
        fn failing_calls_leave_the_state_sane() {
            failing_calls();
        }
    };
}

/// A library function that runs out of Lua memory raises Lua's own memory
/// error: catchable as "not enough memory", and a memory error for the host.
fn running_out_of_memory() {
    let mut vm = LuaVm::new(Limits {
        memory: Some(8 << 20),
        ..Limits::default()
    })
    .expect("a fresh state");
    libs::install(vm.lua()).expect("libraries install");
    // 1 MiB, nine times over, is more than the 8 MiB the heap may hold.
    let big = "local s = string.rep('x', 1024 * 1024) local t = {s, s, s, s, s, s, s, s, s} ";
    let scripts = [
        "return cjson.encode(t)",
        "return cmsgpack.pack(t)",
        "return struct.pack(string.rep('c0', 9), unpack(t))",
        "return cjson.decode('[' .. string.rep('1,', 500000) .. '1]')",
        "return cmsgpack.unpack('\\221\\0\\9\\39\\192' .. string.rep('\\1', 600000))",
    ];
    for script in scripts {
        let code = format!("{big}{script}");
        let error = vm
            .run(Budget::UNLIMITED, |lua| lua.load(&code).exec())
            .expect_err("over the cap");
        assert!(
            matches!(error, RunError::Lua(mlua::Error::MemoryError(_))),
            "{script}: {error:?}"
        );
        vm.lua().gc_collect().expect("gc");
        let caught = format!("{big}local ok, e = pcall(function() {script} end) return e");
        let message: String = vm
            .run(Budget::UNLIMITED, |lua| lua.load(&caught).eval())
            .unwrap_or_else(|e| panic!("{script}: {e:?}"));
        assert_eq!(message, "not enough memory", "{script}");
        vm.lua().gc_collect().expect("gc");
    }
    vm.lua().gc_collect().expect("gc");
    let after: String = vm
        .run(Budget::UNLIMITED, |lua| {
            lua.load("return cjson.encode(cmsgpack.unpack(cmsgpack.pack({1, 'two'})))")
                .eval()
        })
        .expect("still works");
    assert_eq!(after, "[1,\"two\"]");
}

/// Thousands of raised errors leak neither Lua memory nor anything else the
/// state can see.
fn failing_calls() {
    let mut vm = LuaVm::new(Limits::default()).expect("a fresh state");
    libs::install(vm.lua()).expect("libraries install");
    let script = "local n = 0 for i = 1, 2000 do \
        if not pcall(cjson.decode, '[1,') then n = n + 1 end \
        if not pcall(cjson.encode, {f = tostring}) then n = n + 1 end \
        if not pcall(bit.tobit) then n = n + 1 end \
        if not pcall(struct.unpack, 'i', '') then n = n + 1 end \
        if not pcall(cmsgpack.unpack, '\\147') then n = n + 1 end \
        if not pcall(cjson.encode_keep_buffer, 'bad') then n = n + 1 end \
        end return n";
    let run = |vm: &mut LuaVm| -> i64 {
        vm.run(Budget::UNLIMITED, |lua| lua.load(script).eval())
            .expect("runs")
    };
    assert_eq!(run(&mut vm), 12_000);
    vm.lua().gc_collect().expect("gc");
    let before = vm.used_memory();
    assert_eq!(run(&mut vm), 12_000);
    vm.lua().gc_collect().expect("gc");
    let after = vm.used_memory();
    assert!(after <= before + 4096, "before {before}, after {after}");
    let error = vm
        .run(Budget::UNLIMITED, |lua| {
            lua.load("return bit.tobit()")
                .set_name("@user_script")
                .exec()
        })
        .expect_err("raises");
    let RunError::Lua(error) = error else {
        panic!("{error:?}")
    };
    assert!(
        error
            .to_string()
            .contains("user_script:1: bad argument #1 to 'tobit' (number expected, got no value)"),
        "{error}"
    );
}

#[cfg(not(target_arch = "wasm32"))]
library_tests!(test);

#[cfg(target_arch = "wasm32")]
library_tests!(wasm_bindgen_test::wasm_bindgen_test);

/// Asks a real Redis (`LOCKSTEP_REDIS=host:port`) for every case's reply
/// and rewrites the files with them.
#[cfg(not(target_arch = "wasm32"))]
#[test]
#[ignore = "needs a redis-server; see the module documentation"]
fn record_replies() {
    let address = std::env::var("LOCKSTEP_REDIS").expect("LOCKSTEP_REDIS=host:port");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/libs");
    for (library, _) in CASE_FILES {
        let path = dir.join(format!("{library}.cases"));
        let text = std::fs::read_to_string(&path).expect("case file");
        let mut redis = redis::Connection::open(&address);
        let mut out = String::new();
        for line in text.lines() {
            match line.split_once(ARROW) {
                Some((script, _)) if !line.starts_with('#') => {
                    let reply = redis.eval(script);
                    assert!(
                        !reply.starts_with("-ERR"),
                        "{library}: uncaught error: {script}\n{reply}"
                    );
                    out.push_str(&format!("{script}{ARROW}{reply}\n"));
                }
                _ => {
                    out.push_str(line);
                    out.push('\n');
                }
            }
        }
        std::fs::write(&path, out).expect("rewrite the case file");
    }
}

/// Writes every case's script as an `EVAL "<script>" 0` line of a
/// differential command file (`LOCKSTEP_EVAL_FILE=path`).
#[cfg(not(target_arch = "wasm32"))]
#[test]
#[ignore = "writes a file; see the module documentation"]
fn write_eval_commands() {
    let path = std::env::var("LOCKSTEP_EVAL_FILE").expect("LOCKSTEP_EVAL_FILE=path");
    let mut out =
        String::from("# cjson, bit, struct and cmsgpack, from crates/lua/tests/libs/*.cases\n");
    for (library, text) in CASE_FILES {
        out.push_str(&format!("\n# {library}\n"));
        for case in cases(text) {
            out.push_str("EVAL ");
            quote(&mut out, case.script.as_bytes());
            out.push_str(" 0\n");
        }
    }
    std::fs::write(path, out).expect("write the command file");
}

/// Just enough of a RESP2 client to record replies.
#[cfg(not(target_arch = "wasm32"))]
mod redis {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::net::TcpStream;

    pub struct Connection {
        reader: BufReader<TcpStream>,
        writer: TcpStream,
    }

    impl Connection {
        pub fn open(address: &str) -> Connection {
            let stream = TcpStream::connect(address).expect("connect to redis-server");
            let writer = stream.try_clone().expect("clone the stream");
            Connection {
                reader: BufReader::new(stream),
                writer,
            }
        }

        /// `EVAL script 0`, its reply rendered as in the case files.
        pub fn eval(&mut self, script: &str) -> String {
            let mut request = Vec::new();
            request.extend_from_slice(b"*3\r\n$4\r\nEVAL\r\n");
            request.extend_from_slice(format!("${}\r\n", script.len()).as_bytes());
            request.extend_from_slice(script.as_bytes());
            request.extend_from_slice(b"\r\n$1\r\n0\r\n");
            self.writer.write_all(&request).expect("send");
            let mut out = String::new();
            self.reply(&mut out);
            out
        }

        fn line(&mut self) -> String {
            let mut line = String::new();
            self.reader.read_line(&mut line).expect("read a reply line");
            line.trim_end_matches("\r\n").to_string()
        }

        fn reply(&mut self, out: &mut String) {
            let line = self.line();
            let (kind, rest) = line.split_at(1);
            match kind {
                "+" | "-" => {
                    out.push_str(kind);
                    out.push_str(rest);
                }
                ":" => {
                    out.push(':');
                    out.push_str(rest);
                }
                "$" => {
                    let Ok(len) = usize::try_from(rest.parse::<i64>().expect("length")) else {
                        out.push_str("nil");
                        return;
                    };
                    let mut data = vec![0; len + 2];
                    self.reader
                        .read_exact(&mut data)
                        .expect("read a bulk string");
                    super::quote(out, &data[..len]);
                }
                "*" => {
                    let Ok(len) = usize::try_from(rest.parse::<i64>().expect("length")) else {
                        out.push_str("nil");
                        return;
                    };
                    out.push('[');
                    for i in 0..len {
                        if i > 0 {
                            out.push_str(", ");
                        }
                        self.reply(out);
                    }
                    out.push(']');
                }
                other => panic!("unexpected reply type {other:?}: {line}"),
            }
        }
    }
}

/// Library errors are raised from Rust frames, which a JS exception unwinds
/// without their epilogues: the shadow stack pointer must still end up
/// where it was.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen_test::wasm_bindgen_test]
fn library_errors_leave_the_shadow_stack_pointer_in_place() {
    extern "C" {
        fn lockstep_stack_pointer() -> usize;
    }

    let mut vm = LuaVm::new(Limits::default()).expect("a fresh state");
    libs::install(vm.lua()).expect("libraries install");
    let fail = |vm: &mut LuaVm| {
        vm.run(Budget::UNLIMITED, |lua| {
            lua.load("local ok = pcall(cjson.decode, '[') return bit.tobit()")
                .exec()
        })
        .expect_err("raises");
    };
    fail(&mut vm);
    // SAFETY: reads a wasm global.
    let before = unsafe { lockstep_stack_pointer() };
    for _ in 0..5_000 {
        fail(&mut vm);
    }
    let after = unsafe { lockstep_stack_pointer() };
    assert_eq!(before, after);
}
