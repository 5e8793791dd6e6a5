//! Receiving: decrypting into the inbox or the application's own transaction, and the inbox
//! itself (SPEC.md 14.5, 14.7, 14.12, 14.13).

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use super::records::{self, Record, load_session};
use super::trust::TrustRecord;
use super::{
    Account, AccountError, DeviceAddress, INBOX_VERSION, InboxEntry, META_INBOX_NEXT, Options,
    SESSION_CONTEXT, SessionCache, get_sealed, kem_prekeys, load_devices, load_one_time,
    load_record_cached, load_signed, load_trust, put_sealed, seen,
};
use crate::content::Content;
use crate::error::{DecryptError, Error};
use crate::kem_prekey::{KemPreKeyId, KemPreKeyKind};
use crate::keys::{IdentityKeyPair, OneTimePreKeyId};
use crate::session::Session;
use crate::store::seal::Sealer;
use crate::store::{Store, StoreError, Table, Transaction};
use crate::wire::Envelope;

use super::prekeys::id_key;

impl<S: Store> Account<S> {
    // ----------------------------------------------------------------------- receiving ----

    /// Decrypts an envelope from `from` and stores the plaintext in the inbox, committing in
    /// one transaction the new session state, the consumed one-time prekey and one-time KEM
    /// prekey, the trust record
    /// of a new device and the inbox entry. The application shows or saves the entry and then
    /// [`ack`](Self::ack)s it; until then [`inbox`](Self::inbox) returns it again, after a
    /// restart too. If the process dies before the commit, nothing happened and the envelope
    /// decrypts again.
    ///
    /// Tries the current session, then the previous ones (a session that decrypts becomes
    /// current), and for a first message that belongs to none of them starts a new session.
    /// A first message that continues a known session (the same X3DH attempt, delivered
    /// twice) never starts a second one and consumes nothing.
    pub fn decrypt<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        from: &DeviceAddress,
        envelope: &[u8],
    ) -> Result<InboxEntry, AccountError> {
        self.receive(rng, from, envelope, true, |_, entry| {
            entry.ok_or(AccountError::Store(StoreError::Corrupt))
        })
    }

    /// [`decrypt`](Self::decrypt) for [`Content`]: the message is stored in the inbox (as its
    /// padded plaintext) only if its content is valid; otherwise
    /// [`AccountError::Crypto`]`(`[`Error::Content`]`)` and, like every error, nothing is
    /// written, not even the ratchet step (unlike [`Session::decrypt_content`]).
    pub fn decrypt_content<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        from: &DeviceAddress,
        envelope: &[u8],
    ) -> Result<(InboxEntry, Content), AccountError> {
        self.receive(rng, from, envelope, true, |plaintext, entry| {
            let content = Content::from_plaintext(plaintext).map_err(Error::Content)?;
            Ok((entry.ok_or(StoreError::Corrupt)?, content))
        })
    }

    /// Decrypts like [`decrypt`](Self::decrypt) but hands the plaintext to `save` inside the
    /// transaction instead of the inbox: the session state is committed only if `save` returns
    /// `Ok`, and an `Err` rolls everything back (the envelope will decrypt again). Use it when
    /// the application's own database is the store, or to save into a second store whose
    /// failure must undo the decryption.
    pub fn decrypt_with<R, T, E, F>(
        &mut self,
        rng: &mut R,
        from: &DeviceAddress,
        envelope: &[u8],
        save: F,
    ) -> Result<T, E>
    where
        R: CryptoRng + ?Sized,
        E: From<AccountError>,
        F: FnOnce(&[u8]) -> Result<T, E>,
    {
        self.receive(rng, from, envelope, false, |plaintext, _| save(plaintext))
    }

    fn receive<R, T, E, F>(
        &mut self,
        rng: &mut R,
        from: &DeviceAddress,
        envelope: &[u8],
        to_inbox: bool,
        deliver: F,
    ) -> Result<T, E>
    where
        R: CryptoRng + ?Sized,
        E: From<AccountError>,
        F: FnOnce(&[u8], Option<InboxEntry>) -> Result<T, E>,
    {
        let digest = seen::digest(envelope);
        let envelope =
            Envelope::from_bytes(envelope).map_err(|e| AccountError::Crypto(Error::Wire(e)))?;
        let now = self.options.clock.now();
        let Account {
            store,
            sealer,
            identity,
            options,
            cache,
        } = self;
        let key = from.row_key();
        let mut tx = store.transaction().map_err(AccountError::from)?;
        if load_devices(&mut tx, sealer, from.user())
            .map_err(AccountError::from)?
            .is_some_and(|list| list.is_removed(from.device()))
        {
            return Err(AccountError::DeviceRemoved(from.clone()).into());
        }
        let seen_key = seen::meta_key(&key);
        let mut seen = get_sealed(&mut tx, sealer, Table::Meta, &seen_key)
            .and_then(|row| row.map(|r| seen::Seen::decode(&r)).transpose())
            .map_err(AccountError::from)?
            .unwrap_or_default();
        if seen.contains(&digest) {
            return Err(
                AccountError::Crypto(Error::Decrypt(DecryptError::DuplicateOrExpired)).into(),
            );
        }
        let opened = open_envelope(
            &mut tx, sealer, cache, identity, options, from, &key, &envelope, now,
        )?;
        let (row, entry) = write_opened(&mut tx, sealer, rng, from, &key, &opened, to_inbox)?;
        seen.push(digest);
        put_sealed(&mut tx, sealer, rng, Table::Meta, &seen_key, &seen.encode())
            .map_err(AccountError::from)?;
        let out = deliver(&opened.plaintext, entry)?;
        tx.commit().map_err(AccountError::from)?;
        match opened.current {
            Some(current) => cache.put(key, row, opened.record, current),
            None => cache.forget(&key),
        }
        Ok(out)
    }

    /// The messages decrypted and not yet acknowledged, oldest first.
    pub fn inbox(&mut self) -> Result<Vec<InboxEntry>, AccountError> {
        let Account { store, sealer, .. } = self;
        let mut tx = store.transaction()?;
        let mut out = Vec::new();
        for key in tx.keys(Table::Inbox, b"")? {
            let seq: [u8; 8] = key.as_slice().try_into().map_err(|_| StoreError::Corrupt)?;
            let row =
                get_sealed(&mut tx, sealer, Table::Inbox, &key)?.ok_or(StoreError::Corrupt)?;
            out.push(decode_inbox(u64::from_be_bytes(seq), &row)?);
        }
        Ok(out)
    }

    /// Removes inbox entry `seq` once the application has it; returns whether it was there.
    pub fn ack(&mut self, seq: u64) -> Result<bool, AccountError> {
        let mut tx = self.store.transaction()?;
        let existed = tx.delete(Table::Inbox, &seq.to_be_bytes())?;
        tx.commit()?;
        Ok(existed)
    }
}

