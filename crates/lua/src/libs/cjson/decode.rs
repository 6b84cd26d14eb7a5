//! `cjson.decode`: JSON text to Lua values.
//!
//! The tokenizer is the C one, quirks included: the text is read as a C
//! string (a NUL byte ends it), numbers are whatever `strtod` accepts (with
//! `decode_invalid_numbers` on, the default, that includes `0x10`, `+1`,
//! `inf`, `nan` and leading zeros), raw control characters inside strings
//! pass through, and `\u` escapes become UTF-8 (surrogate pairs joined,
//! `\u0000` a NUL byte). `null` decodes to `cjson.null`.
//!
//! Containers are built on the Lua stack as the C recursion builds them
//! (object: table, key, value; array: table, value), with a frame per open
//! container in the scratch instead of Rust recursion, so the depth limits
//! (`decode_max_depth`, `lua_checkstack`) fall where they do in Redis.

use std::ffi::c_int;

use super::Config;
use crate::cnum::strtod;
use crate::libs::host::Failure;
use crate::libs::stack::Stack;

/// Working memory of one `cjson.decode` call.
#[derive(Default)]
pub(in crate::libs) struct Scratch {
    /// The current string token, unescaped.
    string: Vec<u8>,
    frames: Vec<Container>,
}

/// A container being filled.
enum Container {
    /// The next element goes to this index.
    Array {
        index: c_int,
    },
    Object,
}

#[derive(Clone, Copy, PartialEq)]
enum Token {
    ObjectBegin,
    ObjectEnd,
    ArrayBegin,
    ArrayEnd,
    /// Its bytes are in the scratch.
    String,
    Number(f64),
    Boolean(bool),
    Null,
    Colon,
    Comma,
    End,
    /// A lexical error, with its description.
    Error(&'static str),
}

impl Token {
    /// How parse errors name what was found (`json_token_type_name`, or the
    /// lexical error).
    fn name(self) -> &'static str {
        match self {
            Token::ObjectBegin => "T_OBJ_BEGIN",
            Token::ObjectEnd => "T_OBJ_END",
            Token::ArrayBegin => "T_ARR_BEGIN",
            Token::ArrayEnd => "T_ARR_END",
            Token::String => "T_STRING",
            Token::Number(_) => "T_NUMBER",
            Token::Boolean(_) => "T_BOOLEAN",
            Token::Null => "T_NULL",
            Token::Colon => "T_COLON",
            Token::Comma => "T_COMMA",
            Token::End => "T_END",
            Token::Error(what) => what,
        }
    }
}

/// A token and the byte offset it was found at (for errors).
#[derive(Clone, Copy)]
struct Found {
    token: Token,
    index: usize,
}

/// Decodes `text` (argument 1) and leaves the value on top of the stack.
pub(super) fn decode(
    lua: Stack,
    config: &Config,
    text: &[u8],
    scratch: &mut Scratch,
) -> Result<(), Failure> {
    // Only the first character is sure to be ASCII; a NUL in the first two
    // betrays UTF-16 or UTF-32.
    if text.len() >= 2 && (text[0] == 0 || text[1] == 0) {
        return Err(Failure::error(format_args!(
            "JSON parser does not support UTF-16 or UTF-32"
        )));
    }
    let Scratch { string, frames } = scratch;
    frames.clear();
    let mut lexer = Lexer {
        text,
        pos: 0,
        invalid_numbers: config.decode_invalid_numbers != 0,
        string,
    };
    let mut depth: c_int = 0;
    let mut found = lexer.next_token();
    'value: loop {
        match found.token {
            Token::String => lua.push_bytes(lexer.string),
            Token::Number(n) => lua.push_number(n),
            Token::Boolean(b) => lua.push_bool(b),
            Token::Null => lua.push_null(),
            Token::ObjectBegin => {
                // Room for table, key, value.
                descend(lua, config, &mut depth, &lexer, 3)?;
                lua.new_table();
                found = lexer.next_token();
                if found.token == Token::ObjectEnd {
                    depth -= 1;
                } else {
                    frames.push(Container::Object);
                    found = object_key(lua, &mut lexer, found)?;
                    continue 'value;
                }
            }
            Token::ArrayBegin => {
                descend(lua, config, &mut depth, &lexer, 2)?;
                lua.new_table();
                found = lexer.next_token();
                if found.token == Token::ArrayEnd {
                    depth -= 1;
                } else {
                    frames.push(Container::Array { index: 1 });
                    continue 'value;
                }
            }
            _ => return Err(unexpected("value", found)),
        }
        // A complete value is on top: store it and find the next one.
        loop {
            match frames.last_mut() {
                None => break 'value,
                Some(Container::Array { index }) => {
                    lua.raw_set_index(-2, *index);
                    found = lexer.next_token();
                    match found.token {
                        Token::ArrayEnd => {
                            depth -= 1;
                            frames.pop();
                        }
                        Token::Comma => {
                            *index += 1;
                            found = lexer.next_token();
                            continue 'value;
                        }
                        _ => return Err(unexpected("comma or array end", found)),
                    }
                }
                Some(Container::Object) => {
                    lua.raw_set(-3);
                    found = lexer.next_token();
                    match found.token {
                        Token::ObjectEnd => {
                            depth -= 1;
                            frames.pop();
                        }
                        Token::Comma => {
                            found = lexer.next_token();
                            found = object_key(lua, &mut lexer, found)?;
                            continue 'value;
                        }
                        _ => return Err(unexpected("comma or object end", found)),
                    }
                }
            }
        }
    }
    let found = lexer.next_token();
    if found.token != Token::End {
        return Err(unexpected("the end", found));
    }
    Ok(())
}

