//! Reading requests from a connection's byte stream exactly as Redis 7.0's
//! `processInputBuffer` does (networking.c): RESP multibulk requests, and
//! inline commands for telnet users, with Redis's protocol errors.
//!
//! Redis's parser has quirks that clients can observe, and they are kept:
//! line ends are searched with `strchr`, so a NUL byte hides the rest of the
//! buffer; the byte after a `\r` and the two bytes after a bulk payload are
//! skipped without being checked; a multibulk count of zero or less is a
//! request with no command.

use lockstep_engine::inline::split_args;
use lockstep_engine::numbers::parse_i64;

/// Longest inline request, and longest `*N` / `$N` header line
/// (`PROTO_INLINE_MAX_SIZE`).
pub const INLINE_MAX: usize = 64 * 1024;

/// Largest bulk argument (`proto-max-bulk-len`, 512 MB).
pub const MAX_BULK_LEN: i64 = 512 * 1024 * 1024;

/// Most bytes one connection may hold in unprocessed input, including the
/// arguments already parsed from an incomplete request
/// (`client-query-buffer-limit`, 1 GB). Redis counts only the raw buffer;
/// counting parsed arguments too means a request of many 512 MB arguments
/// cannot make the server hold more than this either.
pub const QUERY_BUFFER_LIMIT: usize = 1024 * 1024 * 1024;

/// A malformed request. Redis replies with the error, then closes the
/// connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolError {
    /// The error's text without `-ERR `; may hold any byte but CR and LF.
    pub message: Vec<u8>,
}

impl ProtocolError {
    fn new(message: &str) -> ProtocolError {
        ProtocolError {
            message: format!("Protocol error: {message}").into_bytes(),
        }
    }

    /// The error reply's wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = b"-ERR ".to_vec();
        out.extend_from_slice(&self.message);
        out.extend_from_slice(b"\r\n");
        out
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Inline,
    Multibulk,
}

/// The per-connection query buffer and the request being parsed from it.
#[derive(Debug, Default)]
pub struct RequestParser {
    buf: Vec<u8>,
    pos: usize,
    kind: Option<Kind>,
    /// Arguments of the current multibulk request still to read.
    multibulk_len: i64,
    /// Length of the bulk argument being read, once its header is parsed.
    bulk_len: Option<usize>,
    args: Vec<Vec<u8>>,
    args_bytes: usize,
}

impl RequestParser {
    pub fn new() -> RequestParser {
        RequestParser::default()
    }

    /// Appends bytes read from the connection.
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held for requests not yet complete: the unparsed buffer plus
    /// the arguments parsed so far (compare with [`QUERY_BUFFER_LIMIT`]).
    pub fn pending_bytes(&self) -> usize {
        self.buf.len() - self.pos + self.args_bytes
    }

    /// The next complete command, `Ok(None)` when more bytes are needed.
    /// Requests with no arguments (an empty line, `*0`) are skipped, as
    /// Redis skips them.
    pub fn next_command(&mut self) -> Result<Option<Vec<Vec<u8>>>, ProtocolError> {
        loop {
            if self.pos >= self.buf.len() {
                self.compact();
                return Ok(None);
            }
            let kind = *self.kind.get_or_insert(if self.buf[self.pos] == b'*' {
                Kind::Multibulk
            } else {
                Kind::Inline
            });
            let ready = match kind {
                Kind::Inline => self.inline()?,
                Kind::Multibulk => self.multibulk()?,
            };
            if !ready {
                self.compact();
                return Ok(None);
            }
            let args = std::mem::take(&mut self.args);
            self.reset();
            if !args.is_empty() {
                return Ok(Some(args));
            }
        }
    }

    fn reset(&mut self) {
        self.kind = None;
        self.multibulk_len = 0;
        self.bulk_len = None;
        self.args_bytes = 0;
    }

