//! Turning a typed line into command arguments, exactly as redis-cli does.
//!
//! redis-cli splits with `sdssplitargs`: words are separated by blanks;
//! `"double quotes"` understand `\n \r \t \b \a \\ \"` and `\xHH` escapes;
//! `'single quotes'` understand only `\'`. A closing quote must be followed by
//! a blank or the end of the line. Learners copy commands between the lab and
//! a real redis-cli, so the same line must give the same arguments in both.

/// The line could not be split: an unbalanced quote, or a closing quote
/// followed by something other than a blank. redis-cli prints
/// [`InvalidArguments::MESSAGE`] and sends nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InvalidArguments;

impl InvalidArguments {
    /// What redis-cli prints for a line it cannot split.
    pub const MESSAGE: &'static str = "Invalid argument(s)";
}

/// Splits `line` into arguments. A blank line gives no arguments.
pub fn split_args(line: &str) -> Result<Vec<Vec<u8>>, InvalidArguments> {
    let bytes = line.as_bytes();
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
fn read_word(bytes: &[u8], mut pos: usize) -> Result<(Vec<u8>, usize), InvalidArguments> {
    let at = |i: usize| bytes.get(i).copied();
    let mut word = Vec::new();
    let mut quoting = Quoting::None;
    loop {
        let Some(c) = at(pos) else {
            // End of line: fine outside quotes, unbalanced inside them.
            return match quoting {
                Quoting::None => Ok((word, pos)),
                _ => Err(InvalidArguments),
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
) -> Result<(Vec<u8>, usize), InvalidArguments> {
    match bytes.get(pos + 1) {
        None => Ok((word, pos + 1)),
        Some(&next) if is_c_space(next) => Ok((word, pos + 2)),
        Some(_) => Err(InvalidArguments),
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

/// C's `isspace` in the "C" locale.
fn is_c_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<String> {
        split_args(line)
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
            split_args(r#""\xff\x00z""#),
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
        assert_eq!(split_args(r#"ECHO "abc"#), Err(InvalidArguments));
        assert_eq!(split_args("ECHO 'abc"), Err(InvalidArguments));
        assert_eq!(split_args(r#"ECHO "abc"def"#), Err(InvalidArguments));
        assert_eq!(split_args(r#"ECHO "trailing\"#), Err(InvalidArguments));
    }

    #[test]
    fn non_ascii_text_is_passed_as_utf8_bytes() {
        assert_eq!(split("ECHO héllo"), ["ECHO", "héllo"]);
    }
}
