//! Every configuration parameter of Redis 7.0.15, taken from its `config.c`
//! (`static_configs`: names, aliases, flags, types, bounds, enum values in order),
//! with the values a server started as the differential suite starts it reports
//! (`--save '' --bind 127.0.0.1`); `dir`, `port` and the like are fixed here.

use super::{flag, Kind, ParamDef};

// Bounds as config.c spells them.
const INT_MIN: i128 = i32::MIN as i128;
const INT_MAX: i128 = i32::MAX as i128;
const UINT_MAX: i128 = u32::MAX as i128;
const LLONG_MAX: i128 = i64::MAX as i128;
const ULLONG_MAX: i128 = u64::MAX as i128;

// A numeric parameter's `num_conf_type`, for [`ParamDef::format`].
const MEMORY_CONFIG: u8 = 1 << 0;
const PERCENT_CONFIG: u8 = 1 << 1;
const OCTAL_CONFIG: u8 = 1 << 2;

/// The table's rows are written with constructors named after config.c's
/// (`createBoolConfig`, `createEnumConfig`, `createIntConfig`, ...), so a
/// row reads like the line of `static_configs` it comes from, and the
/// parameter's kind is stated once, by the constructor's name.
const fn param(name: &'static str, flags: u8, kind: Kind, default: &'static str) -> ParamDef {
    ParamDef {
        name,
        alias: None,
        flags,
        kind,
        default,
    }
}

/// `createBoolConfig`: `yes` or `no`.
const fn bool_config(name: &'static str, flags: u8, default: bool) -> ParamDef {
    param(name, flags, Kind::Bool, if default { "yes" } else { "no" })
}

/// `createStringConfig` / `createSDSConfig`: free text.
const fn string_config(name: &'static str, flags: u8, default: &'static str) -> ParamDef {
    param(name, flags, Kind::Text, default)
}

/// `createSpecialConfig`: a parameter with a syntax of its own.
const fn special_config(name: &'static str, flags: u8, default: &'static str) -> ParamDef {
    param(name, flags, Kind::Special, default)
}

/// `createEnumConfig`: one of `values`, in config.c's order (errors list
/// them in that order).
const fn enum_config(
    name: &'static str,
    flags: u8,
    values: &'static [&'static str],
    default: &'static str,
) -> ParamDef {
    param(name, flags, Kind::Enum(values), default)
}

/// `createIntConfig`, `createLongLongConfig`, `createSizeTConfig`, ...: an
/// integer within `lower..=upper` (see [`ParamDef::unsigned`] and
/// [`ParamDef::format`] for the rest of what config.c's constructor says).
const fn int_config(
    name: &'static str,
    flags: u8,
    lower: i128,
    upper: i128,
    default: &'static str,
) -> ParamDef {
    let kind = Kind::Numeric {
        lower,
        upper,
        unsigned: false,
        memory: false,
        percent: false,
        octal: false,
    };
    param(name, flags, kind, default)
}

impl ParamDef {
    /// The C variable is unsigned (`createUIntConfig`, `createULongConfig`,
    /// `createSizeTConfig`, ...), so a negative value fails the bounds
    /// rather than the parse.
    const fn unsigned(mut self) -> ParamDef {
        if let Kind::Numeric {
            ref mut unsigned, ..
        } = self.kind
        {
            *unsigned = true;
        }
        self
    }

    /// The parameter's other name (`slaveof` for `replicaof`).
    const fn alias(mut self, alias: &'static str) -> ParamDef {
        self.alias = Some(alias);
        self
    }

    /// config.c's `num_conf_type` beyond a plain integer: any of
    /// [`MEMORY_CONFIG`] (units: `1gb`), [`PERCENT_CONFIG`] (`N%`, stored
    /// negative) and [`OCTAL_CONFIG`] (base 8).
    const fn format(mut self, format: u8) -> ParamDef {
        if let Kind::Numeric {
            ref mut memory,
            ref mut percent,
            ref mut octal,
            ..
        } = self.kind
        {
            *memory = format & MEMORY_CONFIG != 0;
            *percent = format & PERCENT_CONFIG != 0;
            *octal = format & OCTAL_CONFIG != 0;
        }
        self
    }
}

