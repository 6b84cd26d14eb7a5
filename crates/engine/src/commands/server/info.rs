//! INFO [section ...]: the node's state as `field:value` lines, with the
//! sections and field names of Redis 7.0.
//!
//! Memory fields are the model's estimates (`crate::server::memory`);
//! fields it has no equivalent for (CPU, network bytes, forks) are
//! reported as 0: the model does not account them.

use std::fmt::Write as _;

use crate::command::Ctx;
use crate::commands::connection::REDIS_VERSION;
use crate::reply::Reply;

/// Sections INFO prints with no argument or `default`.
const DEFAULT_SECTIONS: &[&str] = &[
    "server",
    "clients",
    "memory",
    "persistence",
    "stats",
    "replication",
    "cpu",
    "module_list",
    "errorstats",
    "cluster",
    "keyspace",
];

/// A fixed replication id: the node never changes history.
const REPL_ID: &str = "8c4bd0b1a45b7a7e2e3a5c5d9a9e8a2d7f6b1c3e";

/// Renders one section, header included.
type Section = fn(&mut Ctx, &mut String);

pub(super) fn info(ctx: &mut Ctx, args: &[Vec<u8>]) -> Reply {
    let mut wanted: Vec<String> = Vec::new();
    let mut all = false;
    if args.len() == 1 {
        wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string()));
    }
    for arg in &args[1..] {
        let name = String::from_utf8_lossy(arg).to_ascii_lowercase();
        match name.as_str() {
            "default" => wanted.extend(DEFAULT_SECTIONS.iter().map(|s| s.to_string())),
            "all" | "everything" => all = true,
            _ => wanted.push(name),
        }
    }
    let want = |s: &str| all || wanted.iter().any(|w| w == s);
    let mut out = String::new();
    let sections: [(&str, Section); 13] = [
        ("server", server),
        ("clients", clients),
        ("memory", memory),
        ("persistence", persistence),
        ("stats", stats),
        ("replication", replication),
        ("cpu", cpu),
        ("module_list", modules),
        ("commandstats", commandstats),
        ("errorstats", errorstats),
        ("latencystats", latencystats),
        ("cluster", cluster),
        ("keyspace", keyspace),
    ];
    for (name, render) in sections {
        let selected = want(name) || (name == "module_list" && want("modules"));
        if selected {
            if !out.is_empty() {
                out.push_str("\r\n");
            }
            render(ctx, &mut out);
        }
    }
    Reply::Verbatim(out)
}

fn line(out: &mut String, field: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "{field}:{value}\r\n");
}

fn lines(out: &mut String, fields: &[(&str, String)]) {
    for (field, value) in fields {
        line(out, field, value);
    }
}

fn server(ctx: &mut Ctx, out: &mut String) {
    let uptime = (ctx.now_ms - ctx.server.started_ms).div_euclid(1000).max(0);
    let config = &ctx.server.config;
    out.push_str("# Server\r\n");
    lines(
        out,
        &[
            ("redis_version", REDIS_VERSION.into()),
            ("redis_git_sha1", "00000000".into()),
            ("redis_git_dirty", "0".into()),
            ("redis_build_id", "0".into()),
            ("redis_mode", "standalone".into()),
            ("os", "Lockstep model".into()),
            ("arch_bits", "64".into()),
            ("monotonic_clock", "simulated".into()),
            ("multiplexing_api", "simulated".into()),
            ("atomicvar_api", "c11-builtin".into()),
            ("gcc_version", "0.0.0".into()),
            ("process_id", "1".into()),
            ("process_supervised", "no".into()),
            ("run_id", REPL_ID.into()),
            ("tcp_port", config.get("port").unwrap_or("6379").into()),
            ("server_time_usec", (ctx.now_ms * 1000).to_string()),
            ("uptime_in_seconds", uptime.to_string()),
            ("uptime_in_days", (uptime / 86_400).to_string()),
            ("hz", config.hz().to_string()),
            ("configured_hz", config.hz().to_string()),
            (
                "lru_clock",
                (ctx.now_ms.div_euclid(1000) & 0xff_ffff).to_string(),
            ),
            ("executable", String::new()),
            ("config_file", String::new()),
            ("io_threads_active", "0".into()),
        ],
    );
}

