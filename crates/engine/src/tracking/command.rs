//! CLIENT TRACKING, CLIENT CACHING, CLIENT GETREDIR and CLIENT
//! TRACKINGINFO, with Redis 7.0's argument checks in its order.

use crate::command::Ctx;
use crate::numbers::parse_i64;
use crate::reply::Reply;

use super::Tracker;

/// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX p ...] [OPTIN]
/// [OPTOUT] [NOLOOP].
pub fn client_tracking(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut options = Tracker::default();
    let mut prefixes: Vec<Vec<u8>> = Vec::new();
    let mut j = 3;
    while j < args.len() {
        let more = j + 1 < args.len();
        let word = &args[j];
        if word.eq_ignore_ascii_case(b"redirect") && more {
            j += 1;
            if options.redirect != 0 {
                return Reply::error("ERR A client can only redirect to a single other client");
            }
            let Some(id) = parse_i64(&args[j]) else {
                return Reply::not_integer();
            };
            let id = u64::try_from(id).unwrap_or(0);
            if !ctx.clients.contains_key(&id) {
                return Reply::error("ERR The client ID you want redirect to does not exist");
            }
            options.redirect = id;
        } else if word.eq_ignore_ascii_case(b"bcast") {
            options.bcast = true;
        } else if word.eq_ignore_ascii_case(b"optin") {
            options.optin = true;
        } else if word.eq_ignore_ascii_case(b"optout") {
            options.optout = true;
        } else if word.eq_ignore_ascii_case(b"noloop") {
            options.noloop = true;
        } else if word.eq_ignore_ascii_case(b"prefix") && more {
            j += 1;
            prefixes.push(args[j].clone());
        } else {
            return Reply::syntax_error();
        }
        j += 1;
    }
    let me = ctx.client_id;
    if args[2].eq_ignore_ascii_case(b"off") {
        ctx.server.tracking.disable(me);
        return Reply::ok();
    }
    if !args[2].eq_ignore_ascii_case(b"on") {
        return Reply::syntax_error();
    }
    if !options.bcast && !prefixes.is_empty() {
        return Reply::error("ERR PREFIX option requires BCAST mode to be enabled");
    }
    let current = ctx.server.tracking.tracker(me).cloned();
    if current.as_ref().is_some_and(|c| c.bcast != options.bcast) {
        return Reply::error("ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode.");
    }
    if options.bcast && (options.optin || options.optout) {
        return Reply::error("ERR OPTIN and OPTOUT are not compatible with BCAST");
    }
    if options.optin && options.optout {
        return Reply::error("ERR You can't specify both OPTIN mode and OPTOUT mode");
    }
    if current
        .as_ref()
        .is_some_and(|c| (options.optin && c.optout) || (options.optout && c.optin))
    {
        return Reply::error("ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode.");
    }
    let mut replies = Vec::new();
    if options.bcast {
        let existing = current.map(|c| c.prefixes).unwrap_or_default();
        match prefix_collision(&existing, &prefixes) {
            Collision::None => {}
            Collision::Refused(error) => return error,
            // Redis's `checkPrefixCollisionsOrReply` returns the index of
            // the colliding prefix, which reads as success from the second
            // prefix on: the error goes out and tracking is enabled anyway.
            Collision::ErrorThenOk(error) => replies.push(error),
        }
    }
    ctx.server.tracking.enable(me, options, &prefixes);
    if replies.is_empty() {
        return Reply::ok();
    }
    replies.push(Reply::ok());
    Reply::Many(replies)
}

enum Collision {
    None,
    Refused(Reply),
    ErrorThenOk(Reply),
}

/// Two prefixes collide when one starts the other.
fn overlaps(a: &[u8], b: &[u8]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

fn prefix_collision(
    existing: &std::collections::BTreeSet<Vec<u8>>,
    given: &[Vec<u8>],
) -> Collision {
    let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
    for (i, prefix) in given.iter().enumerate() {
        if let Some(old) = existing.iter().find(|old| overlaps(old, prefix)) {
            return Collision::Refused(Reply::error(format!(
                "ERR Prefix '{}' overlaps with an existing prefix '{}'. Prefixes for a single client must not overlap.",
                text(prefix),
                text(old)
            )));
        }
        if let Some(other) = given[i + 1..].iter().find(|o| overlaps(prefix, o)) {
            let error = Reply::error(format!(
                "ERR Prefix '{}' overlaps with another provided prefix '{}'. Prefixes for a single client must not overlap.",
                text(prefix),
                text(other)
            ));
            return if i == 0 {
                Collision::Refused(error)
            } else {
                Collision::ErrorThenOk(error)
            };
        }
    }
    Collision::None
}

/// CLIENT CACHING YES|NO: whether the next command's reads are tracked
/// (OPTIN: yes tracks them; OPTOUT: no leaves them out).
pub fn client_caching(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let me = ctx.client_id;
    let Some(tracker) = ctx.server.tracking.trackers.get_mut(&me) else {
        return Reply::error("ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled");
    };
    let option = &args[2];
    if option.eq_ignore_ascii_case(b"yes") {
        if !tracker.optin {
            return Reply::error(
                "ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.",
            );
        }
    } else if option.eq_ignore_ascii_case(b"no") {
        if !tracker.optout {
            return Reply::error(
                "ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.",
            );
        }
    } else {
        return Reply::syntax_error();
    }
    tracker.caching = true;
    Reply::ok()
}

/// CLIENT GETREDIR: the redirect target, 0 without one, -1 when not
/// tracking.
pub fn client_getredir(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    match ctx.server.tracking.tracker(ctx.client_id) {
        Some(t) => Reply::Integer(t.redirect as i64),
        None => Reply::Integer(-1),
    }
}

/// CLIENT TRACKINGINFO: flags, redirect and prefixes as a map.
pub fn client_trackinginfo(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    let tracker = ctx.server.tracking.tracker(ctx.client_id);
    let mut flags = Vec::new();
    let mut flag = |name: &str| flags.push(Reply::bulk(name));
    let (redirect, prefixes) = match tracker {
        None => {
            flag("off");
            (-1, Vec::new())
        }
        Some(t) => {
            flag("on");
            if t.bcast {
                flag("bcast");
            }
            if t.optin {
                flag("optin");
                if t.caching {
                    flag("caching-yes");
                }
            }
            if t.optout {
                flag("optout");
                if t.caching {
                    flag("caching-no");
                }
            }
            if t.noloop {
                flag("noloop");
            }
            if t.broken_redirect {
                flag("broken_redirect");
            }
            let prefixes = t.prefixes.iter().map(|p| Reply::Bulk(p.clone())).collect();
            (t.redirect as i64, prefixes)
        }
    };
    Reply::Map(vec![
        (Reply::bulk("flags"), Reply::Set(flags)),
        (Reply::bulk("redirect"), Reply::Integer(redirect)),
        (Reply::bulk("prefixes"), Reply::Array(prefixes)),
    ])
}
