//! Redis Sentinel, as the simulator models it: one sentinel watching one
//! primary, deciding on each of its ticks whether the primary is down,
//! which replica to promote, and when to send SCRIPT KILL to a primary
//! stuck in a script. It reads a narrow view of the nodes (what it can see
//! of each over the network) and returns actions; the world carries them
//! out (promotion, sending the command) and wakes it every [`TICK_US`].

use crate::trace::Time;

/// How often the sentinel looks at the nodes (µs): Sentinel PINGs every
/// instance once a second; a tenth of that keeps failover timings close.
pub const TICK_US: Time = 100_000;

/// The sentinel's state between ticks.
#[derive(Clone, Debug)]
pub struct Sentinel {
    /// The node it watches (an index into the world's nodes).
    pub primary: usize,
    /// `down-after-milliseconds`, in µs.
    pub down_after: Time,
    /// Since when the primary has been out of reach, if it is.
    down_since: Option<Time>,
    /// The busy script (its run id) it already sent SCRIPT KILL for.
    script_kill_sent: Option<u64>,
}

/// What the sentinel can see of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeView {
    /// Up, and on the sentinel's side of any partition.
    pub reachable: bool,
    pub replica_of: Option<usize>,
    /// Its replication offset (how much of the primary's stream it has).
    pub offset: u64,
    /// The script it is running, if it is running one.
    pub script: Option<BusyScript>,
}

/// A script a node is running, as the sentinel sees it (BUSY replies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BusyScript {
    /// The run's id, so one script gets one SCRIPT KILL.
    pub run: u64,
    pub started: Time,
    /// The node's `busy-reply-threshold` (µs): before it, the node is
    /// silent, not BUSY.
    pub threshold: Time,
}

/// What the sentinel decided on a tick.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Send SCRIPT KILL to the node.
    ScriptKill { node: usize },
    /// Fail over: `replica` becomes the primary, the old one having been
    /// unreachable for `down_for` µs.
    Promote { replica: usize, down_for: Time },
}

impl Sentinel {
    pub fn new(primary: usize, down_after: Time) -> Sentinel {
        Sentinel {
            primary,
            down_after,
            down_since: None,
            script_kill_sent: None,
        }
    }

    /// A failover happened (by the sentinel or REPLICAOF NO ONE): it
    /// watches the new primary, which it has just seen.
    pub fn follow(&mut self, primary: usize) {
        self.primary = primary;
        self.down_since = None;
    }

    /// One tick at `now`, over `nodes` (indexed as the world's nodes).
    ///
    /// A reachable primary is fine, unless it is stuck in a script: once it
    /// has given no valid reply for `down_after` (it is subjectively down)
    /// and answers BUSY, the sentinel sends SCRIPT KILL, once per script
    /// (Redis's `SRI_SCRIPT_KILL_SENT`); a script that has written cannot
    /// be killed, and the failover is then the only way out. A primary out
    /// of reach for `down_after` is failed over to the reachable replica
    /// with the most data (the lowest index among equals).
    pub fn tick(&mut self, now: Time, nodes: &[NodeView]) -> Option<Action> {
        let primary = &nodes[self.primary];
        if primary.reachable {
            self.down_since = None;
            let script = primary.script?;
            let elapsed = now - script.started;
            if self.script_kill_sent == Some(script.run)
                || elapsed < self.down_after
                || elapsed <= script.threshold
            {
                return None;
            }
            self.script_kill_sent = Some(script.run);
            return Some(Action::ScriptKill { node: self.primary });
        }
        let since = *self.down_since.get_or_insert(now);
        if now - since < self.down_after {
            return None;
        }
        let replica = (0..nodes.len())
            .filter(|&r| nodes[r].replica_of == Some(self.primary) && nodes[r].reachable)
            .max_by_key(|&r| (nodes[r].offset, std::cmp::Reverse(r)))?;
        Some(Action::Promote {
            replica,
            down_for: now - since,
        })
    }
}

/// The promotion's reason in the trace.
pub fn failover_reason(primary: &str, down_for: Time) -> String {
    format!(
        "sentinel failover: {primary} unreachable for {} ms",
        down_for / 1000
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Time = 1000;

    fn primary() -> NodeView {
        NodeView {
            reachable: true,
            replica_of: None,
            offset: 5,
            script: None,
        }
    }

    fn replica(offset: u64) -> NodeView {
        NodeView {
            reachable: true,
            replica_of: Some(0),
            offset,
            script: None,
        }
    }

    #[test]
    fn an_unreachable_primary_is_failed_over_after_down_after() {
        let mut sentinel = Sentinel::new(0, 500 * MS);
        let mut nodes = vec![primary(), replica(3), replica(4), replica(4)];
        assert_eq!(sentinel.tick(0, &nodes), None, "all is well");
        nodes[0].reachable = false;
        assert_eq!(sentinel.tick(100 * MS, &nodes), None, "just lost");
        assert_eq!(sentinel.tick(599 * MS, &nodes), None, "not yet down");
        // The most data wins; the lowest index among equals.
        assert_eq!(
            sentinel.tick(600 * MS, &nodes),
            Some(Action::Promote {
                replica: 2,
                down_for: 500 * MS
            })
        );
        // A replica out of reach is not chosen.
        nodes[2].reachable = false;
        assert_eq!(
            sentinel.tick(700 * MS, &nodes),
            Some(Action::Promote {
                replica: 3,
                down_for: 600 * MS
            })
        );
    }

    #[test]
    fn a_primary_seen_again_resets_the_count_and_no_replica_means_no_failover() {
        let mut sentinel = Sentinel::new(0, 500 * MS);
        let mut nodes = vec![primary(), replica(1)];
        nodes[0].reachable = false;
        assert_eq!(sentinel.tick(0, &nodes), None);
        nodes[0].reachable = true;
        assert_eq!(sentinel.tick(400 * MS, &nodes), None, "back in time");
        nodes[0].reachable = false;
        assert_eq!(sentinel.tick(600 * MS, &nodes), None, "lost again: anew");
        nodes[1].reachable = false;
        assert_eq!(sentinel.tick(2_000 * MS, &nodes), None, "no replica");
        sentinel.follow(1);
        nodes[1] = primary();
        assert_eq!(
            sentinel.tick(2_100 * MS, &nodes),
            None,
            "follows the new one"
        );
    }

    #[test]
    fn a_busy_primary_gets_one_script_kill_per_script() {
        let mut sentinel = Sentinel::new(0, 500 * MS);
        let mut nodes = vec![primary(), replica(1)];
        let script = |run, threshold| BusyScript {
            run,
            started: 1_000 * MS,
            threshold,
        };
        nodes[0].script = Some(script(7, 5_000 * MS));
        assert_eq!(
            sentinel.tick(1_600 * MS, &nodes),
            None,
            "past down_after, not yet BUSY"
        );
        nodes[0].script = Some(script(7, 100 * MS));
        assert_eq!(sentinel.tick(1_400 * MS, &nodes), None, "BUSY, not down");
        assert_eq!(
            sentinel.tick(1_500 * MS, &nodes),
            Some(Action::ScriptKill { node: 0 })
        );
        assert_eq!(sentinel.tick(1_600 * MS, &nodes), None, "sent once");
        nodes[0].script = Some(script(8, 100 * MS));
        assert_eq!(
            sentinel.tick(1_600 * MS, &nodes),
            Some(Action::ScriptKill { node: 0 }),
            "a new script"
        );
    }
}
