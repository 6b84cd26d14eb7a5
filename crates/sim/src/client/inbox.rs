//! What a subscribed connection receives besides replies: pub/sub messages
//! and subscription confirmations, queued per task until the program asks
//! for them with `next_message`.
//!
//! A task's connection is its own (one per task, as in the node's
//! `connections`), so its inbox is too. Redis sends a pushed message on
//! the connection whether or not the client is reading; the program reads
//! them one at a time, in the order they arrived.

use std::collections::VecDeque;

use lockstep_engine::Reply;
use lockstep_lua::mlua::{self, Lua, Value};

/// One pushed frame, parsed from the `message`/`pmessage`/confirmation
/// arrays Redis sends.
#[derive(Clone, Debug, PartialEq)]
pub enum Delivery {
    /// `message` (`pattern: None`) or `pmessage`.
    Message {
        pattern: Option<Vec<u8>>,
        channel: Vec<u8>,
        data: Vec<u8>,
    },
    /// `subscribe`, `unsubscribe`, `psubscribe` or `punsubscribe`, with the
    /// connection's subscription count after it.
    Confirmation {
        kind: String,
        channel: Option<Vec<u8>>,
        count: i64,
    },
}

impl Delivery {
    /// Parses a pushed frame; `None` for anything that is not pub/sub.
    pub fn parse(reply: &Reply) -> Option<Delivery> {
        let (Reply::Push(items) | Reply::Array(items)) = reply else {
            return None;
        };
        let bytes = |i: usize| match items.get(i) {
            Some(Reply::Bulk(b)) => Some(b.clone()),
            _ => None,
        };
        let kind = String::from_utf8_lossy(&bytes(0)?).to_ascii_lowercase();
        match kind.as_str() {
            "message" if items.len() == 3 => Some(Delivery::Message {
                pattern: None,
                channel: bytes(1)?,
                data: bytes(2)?,
            }),
            "pmessage" if items.len() == 4 => Some(Delivery::Message {
                pattern: Some(bytes(1)?),
                channel: bytes(2)?,
                data: bytes(3)?,
            }),
            "subscribe" | "unsubscribe" | "psubscribe" | "punsubscribe" if items.len() == 3 => {
                let count = match items.get(2) {
                    Some(Reply::Integer(n)) => *n,
                    _ => return None,
                };
                Some(Delivery::Confirmation {
                    kind,
                    channel: bytes(1),
                    count,
                })
            }
            _ => None,
        }
    }

    /// The table a program gets from `next_message`: `kind`, `channel`,
    /// `data` (and `pattern` for `pmessage`), or `kind`, `channel`, `count`
    /// for a confirmation.
    pub fn to_lua(&self, lua: &Lua) -> mlua::Result<Value> {
        let table = lua.create_table()?;
        match self {
            Delivery::Message {
                pattern,
                channel,
                data,
            } => {
                let kind = if pattern.is_some() {
                    "pmessage"
                } else {
                    "message"
                };
                table.set("kind", kind)?;
                if let Some(pattern) = pattern {
                    table.set("pattern", lua.create_string(pattern)?)?;
                }
                table.set("channel", lua.create_string(channel)?)?;
                table.set("data", lua.create_string(data)?)?;
            }
            Delivery::Confirmation {
                kind,
                channel,
                count,
            } => {
                table.set("kind", kind.as_str())?;
                if let Some(channel) = channel {
                    table.set("channel", lua.create_string(channel)?)?;
                }
                table.set("count", *count as f64)?;
            }
        }
        Ok(Value::Table(table))
    }
}

/// A task's unread deliveries, and whether the server closed its
/// connection (then `next_message` says so instead of waiting forever).
#[derive(Clone, Debug, Default)]
pub struct Inbox {
    pub items: VecDeque<Delivery>,
    pub closed: Option<String>,
}

impl Inbox {
    /// Removes the confirmations at the front (those that came with a
    /// SUBSCRIBE of several channels) and returns the last one's count.
    pub fn take_confirmations(&mut self) -> Option<i64> {
        let mut last = None;
        while let Some(Delivery::Confirmation { count, .. }) = self.items.front() {
            last = Some(*count);
            self.items.pop_front();
        }
        last
    }
}
