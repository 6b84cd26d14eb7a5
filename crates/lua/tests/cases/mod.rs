//! Test bodies shared by the native and the wasm32 builds, which must behave
//! identically. `tests/vm.rs` runs each as a `#[test]` natively and as a
//! `#[wasm_bindgen_test]` under Node.

use lockstep_lua::mlua::{self, FromLuaMulti, Function, Lua, Value};
use lockstep_lua::{protected_call, Budget, Limits, LuaVm, RunError, StopReason, Verdict};

/// Expands to one test function per case, marked with the given attribute.
macro_rules! shared_tests {
    ($attr:meta) => {
        shared_tests!(@each $attr;
            standard_libraries,
            rust_callback_returns_a_value,
            rust_callback_error_is_catchable,
            pcall_catches_error,
            uncaught_error_keeps_the_state_usable,
            protected_call_returns_the_raised_value,
            numbers_format_like_redis,
            budget_stops_an_endless_loop,
            stop_cannot_be_caught,
            budget_covers_host_made_coroutines,
            checkpoint_stops_and_counts,
            memory_cap_fails_the_allocation_not_the_state,
            many_failing_calls_leave_the_state_sane,
            sandbox_blocks_files_and_bytecode,
            rebuild_gives_a_fresh_state
        );
    };
    (@each $attr:meta; $($name:ident),*) => {
        $(
            #[$attr]
            fn $name() {
                cases::$name();
            }
        )*
    };
}

fn new_vm() -> LuaVm {
    LuaVm::new(Limits::default()).expect("a fresh state")
}

/// Runs `code` as a script named like Redis names them, so that error
/// positions read `user_script:<line>:`.
fn eval<R: FromLuaMulti>(vm: &mut LuaVm, budget: Budget, code: &str) -> Result<R, RunError> {
    vm.run(budget, |lua| lua.load(code).set_name("@user_script").eval())
}

fn eval_ok<R: FromLuaMulti>(vm: &mut LuaVm, code: &str) -> R {
    match eval(vm, Budget::UNLIMITED, code) {
        Ok(value) => value,
        Err(error) => panic!("script failed: {error}\n{code}"),
    }
}

fn lua_message(error: RunError) -> String {
    match error {
        RunError::Lua(error) => error.to_string(),
        other => panic!("expected a Lua error, got {other:?}"),
    }
}

