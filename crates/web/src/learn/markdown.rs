//! The Markdown a lesson's prose uses, read into blocks the page draws:
//! headings, paragraphs, lists, quotes, emphasis, inline code and links.
//!
//! Nothing here becomes HTML: the page draws each piece as an element with
//! text inside, so a `<script>` in a lesson file is shown as the words
//! `<script>`. Fenced code blocks never reach this reader: the lesson
//! crate splits them out first (they are the lesson's questions, notes and
//! scenarios, or code shown as it is).

/// A block of prose.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Block {
    /// Level 1–6 and its text.
    Heading(u8, Vec<Inline>),
    Paragraph(Vec<Inline>),
    List {
        ordered: bool,
        items: Vec<Vec<Inline>>,
    },
    Quote(Vec<Inline>),
}

/// A run of text inside a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inline {
    Text(String),
    Code(String),
    Emphasis(String),
    Strong(String),
    /// Only `http(s)` and in-page (`#...`) targets become links; any other
    /// target (`javascript:`...) is dropped and the words stay.
    Link {
        text: String,
        href: Option<String>,
    },
}

/// Reads prose into blocks.
pub fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Option<(bool, Vec<String>)> = None;
    let mut quote: Vec<&str> = Vec::new();

    fn flush_paragraph(paragraph: &mut Vec<&str>, out: &mut Vec<Block>) {
        if !paragraph.is_empty() {
            out.push(Block::Paragraph(inlines(&paragraph.join(" "))));
            paragraph.clear();
        }
    }
    fn flush_list(list: &mut Option<(bool, Vec<String>)>, out: &mut Vec<Block>) {
        if let Some((ordered, items)) = list.take() {
            out.push(Block::List {
                ordered,
                items: items.iter().map(|i| inlines(i)).collect(),
            });
        }
    }
    fn flush_quote(quote: &mut Vec<&str>, out: &mut Vec<Block>) {
        if !quote.is_empty() {
            out.push(Block::Quote(inlines(&quote.join(" "))));
            quote.clear();
        }
    }

    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            flush_paragraph(&mut paragraph, &mut out);
            flush_list(&mut list, &mut out);
            flush_quote(&mut quote, &mut out);
            continue;
        }
        if let Some((level, title)) = heading(trimmed) {
            flush_paragraph(&mut paragraph, &mut out);
            flush_list(&mut list, &mut out);
            flush_quote(&mut quote, &mut out);
            out.push(Block::Heading(level, inlines(title)));
            continue;
        }
        if let Some(rest) = trimmed.strip_prefix('>') {
            flush_paragraph(&mut paragraph, &mut out);
            flush_list(&mut list, &mut out);
            quote.push(rest.trim());
            continue;
        }
        if let Some((ordered, item)) = list_item(trimmed) {
            flush_paragraph(&mut paragraph, &mut out);
            flush_quote(&mut quote, &mut out);
            match &mut list {
                Some((kind, items)) if *kind == ordered => items.push(item.to_string()),
                _ => {
                    flush_list(&mut list, &mut out);
                    list = Some((ordered, vec![item.to_string()]));
                }
            }
            continue;
        }
        // An indented line under a list item continues that item.
        if let Some((_, items)) = &mut list {
            if line.starts_with(' ') || line.starts_with('\t') {
                if let Some(last) = items.last_mut() {
                    last.push(' ');
                    last.push_str(trimmed);
                    continue;
                }
            }
            flush_list(&mut list, &mut out);
        }
        if !quote.is_empty() {
            quote.push(trimmed);
            continue;
        }
        paragraph.push(trimmed);
    }
    flush_paragraph(&mut paragraph, &mut out);
    flush_list(&mut list, &mut out);
    flush_quote(&mut quote, &mut out);
    out
}

/// `## Title` → (2, "Title").
fn heading(line: &str) -> Option<(u8, &str)> {
    let level = line.bytes().take_while(|&b| b == b'#').count();
    if (1..=6).contains(&level) {
        let rest = &line[level..];
        if rest.starts_with(' ') {
            return Some((level as u8, rest.trim()));
        }
    }
    None
}

