//! Redis's `zskiplist`: a skip list ordered by (score, member bytes) whose
//! links carry spans, so that rank lookups and rank ranges are O(log N).
//!
//! Nodes live in an arena and link to each other by index, which keeps the
//! structure `Clone` and free of `unsafe`. Node levels come from a small
//! xorshift generator with a fixed seed, so the same operations build the
//! same list on every run and every platform (Redis uses `random()`; the
//! shape of the list never shows in a reply, only its speed does).

use std::cmp::Ordering;

/// Redis's `ZSKIPLIST_MAXLEVEL`.
const MAX_LEVEL: usize = 32;
/// No node: the end of a level, or no backward link.
const NIL: u32 = u32::MAX;
/// The arena slot of the header node, which holds no member.
const HEAD: u32 = 0;
const LEVEL_SEED: u64 = 0x9e37_79b9_7f4a_7c15;

#[derive(Clone, Copy, Debug)]
struct Link {
    forward: u32,
    /// Number of level-0 steps this link jumps over.
    span: u32,
}

/// Links of a node's lowest levels are kept inline, so that a node fits
/// one 64-byte cache line and a search touches one line per node it
/// passes. Only one node in 256 has more levels; their upper links live in
/// a side table.
const INLINE_LEVELS: usize = 4;
const NO_LINK: Link = Link {
    forward: NIL,
    span: 0,
};

#[derive(Clone, Debug)]
#[repr(C, align(64))]
struct Node {
    score: f64,
    backward: u32,
    /// Index in `SkipList::upper` of the links above `INLINE_LEVELS`, or NIL.
    upper: u32,
    low: [Link; INLINE_LEVELS],
    member: Box<[u8]>,
}

/// A position in the list, valid until the list is next modified.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeId(u32);

#[derive(Clone, Debug)]
pub struct SkipList {
    nodes: Vec<Node>,
    /// Arena slots of deleted nodes, reused by later inserts.
    free: Vec<u32>,
    /// Upper links of the nodes that have more than `INLINE_LEVELS` levels.
    upper: Vec<Box<[Link]>>,
    upper_free: Vec<u32>,
    tail: u32,
    /// Number of levels in use (at least 1).
    level: usize,
    len: usize,
    rng: u64,
}

/// The nodes a search stopped at on each level, and their ranks (1-based;
/// the header has rank 0): what an insert or delete relinks.
struct Path {
    update: [u32; MAX_LEVEL],
    rank: [usize; MAX_LEVEL],
}

/// Redis's order: by score, then by member bytes (`memcmp`, shorter first).
pub fn compare(a_score: f64, a_member: &[u8], b_score: f64, b_member: &[u8]) -> Ordering {
    if a_score < b_score {
        Ordering::Less
    } else if a_score > b_score {
        Ordering::Greater
    } else {
        a_member.cmp(b_member)
    }
}

impl Default for SkipList {
    fn default() -> Self {
        SkipList::new()
    }
}

impl SkipList {
    pub fn new() -> Self {
        let mut list = SkipList {
            nodes: Vec::new(),
            free: Vec::new(),
            upper: Vec::new(),
            upper_free: Vec::new(),
            tail: NIL,
            level: 1,
            len: 0,
            rng: LEVEL_SEED,
        };
        list.alloc(0.0, Box::default(), MAX_LEVEL);
        list
    }

