//! What an account publishes to the provider's prekey directory, and the prekey lifecycle
//! that produces it (SPEC.md 14.4, 14.5).

use prost::Message;
use rand_core::CryptoRng;

#[cfg(doc)]
use super::Options;
use super::kem_prekeys::{self, PublishedKemPreKey};
use super::prekeys::{SignedRow, id_key, key_id};
use super::rows::{
    add_one_time_prekeys, available_one_time_prekeys, load_one_time, load_prekey_state,
    load_signed, put_prekey_state, put_sealed,
};
use super::{Account, AccountError};
use crate::bundle::PreKeyBundle;
use crate::error::Error;
use crate::keys::{OneTimePreKeyId, PublicKey, SignedPreKey, SignedPreKeyId};
use crate::store::{Store, StoreError, Table, Transaction};

/// What to publish to the provider's prekey directory.
///
/// The directory keeps the newest [`bundle`](Self::bundle) (it replaces the previous one) and
/// appends [`one_time_prekeys`](Self::one_time_prekeys) and
/// [`one_time_kem_prekeys`](Self::one_time_kem_prekeys) to two queues. To serve a fetch it
/// pops one key of each queue and puts them into the bundle ([`bundle_with_one_time_prekey`],
/// [`bundle_with_kem_prekey`]); an empty queue leaves that part of the bundle as it is, which
/// still works (no DH4; the last-resort KEM prekey).
#[derive(Debug, Clone)]
pub struct Upload {
    /// Identity key, current signed prekey and current last-resort KEM prekey (a version 2
    /// bundle), without a one-time prekey. Version 1 (classical) only for an account created
    /// before KEM prekeys existed that [`Account::maintain`] has not run on yet.
    pub bundle: PreKeyBundle,
    /// One-time prekeys to add to the directory's queue.
    pub one_time_prekeys: Vec<(OneTimePreKeyId, PublicKey)>,
    /// One-time KEM prekeys to add to the directory's second queue.
    pub one_time_kem_prekeys: Vec<PublishedKemPreKey>,
}

/// `base` with `kem_prekey` in place of its KEM prekey: what a directory serves from an
/// [`Upload`] while it has one-time KEM prekeys queued. The signature is checked again.
pub fn bundle_with_kem_prekey(
    base: &PreKeyBundle,
    kem_prekey: &PublishedKemPreKey,
) -> Result<PreKeyBundle, AccountError> {
    let bytes = base.to_bytes();
    let mut proto = crate::proto::PreKeyBundle::decode(&bytes[..])
        .map_err(|_| Error::Bundle(crate::error::BundleError::Malformed))?;
    proto.version = crate::bundle::BUNDLE_VERSION_PQ;
    proto.kem_prekey = Some(crate::proto::pre_key_bundle::KemPreKey {
        id: kem_prekey.id.0,
        kind: crate::KemPreKeyKind::OneTime.to_byte().into(),
        public_key: kem_prekey.public_key.as_bytes().to_vec(),
        signature: kem_prekey.signature.to_vec(),
    });
    Ok(PreKeyBundle::from_bytes(&proto.encode_to_vec()).map_err(Error::Bundle)?)
}

/// `base` with `one_time_prekey` added: what a directory serves from an [`Upload`].
pub fn bundle_with_one_time_prekey(
    base: &PreKeyBundle,
    id: OneTimePreKeyId,
    one_time_prekey: &PublicKey,
) -> Result<PreKeyBundle, AccountError> {
    let bytes = base.to_bytes();
    let mut proto = crate::proto::PreKeyBundle::decode(&bytes[..])
        .map_err(|_| Error::Bundle(crate::error::BundleError::Malformed))?;
    proto.one_time_prekey = Some(crate::proto::pre_key_bundle::OneTimePreKey {
        id: id.0,
        public_key: one_time_prekey.as_bytes().to_vec(),
    });
    Ok(PreKeyBundle::from_bytes(&proto.encode_to_vec()).map_err(Error::Bundle)?)
}

