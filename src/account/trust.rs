//! Trust records (SPEC.md 14.3, 14.8): the identity key trusted for each remote device, first
//! seen or accepted by the application, and the account's calls that read and change them.

use rand_core::CryptoRng;

use super::records::load_session;
use super::rows::{load_record, load_trust, put_sealed};
use super::{Account, AccountError, DeviceAddress, SafetyNumber, address};
use crate::keys::{IdentityKey, PUBLIC_KEY_LEN};
use crate::store::{Store, StoreError, Table, Transaction};

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

impl<S: Store> Account<S> {
    /// The identity key trusted for `address`: the first one seen, or the last one accepted
    /// with [`trust_identity`](Self::trust_identity).
    pub fn trusted_identity(
        &mut self,
        address: &DeviceAddress,
    ) -> Result<Option<IdentityKey>, AccountError> {
        let Account { store, sealer, .. } = self;
        let mut tx = store.transaction()?;
        Ok(load_trust(&mut tx, sealer, &address.row_key())?
            .map(|t| t.key())
            .transpose()?)
    }

    /// Trusts `key` for `address` from now on (after [`AccountError::IdentityChanged`], once
    /// the user or the application's policy accepted the new key). Sessions with `address`
    /// under any other key are deleted in the same transaction, so nothing is sent to or
    /// accepted from the old key afterwards.
    pub fn trust_identity<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        address: &DeviceAddress,
        key: &IdentityKey,
    ) -> Result<(), AccountError> {
        let now = self.options.clock.now();
        let Account {
            store,
            sealer,
            cache,
            ..
        } = self;
        let row_key = address.row_key();
        cache.forget(&row_key);
        let mut tx = store.transaction()?;
        let t = TrustRecord::new(key, now);
        put_sealed(
            &mut tx,
            sealer,
            rng,
            Table::Identities,
            &row_key,
            &t.encode(),
        )?;
        if let Some(mut record) = load_record(&mut tx, sealer, &row_key)? {
            let mut kept = Vec::with_capacity(record.entries.len());
            for entry in record.entries {
                if *load_session(&entry.state)?.remote_identity() == *key {
                    kept.push(entry);
                }
            }
            record.entries = kept;
            if record.entries.is_empty() {
                tx.delete(Table::Sessions, &row_key)?;
            } else {
                put_sealed(
                    &mut tx,
                    sealer,
                    rng,
                    Table::Sessions,
                    &row_key,
                    &record.encode(),
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The safety number between this device (as `local_user`) and `remote`'s trusted
    /// identity key, or `None` if no key is known for `remote` yet.
    pub fn safety_number(
        &mut self,
        local_user: &str,
        remote: &DeviceAddress,
    ) -> Result<Option<SafetyNumber>, AccountError> {
        let local = *self.identity.public();
        match self.trusted_identity(remote)? {
            Some(key) => Ok(Some(SafetyNumber::new(
                local_user,
                &local,
                remote.user(),
                &key,
            )?)),
            None => Ok(None),
        }
    }

    /// The devices of `user` this account has a session record with, in device order.
    pub fn devices(&mut self, user: &str) -> Result<Vec<DeviceAddress>, AccountError> {
        address::check_user(user)?;
        let mut tx = self.store.transaction()?;
        tx.keys(Table::Sessions, &address::user_prefix(user))?
            .iter()
            .map(|k| DeviceAddress::from_row_key(k).ok_or(StoreError::Corrupt.into()))
            .collect()
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
