//! Redis's inline command syntax (`sdssplitargs`): how `SET k "a b"` is
//! split into words. The RESP server's inline commands and scenario files'
//! seed data both use it.

/// C's `isspace` in the C locale.
pub fn c_isspace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

/// Redis's `sdssplitargs`: splits an inline command line into arguments.
/// `None` for unbalanced quotes (or a closing quote not followed by a space).
///
/// Whitespace between arguments is anything `isspace` accepts, but inside an
/// unquoted argument only space, tab, CR and LF end it; `"..."` takes C
/// escapes (`\n \r \t \b \a \xHH`, any other escaped byte stands for
/// itself); `'...'` takes only `\'`. A quote may open mid-argument.
pub fn split_args(line: &[u8]) -> Option<Vec<Vec<u8>>> {
    // The line is a C string: nothing after a NUL exists.
    let line = &line[..line.iter().position(|&b| b == 0).unwrap_or(line.len())];
    let at = |i: usize| line.get(i).copied().unwrap_or(0);
    let mut args = Vec::new();
    let mut p = 0;
    loop {
        while p < line.len() && c_isspace(line[p]) {
            p += 1;
        }
        if p >= line.len() {
            return Some(args);
        }
        let mut current = Vec::new();
        let (mut in_double, mut in_single) = (false, false);
        loop {
            let c = at(p);
            if in_double {
                if c == b'\\'
                    && at(p + 1) == b'x'
                    && hex(at(p + 2)).is_some()
                    && hex(at(p + 3)).is_some()
                {
                    current.push(hex(at(p + 2)).unwrap_or(0) * 16 + hex(at(p + 3)).unwrap_or(0));
                    p += 3;
                } else if c == b'\\' && at(p + 1) != 0 {
                    p += 1;
                    current.push(match at(p) {
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        b'b' => 0x08,
                        b'a' => 0x07,
                        other => other,
                    });
                } else if c == b'"' {
                    if at(p + 1) != 0 && !c_isspace(at(p + 1)) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else if in_single {
                if c == b'\\' && at(p + 1) == b'\'' {
                    p += 1;
                    current.push(b'\'');
                } else if c == b'\'' {
                    if at(p + 1) != 0 && !c_isspace(at(p + 1)) {
                        return None;
                    }
                    p += 1;
                    break;
                } else if c == 0 {
                    return None;
                } else {
                    current.push(c);
                }
            } else {
                match c {
                    b' ' | b'\n' | b'\r' | b'\t' | 0 => {
                        if c != 0 {
                            p += 1;
                        }
                        break;
                    }
                    b'"' => in_double = true,
                    b'\'' => in_single = true,
                    other => current.push(other),
                }
            }
            if c != 0 {
                p += 1;
            }
        }
        args.push(current);
    }
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_args_like_sdssplitargs() {
        assert_eq!(
            split_args(b"  a  \"b\\x41\\n\" 'c\\'d' ").unwrap(),
            vec![b"a".to_vec(), b"bA\n".to_vec(), b"c'd".to_vec()]
        );
        assert_eq!(split_args(b"a\x0bb").unwrap(), vec![b"a\x0bb".to_vec()]);
        assert_eq!(split_args(b"x\"y z\"").unwrap(), vec![b"xy z".to_vec()]);
        assert_eq!(split_args(b"\"a\"b"), None);
        assert_eq!(split_args(b"'a"), None);
        assert_eq!(split_args(b"").unwrap(), Vec::<Vec<u8>>::new());
    }
}