/// Pushes the key `found` must be, checks the colon after it, and returns
/// the token that starts the member's value.
fn object_key(lua: Stack, lexer: &mut Lexer<'_>, found: Found) -> Result<Found, Failure> {
    if found.token != Token::String {
        return Err(unexpected("object key string", found));
    }
    lua.push_bytes(lexer.string);
    let colon = lexer.next_token();
    if colon.token != Token::Colon {
        return Err(unexpected("colon", colon));
    }
    Ok(lexer.next_token())
}

/// `json_decode_descend`: one level deeper, within `decode_max_depth` and
/// with `slots` more stack slots.
fn descend(
    lua: Stack,
    config: &Config,
    depth: &mut c_int,
    lexer: &Lexer<'_>,
    slots: c_int,
) -> Result<(), Failure> {
    *depth += 1;
    if *depth <= config.decode_max_depth && lua.check_stack(slots) {
        return Ok(());
    }
    Err(Failure::error(format_args!(
        "Found too many nested data structures ({}) at character {}",
        *depth, lexer.pos
    )))
}

/// `json_throw_parse_error` (characters count from 1).
fn unexpected(expected: &str, found: Found) -> Failure {
    Failure::error(format_args!(
        "Expected {expected} but found {} at character {}",
        found.token.name(),
        found.index + 1
    ))
}

/// How the tokenizer classifies a token's first byte (`ch2token`).
enum Start {
    Single(Token),
    Whitespace,
    /// Needs a closer look: strings, numbers, literals.
    Unknown,
    Invalid,
}

fn classify(b: u8) -> Start {
    match b {
        b'{' => Start::Single(Token::ObjectBegin),
        b'}' => Start::Single(Token::ObjectEnd),
        b'[' => Start::Single(Token::ArrayBegin),
        b']' => Start::Single(Token::ArrayEnd),
        b',' => Start::Single(Token::Comma),
        b':' => Start::Single(Token::Colon),
        0 => Start::Single(Token::End),
        b' ' | b'\t' | b'\n' | b'\r' => Start::Whitespace,
        b'f' | b'i' | b'I' | b'n' | b'N' | b't' | b'"' | b'+' | b'-' | b'0'..=b'9' => {
            Start::Unknown
        }
        _ => Start::Invalid,
    }
}

struct Lexer<'a> {
    text: &'a [u8],
    pos: usize,
    invalid_numbers: bool,
    /// Where string tokens are unescaped into.
    string: &'a mut Vec<u8>,
}

