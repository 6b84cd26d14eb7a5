//! Command files: one command per line, split exactly as `redis-cli` splits
//! what you type (Redis's `sdssplitargs`), plus `@` directives.

use std::fmt;

/// How a reply is compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Byte for byte.
    Exact,
    /// The top-level elements of an aggregate in any order (`@unordered`).
    Unordered,
    /// Field/value pairs of an aggregate in any order (`@unordered-pairs`).
    UnorderedPairs,
}

/// One command to replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// 1-based line number in the file.
    pub line: usize,
    /// The line as written, for messages.
    pub text: String,
    pub args: Vec<Vec<u8>>,
    /// Milliseconds to wait before sending (from `@sleep` lines above it).
    pub sleep_ms: u64,
    pub order: Order,
    /// The connection it is sent on: 1 unless the line starts with `@N`.
    pub conn: usize,
    /// `@blocks`: the command is expected to block; the harness sends it,
    /// waits until the server counts one more blocked client (or a reply
    /// comes), and takes its reply later, with whichever command ends the
    /// wait.
    pub blocks: bool,
}

/// The most connections a file may use (`@1` ... `@9`).
pub const MAX_CONNECTIONS: usize = 9;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for ParseError {}

/// Parses a whole command file.
pub fn parse(source: &str) -> Result<Vec<Step>, ParseError> {
    let mut steps = Vec::new();
    let mut sleep_ms = 0u64;
    let mut order = Order::Exact;
    let mut blocks = false;
    for (index, raw) in source.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let error = |message: String| ParseError { line, message };
        let (conn, command) = match connection_prefix(trimmed) {
            Some(Ok((conn, rest))) => (conn, rest),
            Some(Err(message)) => return Err(error(message)),
            None => (1, raw),
        };
        if let (1, Some(directive)) = (conn, command.trim().strip_prefix('@')) {
            let mut words = directive.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("sleep"), Some(ms), None) => {
                    let ms: u64 = ms
                        .parse()
                        .map_err(|_| error(format!("@sleep wants milliseconds, got {ms:?}")))?;
                    sleep_ms += ms;
                }
                (Some("unordered"), None, None) => order = Order::Unordered,
                (Some("unordered-pairs"), None, None) => order = Order::UnorderedPairs,
                (Some("blocks"), None, None) => blocks = true,
                _ => return Err(error(format!("unknown directive {trimmed:?}"))),
            }
            continue;
        }
        let args = split_args(command).map_err(error)?;
        if args.is_empty() {
            continue;
        }
        steps.push(Step {
            line,
            text: trimmed.to_string(),
            args,
            sleep_ms,
            order,
            conn,
            blocks,
        });
        sleep_ms = 0;
        order = Order::Exact;
        blocks = false;
    }
    if sleep_ms != 0 || order != Order::Exact || blocks {
        let line = source.lines().count();
        return Err(ParseError {
            line,
            message: "a directive at the end of the file applies to no command".into(),
        });
    }
    Ok(steps)
}

/// `@N command ...`: the connection number and the command after it, or
/// None if the line does not start with `@` and a digit.
fn connection_prefix(line: &str) -> Option<Result<(usize, &str), String>> {
    let rest = line.strip_prefix('@')?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let (number, command) = rest.split_at(digits);
    Some(match number.parse::<usize>() {
        Ok(n) if (1..=MAX_CONNECTIONS).contains(&n) && command.starts_with([' ', '\t']) => {
            Ok((n, command))
        }
        _ => Err(format!(
            "a connection is @1 to @{MAX_CONNECTIONS} followed by a command, got {line:?}"
        )),
    })
}