/// What decrypting produced, to be written by the caller.
struct Opened {
    record: Record,
    /// The session that decrypted, if it is now entry 0 of `record` (else the current one
    /// stayed current, and is not cached).
    current: Option<Box<Session>>,
    plaintext: Zeroizing<Vec<u8>>,
    consumed: Option<OneTimePreKeyId>,
    /// A one-time KEM prekey the new session used (a last-resort one is kept).
    consumed_kem: Option<KemPreKeyId>,
    new_trust: Option<TrustRecord>,
}

/// Decrypts `envelope` from the device whose row key is `key`, without writing anything.
#[allow(clippy::too_many_arguments)]
fn open_envelope(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    cache: &mut SessionCache,
    identity: &IdentityKeyPair,
    options: &Options,
    from: &DeviceAddress,
    key: &[u8],
    envelope: &Envelope,
    now: u64,
) -> Result<Opened, AccountError> {
    let (mut record, mut cached) = match load_record_cached(tx, sealer, cache, key)? {
        Some((record, cached)) => (Some(record), cached),
        None => (None, None),
    };
    // The error to report if nothing decrypts: from the session the envelope belongs to, else
    // from the current session.
    let mut error: Option<Error> = None;
    let mut duplicate = false;
    // Whether the current session has decrypted a message from the peer (so the peer holds it).
    let mut current_proven = false;
    if let Some(r) = &mut record {
        for i in 0..r.entries.len() {
            let mut session = match cached.take().filter(|_| i == 0) {
                Some(session) => session,
                None => Box::new(load_session(&r.entries[i].state)?),
            };
            if i == 0 {
                current_proven = !r.archived && !session.awaiting_reply();
            }
            match session.decrypt(envelope) {
                Ok(plaintext) => {
                    // The convergence rule (SPEC.md 14.13): between two sessions both proven
                    // to work, the one with the smaller base key stays or becomes current.
                    let keep = i > 0
                        && current_proven
                        && records::base_key(&r.entries[0].state)?
                            < records::base_key(&r.entries[i].state)?;
                    let current = if keep {
                        r.update(i, &session);
                        None
                    } else {
                        r.promote(i, &session);
                        Some(session)
                    };
                    return Ok(Opened {
                        record: record.take().ok_or(StoreError::Corrupt)?,
                        current,
                        plaintext: Zeroizing::new(plaintext),
                        consumed: None,
                        consumed_kem: None,
                        new_trust: None,
                    });
                }
                Err(e) => {
                    let foreign = matches!(
                        e,
                        Error::Decrypt(
                            DecryptError::SessionMismatch | DecryptError::UnexpectedMessageType
                        )
                    );
                    if let Envelope::PreKey(_) = envelope
                        && !foreign
                    {
                        // This session began with this very first message (a duplicate or
                        // replay): never start a second session from it.
                        return Err(e.into());
                    }
                    duplicate |= e == Error::Decrypt(DecryptError::DuplicateOrExpired);
                    error.get_or_insert(e);
                }
            }
        }
    }
    let Envelope::PreKey(message) = envelope else {
        return Err(ratchet_failure(from, error, duplicate));
    };
    let spk_id = message.signed_prekey_id();
    let spk = match load_signed(tx, sealer, spk_id.0)? {
        Some(row)
            if row
                .retired_at
                .is_none_or(|t| now < t.saturating_add(options.signed_prekey_grace)) =>
        {
            row.key
        }
        _ => return Err(AccountError::UnknownSignedPreKey(spk_id)),
    };
    let opk = match message.one_time_prekey_id() {
        Some(id) => Some(load_one_time(tx, sealer, id.0)?.ok_or(AccountError::UnknownPreKey(id))?),
        None => None,
    };
    let kem = match message.kem_prekey_id() {
        Some(id) => Some(kem_prekeys::for_message(tx, sealer, options, id, now)?),
        None => None,
    };
    // Authenticate before judging the identity: a forged first message must not raise an
    // identity warning.
    // A first message that does not authenticate under prekeys we hold with its ids was made
    // for prekeys this device no longer has (it was reinstalled or restored) or forged: either
    // way no session can come of it, and the way out is a new one from our side.
    let (session, plaintext) = Session::respond_with(
        identity,
        &spk,
        opk.as_ref(),
        kem.as_ref(),
        message,
        SESSION_CONTEXT,
        options.post_quantum,
    )
    .map_err(|e| match e {
        Error::Decrypt(DecryptError::AuthenticationFailed) => AccountError::SessionLost {
            address: from.clone(),
        },
        e => e.into(),
    })?;
    let plaintext = Zeroizing::new(plaintext);
    let trust = load_trust(tx, sealer, key)?;
    if let Some(t) = trust
        && t.identity != *message.identity_key().as_bytes()
    {
        return Err(AccountError::IdentityChanged {
            address: from.clone(),
            trusted: Box::new(t.key()?),
            received: Box::new(*message.identity_key()),
        });
    }
    let record = match record {
        Some(mut r) => {
            r.push_current(&session, now);
            r
        }
        None => Record::new(&session, now),
    };
    Ok(Opened {
        record,
        current: Some(Box::new(session)),
        plaintext,
        consumed: opk.map(|k| k.id()),
        consumed_kem: kem
            .filter(|k| k.kind() == KemPreKeyKind::OneTime)
            .map(|k| k.id()),
        new_trust: trust
            .is_none()
            .then(|| TrustRecord::new(message.identity_key(), now)),
    })
}