    /// Drops consumed bytes (Redis trims its query buffer after each batch).
    fn compact(&mut self) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
    }

    fn rest(&self) -> &[u8] {
        &self.buf[self.pos..]
    }

    /// `processInlineBuffer`.
    fn inline(&mut self) -> Result<bool, ProtocolError> {
        let rest = self.rest();
        let Some(newline) = c_strchr(rest, b'\n') else {
            if rest.len() > INLINE_MAX {
                return Err(ProtocolError::new("too big inline request"));
            }
            return Ok(false);
        };
        let line_end = if newline > 0 && rest[newline - 1] == b'\r' {
            newline - 1
        } else {
            newline
        };
        let args = split_args(&rest[..line_end])
            .map_err(|_| ProtocolError::new("unbalanced quotes in request"))?;
        self.pos += newline + 1;
        self.args = args;
        Ok(true)
    }

    /// `processMultibulkBuffer`.
    fn multibulk(&mut self) -> Result<bool, ProtocolError> {
        if self.multibulk_len == 0 {
            let rest = self.rest();
            let Some(cr) = c_strchr(rest, b'\r') else {
                if rest.len() > INLINE_MAX {
                    return Err(ProtocolError::new("too big mbulk count string"));
                }
                return Ok(false);
            };
            if cr + 2 > rest.len() {
                return Ok(false);
            }
            let count = match parse_i64(&rest[1..cr]) {
                Some(n) if n <= i64::from(i32::MAX) => n,
                _ => return Err(ProtocolError::new("invalid multibulk length")),
            };
            self.pos += cr + 2;
            if count <= 0 {
                return Ok(true);
            }
            self.multibulk_len = count;
            self.args = Vec::with_capacity(count.min(1024) as usize);
        }
        while self.multibulk_len > 0 {
            let bulk_len = match self.bulk_len {
                Some(n) => n,
                None => {
                    let rest = self.rest();
                    let Some(cr) = c_strchr(rest, b'\r') else {
                        if rest.len() > INLINE_MAX {
                            return Err(ProtocolError::new("too big bulk count string"));
                        }
                        return Ok(false);
                    };
                    if cr + 2 > rest.len() {
                        return Ok(false);
                    }
                    if rest[0] != b'$' {
                        let mut message = b"Protocol error: expected '$', got '".to_vec();
                        // Redis maps CR and LF in error texts to spaces.
                        message.push(if matches!(rest[0], b'\r' | b'\n') {
                            b' '
                        } else {
                            rest[0]
                        });
                        message.push(b'\'');
                        return Err(ProtocolError { message });
                    }
                    let n = match parse_i64(&rest[1..cr]) {
                        Some(n) if (0..=MAX_BULK_LEN).contains(&n) => n as usize,
                        _ => return Err(ProtocolError::new("invalid bulk length")),
                    };
                    self.pos += cr + 2;
                    self.bulk_len = Some(n);
                    n
                }
            };
            if self.rest().len() < bulk_len + 2 {
                return Ok(false);
            }
            let arg = self.buf[self.pos..self.pos + bulk_len].to_vec();
            self.pos += bulk_len + 2;
            self.args_bytes += bulk_len;
            self.args.push(arg);
            self.bulk_len = None;
            self.multibulk_len -= 1;
        }
        Ok(true)
    }
}

