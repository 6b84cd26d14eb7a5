//! Replies as Redis builds them, before they are encoded for a protocol.

/// One reply. Variants mirror Redis's `addReply*` family, so that the RESP2
/// and RESP3 encodings can both be derived exactly (see [`crate::encode`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    /// `+OK`: a simple string (no CR or LF inside).
    Status(String),
    /// `-ERR ...`: the full error text including its code (`ERR`, `WRONGTYPE`, ...).
    Error(String),
    /// `:42`
    Integer(i64),
    /// `$3\r\nfoo`: a binary-safe string.
    Bulk(Vec<u8>),
    /// A missing value: `$-1` in RESP2, `_` in RESP3 (Redis's `addReplyNull`).
    Null,
    /// A missing array: `*-1` in RESP2, `_` in RESP3 (`addReplyNullArray`).
    NullArray,
    /// `*N` followed by N replies.
    Array(Vec<Reply>),
    /// A double: a bulk string in RESP2, `,` in RESP3 (`addReplyDouble`).
    Double(f64),
    /// A map: a flat array of 2N in RESP2, `%N` in RESP3.
    Map(Vec<(Reply, Reply)>),
    /// A set: an array in RESP2, `~N` in RESP3.
    Set(Vec<Reply>),
    /// A boolean: `:1`/`:0` in RESP2, `#t`/`#f` in RESP3.
    Bool(bool),
    /// Out-of-band data (pub/sub messages): an array in RESP2, `>N` in RESP3.
    Push(Vec<Reply>),
    /// Text meant for humans (INFO): a bulk string in RESP2, `=N\r\ntxt:` in RESP3.
    Verbatim(String),
    /// A big number's digits (DEBUG PROTOCOL, a script's `{big_number=...}`):
    /// a bulk string in RESP2, `(` in RESP3 (`addReplyBigNum`).
    BigNumber(String),
    /// A reply with RESP3 attributes before it (`|N` and key/value pairs);
    /// a RESP2 client, and a script, sees the reply alone (DEBUG PROTOCOL
    /// attrib).
    Attributed {
        attributes: Vec<(Reply, Reply)>,
        reply: Box<Reply>,
    },
    /// Several top-level replies in a row, as SUBSCRIBE to N channels sends N.
    Many(Vec<Reply>),
}

impl Reply {
    pub fn ok() -> Reply {
        Reply::Status("OK".into())
    }

    /// An error reply; `text` includes the code, e.g. `"ERR syntax error"`.
    pub fn error(text: impl Into<String>) -> Reply {
        Reply::Error(text.into())
    }

    pub fn bulk(bytes: impl AsRef<[u8]>) -> Reply {
        Reply::Bulk(bytes.as_ref().to_vec())
    }

    /// Whether it holds other replies.
    pub fn is_aggregate(&self) -> bool {
        matches!(
            self,
            Reply::Array(_) | Reply::Map(_) | Reply::Set(_) | Reply::Push(_) | Reply::Many(_)
        )
    }

    pub fn is_error(&self) -> bool {
        matches!(self, Reply::Error(_))
    }

    pub fn syntax_error() -> Reply {
        Reply::error("ERR syntax error")
    }

    pub fn wrong_type() -> Reply {
        Reply::error("WRONGTYPE Operation against a key holding the wrong kind of value")
    }

    pub fn not_integer() -> Reply {
        Reply::error("ERR value is not an integer or out of range")
    }

    pub fn not_float() -> Reply {
        Reply::error("ERR value is not a valid float")
    }

    /// `ERR wrong number of arguments for 'get' command` (name as typed, lowercased).
    pub fn wrong_arity(name: &str) -> Reply {
        Reply::error(format!(
            "ERR wrong number of arguments for '{}' command",
            name.to_ascii_lowercase()
        ))
    }
}

/// Dropped iteratively: a script's reply can nest thousands of levels
/// deep, and the compiler's recursive drop would overflow the stack of a
/// connection thread or of the page.
impl Drop for Reply {
    fn drop(&mut self) {
        let mut pending = match self {
            Reply::Array(items) | Reply::Set(items) | Reply::Push(items) | Reply::Many(items)
                if items.iter().any(Reply::is_aggregate) =>
            {
                std::mem::take(items)
            }
            Reply::Map(pairs)
                if pairs
                    .iter()
                    .any(|(k, v)| k.is_aggregate() || v.is_aggregate()) =>
            {
                std::mem::take(pairs)
                    .into_iter()
                    .flat_map(|(k, v)| [k, v])
                    .collect()
            }
            _ => return,
        };
        while let Some(mut reply) = pending.pop() {
            match &mut reply {
                Reply::Array(items)
                | Reply::Set(items)
                | Reply::Push(items)
                | Reply::Many(items) => pending.append(items),
                Reply::Map(pairs) => {
                    pending.extend(std::mem::take(pairs).into_iter().flat_map(|(k, v)| [k, v]))
                }
                _ => {}
            }
        }
    }
}