fn clients(ctx: &mut Ctx, out: &mut String) {
    // The script client exists only while a script runs; Redis does not
    // count its Lua client either.
    let connected = ctx
        .clients
        .keys()
        .filter(|id| **id != crate::scripting::SCRIPT_CLIENT_ID)
        .count();
    let maxclients = ctx.server.config.int("maxclients");
    out.push_str("# Clients\r\n");
    lines(
        out,
        &[
            ("connected_clients", connected.to_string()),
            ("cluster_connections", "0".into()),
            ("maxclients", maxclients.to_string()),
            ("client_recent_max_input_buffer", "0".into()),
            ("client_recent_max_output_buffer", "0".into()),
            (
                "blocked_clients",
                ctx.server.blocking.blocked_count().to_string(),
            ),
            (
                "tracking_clients",
                ctx.server.tracking.clients().to_string(),
            ),
            (
                "clients_in_timeout_table",
                ctx.server.blocking.timed_count().to_string(),
            ),
        ],
    );
}

/// Redis's `bytesToHuman`.
fn bytes_to_human(n: u64) -> String {
    const K: f64 = 1024.0;
    let d = n as f64;
    if n < 1024 {
        format!("{n}B")
    } else if d < K * K {
        format!("{:.2}K", d / K)
    } else if d < K * K * K {
        format!("{:.2}M", d / (K * K))
    } else if d < K * K * K * K {
        format!("{:.2}G", d / (K * K * K))
    } else if d < K * K * K * K * K {
        format!("{:.2}T", d / (K * K * K * K))
    } else if d < K * K * K * K * K * K {
        format!("{:.2}P", d / (K * K * K * K * K))
    } else {
        format!("{n}B")
    }
}

fn memory(ctx: &mut Ctx, out: &mut String) {
    let used = crate::commands::memory::used_memory(ctx);
    let peak = ctx.server.memory_peak.max(used);
    ctx.server.memory_peak = peak;
    let scripts = crate::server::memory::scripts_usage(&ctx.server.scripting.scripts);
    let cached_scripts = ctx.server.scripting.scripts.len();
    let config = &ctx.server.config;
    let maxmemory: u64 = config
        .get("maxmemory")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let policy = config
        .get("maxmemory-policy")
        .unwrap_or("noeviction")
        .to_string();
    out.push_str("# Memory\r\n");
    lines(
        out,
        &[
            ("used_memory", used.to_string()),
            ("used_memory_human", bytes_to_human(used)),
            ("used_memory_rss", used.to_string()),
            ("used_memory_rss_human", bytes_to_human(used)),
            ("used_memory_peak", peak.to_string()),
            ("used_memory_peak_human", bytes_to_human(peak)),
            (
                "used_memory_startup",
                crate::server::memory::STARTUP_BYTES.to_string(),
            ),
            (
                "used_memory_dataset",
                (used - crate::server::memory::STARTUP_BYTES - scripts).to_string(),
            ),
            ("used_memory_lua", "0".into()),
            ("used_memory_scripts_eval", scripts.to_string()),
            ("number_of_cached_scripts", cached_scripts.to_string()),
            ("maxmemory", maxmemory.to_string()),
            ("maxmemory_human", bytes_to_human(maxmemory)),
            ("maxmemory_policy", policy),
            // Nothing is excluded from eviction's count, nor freed lazily.
            ("mem_not_counted_for_evict", "0".into()),
            ("mem_allocator", "none".into()),
            ("lazyfree_pending_objects", "0".into()),
            ("lazyfreed_objects", "0".into()),
        ],
    );
}

fn persistence(ctx: &mut Ctx, out: &mut String) {
    let aof = ctx.server.config.get("appendonly") == Some("yes");
    let started = ctx.server.last_save_ms.div_euclid(1000);
    out.push_str("# Persistence\r\n");
    lines(
        out,
        &[
            ("loading", "0".into()),
            ("async_loading", "0".into()),
            ("rdb_changes_since_last_save", "0".into()),
            ("rdb_bgsave_in_progress", "0".into()),
            ("rdb_last_save_time", started.to_string()),
            ("rdb_last_bgsave_status", "ok".into()),
            ("rdb_saves", "0".into()),
            ("aof_enabled", u8::from(aof).to_string()),
            ("aof_rewrite_in_progress", "0".into()),
            ("aof_rewrite_scheduled", "0".into()),
            ("aof_last_bgrewrite_status", "ok".into()),
            ("aof_last_write_status", "ok".into()),
        ],
    );
}

/// Keys removed by expiry in every database since the node started.
pub(super) fn expired_total(ctx: &mut Ctx) -> u64 {
    (0..ctx.db_count())
        .filter_map(|i| ctx.db_at(i).map(|db| db.expired_total))
        .sum()
}

