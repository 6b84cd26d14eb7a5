//! Lua 5.1 source cut into pieces for syntax highlighting in the "fix it"
//! editor: keywords, strings (quoted and long brackets), comments (line and
//! long), numbers (decimal, hex, exponents), names and the rest. The
//! pieces cover the source exactly, in order, so the highlighted copy
//! drawn under the editor lines up with what the learner types — even
//! half-typed code (an unclosed string runs to the end of its line, an
//! unclosed long comment to the end of the source).

/// What a piece of source is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Keyword,
    String,
    Comment,
    Number,
    Name,
    /// Operators, punctuation, white space.
    Other,
}

impl Kind {
    /// The CSS class the editor gives it.
    pub fn class(self) -> &'static str {
        match self {
            Kind::Keyword => "lua-keyword",
            Kind::String => "lua-string",
            Kind::Comment => "lua-comment",
            Kind::Number => "lua-number",
            Kind::Name => "lua-name",
            Kind::Other => "lua-other",
        }
    }
}

/// Lua 5.1's reserved words.
const KEYWORDS: [&str; 21] = [
    "and", "break", "do", "else", "elseif", "end", "false", "for", "function", "if", "in", "local",
    "nil", "not", "or", "repeat", "return", "then", "true", "until", "while",
];

/// Cuts `source` into pieces; their texts joined give `source` back.
pub fn tokens(source: &str) -> Vec<(Kind, &str)> {
    let bytes = source.as_bytes();
    let mut out: Vec<(Kind, &str)> = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        let b = bytes[i];
        let kind = if b == b'-' && bytes.get(i + 1) == Some(&b'-') {
            i += 2;
            match long_bracket(bytes, i) {
                Some(level) => i = close_long(bytes, i, level),
                None => i = line_end(bytes, i),
            }
            Kind::Comment
        } else if b == b'"' || b == b'\'' {
            i = close_quote(bytes, i + 1, b);
            Kind::String
        } else if b == b'[' && long_bracket(bytes, i).is_some() {
            let level = long_bracket(bytes, i).unwrap_or(0);
            i = close_long(bytes, i, level);
            Kind::String
        } else if b.is_ascii_digit()
            || (b == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            i = number_end(bytes, i);
            Kind::Number
        } else if b.is_ascii_alphabetic() || b == b'_' {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
                i += 1;
            }
            if KEYWORDS.contains(&&source[start..i]) {
                Kind::Keyword
            } else {
                Kind::Name
            }
        } else {
            // One character of anything else (UTF-8 kept whole).
            i += source[i..].chars().next().map_or(1, char::len_utf8);
            Kind::Other
        };
        match out.last_mut() {
            // Runs of "other" merge, so the page draws fewer spans.
            Some((Kind::Other, text)) if kind == Kind::Other => {
                let begin = text.as_ptr() as usize - source.as_ptr() as usize;
                *text = &source[begin..i];
            }
            _ => out.push((kind, &source[start..i])),
        }
    }
    out
}

/// The pieces line by line (a long string or comment is cut at its line
/// ends), so the editor can mark the line Lua reports. There are as many
/// lines as `source.split('\n')` gives.
pub fn lines(source: &str) -> Vec<Vec<(Kind, &str)>> {
    let mut out = vec![Vec::new()];
    for (kind, text) in tokens(source) {
        for (k, part) in text.split('\n').enumerate() {
            if k > 0 {
                out.push(Vec::new());
            }
            if !part.is_empty() {
                if let Some(line) = out.last_mut() {
                    line.push((kind, part));
                }
            }
        }
    }
    out
}

/// The level of a long bracket opening at `at` (`[[` is 0, `[==[` is 2).
fn long_bracket(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'[') {
        return None;
    }
    let mut j = at + 1;
    while bytes.get(j) == Some(&b'=') {
        j += 1;
    }
    (bytes.get(j) == Some(&b'[')).then_some(j - at - 1)
}

/// Just past the long bracket of `level` that closes the one at `at`, or
/// the end of the source.
fn close_long(bytes: &[u8], at: usize, level: usize) -> usize {
    let mut j = at + level + 2;
    while j < bytes.len() {
        if bytes[j] == b']' {
            let mut k = j + 1;
            while k < bytes.len() && bytes[k] == b'=' && k - j - 1 < level {
                k += 1;
            }
            if k - j - 1 == level && bytes.get(k) == Some(&b']') {
                return k + 1;
            }
        }
        j += 1;
    }
    bytes.len()
}

/// Just past the quote that closes a string opened before `from`, or the
/// end of the line (an unfinished string).
fn close_quote(bytes: &[u8], from: usize, quote: u8) -> usize {
    let mut j = from;
    while j < bytes.len() {
        match bytes[j] {
            b'\\' => j += 2,
            b'\n' => return j,
            c if c == quote => return j + 1,
            _ => j += 1,
        }
    }
    bytes.len()
}