/// The error for a ratchet envelope no session decrypted (SPEC.md 14.12): a duplicate stays a
/// duplicate (some session already used its key: drop it), a counter too far ahead stays that;
/// anything else means no session we hold is the one the sender used: [`AccountError::SessionLost`].
fn ratchet_failure(from: &DeviceAddress, error: Option<Error>, duplicate: bool) -> AccountError {
    match error {
        _ if duplicate => Error::Decrypt(DecryptError::DuplicateOrExpired).into(),
        Some(e @ Error::Decrypt(DecryptError::TooFarAhead)) => e.into(),
        _ => AccountError::SessionLost {
            address: from.clone(),
        },
    }
}

/// Writes what [`open_envelope`] produced, and the inbox entry if asked.
fn write_opened<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    from: &DeviceAddress,
    key: &[u8],
    opened: &Opened,
    to_inbox: bool,
) -> Result<(Vec<u8>, Option<InboxEntry>), AccountError> {
    let row = put_sealed(
        tx,
        sealer,
        rng,
        Table::Sessions,
        key,
        &opened.record.encode(),
    )?;
    if let Some(id) = opened.consumed {
        tx.delete(Table::OneTimePreKeys, &id_key(id.0))?;
    }
    if let Some(id) = opened.consumed_kem {
        kem_prekeys::consume(tx, id)?;
    }
    if let Some(t) = opened.new_trust {
        put_sealed(tx, sealer, rng, Table::Identities, key, &t.encode())?;
    }
    if to_inbox {
        let entry = push_inbox(tx, sealer, rng, from, &opened.plaintext)?;
        return Ok((row, Some(entry)));
    }
    Ok((row, None))
}

