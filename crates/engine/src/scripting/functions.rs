//! FUNCTION libraries: what is loaded (plain data, so an engine can be
//! cloned), and the compiled callbacks kept in the Lua state.

use std::collections::BTreeMap;

use lockstep_lua::Budget;

use super::environment::{valid_name, Registration, ScriptVm, SCRIPT_FLAGS};

/// A function of a loaded library, as FUNCTION LIST shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionInfo {
    pub name: String,
    pub description: Option<String>,
    /// Bit `i` set: `SCRIPT_FLAGS[i]`.
    pub flags: u8,
}

impl FunctionInfo {
    pub fn no_writes(&self) -> bool {
        self.flags & 1 != 0
    }

    pub fn allow_oom(&self) -> bool {
        self.flags & 2 != 0
    }

    pub fn flag_names(&self) -> Vec<&'static str> {
        SCRIPT_FLAGS
            .iter()
            .enumerate()
            .filter(|(i, _)| self.flags & (1 << i) != 0)
            .map(|(_, f)| *f)
            .collect()
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Library {
    pub name: String,
    /// The whole code as loaded, `#!lua` line included (FUNCTION LIST WITHCODE).
    pub code: Vec<u8>,
    pub functions: Vec<FunctionInfo>,
}

/// Instructions a library's top-level code may run while it loads (Redis
/// stops it after 500 ms).
pub const LOAD_BUDGET: u64 = 5_000_000;

/// The loaded libraries, by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Libraries {
    pub libraries: BTreeMap<String, Library>,
}

/// The parts of a `#!lua name=...` first line.
struct Metadata {
    name: String,
    engine: String,
    /// Offset of the code after the first line (its line feed included).
    code_start: usize,
}

/// `functionExtractLibMetaData`.
fn metadata(code: &[u8]) -> Result<Metadata, String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let end = code
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("Invalid library metadata")?;
    // Redis splits the line as a command line (`sdssplitargs`), so quotes
    // work: `name="foo"` names `foo`.
    let words = crate::inline::split_args(&code[..end]).map_err(|_| "Invalid library metadata")?;
    let mut parts = words
        .iter()
        .map(|w| String::from_utf8_lossy(w).into_owned());
    let engine = parts.next().ok_or("Invalid library metadata")?;
    let engine = engine.get(2..).unwrap_or_default().to_string();
    let mut name = None;
    for part in parts {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case("name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(part[5..].to_string());
            continue;
        }
        return Err(format!("Invalid metadata value given: {part}"));
    }
    let name = name.ok_or("Library name was not given")?;
    Ok(Metadata {
        name,
        engine,
        code_start: end,
    })
}

impl Libraries {
    /// The library that owns function `name` (names are case-insensitive,
    /// as in Redis's function dictionary).
    pub fn function(&self, name: &str) -> Option<(&Library, &FunctionInfo)> {
        self.libraries.values().find_map(|lib| {
            lib.functions
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case(name))
                .map(|f| (lib, f))
        })
    }

    /// FUNCTION LOAD: compiles and registers a library, replacing one of
    /// the same name only with `replace`. Returns its name, or Redis's error
    /// text (without the `ERR ` code).
    pub fn load(
        &mut self,
        vm: &mut ScriptVm,
        code: &[u8],
        replace: bool,
    ) -> Result<String, String> {
        let md = metadata(code)?;
        if !valid_name(&md.name) {
            return Err("Library names can only contain letters, numbers, or underscores(_) and must be at least one character long".into());
        }
        if !md.engine.eq_ignore_ascii_case("lua") {
            return Err(format!("Engine '{}' not found", md.engine));
        }
        if self.libraries.contains_key(&md.name) && !replace {
            return Err(format!("Library '{}' already exists", md.name));
        }
        let registered =
            vm.load_library(&code[md.code_start..], Budget::instructions(LOAD_BUDGET))?;
        if registered.is_empty() {
            return Err("No functions registered".into());
        }
        for r in &registered {
            if let Some((owner, _)) = self.function(&r.name) {
                if owner.name != md.name {
                    return Err(format!("Function {} already exists", r.name));
                }
            }
        }
        if let Some(old) = self.libraries.remove(&md.name) {
            for f in old.functions {
                vm.functions.remove(&f.name.to_ascii_lowercase());
            }
        }
        let functions = registered.iter().map(info).collect();
        install(vm, registered);
        self.libraries.insert(
            md.name.clone(),
            Library {
                name: md.name.clone(),
                code: code.to_vec(),
                functions,
            },
        );
        Ok(md.name)
    }

    /// FUNCTION DELETE.
    pub fn delete(&mut self, vm: Option<&mut ScriptVm>, name: &str) -> bool {
        let Some(lib) = self.libraries.remove(name) else {
            return false;
        };
        if let Some(vm) = vm {
            for f in lib.functions {
                vm.functions.remove(&f.name.to_ascii_lowercase());
            }
        }
        true
    }

    /// Loads every library into a fresh Lua state (after the engine was
    /// cloned or its state rebuilt).
    pub fn reload_into(&self, vm: &mut ScriptVm) {
        for lib in self.libraries.values() {
            if lib
                .functions
                .iter()
                .all(|f| vm.functions.contains_key(&f.name.to_ascii_lowercase()))
            {
                continue;
            }
            if let Ok(md) = metadata(&lib.code) {
                if let Ok(registered) = vm.load_library(
                    &lib.code[md.code_start..],
                    Budget::instructions(LOAD_BUDGET),
                ) {
                    install(vm, registered);
                }
            }
        }
    }
}

fn info(r: &Registration) -> FunctionInfo {
    FunctionInfo {
        name: r.name.clone(),
        description: r.description.clone(),
        flags: r.flags,
    }
}

fn install(vm: &mut ScriptVm, registered: Vec<Registration>) {
    for r in registered {
        vm.functions.insert(r.name.to_ascii_lowercase(), r.callback);
    }
}
