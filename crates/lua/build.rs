//! Builds Lua 5.1.5 for wasm32.
//!
//! Native builds need nothing from here: mlua compiles its vendored copy of
//! the same release. mlua cannot do that for `wasm32-unknown-unknown`, because
//! Lua reports errors with setjmp/longjmp, which WebAssembly lacks, and Rust's
//! wasm target has no C library. So for wasm32 this script compiles the
//! sources in `lua-5.1.5/` with clang for `wasm32-wasi` against wasi-libc,
//! swaps Lua's setjmp-based error handling for JavaScript exceptions
//! (`wasm/ldo_wasm.c`, `src/wasm_unwind.rs`), and links the C library pieces
//! Lua uses: wasi-libc's `libc.a` and compiler-rt's builtins. The WASI system
//! calls wasi-libc would import are answered by stubs (`wasm/wasi_stubs.c`),
//! so the module needs nothing beyond what wasm-bindgen provides.
//!
//! Tools (Debian package names): `clang-14`, `wasi-libc`,
//! `libclang-rt-14-dev-wasm32`. Their locations can be overridden with
//! `LOCKSTEP_WASM_CLANG`, `LOCKSTEP_WASM_AR`, `LOCKSTEP_WASI_INCLUDE`,
//! `LOCKSTEP_WASI_LIB` and `LOCKSTEP_WASM_BUILTINS`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Lua's core and standard libraries; `ldo.c` is compiled through
/// `wasm/ldo_wasm.c` instead.
const LUA_SOURCES: &[&str] = &[
    "lapi.c",
    "lcode.c",
    "ldebug.c",
    "ldump.c",
    "lfunc.c",
    "lgc.c",
    "llex.c",
    "lmem.c",
    "lobject.c",
    "lopcodes.c",
    "lparser.c",
    "lstate.c",
    "lstring.c",
    "ltable.c",
    "ltm.c",
    "lundump.c",
    "lvm.c",
    "lzio.c",
    "lauxlib.c",
    "lbaselib.c",
    "ldblib.c",
    "liolib.c",
    "lmathlib.c",
    "loslib.c",
    "ltablib.c",
    "lstrlib.c",
    "loadlib.c",
    "linit.c",
];

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if env::var("CARGO_CFG_TARGET_ARCH").as_deref() != Ok("wasm32") {
        return;
    }
    let tools = WasmTools::locate();
    compile_lua(&tools);
    link_c_runtime(&tools);
}

/// Where the wasm C toolchain lives. Every lookup that fails stops the build
/// with the Debian package that provides the missing piece.
struct WasmTools {
    clang: String,
    ar: String,
    wasi_include: PathBuf,
    wasi_lib: PathBuf,
    builtins: PathBuf,
}

impl WasmTools {
    fn locate() -> WasmTools {
        let clang = setting("LOCKSTEP_WASM_CLANG", "clang-14");
        if !runs(&clang, &["--version"]) {
            fail(&format!(
                "`{clang}` was not found; it compiles Lua's C sources for wasm32. \
                 Install it with `apt-get install clang-14` \
                 (or set LOCKSTEP_WASM_CLANG to a clang that targets wasm32)."
            ));
        }
        let ar = setting("LOCKSTEP_WASM_AR", "llvm-ar-14");
        if !runs(&ar, &["--version"]) {
            fail(&format!(
                "`{ar}` was not found; it archives the compiled Lua objects. \
                 It comes with `apt-get install clang-14` (package llvm-14), \
                 or set LOCKSTEP_WASM_AR."
            ));
        }
        let wasi_include =
            PathBuf::from(setting("LOCKSTEP_WASI_INCLUDE", "/usr/include/wasm32-wasi"));
        if !wasi_include.join("stdio.h").is_file() {
            fail(&format!(
                "wasi-libc headers were not found in {}; Lua's C sources need a C library \
                 for wasm32. Install them with `apt-get install wasi-libc` \
                 (or set LOCKSTEP_WASI_INCLUDE).",
                wasi_include.display()
            ));
        }
        let wasi_lib = PathBuf::from(setting("LOCKSTEP_WASI_LIB", "/usr/lib/wasm32-wasi"));
        if !wasi_lib.join("libc.a").is_file() {
            fail(&format!(
                "wasi-libc's libc.a was not found in {}. Install it with \
                 `apt-get install wasi-libc` (or set LOCKSTEP_WASI_LIB).",
                wasi_lib.display()
            ));
        }
        let builtins = match env::var("LOCKSTEP_WASM_BUILTINS") {
            Ok(path) => PathBuf::from(path),
            Err(_) => builtins_path(&clang),
        };
        if !builtins.is_file() {
            fail(&format!(
                "compiler-rt's builtins for wasm32 were not found at {}; wasi-libc's printf \
                 (Lua's number formatting) needs them. Install them with \
                 `apt-get install libclang-rt-14-dev-wasm32` (or set LOCKSTEP_WASM_BUILTINS).",
                builtins.display()
            ));
        }
        for var in [
            "LOCKSTEP_WASM_CLANG",
            "LOCKSTEP_WASM_AR",
            "LOCKSTEP_WASI_INCLUDE",
            "LOCKSTEP_WASI_LIB",
            "LOCKSTEP_WASM_BUILTINS",
        ] {
            println!("cargo:rerun-if-env-changed={var}");
        }
        WasmTools {
            clang,
            ar,
            wasi_include,
            wasi_lib,
            builtins,
        }
    }
}

