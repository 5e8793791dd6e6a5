//! The Double Ratchet (SPEC.md section 5), one concept per file:
//! [`root_key`] (KDF_RK), [`chain_key`] (KDF_CK), [`message_key`] (seed -> AES key and nonce),
//! [`header`] (the authenticated canonical header) and [`skipped`] (the bounded skipped-key
//! store). This file holds the state machine that ties them together.
//!
//! Decryption is transactional: every new value is computed into locals, the AEAD tag is
//! checked, and only then is anything written to `self`.
//!
//! The ratchet is pure key schedule and AEAD over header fields and bytes: it knows nothing of
//! envelopes or their encoding (`crate::wire`), nor of plaintext limits (the session's).

pub(crate) mod chain_key;
pub(crate) mod header;
pub(crate) mod message_key;
pub(crate) mod root_key;
pub(crate) mod skipped;

use rand_core::CryptoRng;

use crate::error::{DecryptError, EncryptError};
use crate::keys::{KeyPair, PublicKey};
use chain_key::ChainKey;
use header::{Header, PreKeyFields};
use message_key::{MessageSeed, SALT_LEN};
use root_key::RootKey;
use skipped::{SkippedKeys, StagedRun};

/// Most message keys one received message may make the receiver derive and skip over: in the
/// current chain, `counter - next`; on a new ratchet key, the rest of the previous chain
/// (`previous_counter - next`) plus the new chain's `counter`, together. A larger jump is
/// rejected with [`DecryptError::TooFarAhead`] before any key is derived, so a forged message
/// costs at most `MAX_SKIP` chain steps and one Diffie-Hellman before its tag is checked.
pub const MAX_SKIP: u32 = 2000;

#[derive(Clone)]
pub(crate) struct SendingChain {
    pub(crate) chain_key: ChainKey,
    /// Index of the next message to send.
    pub(crate) counter: u32,
}

#[derive(Clone)]
pub(crate) struct ReceivingChain {
    pub(crate) ratchet_key: PublicKey,
    pub(crate) chain_key: ChainKey,
    /// Index of the next message expected.
    pub(crate) counter: u32,
}

/// Double Ratchet state. The sending step is taken lazily: receiving a new ratchet key only
/// derives the receiving chain, and the next `encrypt` generates our new ratchet key. This
/// keeps `decrypt` free of randomness and key generation, and costs the same per round trip.
#[derive(Clone)]
pub(crate) struct DoubleRatchet {
    pub(crate) root_key: RootKey,
    /// Our current ratchet key pair; its public half is cached, not recomputed per message.
    pub(crate) ratchet: KeyPair,
    /// `None` when a DH ratchet step must precede the next send.
    pub(crate) sending: Option<SendingChain>,
    /// PN: the length of our previous sending chain.
    pub(crate) previous_counter: u32,
    pub(crate) receiving: Option<ReceivingChain>,
    pub(crate) skipped: SkippedKeys,
}

/// What a message is authenticated with besides its ratchet header.
#[derive(Clone, Copy)]
pub(crate) struct AdContext<'a> {
    pub(crate) prekey: Option<&'a PreKeyFields>,
    pub(crate) session_ad: &'a [u8],
}

impl DoubleRatchet {
    /// The initiator's state after X3DH: a first sending chain from DH(new ratchet key, SPK_B).
    pub(crate) fn initiator<R: CryptoRng + ?Sized>(
        rng: &mut R,
        shared_secret: RootKey,
        their_signed_prekey: &PublicKey,
    ) -> Result<Self, crate::error::KeyError> {
        let ratchet = KeyPair::generate(rng);
        let dh = ratchet.diffie_hellman(their_signed_prekey)?;
        let (root_key, chain_key) = shared_secret.step(&dh);
        Ok(DoubleRatchet {
            root_key,
            ratchet,
            sending: Some(SendingChain {
                chain_key,
                counter: 0,
            }),
            previous_counter: 0,
            receiving: None,
            skipped: SkippedKeys::default(),
        })
    }

    /// The responder's state after X3DH: the signed prekey is the first ratchet key.
    pub(crate) fn responder(shared_secret: RootKey, signed_prekey: KeyPair) -> Self {
        DoubleRatchet {
            root_key: shared_secret,
            ratchet: signed_prekey,
            sending: None,
            previous_counter: 0,
            receiving: None,
            skipped: SkippedKeys::default(),
        }
    }