impl<S: Store> Account<S> {
    /// Runs the prekey lifecycle at the clock's current time, in one transaction:
    ///
    /// - the signed prekey is replaced when it is [`Options::signed_prekey_rotation`] old; the
    ///   replaced one keeps accepting first messages for [`Options::signed_prekey_grace`] and
    ///   is then deleted;
    /// - when fewer than [`Options::replenish_below`] one-time prekeys are left (not consumed,
    ///   and not handed out by [`bundle`](Self::bundle)), new ones are generated up to
    ///   [`Options::one_time_prekeys`];
    /// - the last-resort KEM prekey is replaced and deleted on the signed prekey's schedule,
    ///   and one-time KEM prekeys are replenished likewise ([`Options::replenish_kem_below`],
    ///   [`Options::one_time_kem_prekeys`]). An account created before KEM prekeys existed
    ///   gets its first ones here.
    ///
    /// Returns what to publish, or `None` if nothing new needs publishing. Call it at start-up
    /// and then regularly (daily, or after receiving first messages).
    pub fn maintain<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<Option<Upload>, AccountError> {
        let now = self.options.clock.now();
        let Account {
            store,
            sealer,
            identity,
            options,
            ..
        } = self;
        let mut tx = store.transaction()?;
        let mut state = load_prekey_state(&mut tx, sealer)?;
        let current =
            load_signed(&mut tx, sealer, state.current_signed)?.ok_or(StoreError::Corrupt)?;
        let mut changed = false;
        let mut spk = current.key.clone();
        if now.saturating_sub(current.created_at) >= options.signed_prekey_rotation {
            let id = state.next_signed;
            state.next_signed = id.checked_add(1).ok_or(AccountError::PreKeyIdsExhausted)?;
            spk = SignedPreKey::generate(rng, identity, SignedPreKeyId(id));
            let retired = SignedRow {
                retired_at: Some(now),
                ..current
            };
            put_sealed(
                &mut tx,
                sealer,
                rng,
                Table::SignedPreKeys,
                &id_key(state.current_signed),
                &retired.encode(),
            )?;
            let row = SignedRow {
                created_at: now,
                retired_at: None,
                key: spk.clone(),
            };
            put_sealed(
                &mut tx,
                sealer,
                rng,
                Table::SignedPreKeys,
                &id_key(id),
                &row.encode(),
            )?;
            state.current_signed = id;
            changed = true;
        }
        for key in tx.keys(Table::SignedPreKeys, b"")? {
            let id = key_id(&key)?;
            if id == state.current_signed {
                continue;
            }
            let row = load_signed(&mut tx, sealer, id)?.ok_or(StoreError::Corrupt)?;
            if let Some(retired_at) = row.retired_at
                && now >= retired_at.saturating_add(options.signed_prekey_grace)
            {
                tx.delete(Table::SignedPreKeys, &key)?;
            }
        }
        let remaining = available_one_time_prekeys(&mut tx, &state)?.len() as u64;
        let mut new = Vec::new();
        if remaining < u64::from(options.replenish_below) {
            let wanted = u64::from(options.one_time_prekeys).saturating_sub(remaining);
            let wanted = u32::try_from(wanted).unwrap_or(u32::MAX);
            new = add_one_time_prekeys(&mut tx, sealer, rng, &mut state, wanted)?;
        }
        if changed || !new.is_empty() {
            put_prekey_state(&mut tx, sealer, rng, &state)?;
        }
        let kem = kem_prekeys::maintain(&mut tx, sealer, rng, identity, options, now)?;
        let upload = if changed || !new.is_empty() || kem.changed {
            Some(Upload {
                bundle: PreKeyBundle::new_pq(identity, &spk, None, &kem.last_resort)
                    .map_err(Error::Bundle)?,
                one_time_prekeys: new,
                one_time_kem_prekeys: kem.one_time,
            })
        } else {
            None
        };
        tx.commit()?;
        Ok(upload)
    }

