//! The database actor: the system of record behind a cache or a lock.
//! Rows are key → value with a version that grows with every write, so a
//! program can update "only if still free" or "only if the version I read
//! is still the current one" — the correctness layer a lock cannot be.
//!
//! Latency grows with load through one queueing model, chosen because a
//! learner can do it in their head: the database has `connections`
//! workers; a query that arrives while all are busy waits its turn (first
//! come, first served), then takes `query_ms`. So a query's latency is its
//! wait plus `query_ms`, and a hundred queries arriving together at ten
//! connections of 10 ms finish over 100 ms, the last one waiting 90 ms.
//! Assumptions, on purpose: every query costs the same (no indexes, no
//! row sizes), nothing is cached inside the database, writes never fail or
//! get lost, and the database does not crash.

use std::collections::{BTreeMap, VecDeque};

use crate::scenario::DatabaseSpec;
use crate::trace::{quote, DatabaseState, RowState, Time};

/// One query as a program sends it.
#[derive(Clone, Debug, PartialEq)]
pub enum Query {
    Get {
        key: String,
    },
    Put {
        key: String,
        value: String,
    },
    /// Writes `value` only if the row is as `expect` says.
    Update {
        key: String,
        value: String,
        expect: Expect,
    },
    Delete {
        key: String,
    },
}

/// The condition of a conditional update.
#[derive(Clone, Debug, PartialEq)]
pub enum Expect {
    /// The row is still at this version (0: it does not exist).
    Version(u64),
    /// The row still holds this value ("still free").
    Value(String),
    /// The row does not exist.
    Absent,
}

/// What a query found or did.
#[derive(Clone, Debug, PartialEq)]
pub struct Answer {
    /// Whether a write happened (a get or a delete of a present row: true).
    pub ok: bool,
    /// The row's value after the query (`None`: no such row).
    pub value: Option<String>,
    /// The row's version after the query (0: no such row).
    pub version: u64,
}

#[derive(Clone, Debug, PartialEq)]
struct Row {
    value: String,
    version: u64,
}

/// A query waiting for a connection or being served.
#[derive(Clone, Debug)]
pub struct Job<T> {
    pub query: Query,
    pub arrived: Time,
    /// Who gets the answer: the world's own routing data.
    pub reply_to: T,
}

#[derive(Clone, Debug)]
pub struct Database<T> {
    pub spec: DatabaseSpec,
    rows: BTreeMap<String, Row>,
    waiting: VecDeque<Job<T>>,
    serving: u32,
    queries: u64,
}

impl<T> Database<T> {
    pub fn new(spec: DatabaseSpec) -> Database<T> {
        let rows = spec
            .rows
            .iter()
            .map(|(key, value)| {
                let row = Row {
                    value: value.clone(),
                    version: 1,
                };
                (key.clone(), row)
            })
            .collect();
        Database {
            spec,
            rows,
            waiting: VecDeque::new(),
            serving: 0,
            queries: 0,
        }
    }

    /// How long one query holds a connection.
    pub fn service_time(&self) -> Time {
        crate::clock::ms(self.spec.query_ms)
    }

    /// A query arrives: it starts at once if a connection is free (and is
    /// returned to be scheduled), else it waits in line.
    pub fn arrive(&mut self, job: Job<T>) -> Option<Job<T>> {
        if self.serving < self.spec.connections {
            self.serving += 1;
            Some(job)
        } else {
            self.waiting.push_back(job);
            None
        }
    }

    /// A query finished: its connection takes the next one in line, if any.
    pub fn release(&mut self) -> Option<Job<T>> {
        match self.waiting.pop_front() {
            Some(next) => Some(next),
            None => {
                self.serving = self.serving.saturating_sub(1);
                None
            }
        }
    }

    /// Runs a query against the rows and counts it.
    pub fn apply(&mut self, query: &Query) -> Answer {
        self.queries += 1;
        match query {
            Query::Get { key } => self.answer(key, true),
            Query::Put { key, value } => {
                self.write(key, value);
                self.answer(key, true)
            }
            Query::Update { key, value, expect } => {
                let row = self.rows.get(key);
                let matches = match expect {
                    Expect::Version(v) => row.map_or(0, |r| r.version) == *v,
                    Expect::Value(want) => row.is_some_and(|r| &r.value == want),
                    Expect::Absent => row.is_none(),
                };
                if matches {
                    self.write(key, value);
                }
                self.answer(key, matches)
            }
            Query::Delete { key } => {
                let existed = self.rows.remove(key).is_some();
                self.answer(key, existed)
            }
        }
    }

