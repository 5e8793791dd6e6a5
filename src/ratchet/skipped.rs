//! The store of skipped message seeds (SPEC.md section 5.6), also the group receiver's
//! (SPEC.md 16.7).
//!
//! A position is a chain's key (the ratchet key of a 1:1 chain; sender and key id of a group
//! sender chain) and a counter. Lookup by position is a hash-map probe. Eviction is oldest-first through a queue
//! of insertion sequence numbers; a used entry leaves the map at once and its queue slot is
//! discarded lazily, so neither insertion nor use shifts other entries.
//!
//! The seeds themselves never live in the hash map: a map moves its entries with plain copies
//! when it grows or rehashes and leaves removed entries' bytes in its table, so every seed it held
//! would survive in freed heap. They live in `seeds`, a slot array whose slots are zeroized when
//! freed and which only ever grows by cloning into a new array and dropping (zeroizing) the old.

use std::collections::{HashMap, VecDeque};
use std::hash::Hash;

use zeroize::Zeroize;

use super::message_key::MessageSeed;
use crate::keys::PublicKey;

/// Most skipped message seeds one session keeps; the oldest are evicted first.
pub const MAX_SKIPPED_KEYS: usize = 2000;

/// The 1:1 ratchet's store: chains named by ratchet key.
pub(crate) type SkippedKeys = SkippedStore<PublicKey, MessageSeed, MAX_SKIPPED_KEYS>;

/// Seeds derived for consecutive positions `first..` of the chain `chain`, staged while a
/// message is checked. Dropping it zeroizes every seed: its vector is allocated once at its
/// final size.
pub(crate) struct StagedRun<C, S> {
    pub(crate) chain: C,
    pub(crate) first: u32,
    pub(crate) seeds: Vec<S>,
}

impl<C, S> StagedRun<C, S> {
    fn positions(&self) -> impl Iterator<Item = (u32, &S)> {
        (self.first..).zip(&self.seeds)
    }
}

/// At most `MAX` seeds of type `S`, by position (chain `C`, counter), oldest evicted first.
#[derive(Clone)]
pub(crate) struct SkippedStore<C, S, const MAX: usize> {
    /// Position -> (slot in `seeds`, insertion sequence number).
    map: HashMap<(C, u32), (u32, u64)>,
    order: VecDeque<((C, u32), u64)>,
    seeds: Vec<S>,
    /// Slots of `seeds` that hold no live entry (all zero).
    free: Vec<u32>,
    next_seq: u64,
}

impl<C, S, const MAX: usize> Default for SkippedStore<C, S, MAX> {
    fn default() -> Self {
        SkippedStore {
            map: HashMap::new(),
            order: VecDeque::new(),
            seeds: Vec::new(),
            free: Vec::new(),
            next_seq: 0,
        }
    }
}

impl<C: Copy + Eq + Hash, S: Clone + Zeroize, const MAX: usize> SkippedStore<C, S, MAX> {
    pub(crate) fn get(&self, chain: &C, counter: u32) -> Option<&S> {
        let (slot, _) = self.map.get(&(*chain, counter))?;
        self.seeds.get(*slot as usize)
    }

    pub(crate) fn remove(&mut self, chain: &C, counter: u32) {
        self.forget(&(*chain, counter));
        // Keep the queue from filling with stale slots when many skipped keys get used.
        if self.order.len() > 2 * MAX {
            self.compact();
        }
    }

    /// Drops every entry whose chain fails `keep`, zeroizing its seed.
    pub(crate) fn retain_chains(&mut self, mut keep: impl FnMut(&C) -> bool) {
        let (seeds, free) = (&mut self.seeds, &mut self.free);
        self.map.retain(|(chain, _), (slot, _)| {
            if keep(chain) {
                return true;
            }
            if let Some(seed) = seeds.get_mut(*slot as usize) {
                seed.zeroize();
            }
            free.push(*slot);
            false
        });
        self.compact();
    }

    /// Drops the queue's stale slots, keeping the live entries in their order.
    fn compact(&mut self) {
        let map = &self.map;
        self.order
            .retain(|(pos, seq)| map.get(pos).is_some_and(|(_, s)| s == seq));
    }

    /// Adds staged seeds in order, evicting the oldest entries beyond `MAX`: the same result as
    /// appending everything and then evicting oldest-first, without ever holding more than
    /// `MAX` seeds.
    pub(crate) fn extend(&mut self, runs: &[StagedRun<C, S>]) {
        let total: usize = runs.iter().map(|r| r.seeds.len()).sum();
        let overflow = (self.len() + total).saturating_sub(MAX);
        let mut evict = overflow.min(self.len());
        while evict > 0 && self.evict_oldest() {
            evict -= 1;
        }
        // What is still over the bound are the batch's own oldest seeds: never stored.
        let skip_new = (self.len() + total).saturating_sub(MAX);
        self.reserve(total - skip_new);
        let mut skip = skip_new;
        for run in runs {
            for (counter, seed) in run.positions() {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                self.insert(run.chain, counter, seed.clone());
            }
        }
    }

