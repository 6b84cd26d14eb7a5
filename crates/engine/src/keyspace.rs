//! The keyspace: values, per-key expiry and the WATCH registry.
//!
//! Keys are kept in the order of a fixed 64-bit hash (FNV-1a), which gives
//! the "unordered" look of Redis's KEYS and a SCAN cursor with Redis's
//! guarantee (a key present for the whole scan is returned), while staying
//! identical on every platform and every run. Lookups go through a hash
//! table beside that order (as Redis's own dict), which is never iterated.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::rc::Rc;

use crate::server::eviction::{Access, Policy};

use crate::client::ClientId;
use crate::value::Value;

/// A stored value and its absolute expiry time in milliseconds, if any.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub value: Value,
    pub expire_at_ms: Option<i64>,
}

/// Where a key sits in iteration order: its hash first, the key to break ties.
type Slot = (u64, Vec<u8>);

/// A slot seen through its parts, so that a lookup can use a borrowed key
/// ([`Probe`]) instead of copying it into a [`Slot`]: every command looks
/// keys up, and that copy was a measurable share of a GET.
trait SlotKey {
    fn hash(&self) -> u64;
    fn key(&self) -> &[u8];
}

impl SlotKey for Slot {
    fn hash(&self) -> u64 {
        self.0
    }
    fn key(&self) -> &[u8] {
        &self.1
    }
}

/// The slot of a borrowed key, for lookups.
struct Probe<'k> {
    hash: u64,
    key: &'k [u8],
}

impl<'k> Probe<'k> {
    fn new(key: &'k [u8]) -> Self {
        Probe {
            hash: key_hash(key),
            key,
        }
    }

    fn slot(&self) -> &(dyn SlotKey + 'k) {
        self
    }
}

impl SlotKey for Probe<'_> {
    fn hash(&self) -> u64 {
        self.hash
    }
    fn key(&self) -> &[u8] {
        self.key
    }
}

impl<'a> Borrow<dyn SlotKey + 'a> for Slot {
    fn borrow(&self) -> &(dyn SlotKey + 'a) {
        self
    }
}

/// The same order as `Slot`'s own (hash, then key bytes), as `Borrow` requires.
impl Ord for dyn SlotKey + '_ {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.hash(), self.key()).cmp(&(other.hash(), other.key()))
    }
}

impl PartialOrd for dyn SlotKey + '_ {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for dyn SlotKey + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for dyn SlotKey + '_ {}

/// FNV-1a over the bytes with a final mix, for the lookup table: fixed, so
/// a run does the same work every time (the table is never iterated, so
/// its layout shows nowhere).
struct KeyHasher(u64);

impl Default for KeyHasher {
    fn default() -> Self {
        KeyHasher(0xcbf2_9ce4_8422_2325)
    }
}

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        // The table picks buckets and tags from different bits: spread
        // every byte's influence over all of them.
        let h = self.0 ^ (self.0 >> 29);
        h.wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (h >> 32)
    }
}

type LookupTable = HashMap<Vec<u8>, Rc<Entry>, BuildHasherDefault<KeyHasher>>;

