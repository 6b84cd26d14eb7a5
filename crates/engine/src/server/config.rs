//! CONFIG GET/SET parameters, with Redis 7.0's names, aliases, defaults and
//! validation errors.
//!
//! Every parameter Redis 7.0 knows is listed (see `config/table.rs`), so
//! CONFIG GET with a pattern returns what the real server returns. Setting
//! one validates it by its type exactly as `config.c` does (yes/no, one of
//! an enum, an integer in bounds, a memory value such as `1gb`); only a few
//! parameters change how the model behaves (`slowlog-*`, `busy-reply-threshold`,
//! `appendonly`, `appendfsync`, `maxmemory*`, `hz`, `enable-debug-command`, ...).
//! The others are stored and reported back, nothing more.
//!
//! Values that depend on how a real server was launched follow the launch
//! the differential suite uses (`--save '' --bind 127.0.0.1`): the model
//! never writes snapshots, so `save` is empty by default.

mod table;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::OnceLock;

use table::PARAMS;

/// Parameter flags, as in `config.c`.
pub(crate) mod flag {
    /// Only settable at start-up: `can't set immutable config`.
    pub const IMMUTABLE: u8 = 1 << 0;
    /// Only matched by its exact name, never by a CONFIG GET pattern.
    pub const HIDDEN: u8 = 1 << 1;
    /// Refused unless `enable-protected-configs` allows it.
    pub const PROTECTED: u8 = 1 << 2;
    /// Redacted from SLOWLOG and MONITOR (passwords).
    pub const SENSITIVE: u8 = 1 << 3;
    /// The value is a space-separated list (`save`, `bind`).
    pub const MULTI_ARG: u8 = 1 << 4;
    /// Refused while the dataset loads; informative here.
    pub const DENY_LOADING: u8 = 1 << 5;
}

/// How a parameter's value is parsed and printed.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Kind {
    /// `yes` or `no`.
    Bool,
    /// One of the listed names (case-insensitive), in Redis's order.
    Enum(&'static [&'static str]),
    /// An integer within bounds; `memory` values take units (`1gb`),
    /// `percent` values may be given as `N%` (stored negative), `octal`
    /// ones are base 8. Unsigned types are bound-checked as unsigned, so a
    /// negative number fails the bounds rather than the parse.
    Numeric {
        lower: i128,
        upper: i128,
        unsigned: bool,
        memory: bool,
        percent: bool,
        octal: bool,
    },
    /// Free text.
    Text,
    /// A parameter with its own syntax (`save`, `bind`, `client-output-buffer-limit`, ...).
    Special,
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct ParamDef {
    pub name: &'static str,
    pub alias: Option<&'static str>,
    pub flags: u8,
    pub kind: Kind,
    pub default: &'static str,
}

impl ParamDef {
    fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
}

/// Name (primary or alias, lower case) -> index into `PARAMS`.
fn index() -> &'static BTreeMap<&'static str, usize> {
    static INDEX: OnceLock<BTreeMap<&'static str, usize>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map = BTreeMap::new();
        for (i, p) in PARAMS.iter().enumerate() {
            map.insert(p.name, i);
            if let Some(alias) = p.alias {
                map.insert(alias, i);
            }
        }
        map
    })
}

fn lookup(name: &[u8]) -> Option<usize> {
    crate::names::find_ignore_case(index(), name)
}

/// A parameter, by its place in the table: what code that reads a
/// parameter on every command holds instead of its name (see [`param!`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Param(usize);

impl Param {
    /// The parameter called `name` (primary name or alias).
    pub fn named(name: &str) -> Option<Param> {
        lookup(name.as_bytes()).map(Param)
    }
}

/// The [`Param`] of a literal parameter name, looked up by name once per
/// place it is written rather than on every call: the dispatcher reads
/// several parameters per command, and finding each by name showed in
/// profiles.
macro_rules! param {
    ($name:literal) => {{
        static PARAM: std::sync::OnceLock<$crate::server::config::Param> =
            std::sync::OnceLock::new();
        *PARAM.get_or_init(|| {
            $crate::server::config::Param::named($name)
                .expect(concat!("a configuration parameter named ", $name))
        })
    }};
}
pub(crate) use param;

/// The node's configuration: one current value per parameter, kept in the
/// textual form CONFIG GET prints. Defaults are borrowed from the table
/// (nothing to allocate when a world starts its nodes); a value set is
/// owned.
#[derive(Clone, Debug)]
pub struct Config {
    values: Vec<Cow<'static, str>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            values: PARAMS.iter().map(|p| Cow::Borrowed(p.default)).collect(),
        }
    }
}

