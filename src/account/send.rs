//! Sending: to one device ([`Account::encrypt`]) or to every device of a user and every other
//! device of our own ([`Account::encrypt_to_user`]), in one transaction either way
//! (SPEC.md 14.7, 14.11).

use rand_core::CryptoRng;

use super::devices::DeviceList;
use super::records::{Record, load_session, put_record};
use super::trust::TrustRecord;
use super::{
    Account, AccountError, DeviceAddress, Options, SESSION_CONTEXT, SessionCache,
    load_record_cached, put_sealed,
};
use crate::bundle::PreKeyBundle;
use crate::content::Content;
use crate::error::Error;
use crate::keys::IdentityKeyPair;
use crate::session::Session;
use crate::store::seal::Sealer;
use crate::store::{Store, Table, Transaction};
use crate::wire::Envelope;

/// One envelope of a fan-out, for one device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    /// The device to deliver it to.
    pub to: DeviceAddress,
    /// The envelope bytes.
    pub envelope: Vec<u8>,
}

/// What sealing for one device produced, to be cached after the commit.
pub(super) struct Sealed {
    pub(super) key: Vec<u8>,
    pub(super) row: Vec<u8>,
    pub(super) record: Record,
    pub(super) session: Box<Session>,
    pub(super) envelope: Envelope,
}

/// The account's parts one send needs, borrowed apart from the store.
pub(super) struct Parts<'a> {
    pub(super) sealer: &'a Sealer,
    pub(super) cache: &'a mut SessionCache,
    pub(super) identity: &'a IdentityKeyPair,
    pub(super) options: &'a Options,
    pub(super) now: u64,
}

/// Encrypts for `to` inside `tx` and writes its record (and a first trust row), without
/// committing. `bundle` is asked only when a new session is needed; `removed` refuses a
/// device the user's list dropped.
pub(super) fn seal_one<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    parts: &mut Parts<'_>,
    rng: &mut R,
    to: &DeviceAddress,
    removed: bool,
    bundle: impl FnOnce() -> Result<PreKeyBundle, AccountError>,
    seal: &mut dyn FnMut(&mut Session, &mut R) -> Result<Envelope, Error>,
) -> Result<Sealed, AccountError> {
    if removed {
        return Err(AccountError::DeviceRemoved(to.clone()));
    }
    let now = parts.now;
    let key = to.row_key();
    let trust = parts.cache.trust(tx, parts.sealer, &key)?;
    let (mut record, cached) = match load_record_cached(tx, parts.sealer, parts.cache, &key)? {
        Some((record, cached)) => (Some(record), cached),
        None => (None, None),
    };
    let current = match &record {
        Some(r) if !r.archived => {
            let entry = &r.entries[0];
            let session = match cached {
                Some(session) => session,
                None => Box::new(load_session(&entry.state)?),
            };
            let stale = session.awaiting_reply()
                && now.saturating_sub(entry.created_at)
                    >= parts.options.unacknowledged_session_lifetime;
            let trusted = trust.is_none_or(|t| t.identity == *session.remote_identity().as_bytes());
            (!stale && trusted).then_some(session)
        }
        _ => None,
    };
    let (mut session, fresh) = match current {
        Some(session) => (session, false),
        None => {
            let bundle = bundle()?;
            if let Some(t) = trust
                && t.identity != *bundle.identity_key().as_bytes()
            {
                return Err(AccountError::IdentityChanged {
                    address: to.clone(),
                    trusted: Box::new(t.key()?),
                    received: Box::new(*bundle.identity_key()),
                });
            }
            let session = Session::initiate_with(
                rng,
                parts.identity,
                &bundle,
                SESSION_CONTEXT,
                parts.options.post_quantum,
            )?;
            (Box::new(session), true)
        }
    };
    let envelope = seal(&mut session, rng)?;
    let record = match (record.take(), fresh) {
        (Some(mut r), false) => {
            r.promote(0, &session);
            r
        }
        (Some(mut r), true) => {
            r.push_current(&session, now);
            r
        }
        (None, _) => Record::new(&session, now),
    };
    let row = put_record(tx, parts.sealer, rng, &key, &record)?;
    if trust.is_none() {
        let t = TrustRecord::new(session.remote_identity(), now);
        put_sealed(tx, parts.sealer, rng, Table::Identities, &key, &t.encode())?;
    }
    Ok(Sealed {
        key,
        row,
        record,
        session,
        envelope,
    })
}

/// Appends the listed devices of `user`, except `local` itself.
fn push_targets(
    targets: &mut Vec<DeviceAddress>,
    local: &DeviceAddress,
    user: &str,
    list: &DeviceList,
) -> Result<(), AccountError> {
    for &device in &list.active {
        if user != local.user() || device != local.device() {
            targets.push(DeviceAddress::new(user, device)?);
        }
    }
    Ok(())
}