    /// Encrypts `plaintext`, returning the header fields to send with the ciphertext.
    pub(crate) fn encrypt<R: CryptoRng + ?Sized>(
        &mut self,
        rng: &mut R,
        ad: AdContext<'_>,
        plaintext: &[u8],
    ) -> Result<(Header, Vec<u8>), EncryptError> {
        // Stage a DH ratchet step if one is due; commit it with the message below.
        let mut stepped = None;
        let mut chain = match &self.sending {
            Some(chain) => chain.clone(),
            None => {
                // A session without a sending chain always has a receiving one (SPEC 5.5); a
                // deserialized state is checked for this, so the error arm is unreachable.
                let theirs = match &self.receiving {
                    Some(r) => r.ratchet_key,
                    None => return Err(EncryptError::ChainExhausted),
                };
                let ratchet = KeyPair::generate(rng);
                // `theirs` passed validation on receipt, so DH cannot be non-contributory.
                let dh = ratchet
                    .diffie_hellman(&theirs)
                    .map_err(|_| EncryptError::ChainExhausted)?;
                let (root_key, chain_key) = self.root_key.step(&dh);
                stepped = Some((ratchet, root_key));
                SendingChain {
                    chain_key,
                    counter: 0,
                }
            }
        };
        let counter = chain.counter;
        // Never emit u32::MAX: the receiver's "next expected" would overflow.
        let next = counter
            .checked_add(1)
            .filter(|n| *n < u32::MAX)
            .ok_or(EncryptError::ChainExhausted)?;
        let seed = chain.chain_key.advance();
        chain.counter = next;

        let mut salt = [0u8; SALT_LEN];
        rng.fill_bytes(&mut salt);
        let ratchet_key = match &stepped {
            Some((pair, _)) => *pair.public(),
            None => *self.ratchet.public(),
        };
        let header = Header {
            ratchet_key,
            previous_counter: self.previous_counter,
            counter,
            salt,
        };
        let aad = header::associated_data(&header, ad.prekey, ad.session_ad);
        let ciphertext = seed.message_key(&salt).seal(&aad, plaintext)?;

        if let Some((ratchet, root_key)) = stepped {
            self.ratchet = ratchet;
            self.root_key = root_key;
        }
        self.sending = Some(chain);
        Ok((header, ciphertext))
    }

    /// Decrypts the message with these header fields and ciphertext.
    pub(crate) fn decrypt(
        &mut self,
        header: &Header,
        ciphertext: &[u8],
        ad: AdContext<'_>,
    ) -> Result<Vec<u8>, DecryptError> {
        let Header {
            ratchet_key,
            previous_counter,
            counter,
            salt,
        } = header;
        // No sender emits a counter or PN of u32::MAX (5.6): refusing them first keeps every
        // "next expected" below in range, so a chain can never be stuck at its last position.
        if *counter == u32::MAX || *previous_counter == u32::MAX {
            return Err(DecryptError::TooFarAhead);
        }
        let aad = header::associated_data(header, ad.prekey, ad.session_ad);
        let open = |seed: &MessageSeed| {
            seed.message_key(salt)
                .open(&aad, ciphertext)
                .ok_or(DecryptError::AuthenticationFailed)
        };
        // `counter` < u32::MAX, so this cannot fail; checked all the same.
        let next = counter.checked_add(1).ok_or(DecryptError::TooFarAhead)?;

        // 1. A key we skipped earlier.
        if let Some(seed) = self.skipped.get(ratchet_key, *counter) {
            let plaintext = open(seed)?;
            self.skipped.remove(ratchet_key, *counter);
            return Ok(plaintext);
        }

        // 2. The current receiving chain.
        if let Some(chain) = self
            .receiving
            .as_ref()
            .filter(|c| c.ratchet_key == *ratchet_key)
        {
            if *counter < chain.counter {
                return Err(DecryptError::DuplicateOrExpired);
            }
            if *counter - chain.counter > MAX_SKIP {
                return Err(DecryptError::TooFarAhead);
            }
            let mut staged = chain.clone();
            let skipped = skip_to(&mut staged, *counter);
            let plaintext = open(&staged.chain_key.advance())?;
            staged.counter = next;
            self.skipped.extend(&[skipped]);
            self.receiving = Some(staged);
            return Ok(plaintext);
        }

        // 3. A new ratchet key: finish the old receiving chain up to PN, then step the root.
        // Both skips together are bounded, and checked before anything is derived.
        let old_gap = self
            .receiving
            .as_ref()
            .map_or(0, |old| previous_counter.saturating_sub(old.counter));
        if u64::from(old_gap) + u64::from(*counter) > u64::from(MAX_SKIP) {
            return Err(DecryptError::TooFarAhead);
        }
        let old_run = self.receiving.as_ref().map(|old| {
            let mut old = old.clone();
            skip_to(&mut old, *previous_counter)
        });
        // The key passed validation on decode, so DH is contributory; a failure here can only be
        // a forgery.
        let dh = self
            .ratchet
            .diffie_hellman(ratchet_key)
            .map_err(|_| DecryptError::AuthenticationFailed)?;
        let (root_key, chain_key) = self.root_key.step(&dh);
        let mut staged = ReceivingChain {
            ratchet_key: *ratchet_key,
            chain_key,
            counter: 0,
        };
        let new_run = skip_to(&mut staged, *counter);
        let plaintext = open(&staged.chain_key.advance())?;
        staged.counter = next;

        match old_run {
            Some(old_run) => self.skipped.extend(&[old_run, new_run]),
            None => self.skipped.extend(&[new_run]),
        }
        self.receiving = Some(staged);
        self.root_key = root_key;
        if let Some(sending) = self.sending.take() {
            self.previous_counter = sending.counter;
        }
        Ok(plaintext)
    }
}

/// Advances `chain` to position `until`, returning the seeds of the positions passed over (none
/// when `until` is not ahead). The caller has bounded the gap by [`MAX_SKIP`].
fn skip_to(chain: &mut ReceivingChain, until: u32) -> StagedRun<PublicKey, MessageSeed> {
    let gap = until.saturating_sub(chain.counter);
    let mut run = StagedRun {
        chain: chain.ratchet_key,
        first: chain.counter,
        // Allocated at its final size: growing would leave copies of the seeds in freed memory.
        seeds: Vec::with_capacity(gap as usize),
    };
    while chain.counter < until {
        run.seeds.push(chain.chain_key.advance());
        chain.counter += 1;
    }
    run
}