#[derive(Clone, Default)]
pub struct Keyspace {
    /// Every key, in iteration order (KEYS, SCAN, snapshots).
    order: BTreeSet<Slot>,
    /// The same keys with their entries, for lookups: a hash table finds a
    /// key in one probe where the ordered set walks a tree. Never iterated.
    ///
    /// Each entry behind its own `Rc`, so a snapshot ([`Keyspace::data_only`])
    /// copies pointers, not values: the first write to a shared entry
    /// copies that one value ([`Keyspace::get_mut`]), and every other key
    /// stays shared. A million-member set costs nothing to snapshot until
    /// it is written.
    entries: LookupTable,
    /// Values copied because a snapshot still shared them when they were
    /// written (see `entries`): what copy-on-write has cost so far.
    values_copied: u64,
    /// (expire time, key) for every key with a TTL, so the active expiry
    /// cycle visits keys in the order they die. Empty means no key can
    /// expire, which lets lookups skip the expiry check.
    expires: BTreeSet<(i64, Vec<u8>)>,
    /// key -> clients watching it, each with whether the key was already
    /// logically expired when it was WATCHed (Redis's `watchedKey.expired`).
    watchers: BTreeMap<Vec<u8>, BTreeMap<ClientId, bool>>,
    /// Clients whose watched keys were touched since they WATCHed.
    dirty: BTreeSet<ClientId>,
    /// Keys removed by expiry since the caller last drained them.
    expired_log: Vec<Vec<u8>>,
    /// Total keys removed by expiry (INFO's `expired_keys`).
    pub expired_total: u64,
    /// Keys modified (and whether by expiry) since `start_recording`, for
    /// keyspace notifications; `None` while nobody listens.
    recorded: Option<Vec<(Vec<u8>, bool)>>,
    /// Modifications so far (every `signal_modified`): a host compares it
    /// before and after a command to know whether the data changed, as
    /// Redis's `server.dirty` tells replication and persistence.
    changes: u64,
    /// Keys some client is blocked on (BLPOP, XREAD BLOCK, ...), kept by
    /// the blocking registry; see `crate::blocking`.
    blocked_keys: BTreeSet<Vec<u8>>,
    /// Blocked-on keys written since the registry last looked, in the
    /// order of their first write (Redis's `server.ready_keys`).
    ready_keys: Vec<Vec<u8>>,
    /// While clients are paused (CLIENT PAUSE) an expired key reads as
    /// missing but stays stored, and active expiry skips it, so the data
    /// set does not change under the pause (Redis's `expireIfNeeded`).
    expiry_paused: bool,
    /// Every modified key, in order, while some client tracks keys (CLIENT
    /// TRACKING): the tracking table reads it after each command.
    modified: Option<Vec<Vec<u8>>>,
    /// Per key, its last access and LFU counter, kept only under an LRU or
    /// LFU `maxmemory-policy` (see `crate::server::eviction`).
    access: Option<BTreeMap<Vec<u8>, Access>>,
    /// The running command's time, for writes that store a key (they are
    /// not given the clock) while access is tracked.
    access_clock_ms: i64,
    /// Strings Redis would hold `raw` whatever their content: changed in
    /// place by APPEND or SETRANGE. Storing a new value forgets the mark,
    /// as Redis's new object gets its encoding from its content.
    raw_strings: BTreeSet<Vec<u8>>,
}

/// FNV-1a: fixed, portable, and good enough to spread keys for SCAN.
pub fn key_hash(key: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in key {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn slot(key: &[u8]) -> Slot {
    (key_hash(key), key.to_vec())
}

/// Entries in key order, never in the lookup table's.
impl std::fmt::Debug for Keyspace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyspace")
            .field("entries", &self.iter().collect::<Vec<_>>())
            .field("expires", &self.expires)
            .field("watchers", &self.watchers)
            .field("dirty", &self.dirty)
            .field("changes", &self.changes)
            .finish_non_exhaustive()
    }
}

impl Keyspace {
    pub fn new() -> Self {
        Self::default()
    }

    /// Removes `key` if its TTL has passed (Redis's lazy expiry). Returns
    /// true if it did. As in Redis's `keyIsExpired`, a key lives through
    /// the millisecond of its expire time and is gone once the clock is
    /// past it.
    pub fn expire_if_needed(&mut self, key: &[u8], now_ms: i64) -> bool {
        if self.expires.is_empty() {
            return false;
        }
        let expired =
            matches!(self.entries.get(key), Some(e) if e.expire_at_ms.is_some_and(|t| t < now_ms));
        if expired && self.expiry_paused {
            return true;
        }
        if expired {
            self.remove_entry(key);
            self.expired_total += 1;
            self.expired_log.push(key.to_vec());
            self.signal_modified(key);
            if let Some(Some(last)) = self.recorded.as_mut().map(|r| r.last_mut()) {
                last.1 = true;
            }
        }
        expired
    }

    /// The live entry at `key`, expiring it first if needed.
    pub fn get(&mut self, key: &[u8], now_ms: i64) -> Option<&Entry> {
        if self.expire_if_needed(key, now_ms) {
            return None;
        }
        if self.access.is_some() {
            self.touch(key, now_ms);
        }
        self.entries.get(key).map(|e| &**e)
    }

