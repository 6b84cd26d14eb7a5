//! Redis's `sdssplitargs`, the one way a command line becomes words: the
//! RESP server's inline commands (`processInlineBuffer`), scenario files'
//! seed data, and the web console, which must split a typed line as
//! redis-cli does (redis-cli splits with the same `sdssplitargs`, so a line
//! copied between the lab and a real redis-cli gives the same arguments).
//!
//! Words are separated by `isspace` characters, but inside an unquoted word
//! only space, tab, CR and LF end it; `"double quotes"` understand
//! `\n \r \t \b \a` and `\xHH` (any other escaped byte stands for itself);
//! `'single quotes'` understand only `\'`. A quote may open mid-word; a
//! closing quote must be followed by white space or the end of the line.
//! The line is a C string in both callers of `sdssplitargs`: nothing after
//! a NUL byte exists.

use lockstep_lua::cnum::is_c_space;

/// The line could not be split: an unbalanced quote, or a closing quote
/// followed by something other than white space. Redis answers an inline
/// request with `-ERR Protocol error: unbalanced quotes in request`;
/// redis-cli prints `Invalid argument(s)` and sends nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UnbalancedQuotes;

/// Splits `line` into arguments. A blank line gives no arguments.
pub fn split_args(line: &[u8]) -> Result<Vec<Vec<u8>>, UnbalancedQuotes> {
    let bytes = &line[..line.iter().position(|&b| b == 0).unwrap_or(line.len())];
    let mut args = Vec::new();
    let mut pos = 0;
    loop {
        while pos < bytes.len() && is_c_space(bytes[pos]) {
            pos += 1;
        }
        if pos == bytes.len() {
            return Ok(args);
        }
        let (arg, next) = read_word(bytes, pos)?;
        args.push(arg);
        pos = next;
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Quoting {
    None,
    Double,
    Single,
}

/// Reads one argument starting at `pos`; returns it and the position after it.
fn read_word(bytes: &[u8], mut pos: usize) -> Result<(Vec<u8>, usize), UnbalancedQuotes> {
    let at = |i: usize| bytes.get(i).copied();
    let mut word = Vec::new();
    let mut quoting = Quoting::None;
    loop {
        let Some(c) = at(pos) else {
            // End of line: fine outside quotes, unbalanced inside them.
            return match quoting {
                Quoting::None => Ok((word, pos)),
                _ => Err(UnbalancedQuotes),
            };
        };
        match quoting {
            Quoting::Double => {
                if c == b'\\' && at(pos + 1) == Some(b'x') {
                    if let (Some(hi), Some(lo)) = (hex(at(pos + 2)), hex(at(pos + 3))) {
                        word.push(hi * 16 + lo);
                        pos += 4;
                        continue;
                    }
                }
                if c == b'\\' && pos + 1 < bytes.len() {
                    word.push(unescape(bytes[pos + 1]));
                    pos += 2;
                } else if c == b'"' {
                    return close_quote(word, bytes, pos);
                } else {
                    word.push(c);
                    pos += 1;
                }
            }
            Quoting::Single => {
                if c == b'\\' && at(pos + 1) == Some(b'\'') {
                    word.push(b'\'');
                    pos += 2;
                } else if c == b'\'' {
                    return close_quote(word, bytes, pos);
                } else {
                    word.push(c);
                    pos += 1;
                }
            }
            Quoting::None => match c {
                // sdssplitargs ends an unquoted word only on these four, not
                // on every `isspace` character.
                b' ' | b'\n' | b'\r' | b'\t' => return Ok((word, pos + 1)),
                b'"' => {
                    quoting = Quoting::Double;
                    pos += 1;
                }
                b'\'' => {
                    quoting = Quoting::Single;
                    pos += 1;
                }
                _ => {
                    word.push(c);
                    pos += 1;
                }
            },
        }
    }
}

/// A closing quote at `pos` ends the word only if a blank or the end follows.
fn close_quote(
    word: Vec<u8>,
    bytes: &[u8],
    pos: usize,
) -> Result<(Vec<u8>, usize), UnbalancedQuotes> {
    match bytes.get(pos + 1) {
        None => Ok((word, pos + 1)),
        Some(&next) if is_c_space(next) => Ok((word, pos + 2)),
        Some(_) => Err(UnbalancedQuotes),
    }
}

fn unescape(c: u8) -> u8 {
    match c {
        b'n' => b'\n',
        b'r' => b'\r',
        b't' => b'\t',
        b'b' => 0x08,
        b'a' => 0x07,
        other => other,
    }
}

fn hex(c: Option<u8>) -> Option<u8> {
    char::from(c?).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<String> {
        split_args(line.as_bytes())
            .expect("splits")
            .into_iter()
            .map(|a| String::from_utf8(a).expect("utf-8"))
            .collect()
    }

    #[test]
    fn words_are_separated_by_blanks() {
        assert_eq!(
            split("  SET  lock:1 me\tNX  "),
            ["SET", "lock:1", "me", "NX"]
        );
        assert!(split("").is_empty());
        assert!(split("   \t ").is_empty());
    }

    #[test]
    fn double_quotes_keep_spaces_and_understand_escapes() {
        assert_eq!(split(r#"EVAL "return 1+1" 0"#), ["EVAL", "return 1+1", "0"]);
        assert_eq!(split(r#"ECHO "a\"b\\c\n""#), ["ECHO", "a\"b\\c\n"]);
        assert_eq!(split(r#"ECHO "\t\r\a\b\q""#), ["ECHO", "\t\r\x07\x08q"]);
        assert_eq!(split(r#"ECHO """#), ["ECHO", ""]);
    }

    #[test]
    fn hex_escapes_give_raw_bytes() {
        assert_eq!(
            split_args(br#""\xff\x00z""#),
            Ok(vec![vec![0xff, 0x00, b'z']])
        );
        // Not two hex digits: the backslash escapes the `x` itself.
        assert_eq!(split(r#""\xg1""#), ["xg1"]);
    }

    #[test]
    fn single_quotes_only_escape_the_quote() {
        assert_eq!(split(r"ECHO 'it\'s \n raw'"), ["ECHO", r"it's \n raw"]);
    }

    #[test]
    fn a_quote_may_start_inside_a_word() {
        assert_eq!(
            split(r#"SET key"with space" v"#),
            ["SET", "keywith space", "v"]
        );
    }

    #[test]
    fn unbalanced_or_glued_quotes_are_invalid() {
        assert_eq!(split_args(br#"ECHO "abc"#), Err(UnbalancedQuotes));
        assert_eq!(split_args("ECHO 'abc".as_bytes()), Err(UnbalancedQuotes));
        assert_eq!(split_args(br#"ECHO "abc"def"#), Err(UnbalancedQuotes));
        assert_eq!(split_args(br#"ECHO "trailing\"#), Err(UnbalancedQuotes));
    }

    #[test]
    fn non_ascii_text_is_passed_as_utf8_bytes() {
        assert_eq!(split("ECHO héllo"), ["ECHO", "héllo"]);
    }

    #[test]
    fn vertical_tab_separates_words_but_does_not_end_one() {
        assert_eq!(split("a\x0bb"), ["a\x0bb"]);
        assert_eq!(split("\x0ba b"), ["a", "b"]);
    }

    #[test]
    fn nothing_after_a_nul_byte_exists() {
        assert_eq!(
            split_args(b"GET a\0b c"),
            Ok(vec![b"GET".to_vec(), b"a".to_vec()])
        );
        assert_eq!(split_args(b"ECHO \"a\0\""), Err(UnbalancedQuotes));
    }
}