    /// A bundle to publish or hand to one sender: the current signed prekey, the next
    /// one-time prekey that no earlier call handed out, or none when all are handed out (the
    /// bundle then still works, as X3DH without DH4), and likewise the next one-time KEM
    /// prekey, or the last-resort one when all are handed out; what it hands out is marked so
    /// in the same transaction. Use either this or a directory fed from [`Upload`]s, not both.
    pub fn bundle<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
    ) -> Result<PreKeyBundle, AccountError> {
        let Account {
            store,
            sealer,
            identity,
            ..
        } = self;
        let mut tx = store.transaction()?;
        let mut state = load_prekey_state(&mut tx, sealer)?;
        let spk = load_signed(&mut tx, sealer, state.current_signed)?
            .ok_or(StoreError::Corrupt)?
            .key;
        let opk = match available_one_time_prekeys(&mut tx, &state)?.first() {
            Some(&id) => {
                let key = load_one_time(&mut tx, sealer, id)?.ok_or(StoreError::Corrupt)?;
                state.handout_cursor = id.saturating_add(1);
                put_prekey_state(&mut tx, sealer, rng, &state)?;
                Some(key)
            }
            None => None,
        };
        let bundle = match kem_prekeys::hand_out(&mut tx, sealer, rng)? {
            Some(kem) => PreKeyBundle::new_pq(identity, &spk, opk.as_ref(), &kem),
            None => PreKeyBundle::new(identity, &spk, opk.as_ref()),
        }
        .map_err(Error::Bundle)?;
        tx.commit()?;
        Ok(bundle)
    }

    /// Everything publishable now: the current bundle and every one-time prekey and one-time
    /// KEM prekey neither consumed nor handed out by [`bundle`](Self::bundle). For a first publication or a
    /// directory that lost its copy; otherwise publish what [`create`](Self::create) and
    /// [`maintain`](Self::maintain) return, or keys the directory handed out already would be
    /// queued twice.
    pub fn upload(&mut self) -> Result<Upload, AccountError> {
        let Account {
            store,
            sealer,
            identity,
            ..
        } = self;
        let mut tx = store.transaction()?;
        let state = load_prekey_state(&mut tx, sealer)?;
        let spk = load_signed(&mut tx, sealer, state.current_signed)?
            .ok_or(StoreError::Corrupt)?
            .key;
        let mut one_time_prekeys = Vec::new();
        for id in available_one_time_prekeys(&mut tx, &state)? {
            let key = load_one_time(&mut tx, sealer, id)?.ok_or(StoreError::Corrupt)?;
            one_time_prekeys.push((key.id(), *key.public()));
        }
        let (bundle, one_time_kem_prekeys) = match kem_prekeys::publishable(&mut tx, sealer)? {
            Some((last_resort, kem)) => (
                PreKeyBundle::new_pq(identity, &spk, None, &last_resort),
                kem,
            ),
            None => (PreKeyBundle::new(identity, &spk, None), Vec::new()),
        };
        Ok(Upload {
            bundle: bundle.map_err(Error::Bundle)?,
            one_time_prekeys,
            one_time_kem_prekeys,
        })
    }

    /// How many one-time prekeys are held (not yet consumed by a first message).
    pub fn one_time_prekey_count(&mut self) -> Result<u64, AccountError> {
        let mut tx = self.store.transaction()?;
        Ok(tx.count(Table::OneTimePreKeys)?)
    }

    /// How many one-time KEM prekeys are held (not yet consumed by a first message).
    pub fn one_time_kem_prekey_count(&mut self) -> Result<u64, AccountError> {
        let mut tx = self.store.transaction()?;
        Ok(kem_prekeys::one_time_count(&mut tx)?)
    }
}