    /// The live entry at `key` for modification. The caller must call
    /// [`Keyspace::signal_modified`] if it changes anything.
    /// If a snapshot shares the value, this copies it first (once: the
    /// copy is this keyspace's own from then on).
    pub fn get_mut(&mut self, key: &[u8], now_ms: i64) -> Option<&mut Entry> {
        if self.expire_if_needed(key, now_ms) {
            return None;
        }
        if self.access.is_some() {
            self.touch(key, now_ms);
        }
        let entry = self.entries.get_mut(key)?;
        if Rc::strong_count(entry) > 1 {
            self.values_copied += 1;
        }
        Some(Rc::make_mut(entry))
    }

    /// Looks at an entry without expiring it (for INFO, rendering, tests).
    pub fn peek(&self, key: &[u8]) -> Option<&Entry> {
        self.entries.get(key).map(|e| &**e)
    }

    /// The entry at `key` as stored, shared with any snapshot holding it:
    /// two keyspaces hold the same value when these are `Rc::ptr_eq`.
    pub fn peek_shared(&self, key: &[u8]) -> Option<&Rc<Entry>> {
        self.entries.get(key)
    }

    /// How many values a write had to copy because a snapshot shared them.
    pub fn values_copied(&self) -> u64 {
        self.values_copied
    }

    pub fn exists(&mut self, key: &[u8], now_ms: i64) -> bool {
        self.get(key, now_ms).is_some()
    }

    /// Stores `value` at `key`. Like Redis's `setKey`, this clears any TTL
    /// unless `keep_ttl`, and signals watchers.
    pub fn set(&mut self, key: &[u8], value: Value, keep_ttl: bool) {
        // An existing key keeps its place (no copy of the key); a new one
        // gets its own.
        let old_expire = match self.entries.get_mut(key) {
            Some(shared) => {
                let old_expire = shared.expire_at_ms;
                let expire_at_ms = if keep_ttl { old_expire } else { None };
                *shared = Rc::new(Entry {
                    value,
                    expire_at_ms,
                });
                old_expire
            }
            None => {
                let entry = Entry {
                    value,
                    expire_at_ms: None,
                };
                self.insert_new(key, Rc::new(entry));
                None
            }
        };
        if let (Some(t), false) = (old_expire, keep_ttl) {
            self.expires.remove(&(t, key.to_vec()));
        }
        if !self.raw_strings.is_empty() {
            self.raw_strings.remove(key);
        }
        if self.access.is_some() {
            self.touch(key, self.access_clock_ms);
        }
        self.signal_modified(key);
    }

    /// Stores an entry taken from another key (RENAME, MOVE) with its
    /// TTL, without copying its value; signals watchers as `set` does.
    pub fn set_entry(&mut self, key: &[u8], entry: Rc<Entry>) {
        if let Some(old) = self.peek(key).and_then(|e| e.expire_at_ms) {
            self.expires.remove(&(old, key.to_vec()));
        }
        if let Some(t) = entry.expire_at_ms {
            self.expires.insert((t, key.to_vec()));
        }
        if let Some(shared) = self.entries.get_mut(key) {
            *shared = entry;
        } else {
            self.insert_new(key, entry);
        }
        if !self.raw_strings.is_empty() {
            self.raw_strings.remove(key);
        }
        if self.access.is_some() {
            self.touch(key, self.access_clock_ms);
        }
        self.signal_modified(key);
    }

    /// Removes `key`, signalling watchers if it existed. The entry comes
    /// back shared: dropping it frees the value only if no snapshot holds it.
    pub fn remove(&mut self, key: &[u8]) -> Option<Rc<Entry>> {
        let removed = self.remove_entry(key);
        if removed.is_some() {
            self.signal_modified(key);
        }
        removed
    }

    /// Adds a key that is not there yet, in both the order and the table.
    fn insert_new(&mut self, key: &[u8], entry: Rc<Entry>) {
        self.order.insert(slot(key));
        self.entries.insert(key.to_vec(), entry);
    }

