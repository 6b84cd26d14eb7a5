//! Helpers for the scenario editor: finding the line a TOML error points
//! at, so the page can put the caret there instead of leaving the learner
//! to count lines in a 60-line file.

/// The line (from 1) an error message names, as the TOML parser words it:
/// `TOML parse error at line 12, column 7`.
pub fn error_line(message: &str) -> Option<usize> {
    let rest = &message[message.find("at line ")? + "at line ".len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok().filter(|&line| line > 0)
}

/// Where line `line` (from 1) of `text` starts and ends, in UTF-16 code
/// units: what a textarea's `setSelectionRange` counts in.
pub fn line_span_utf16(text: &str, line: usize) -> Option<(u32, u32)> {
    let mut start = 0u32;
    for (i, content) in text.split('\n').enumerate() {
        let len = content.encode_utf16().count() as u32;
        if i + 1 == line {
            return Some((start, start + len));
        }
        start += len + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_toml_error_line_is_found() {
        let message = "TOML parse error at line 12, column 7\n   |\n12 | [[node]\n";
        assert_eq!(error_line(message), Some(12));
        assert_eq!(
            error_line("fault 1: target \"client-9\" is not a client"),
            None
        );
        assert_eq!(error_line("at line 0"), None);
        assert_eq!(error_line("at line x"), None);
    }

    #[test]
    fn line_spans_count_utf16_units() {
        let text = "a = 1\n# \u{2014} é\nb = 2";
        assert_eq!(line_span_utf16(text, 1), Some((0, 5)));
        assert_eq!(line_span_utf16(text, 2), Some((6, 11)));
        assert_eq!(line_span_utf16(text, 3), Some((12, 17)));
        assert_eq!(line_span_utf16(text, 4), None);
        assert_eq!(line_span_utf16("x\u{1F600}\ny", 2), Some((4, 5)));
    }
}
