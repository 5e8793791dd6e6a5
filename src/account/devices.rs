//! The device list an account knows for each user, fed from the provider's directory
//! (SPEC.md 14.3, 14.10).
//!
//! One sealed `meta` row per user: the devices the directory lists now (fan-out sends to
//! them) and the devices it listed before and dropped (messages from them are refused). A
//! device the directory never listed is neither: its messages are accepted, because directories
//! lag behind new installs, but nothing is sent to it until it is listed.

use super::address::user_prefix;
use crate::store::StoreError;

/// Most devices one user may have listed at once.
pub const MAX_DEVICES_PER_USER: usize = 64;

/// Most removed devices remembered per user; beyond it the lowest ids are forgotten (their
/// messages are then accepted again as from an unlisted device, and still need a session).
pub(crate) const MAX_REMOVED_PER_USER: usize = 256;

const DEVICES_VERSION: u8 = 1;
const META_DEVICES_PREFIX: &[u8] = b"devices/";

const ACTIVE: u8 = 1;
const REMOVED: u8 = 2;

/// The `meta` key of `user`'s device list: `"devices/" || u8(len(user)) || user`.
pub(crate) fn meta_key(user: &str) -> Vec<u8> {
    let mut key = META_DEVICES_PREFIX.to_vec();
    key.extend_from_slice(&user_prefix(user));
    key
}

/// A user's devices: `active` and `removed`, each ascending and disjoint.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DeviceList {
    pub(crate) active: Vec<u32>,
    pub(crate) removed: Vec<u32>,
}

impl DeviceList {
    /// Replaces the active set with `devices` (deduplicated): devices dropped from it become
    /// removed, devices listed again are no longer removed. Returns (added, removed).
    pub(crate) fn set(&mut self, devices: &[u32]) -> (Vec<u32>, Vec<u32>) {
        let mut new = devices.to_vec();
        new.sort_unstable();
        new.dedup();
        let added: Vec<u32> = new
            .iter()
            .copied()
            .filter(|d| self.active.binary_search(d).is_err())
            .collect();
        let dropped: Vec<u32> = self
            .active
            .iter()
            .copied()
            .filter(|d| new.binary_search(d).is_err())
            .collect();
        self.removed.retain(|d| new.binary_search(d).is_err());
        self.removed.extend_from_slice(&dropped);
        self.removed.sort_unstable();
        self.removed.dedup();
        if self.removed.len() > MAX_REMOVED_PER_USER {
            let excess = self.removed.len() - MAX_REMOVED_PER_USER;
            self.removed.drain(..excess);
        }
        self.active = new;
        (added, dropped)
    }

    pub(crate) fn is_removed(&self, device: u32) -> bool {
        self.removed.binary_search(&device).is_ok()
    }

