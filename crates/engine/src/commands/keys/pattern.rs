//! Glob-style matching exactly as Redis's `stringmatchlen` (KEYS, SCAN
//! MATCH, and the other SCAN/PSUBSCRIBE-style patterns).
//!
//! This is a transliteration rather than a tidy glob engine because the
//! quirks are observable: `[a-]` is the range `a`..`]`, an unterminated
//! `[abc` still matches, `[^` matches any one byte, ranges compare bytes as
//! C's signed `char`, and a failed `*` stops trying longer matches for
//! earlier stars (the `skipLongerMatches` shortcut).

/// Whether `string` matches `pattern`; `nocase` folds ASCII case as
/// `tolower` does in the C locale.
pub fn string_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut skip_longer = false;
    match_from(pattern, 0, string, 0, nocase, &mut skip_longer)
}

/// The byte at `i`, or the NUL terminator the C code reads past the end.
fn at(bytes: &[u8], i: usize) -> u8 {
    bytes.get(i).copied().unwrap_or(0)
}

/// C `char` is signed on the platforms Redis runs on; ranges compare that way.
fn signed(b: u8) -> i32 {
    i32::from(b as i8)
}

fn fold(b: u8, nocase: bool) -> u8 {
    if nocase {
        b.to_ascii_lowercase()
    } else {
        b
    }
}

fn match_from(
    pattern: &[u8],
    mut p: usize,
    string: &[u8],
    mut s: usize,
    nocase: bool,
    skip_longer: &mut bool,
) -> bool {
    // `plen`/`slen` mirror the C code's remaining lengths and `p`/`s` its
    // pointers; `p + plen` always stays at the pattern's end.
    let mut plen = pattern.len() as isize - p as isize;
    let mut slen = string.len() as isize - s as isize;
    while plen > 0 && slen > 0 {
        match at(pattern, p) {
            b'*' => {
                while plen > 0 && at(pattern, p + 1) == b'*' {
                    p += 1;
                    plen -= 1;
                }
                if plen == 1 {
                    return true;
                }
                while slen > 0 {
                    if match_from(pattern, p + 1, string, s, nocase, skip_longer) {
                        return true;
                    }
                    if *skip_longer {
                        return false;
                    }
                    s += 1;
                    slen -= 1;
                }
                *skip_longer = true;
                return false;
            }
            b'?' => {
                s += 1;
                slen -= 1;
            }
            b'[' => {
                p += 1;
                plen -= 1;
                let not = at(pattern, p) == b'^';
                if not {
                    p += 1;
                    plen -= 1;
                }
                let mut matched = false;
                let c = at(string, s);
                loop {
                    if at(pattern, p) == b'\\' && plen >= 2 {
                        p += 1;
                        plen -= 1;
                        if at(pattern, p) == c {
                            matched = true;
                        }
                    } else if at(pattern, p) == b']' {
                        break;
                    } else if plen == 0 {
                        p -= 1;
                        plen += 1;
                        break;
                    } else if plen >= 3 && at(pattern, p + 1) == b'-' {
                        let mut start = signed(at(pattern, p));
                        let mut end = signed(at(pattern, p + 2));
                        let mut ch = signed(c);
                        if start > end {
                            std::mem::swap(&mut start, &mut end);
                        }
                        if nocase {
                            start = signed(fold(start as u8, true));
                            end = signed(fold(end as u8, true));
                            ch = signed(fold(c, true));
                        }
                        p += 2;
                        plen -= 2;
                        if ch >= start && ch <= end {
                            matched = true;
                        }
                    } else if fold(at(pattern, p), nocase) == fold(c, nocase) {
                        matched = true;
                    }
                    p += 1;
                    plen -= 1;
                }
                if not {
                    matched = !matched;
                }
                if !matched {
                    return false;
                }
                s += 1;
                slen -= 1;
            }
            first => {
                let literal = if first == b'\\' && plen >= 2 {
                    p += 1;
                    plen -= 1;
                    at(pattern, p)
                } else {
                    first
                };
                if fold(literal, nocase) != fold(at(string, s), nocase) {
                    return false;
                }
                s += 1;
                slen -= 1;
            }
        }
        p += 1;
        plen -= 1;
        if slen == 0 {
            while at(pattern, p) == b'*' {
                p += 1;
                plen -= 1;
            }
            break;
        }
    }
    plen == 0 && slen == 0
}

#[cfg(test)]
mod tests {
    use super::string_match;

    fn m(p: &str, s: &str) -> bool {
        string_match(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn the_usual_globs() {
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hallo"));
        assert!(m("h\\*llo", "h*llo"));
        assert!(!m("h\\*llo", "hello"));
        assert!(m("a*b*c", "aXXbYYc"));
        assert!(!m("a*b*c", "aXXbYY"));
        assert!(m("foo*", "foo"));
        assert!(!m("", "a"));
        assert!(m("", ""));
    }

    #[test]
    fn redis_quirks() {
        // `[a-]` is the range between 'a' and ']' (swapped: ']'..='a').
        assert!(m("[a-]", "a"));
        assert!(m("[a-]", "_"));
        assert!(!m("[a-]", "b"));
        assert!(!m("[a-]", "-"));
        // An unterminated class still matches what it lists.
        assert!(m("[ab", "a"));
        assert!(!m("[", "a"));
        assert!(m("[^", "x"));
        // A trailing backslash is literal.
        assert!(m("a\\", "a\\"));
        // Bytes >= 0x80 are negative in a signed-char range.
        assert!(!string_match(b"[a-\xff]", b"b", false));
        assert!(!string_match(b"[\xff-a]", b"\x80", false));
        assert!(string_match(b"[\x80-\xff]", b"\x90", false));
        assert!(string_match(b"HELLO", b"hello", true));
    }
}