    /// A fresh node with `level` unlinked levels, in a free slot if any.
    fn alloc(&mut self, score: f64, member: Box<[u8]>, level: usize) -> u32 {
        let upper = if level > INLINE_LEVELS {
            let links = vec![NO_LINK; level - INLINE_LEVELS].into_boxed_slice();
            match self.upper_free.pop() {
                Some(slot) => {
                    self.upper[slot as usize] = links;
                    slot
                }
                None => {
                    self.upper.push(links);
                    (self.upper.len() - 1) as u32
                }
            }
        } else {
            NIL
        };
        let node = Node {
            score,
            backward: NIL,
            upper,
            low: [NO_LINK; INLINE_LEVELS],
            member,
        };
        match self.free.pop() {
            Some(slot) => {
                self.nodes[slot as usize] = node;
                slot
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        }
    }

    /// Frees a node's slot and returns its member.
    fn release(&mut self, x: u32) -> Box<[u8]> {
        let node = &mut self.nodes[x as usize];
        if node.upper != NIL {
            self.upper[node.upper as usize] = Box::default();
            self.upper_free.push(node.upper);
            node.upper = NIL;
        }
        self.free.push(x);
        std::mem::take(&mut node.member)
    }

    pub fn len(&self) -> usize {
        self.len
    }

    fn node(&self, id: u32) -> &Node {
        &self.nodes[id as usize]
    }

    fn link(&self, id: u32, level: usize) -> Link {
        let node = &self.nodes[id as usize];
        match node.low.get(level) {
            Some(link) => *link,
            None => self.upper[node.upper as usize][level - INLINE_LEVELS],
        }
    }

    fn link_mut(&mut self, id: u32, level: usize) -> &mut Link {
        let node = &mut self.nodes[id as usize];
        if level < INLINE_LEVELS {
            &mut node.low[level]
        } else {
            &mut self.upper[node.upper as usize][level - INLINE_LEVELS]
        }
    }

    /// Redis's `zslRandomLevel`: each extra level with probability 1/4.
    fn random_level(&mut self) -> usize {
        let mut level = 1;
        while level < MAX_LEVEL {
            // xorshift64*
            self.rng ^= self.rng >> 12;
            self.rng ^= self.rng << 25;
            self.rng ^= self.rng >> 27;
            let r = self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 48;
            if r >= 0x4000 {
                break;
            }
            level += 1;
        }
        level
    }

    /// Walks from the header, moving forward on each level while
    /// `before(node, rank_of_node)` holds. `before` must be true for a
    /// prefix of the list and false after it.
    fn descend(&self, mut before: impl FnMut(&Node, usize) -> bool) -> Path {
        let mut path = Path {
            update: [HEAD; MAX_LEVEL],
            rank: [0; MAX_LEVEL],
        };
        let mut x = HEAD;
        let mut rank = 0;
        for i in (0..self.level).rev() {
            loop {
                let link = self.link(x, i);
                if link.forward == NIL {
                    break;
                }
                let next_rank = rank + link.span as usize;
                if !before(self.node(link.forward), next_rank) {
                    break;
                }
                rank = next_rank;
                x = link.forward;
            }
            path.update[i] = x;
            path.rank[i] = rank;
        }
        path
    }

    fn before(score: f64, member: &[u8]) -> impl Fn(&Node, usize) -> bool + '_ {
        move |n, _| compare(n.score, &n.member, score, member) == Ordering::Less
    }

    /// Inserts a member that is not in the list (`zslInsert`).
    pub fn insert(&mut self, score: f64, member: Box<[u8]>) {
        let mut path = self.descend(Self::before(score, &member));
        let level = self.random_level();
        if level > self.level {
            for i in self.level..level {
                path.rank[i] = 0;
                path.update[i] = HEAD;
                self.link_mut(HEAD, i).span = self.len as u32;
            }
            self.level = level;
        }
        let x = self.alloc(score, member, level);
        for i in 0..level {
            let u = path.update[i];
            let passed = (path.rank[0] - path.rank[i]) as u32;
            let ulink = self.link(u, i);
            *self.link_mut(x, i) = Link {
                forward: ulink.forward,
                span: ulink.span - passed,
            };
            *self.link_mut(u, i) = Link {
                forward: x,
                span: passed + 1,
            };
        }
        for i in level..self.level {
            self.link_mut(path.update[i], i).span += 1;
        }
        self.nodes[x as usize].backward = if path.update[0] == HEAD {
            NIL
        } else {
            path.update[0]
        };
        let next = self.link(x, 0).forward;
        if next == NIL {
            self.tail = x;
        } else {
            self.nodes[next as usize].backward = x;
        }
        self.len += 1;
    }