    fn remove_entry(&mut self, key: &[u8]) -> Option<Rc<Entry>> {
        let entry = self.entries.remove(key)?;
        self.order.remove(Probe::new(key).slot());
        if let Some(access) = self.access.as_mut() {
            access.remove(key);
        }
        if !self.raw_strings.is_empty() {
            self.raw_strings.remove(key);
        }
        if let Some(t) = entry.expire_at_ms {
            self.expires.remove(&(t, key.to_vec()));
        }
        Some(entry)
    }

    /// Sets or clears the absolute expiry of an existing key. Does not
    /// signal watchers: the command decides (Redis signals on EXPIRE).
    pub fn set_expire(&mut self, key: &[u8], at_ms: Option<i64>) -> bool {
        let Some(shared) = self.entries.get_mut(key) else {
            return false;
        };
        if shared.expire_at_ms == at_ms {
            return true;
        }
        if Rc::strong_count(shared) > 1 {
            self.values_copied += 1;
        }
        let entry = Rc::make_mut(shared);
        if let Some(old) = entry.expire_at_ms.take() {
            self.expires.remove(&(old, key.to_vec()));
        }
        entry.expire_at_ms = at_ms;
        if let Some(t) = at_ms {
            self.expires.insert((t, key.to_vec()));
        }
        true
    }

    /// Redis's active expiry cycle, made exhaustive: removes every key whose
    /// TTL has passed by `now_ms`, in the order they expired.
    pub fn active_expire(&mut self, now_ms: i64) -> Vec<Vec<u8>> {
        let due: Vec<Vec<u8>> = self
            .expires
            .iter()
            .take_while(|(t, _)| *t < now_ms)
            .map(|(_, k)| k.clone())
            .collect();
        for key in &due {
            self.expire_if_needed(key, now_ms);
        }
        due
    }

    /// Keeps expired keys stored (reading as missing) while clients are
    /// paused; see `expiry_paused`.
    pub(crate) fn pause_expiry(&mut self, paused: bool) {
        self.expiry_paused = paused;
    }

    /// Keeps (or stops keeping) keys' access records for LRU/LFU eviction;
    /// keys present when it starts count as accessed at `now_ms`, with no
    /// LFU count yet (Redis reads their LRU clock as a decayed counter).
    pub(crate) fn track_access(&mut self, on: bool, now_ms: i64) {
        self.access_clock_ms = now_ms;
        if on == self.access.is_some() {
            return;
        }
        self.access = on.then(|| {
            self.order
                .iter()
                .map(|(_, k)| (k.clone(), Access::unknown(now_ms)))
                .collect()
        });
    }

    /// Records an access to `key` (a new key starts its record). Lookups
    /// touch keys themselves; writes that store a value call this.
    pub(crate) fn touch(&mut self, key: &[u8], now_ms: i64) {
        let Some(access) = self.access.as_mut() else {
            return;
        };
        if !self.entries.contains_key(key) {
            return;
        }
        match access.get_mut(key) {
            Some(record) => record.touch(now_ms),
            None => {
                access.insert(key.to_vec(), Access::new(now_ms));
            }
        }
    }

    /// `key`'s access record, if access is tracked.
    pub(crate) fn access_of(&self, key: &[u8]) -> Option<&Access> {
        self.access.as_ref()?.get(key)
    }

