//! Exact bytes in the trace. Redis values are bytes, not text: a value with
//! quotes, newlines or invalid UTF-8, or longer than the timeline shows,
//! must reach an invariant or a front end unchanged. In JSON they are one
//! standard base64 string (RFC 4648, with `=` padding), the most compact
//! form JSON can carry; the display form stays beside it for people.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Bytes that serialize as a base64 string.
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Bytes(pub Vec<u8>);

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

impl Bytes {
    /// Standard base64 with padding.
    pub fn to_base64(&self) -> String {
        let mut out = String::with_capacity(self.0.len().div_ceil(3) * 4);
        for chunk in self.0.chunks(3) {
            let b = [
                chunk[0],
                chunk.get(1).copied().unwrap_or(0),
                chunk.get(2).copied().unwrap_or(0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    /// Reads standard base64 with padding; `None` for anything else.
    pub fn from_base64(text: &str) -> Option<Bytes> {
        let text = text.as_bytes();
        if !text.len().is_multiple_of(4) {
            return None;
        }
        let value = |c: u8| ALPHABET.iter().position(|&a| a == c).map(|v| v as u32);
        let mut out = Vec::with_capacity(text.len() / 4 * 3);
        for (i, quad) in text.chunks(4).enumerate() {
            let last = i == text.len() / 4 - 1;
            let padding = quad.iter().rev().take_while(|&&c| c == b'=').count();
            if padding > 2 || (padding > 0 && !last) {
                return None;
            }
            let mut n = 0u32;
            for &c in &quad[..4 - padding] {
                n = (n << 6) | value(c)?;
            }
            n <<= 6 * padding as u32;
            let decoded = [(n >> 16) as u8, (n >> 8) as u8, n as u8];
            out.extend_from_slice(&decoded[..3 - padding]);
        }
        Some(Bytes(out))
    }
}

impl Serialize for Bytes {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_base64())
    }
}

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Bytes, D::Error> {
        let text = String::deserialize(deserializer)?;
        Bytes::from_base64(&text)
            .ok_or_else(|| serde::de::Error::custom(format!("not base64: {text:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_and_matches_rfc_4648() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            let bytes = Bytes(plain.as_bytes().to_vec());
            assert_eq!(bytes.to_base64(), encoded);
            assert_eq!(Bytes::from_base64(encoded), Some(bytes));
        }
        let all = Bytes((0..=255).collect());
        assert_eq!(Bytes::from_base64(&all.to_base64()), Some(all));
    }

    #[test]
    fn bad_base64_is_refused() {
        for bad in ["Zg=", "Z===", "Zg==Zg==", "Zm9v!A==", "===="] {
            assert_eq!(Bytes::from_base64(bad), None, "{bad}");
        }
    }
}
