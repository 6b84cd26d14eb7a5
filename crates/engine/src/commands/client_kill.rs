//! CLIENT KILL: closes other connections (or the caller's own, after its
//! reply). The engine notes which; the host that owns the sockets closes
//! them ([`crate::Engine::take_killed`]).

use crate::command::Ctx;
use crate::numbers::parse_i64;
use crate::reply::Reply;
use crate::scripting::SCRIPT_CLIENT_ID;

/// Which connections a CLIENT KILL names; unset filters match everything.
#[derive(Default)]
struct Filter {
    id: Option<u64>,
    addr: Option<Vec<u8>>,
    laddr: Option<Vec<u8>>,
    user: Option<Vec<u8>>,
    /// `normal` or `pubsub`; the model has no replica or primary links, so
    /// `master`/`replica`/`slave` match nothing.
    kind: Option<ClientKind>,
    skip_me: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum ClientKind {
    Normal,
    PubSub,
    Replica,
    Primary,
}

/// The address CLIENT LIST prints as `laddr`.
const LOCAL_ADDR: &[u8] = b"127.0.0.1:6379";

/// CLIENT KILL ip:port, or CLIENT KILL with ID, TYPE, USER, ADDR, LADDR and
/// SKIPME filters (`clientKillCommand`): OK or the number killed.
pub(super) fn client_kill(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let old_form = args.len() == 3;
    let filter = match parse(ctx, args) {
        Ok(filter) => filter,
        Err(reply) => return reply,
    };
    let me = ctx.client_id;
    let killed: Vec<_> = ctx
        .clients
        .values()
        .filter(|c| c.id != SCRIPT_CLIENT_ID && !(filter.skip_me && c.id == me))
        .filter(|c| filter.id.is_none_or(|id| c.id == id))
        .filter(|c| {
            filter
                .addr
                .as_deref()
                .is_none_or(|a| c.addr.as_bytes() == a)
        })
        .filter(|_| filter.laddr.as_deref().is_none_or(|a| a == LOCAL_ADDR))
        .filter(|c| filter.user.as_deref().is_none_or(|u| c.user_name() == u))
        .filter(|c| {
            filter.kind.is_none_or(|kind| {
                let pubsub = c.subscription_count() > 0;
                match kind {
                    ClientKind::Normal => !pubsub,
                    ClientKind::PubSub => pubsub,
                    ClientKind::Replica | ClientKind::Primary => false,
                }
            })
        })
        .map(|c| c.id)
        .collect();
    let count = killed.len();
    ctx.server.killed_clients.extend(killed);
    if old_form {
        if count == 0 {
            Reply::error("ERR No such client")
        } else {
            Reply::ok()
        }
    } else {
        Reply::Integer(count as i64)
    }
}

fn parse(ctx: &Ctx, args: &[Vec<u8>]) -> Result<Filter, Reply> {
    if args.len() == 3 {
        // The old form may kill the caller too.
        return Ok(Filter {
            addr: Some(args[2].clone()),
            ..Filter::default()
        });
    }
    if !args.len().is_multiple_of(2) {
        return Err(Reply::syntax_error());
    }
    let mut filter = Filter {
        skip_me: true,
        ..Filter::default()
    };
    for pair in args[2..].chunks(2) {
        let (name, value) = (&pair[0], &pair[1]);
        match String::from_utf8_lossy(name).to_ascii_lowercase().as_str() {
            "id" => {
                let id = parse_i64(value)
                    .filter(|id| *id >= 1)
                    .ok_or_else(|| Reply::error("ERR client-id should be greater than 0"))?;
                filter.id = Some(id as u64);
            }
            "type" => {
                filter.kind = Some(
                    match String::from_utf8_lossy(value).to_ascii_lowercase().as_str() {
                        "normal" => ClientKind::Normal,
                        "pubsub" => ClientKind::PubSub,
                        "slave" | "replica" => ClientKind::Replica,
                        "master" => ClientKind::Primary,
                        _ => {
                            return Err(Reply::error(format!(
                                "ERR Unknown client type '{}'",
                                String::from_utf8_lossy(value)
                            )))
                        }
                    },
                );
            }
            "addr" => filter.addr = Some(value.clone()),
            "laddr" => filter.laddr = Some(value.clone()),
            "user" => {
                if ctx.server.acl.user(value).is_none() {
                    return Err(Reply::error(format!(
                        "ERR No such user '{}'",
                        String::from_utf8_lossy(value)
                    )));
                }
                filter.user = Some(value.clone());
            }
            "skipme" => {
                filter.skip_me = if value.eq_ignore_ascii_case(b"yes") {
                    true
                } else if value.eq_ignore_ascii_case(b"no") {
                    false
                } else {
                    return Err(Reply::syntax_error());
                };
            }
            _ => return Err(Reply::syntax_error()),
        }
    }
    Ok(filter)
}