    fn write(&mut self, key: &str, value: &str) {
        let version = self.rows.get(key).map_or(0, |r| r.version) + 1;
        self.rows.insert(
            key.to_string(),
            Row {
                value: value.to_string(),
                version,
            },
        );
    }

    fn answer(&self, key: &str, ok: bool) -> Answer {
        let row = self.rows.get(key);
        Answer {
            ok,
            value: row.map(|r| r.value.clone()),
            version: row.map_or(0, |r| r.version),
        }
    }

    /// Queries answered so far (the tests count them).
    #[cfg(test)]
    pub fn queries(&self) -> u64 {
        self.queries
    }

    pub fn state(&self) -> DatabaseState {
        DatabaseState {
            rows: self
                .rows
                .iter()
                .map(|(key, row)| RowState {
                    key: key.clone(),
                    value: row.value.clone(),
                    version: row.version,
                })
                .collect(),
            queries: self.queries,
        }
    }
}

impl Query {
    /// The query in one line, as the timeline shows it.
    pub fn text(&self) -> String {
        match self {
            Query::Get { key } => format!("GET {key}"),
            Query::Put { key, value } => format!("PUT {key} {}", quote(value.as_bytes())),
            Query::Update { key, value, expect } => {
                let condition = match expect {
                    Expect::Version(v) => format!("version = {v}"),
                    Expect::Value(want) => format!("value = {}", quote(want.as_bytes())),
                    Expect::Absent => "absent".to_string(),
                };
                format!("UPDATE {key} {} IF {condition}", quote(value.as_bytes()))
            }
            Query::Delete { key } => format!("DELETE {key}"),
        }
    }

    pub fn key(&self) -> &str {
        match self {
            Query::Get { key }
            | Query::Put { key, .. }
            | Query::Update { key, .. }
            | Query::Delete { key } => key,
        }
    }
}

impl Answer {
    /// The answer in one line: `"alice" (version 2)`, `(nil)`, or for a
    /// refused update `not updated: "bob" (version 3)`.
    pub fn text(&self, query: &Query) -> String {
        let row = match &self.value {
            Some(value) => format!("{} (version {})", quote(value.as_bytes()), self.version),
            None => "(nil)".to_string(),
        };
        match query {
            Query::Update { .. } if !self.ok => format!("not updated: {row}"),
            Query::Delete { .. } => {
                if self.ok {
                    "deleted".into()
                } else {
                    "no such row".into()
                }
            }
            _ => row,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(connections: u32) -> Database<u32> {
        let mut rows = BTreeMap::new();
        rows.insert("seat:1".to_string(), "free".to_string());
        Database::new(DatabaseSpec {
            name: "db".into(),
            query_ms: 10.0,
            connections,
            rows,
        })
    }

    fn update(value: &str, expect: Expect) -> Query {
        Query::Update {
            key: "seat:1".into(),
            value: value.into(),
            expect,
        }
    }

    #[test]
    fn a_conditional_update_succeeds_once() {
        let mut db = database(1);
        let first = db.apply(&update("alice", Expect::Value("free".into())));
        assert!(first.ok);
        assert_eq!(first.version, 2);
        let second = db.apply(&update("bob", Expect::Value("free".into())));
        assert!(!second.ok, "the seat is no longer free");
        assert_eq!(second.value.as_deref(), Some("alice"));
        let stale = db.apply(&update("bob", Expect::Version(1)));
        assert!(!stale.ok, "version 1 was read before alice's write");
        let fresh = db.apply(&update("bob", Expect::Version(2)));
        assert!(fresh.ok);
        assert_eq!(db.queries(), 4);
        assert!(
            db.apply(&Query::Delete {
                key: "seat:1".into()
            })
            .ok
        );
        let absent = db.apply(&update("carol", Expect::Absent));
        assert!(absent.ok);
        assert_eq!(absent.version, 1, "a new row starts again at version 1");
    }

    #[test]
    fn queries_past_the_connections_wait_in_line() {
        let mut db = database(2);
        let job = |n| Job {
            query: Query::Get { key: "k".into() },
            arrived: 0,
            reply_to: n,
        };
        assert!(db.arrive(job(1)).is_some());
        assert!(db.arrive(job(2)).is_some());
        assert!(db.arrive(job(3)).is_none(), "both connections are busy");
        assert!(db.arrive(job(4)).is_none());
        assert_eq!(db.release().map(|j| j.reply_to), Some(3), "first come");
        assert_eq!(db.release().map(|j| j.reply_to), Some(4));
        assert!(db.release().is_none());
        assert!(db.release().is_none());
        assert!(db.arrive(job(5)).is_some(), "a connection is free again");
    }
}
