//! A node's active expiry: when to look for keys whose TTL has passed (on
//! the node's own clock), and removing them. Primaries only: a replica
//! waits for its primary's deletions, as in Redis.

use super::{Node, NodeContext, Timer};

impl Node {
    /// Asks to be woken when the next key dies (one ms after its expire
    /// time on the node's clock, as Redis compares); an earlier request is
    /// void.
    pub fn schedule_expiry(&mut self, ctx: &mut NodeContext) {
        if !self.up || self.replica_of.is_some() {
            return;
        }
        let Some(at_ms) = self.engine.keyspace().next_expiry_ms() else {
            return;
        };
        self.expiry_gen += 1;
        let generation = self.expiry_gen;
        let at = self.clock.global_at(at_ms as f64 + 1.0, ctx.now());
        ctx.set_timer(at, Timer::Expiry { generation });
    }

    /// Removes the keys whose TTL has passed, if this wake-up is still
    /// the node's latest and it can: up, a primary, not busy. False when
    /// it did nothing.
    pub fn expire(&mut self, generation: u64, ctx: &mut NodeContext) -> bool {
        if self.expiry_gen != generation || !self.up || self.replica_of.is_some() {
            return false;
        }
        if self.running.is_some() {
            return false;
        }
        let now_ms = self.now_ms(ctx.now());
        self.engine.active_expire(now_ms);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::Effect;

    #[test]
    fn the_next_expiry_is_asked_for_on_the_nodes_clock_and_an_old_one_is_void() {
        let scenario = crate::Scenario::parse(
            "title = \"x\"\nduration_ms = 10\n[[node]]\nname = \"r1\"\n\
             clock = { offset_ms = 1000 }\n\
             [[client]]\nname = \"c1\"\nprogram = \"return\"\n",
        )
        .expect("scenario");
        let mut n = Node::new(scenario.nodes[0].clone(), None).expect("node");
        let mut cx = NodeContext::new(0);
        n.schedule_expiry(&mut cx);
        assert!(cx.into_effects().is_empty(), "no key with a TTL");

        let conn = n.engine.connect("c", 1000);
        let args: Vec<Vec<u8>> = ["SET", "k", "v", "PX", "50"]
            .iter()
            .map(|a| a.as_bytes().to_vec())
            .collect();
        n.engine.execute(conn, &args, 1000);
        let mut cx = NodeContext::new(0);
        n.schedule_expiry(&mut cx);
        let first = n.expiry_gen;
        // The key dies at 1050 on the node's clock (1000 ms ahead of the
        // world): 51 ms into the run.
        assert_eq!(
            cx.into_effects(),
            [Effect::Timer(51_000, Timer::Expiry { generation: first })]
        );
        n.schedule_expiry(&mut NodeContext::new(0));
        assert!(!n.expire(first, &mut NodeContext::new(51_000)), "void");
        assert!(n.expire(n.expiry_gen, &mut NodeContext::new(51_000)));
        assert!(n.engine.keyspace().peek(b"k").is_none());
    }
}