fn stats(ctx: &mut Ctx, out: &mut String) {
    let expired = expired_total(ctx).saturating_sub(ctx.server.stats.expired_keys_base);
    let channels: std::collections::BTreeSet<&Vec<u8>> = ctx
        .clients
        .values()
        .flat_map(|c| c.channels.iter())
        .collect();
    let patterns: std::collections::BTreeSet<&Vec<u8>> = ctx
        .clients
        .values()
        .flat_map(|c| c.patterns.iter())
        .collect();
    let (n_channels, n_patterns) = (channels.len(), patterns.len());
    let s = &ctx.server.stats;
    let tracking = &ctx.server.tracking;
    out.push_str("# Stats\r\n");
    let zero = |f: &'static str| (f, "0".to_string());
    lines(
        out,
        &[
            (
                "total_connections_received",
                s.total_connections_received.to_string(),
            ),
            (
                "total_commands_processed",
                s.total_commands_processed.to_string(),
            ),
            zero("instantaneous_ops_per_sec"),
            zero("total_net_input_bytes"),
            zero("total_net_output_bytes"),
            zero("total_net_repl_input_bytes"),
            zero("total_net_repl_output_bytes"),
            ("instantaneous_input_kbps", "0.00".into()),
            ("instantaneous_output_kbps", "0.00".into()),
            ("instantaneous_input_repl_kbps", "0.00".into()),
            ("instantaneous_output_repl_kbps", "0.00".into()),
            zero("rejected_connections"),
            zero("sync_full"),
            zero("sync_partial_ok"),
            zero("sync_partial_err"),
            ("expired_keys", expired.to_string()),
            ("expired_stale_perc", "0.00".into()),
            zero("expired_time_cap_reached_count"),
            zero("expire_cycle_cpu_milliseconds"),
            ("evicted_keys", s.evicted_keys.to_string()),
            zero("evicted_clients"),
            zero("total_eviction_exceeded_time"),
            zero("current_eviction_exceeded_time"),
            zero("keyspace_hits"),
            zero("keyspace_misses"),
            ("pubsub_channels", n_channels.to_string()),
            ("pubsub_patterns", n_patterns.to_string()),
            zero("pubsubshard_channels"),
            zero("latest_fork_usec"),
            zero("total_forks"),
            zero("migrate_cached_sockets"),
            zero("slave_expires_tracked_keys"),
            zero("active_defrag_hits"),
            zero("active_defrag_misses"),
            zero("active_defrag_key_hits"),
            zero("active_defrag_key_misses"),
            zero("total_active_defrag_time"),
            zero("current_active_defrag_time"),
            ("tracking_total_keys", tracking.total_keys().to_string()),
            ("tracking_total_items", tracking.total_items().to_string()),
            (
                "tracking_total_prefixes",
                tracking.total_prefixes().to_string(),
            ),
            zero("unexpected_error_replies"),
            ("total_error_replies", s.total_error_replies.to_string()),
            zero("dump_payload_sanitizations"),
            zero("total_reads_processed"),
            zero("total_writes_processed"),
            zero("io_threaded_reads_processed"),
            zero("io_threaded_writes_processed"),
            zero("reply_buffer_shrinks"),
            zero("reply_buffer_expands"),
        ],
    );
}

fn replication(ctx: &mut Ctx, out: &mut String) {
    out.push_str("# Replication\r\n");
    if let Some(primary) = &ctx.server.primary {
        let read_only = ctx.server.config.get("replica-read-only") != Some("no");
        let up = primary.link_up;
        lines(
            out,
            &[
                ("role", "slave".into()),
                ("master_host", primary.host.clone()),
                ("master_port", primary.port.to_string()),
                ("master_link_status", if up { "up" } else { "down" }.into()),
                (
                    "master_last_io_seconds_ago",
                    if up { "0" } else { "-1" }.into(),
                ),
                ("master_sync_in_progress", "0".into()),
                ("slave_read_repl_offset", "0".into()),
                ("slave_repl_offset", "0".into()),
            ],
        );
        if !up {
            line(out, "master_link_down_since_seconds", "-1");
        }
        lines(
            out,
            &[
                ("slave_priority", "100".into()),
                ("slave_read_only", u8::from(read_only).to_string()),
                ("replica_announced", "1".into()),
            ],
        );
    } else {
        line(out, "role", "master");
    }
    lines(
        out,
        &[
            ("connected_slaves", "0".into()),
            ("master_failover_state", "no-failover".into()),
            ("master_replid", REPL_ID.into()),
            ("master_replid2", "0".repeat(40)),
            ("master_repl_offset", "0".into()),
            ("second_repl_offset", "-1".into()),
            ("repl_backlog_active", "0".into()),
            ("repl_backlog_size", "1048576".into()),
            ("repl_backlog_first_byte_offset", "0".into()),
            ("repl_backlog_histlen", "0".into()),
        ],
    );
}

