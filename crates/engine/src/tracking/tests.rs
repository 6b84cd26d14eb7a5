use crate::{Engine, Reply};

fn args(line: &str) -> Vec<Vec<u8>> {
    line.split(' ').map(|w| w.as_bytes().to_vec()).collect()
}

fn info_field(engine: &mut Engine, client: u64, section: &str, field: &str) -> String {
    let reply = engine
        .execute(client, &args(&format!("INFO {section}")), 0)
        .reply;
    let Reply::Verbatim(text) = &reply else {
        panic!("INFO answers text, got {reply:?}");
    };
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("{field}:")).map(str::to_string))
        .unwrap_or_else(|| panic!("no {field} in INFO {section}"))
}

fn invalidate(keys: &[&str]) -> Reply {
    Reply::Push(vec![
        Reply::bulk("invalidate"),
        Reply::Array(keys.iter().copied().map(Reply::bulk).collect()),
    ])
}

#[test]
fn info_counts_tracking_clients_keys_items_and_prefixes() {
    let mut e = Engine::new(0);
    let a = e.connect("127.0.0.1:1", 0);
    let b = e.connect("127.0.0.1:2", 0);
    e.execute(a, &args("CLIENT TRACKING on"), 0);
    e.execute(b, &args("CLIENT TRACKING on"), 0);
    e.execute(a, &args("MGET x y"), 0);
    e.execute(b, &args("GET x"), 0);
    assert_eq!(info_field(&mut e, a, "clients", "tracking_clients"), "2");
    assert_eq!(info_field(&mut e, a, "stats", "tracking_total_keys"), "2");
    assert_eq!(info_field(&mut e, a, "stats", "tracking_total_items"), "3");
    e.execute(a, &args("SET x 1"), 0);
    assert_eq!(info_field(&mut e, a, "stats", "tracking_total_keys"), "1");
    assert_eq!(info_field(&mut e, a, "stats", "tracking_total_items"), "1");
    let c = e.connect("127.0.0.1:3", 0);
    e.execute(c, &args("CLIENT TRACKING on BCAST PREFIX p: PREFIX q:"), 0);
    assert_eq!(
        info_field(&mut e, a, "stats", "tracking_total_prefixes"),
        "2"
    );
    e.disconnect(c);
    assert_eq!(
        info_field(&mut e, a, "stats", "tracking_total_prefixes"),
        "0"
    );
    assert_eq!(info_field(&mut e, a, "clients", "tracking_clients"), "2");
}

#[test]
fn a_key_removed_by_active_expiry_is_invalidated() {
    let mut e = Engine::new(0);
    let reader = e.connect("127.0.0.1:1", 0);
    e.execute(reader, &args("HELLO 3"), 0);
    e.execute(reader, &args("CLIENT TRACKING on"), 0);
    e.execute(reader, &args("SET k v PX 100"), 0);
    e.execute(reader, &args("GET k"), 0);
    e.take_pushes(reader);
    assert_eq!(e.active_expire(200), vec![b"k".to_vec()]);
    assert_eq!(e.take_pushes(reader), vec![invalidate(&["k"])]);
}

#[test]
fn a_gone_redirect_target_breaks_the_redirect() {
    let mut e = Engine::new(0);
    let tracker = e.connect("127.0.0.1:1", 0);
    let target = e.connect("127.0.0.1:2", 0);
    let writer = e.connect("127.0.0.1:3", 0);
    e.execute(tracker, &args("HELLO 3"), 0);
    let redirect = format!("CLIENT TRACKING on REDIRECT {target}");
    assert_eq!(e.execute(tracker, &args(&redirect), 0).reply, Reply::ok());
    e.execute(tracker, &args("GET k"), 0);
    e.disconnect(target);
    e.execute(writer, &args("SET k v"), 0);
    let broken = Reply::Push(vec![
        Reply::bulk("tracking-redir-broken"),
        Reply::Integer(target as i64),
    ]);
    assert_eq!(e.take_pushes(tracker), vec![broken]);
    let list = e.execute(tracker, &args("CLIENT INFO"), 0).reply;
    let Reply::Verbatim(line) = &list else {
        panic!("CLIENT INFO answers text");
    };
    assert!(line.contains(" flags=tR "), "{line}");
}

#[test]
fn a_served_blocked_client_invalidates_what_it_popped() {
    let mut e = Engine::new(0);
    let reader = e.connect("127.0.0.1:1", 0);
    let waiter = e.connect("127.0.0.1:2", 0);
    let pusher = e.connect("127.0.0.1:3", 0);
    e.execute(reader, &args("HELLO 3"), 0);
    e.execute(reader, &args("CLIENT TRACKING on"), 0);
    e.execute(reader, &args("LLEN q"), 0);
    assert!(e.execute(waiter, &args("BLPOP q 0"), 0).blocked);
    e.execute(pusher, &args("RPUSH q x"), 0);
    assert_eq!(e.take_pushes(reader), vec![invalidate(&["q"])]);
}

#[test]
fn over_the_table_limit_keys_are_forgotten_and_their_readers_told() {
    let mut e = Engine::new(0);
    let reader = e.connect("127.0.0.1:1", 0);
    e.execute(reader, &args("HELLO 3"), 0);
    e.execute(reader, &args("CLIENT TRACKING on"), 0);
    e.execute(reader, &args("MGET k1 k2 k3"), 0);
    let limited = e.execute(reader, &args("CONFIG SET tracking-table-max-keys 1"), 0);
    let Reply::Many(replies) = &limited.reply else {
        panic!("the reply then the invalidations, got {:?}", limited.reply);
    };
    assert_eq!(
        replies[1..].to_vec(),
        vec![invalidate(&["k1"]), invalidate(&["k2"])]
    );
    assert_eq!(
        info_field(&mut e, reader, "stats", "tracking_total_keys"),
        "1"
    );
}

#[test]
fn a_redirect_target_that_quit_is_gone_before_the_host_disconnects_it() {
    let mut e = Engine::new(0);
    let tracker = e.connect("127.0.0.1:1", 0);
    let target = e.connect("127.0.0.1:2", 0);
    e.execute(tracker, &args("HELLO 3"), 0);
    e.execute(
        tracker,
        &args(&format!("CLIENT TRACKING on REDIRECT {target}")),
        0,
    );
    e.execute(tracker, &args("GET k"), 0);
    assert!(e.execute(target, &args("QUIT"), 0).close);
    let writer = e.connect("127.0.0.1:3", 0);
    e.execute(writer, &args("SET k v"), 0);
    let broken = Reply::Push(vec![
        Reply::bulk("tracking-redir-broken"),
        Reply::Integer(target as i64),
    ]);
    assert_eq!(e.take_pushes(tracker), vec![broken]);
}
