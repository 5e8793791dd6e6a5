//! The store of skipped message seeds (SPEC.md section 5.6).
//!
//! Lookup by (ratchet key, counter) is a hash-map probe. Eviction is oldest-first through a queue
//! of insertion sequence numbers; a used entry leaves the map at once and its queue slot is
//! discarded lazily, so neither insertion nor use shifts other entries.

use std::collections::{HashMap, VecDeque};

use super::message_key::MessageSeed;
use crate::keys::PublicKey;

/// Most skipped message seeds one session keeps; the oldest are evicted first.
pub const MAX_SKIPPED_KEYS: usize = 2000;

type Position = (PublicKey, u32);

#[derive(Clone, Default)]
pub(crate) struct SkippedKeys {
    map: HashMap<Position, (MessageSeed, u64)>,
    order: VecDeque<(Position, u64)>,
    next_seq: u64,
}

impl SkippedKeys {
    pub(crate) fn get(&self, ratchet_key: &PublicKey, counter: u32) -> Option<&MessageSeed> {
        self.map.get(&(*ratchet_key, counter)).map(|(seed, _)| seed)
    }

    pub(crate) fn remove(&mut self, ratchet_key: &PublicKey, counter: u32) {
        self.map.remove(&(*ratchet_key, counter));
        // Keep the queue from filling with stale slots when many skipped keys get used.
        if self.order.len() > 2 * MAX_SKIPPED_KEYS {
            let map = &self.map;
            self.order
                .retain(|(pos, seq)| map.get(pos).is_some_and(|(_, s)| s == seq));
        }
    }

    /// Adds seeds in order, evicting the oldest entries beyond [`MAX_SKIPPED_KEYS`].
    pub(crate) fn extend(
        &mut self,
        entries: impl IntoIterator<Item = (PublicKey, u32, MessageSeed)>,
    ) {
        // One allocation for the whole batch instead of a rehash at every doubling.
        let entries = entries.into_iter();
        self.map.reserve(entries.size_hint().0);
        self.order.reserve(entries.size_hint().0);
        for (key, counter, seed) in entries {
            let seq = self.next_seq;
            self.next_seq += 1;
            self.map.insert((key, counter), (seed, seq));
            self.order.push_back(((key, counter), seq));
        }
        while self.map.len() > MAX_SKIPPED_KEYS {
            let Some((pos, seq)) = self.order.pop_front() else {
                break;
            };
            if self.map.get(&pos).is_some_and(|(_, s)| *s == seq) {
                self.map.remove(&pos);
            }
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.map.len()
    }

    /// Live entries, oldest first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (&PublicKey, u32, &MessageSeed)> {
        self.order.iter().filter_map(|(pos, seq)| {
            let (seed, s) = self.map.get(pos)?;
            (s == seq).then_some((&pos.0, pos.1, seed))
        })
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

    #[test]
    fn evicts_oldest_and_keeps_order() {
        let mut s = SkippedKeys::default();
        s.extend((0..MAX_SKIPPED_KEYS as u32 + 10).map(|i| (key(9), i, seed(i))));
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
            s.extend((base..base + 1000).map(|i| (key(7), i, seed(i))));
            for i in base..base + 1000 {
                s.remove(&key(7), i);
            }
            assert!(s.order.len() <= 2 * MAX_SKIPPED_KEYS + 1000);
        }
        assert_eq!(s.len(), 0);
        assert_eq!(s.iter().count(), 0);
    }
}