/// Why a CONFIG SET failed, rendered exactly as Redis words it.
#[derive(Clone, Debug, PartialEq)]
pub enum ConfigSetError {
    Unknown(String),
    Failed { arg: String, reason: String },
}

impl ConfigSetError {
    pub fn message(&self) -> String {
        match self {
            ConfigSetError::Unknown(name) => {
                format!("ERR Unknown option or number of arguments for CONFIG SET - '{name}'")
            }
            ConfigSetError::Failed { arg, reason } => {
                format!("ERR CONFIG SET failed (possibly related to argument '{arg}') - {reason}")
            }
        }
    }
}

impl Config {
    /// The current value of `name` (primary name or alias), if it exists.
    pub fn get(&self, name: &str) -> Option<&str> {
        lookup(name.as_bytes()).map(|i| self.values[i].as_ref())
    }

    /// The current value of a parameter found beforehand.
    pub fn value(&self, param: Param) -> &str {
        &self.values[param.0]
    }

    fn int_value(&self, param: Param) -> i64 {
        self.value(param).parse().unwrap_or(0)
    }

    /// An integer parameter's value (0 if it is not one).
    pub fn int(&self, name: &str) -> i64 {
        self.get(name).and_then(|v| v.parse().ok()).unwrap_or(0)
    }

    pub fn slowlog_log_slower_than(&self) -> i64 {
        self.int_value(param!("slowlog-log-slower-than"))
    }

    pub fn slowlog_max_len(&self) -> usize {
        usize::try_from(self.int_value(param!("slowlog-max-len"))).unwrap_or(usize::MAX)
    }

    /// How long a script may run before other clients get BUSY, in ms.
    pub fn busy_reply_threshold_ms(&self) -> i64 {
        self.int_value(param!("busy-reply-threshold"))
    }

    pub fn hz(&self) -> i64 {
        self.int("hz")
    }

    /// Whether a protected command (DEBUG) may run for a client at `addr`:
    /// `yes`, or `local` and a loopback address.
    pub fn debug_command_allowed(&self, addr: &str) -> bool {
        match self.get("enable-debug-command") {
            Some("yes") => true,
            Some("local") => addr.starts_with("127.") || addr.starts_with("[::1]"),
            _ => false,
        }
    }

    /// CONFIG GET: the parameters matching any of `patterns`, each as
    /// (name, value). An exact name is echoed as typed; a pattern
    /// (containing `*`, `?` or `[`) matches primary names and aliases alike,
    /// case-insensitively, but never hidden parameters. Redis replies in its
    /// dictionary's hash order; this is table order.
    pub fn get_matching(&self, patterns: &[Vec<u8>]) -> Vec<(Vec<u8>, String)> {
        let mut out: Vec<(Vec<u8>, String)> = Vec::new();
        let seen = |out: &Vec<(Vec<u8>, String)>, name: &[u8]| {
            out.iter().any(|(n, _)| n.eq_ignore_ascii_case(name))
        };
        for pattern in patterns {
            let is_glob = pattern.iter().any(|b| matches!(b, b'*' | b'?' | b'['));
            if !is_glob {
                if seen(&out, pattern) {
                    continue;
                }
                if let Some(i) = lookup(pattern) {
                    out.push((pattern.clone(), self.values[i].to_string()));
                }
                continue;
            }
            for (i, p) in PARAMS.iter().enumerate() {
                if p.has(flag::HIDDEN) {
                    continue;
                }
                for name in std::iter::once(p.name).chain(p.alias) {
                    if !seen(&out, name.as_bytes()) && glob_match(pattern, name.as_bytes()) {
                        out.push((name.as_bytes().to_vec(), self.values[i].to_string()));
                    }
                }
            }
        }
        out
    }