    /// Unlinks `x`, whose predecessors on each level are in `path`, and
    /// frees its slot (`zslDeleteNode`). Returns the member.
    fn unlink(&mut self, x: u32, path: &Path) -> Box<[u8]> {
        for i in 0..self.level {
            let u = path.update[i];
            let ulink = self.link(u, i);
            if ulink.forward == x {
                let xlink = self.link(x, i);
                *self.link_mut(u, i) = Link {
                    forward: xlink.forward,
                    span: ulink.span + xlink.span - 1,
                };
            } else {
                self.link_mut(u, i).span -= 1;
            }
        }
        let next = self.link(x, 0).forward;
        let back = self.node(x).backward;
        if next == NIL {
            self.tail = back;
        } else {
            self.nodes[next as usize].backward = back;
        }
        while self.level > 1 && self.link(HEAD, self.level - 1).forward == NIL {
            self.level -= 1;
        }
        self.len -= 1;
        self.release(x)
    }

    /// Removes the member with this score (`zslDelete`); returns it if found.
    pub fn delete(&mut self, score: f64, member: &[u8]) -> Option<Box<[u8]>> {
        let path = self.descend(Self::before(score, member));
        let x = self.link(path.update[0], 0).forward;
        if x != NIL && self.node(x).score == score && *self.node(x).member == *member {
            Some(self.unlink(x, &path))
        } else {
            None
        }
    }

    /// Moves a member from `current` to `new` (`zslUpdateScore`): in place
    /// when its neighbours keep it where it is, else delete and re-insert.
    pub fn update_score(&mut self, current: f64, member: &[u8], new: f64) {
        let path = self.descend(Self::before(current, member));
        let x = self.link(path.update[0], 0).forward;
        if x == NIL || self.node(x).score != current || *self.node(x).member != *member {
            // The caller's map and this list disagree; keep the list intact.
            return;
        }
        let back = self.node(x).backward;
        let next = self.link(x, 0).forward;
        if (back == NIL || self.node(back).score < new)
            && (next == NIL || self.node(next).score > new)
        {
            self.nodes[x as usize].score = new;
            return;
        }
        let member = self.unlink(x, &path);
        self.insert(new, member);
    }

    /// The 1-based rank of a member with this score (`zslGetRank`).
    pub fn rank(&self, score: f64, member: &[u8]) -> Option<usize> {
        let path =
            self.descend(|n, _| compare(n.score, &n.member, score, member) != Ordering::Greater);
        let x = path.update[0];
        (x != HEAD && self.node(x).score == score && *self.node(x).member == *member)
            .then_some(path.rank[0])
    }

    /// The node at a 1-based rank (`zslGetElementByRank`).
    pub fn at_rank(&self, rank: usize) -> Option<NodeId> {
        if rank == 0 || rank > self.len {
            return None;
        }
        let path = self.descend(|_, r| r <= rank);
        Some(NodeId(path.update[0]))
    }

    /// The first node (with its 1-based rank) for which `before` is false,
    /// provided `in_range` holds for it.
    pub fn first_from(
        &self,
        before: impl Fn(f64, &[u8]) -> bool,
        in_range: impl Fn(f64, &[u8]) -> bool,
    ) -> Option<(NodeId, usize)> {
        let path = self.descend(|n, _| before(n.score, &n.member));
        let x = self.link(path.update[0], 0).forward;
        (x != NIL && in_range(self.node(x).score, &self.node(x).member))
            .then_some((NodeId(x), path.rank[0] + 1))
    }

    /// The last node (with its 1-based rank) for which `within` holds,
    /// provided `in_range` holds for it too.
    pub fn last_to(
        &self,
        within: impl Fn(f64, &[u8]) -> bool,
        in_range: impl Fn(f64, &[u8]) -> bool,
    ) -> Option<(NodeId, usize)> {
        let path = self.descend(|n, _| within(n.score, &n.member));
        let x = path.update[0];
        (x != HEAD && in_range(self.node(x).score, &self.node(x).member))
            .then_some((NodeId(x), path.rank[0]))
    }