impl Lexer<'_> {
    /// The byte at `i`; the C string's terminating NUL past the end.
    fn at(&self, i: usize) -> u8 {
        self.text.get(i).copied().unwrap_or(0)
    }

    fn looking_at(&self, word: &[u8]) -> bool {
        word.iter()
            .enumerate()
            .all(|(i, &b)| self.at(self.pos + i) == b)
    }

    /// An error token at the current position, which is left there.
    fn error(&self, what: &'static str) -> Found {
        Found {
            token: Token::Error(what),
            index: self.pos,
        }
    }

    /// `json_next_token`.
    fn next_token(&mut self) -> Found {
        let start = loop {
            match classify(self.at(self.pos)) {
                Start::Whitespace => self.pos += 1,
                start => break start,
            }
        };
        let index = self.pos;
        let token = match start {
            Start::Invalid => return self.error("invalid token"),
            Start::Single(Token::End) => Token::End,
            Start::Single(token) => {
                self.pos += 1;
                token
            }
            Start::Whitespace | Start::Unknown => {
                let ch = self.at(self.pos);
                if ch == b'"' {
                    return self.string_token();
                } else if ch == b'-' || ch.is_ascii_digit() {
                    if !self.invalid_numbers && self.is_invalid_number() {
                        return self.error("invalid number");
                    }
                    return self.number_token();
                } else if self.looking_at(b"true") {
                    self.pos += 4;
                    Token::Boolean(true)
                } else if self.looking_at(b"false") {
                    self.pos += 5;
                    Token::Boolean(false)
                } else if self.looking_at(b"null") {
                    self.pos += 4;
                    Token::Null
                } else if self.invalid_numbers && self.is_invalid_number() {
                    return self.number_token();
                } else {
                    return self.error("invalid token");
                }
            }
        };
        Found { token, index }
    }

    /// `json_is_invalid_number`: forms `strtod` takes but JSON does not
    /// (a leading `+`, hex, leading zeros, inf, nan).
    fn is_invalid_number(&self) -> bool {
        let mut p = self.pos;
        if self.at(p) == b'+' {
            return true;
        }
        if self.at(p) == b'-' {
            p += 1;
        }
        let c = self.at(p);
        if c == b'0' {
            let next = self.at(p + 1);
            return (next | 0x20) == b'x' || next.is_ascii_digit();
        }
        // `char` is signed: bytes from 0x80 compare below '9'.
        if c <= b'9' || c >= 0x80 {
            return false;
        }
        let word = |w: &[u8]| {
            w.iter()
                .enumerate()
                .all(|(i, b)| self.at(p + i) | 0x20 == *b)
        };
        word(b"inf") || word(b"nan")
    }

    /// `json_next_number_token`.
    fn number_token(&mut self) -> Found {
        let index = self.pos;
        let parsed = strtod(&self.text[self.pos.min(self.text.len())..]);
        if parsed.len == 0 {
            return self.error("invalid number");
        }
        self.pos += parsed.len;
        Found {
            token: Token::Number(parsed.value),
            index,
        }
    }

    /// `json_next_string_token`, starting at the opening quote.
    fn string_token(&mut self) -> Found {
        let index = self.pos;
        self.pos += 1;
        self.string.clear();
        loop {
            let mut ch = self.at(self.pos);
            if ch == b'"' {
                break;
            }
            if ch == 0 {
                return self.error("unexpected end of string");
            }
            if ch == b'\\' {
                ch = match self.at(self.pos + 1) {
                    b'"' => b'"',
                    b'\\' => b'\\',
                    b'/' => b'/',
                    b'b' => 0x08,
                    b't' => b'\t',
                    b'n' => b'\n',
                    b'f' => 0x0c,
                    b'r' => b'\r',
                    b'u' => {
                        if self.unicode_escape() {
                            continue;
                        }
                        return self.error("invalid unicode escape code");
                    }
                    _ => return self.error("invalid escape code"),
                };
                self.pos += 1;
            }
            self.string.push(ch);
            self.pos += 1;
        }
        self.pos += 1;
        Found {
            token: Token::String,
            index,
        }
    }

    /// `decode_hex4` at `i`: four hex digits, or None.
    fn hex4(&self, i: usize) -> Option<u32> {
        (0..4).try_fold(0u32, |acc, k| {
            let digit = char::from(self.at(i + k)).to_digit(16)?;
            Some(acc << 4 | digit)
        })
    }

    /// `json_append_unicode_escape` at a `\u`: appends the code point as
    /// UTF-8 and moves past the escape (two, for a surrogate pair).
    fn unicode_escape(&mut self) -> bool {
        let Some(mut codepoint) = self.hex4(self.pos + 2) else {
            return false;
        };
        let mut escape_len = 6;
        if codepoint & 0xF800 == 0xD800 {
            // A low surrogate first, or a high one alone, is an error.
            if codepoint & 0x400 != 0 {
                return false;
            }
            if self.at(self.pos + 6) != b'\\' || self.at(self.pos + 7) != b'u' {
                return false;
            }
            let Some(low) = self.hex4(self.pos + 8) else {
                return false;
            };
            if low & 0xFC00 != 0xDC00 {
                return false;
            }
            codepoint = (((codepoint & 0x3FF) << 10) | (low & 0x3FF)) + 0x10000;
            escape_len = 12;
        }
        push_utf8(self.string, codepoint);
        self.pos += escape_len;
        true
    }
}

/// `codepoint_to_utf8` for code points up to 0x10FFFF (all a `\u` escape
/// can give).
fn push_utf8(out: &mut Vec<u8>, c: u32) {
    // Each `as u8` keeps the bits the masks and shifts leave.
    if c <= 0x7F {
        out.push(c as u8);
    } else if c <= 0x7FF {
        out.extend_from_slice(&[(c >> 6) as u8 | 0xC0, (c & 0x3F) as u8 | 0x80]);
    } else if c <= 0xFFFF {
        out.extend_from_slice(&[
            (c >> 12) as u8 | 0xE0,
            ((c >> 6) & 0x3F) as u8 | 0x80,
            (c & 0x3F) as u8 | 0x80,
        ]);
    } else {
        out.extend_from_slice(&[
            (c >> 18) as u8 | 0xF0,
            ((c >> 12) & 0x3F) as u8 | 0x80,
            ((c >> 6) & 0x3F) as u8 | 0x80,
            (c & 0x3F) as u8 | 0x80,
        ]);
    }
}