pub fn standard_libraries() {
    let mut vm = new_vm();
    let out: String = eval_ok(
        &mut vm,
        r#"
        local parts = {}
        for i = 1, 3 do
            parts[#parts + 1] = string.format("%d:%05.2f:%q", i, i / 4, "a\n")
        end
        local swapped = ("hello world"):gsub("(%w+) (%w+)", "%2 %1")
        return table.concat(parts, ",") .. "|" .. swapped .. "|"
            .. tostring(tonumber("0x1F")) .. "|" .. tostring(tonumber("  12.5  ")) .. "|"
            .. tostring(tonumber("z", 36)) .. "|" .. tostring(tonumber("nope")) .. "|"
            .. math.floor(-3.5) .. "|" .. string.rep("ab", 3, "")
        "#,
    );
    assert_eq!(
        out,
        "1:00.25:\"a\\\n\",2:00.50:\"a\\\n\",3:00.75:\"a\\\n\"|world hello|31|12.5|35|nil|-4|ababab"
    );
}

pub fn rust_callback_returns_a_value() {
    let mut vm = new_vm();
    let lua = vm.lua();
    let add = lua
        .create_function(|_, (a, b): (f64, f64)| Ok(a + b))
        .expect("function");
    lua.globals().set("add", add).expect("global");
    let greet = lua
        .create_function(|lua, name: mlua::LuaString| {
            let table = lua.create_table()?;
            table.set(1, format!("hello {}", name.to_str()?))?;
            table.set("n", 1)?;
            Ok(table)
        })
        .expect("function");
    lua.globals().set("greet", greet).expect("global");
    let (sum, greeting): (f64, String) =
        eval_ok(&mut vm, "return add(2, 3.5) * 2, greet('redis')[1]");
    assert_eq!(sum, 11.0);
    assert_eq!(greeting, "hello redis");
}

pub fn rust_callback_error_is_catchable() {
    let mut vm = new_vm();
    let fail = vm
        .lua()
        .create_function(|_, ()| -> mlua::Result<()> { Err(mlua::Error::runtime("boom")) })
        .expect("function");
    vm.lua().globals().set("fail", fail).expect("global");
    let (ok, message): (bool, String) = eval_ok(
        &mut vm,
        "local ok, err = pcall(fail) return ok, tostring(err)",
    );
    assert!(!ok);
    assert!(message.contains("boom"), "{message}");
    let error = eval::<()>(&mut vm, Budget::UNLIMITED, "fail()").expect_err("uncaught");
    assert!(lua_message(error).contains("boom"));
}

pub fn pcall_catches_error() {
    let mut vm = new_vm();
    let (ok, message, after): (bool, String, i32) = eval_ok(
        &mut vm,
        "local ok, err = pcall(function() error('oops') end)\nreturn ok, err, 7",
    );
    assert!(!ok);
    assert_eq!(message, "user_script:1: oops");
    assert_eq!(after, 7);
    let (ok, code): (bool, String) = eval_ok(
        &mut vm,
        "local ok, e = pcall(error, {code = 'E'}) return ok, e.code",
    );
    assert!(!ok);
    assert_eq!(code, "E");
}

pub fn uncaught_error_keeps_the_state_usable() {
    let mut vm = new_vm();
    let error = eval::<()>(&mut vm, Budget::UNLIMITED, "local t = nil\nreturn t.x")
        .expect_err("indexing nil fails");
    let message = lua_message(error);
    assert!(
        message.contains("user_script:2: attempt to index local 't' (a nil value)"),
        "{message}"
    );
    let error = eval::<()>(&mut vm, Budget::UNLIMITED, "return 1 +").expect_err("syntax");
    let message = lua_message(error);
    assert!(
        message.contains("user_script:1: unexpected symbol near '<eof>'"),
        "{message}"
    );
    let two: i32 = eval_ok(&mut vm, "return 1 + 1");
    assert_eq!(two, 2);
}

pub fn protected_call_returns_the_raised_value() {
    let mut vm = new_vm();
    let compile = |vm: &LuaVm, code: &str| -> Function {
        vm.lua()
            .load(code)
            .set_name("@user_script")
            .into_function()
            .expect("compiles")
    };
    let call = |vm: &mut LuaVm, f: &Function| {
        vm.run(Budget::instructions(100_000), |lua| {
            protected_call(lua, f, ("a", 2))
        })
    };

    let script = compile(&vm, "local t = nil\nreturn t.x");
    match call(&mut vm, &script) {
        Ok(Err(Value::String(message))) => assert_eq!(
            message.to_str().expect("utf-8").to_string(),
            "user_script:2: attempt to index local 't' (a nil value)"
        ),
        other => panic!("{other:?}"),
    }

    let script = compile(&vm, "error({err = 'WRONGTYPE bad'})");
    match call(&mut vm, &script) {
        Ok(Err(Value::Table(table))) => {
            assert_eq!(
                table.get::<String>("err").expect("err field"),
                "WRONGTYPE bad"
            )
        }
        other => panic!("{other:?}"),
    }

    let script = compile(&vm, "local a, b = ... return b, a, select('#', ...)");
    match call(&mut vm, &script) {
        Ok(Ok(values)) => {
            let (b, a, n): (i32, String, i32) =
                vm.lua().unpack_multi(values).expect("three values");
            assert_eq!((b, a.as_str(), n), (2, "a", 2));
        }
        other => panic!("{other:?}"),
    }

    let fail = vm
        .lua()
        .create_function(|_, ()| -> mlua::Result<()> { Err(mlua::Error::runtime("boom")) })
        .expect("function");
    vm.lua().globals().set("fail", fail).expect("global");
    let script = compile(&vm, "fail()");
    match call(&mut vm, &script) {
        Ok(Err(value)) => {
            let text = vm.lua().coerce_string(value.clone()).ok().flatten();
            let text = text
                .map(|s| s.to_string_lossy())
                .unwrap_or_else(|| format!("{value:?}"));
            assert!(text.contains("boom"), "{text}");
        }
        other => panic!("{other:?}"),
    }

    // A stop still cannot be caught, not even by the call's own pcall.
    let script = compile(&vm, "while true do end");
    match call(&mut vm, &script) {
        Err(RunError::Stopped(StopReason::BudgetExhausted)) => {}
        other => panic!("{other:?}"),
    }
}

pub fn numbers_format_like_redis() {
    let mut vm = new_vm();
    let out: String = eval_ok(
        &mut vm,
        "return table.concat({tostring(0.1 + 0.2), tostring(10 / 3), tostring(2^53), \
         tostring(1e15), tostring(1/0), tostring(-1/0), 7 .. '', 3.0 .. '', 2^63 .. ''}, ' ')",
    );
    assert_eq!(
        out,
        "0.3 3.3333333333333 9.007199254741e+15 1e+15 inf -inf 7 3 9.2233720368548e+18"
    );
    // Lua 5.1 shares one constant slot between 0 and -0 within a function,
    // so here 1/0 divides by the -0 written earlier. Redis shows the same.
    let quirk: String = eval_ok(&mut vm, "local z = -0.0 return tostring(1/0)");
    assert_eq!(quirk, "-inf");
}

pub fn budget_stops_an_endless_loop() {
    let mut vm = new_vm();
    let error = eval::<()>(&mut vm, Budget::instructions(100_000), "while true do end")
        .expect_err("stopped");
    assert!(
        matches!(error, RunError::Stopped(StopReason::BudgetExhausted)),
        "{error:?}"
    );
    assert!(vm.instructions() >= 100_000, "{}", vm.instructions());
    assert!(vm.instructions() < 110_000, "{}", vm.instructions());
    let three: i32 = eval_ok(&mut vm, "return 1 + 2");
    assert_eq!(three, 3);
}

pub fn stop_cannot_be_caught() {
    let mut vm = new_vm();
    let scripts = [
        "pcall(function() while true do end end)\nreturn 'escaped'",
        "while true do pcall(function() while true do end end) end",
        "local ok = xpcall(function() while true do end end, function(e) return e end)\n\
         return 'escaped'",
        "while true do coroutine.resume(coroutine.create(function() while true do end end)) end",
        "local f = coroutine.wrap(function() while true do pcall(error, 'x') end end)\n\
         while true do pcall(f) end",
    ];
    for script in scripts {
        let error =
            eval::<mlua::Value>(&mut vm, Budget::instructions(200_000), script).expect_err(script);
        assert!(
            matches!(error, RunError::Stopped(StopReason::BudgetExhausted)),
            "{script}: {error:?}"
        );
        assert!(
            vm.instructions() < 1_000_000,
            "{script}: {}",
            vm.instructions()
        );
        let ok: String = eval_ok(&mut vm, "return 'usable'");
        assert_eq!(ok, "usable");
    }
}

pub fn budget_covers_host_made_coroutines() {
    let mut vm = new_vm();
    let body: Function = vm
        .lua()
        .load("return function(n) for i = 1, n do coroutine.yield(i) end while true do end end")
        .eval()
        .expect("function");
    let thread = vm.lua().create_thread(body).expect("thread");
    let first: i32 = vm
        .run(Budget::UNLIMITED, |_| thread.resume(3))
        .expect("yields");
    assert_eq!(first, 1);
    let error = vm
        .run(Budget::instructions(50_000), |_| -> mlua::Result<()> {
            loop {
                thread.resume::<()>(())?;
            }
        })
        .expect_err("stopped");
    assert!(
        matches!(error, RunError::Stopped(StopReason::BudgetExhausted)),
        "{error:?}"
    );
    let ok: String = eval_ok(&mut vm, "return 'usable'");
    assert_eq!(ok, "usable");
}

pub fn checkpoint_stops_and_counts() {
    let mut vm = new_vm();
    let seen = std::rc::Rc::new(std::cell::Cell::new(0u64));
    let seen_by_checkpoint = std::rc::Rc::clone(&seen);
    assert!(vm.set_checkpoint(move |instructions| {
        seen_by_checkpoint.set(instructions);
        if instructions >= 50_000 {
            Verdict::Stop
        } else {
            Verdict::Continue
        }
    }));
    let error = eval::<()>(
        &mut vm,
        Budget::UNLIMITED,
        "pcall(function() while true do end end)",
    )
    .expect_err("stopped");
    assert!(
        matches!(error, RunError::Stopped(StopReason::Host)),
        "{error:?}"
    );
    assert_eq!(seen.get(), 50_000);
    vm.clear_checkpoint();
    // A short script is charged for what it ran, in steps of check_every.
    let _: () = eval_ok(&mut vm, "local x = 0 for i = 1, 10000 do x = x + i end");
    let ran = vm.instructions();
    assert!((15_000..=25_000).contains(&ran), "{ran}");
    let _: () = eval_ok(&mut vm, "local x = 0 for i = 1, 10000 do x = x + i end");
    assert_eq!(vm.instructions(), ran, "counts are deterministic");
}

pub fn memory_cap_fails_the_allocation_not_the_state() {
    let mut vm = LuaVm::new(Limits {
        memory: Some(8 << 20),
        ..Limits::default()
    })
    .expect("state");
    let error = eval::<()>(
        &mut vm,
        Budget::UNLIMITED,
        "local s = string.rep('x', 64 * 1024 * 1024)",
    )
    .expect_err("over the cap");
    assert!(
        matches!(error, RunError::Lua(mlua::Error::MemoryError(_))),
        "{error:?}"
    );
    let error = eval::<()>(
        &mut vm,
        Budget::UNLIMITED,
        "local t = {} for i = 1, 1e7 do t[i] = i end",
    )
    .expect_err("over the cap");
    assert!(
        matches!(error, RunError::Lua(mlua::Error::MemoryError(_))),
        "{error:?}"
    );
    let (ok, message): (bool, String) =
        eval_ok(&mut vm, "return pcall(string.rep, 'x', 64 * 1024 * 1024)");
    assert!(!ok);
    assert_eq!(message, "not enough memory");
    vm.lua().gc_collect().expect("gc");
    assert!(vm.used_memory() < 1 << 20, "{}", vm.used_memory());
    let n: i32 = eval_ok(
        &mut vm,
        "local t = {} for i = 1, 1000 do t[i] = i end return #t",
    );
    assert_eq!(n, 1000);
}

pub fn many_failing_calls_leave_the_state_sane() {
    let mut vm = new_vm();
    let warm: f64 = eval_ok(&mut vm, "return 0");
    assert_eq!(warm, 0.0);
    vm.lua().gc_collect().expect("gc");
    let before = vm.used_memory();
    for i in 0..10_000 {
        let code = format!("local t = {{}} t[{i}] = true error('failure ' .. {i})");
        let error = eval::<()>(&mut vm, Budget::UNLIMITED, &code).expect_err("raises");
        if i % 2_500 == 0 {
            assert!(lua_message(error).contains(&format!("user_script:1: failure {i}")));
        }
    }
    let caught: i32 = eval_ok(
        &mut vm,
        "local n = 0 for i = 1, 10000 do if not pcall(error, i) then n = n + 1 end end return n",
    );
    assert_eq!(caught, 10_000);
    vm.lua().gc_collect().expect("gc");
    let after = vm.used_memory();
    assert!(after < before + 16 * 1024, "before {before}, after {after}");
    let sum: f64 = eval_ok(
        &mut vm,
        "local s = 0 for i = 1, 100 do s = s + i end return s",
    );
    assert_eq!(sum, 5050.0);
}

pub fn sandbox_blocks_files_and_bytecode() {
    let mut vm = new_vm();
    let (dofile, loadfile, io, os): (bool, bool, bool, bool) = eval_ok(
        &mut vm,
        "return dofile == nil, loadfile == nil, io == nil, os == nil",
    );
    assert!(dofile && loadfile && io && os);
    // Bytecode goes to the text parser, as in Redis.
    let (f, message): (mlua::Value, String) = eval_ok(
        &mut vm,
        "return loadstring(string.dump(function() return 1 end))",
    );
    assert!(f.is_nil());
    assert_eq!(
        message,
        "[string \"\x1bLuaQ\"]:1: unexpected symbol near 'char(27)'"
    );
    let (f, message): (mlua::Value, String) = eval_ok(
        &mut vm,
        "local s = string.dump(function() return 1 end) \
         return load(function() local p = s s = nil return p end)",
    );
    assert!(f.is_nil());
    assert_eq!(message, "(load):1: unexpected symbol near 'char(27)'");
    // Text still loads, with the usual names and line numbers.
    let three: i32 = eval_ok(&mut vm, "return loadstring('return 1 + 2')()");
    assert_eq!(three, 3);
    let (f, message): (mlua::Value, String) =
        eval_ok(&mut vm, "return loadstring('x = 1\\nreturn +', 'chunk')");
    assert!(f.is_nil());
    assert_eq!(message, "[string \"chunk\"]:2: unexpected symbol near '+'");
    let pieces: String = eval_ok(
        &mut vm,
        "local parts = {'return ', '\"a', 'b\"'} local i = 0 \
         return load(function() i = i + 1 return parts[i] end)()",
    );
    assert_eq!(pieces, "ab");
    let error = eval::<()>(&mut vm, Budget::UNLIMITED, "loadstring(nil)").expect_err("bad arg");
    let message = lua_message(error);
    assert!(
        message
            .contains("user_script:1: bad argument #1 to 'loadstring' (string expected, got nil)"),
        "{message}"
    );
    let error = eval::<()>(&mut vm, Budget::UNLIMITED, "load('x')").expect_err("bad arg");
    let message = lua_message(error);
    assert!(
        message
            .contains("user_script:1: bad argument #1 to 'load' (function expected, got string)"),
        "{message}"
    );
}

pub fn rebuild_gives_a_fresh_state() {
    let mut vm = new_vm();
    let _: () = eval_ok(&mut vm, "leftover = 42");
    assert!(!vm.is_poisoned());
    vm.rebuild().expect("rebuilt");
    let leftover: Option<i32> = eval_ok(&mut vm, "return leftover");
    assert_eq!(leftover, None);
    let lua: &Lua = vm.lua();
    let f: Function = lua
        .load("return function(x) return x * 2 end")
        .eval()
        .expect("function");
    assert_eq!(f.call::<i32>(21).expect("call"), 42);
}