    /// CONFIG SET with one or more (name, value) pairs, all or nothing, with
    /// the first error Redis would report. A parameter named twice is an
    /// error, but its primary name and its alias count as two parameters
    /// (Redis registers the alias as a separate table entry): the last one
    /// given wins.
    pub fn set_many(&mut self, pairs: &[(&[u8], &[u8])]) -> Result<(), ConfigSetError> {
        let mut chosen: Vec<usize> = Vec::with_capacity(pairs.len());
        let mut entries: Vec<(usize, bool)> = Vec::with_capacity(pairs.len());
        let mut first_error: Option<ConfigSetError> = None;
        for (name, _) in pairs {
            let typed = String::from_utf8_lossy(name).into_owned();
            let Some(i) = lookup(name) else {
                first_error.get_or_insert(ConfigSetError::Unknown(typed));
                continue;
            };
            if first_error.is_some() {
                continue;
            }
            let def = &PARAMS[i];
            let via_alias = def.alias.is_some_and(|a| a.eq_ignore_ascii_case(&typed));
            let refusal = if def.has(flag::IMMUTABLE) {
                Some("can't set immutable config")
            } else if def.has(flag::PROTECTED) && !self.protected_configs_allowed() {
                Some("can't set protected config")
            } else if entries.contains(&(i, via_alias)) {
                Some("duplicate parameter")
            } else {
                None
            };
            if let Some(reason) = refusal {
                first_error = Some(ConfigSetError::Failed {
                    arg: typed,
                    reason: reason.into(),
                });
            }
            chosen.push(i);
            entries.push((i, via_alias));
        }
        if let Some(e) = first_error {
            return Err(e);
        }
        let mut new_values = self.values.clone();
        for (&i, (name, value)) in chosen.iter().zip(pairs) {
            let def = &PARAMS[i];
            match parse_value(def, value) {
                Ok(v) => new_values[i] = Cow::Owned(v),
                Err(reason) => {
                    // Redis names the parameter as its table entry does:
                    // the alias if the alias was used.
                    let lower = String::from_utf8_lossy(name).to_ascii_lowercase();
                    let arg = if Some(lower.as_str()) == def.alias {
                        lower
                    } else {
                        def.name.to_string()
                    };
                    return Err(ConfigSetError::Failed { arg, reason });
                }
            }
        }
        self.values = new_values;
        self.apply_side_rules();
        Ok(())
    }

    /// Sets a parameter the way a config file or command-line option does
    /// at start-up: immutable and protected parameters included, with the
    /// same validation as CONFIG SET.
    pub fn set_startup(&mut self, name: &str, value: &str) -> Result<(), String> {
        let i = lookup(name.as_bytes()).ok_or_else(|| format!("unknown parameter '{name}'"))?;
        self.values[i] = Cow::Owned(parse_value(&PARAMS[i], value.as_bytes())?);
        self.apply_side_rules();
        Ok(())
    }

    fn protected_configs_allowed(&self) -> bool {
        matches!(self.get("enable-protected-configs"), Some("yes" | "local"))
    }

    /// Adjustments Redis's apply functions make after a successful SET.
    fn apply_side_rules(&mut self) {
        // updateHZ: hz is a hint, clamped to 1..=500.
        if let Some(i) = lookup(b"hz") {
            let hz = self.values[i].parse::<i64>().unwrap_or(10).clamp(1, 500);
            self.values[i] = Cow::Owned(hz.to_string());
        }
    }
}

/// Parses `value` for `def`, returning the normalized text CONFIG GET will
/// print, or Redis's reason for refusing it.
fn parse_value(def: &ParamDef, value: &[u8]) -> Result<String, String> {
    let text = String::from_utf8_lossy(value).into_owned();
    match def.kind {
        Kind::Bool => {
            if text.eq_ignore_ascii_case("yes") {
                Ok("yes".into())
            } else if text.eq_ignore_ascii_case("no") {
                Ok("no".into())
            } else {
                Err("argument must be 'yes' or 'no'".into())
            }
        }
        Kind::Enum(options) => parse_enum(def, options, &text),
        Kind::Numeric {
            lower,
            upper,
            unsigned,
            memory,
            percent,
            octal,
        } => {
            let n = parse_numeric(&text, memory, percent, octal)?;
            let in_bounds = if unsigned {
                // The C code stores the parsed long long in an unsigned type.
                let u = n as u64 as i128;
                u >= lower && u <= upper
            } else if percent && n < 0 {
                if i128::from(n) < lower {
                    return Err(format!(
                        "percentage argument must be less or equal to {}",
                        -lower
                    ));
                }
                true
            } else {
                i128::from(n) >= lower && i128::from(n) <= upper
            };
            if !in_bounds {
                return Err(if octal {
                    format!("argument must be between {lower:o} and {upper:o} inclusive")
                } else {
                    format!("argument must be between {lower} and {upper} inclusive")
                });
            }
            Ok(if percent && n < 0 {
                format!("{}%", -n)
            } else if memory || unsigned {
                (n as u64).to_string()
            } else if octal {
                format!("{n:o}")
            } else {
                n.to_string()
            })
        }
        Kind::Text => Ok(text),
        Kind::Special => parse_special(def, &text),
    }
}