/// Compiles Lua and the wasm glue into `liblua51.a` in OUT_DIR and links it.
fn compile_lua(tools: &WasmTools) {
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let lua_dir = root.join("lua-5.1.5");
    let wasm_dir = root.join("wasm");
    println!("cargo:rerun-if-changed={}", lua_dir.display());
    println!("cargo:rerun-if-changed={}", wasm_dir.display());

    let mut build = cc::Build::new();
    build
        .compiler(&tools.clang)
        .archiver(&tools.ar)
        .no_default_flags(true)
        .warnings(false)
        .flag("--target=wasm32-wasi")
        .flag("-nostdlibinc")
        .flag("-isystem")
        .flag(tools.wasi_include.to_string_lossy().as_ref())
        // Our <setjmp.h> must win over any other.
        .include(wasm_dir.join("include"))
        .include(&lua_dir)
        .flag(optimization_flag())
        // loslib.c's os.clock uses clock(), which wasi-libc hides behind this.
        .define("_WASI_EMULATED_PROCESS_CLOCKS", None);
    for source in LUA_SOURCES {
        build.file(lua_dir.join(source));
    }
    build
        .file(wasm_dir.join("ldo_wasm.c"))
        .file(wasm_dir.join("wasi_stubs.c"))
        .file(wasm_dir.join("stack_pointer.S"));
    build.compile("lua51");
}

/// Links the C library code the Lua objects call into.
fn link_c_runtime(tools: &WasmTools) {
    println!(
        "cargo:rustc-link-search=native={}",
        tools.wasi_lib.display()
    );
    println!("cargo:rustc-link-lib=static=c");
    let dir = tools.builtins.parent().unwrap_or(Path::new("."));
    let name = tools
        .builtins
        .file_stem()
        .and_then(|stem| stem.to_str())
        .and_then(|stem| stem.strip_prefix("lib"))
        .unwrap_or("clang_rt.builtins-wasm32");
    println!("cargo:rustc-link-search=native={}", dir.display());
    println!("cargo:rustc-link-lib=static={name}");
}

/// Lua's C code is the interpreter's hot path, so even debug builds get it
/// optimised; size-optimised profiles keep it small instead.
fn optimization_flag() -> &'static str {
    match env::var("OPT_LEVEL").as_deref() {
        Ok("s") => "-Os",
        Ok("z") => "-Oz",
        _ => "-O2",
    }
}

/// Asks clang where its compiler-rt builtins for wasm32 live.
fn builtins_path(clang: &str) -> PathBuf {
    let output = Command::new(clang)
        .args(["--target=wasm32-wasi", "-print-libgcc-file-name"])
        .output();
    match output {
        Ok(out) if out.status.success() => {
            PathBuf::from(String::from_utf8_lossy(&out.stdout).trim().to_string())
        }
        _ => PathBuf::new(),
    }
}

fn setting(var: &str, default: &str) -> String {
    env::var(var).unwrap_or_else(|_| default.to_string())
}

fn runs(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|out| out.status.success())
}

fn fail(message: &str) -> ! {
    panic!("lockstep-lua: cannot build Lua for wasm32: {message}");
}