    /// The key `policy` would evict first from this database, with its
    /// rank (lower goes first); `draw` picks for the random policies.
    pub(crate) fn eviction_candidate(
        &self,
        policy: Policy,
        now_ms: i64,
        draw: u64,
    ) -> Option<((i64, i64), Vec<u8>)> {
        let volatile = policy.volatile_only();
        let keys: Box<dyn Iterator<Item = &Vec<u8>>> = if volatile {
            Box::new(self.expires.iter().map(|(_, k)| k))
        } else {
            Box::new(self.order.iter().map(|(_, k)| k))
        };
        match policy {
            Policy::NoEviction => None,
            Policy::VolatileTtl => self
                .expires
                .iter()
                .next()
                .map(|(t, k)| ((*t, 0), k.clone())),
            Policy::Random { .. } => {
                let len = if volatile {
                    self.expires.len()
                } else {
                    self.entries.len()
                };
                if len == 0 {
                    return None;
                }
                let index = (draw % len as u64) as usize;
                let mut keys = keys;
                keys.nth(index).map(|k| ((0, 0), k.clone()))
            }
            Policy::Lru { .. } | Policy::Lfu { .. } => {
                let lfu = matches!(policy, Policy::Lfu { .. });
                keys.map(|k| {
                    let access = self.access_of(k).copied().unwrap_or(Access::new(now_ms));
                    let rank = if lfu {
                        (i64::from(access.counter(now_ms)), access.last_ms)
                    } else {
                        (access.last_ms, 0)
                    };
                    (rank, k)
                })
                .min_by_key(|(rank, _)| *rank)
                .map(|(rank, k)| (rank, k.clone()))
            }
        }
    }

    /// Marks the string at `key` as changed in place (APPEND, SETRANGE):
    /// OBJECT ENCODING says `raw` until a new value is stored.
    pub(crate) fn mark_raw(&mut self, key: &[u8]) {
        self.raw_strings.insert(key.to_vec());
    }

    /// Whether the string at `key` was changed in place; see `mark_raw`.
    pub(crate) fn is_raw(&self, key: &[u8]) -> bool {
        self.raw_strings.contains(key)
    }

    /// Starts (or stops) logging modified keys for client tracking.
    pub(crate) fn log_modified(&mut self, on: bool) {
        if on != self.modified.is_some() {
            self.modified = on.then(Vec::new);
        }
    }

    /// The keys modified since the last call, in order (empty unless
    /// [`Self::log_modified`] is on).
    pub(crate) fn take_modified(&mut self) -> Vec<Vec<u8>> {
        self.modified
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    pub(crate) fn expiry_is_paused(&self) -> bool {
        self.expiry_paused
    }

    /// Keys removed by expiry (lazy or active) since the last call.
    pub fn drain_expired_log(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.expired_log)
    }