fn line_end(bytes: &[u8], from: usize) -> usize {
    bytes[from..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |p| from + p)
}

/// Just past a number (Lua 5.1 reads `[0-9.xXa-fA-F]` and an exponent sign).
fn number_end(bytes: &[u8], from: usize) -> usize {
    let hex = bytes[from] == b'0' && matches!(bytes.get(from + 1), Some(b'x' | b'X'));
    let mut j = from + if hex { 2 } else { 0 };
    while j < bytes.len() {
        let c = bytes[j];
        let exponent = !hex && matches!(c, b'e' | b'E');
        if c.is_ascii_digit() || c == b'.' || (hex && c.is_ascii_hexdigit()) {
            j += 1;
        } else if exponent {
            j += 1;
            if matches!(bytes.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
        } else {
            break;
        }
    }
    j
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(source: &str) -> Vec<(Kind, &str)> {
        tokens(source)
            .into_iter()
            .filter(|(k, _)| *k != Kind::Other)
            .collect()
    }

    #[test]
    fn keywords_names_numbers_strings_and_comments() {
        let source = "local ok = redis.call('SET', KEYS[1], \"x\", 'PX', 10000) -- take it\nif not ok then return 0x1F end";
        assert_eq!(
            kinds(source),
            vec![
                (Kind::Keyword, "local"),
                (Kind::Name, "ok"),
                (Kind::Name, "redis"),
                (Kind::Name, "call"),
                (Kind::String, "'SET'"),
                (Kind::Name, "KEYS"),
                (Kind::Number, "1"),
                (Kind::String, "\"x\""),
                (Kind::String, "'PX'"),
                (Kind::Number, "10000"),
                (Kind::Comment, "-- take it"),
                (Kind::Keyword, "if"),
                (Kind::Keyword, "not"),
                (Kind::Name, "ok"),
                (Kind::Keyword, "then"),
                (Kind::Keyword, "return"),
                (Kind::Number, "0x1F"),
                (Kind::Keyword, "end"),
            ]
        );
    }

    #[test]
    fn long_strings_long_comments_escapes_and_exponents() {
        assert_eq!(
            kinds("--[==[ a ]] b ]==] x = [[one\ntwo]] .. 'it\\'s' .. 1.5e-3"),
            vec![
                (Kind::Comment, "--[==[ a ]] b ]==]"),
                (Kind::Name, "x"),
                (Kind::String, "[[one\ntwo]]"),
                (Kind::String, "'it\\'s'"),
                (Kind::Number, "1.5e-3"),
            ]
        );
        // `t[ [` is not a long bracket; `a[b]` is indexing.
        assert_eq!(kinds("a[b]"), vec![(Kind::Name, "a"), (Kind::Name, "b")]);
        // Names that start with a keyword are names.
        assert_eq!(kinds("ending"), vec![(Kind::Name, "ending")]);
    }

    #[test]
    fn half_typed_code_still_covers_the_source() {
        assert_eq!(
            kinds("x = 'open\ny = 1"),
            vec![
                (Kind::Name, "x"),
                (Kind::String, "'open"),
                (Kind::Name, "y"),
                (Kind::Number, "1"),
            ]
        );
        assert_eq!(
            kinds("--[[ never closed"),
            vec![(Kind::Comment, "--[[ never closed")]
        );
    }

    #[test]
    fn lines_cut_long_pieces_at_their_line_ends() {
        let source = "local s = [[a\nb]]\n\nreturn s";
        let lines = lines(source);
        assert_eq!(lines.len(), source.split('\n').count());
        assert_eq!(lines[0].last(), Some(&(Kind::String, "[[a")));
        assert_eq!(lines[1], vec![(Kind::String, "b]]")]);
        assert!(lines[2].is_empty());
        assert_eq!(lines[3][0], (Kind::Keyword, "return"));
    }

    #[test]
    fn the_pieces_give_the_source_back_whatever_it_is() {
        let samples = [
            "",
            "é = 'ü' -- ☃",
            "[=[",
            "'\\",
            "0x",
            "1e",
            "--",
            "a.b:c(...)",
            "return ##t ~= 3",
        ];
        for source in samples {
            let joined: String = tokens(source).iter().map(|(_, t)| *t).collect();
            assert_eq!(joined, source);
        }
        // Every lesson program too.
        for (name, parsed) in lockstep_lessons::lessons() {
            let lesson = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
            for program in &lesson.programs {
                let joined: String = tokens(&program.source).iter().map(|(_, t)| *t).collect();
                assert_eq!(joined, program.source, "{name}");
            }
        }
    }
}