/// Splits a line into arguments like Redis's `sdssplitargs`: whitespace
/// separates words; `"..."` takes C escapes (`\n \r \t \b \a \\ \" \xHH`);
/// `'...'` is raw except for `\'`. A closing quote must be followed by
/// whitespace or the end of the line. A quote may open in the middle of a
/// word (`a"b c"` is the single argument `ab c`), as in redis-cli.
pub fn split_args(line: &str) -> Result<Vec<Vec<u8>>, String> {
    let bytes = line.as_bytes();
    let mut args = Vec::new();
    let mut i = 0;
    loop {
        while i < bytes.len() && c_isspace(bytes[i]) {
            i += 1;
        }
        if i >= bytes.len() {
            return Ok(args);
        }
        let mut current = Vec::new();
        let mut in_double = false;
        let mut in_single = false;
        loop {
            let c = bytes.get(i).copied();
            let next = bytes.get(i + 1).copied();
            if in_double {
                match c {
                    None => return Err("unterminated double quote".into()),
                    Some(b'\\') if next == Some(b'x') && hex_pair(bytes, i + 2).is_some() => {
                        current.push(hex_pair(bytes, i + 2).unwrap_or_default());
                        i += 4;
                        continue;
                    }
                    Some(b'\\') if next.is_some() => {
                        current.push(match next.unwrap_or_default() {
                            b'n' => b'\n',
                            b'r' => b'\r',
                            b't' => b'\t',
                            b'b' => 8,
                            b'a' => 7,
                            other => other,
                        });
                        i += 2;
                        continue;
                    }
                    Some(b'"') => {
                        if next.is_some_and(|n| !c_isspace(n)) {
                            return Err("closing quote must be followed by a space".into());
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else if in_single {
                match c {
                    None => return Err("unterminated single quote".into()),
                    Some(b'\\') if next == Some(b'\'') => {
                        current.push(b'\'');
                        i += 2;
                        continue;
                    }
                    Some(b'\'') => {
                        if next.is_some_and(|n| !c_isspace(n)) {
                            return Err("closing quote must be followed by a space".into());
                        }
                        i += 1;
                        break;
                    }
                    Some(other) => current.push(other),
                }
            } else {
                match c {
                    None => break,
                    Some(b' ' | b'\t' | b'\r' | b'\n') => break,
                    Some(b'"') => in_double = true,
                    Some(b'\'') => in_single = true,
                    Some(other) => current.push(other),
                }
            }
            i += 1;
        }
        args.push(current);
    }
}

/// C's `isspace` in the C locale: what separates arguments. Inside an
/// unquoted argument only space, tab, CR and LF end it, as in
/// `sdssplitargs`.
fn c_isspace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn hex_pair(bytes: &[u8], at: usize) -> Option<u8> {
    let hi = (*bytes.get(at)? as char).to_digit(16)?;
    let lo = (*bytes.get(at + 1)? as char).to_digit(16)?;
    Some((hi * 16 + lo) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(line: &str) -> Vec<Vec<u8>> {
        split_args(line).unwrap()
    }

    #[test]
    fn words_and_quotes() {
        assert_eq!(
            split("SET  k v"),
            vec![b"SET".to_vec(), b"k".to_vec(), b"v".to_vec()]
        );
        assert_eq!(
            split(r#"SET "a b" 'c d'"#)[1..],
            [b"a b".to_vec(), b"c d".to_vec()]
        );
        assert_eq!(
            split(r#"x "\x00\xff\n\"\\""#)[1],
            vec![0, 0xff, b'\n', b'"', b'\\']
        );
        assert_eq!(split(r"x 'it\'s \n'")[1], b"it's \\n".to_vec());
        assert_eq!(split(r#"x a"b c""#)[1], b"ab c".to_vec());
        assert_eq!(split(r#"x """#)[1], b"".to_vec());
        assert_eq!(split(r#"x "\q""#)[1], b"q".to_vec());
    }

    #[test]
    fn bad_quotes_are_errors() {
        assert!(split_args(r#"x "abc"#).is_err());
        assert!(split_args(r#"x "a"b"#).is_err());
        assert!(split_args("x 'a").is_err());
    }

    #[test]
    fn directives_attach_to_the_next_command() {
        let steps = parse("# c\n\n@sleep 10\n@sleep 5\n@unordered\nKEYS *\nPING\n").unwrap();
        assert_eq!(steps.len(), 2);
        assert_eq!(
            (steps[0].line, steps[0].sleep_ms, steps[0].order),
            (6, 15, Order::Unordered)
        );
        assert_eq!((steps[1].sleep_ms, steps[1].order), (0, Order::Exact));
        assert!(parse("@bogus\nPING\n").is_err());
        assert!(parse("PING\n@sleep 3\n").is_err());
    }

    #[test]
    fn a_line_may_name_its_connection() {
        let steps = parse("@blocks\n@2 BLPOP k 0\n@1 LPUSH k v\nPING\n").unwrap();
        let shape: Vec<(usize, bool, &[u8])> = steps
            .iter()
            .map(|s| (s.conn, s.blocks, s.args[0].as_slice()))
            .collect();
        assert_eq!(
            shape,
            vec![
                (2, true, b"BLPOP".as_slice()),
                (1, false, b"LPUSH".as_slice()),
                (1, false, b"PING".as_slice())
            ]
        );
        assert_eq!(steps[0].args.len(), 3);
        assert!(parse("@0 PING\n").is_err());
        assert!(parse("@10 PING\n").is_err());
        assert!(parse("@2PING\n").is_err());
        assert!(parse("PING\n@blocks\n").is_err());
    }
}