    /// Deletes the run of nodes that starts at the first node for which
    /// `before(score, member, rank)` is false and continues while
    /// `keep_going(score, member, rank)` holds. Hands each removed member to
    /// `removed`.
    pub fn delete_run(
        &mut self,
        before: impl Fn(f64, &[u8], usize) -> bool,
        keep_going: impl Fn(f64, &[u8], usize) -> bool,
        mut removed: impl FnMut(Box<[u8]>, f64),
    ) -> usize {
        let path = self.descend(|n, r| before(n.score, &n.member, r));
        let mut rank = path.rank[0] + 1;
        let mut x = self.link(path.update[0], 0).forward;
        let mut count = 0;
        while x != NIL && keep_going(self.node(x).score, &self.node(x).member, rank) {
            let next = self.link(x, 0).forward;
            let score = self.node(x).score;
            let member = self.unlink(x, &path);
            removed(member, score);
            count += 1;
            rank += 1;
            x = next;
        }
        count
    }

    pub fn first(&self) -> Option<NodeId> {
        let x = self.link(HEAD, 0).forward;
        (x != NIL).then_some(NodeId(x))
    }

    pub fn last(&self) -> Option<NodeId> {
        (self.tail != NIL).then_some(NodeId(self.tail))
    }

    pub fn next(&self, id: NodeId) -> Option<NodeId> {
        let x = self.link(id.0, 0).forward;
        (x != NIL).then_some(NodeId(x))
    }

    pub fn prev(&self, id: NodeId) -> Option<NodeId> {
        let x = self.node(id.0).backward;
        (x != NIL).then_some(NodeId(x))
    }

    pub fn get(&self, id: NodeId) -> (&[u8], f64) {
        let node = self.node(id.0);
        (&node.member, node.score)
    }

    /// Walks from `start` forward (or backward when `reverse`).
    pub fn walk(&self, start: Option<NodeId>, reverse: bool) -> Walk<'_> {
        Walk {
            list: self,
            at: start,
            reverse,
        }
    }

    /// Checks the structural invariants (spans, back links, order); for tests.
    #[cfg(test)]
    pub fn check(&self) {
        let mut count = 0;
        let mut x = HEAD;
        let mut prev_entry: Option<(f64, &[u8])> = None;
        while self.link(x, 0).forward != NIL {
            let next = self.link(x, 0).forward;
            assert_eq!(self.link(x, 0).span, 1);
            assert_eq!(self.node(next).backward, if x == HEAD { NIL } else { x });
            let n = self.node(next);
            if let Some((s, m)) = prev_entry {
                assert_eq!(compare(s, m, n.score, &n.member), Ordering::Less);
            }
            prev_entry = Some((n.score, &n.member));
            count += 1;
            x = next;
        }
        assert_eq!(count, self.len);
        assert_eq!(self.tail, if count == 0 { NIL } else { x });
        for i in 1..self.level {
            let mut x = HEAD;
            let mut rank = 0;
            while self.link(x, i).forward != NIL {
                let link = self.link(x, i);
                rank += link.span as usize;
                assert_eq!(
                    self.rank(
                        self.node(link.forward).score,
                        &self.node(link.forward).member
                    ),
                    Some(rank)
                );
                x = link.forward;
            }
        }
    }
}

#[cfg(test)]
#[test]
fn a_node_is_one_cache_line() {
    assert_eq!(std::mem::size_of::<Node>(), 64);
}

/// Nodes in order from a starting point.
pub struct Walk<'a> {
    list: &'a SkipList,
    at: Option<NodeId>,
    reverse: bool,
}

impl<'a> Iterator for Walk<'a> {
    type Item = (&'a [u8], f64);

    fn next(&mut self) -> Option<Self::Item> {
        let id = self.at?;
        self.at = if self.reverse {
            self.list.prev(id)
        } else {
            self.list.next(id)
        };
        Some(self.list.get(id))
    }
}