/// C's `strchr` on a buffer holding a C string: the first `needle`, unless a
/// NUL byte comes first.
fn c_strchr(bytes: &[u8], needle: u8) -> Option<usize> {
    bytes
        .iter()
        .position(|&b| b == needle || b == 0)
        .filter(|&i| bytes[i] == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(input: &[u8]) -> (Vec<Vec<Vec<u8>>>, Option<Vec<u8>>) {
        let mut p = RequestParser::new();
        p.feed(input);
        let mut commands = Vec::new();
        loop {
            match p.next_command() {
                Ok(Some(c)) => commands.push(c),
                Ok(None) => return (commands, None),
                Err(e) => return (commands, Some(e.to_bytes())),
            }
        }
    }

    fn words(ws: &[&str]) -> Vec<Vec<u8>> {
        ws.iter().map(|w| w.as_bytes().to_vec()).collect()
    }

    #[test]
    fn multibulk_and_inline() {
        let (cmds, err) =
            parse_all(b"*2\r\n$4\r\nECHO\r\n$2\r\nhi\r\nPING\r\nSET a 'b c'\n\r\n*0\r\n*-1\r\n");
        assert_eq!(
            cmds,
            vec![
                words(&["ECHO", "hi"]),
                words(&["PING"]),
                words(&["SET", "a", "b c"])
            ]
        );
        assert_eq!(err, None);
    }

    #[test]
    fn half_frames_wait() {
        let mut p = RequestParser::new();
        let frame = b"*2\r\n$4\r\nECHO\r\n$5\r\nhello\r\n";
        for (i, b) in frame.iter().enumerate() {
            p.feed(&[*b]);
            let got = p.next_command().unwrap();
            assert_eq!(got.is_some(), i == frame.len() - 1, "at byte {i}");
        }
    }

    #[test]
    fn redis_protocol_errors() {
        let err = |input: &[u8]| {
            parse_all(input)
                .1
                .map(|e| String::from_utf8_lossy(&e).into_owned())
        };
        assert_eq!(
            err(b"*x\r\n").as_deref(),
            Some("-ERR Protocol error: invalid multibulk length\r\n")
        );
        assert_eq!(
            err(b"*2147483648\r\n").as_deref(),
            Some("-ERR Protocol error: invalid multibulk length\r\n")
        );
        assert_eq!(
            err(b"*1\r\n$-1\r\n").as_deref(),
            Some("-ERR Protocol error: invalid bulk length\r\n")
        );
        assert_eq!(
            err(b"*1\r\n$536870913\r\n").as_deref(),
            Some("-ERR Protocol error: invalid bulk length\r\n")
        );
        assert_eq!(
            err(b"*1\r\n:1\r\n").as_deref(),
            Some("-ERR Protocol error: expected '$', got ':'\r\n")
        );
        assert_eq!(
            err(b"*1\r\n\r\n").as_deref(),
            Some("-ERR Protocol error: expected '$', got ' '\r\n")
        );
        assert_eq!(
            err(b"SET \"a\r\n").as_deref(),
            Some("-ERR Protocol error: unbalanced quotes in request\r\n")
        );
        assert_eq!(
            err(&[b'x'; INLINE_MAX + 1]).as_deref(),
            Some("-ERR Protocol error: too big inline request\r\n")
        );
        let mut big = b"*1\r\n$".to_vec();
        big.extend_from_slice(&[b'1'; INLINE_MAX + 1]);
        assert_eq!(
            err(&big).as_deref(),
            Some("-ERR Protocol error: too big bulk count string\r\n")
        );
    }

    #[test]
    fn a_huge_bulk_header_allocates_nothing() {
        let mut p = RequestParser::new();
        p.feed(b"*1\r\n$536870912\r\nabc");
        assert_eq!(p.next_command(), Ok(None));
        assert!(p.pending_bytes() < 16);
    }

    #[test]
    fn quirks_kept_from_redis() {
        // The two bytes after a bulk payload are not checked.
        assert_eq!(parse_all(b"*1\r\n$4\r\nPINGxx").0, vec![words(&["PING"])]);
        // A NUL before the line end hides it.
        assert_eq!(parse_all(b"PI\0NG\r\n").0, Vec::<Vec<Vec<u8>>>::new());
    }
}

#[cfg(test)]
mod fuzz {
    //! Properties of the parser over generated input. `PROPTEST_CASES`
    //! raises the case count for a longer session (see FUZZING.md).

    use super::*;
    use proptest::prelude::*;

    /// What parsing a byte stream yields, up to where it needs more bytes or
    /// stops at a protocol error.
    #[derive(Debug, PartialEq)]
    enum Event {
        Command(Vec<Vec<u8>>),
        Error(Vec<u8>),
    }

    fn drain(parser: &mut RequestParser, events: &mut Vec<Event>) -> bool {
        loop {
            match parser.next_command() {
                Ok(Some(args)) => events.push(Event::Command(args)),
                Ok(None) => return true,
                Err(e) => {
                    events.push(Event::Error(e.to_bytes()));
                    return false;
                }
            }
        }
    }

    /// Bytes that look like requests often enough to reach deep states.
    fn requestish() -> impl Strategy<Value = Vec<u8>> {
        let token = prop_oneof![
            any::<u8>().prop_map(|b| vec![b]),
            prop::sample::select(vec![
                &b"*"[..],
                b"$",
                b"\r\n",
                b"\r",
                b"\n",
                b"0",
                b"1",
                b"2",
                b"3",
                b"-1",
                b"\"",
                b"'",
                b" ",
                b"\\x4",
                b"\\",
                b"PING",
                b"*2\r\n",
                b"$4\r\n",
                b"\0",
                b"99999999999999999999",
            ])
            .prop_map(|t| t.to_vec()),
        ];
        prop::collection::vec(token, 0..64).prop_map(|ts| ts.concat())
    }

    fn multibulk(commands: &[Vec<Vec<u8>>]) -> Vec<u8> {
        let mut out = Vec::new();
        for args in commands {
            out.extend_from_slice(format!("*{}\r\n", args.len()).as_bytes());
            for a in args {
                out.extend_from_slice(format!("${}\r\n", a.len()).as_bytes());
                out.extend_from_slice(a);
                out.extend_from_slice(b"\r\n");
            }
        }
        out
    }

    fn feed_in_pieces(input: &[u8], cuts: &[usize]) -> Vec<Event> {
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
        cuts.sort_unstable();
        let mut parser = RequestParser::new();
        let mut events = Vec::new();
        let mut from = 0;
        for cut in cuts.into_iter().chain([input.len()]) {
            parser.feed(&input[from..cut]);
            from = cut;
            if !drain(&mut parser, &mut events) {
                break;
            }
        }
        events
    }

    proptest! {
        #[test]
        fn any_bytes_in_any_pieces_parse_the_same(input in requestish(), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
            let mut whole = RequestParser::new();
            whole.feed(&input);
            let mut expected = Vec::new();
            drain(&mut whole, &mut expected);
            prop_assert_eq!(feed_in_pieces(&input, &cuts), expected);
        }

        #[test]
        fn multibulk_requests_round_trip(
            commands in prop::collection::vec(prop::collection::vec(prop::collection::vec(any::<u8>(), 0..24), 1..6), 1..6),
            cuts in prop::collection::vec(any::<usize>(), 0..8),
        ) {
            let input = multibulk(&commands);
            let expected: Vec<Event> = commands.into_iter().map(Event::Command).collect();
            prop_assert_eq!(feed_in_pieces(&input, &cuts), expected);
        }

        #[test]
        fn quoted_inline_requests_round_trip(args in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..16), 1..6)) {
            let mut line = Vec::new();
            for a in &args {
                line.extend_from_slice(b" \"");
                for b in a {
                    line.extend_from_slice(format!("\\x{b:02x}").as_bytes());
                }
                line.push(b'"');
            }
            line.extend_from_slice(b"\r\n");
            let mut parser = RequestParser::new();
            parser.feed(&line);
            prop_assert_eq!(parser.next_command(), Ok(Some(args)));
            prop_assert_eq!(parser.pending_bytes(), 0);
        }
    }
}
