//! A visitor's edits to a story, small enough to ride in a link.
//!
//! An edit is stored as the one stretch of the story that changed: where it
//! starts, how many bytes of the story it replaces, and the new text — so
//! changing a TTL costs a few characters of address, not the whole TOML.
//! In a link it reads `edit=START.REMOVED.TEXT`, TEXT in URL-safe base64.
//! Links get forged, so reading one checks every part and never panics.

/// The changed stretch of a story.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Edit {
    /// Byte offset in the story as shipped.
    pub start: usize,
    /// Bytes of the story replaced from `start`.
    pub removed: usize,
    pub inserted: String,
}

/// Longest text an edit may insert (the largest story is a few KB).
pub const MAX_INSERTED: usize = 64 * 1024;

impl Edit {
    /// The edit that turns `original` into `edited`: their common start and
    /// end are left out.
    pub fn between(original: &str, edited: &str) -> Edit {
        let prefix = common_prefix(original, edited);
        let suffix = common_suffix(&original[prefix..], &edited[prefix..]);
        Edit {
            start: prefix,
            removed: original.len() - prefix - suffix,
            inserted: edited[prefix..edited.len() - suffix].to_string(),
        }
    }

    /// `original` with the edit made, or why it cannot be.
    pub fn apply(&self, original: &str) -> Result<String, String> {
        let end = self
            .start
            .checked_add(self.removed)
            .filter(|&end| end <= original.len())
            .ok_or("the edit lies past the end of the story")?;
        if !original.is_char_boundary(self.start) || !original.is_char_boundary(end) {
            return Err("the edit splits a character of the story".into());
        }
        Ok(format!(
            "{}{}{}",
            &original[..self.start],
            self.inserted,
            &original[end..]
        ))
    }

    /// `START.REMOVED.TEXT`.
    pub fn encode(&self) -> String {
        format!(
            "{}.{}.{}",
            self.start,
            self.removed,
            base64url(self.inserted.as_bytes())
        )
    }

    pub fn decode(text: &str) -> Result<Edit, String> {
        let mut parts = text.splitn(3, '.');
        let (Some(start), Some(removed), Some(inserted)) =
            (parts.next(), parts.next(), parts.next())
        else {
            return Err("the edit is not START.REMOVED.TEXT".into());
        };
        let number = |s: &str| {
            s.parse::<usize>()
                .map_err(|_| "the edit's place is not a number")
        };
        let bytes = unbase64url(inserted).ok_or("the edit's text is not base64")?;
        if bytes.len() > MAX_INSERTED {
            return Err("the edit's text is too long".into());
        }
        Ok(Edit {
            start: number(start)?,
            removed: number(removed)?,
            inserted: String::from_utf8(bytes).map_err(|_| "the edit's text is not UTF-8")?,
        })
    }
}

fn common_prefix(a: &str, b: &str) -> usize {
    a.char_indices()
        .zip(b.chars())
        .find(|((_, x), y)| x != y)
        .map_or(a.len().min(b.len()), |((i, _), _)| i)
}

fn common_suffix(a: &str, b: &str) -> usize {
    a.chars()
        .rev()
        .zip(b.chars().rev())
        .take_while(|(x, y)| x == y)
        .map(|(x, _)| x.len_utf8())
        .sum()
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// URL-safe base64 without padding: nothing in it needs escaping in a hash.
pub(crate) fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

pub(crate) fn unbase64url(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0);
    for c in text.bytes() {
        let value = ALPHABET.iter().position(|&a| a == c)? as u32;
        bits = bits << 6 | value;
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count & 0xff) as u8);
        }
    }
    // Leftover bits must be zero padding of the last byte, never a byte.
    (count < 6 && bits & ((1 << count) - 1) == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_edit_is_the_changed_stretch_only_and_round_trips() {
        let story = "ttl_ms = 10000\nname = \"client-1\"\n";
        let edited = "ttl_ms = 30000\nname = \"client-1\"\n";
        let edit = Edit::between(story, edited);
        assert_eq!(edit.inserted, "3");
        assert_eq!(edit.removed, 1);
        assert_eq!(edit.apply(story).unwrap(), edited);
        let text = edit.encode();
        assert!(text.len() < 10, "{text}");
        assert_eq!(Edit::decode(&text).unwrap(), edit);
    }

    #[test]
    fn any_text_round_trips() {
        let story = "a = 1\nb = \"é\"\n";
        for edited in ["", "a = 1\n", "x", "a = 1\nb = \"ü\"\n# ±€ & = #\n", story] {
            let edit = Edit::between(story, edited);
            let back = Edit::decode(&edit.encode()).unwrap();
            assert_eq!(back.apply(story).unwrap(), edited, "{edited:?}");
        }
    }

    #[test]
    fn forged_edits_are_refused_with_a_reason() {
        let story = "a = \"é\"\n";
        assert!(Edit::decode("nonsense").is_err());
        assert!(Edit::decode("1.x.AA").is_err());
        assert!(Edit::decode("1.1.!!").is_err());
        assert!(Edit::decode("1.1.A").is_err(), "six bits make no byte");
        let past = Edit::decode("99.1.").unwrap();
        assert!(past.apply(story).is_err());
        let overflow = Edit::decode(&format!("{}.{}.", usize::MAX, usize::MAX)).unwrap();
        assert!(overflow.apply(story).is_err());
        let split = Edit {
            start: 6,
            removed: 0,
            inserted: String::new(),
        };
        assert!(split.apply(story).is_err(), "inside the é");
        assert_eq!(
            unbase64url(&base64url(&[0xff, 0, 1, 2])).unwrap(),
            [0xff, 0, 1, 2]
        );
    }
}
