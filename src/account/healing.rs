//! Device-set changes and session healing (SPEC.md 14.10, 14.12): the device lists fed from
//! the directory, archiving the sessions of removed devices, and resetting a session that no
//! longer decrypts.

use rand_core::CryptoRng;

use super::address::check_user;
use super::devices::{DeviceList, MAX_DEVICES_PER_USER, meta_key};
use super::{Account, AccountError, DeviceAddress, load_devices, load_record, put_sealed};
use crate::store::seal::Sealer;
use crate::store::{Store, StoreError, Table, Transaction};

/// What [`Account::set_devices`] changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceChanges {
    /// Devices listed now and not before: the next fan-out needs their bundles.
    pub added: Vec<DeviceAddress>,
    /// Devices listed before and not now: their sessions are archived, nothing is sent to them
    /// and their messages are refused with [`AccountError::DeviceRemoved`].
    pub removed: Vec<DeviceAddress>,
}

impl<S: Store> Account<S> {
    /// Sets the devices `user` has now, as the provider's directory lists them (our own user
    /// too, for the copies of what we send). In one transaction: devices no longer listed are
    /// *removed* (their sessions archived, never sent on again, their messages refused), and
    /// devices listed again are accepted again. At most [`MAX_DEVICES_PER_USER`] devices
    /// ([`AccountError::TooManyDevices`]); duplicates are ignored.
    ///
    /// A device reinstalled under the same id presents a new identity key: its first message
    /// or bundle is [`AccountError::IdentityChanged`], decided by the trust policy.
    pub fn set_devices<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        user: &str,
        devices: &[u32],
    ) -> Result<DeviceChanges, AccountError> {
        check_user(user)?;
        let Account {
            store,
            sealer,
            cache,
            ..
        } = self;
        let mut tx = store.transaction()?;
        let mut list = load_devices(&mut tx, sealer, user)?.unwrap_or_default();
        let (added, removed) = list.set(devices);
        if list.active.len() > MAX_DEVICES_PER_USER {
            return Err(AccountError::TooManyDevices);
        }
        put_sealed(
            &mut tx,
            sealer,
            rng,
            Table::Meta,
            &meta_key(user),
            &list.encode(),
        )?;
        let mut changes = DeviceChanges::default();
        for device in removed {
            let address = DeviceAddress::new(user, device)?;
            cache.forget(&address.row_key());
            archive(&mut tx, sealer, rng, &address)?;
            changes.removed.push(address);
        }
        for device in added {
            changes.added.push(DeviceAddress::new(user, device)?);
        }
        tx.commit()?;
        Ok(changes)
    }

    /// The devices of `user` given to [`set_devices`](Self::set_devices), ascending, or `None`
    /// if no list was set.
    pub fn device_list(&mut self, user: &str) -> Result<Option<Vec<u32>>, AccountError> {
        check_user(user)?;
        let Account { store, sealer, .. } = self;
        let mut tx = store.transaction()?;
        Ok(load_devices(&mut tx, sealer, user)?.map(|l: DeviceList| l.active))
    }

    /// Starts over with `address`: archives the current session, so the next
    /// [`encrypt`](Self::encrypt) (or fan-out) to it needs a fresh bundle and sends a first
    /// message the peer accepts whatever state it is in. The archived sessions stay for
    /// messages still in flight on them (one that decrypts makes its session current again:
    /// the peer evidently still has it). Returns whether there was a session to archive.
    ///
    /// Call it after [`AccountError::SessionLost`] (the peer, or this device, lost or rolled
    /// back its state), after [`AccountError::UnknownPreKey`] or
    /// [`AccountError::UnknownSignedPreKey`] for a peer's first message (it used prekeys this
    /// device no longer holds), and then send the peer any message, for example a receipt.
    pub fn reset_session<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        address: &DeviceAddress,
    ) -> Result<bool, AccountError> {
        let Account {
            store,
            sealer,
            cache,
            ..
        } = self;
        cache.forget(&address.row_key());
        let mut tx = store.transaction()?;
        let archived = archive(&mut tx, sealer, rng, address)?;
        tx.commit()?;
        Ok(archived)
    }
}

/// Archives `address`'s record, if it has one; returns whether it did.
fn archive<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    address: &DeviceAddress,
) -> Result<bool, StoreError> {
    let key = address.row_key();
    let Some(mut record) = load_record(tx, sealer, &key)? else {
        return Ok(false);
    };
    record.archive();
    put_sealed(tx, sealer, rng, Table::Sessions, &key, &record.encode())?;
    Ok(true)
}

impl<S: Store> Account<S> {
    /// A public name of the session currently used to send to `address`: the base key of its
    /// X3DH origin (the initiator's ephemeral key, in its first message), the same on both
    /// devices. Two devices whose current session ids for each other are equal have converged
    /// (SPEC.md 14.13). `None` if there is no record or it is archived.
    pub fn current_session_id(
        &mut self,
        address: &DeviceAddress,
    ) -> Result<Option<[u8; 32]>, AccountError> {
        let Account { store, sealer, .. } = self;
        let mut tx = store.transaction()?;
        match load_record(&mut tx, sealer, &address.row_key())? {
            Some(record) if !record.archived => {
                Ok(Some(super::records::base_key(&record.entries[0].state)?))
            }
            _ => Ok(None),
        }
    }
}
