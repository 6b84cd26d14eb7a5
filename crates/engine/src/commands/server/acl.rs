//! ACL SETUSER, DELUSER, USERS, WHOAMI, CAT: the users scripts and Redis's
//! tests set up. The rules themselves live in `server::acl`.

use crate::command::{help_reply, Ctx};
use crate::commands::ACL_CATEGORIES;
use crate::reply::Reply;
use crate::server::acl::DEFAULT_USER;

/// ACL SETUSER username [rule ...]: creates the user (off, no passwords,
/// no commands, no keys) if new, then applies the rules in order — all or
/// none.
pub(super) fn setuser(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let name = &args[2];
    if name.iter().any(|b| b.is_ascii_whitespace() || *b == 0) {
        return Reply::error("ERR Usernames can't contain spaces or null characters");
    }
    let mut user = ctx.server.acl.user(name).cloned().unwrap_or_default();
    match user.apply_all(&args[3..]) {
        Ok(()) => {
            ctx.server.acl.users.insert(name.clone(), user);
            Reply::ok()
        }
        Err(why) => Reply::error(format!("ERR {why}")),
    }
}

/// ACL DELUSER username [username ...]: how many existed. Connections
/// logged in as a deleted user are refused every command from then on.
pub(super) fn deluser(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    if args[2..].iter().any(|name| name == DEFAULT_USER) {
        return Reply::error("ERR The 'default' user cannot be removed");
    }
    let removed = args[2..]
        .iter()
        .filter(|name| ctx.server.acl.users.remove(*name).is_some())
        .count();
    Reply::Integer(removed as i64)
}

/// ACL USERS: every user's name, sorted (Redis walks a radix tree).
pub(super) fn users(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    Reply::Array(ctx.server.acl.users.keys().map(Reply::bulk).collect())
}

/// ACL WHOAMI: the connection's user.
pub(super) fn whoami(ctx: &mut Ctx, _args: &[Vec<u8>]) -> Reply {
    let name = ctx.me().user_name().to_vec();
    Reply::Bulk(name)
}

/// ACL CAT [category]: the categories, or the commands in one.
pub(super) fn cat(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let Some(category) = args.get(2) else {
        return Reply::Array(ACL_CATEGORIES.iter().map(|c| Reply::bulk(*c)).collect());
    };
    let category = String::from_utf8_lossy(category).to_ascii_lowercase();
    match crate::commands::acl_category_members(&category) {
        Some(names) if category != "all" => {
            Reply::Array(names.into_iter().map(Reply::bulk).collect())
        }
        _ => Reply::error(format!(
            "ERR Unknown category '{}'",
            String::from_utf8_lossy(&args[2])
        )),
    }
}

pub(super) fn help(_ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    help_reply(
        &args[0],
        &[
            "CAT [<category>]",
            "    List all commands that belong to <category>, or all command categories",
            "    when no category is specified.",
            "DELUSER <username> [<username> ...]",
            "    Delete a list of users.",
            "SETUSER <username> <attribute> [<attribute> ...]",
            "    Create or modify a user with the specified attributes.",
            "USERS",
            "    List all the registered usernames.",
            "WHOAMI",
            "    Return the current connection username.",
        ],
    )
}