fn cpu(_ctx: &mut Ctx, out: &mut String) {
    out.push_str("# CPU\r\n");
    for field in [
        "used_cpu_sys",
        "used_cpu_user",
        "used_cpu_sys_children",
        "used_cpu_user_children",
        "used_cpu_sys_main_thread",
        "used_cpu_user_main_thread",
    ] {
        line(out, field, "0.000000");
    }
}

fn modules(_ctx: &mut Ctx, out: &mut String) {
    out.push_str("# Modules\r\n");
}

fn commandstats(ctx: &mut Ctx, out: &mut String) {
    out.push_str("# Commandstats\r\n");
    for (name, c) in &ctx.server.stats.commands {
        if c.calls == 0 && c.failed_calls == 0 && c.rejected_calls == 0 {
            continue;
        }
        let per_call = if c.calls == 0 {
            0.0
        } else {
            c.usec as f32 / c.calls as f32
        };
        let _ = write!(
            out,
            "cmdstat_{name}:calls={},usec={},usec_per_call={per_call:.2},rejected_calls={},failed_calls={}\r\n",
            c.calls, c.usec, c.rejected_calls, c.failed_calls
        );
    }
}

fn errorstats(ctx: &mut Ctx, out: &mut String) {
    out.push_str("# Errorstats\r\n");
    for (code, count) in &ctx.server.stats.errors {
        let _ = write!(out, "errorstat_{code}:count={count}\r\n");
    }
}

fn latencystats(_ctx: &mut Ctx, out: &mut String) {
    out.push_str("# Latencystats\r\n");
}

fn cluster(_ctx: &mut Ctx, out: &mut String) {
    out.push_str("# Cluster\r\ncluster_enabled:0\r\n");
}

/// `db<N>:keys=..,expires=..,avg_ttl=..` for every non-empty database.
/// Redis estimates avg_ttl by sampling in its expiry cycle; the model
/// reports the exact mean remaining TTL in milliseconds.
fn keyspace(ctx: &mut Ctx, out: &mut String) {
    out.push_str("# Keyspace\r\n");
    let now = ctx.now_ms;
    for i in 0..ctx.db_count() {
        let Some(db) = ctx.db_at(i) else { continue };
        let (keys, expires) = (db.len(), db.expires_count());
        if keys == 0 && expires == 0 {
            continue;
        }
        let ttls: Vec<i64> = db
            .iter()
            .filter_map(|(_, e)| e.expire_at_ms)
            .map(|t| (t - now).max(0))
            .collect();
        let avg_ttl = if ttls.is_empty() {
            0
        } else {
            ttls.iter().sum::<i64>() / ttls.len() as i64
        };
        let _ = write!(
            out,
            "db{i}:keys={keys},expires={expires},avg_ttl={avg_ttl}\r\n"
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::engine::Engine;
    use crate::reply::Reply;
    use crate::value::Value;

    #[test]
    fn keyspace_and_cluster_sections() {
        let mut e = Engine::new(0);
        let c = e.connect("127.0.0.1:1", 0);
        e.keyspace_mut()
            .set(b"k", Value::String(b"v".to_vec()), false);
        let args = |s: &[&str]| s.iter().map(|a| a.as_bytes().to_vec()).collect::<Vec<_>>();
        assert_eq!(
            e.execute(c, &args(&["INFO", "keyspace", "CLUSTER"]), 0).reply,
            Reply::Verbatim(
                "# Cluster\r\ncluster_enabled:0\r\n\r\n# Keyspace\r\ndb0:keys=1,expires=0,avg_ttl=0\r\n"
                    .into()
            )
        );
        assert_eq!(
            e.execute(c, &args(&["INFO", "nosuch"]), 0).reply,
            Reply::Verbatim(String::new())
        );
        let all = e.execute(c, &args(&["INFO"]), 0).reply;
        let Reply::Verbatim(text) = &all else {
            panic!("INFO replies with verbatim text")
        };
        assert!(text.starts_with("# Server\r\nredis_version:7.0.15\r\n"));
        assert!(text.contains("\r\n\r\n# Replication\r\nrole:master\r\n"));
        assert!(!text.contains("# Commandstats"));
    }
}