/// Appends `plaintext` from `from` to the inbox: row `u64be(seq)` holds
/// `u8(1) || row key of from || plaintext`.
fn push_inbox<R: CryptoRng + ?Sized>(
    tx: &mut impl Transaction,
    sealer: &Sealer,
    rng: &mut R,
    from: &DeviceAddress,
    plaintext: &[u8],
) -> Result<InboxEntry, AccountError> {
    let seq = match get_sealed(tx, sealer, Table::Meta, META_INBOX_NEXT)? {
        Some(row) => {
            u64::from_be_bytes(row.as_slice().try_into().map_err(|_| StoreError::Corrupt)?)
        }
        None => 1,
    };
    let next = seq.checked_add(1).ok_or(StoreError::Corrupt)?;
    put_sealed(
        tx,
        sealer,
        rng,
        Table::Meta,
        META_INBOX_NEXT,
        &next.to_be_bytes(),
    )?;
    let from_key = from.row_key();
    let mut row = Zeroizing::new(Vec::with_capacity(1 + from_key.len() + plaintext.len()));
    row.push(INBOX_VERSION);
    row.extend_from_slice(&from_key);
    row.extend_from_slice(plaintext);
    put_sealed(tx, sealer, rng, Table::Inbox, &seq.to_be_bytes(), &row)?;
    Ok(InboxEntry {
        seq,
        from: from.clone(),
        plaintext: Zeroizing::new(plaintext.to_vec()),
    })
}

fn decode_inbox(seq: u64, row: &[u8]) -> Result<InboxEntry, StoreError> {
    let [INBOX_VERSION, rest @ ..] = row else {
        return Err(StoreError::Corrupt);
    };
    let user_len = usize::from(*rest.first().ok_or(StoreError::Corrupt)?);
    let address_len = 1 + user_len + 4;
    if rest.len() < address_len {
        return Err(StoreError::Corrupt);
    }
    let (address, plaintext) = rest.split_at(address_len);
    Ok(InboxEntry {
        seq,
        from: DeviceAddress::from_row_key(address).ok_or(StoreError::Corrupt)?,
        plaintext: Zeroizing::new(plaintext.to_vec()),
    })
}