    /// A store able to take `n` entries without growing, for loading a stored session.
    pub(crate) fn with_capacity(n: usize) -> Self {
        let mut s = Self::default();
        s.reserve(n);
        s
    }

    /// Appends one loaded entry (oldest first). `false` if its position is already stored.
    pub(crate) fn push_loaded(&mut self, chain: C, counter: u32, seed: S) -> bool {
        if self.map.contains_key(&(chain, counter)) {
            return false;
        }
        self.reserve(1);
        self.insert(chain, counter, seed);
        true
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Live entries, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&C, u32, &S)> {
        self.order.iter().filter_map(|(pos, seq)| {
            let (slot, s) = self.map.get(pos)?;
            let seed = self.seeds.get(*slot as usize)?;
            (s == seq).then_some((&pos.0, pos.1, seed))
        })
    }

    /// Makes room for `n` more entries in `seeds` without a reallocation that would move them.
    fn reserve(&mut self, n: usize) {
        let needed = n.saturating_sub(self.free.len());
        let len = self.seeds.len();
        if len + needed > self.seeds.capacity() {
            let capacity = (len + needed).max(len * 2).min(MAX.max(len + needed));
            let mut grown = Vec::with_capacity(capacity);
            grown.extend(self.seeds.iter().cloned());
            // The old array is dropped element by element, so every seed in it is zeroized.
            self.seeds = grown;
        }
        self.map.reserve(n);
        self.order.reserve(n);
    }

    /// Stores one entry; `reserve` must have made room.
    fn insert(&mut self, chain: C, counter: u32, seed: S) {
        let pos = (chain, counter);
        // A position stored again (only a peer reusing a ratchet key can do this) replaces the
        // old seed; the old queue slot goes stale.
        self.forget(&pos);
        let slot = match self.free.pop() {
            Some(slot) => {
                if let Some(s) = self.seeds.get_mut(slot as usize) {
                    *s = seed;
                }
                slot
            }
            None => {
                self.seeds.push(seed);
                (self.seeds.len() - 1) as u32
            }
        };
        let seq = self.next_seq;
        self.next_seq += 1;
        self.map.insert(pos, (slot, seq));
        self.order.push_back((pos, seq));
    }

    /// Drops the entry at `pos`, zeroizing its seed in place.
    fn forget(&mut self, pos: &(C, u32)) {
        if let Some((slot, _)) = self.map.remove(pos) {
            if let Some(seed) = self.seeds.get_mut(slot as usize) {
                seed.zeroize();
            }
            self.free.push(slot);
        }
    }