fn parse_enum(def: &ParamDef, options: &[&str], text: &str) -> Result<String, String> {
    let words: Vec<&str> = if def.has(flag::MULTI_ARG) {
        text.split(' ').collect()
    } else {
        vec![text]
    };
    let mut picked = Vec::new();
    for word in words {
        match options.iter().find(|o| o.eq_ignore_ascii_case(word)) {
            Some(o) => picked.push(*o),
            None => {
                return Err(format!(
                    "argument(s) must be one of the following: {}",
                    options.join(", ")
                ))
            }
        }
    }
    Ok(picked.join(" "))
}

/// `numericParseString`: memory units, then `N%`, then octal, then a plain
/// integer (only for parameters with none of those forms).
fn parse_numeric(text: &str, memory: bool, percent: bool, octal: bool) -> Result<i64, String> {
    if memory {
        if let Some(n) = parse_memory(text) {
            return Ok(n as i64);
        }
    }
    if percent && text.len() > 1 && text.ends_with('%') {
        if let Some(n) = crate::numbers::parse_i64(&text.as_bytes()[..text.len() - 1]) {
            if n >= 0 {
                return Ok(-n);
            }
        }
    }
    if octal {
        if let Some(n) = parse_octal(text) {
            return Ok(n);
        }
    }
    if !memory && !percent && !octal {
        if let Some(n) = crate::numbers::parse_i64(text.as_bytes()) {
            return Ok(n);
        }
    }
    Err(if memory && percent {
        "argument must be a memory or percent value"
    } else if memory {
        "argument must be a memory value"
    } else if octal {
        "argument couldn't be parsed as an octal number"
    } else {
        "argument couldn't be parsed into an integer"
    }
    .into())
}

/// Redis's `memtoull`: digits then an optional unit (b, k, kb, m, mb, g,
/// gb, any case). Like `strtoull`, an overflowing number saturates and the
/// multiplication wraps.
fn parse_memory(text: &str) -> Option<u64> {
    if text.starts_with('-') {
        return None;
    }
    let digits_end = text
        .bytes()
        .position(|b| !b.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(digits_end);
    let mul: u64 = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" => 1000,
        "kb" => 1024,
        "m" => 1000 * 1000,
        "mb" => 1024 * 1024,
        "g" => 1000 * 1000 * 1000,
        "gb" => 1024 * 1024 * 1024,
        _ => return None,
    };
    if digits.len() >= 128 {
        return None;
    }
    let value = if digits.is_empty() {
        0
    } else {
        digits.parse::<u64>().unwrap_or(u64::MAX)
    };
    Some(value.wrapping_mul(mul))
}

/// `strtoll(s, &end, 8)` accepting the whole string: optional spaces and
/// sign, then octal digits.
fn parse_octal(text: &str) -> Option<i64> {
    let t = text.trim_start();
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() || !digits.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return None;
    }
    let n = i64::from_str_radix(digits, 8).ok()?;
    Some(if neg { -n } else { n })
}

fn parse_special(def: &ParamDef, text: &str) -> Result<String, String> {
    match def.name {
        "save" => parse_save(text),
        "notify-keyspace-events" => parse_event_classes(text),
        _ => Ok(text.to_string()),
    }
}

/// `keyspaceEventsStringToFlags` then `keyspaceEventsFlagsToString`: the
/// classes are stored in Redis's canonical order (`KA` reads back `AK`).
fn parse_event_classes(text: &str) -> Result<String, String> {
    const CLASSES: &str = "g$lshzxetd";
    let mut set = std::collections::BTreeSet::new();
    for c in text.chars() {
        match c {
            'A' => set.extend(CLASSES.chars()),
            'g' | '$' | 'l' | 's' | 'h' | 'z' | 'x' | 'e' | 'K' | 'E' | 't' | 'm' | 'd' | 'n' => {
                set.insert(c);
            }
            _ => return Err("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.".into()),
        }
    }
    let mut out = String::new();
    if CLASSES.chars().all(|c| set.contains(&c)) {
        out.push('A');
    } else {
        out.extend("g$lshzxetdn".chars().filter(|c| set.contains(c)));
    }
    out.extend("KEm".chars().filter(|c| set.contains(c)));
    Ok(out)
}

