//! Trust records (SPEC.md 14.3, 14.8): the identity key trusted for each remote device, first
//! seen or accepted by the application.

use crate::keys::{IdentityKey, PUBLIC_KEY_LEN};
use crate::store::StoreError;

const TRUST_VERSION: u8 = 1;
const TRUST_LEN: usize = 1 + PUBLIC_KEY_LEN + 8;

/// The key trusted for one remote device and since when (seconds). The key is kept as its
/// bytes (compared with a session's or bundle's key on every send) and parsed only when
/// returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TrustRecord {
    pub(crate) identity: [u8; PUBLIC_KEY_LEN],
    pub(crate) since: u64,
}

impl TrustRecord {
    pub(crate) fn new(identity: &IdentityKey, since: u64) -> Self {
        TrustRecord {
            identity: *identity.as_bytes(),
            since,
        }
    }

    /// The trusted key, parsed; a stored key that does not parse is corruption.
    pub(crate) fn key(&self) -> Result<IdentityKey, StoreError> {
        IdentityKey::from_bytes(&self.identity).map_err(|_| StoreError::Corrupt)
    }

    /// `u8(1) || identity key (32) || u64be(since)`.
    pub(crate) fn encode(&self) -> [u8; TRUST_LEN] {
        let mut out = [0u8; TRUST_LEN];
        out[0] = TRUST_VERSION;
        out[1..1 + PUBLIC_KEY_LEN].copy_from_slice(&self.identity);
        out[1 + PUBLIC_KEY_LEN..].copy_from_slice(&self.since.to_be_bytes());
        out
    }

    pub(crate) fn decode(bytes: &[u8]) -> Result<Self, StoreError> {
        let bytes: &[u8; TRUST_LEN] = bytes.try_into().map_err(|_| StoreError::Corrupt)?;
        if bytes[0] != TRUST_VERSION {
            return Err(StoreError::Corrupt);
        }
        let mut key = [0u8; PUBLIC_KEY_LEN];
        key.copy_from_slice(&bytes[1..1 + PUBLIC_KEY_LEN]);
        let mut since = [0u8; 8];
        since.copy_from_slice(&bytes[1 + PUBLIC_KEY_LEN..]);
        Ok(TrustRecord {
            identity: key,
            since: u64::from_be_bytes(since),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::IdentityKeyPair;

    #[test]
    fn round_trips_and_rejects_damage() {
        let identity = *IdentityKeyPair::generate(&mut rand::rng()).public();
        let record = TrustRecord::new(&identity, 0x0102);
        let bytes = record.encode();
        assert_eq!(bytes[0], 1);
        assert_eq!(&bytes[33..], &[0, 0, 0, 0, 0, 0, 1, 2]);
        assert_eq!(TrustRecord::decode(&bytes).unwrap(), record);
        assert_eq!(record.key().unwrap(), identity);
        assert!(TrustRecord::decode(&bytes[..40]).is_err());
        let mut v = bytes;
        v[0] = 0;
        assert!(TrustRecord::decode(&v).is_err());
    }
}