pub(super) const PARAMS: &[ParamDef] = &[
    bool_config("rdbchecksum", flag::IMMUTABLE, true),
    bool_config("daemonize", flag::IMMUTABLE, false),
    bool_config("io-threads-do-reads", flag::IMMUTABLE, false),
    bool_config("always-show-logo", flag::IMMUTABLE, false),
    bool_config("protected-mode", 0, true),
    bool_config("rdbcompression", 0, true),
    bool_config("rdb-del-sync-files", 0, false),
    bool_config("activerehashing", 0, true),
    bool_config("stop-writes-on-bgsave-error", 0, true),
    bool_config("set-proc-title", flag::IMMUTABLE, true),
    bool_config("dynamic-hz", 0, true),
    bool_config("lazyfree-lazy-eviction", 0, false),
    bool_config("lazyfree-lazy-expire", 0, false),
    bool_config("lazyfree-lazy-server-del", 0, false),
    bool_config("lazyfree-lazy-user-del", 0, false),
    bool_config("lazyfree-lazy-user-flush", 0, false),
    bool_config("repl-disable-tcp-nodelay", 0, false),
    bool_config("repl-diskless-sync", 0, true),
    bool_config("aof-rewrite-incremental-fsync", 0, true),
    bool_config("no-appendfsync-on-rewrite", 0, false),
    bool_config("cluster-require-full-coverage", 0, true),
    bool_config("rdb-save-incremental-fsync", 0, true),
    bool_config("aof-load-truncated", 0, true),
    bool_config("aof-use-rdb-preamble", 0, true),
    bool_config("aof-timestamp-enabled", 0, false),
    bool_config("cluster-replica-no-failover", 0, false).alias("cluster-slave-no-failover"),
    bool_config("replica-lazy-flush", 0, false).alias("slave-lazy-flush"),
    bool_config("replica-serve-stale-data", 0, true).alias("slave-serve-stale-data"),
    bool_config("replica-read-only", 0, true).alias("slave-read-only"),
    bool_config("replica-ignore-maxmemory", 0, true).alias("slave-ignore-maxmemory"),
    bool_config("jemalloc-bg-thread", 0, true),
    bool_config("activedefrag", 0, false),
    bool_config("syslog-enabled", flag::IMMUTABLE, false),
    bool_config("cluster-enabled", flag::IMMUTABLE, false),
    bool_config("appendonly", flag::DENY_LOADING, false),
    bool_config("cluster-allow-reads-when-down", 0, false),
    bool_config("cluster-allow-pubsubshard-when-down", 0, true),
    bool_config("crash-log-enabled", 0, true),
    bool_config("crash-memcheck-enabled", 0, true),
    bool_config("use-exit-on-panic", flag::HIDDEN, false),
    bool_config("disable-thp", flag::IMMUTABLE, true),
    bool_config("cluster-allow-replica-migration", 0, true),
    bool_config("replica-announced", 0, true),
    bool_config("latency-tracking", 0, true),
    bool_config("aof-disable-auto-gc", 0, false),
    bool_config("replica-ignore-disk-write-errors", 0, false),
    string_config("aclfile", flag::IMMUTABLE, ""),
    string_config("unixsocket", flag::IMMUTABLE, ""),
    string_config("pidfile", flag::IMMUTABLE, "/var/run/redis.pid"),
    string_config("replica-announce-ip", 0, "").alias("slave-announce-ip"),
    string_config("masteruser", flag::SENSITIVE, ""),
    string_config("cluster-announce-ip", 0, ""),
    string_config("cluster-config-file", flag::IMMUTABLE, "nodes.conf"),
    string_config("cluster-announce-hostname", 0, ""),
    string_config("syslog-ident", flag::IMMUTABLE, "redis"),
    string_config("dbfilename", flag::PROTECTED, "dump.rdb"),
    string_config("appendfilename", flag::IMMUTABLE, "appendonly.aof"),
    string_config("appenddirname", flag::IMMUTABLE, "appendonlydir"),
    string_config("server_cpulist", flag::IMMUTABLE, ""),
    string_config("bio_cpulist", flag::IMMUTABLE, ""),
    string_config("aof_rewrite_cpulist", flag::IMMUTABLE, ""),
    string_config("bgsave_cpulist", flag::IMMUTABLE, ""),
    string_config("ignore-warnings", 0, ""),
    string_config(
        "proc-title-template",
        0,
        "{title} {listen-addr} {server-mode}",
    ),
    string_config("bind-source-addr", 0, ""),
    string_config("logfile", flag::IMMUTABLE, ""),
    string_config("masterauth", flag::SENSITIVE, ""),
    string_config("requirepass", flag::SENSITIVE, ""),
    enum_config(
        "supervised",
        flag::IMMUTABLE,
        &["upstart", "systemd", "auto", "no"],
        "no",
    ),
    enum_config(
        "syslog-facility",
        flag::IMMUTABLE,
        &[
            "user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7",
        ],
        "local0",
    ),
    enum_config(
        "repl-diskless-load",
        flag::DENY_LOADING,
        &["disabled", "on-empty-db", "swapdb"],
        "disabled",
    ),
    enum_config(
        "loglevel",
        0,
        &["debug", "verbose", "notice", "warning"],
        "notice",
    ),
    enum_config(
        "maxmemory-policy",
        0,
        &[
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "noeviction",
        ],
        "noeviction",
    ),
    enum_config("appendfsync", 0, &["everysec", "always", "no"], "everysec"),
    enum_config(
        "oom-score-adj",
        0,
        &["no", "yes", "relative", "absolute"],
        "no",
    ),
    enum_config(
        "acl-pubsub-default",
        0,
        &["allchannels", "resetchannels"],
        "resetchannels",
    ),
    enum_config("sanitize-dump-payload", 0, &["no", "yes", "clients"], "no"),
    enum_config(
        "enable-protected-configs",
        flag::IMMUTABLE,
        &["no", "yes", "local"],
        "no",
    ),
    enum_config(
        "enable-debug-command",
        flag::IMMUTABLE,
        &["no", "yes", "local"],
        "no",
    ),
    enum_config(
        "enable-module-command",
        flag::IMMUTABLE,
        &["no", "yes", "local"],
        "no",
    ),
    enum_config(
        "cluster-preferred-endpoint-type",
        0,
        &["ip", "hostname", "unknown-endpoint"],
        "ip",
    ),
    enum_config(
        "propagation-error-behavior",
        0,
        &["ignore", "panic", "panic-on-replicas"],
        "ignore",
    ),
    enum_config(
        "shutdown-on-sigint",
        flag::MULTI_ARG,
        &["default", "save", "nosave", "now", "force"],
        "default",
    ),
    enum_config(
        "shutdown-on-sigterm",
        flag::MULTI_ARG,
        &["default", "save", "nosave", "now", "force"],
        "default",
    ),
    int_config("databases", flag::IMMUTABLE, 1, INT_MAX, "16"),
    int_config("port", 0, 0, 65535, "6379"),
    int_config("io-threads", flag::IMMUTABLE, 1, 128, "1"),
    int_config("auto-aof-rewrite-percentage", 0, 0, INT_MAX, "100"),
    int_config("cluster-replica-validity-factor", 0, 0, INT_MAX, "10")
        .alias("cluster-slave-validity-factor"),
    int_config("list-max-listpack-size", 0, INT_MIN, INT_MAX, "-2").alias("list-max-ziplist-size"),
    int_config("tcp-keepalive", 0, 0, INT_MAX, "300"),
    int_config("cluster-migration-barrier", 0, 0, INT_MAX, "1"),
    int_config("active-defrag-cycle-min", 0, 1, 99, "1"),
    int_config("active-defrag-cycle-max", 0, 1, 99, "25"),
    int_config("active-defrag-threshold-lower", 0, 0, 1000, "10"),
    int_config("active-defrag-threshold-upper", 0, 0, 1000, "100"),
    int_config("lfu-log-factor", 0, 0, INT_MAX, "10"),
    int_config("lfu-decay-time", 0, 0, INT_MAX, "1"),
    int_config("replica-priority", 0, 0, INT_MAX, "100").alias("slave-priority"),
    int_config("repl-diskless-sync-delay", 0, 0, INT_MAX, "5"),
    int_config("maxmemory-samples", 0, 1, INT_MAX, "5"),
    int_config("maxmemory-eviction-tenacity", 0, 0, 100, "10"),
    int_config("timeout", 0, 0, INT_MAX, "0"),
    int_config("replica-announce-port", 0, 0, 65535, "0").alias("slave-announce-port"),
    int_config("tcp-backlog", flag::IMMUTABLE, 0, INT_MAX, "511"),
    int_config("cluster-port", flag::IMMUTABLE, 0, 65535, "0"),
    int_config("cluster-announce-bus-port", 0, 0, 65535, "0"),
    int_config("cluster-announce-port", 0, 0, 65535, "0"),
    int_config("cluster-announce-tls-port", 0, 0, 65535, "0"),
    int_config("repl-timeout", 0, 1, INT_MAX, "60"),
    int_config("repl-ping-replica-period", 0, 1, INT_MAX, "10").alias("repl-ping-slave-period"),
    int_config("list-compress-depth", 0, 0, INT_MAX, "0"),
    int_config("rdb-key-save-delay", flag::HIDDEN, INT_MIN, INT_MAX, "0"),
    int_config("key-load-delay", flag::HIDDEN, INT_MIN, INT_MAX, "0"),
    int_config("active-expire-effort", 0, 1, 10, "1"),
    int_config("hz", 0, 0, INT_MAX, "10"),
    int_config("min-replicas-to-write", 0, 0, INT_MAX, "0").alias("min-slaves-to-write"),
    int_config("min-replicas-max-lag", 0, 0, INT_MAX, "10").alias("min-slaves-max-lag"),
    int_config("watchdog-period", flag::HIDDEN, 0, INT_MAX, "0"),
    int_config("shutdown-timeout", 0, 0, INT_MAX, "10"),
    int_config("repl-diskless-sync-max-replicas", 0, 0, INT_MAX, "0"),
    int_config("maxclients", 0, 1, UINT_MAX, "10000").unsigned(),
    int_config("unixsocketperm", flag::IMMUTABLE, 0, 511, "0")
        .unsigned()
        .format(OCTAL_CONFIG),
    int_config("socket-mark-id", flag::IMMUTABLE, 0, UINT_MAX, "0").unsigned(),
    int_config("active-defrag-max-scan-fields", 0, 1, LLONG_MAX, "1000"),
    int_config("slowlog-max-len", 0, 0, LLONG_MAX, "128"),
    int_config("acllog-max-len", 0, 0, LLONG_MAX, "128"),
    int_config("busy-reply-threshold", 0, 0, LLONG_MAX, "5000").alias("lua-time-limit"),
    int_config("cluster-node-timeout", 0, 0, LLONG_MAX, "15000"),
    int_config("slowlog-log-slower-than", 0, -1, LLONG_MAX, "10000"),
    int_config("latency-monitor-threshold", 0, 0, LLONG_MAX, "0"),
    int_config("proto-max-bulk-len", 0, 1048576, LLONG_MAX, "536870912").format(MEMORY_CONFIG),
    int_config("stream-node-max-entries", 0, 0, LLONG_MAX, "100"),
    int_config("repl-backlog-size", 0, 1, LLONG_MAX, "1048576").format(MEMORY_CONFIG),
    int_config("maxmemory", 0, 0, ULLONG_MAX, "0")
        .unsigned()
        .format(MEMORY_CONFIG),
    int_config("cluster-link-sendbuf-limit", 0, 0, ULLONG_MAX, "0")
        .unsigned()
        .format(MEMORY_CONFIG),
    int_config("hash-max-listpack-entries", 0, 0, LLONG_MAX, "512")
        .unsigned()
        .alias("hash-max-ziplist-entries"),
    int_config("set-max-intset-entries", 0, 0, LLONG_MAX, "512").unsigned(),
    int_config("zset-max-listpack-entries", 0, 0, LLONG_MAX, "128")
        .unsigned()
        .alias("zset-max-ziplist-entries"),
    int_config("active-defrag-ignore-bytes", 0, 1, LLONG_MAX, "104857600")
        .unsigned()
        .format(MEMORY_CONFIG),
    int_config("hash-max-listpack-value", 0, 0, LLONG_MAX, "64")
        .unsigned()
        .alias("hash-max-ziplist-value")
        .format(MEMORY_CONFIG),
    int_config("stream-node-max-bytes", 0, 0, LLONG_MAX, "4096")
        .unsigned()
        .format(MEMORY_CONFIG),
    int_config("zset-max-listpack-value", 0, 0, LLONG_MAX, "64")
        .unsigned()
        .alias("zset-max-ziplist-value")
        .format(MEMORY_CONFIG),
    int_config("hll-sparse-max-bytes", 0, 0, LLONG_MAX, "3000")
        .unsigned()
        .format(MEMORY_CONFIG),
    int_config("tracking-table-max-keys", 0, 0, LLONG_MAX, "1000000").unsigned(),
    int_config(
        "client-query-buffer-limit",
        0,
        1048576,
        LLONG_MAX,
        "1073741824",
    )
    .unsigned()
    .format(MEMORY_CONFIG),
    int_config("maxmemory-clients", 0, -100, LLONG_MAX, "0").format(MEMORY_CONFIG | PERCENT_CONFIG),
    int_config("repl-backlog-ttl", 0, 0, LLONG_MAX, "3600"),
    int_config("auto-aof-rewrite-min-size", 0, 0, LLONG_MAX, "67108864").format(MEMORY_CONFIG),
    int_config(
        "loading-process-events-interval-bytes",
        flag::HIDDEN,
        1024,
        INT_MAX,
        "2097152",
    ),
    int_config("tls-port", 0, 0, 65535, "0"),
    int_config("tls-session-cache-size", 0, 0, INT_MAX, "20480"),
    int_config("tls-session-cache-timeout", 0, 0, INT_MAX, "300"),
    bool_config("tls-cluster", 0, false),
    bool_config("tls-replication", 0, false),
    enum_config("tls-auth-clients", 0, &["no", "yes", "optional"], "yes"),
    bool_config("tls-prefer-server-ciphers", 0, false),
    bool_config("tls-session-caching", 0, true),
    string_config("tls-cert-file", 0, ""),
    string_config("tls-key-file", 0, ""),
    string_config("tls-key-file-pass", 0, ""),
    string_config("tls-client-cert-file", 0, ""),
    string_config("tls-client-key-file", 0, ""),
    string_config("tls-client-key-file-pass", 0, ""),
    string_config("tls-dh-params-file", 0, ""),
    string_config("tls-ca-cert-file", 0, ""),
    string_config("tls-ca-cert-dir", 0, ""),
    string_config("tls-protocols", 0, ""),
    string_config("tls-ciphers", 0, ""),
    string_config("tls-ciphersuites", 0, ""),
    special_config("dir", flag::PROTECTED | flag::DENY_LOADING, "/data"),
    special_config("save", flag::MULTI_ARG, ""),
    special_config(
        "client-output-buffer-limit",
        flag::MULTI_ARG,
        "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
    ),
    special_config("oom-score-adj-values", flag::MULTI_ARG, "0 200 800"),
    special_config("notify-keyspace-events", 0, ""),
    special_config("bind", flag::MULTI_ARG, "127.0.0.1"),
    special_config("replicaof", flag::IMMUTABLE | flag::MULTI_ARG, "").alias("slaveof"),
    special_config(
        "latency-tracking-info-percentiles",
        flag::MULTI_ARG,
        "50 99 99.9",
    ),
];