/// `setConfigSaveOption`: pairs of `seconds changes`, seconds >= 1,
/// changes >= 0; an empty string disables snapshots.
fn parse_save(text: &str) -> Result<String, String> {
    let invalid = || "Invalid save parameters".to_string();
    let args: Vec<&str> = text.split(' ').collect();
    if args == [""] {
        return Ok(String::new());
    }
    if args.len() % 2 == 1 {
        return Err(invalid());
    }
    let mut numbers = Vec::with_capacity(args.len());
    for (j, arg) in args.iter().enumerate() {
        let n = parse_strtoll_whole(arg).ok_or_else(invalid)?;
        if (j % 2 == 0 && n < 1) || (j % 2 == 1 && n < 0) {
            return Err(invalid());
        }
        numbers.push(n);
    }
    // The changes count is an int in Redis, printed with %d.
    Ok(numbers
        .chunks(2)
        .map(|p| format!("{} {}", p[0], p[1] as i32))
        .collect::<Vec<_>>()
        .join(" "))
}

/// `strtoll(s, &end, 10)` where the whole string must be consumed: leading
/// spaces and a sign are allowed, an empty number reads as 0, overflow
/// saturates.
fn parse_strtoll_whole(s: &str) -> Option<i64> {
    let t = s.trim_start_matches([' ', '\t', '\n', '\r', '\x0b', '\x0c']);
    let (neg, digits) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if digits.is_empty() {
        // strtoll consumed nothing: the end pointer is the start, so the
        // whole string is consumed only if it was empty.
        return if s.is_empty() { Some(0) } else { None };
    }
    let magnitude: i128 = digits.parse().unwrap_or(i128::MAX);
    let v = if neg { -magnitude } else { magnitude };
    Some(v.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64)
}

/// Parameter names match patterns as Redis's `stringmatchlen` does,
/// ignoring case.
pub fn glob_match(pattern: &[u8], name: &[u8]) -> bool {
    crate::glob::string_match(pattern, name, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(c: &mut Config, name: &str, value: &str) -> Result<(), String> {
        c.set_many(&[(name.as_bytes(), value.as_bytes())])
            .map_err(|e| e.message())
    }

    #[test]
    fn enum_errors_list_options_in_redis_order() {
        let mut c = Config::default();
        assert_eq!(
            set(&mut c, "appendfsync", "sometimes"),
            Err("ERR CONFIG SET failed (possibly related to argument 'appendfsync') - argument(s) must be one of the following: everysec, always, no".into())
        );
        assert_eq!(set(&mut c, "APPENDFSYNC", "Always"), Ok(()));
        assert_eq!(c.get("appendfsync"), Some("always"));
    }

    #[test]
    fn aliases_share_one_value() {
        let mut c = Config::default();
        assert_eq!(set(&mut c, "lua-time-limit", "3000"), Ok(()));
        assert_eq!(c.busy_reply_threshold_ms(), 3000);
        assert_eq!(
            set(&mut c, "LUA-TIME-LIMIT", "x"),
            Err("ERR CONFIG SET failed (possibly related to argument 'lua-time-limit') - argument couldn't be parsed into an integer".into())
        );
    }

    #[test]
    fn memory_values_take_units() {
        let mut c = Config::default();
        assert_eq!(set(&mut c, "maxmemory", "1gb"), Ok(()));
        assert_eq!(c.get("maxmemory"), Some("1073741824"));
        assert_eq!(
            set(&mut c, "maxmemory", "1.5gb"),
            Err("ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value".into())
        );
    }

    #[test]
    fn multi_set_is_all_or_nothing() {
        let mut c = Config::default();
        let r = c.set_many(&[(b"hz", b"20"), (b"appendonly", b"maybe")]);
        assert!(r.is_err());
        assert_eq!(c.hz(), 10);
        let r = c.set_many(&[(b"hz", b"20"), (b"nosuch", b"1")]);
        assert_eq!(
            r.map_err(|e| e.message()),
            Err("ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'".into())
        );
    }

    #[test]
    fn save_is_validated_and_normalized() {
        let mut c = Config::default();
        assert_eq!(set(&mut c, "save", "100 10 60 +5"), Ok(()));
        assert_eq!(c.get("save"), Some("100 10 60 5"));
        assert!(set(&mut c, "save", "100").is_err());
        assert!(set(&mut c, "save", "0 1").is_err());
        assert_eq!(set(&mut c, "save", ""), Ok(()));
        assert_eq!(c.get("save"), Some(""));
    }

    #[test]
    fn glob_matches_like_stringmatchlen() {
        assert!(glob_match(b"*max*", b"maxmemory"));
        assert!(glob_match(b"MAXMEM?RY", b"maxmemory"));
        assert!(glob_match(b"[a-m]axmemory", b"maxmemory"));
        assert!(!glob_match(b"[^m]axmemory", b"maxmemory"));
        assert!(glob_match(b"slowlog-*", b"slowlog-max-len"));
        assert!(!glob_match(b"slowlog", b"slowlog-max-len"));
    }
}