    /// `u8(1) || u16(n) || n * (u32(device) || u8(state))`, ascending by device, state 1 =
    /// listed, 2 = removed.
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut all: Vec<(u32, u8)> = self
            .active
            .iter()
            .map(|&d| (d, ACTIVE))
            .chain(self.removed.iter().map(|&d| (d, REMOVED)))
            .collect();
        all.sort_unstable();
        let mut out = Vec::with_capacity(3 + 5 * all.len());
        out.push(DEVICES_VERSION);
        // At most MAX_DEVICES_PER_USER + MAX_REMOVED_PER_USER entries.
        out.extend_from_slice(&(all.len() as u16).to_be_bytes());
        for (d, state) in all {
            out.extend_from_slice(&d.to_be_bytes());
            out.push(state);
        }
        out
    }

    /// Parses [`encode`](Self::encode)'s output exactly (strictly ascending devices, known
    /// states, within the bounds); anything else is [`StoreError::Corrupt`].
    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let [DEVICES_VERSION, n0, n1, rest @ ..] = bytes else {
            return Err(StoreError::Corrupt);
        };
        let n = usize::from(u16::from_be_bytes([*n0, *n1]));
        if n > MAX_DEVICES_PER_USER + MAX_REMOVED_PER_USER || rest.len() != 5 * n {
            return Err(StoreError::Corrupt);
        }
        let mut list = DeviceList::default();
        let mut last: Option<u32> = None;
        for chunk in rest.chunks_exact(5) {
            let d = u32::from_be_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
            if last.is_some_and(|l| l >= d) {
                return Err(StoreError::Corrupt);
            }
            last = Some(d);
            match chunk[4] {
                ACTIVE => list.active.push(d),
                REMOVED => list.removed.push(d),
                _ => return Err(StoreError::Corrupt),
            }
        }
        if list.active.len() > MAX_DEVICES_PER_USER || list.removed.len() > MAX_REMOVED_PER_USER {
            return Err(StoreError::Corrupt);
        }
        Ok(list)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_tracks_additions_and_removals() {
        let mut list = DeviceList::default();
        assert_eq!(list.set(&[3, 1, 1]), (vec![1, 3], vec![]));
        assert_eq!(list.set(&[1, 2]), (vec![2], vec![3]));
        assert!(list.is_removed(3) && !list.is_removed(1));
        // Listed again: no longer removed.
        assert_eq!(list.set(&[1, 2, 3]), (vec![3], vec![]));
        assert!(!list.is_removed(3));
        assert_eq!(list.active, [1, 2, 3]);
    }

    #[test]
    fn encoding_is_exact() {
        let mut list = DeviceList::default();
        list.set(&[1, 7]);
        list.set(&[7, 9]);
        let bytes = list.encode();
        assert_eq!(
            bytes,
            [1, 0, 3, 0, 0, 0, 1, 2, 0, 0, 0, 7, 1, 0, 0, 0, 9, 1]
        );
        assert_eq!(DeviceList::decode(&bytes).unwrap(), list);
        for n in 0..bytes.len() {
            assert!(DeviceList::decode(&bytes[..n]).is_err(), "truncated to {n}");
        }
        let mut unsorted = bytes.clone();
        unsorted.swap(6, 11);
        assert!(DeviceList::decode(&unsorted).is_err());
        let mut state = bytes.clone();
        state[7] = 3;
        assert!(DeviceList::decode(&state).is_err());
        assert_eq!(meta_key("bob"), b"devices/\x03bob");
    }

    #[test]
    fn removed_devices_are_bounded() {
        let mut list = DeviceList::default();
        for d in 0..(MAX_REMOVED_PER_USER as u32 + 10) {
            list.set(&[d]);
        }
        assert_eq!(list.removed.len(), MAX_REMOVED_PER_USER);
        assert!(!list.is_removed(0) && list.is_removed(MAX_REMOVED_PER_USER as u32 + 8));
        assert!(DeviceList::decode(&list.encode()).is_ok());
    }

    #[test]
    fn removed_devices_are_bounded_when_many_drop_at_once() {
        let mut list = DeviceList {
            active: Vec::new(),
            removed: (0..MAX_REMOVED_PER_USER as u32).collect(),
        };
        let many: Vec<u32> = (1000..1000 + MAX_DEVICES_PER_USER as u32).collect();
        list.set(&many);
        // All 64 dropped in one call: 320 removed, the 64 lowest forgotten.
        assert_eq!(list.set(&[]), (vec![], many.clone()));
        assert_eq!(list.removed.len(), MAX_REMOVED_PER_USER);
        assert!(!list.is_removed(63) && list.is_removed(64) && list.is_removed(1063));
    }

    #[test]
    fn decode_bounds_are_exact() {
        let full = DeviceList {
            active: (0..MAX_DEVICES_PER_USER as u32).collect(),
            removed: (1000..1000 + MAX_REMOVED_PER_USER as u32).collect(),
        };
        let bytes = full.encode();
        // n = 64 + 256 = 320 = 0x0140 entries.
        assert_eq!(&bytes[..3], &[1, 0x01, 0x40]);
        assert_eq!(DeviceList::decode(&bytes).unwrap(), full);
        // One more entry of either kind is over its bound, and over the total.
        for extra in [ACTIVE, REMOVED] {
            let mut over = bytes.clone();
            over[1..3].copy_from_slice(&321u16.to_be_bytes());
            over.extend_from_slice(&5000u32.to_be_bytes());
            over.push(extra);
            assert_eq!(DeviceList::decode(&over), Err(StoreError::Corrupt));
        }
        // Each bound on its own, with the total well under 320.
        let active = DeviceList {
            active: (0..MAX_DEVICES_PER_USER as u32 + 1).collect(),
            removed: Vec::new(),
        };
        assert_eq!(
            DeviceList::decode(&active.encode()),
            Err(StoreError::Corrupt)
        );
        let removed = DeviceList {
            active: Vec::new(),
            removed: (0..MAX_REMOVED_PER_USER as u32 + 1).collect(),
        };
        assert_eq!(
            DeviceList::decode(&removed.encode()),
            Err(StoreError::Corrupt)
        );
    }
}