/// `- item`, `* item` or `3. item` → (ordered, item).
fn list_item(line: &str) -> Option<(bool, &str)> {
    for bullet in ["- ", "* ", "+ "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some((false, rest.trim()));
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && digits < 4 {
        let rest = &line[digits..];
        if let Some(item) = rest.strip_prefix(". ").or_else(|| rest.strip_prefix(") ")) {
            return Some((true, item.trim()));
        }
    }
    None
}

/// Reads inline code, emphasis and links; everything else is text.
pub fn inlines(text: &str) -> Vec<Inline> {
    let mut out: Vec<Inline> = Vec::new();
    let mut plain = String::new();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let closing = |from: usize, marker: &[char]| -> Option<usize> {
        (from..chars.len()).find(|&j| chars[j..].starts_with(marker))
    };
    while i < chars.len() {
        let c = chars[i];
        let mut piece: Option<(Inline, usize)> = None;
        if c == '`' {
            let ticks = chars[i..].iter().take_while(|&&c| c == '`').count();
            let marker = vec!['`'; ticks];
            if let Some(end) = closing(i + ticks, &marker) {
                let code: String = chars[i + ticks..end].iter().collect();
                piece = Some((Inline::Code(code.trim().to_string()), end + ticks));
            }
        } else if (c == '*' || c == '_') && chars.get(i + 1) == Some(&c) {
            let marker = [c, c];
            if let Some(end) = closing(i + 2, &marker).filter(|&end| end > i + 2) {
                let inner: String = chars[i + 2..end].iter().collect();
                piece = Some((Inline::Strong(inner), end + 2));
            }
        } else if (c == '*' || c == '_') && emphasis_can_open(&chars, i) {
            if let Some(end) = closing(i + 1, &[c]).filter(|&end| end > i + 1) {
                let inner: String = chars[i + 1..end].iter().collect();
                if !inner.starts_with(' ') && !inner.ends_with(' ') {
                    piece = Some((Inline::Emphasis(inner), end + 1));
                }
            }
        } else if c == '[' {
            if let Some(close) = closing(i + 1, &[']']) {
                if chars.get(close + 1) == Some(&'(') {
                    if let Some(end) = closing(close + 2, &[')']) {
                        let text: String = chars[i + 1..close].iter().collect();
                        let target: String = chars[close + 2..end].iter().collect();
                        let target = target.trim();
                        let safe = target.starts_with("https://")
                            || target.starts_with("http://")
                            || target.starts_with('#');
                        piece = Some((
                            Inline::Link {
                                text,
                                href: safe.then(|| target.to_string()),
                            },
                            end + 1,
                        ));
                    }
                }
            }
        }
        match piece {
            Some((inline, next)) => {
                if !plain.is_empty() {
                    out.push(Inline::Text(std::mem::take(&mut plain)));
                }
                out.push(inline);
                i = next;
            }
            None => {
                plain.push(c);
                i += 1;
            }
        }
    }
    if !plain.is_empty() {
        out.push(Inline::Text(plain));
    }
    out
}

/// A `*` or `_` opens emphasis only at the start of a word: `snake_case`
/// and `2 * 3` stay as they are.
fn emphasis_can_open(chars: &[char], i: usize) -> bool {
    let before_ok = i == 0 || !chars[i - 1].is_alphanumeric();
    let after_ok = chars.get(i + 1).is_some_and(|c| !c.is_whitespace());
    before_ok && after_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Inline {
        Inline::Text(s.into())
    }

    #[test]
    fn headings_paragraphs_and_lists_are_told_apart() {
        let doc = "# The GC pause\n\nLesson 3 ended\nwith a warning.\n\n- one\n- two\n  continued\n\n1. first\n2. second\n## Fencing tokens\n> a quote\n> more";
        assert_eq!(
            blocks(doc),
            vec![
                Block::Heading(1, vec![text("The GC pause")]),
                Block::Paragraph(vec![text("Lesson 3 ended with a warning.")]),
                Block::List {
                    ordered: false,
                    items: vec![vec![text("one")], vec![text("two continued")]],
                },
                Block::List {
                    ordered: true,
                    items: vec![vec![text("first")], vec![text("second")]],
                },
                Block::Heading(2, vec![text("Fencing tokens")]),
                Block::Quote(vec![text("a quote more")]),
            ]
        );
    }

    #[test]
    fn inline_code_emphasis_and_strong() {
        assert_eq!(
            inlines("With `SET NX PX`, the *key* is **never** without a TTL; snake_case and 2 * 3 stay."),
            vec![
                text("With "),
                Inline::Code("SET NX PX".into()),
                text(", the "),
                Inline::Emphasis("key".into()),
                text(" is "),
                Inline::Strong("never".into()),
                text(" without a TTL; snake_case and 2 * 3 stay."),
            ]
        );
        assert_eq!(inlines("``a ` b``"), vec![Inline::Code("a ` b".into())]);
        // An unclosed marker is just text.
        assert_eq!(inlines("`open and *half"), vec![text("`open and *half")]);
    }

    #[test]
    fn html_stays_text_and_unsafe_links_lose_their_target() {
        assert_eq!(
            blocks("<script>alert(1)</script> <b>x</b>"),
            vec![Block::Paragraph(vec![text(
                "<script>alert(1)</script> <b>x</b>"
            )])]
        );
        assert_eq!(
            inlines("[Redis](https://redis.io) [bad](javascript:alert(1))"),
            vec![
                Inline::Link {
                    text: "Redis".into(),
                    href: Some("https://redis.io".into())
                },
                text(" "),
                Inline::Link {
                    text: "bad".into(),
                    href: None
                },
                text(")"),
            ]
        );
    }

    #[test]
    fn every_shipped_lessons_prose_reads_without_losing_words() {
        for (name, parsed) in lockstep_lessons::lessons() {
            let lesson = parsed.unwrap_or_else(|e| panic!("{name}: {e}"));
            for piece in &lesson.pieces {
                if let lockstep_lessons::lesson::Piece::Prose(prose) = piece {
                    let drawn = blocks(prose);
                    let words = |s: &str| s.split_whitespace().count();
                    if words(prose) > 0 {
                        assert!(!drawn.is_empty(), "{name}: prose lost");
                    }
                }
            }
        }
    }
}