    /// The earliest pending expiry time, so a simulator knows when to wake
    /// (the key is removed from the next millisecond on).
    pub fn next_expiry_ms(&self) -> Option<i64> {
        self.expires.iter().next().map(|(t, _)| *t)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Number of keys with a TTL (INFO keyspace's `expires=`).
    pub fn expires_count(&self) -> usize {
        self.expires.len()
    }

    /// Removes every key, signalling every watcher (FLUSHALL/FLUSHDB).
    pub fn clear(&mut self) {
        let keys: Vec<Vec<u8>> = self.order.iter().map(|(_, k)| k.clone()).collect();
        self.order.clear();
        self.entries.clear();
        self.expires.clear();
        self.raw_strings.clear();
        if let Some(access) = self.access.as_mut() {
            access.clear();
        }
        for k in keys {
            self.signal_modified(&k);
        }
    }

    /// All keys in iteration order, including ones whose TTL passed but
    /// that no access has removed yet; callers filter with `now_ms`.
    pub fn iter(&self) -> impl Iterator<Item = (&Vec<u8>, &Entry)> {
        self.order
            .iter()
            .map(|(_, k)| (k, &*self.entries[k.as_slice()]))
    }

    /// One SCAN step: keys whose hash is at or past `cursor`, up to `count`
    /// of them, and the cursor to continue from (0 when done).
    pub fn scan(&self, cursor: u64, count: usize) -> (u64, Vec<Vec<u8>>) {
        let mut keys = Vec::new();
        let start = (cursor, Vec::new());
        let mut iter = self.order.range(start..);
        for (_, k) in iter.by_ref().take(count.max(1)) {
            keys.push(k.clone());
        }
        // Continue at the next distinct hash so no key is returned twice.
        let last_hash = keys.last().map(|k| key_hash(k));
        let next = iter
            .map(|(h, _)| *h)
            .find(|h| Some(*h) != last_hash)
            .unwrap_or(0);
        // Keys sharing the last hash are finished off in this step.
        if let Some(h) = last_hash {
            for (hh, k) in self.order.range((h, Vec::new())..) {
                if *hh != h {
                    break;
                }
                if !keys.contains(k) {
                    keys.push(k.clone());
                }
            }
        }
        (next, keys)
    }

    // ----- WATCH -----

    /// Watches `key` for `client` as if the key were live.
    pub fn watch(&mut self, client: ClientId, key: &[u8]) {
        self.watchers
            .entry(key.to_vec())
            .or_default()
            .insert(client, false);
    }

    /// Redis's `watchForKey`: watches `key` for `client`, remembering whether
    /// the key is already past its TTL (but not yet removed) at `now_ms`. Such
    /// a key is logically absent, so its later removal by expiry is not a
    /// change. Watching a key twice keeps the first record.
    pub fn watch_at(&mut self, client: ClientId, key: &[u8], now_ms: i64) {
        let expired = self.is_logically_expired(key, now_ms);
        self.watchers
            .entry(key.to_vec())
            .or_default()
            .entry(client)
            .or_insert(expired);
    }

    /// Drops all of `client`'s watches (UNWATCH, EXEC, DISCARD, disconnect).
    pub fn unwatch_all(&mut self, client: ClientId, keys: &BTreeSet<Vec<u8>>) {
        for key in keys {
            if let Some(set) = self.watchers.get_mut(key) {
                set.remove(&client);
                if set.is_empty() {
                    self.watchers.remove(key);
                }
            }
        }
        self.dirty.remove(&client);
    }

    /// Redis's `signalModifiedKey`: every client watching `key` will fail EXEC.
    ///
    /// A watcher that saw the key already expired is not dirtied by the
    /// key's removal (nothing changed logically); it only stops being
    /// special. If the key is present again, it was written (Redis deletes
    /// the expired key first, then adds the new one), and that is a change.
    pub fn signal_modified(&mut self, key: &[u8]) {
        self.changes += 1;
        if let Some(modified) = self.modified.as_mut() {
            modified.push(key.to_vec());
        }
        if let Some(recorded) = self.recorded.as_mut() {
            recorded.push((key.to_vec(), false));
        }
        self.signal_ready(key);
        if let Some(set) = self.watchers.get_mut(key) {
            let present = self.entries.contains_key(key);
            for (client, expired) in set.iter_mut() {
                if *expired {
                    *expired = false;
                    if !present {
                        continue;
                    }
                }
                self.dirty.insert(*client);
            }
        }
    }

    /// Starts noting which keys are modified (for keyspace notifications).
    pub fn start_recording(&mut self) {
        self.recorded.get_or_insert_with(Vec::new);
    }

    /// The keys modified since [`Self::start_recording`], each with whether
    /// it was removed by expiry; recording stops.
    pub fn take_recorded(&mut self) -> Vec<(Vec<u8>, bool)> {
        self.recorded.take().unwrap_or_default()
    }

    /// How many modifications this database has seen; see the field.
    pub fn changes(&self) -> u64 {
        self.changes
    }

    /// The data alone, without the connections watching it: what a
    /// snapshot (RDB, AOF, a replica's copy) holds.
    pub fn data_only(&self) -> Keyspace {
        Keyspace {
            order: self.order.clone(),
            entries: self.entries.clone(),
            values_copied: 0,
            expires: self.expires.clone(),
            watchers: BTreeMap::new(),
            dirty: BTreeSet::new(),
            expired_log: Vec::new(),
            expired_total: 0,
            recorded: None,
            changes: 0,
            blocked_keys: BTreeSet::new(),
            ready_keys: Vec::new(),
            expiry_paused: false,
            modified: None,
            access: None,
            access_clock_ms: 0,
            raw_strings: BTreeSet::new(),
        }
    }

    /// Replaces the data with `other`'s, signalling every key that existed
    /// before or exists now, so WATCHers see the change (a replica's full
    /// resynchronisation, a restart).
    pub fn replace_data(&mut self, other: &Keyspace) {
        let before: Vec<Vec<u8>> = self.order.iter().map(|(_, k)| k.clone()).collect();
        self.order = other.order.clone();
        self.entries = other.entries.clone();
        self.expires = other.expires.clone();
        for key in before.iter().chain(other.order.iter().map(|(_, k)| k)) {
            self.signal_modified(key);
        }
    }

    /// SWAPDB's half: this database's data becomes `other`'s. Watchers
    /// are touched as Redis's `touchAllWatchedKeysInDb` touches them: a
    /// key that was absent, or already expired, and is replaced by an
    /// expired key is no logical change; anything else present on either
    /// side is.
    pub fn swap_in(&mut self, other: &Keyspace, now_ms: i64) {
        let mut dirtied = Vec::new();
        for (key, set) in self.watchers.iter_mut() {
            let in_emptied = self.entries.contains_key(key.as_slice());
            let in_replacement = other.entries.contains_key(key.as_slice());
            if !in_emptied && !in_replacement {
                continue;
            }
            let replacement_expired = other.is_logically_expired(key, now_ms);
            for (client, expired) in set.iter_mut() {
                if *expired {
                    if !in_replacement {
                        *expired = false;
                        continue;
                    }
                    if replacement_expired {
                        continue;
                    }
                } else if !in_emptied && replacement_expired {
                    *expired = true;
                    continue;
                }
                dirtied.push(*client);
            }
        }
        // The data changes without `replace_data` touching the watchers.
        let watchers = std::mem::take(&mut self.watchers);
        self.replace_data(other);
        self.watchers = watchers;
        self.dirty.extend(dirtied);
    }

    // ----- Blocked clients' keys -----

    /// Redis's `signalKeyAsReady`: a write to a key a client is blocked on
    /// queues the key once for the blocking registry to look at after the
    /// command. Every write counts (not only creation, as in Redis): the
    /// registry checks what the key holds before serving anyone, so an
    /// extra look is harmless.
    pub(crate) fn signal_ready(&mut self, key: &[u8]) {
        if !self.blocked_keys.is_empty()
            && self.blocked_keys.contains(key)
            && !self.ready_keys.iter().any(|k| k == key)
        {
            self.ready_keys.push(key.to_vec());
        }
    }

    /// Notes that a client blocks on `key`, so that writes to it are queued.
    pub(crate) fn note_blocked_key(&mut self, key: &[u8]) {
        self.blocked_keys.insert(key.to_vec());
    }

    /// Nobody is blocked on `key` any more.
    pub(crate) fn forget_blocked_key(&mut self, key: &[u8]) {
        self.blocked_keys.remove(key);
    }

    /// The blocked-on keys written since the last call, in order.
    pub(crate) fn take_ready_keys(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.ready_keys)
    }

    /// Whether `client`'s watched keys were touched.
    pub fn is_dirty(&self, client: ClientId) -> bool {
        self.dirty.contains(&client)
    }

    /// Redis's `isWatchedKeyExpired`, checked by EXEC: whether one of `keys`
    /// that was live when `client` WATCHed it has passed its TTL by
    /// `now_ms` without being removed yet. (A removal would have dirtied
    /// the client already.)
    pub fn watched_key_expired(
        &self,
        client: ClientId,
        keys: &BTreeSet<Vec<u8>>,
        now_ms: i64,
    ) -> bool {
        keys.iter().any(|key| {
            let expired_at_watch = self
                .watchers
                .get(key)
                .and_then(|set| set.get(&client))
                .copied()
                .unwrap_or(true);
            !expired_at_watch && self.is_logically_expired(key, now_ms)
        })
    }

    /// Present in the table but past its TTL (Redis's `keyIsExpired`: the
    /// clock is past the expire time).
    fn is_logically_expired(&self, key: &[u8], now_ms: i64) -> bool {
        self.entries
            .get(key)
            .and_then(|e| e.expire_at_ms)
            .is_some_and(|t| t < now_ms)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::String(v.as_bytes().to_vec())
    }

    #[test]
    fn lazy_expiry_removes_and_signals_watchers() {
        let mut ks = Keyspace::new();
        ks.set(b"k", s("v"), false);
        ks.set_expire(b"k", Some(100));
        ks.watch(7, b"k");
        assert!(ks.get(b"k", 100).is_some());
        assert!(!ks.is_dirty(7));
        assert!(ks.get(b"k", 101).is_none());
        assert!(ks.is_dirty(7));
        assert_eq!(ks.drain_expired_log(), vec![b"k".to_vec()]);
    }

    #[test]
    fn set_clears_ttl_unless_kept() {
        let mut ks = Keyspace::new();
        ks.set(b"k", s("v"), false);
        ks.set_expire(b"k", Some(100));
        ks.set(b"k", s("w"), true);
        assert_eq!(ks.peek(b"k").and_then(|e| e.expire_at_ms), Some(100));
        ks.set(b"k", s("x"), false);
        assert_eq!(ks.peek(b"k").and_then(|e| e.expire_at_ms), None);
        assert_eq!(ks.expires_count(), 0);
    }

    #[test]
    fn active_expiry_goes_in_time_order() {
        let mut ks = Keyspace::new();
        for (k, t) in [("a", 30), ("b", 10), ("c", 20), ("d", 99)] {
            ks.set(k.as_bytes(), s("v"), false);
            ks.set_expire(k.as_bytes(), Some(t));
        }
        assert_eq!(
            ks.active_expire(31),
            vec![b"b".to_vec(), b"c".to_vec(), b"a".to_vec()]
        );
        assert_eq!(ks.len(), 1);
        assert_eq!(ks.next_expiry_ms(), Some(99));
    }

    #[test]
    fn scan_visits_every_key_once() {
        let mut ks = Keyspace::new();
        for i in 0..100 {
            ks.set(format!("key:{i}").as_bytes(), s("v"), false);
        }
        let mut seen = BTreeSet::new();
        let mut cursor = 0;
        loop {
            let (next, keys) = ks.scan(cursor, 7);
            for k in keys {
                assert!(seen.insert(k));
            }
            if next == 0 {
                break;
            }
            cursor = next;
        }
        assert_eq!(seen.len(), 100);
    }

    fn big_list(n: usize) -> Value {
        Value::List((0..n).map(|i| i.to_string().into_bytes()).collect())
    }

    #[test]
    fn a_snapshot_shares_values_until_one_is_written() {
        let mut ks = Keyspace::new();
        ks.set(b"big", big_list(10_000), false);
        ks.set(b"small", s("v"), false);
        let snapshot = ks.data_only();
        let shared = |ks: &Keyspace, key: &[u8]| {
            Rc::ptr_eq(
                ks.peek_shared(key).expect("live"),
                snapshot.peek_shared(key).expect("in the snapshot"),
            )
        };
        assert!(shared(&ks, b"big") && shared(&ks, b"small"));

        // Writing one key copies that key only; the snapshot keeps the
        // value it was taken with.
        ks.get_mut(b"small", 0).expect("live").value = s("w");
        assert!(!shared(&ks, b"small"));
        assert!(shared(&ks, b"big"), "an unwritten key stays shared");
        assert_eq!(ks.values_copied(), 1);
        assert_eq!(snapshot.peek(b"small").map(|e| &e.value), Some(&s("v")));

        // A second write to the now private copy copies nothing.
        ks.get_mut(b"small", 0).expect("live").value = s("x");
        assert_eq!(ks.values_copied(), 1);

        // RENAME's move keeps the value shared: no copy of the big list.
        let moved = ks.remove(b"big").expect("live");
        ks.set_entry(b"renamed", moved);
        assert!(Rc::ptr_eq(
            ks.peek_shared(b"renamed").expect("moved"),
            snapshot.peek_shared(b"big").expect("in the snapshot"),
        ));
        assert_eq!(ks.values_copied(), 1);
    }

    #[test]
    fn an_entry_moved_with_its_ttl_keeps_expiring() {
        let mut ks = Keyspace::new();
        ks.set(b"a", s("v"), false);
        ks.set_expire(b"a", Some(50));
        let entry = ks.remove(b"a").expect("live");
        ks.set_entry(b"b", entry);
        assert_eq!(ks.next_expiry_ms(), Some(50));
        assert_eq!(ks.active_expire(51), vec![b"b".to_vec()]);
        assert!(ks.is_empty());
    }
}
