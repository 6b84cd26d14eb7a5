//! Redis's glob-style matcher (`stringmatchlen` in util.c), byte for byte.
//!
//! Used by KEYS, SCAN MATCH, PSUBSCRIBE/PUBLISH and PUBSUB CHANNELS. The
//! rules are Redis's, including its corner cases: `*` never matches an
//! empty remainder on its own (`"*"` does not match `""`), an unterminated
//! `[` class still matches, ranges compare bytes as C's signed `char`, and
//! only ASCII letters fold under `nocase` (Redis runs in the C locale).
//!
//! Redis matches `*` by recursion, but once a nested `*` has been reached
//! the outer one never tries another position (`skipLongerMatches`), so
//! remembering only the latest `*` gives the same answers without using
//! stack in proportion to the pattern.

/// Whether `string` matches glob `pattern`; `nocase` folds ASCII letters.
pub fn string_match(pattern: &[u8], string: &[u8], nocase: bool) -> bool {
    let mut attempt = Matcher {
        pattern,
        string,
        nocase,
    }
    .run(0, 0);
    // The latest `*`: where the rest of the pattern starts, and the string
    // position the rest was last tried at.
    let mut star: Option<(usize, usize)> = None;
    loop {
        match attempt {
            Attempt::Match => return true,
            Attempt::Star { rest, at } => {
                star = Some((rest, at));
                attempt = Matcher {
                    pattern,
                    string,
                    nocase,
                }
                .run(rest, at);
            }
            Attempt::NoMatch => {
                let Some((rest, at)) = star else {
                    return false;
                };
                // The `*` swallows one more byte; it never tries the
                // empty remainder.
                let at = at + 1;
                if at >= string.len() {
                    return false;
                }
                star = Some((rest, at));
                attempt = Matcher {
                    pattern,
                    string,
                    nocase,
                }
                .run(rest, at);
            }
        }
    }
}

enum Attempt {
    Match,
    NoMatch,
    /// Reached a `*` that is not the pattern's last byte: the rest of the
    /// pattern (from `rest`) must be tried at string positions `at..`.
    Star {
        rest: usize,
        at: usize,
    },
}

struct Matcher<'a> {
    pattern: &'a [u8],
    string: &'a [u8],
    nocase: bool,
}

impl Matcher<'_> {
    /// The pattern byte at `i`, or NUL past the end, as the C code reads
    /// the sds terminator.
    fn pat(&self, i: usize) -> u8 {
        self.pattern.get(i).copied().unwrap_or(0)
    }

    fn fold(&self, c: u8) -> u8 {
        if self.nocase {
            c.to_ascii_lowercase()
        } else {
            c
        }
    }

    /// One pass of `stringmatchlen_impl` from pattern position `p` and
    /// string position `s`, up to the first `*` that needs backtracking.
    fn run(&self, mut p: usize, mut s: usize) -> Attempt {
        let plen_total = self.pattern.len();
        let slen_total = self.string.len();
        while p < plen_total && s < slen_total {
            match self.pattern[p] {
                b'*' => {
                    while p < plen_total && self.pat(p + 1) == b'*' {
                        p += 1;
                    }
                    if plen_total - p == 1 {
                        return Attempt::Match;
                    }
                    return Attempt::Star { rest: p + 1, at: s };
                }
                b'?' => s += 1,
                b'[' => {
                    p += 1;
                    let not = self.pat(p) == b'^';
                    if not {
                        p += 1;
                    }
                    let c = self.string[s];
                    let mut matched = false;
                    loop {
                        let remaining = plen_total - p;
                        if self.pat(p) == b'\\' && remaining >= 2 {
                            p += 1;
                            if self.pat(p) == c {
                                matched = true;
                            }
                        } else if self.pat(p) == b']' {
                            break;
                        } else if remaining == 0 {
                            p -= 1;
                            break;
                        } else if remaining >= 3 && self.pat(p + 1) == b'-' {
                            // C compares plain (signed) chars here.
                            let mut start = i32::from(self.pat(p) as i8);
                            let mut end = i32::from(self.pat(p + 2) as i8);
                            let mut ch = i32::from(c as i8);
                            if start > end {
                                std::mem::swap(&mut start, &mut end);
                            }
                            if self.nocase {
                                start = ascii_lower_i32(start);
                                end = ascii_lower_i32(end);
                                ch = ascii_lower_i32(ch);
                            }
                            p += 2;
                            if ch >= start && ch <= end {
                                matched = true;
                            }
                        } else if self.fold(self.pat(p)) == self.fold(c) {
                            matched = true;
                        }
                        p += 1;
                    }
                    if not {
                        matched = !matched;
                    }
                    if !matched {
                        return Attempt::NoMatch;
                    }
                    s += 1;
                }
                other => {
                    let mut literal = other;
                    if other == b'\\' && plen_total - p >= 2 {
                        p += 1;
                        literal = self.pattern[p];
                    }
                    if self.fold(literal) != self.fold(self.string[s]) {
                        return Attempt::NoMatch;
                    }
                    s += 1;
                }
            }
            p += 1;
            if s == slen_total {
                while self.pat(p) == b'*' {
                    p += 1;
                }
                break;
            }
        }
        if p == plen_total && s == slen_total {
            Attempt::Match
        } else {
            Attempt::NoMatch
        }
    }
}