    /// Evicts the oldest live entry; `false` if there is none.
    fn evict_oldest(&mut self) -> bool {
        while let Some((pos, seq)) = self.order.pop_front() {
            if self.map.get(&pos).is_some_and(|(_, s)| *s == seq) {
                self.forget(&pos);
                return true;
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(b: u8) -> PublicKey {
        PublicKey::from_bytes(&[b; 32]).unwrap()
    }

    fn seed(n: u32) -> MessageSeed {
        let mut b = [0u8; 32];
        b[..4].copy_from_slice(&n.to_be_bytes());
        MessageSeed::new(b)
    }

    fn run(k: u8, counters: core::ops::Range<u32>) -> StagedRun<PublicKey, MessageSeed> {
        StagedRun {
            chain: key(k),
            first: counters.start,
            seeds: counters.map(seed).collect(),
        }
    }

    #[test]
    fn evicts_oldest_and_keeps_order() {
        let mut s = SkippedKeys::default();
        s.extend(&[run(9, 0..MAX_SKIPPED_KEYS as u32 + 10)]);
        assert_eq!(s.len(), MAX_SKIPPED_KEYS);
        assert!(s.get(&key(9), 9).is_none());
        assert_eq!(
            s.get(&key(9), 10).unwrap().as_bytes()[..4],
            10u32.to_be_bytes()
        );
        let counters: Vec<u32> = s.iter().map(|(_, c, _)| c).collect();
        assert_eq!(
            counters,
            (10..MAX_SKIPPED_KEYS as u32 + 10).collect::<Vec<_>>()
        );
    }

    #[test]
    fn used_entries_leave_and_queue_stays_bounded() {
        let mut s = SkippedKeys::default();
        for round in 0..10u32 {
            let base = round * 1000;
            s.extend(&[run(7, base..base + 1000)]);
            for i in base..base + 1000 {
                s.remove(&key(7), i);
            }
            assert!(s.order.len() <= 2 * MAX_SKIPPED_KEYS + 1000);
        }
        assert_eq!(s.len(), 0);
        assert_eq!(s.iter().count(), 0);
        assert!(s.seeds.len() <= 1000, "slots are reused");
    }

    fn counters(s: &SkippedKeys) -> Vec<(u8, u32)> {
        s.iter().map(|(k, c, _)| (k.as_bytes()[0], c)).collect()
    }

    #[test]
    fn eviction_stays_oldest_first_after_removals_and_compaction() {
        let mut s = SkippedKeys::default();
        // Fill the queue with stale slots: 2 x MAX_SKIPPED_KEYS + 1 insertions, nearly all used.
        s.extend(&[run(1, 0..MAX_SKIPPED_KEYS as u32)]);
        for i in 10..MAX_SKIPPED_KEYS as u32 {
            s.remove(&key(1), i);
        }
        s.extend(&[run(2, 0..MAX_SKIPPED_KEYS as u32 - 10)]);
        for i in 10..MAX_SKIPPED_KEYS as u32 - 10 {
            s.remove(&key(2), i);
        }
        assert_eq!(s.order.len(), 2 * MAX_SKIPPED_KEYS - 10);
        s.extend(&[run(3, 0..10)]);
        // Exactly 2 x MAX_SKIPPED_KEYS slots: a removal leaves them.
        s.remove(&key(3), 10);
        assert_eq!(s.order.len(), 2 * MAX_SKIPPED_KEYS);
        s.extend(&[run(3, 10..11)]);
        // This removal finds more than 2 x MAX_SKIPPED_KEYS slots and compacts the queue to
        // the live entries, in their order.
        s.remove(&key(1), 9);
        assert_eq!(s.order.len(), s.len());
        let mut expected: Vec<(u8, u32)> = (0..9).map(|i| (1, i)).collect();
        expected.extend((0..10).map(|i| (2, i)));
        expected.extend((0..11).map(|i| (3, i)));
        assert_eq!(counters(&s), expected);
        // Filling up evicts exactly the 11 oldest: key 1's 9 entries, then key 2's first two.
        let room = MAX_SKIPPED_KEYS - s.len();
        s.extend(&[run(4, 0..room as u32 + 11)]);
        assert_eq!(s.len(), MAX_SKIPPED_KEYS);
        assert!((0..9).all(|i| s.get(&key(1), i).is_none()));
        assert!(s.get(&key(2), 1).is_none());
        assert_eq!(
            s.get(&key(2), 2).unwrap().as_bytes()[..4],
            2u32.to_be_bytes()
        );
        assert_eq!(counters(&s)[0], (2, 2));
        // Removal without enough stale slots does not compact.
        s.remove(&key(2), 5);
        assert_eq!(s.order.len(), s.len() + 1);
    }

    #[test]
    fn a_position_stored_again_is_newest_and_listed_once() {
        // Only a peer reusing a ratchet key stores a position twice; the second copy replaces
        // the first and takes its place at the back of the eviction order.
        let mut s = SkippedKeys::default();
        s.extend(&[run(1, 0..3)]);
        s.remove(&key(1), 1);
        s.extend(&[run(1, 1..2), run(1, 0..1)]);
        assert_eq!(counters(&s), [(1, 2), (1, 1), (1, 0)]);
        s.extend(&[run(5, 0..MAX_SKIPPED_KEYS as u32 - 2)]);
        assert_eq!(counters(&s)[..2], [(1, 1), (1, 0)]);
    }

    #[test]
    fn retain_chains_drops_whole_chains_and_keeps_the_order() {
        let mut s = SkippedKeys::default();
        s.extend(&[run(1, 1..4), run(2, 1..3), run(1, 5..6), run(3, 1..2)]);
        s.retain_chains(|k| k.as_bytes()[0] != 1);
        assert_eq!(counters(&s), [(2, 1), (2, 2), (3, 1)]);
        assert_eq!(s.order.len(), 3, "the queue is compacted");
        assert_eq!(s.free.len(), 4);
        assert!(
            s.free
                .iter()
                .all(|&i| s.seeds[i as usize].as_bytes() == &[0; 32])
        );
        s.extend(&[run(4, 1..5)]);
        assert_eq!(s.seeds.len(), 7, "freed slots are reused");
        assert_eq!(counters(&s)[3..], [(4, 1), (4, 2), (4, 3), (4, 4)]);
    }

    #[test]
    fn freed_slots_are_zeroized_and_reused() {
        let mut s = SkippedKeys::default();
        s.extend(&[run(1, 1..4)]);
        s.remove(&key(1), 2);
        assert!(s.seeds.iter().any(|seed| seed.as_bytes() == &[0; 32]));
        s.extend(&[run(1, 7..8)]);
        assert_eq!(s.seeds.len(), 3);
        assert_eq!(
            s.get(&key(1), 7).unwrap().as_bytes()[..4],
            7u32.to_be_bytes()
        );
    }
}