impl<S: Store> Account<S> {
    /// Encrypts `plaintext` for `to` and returns the envelope bytes to deliver.
    ///
    /// Uses the current session with `to` if there is a usable one (its peer key is the
    /// trusted one; it is not archived by [`reset_session`](Self::reset_session) or a device
    /// removal; and it got a reply or is younger than
    /// [`Options::unacknowledged_session_lifetime`]); otherwise starts one from `bundle`
    /// ([`AccountError::NoSession`] if `None`). A bundle whose identity key differs from the
    /// trusted one is [`AccountError::IdentityChanged`]; a device its user's list dropped is
    /// [`AccountError::DeviceRemoved`]. The new session state (and, for a new device, the trust
    /// record) is committed before the envelope is returned.
    pub fn encrypt<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        to: &DeviceAddress,
        bundle: Option<&PreKeyBundle>,
        plaintext: &[u8],
    ) -> Result<Vec<u8>, AccountError> {
        self.send(rng, to, bundle, &mut |session, rng| {
            session.encrypt(rng, plaintext)
        })
    }

    /// [`encrypt`](Self::encrypt) for [`Content`] (validated, encoded and padded first).
    pub fn encrypt_content<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        to: &DeviceAddress,
        bundle: Option<&PreKeyBundle>,
        content: &Content,
    ) -> Result<Vec<u8>, AccountError> {
        self.send(rng, to, bundle, &mut |session, rng| {
            session.encrypt_content(rng, content)
        })
    }

    fn send<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        to: &DeviceAddress,
        bundle: Option<&PreKeyBundle>,
        seal: &mut dyn FnMut(&mut Session, &mut R) -> Result<Envelope, Error>,
    ) -> Result<Vec<u8>, AccountError> {
        let now = self.options.clock.now();
        let Account {
            store,
            sealer,
            identity,
            options,
            cache,
        } = self;
        let mut tx = store.transaction()?;
        let removed = cache
            .devices(&mut tx, sealer, to.user())?
            .is_some_and(|list| list.is_removed(to.device()));
        let mut parts = Parts {
            sealer,
            cache,
            identity,
            options,
            now,
        };
        let sealed = seal_one(
            &mut tx,
            &mut parts,
            rng,
            to,
            removed,
            || bundle.cloned().ok_or(AccountError::NoSession),
            seal,
        )?;
        tx.commit()?;
        let envelope = sealed.envelope.to_bytes();
        cache.put(sealed.key, sealed.row, sealed.record, sealed.session);
        Ok(envelope)
    }

    /// Encrypts `plaintext` once for every device of `to_user` and every device of our own user
    /// other than `local` (so a sent message shows on all of one's devices), from the device
    /// lists given to [`set_devices`](Self::set_devices), in one transaction: all envelopes or
    /// none.
    ///
    /// `local` is this device's own address. Devices without a usable session get one from
    /// `bundles(address)`, which is called only for them; a `None` is
    /// [`AccountError::MissingBundle`]. A user without a device list is
    /// [`AccountError::NoDeviceList`] (for our own user: no other devices). Any per-device error
    /// ([`AccountError::IdentityChanged`], ...) fails the whole fan-out and writes nothing.
    ///
    /// Attachments: encrypt the file once ([`crate::encrypt_attachment`]), upload it, and send
    /// [`Content`] holding its pointer with
    /// [`encrypt_content_to_user`](Self::encrypt_content_to_user): every device gets the same
    /// pointer, nobody uploads twice.
    pub fn encrypt_to_user<R, F>(
        &mut self,
        rng: &mut R,
        local: &DeviceAddress,
        to_user: &str,
        bundles: F,
        plaintext: &[u8],
    ) -> Result<Vec<Outgoing>, AccountError>
    where
        R: CryptoRng + ?Sized,
        F: FnMut(&DeviceAddress) -> Option<PreKeyBundle>,
    {
        self.fan_out(rng, local, to_user, bundles, &mut |session, rng| {
            session.encrypt(rng, plaintext)
        })
    }

    /// [`encrypt_to_user`](Self::encrypt_to_user) for [`Content`].
    pub fn encrypt_content_to_user<R, F>(
        &mut self,
        rng: &mut R,
        local: &DeviceAddress,
        to_user: &str,
        bundles: F,
        content: &Content,
    ) -> Result<Vec<Outgoing>, AccountError>
    where
        R: CryptoRng + ?Sized,
        F: FnMut(&DeviceAddress) -> Option<PreKeyBundle>,
    {
        self.fan_out(rng, local, to_user, bundles, &mut |session, rng| {
            session.encrypt_content(rng, content)
        })
    }

    fn fan_out<R, F>(
        &mut self,
        rng: &mut R,
        local: &DeviceAddress,
        to_user: &str,
        mut bundles: F,
        seal: &mut dyn FnMut(&mut Session, &mut R) -> Result<Envelope, Error>,
    ) -> Result<Vec<Outgoing>, AccountError>
    where
        R: CryptoRng + ?Sized,
        F: FnMut(&DeviceAddress) -> Option<PreKeyBundle>,
    {
        super::address::check_user(to_user)?;
        let now = self.options.clock.now();
        let Account {
            store,
            sealer,
            identity,
            options,
            cache,
        } = self;
        let mut tx = store.transaction()?;
        let mut targets = Vec::new();
        let theirs = cache
            .devices(&mut tx, sealer, to_user)?
            .ok_or_else(|| AccountError::NoDeviceList(to_user.to_owned()))?;
        push_targets(&mut targets, local, to_user, theirs)?;
        if to_user != local.user()
            && let Some(ours) = cache.devices(&mut tx, sealer, local.user())?
        {
            push_targets(&mut targets, local, local.user(), ours)?;
        }
        let mut parts = Parts {
            sealer,
            cache,
            identity,
            options,
            now,
        };
        let mut sealed = Vec::with_capacity(targets.len());
        for to in &targets {
            sealed.push(seal_one(
                &mut tx,
                &mut parts,
                rng,
                to,
                false,
                || bundles(to).ok_or_else(|| AccountError::MissingBundle(to.clone())),
                seal,
            )?);
        }
        tx.commit()?;
        let mut out = Vec::with_capacity(sealed.len());
        for (to, s) in targets.into_iter().zip(sealed) {
            out.push(Outgoing {
                to,
                envelope: s.envelope.to_bytes(),
            });
            cache.put(s.key, s.row, s.record, s.session);
        }
        Ok(out)
    }
}