fn ascii_lower_i32(c: i32) -> i32 {
    if (i32::from(b'A')..=i32::from(b'Z')).contains(&c) {
        c + 32
    } else {
        c
    }
}

#[cfg(test)]
mod tests {
    use super::string_match;

    fn m(p: &str, s: &str) -> bool {
        string_match(p.as_bytes(), s.as_bytes(), false)
    }

    #[test]
    fn stars_and_question_marks() {
        assert!(m("*", "anything"));
        assert!(m("h?llo", "hello"));
        assert!(m("h*llo", "heeeello"));
        assert!(m("h*llo", "hllo"));
        assert!(!m("h*llo", "hllx"));
        assert!(m("a*b*c", "axxbyyc"));
        assert!(!m("a*b*c", "axxbyy"));
        assert!(m("**a**", "xxa"));
        assert!(m("news.*", "news.art"));
        assert!(!m("news.*", "news"));
    }

    #[test]
    fn star_does_not_match_an_empty_string_alone() {
        assert!(!m("*", ""));
        assert!(!m("?", ""));
        assert!(m("", ""));
        assert!(m("a*", "a"));
    }

    #[test]
    fn classes_ranges_and_negation() {
        assert!(m("h[ae]llo", "hallo"));
        assert!(!m("h[ae]llo", "hillo"));
        assert!(m("h[^e]llo", "hallo"));
        assert!(!m("h[^e]llo", "hello"));
        assert!(m("h[a-b]llo", "hbllo"));
        assert!(m("h[b-a]llo", "hbllo"));
        assert!(m("[\\]]", "]"));
        // "a-]" is a range from 'a' down to ']', and the class stays open.
        assert!(!m("[a-]", "-"));
        assert!(m("[a-]", "^"));
    }

    #[test]
    fn unterminated_classes_behave_like_redis() {
        assert!(!m("a[", "ab"));
        assert!(m("a[^", "ab"));
        assert!(m("[abc", "c"));
        assert!(!m("[abc", "d"));
    }

    #[test]
    fn escapes() {
        assert!(m("\\*", "*"));
        assert!(!m("\\*", "a"));
        assert!(m("a\\", "a\\"));
        assert!(m("\\?x", "?x"));
    }

    #[test]
    fn nocase_folds_ascii_only() {
        assert!(string_match(b"HeLLo", b"hello", true));
        assert!(string_match(b"[A-C]x", b"bX", true));
        assert!(!string_match(b"HeLLo", b"hello", false));
        assert!(!string_match("É".as_bytes(), "é".as_bytes(), true));
    }

    #[test]
    fn ranges_compare_signed_bytes() {
        // 'a'..0xff is -1..97 as signed chars: it takes NUL..'a' and 0xff.
        assert!(string_match(b"[a-\xff]", b"\x10", false));
        assert!(string_match(b"[a-\xff]", b"\xff", false));
        assert!(!string_match(b"[a-\xff]", b"b", false));
    }

    #[test]
    fn long_patterns_do_not_recurse() {
        let pattern = "a*".repeat(50_000);
        let string = "a".repeat(50_000);
        assert!(m(&pattern, &string));
        assert!(!m(&(pattern + "b"), &string));
    }
}
