//! Splitting a lesson file into its front matter and fenced blocks.
//!
//! Only the parts the format gives meaning to are read: the `+++` front
//! matter and fenced code blocks. Prose between them is the article and is
//! kept as it is, so a lesson reads the same in any Markdown viewer.

use super::LessonError;

/// A fenced block: its info string split into words, its body, and the
/// line (1-based) of the opening fence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub line: usize,
    pub info: Vec<String>,
    pub body: String,
    /// The line of the body's first line.
    pub body_line: usize,
}

/// A piece of the article in file order: prose or a block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Prose(String),
    Block(Block),
}

/// The file split up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Document {
    pub front_matter: String,
    /// The line of the front matter's first line.
    pub front_matter_line: usize,
    pub pieces: Vec<Piece>,
}

/// Splits `text`. The front matter is required: a lesson without an id
/// and a title cannot be listed.
pub fn split(text: &str) -> Result<Document, LessonError> {
    let lines: Vec<&str> = text.lines().collect();
    if lines.first().map(|l| l.trim_end()) != Some("+++") {
        return Err(LessonError::at(
            1,
            "a lesson starts with TOML front matter between two `+++` lines",
        ));
    }
    let close = lines
        .iter()
        .skip(1)
        .position(|l| l.trim_end() == "+++")
        .map(|i| i + 1)
        .ok_or_else(|| LessonError::at(1, "the front matter's closing `+++` is missing"))?;
    let front_matter = lines[1..close].join("\n");
    let mut pieces = Vec::new();
    let mut prose = String::new();
    let mut i = close + 1;
    while i < lines.len() {
        let line = lines[i];
        let trimmed = line.trim_start();
        let ticks = trimmed.chars().take_while(|&c| c == '`').count();
        if ticks >= 3 && line.len() - trimmed.len() < 4 {
            let fence = &trimmed[..ticks];
            let info: Vec<String> = trimmed[ticks..]
                .split_whitespace()
                .map(str::to_string)
                .collect();
            let end = lines[i + 1..]
                .iter()
                .position(|l| {
                    let t = l.trim();
                    t.starts_with(fence) && t.chars().all(|c| c == '`')
                })
                .map(|p| p + i + 1)
                .ok_or_else(|| {
                    LessonError::at(i + 1, format!("this {fence} block is never closed"))
                })?;
            if !prose.trim().is_empty() {
                pieces.push(Piece::Prose(std::mem::take(&mut prose)));
            }
            prose.clear();
            let mut body = lines[i + 1..end].join("\n");
            if end > i + 1 {
                body.push('\n');
            }
            pieces.push(Piece::Block(Block {
                line: i + 1,
                info,
                body,
                body_line: i + 2,
            }));
            i = end + 1;
        } else {
            prose.push_str(line);
            prose.push('\n');
            i += 1;
        }
    }
    if !prose.trim().is_empty() {
        pieces.push(Piece::Prose(prose));
    }
    Ok(Document {
        front_matter,
        front_matter_line: 2,
        pieces,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_keep_their_lines_and_info() {
        let doc =
            split("+++\nid = \"x\"\n+++\nHello\n\n```lua client-1\nreturn 1\n```\nBye\n").unwrap();
        assert_eq!(doc.front_matter, "id = \"x\"");
        assert_eq!(doc.pieces.len(), 3);
        match &doc.pieces[1] {
            Piece::Block(b) => {
                assert_eq!(b.line, 6);
                assert_eq!(b.body_line, 7);
                assert_eq!(b.info, vec!["lua", "client-1"]);
                assert_eq!(b.body, "return 1\n");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unclosed_block_names_its_line() {
        let e = split("+++\n+++\ntext\n```toml\nx = 1\n").unwrap_err();
        assert_eq!(e.line, 4);
        assert!(e.message.contains("never closed"), "{e}");
    }

    #[test]
    fn missing_front_matter_is_an_error() {
        assert_eq!(split("# Title\n").unwrap_err().line, 1);
        assert!(split("+++\nid = 1\n")
            .unwrap_err()
            .message
            .contains("closing"));
    }
}
