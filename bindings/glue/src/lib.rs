//! What every crosswire binding shares, as plain Rust data over the core: the account's
//! [`Upload`] with its keys as bytes, the directory's side of it (a bundle to serve, assembled
//! from a published bundle and queued keys, all as bytes), and the routing of a first message.
//!
//! crosswire-ffi exposes these types to Kotlin and Swift as they are (UniFFI remote records)
//! and reads them for C; crosswire-python and crosswire-wasm wrap them in their own classes.
//! Nothing here depends on a binding framework, so none is dragged into another's build.

#![forbid(unsafe_code)]

use crosswire::account::{self, AccountError};
use crosswire::{
    BundleError, Error, IdentityKeyPair, KemPreKeyId, KemPublicKey, OneTimePreKey, OneTimePreKeyId,
    PostQuantum, PreKeyBundle, PreKeyMessage, PublicKey, SIGNATURE_LEN, Session, SignedKemPreKey,
    SignedPreKey,
};

/// A one-time prekey to add to the directory's queue.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublishedPreKey {
    /// Its id.
    pub id: u32,
    /// Its X25519 public key (32 bytes).
    pub public_key: Vec<u8>,
}

/// A one-time KEM prekey to add to the directory's second queue (SPEC.md 15.3).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PublishedKemPreKey {
    /// Its id.
    pub id: u32,
    /// Its ML-KEM-1024 encapsulation key (1568 bytes).
    pub public_key: Vec<u8>,
    /// The identity key's Ed25519 signature over it (64 bytes).
    pub signature: Vec<u8>,
}

/// What to publish to the prekey directory: the bundle (replacing the previous one) and the
/// one-time prekeys and one-time KEM prekeys to append to its two queues.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Upload {
    /// The encoded bundle (with the last-resort KEM prekey, without a one-time prekey).
    pub bundle: Vec<u8>,
    /// One-time prekeys to add.
    pub one_time_prekeys: Vec<PublishedPreKey>,
    /// One-time KEM prekeys to add.
    pub one_time_kem_prekeys: Vec<PublishedKemPreKey>,
}

impl From<account::Upload> for Upload {
    fn from(u: account::Upload) -> Self {
        Upload {
            bundle: u.bundle.to_bytes(),
            one_time_prekeys: u
                .one_time_prekeys
                .iter()
                .map(|(id, key)| PublishedPreKey {
                    id: id.0,
                    public_key: key.as_bytes().to_vec(),
                })
                .collect(),
            one_time_kem_prekeys: u
                .one_time_kem_prekeys
                .iter()
                .map(|k| PublishedKemPreKey {
                    id: k.id.0,
                    public_key: k.public_key.as_bytes().to_vec(),
                    signature: k.signature.to_vec(),
                })
                .collect(),
        }
    }
}

impl Upload {
    /// The bundle and both queues, each key wrapped by `prekey` or `kem_prekey` (a binding's
    /// own class around the plain type).
    pub fn into_parts<P, K>(
        self,
        prekey: impl FnMut(PublishedPreKey) -> P,
        kem_prekey: impl FnMut(PublishedKemPreKey) -> K,
    ) -> (Vec<u8>, Vec<P>, Vec<K>) {
        (
            self.bundle,
            self.one_time_prekeys.into_iter().map(prekey).collect(),
            self.one_time_kem_prekeys
                .into_iter()
                .map(kem_prekey)
                .collect(),
        )
    }
}

fn bundle_error(e: BundleError) -> AccountError {
    AccountError::Crypto(Error::Bundle(e))
}

/// `bundle` (an encoded bundle, as an [`Upload`] carries it) with `prekey` added: what a
/// directory serves while it has one-time prekeys queued. A key that is not a valid X25519
/// public key is `bundle.key.*`.
pub fn bundle_with_one_time_prekey(
    bundle: &[u8],
    prekey: &PublishedPreKey,
) -> Result<Vec<u8>, AccountError> {
    let base = PreKeyBundle::from_bytes(bundle).map_err(bundle_error)?;
    let key: &[u8; 32] = prekey.public_key[..]
        .try_into()
        .map_err(|_| bundle_error(BundleError::InvalidKey(crosswire::KeyError::InvalidLength)))?;
    let key = PublicKey::from_bytes(key).map_err(|e| bundle_error(BundleError::InvalidKey(e)))?;
    Ok(account::bundle_with_one_time_prekey(&base, OneTimePreKeyId(prekey.id), &key)?.to_bytes())
}

/// `bundle` with `kem_prekey` in place of its KEM prekey: what a directory serves while it has
/// one-time KEM prekeys queued. The signature is checked against the bundle's identity key: a
/// wrong one is `bundle.bad_signature`, a key failing FIPS 203's checks `bundle.kem.*`, a
/// signature that is not 64 bytes `bundle.malformed`.
pub fn bundle_with_kem_prekey(
    bundle: &[u8],
    kem_prekey: &PublishedKemPreKey,
) -> Result<Vec<u8>, AccountError> {
    let base = PreKeyBundle::from_bytes(bundle).map_err(bundle_error)?;
    let public_key = KemPublicKey::from_bytes(&kem_prekey.public_key)
        .map_err(|e| bundle_error(BundleError::InvalidKemKey(e)))?;
    let signature: [u8; SIGNATURE_LEN] = kem_prekey.signature[..]
        .try_into()
        .map_err(|_| bundle_error(BundleError::Malformed))?;
    let published = account::PublishedKemPreKey {
        id: KemPreKeyId(kem_prekey.id),
        public_key,
        signature,
    };
    Ok(account::bundle_with_kem_prekey(&base, &published)?.to_bytes())
}

/// The prekey message in an envelope that must start a session; any other envelope is
/// `decrypt.unexpected_message_type`.
pub fn prekey_message(envelope: &[u8]) -> Result<PreKeyMessage, Error> {
    match crosswire::Envelope::from_bytes(envelope)? {
        crosswire::Envelope::PreKey(p) => Ok(*p),
        _ => Err(Error::Decrypt(
            crosswire::DecryptError::UnexpectedMessageType,
        )),
    }
}

/// One of the core's two responders, which differ only in what they return with the session:
/// [`Session::respond_with`] (the plaintext) or [`Session::respond_content_with`] (the decoded
/// content). A binding's responder takes one, so its plaintext and content calls share the rest.
pub type Responder<T> = fn(
    &IdentityKeyPair,
    &SignedPreKey,
    Option<&OneTimePreKey>,
    Option<&SignedKemPreKey>,
    &PreKeyMessage,
    &[u8],
    PostQuantum,
) -> Result<(Session, T), Error>;

#[cfg(test)]
mod tests {
    use super::*;
    use crosswire::account::{Account, Options};
    use crosswire::store::{MemoryStore, StorageKey};

    fn upload() -> Upload {
        let mut rng = rand::rng();
        let key = StorageKey::from_bytes([7; 32]);
        let (_, upload) =
            Account::create(&mut rng, MemoryStore::new(), &key, Options::default()).unwrap();
        upload.into()
    }

    #[test]
    fn upload_carries_every_key_as_bytes() {
        let u = upload();
        let defaults = Options::default();
        assert_eq!(u.one_time_prekeys.len(), defaults.one_time_prekeys as usize);
        assert_eq!(
            u.one_time_kem_prekeys.len(),
            defaults.one_time_kem_prekeys as usize
        );
        let kem = &u.one_time_kem_prekeys[0];
        assert_eq!(
            (kem.public_key.len(), kem.signature.len()),
            (crosswire::KEM_PUBLIC_KEY_LEN, SIGNATURE_LEN)
        );
        assert_eq!(u.one_time_prekeys[0].public_key.len(), 32);
    }

    #[test]
    fn into_parts_wraps_every_key_in_order() {
        let u = upload();
        let (bundle, prekeys, kem_prekeys) = u.clone().into_parts(|p| p.id, |k| (k.id, k));
        assert_eq!(bundle, u.bundle);
        let ids: Vec<u32> = u.one_time_prekeys.iter().map(|p| p.id).collect();
        assert_eq!(prekeys, ids);
        assert_eq!(
            kem_prekeys.into_iter().map(|(_, k)| k).collect::<Vec<_>>(),
            u.one_time_kem_prekeys
        );
    }

    #[test]
    fn served_bundles_carry_the_queued_keys() {
        let u = upload();
        let with_opk = bundle_with_one_time_prekey(&u.bundle, &u.one_time_prekeys[0]).unwrap();
        let served = bundle_with_kem_prekey(&with_opk, &u.one_time_kem_prekeys[0]).unwrap();
        let served = PreKeyBundle::from_bytes(&served).unwrap();
        let (id, kind, public) = served.kem_prekey().unwrap();
        assert_eq!(id.0, u.one_time_kem_prekeys[0].id);
        assert_eq!(kind, crosswire::KemPreKeyKind::OneTime);
        assert_eq!(
            &public.as_bytes()[..],
            &u.one_time_kem_prekeys[0].public_key[..]
        );
        let (opk_id, _) = served.one_time_prekey().unwrap();
        assert_eq!(opk_id.0, u.one_time_prekeys[0].id);
    }

    #[test]
    fn bad_inputs_have_bundle_codes() {
        let u = upload();
        let good = &u.one_time_kem_prekeys[0];
        let code =
            |k: &PublishedKemPreKey| bundle_with_kem_prekey(&u.bundle, k).unwrap_err().code();
        let mut flipped = good.clone();
        flipped.signature[3] ^= 1;
        assert_eq!(code(&flipped), "bundle.bad_signature");
        let other_id = PublishedKemPreKey {
            id: good.id + 1,
            ..good.clone()
        };
        assert_eq!(code(&other_id), "bundle.bad_signature");
        let short_sig = PublishedKemPreKey {
            signature: good.signature[..63].to_vec(),
            ..good.clone()
        };
        assert_eq!(code(&short_sig), "bundle.malformed");
        let short_key = PublishedKemPreKey {
            public_key: good.public_key[..100].to_vec(),
            ..good.clone()
        };
        assert_eq!(code(&short_key), "bundle.kem.invalid_length");
        assert_eq!(
            bundle_with_kem_prekey(b"junk", good).unwrap_err().code(),
            "bundle.malformed"
        );
        let short_opk = PublishedPreKey {
            id: 1,
            public_key: vec![9; 31],
        };
        assert_eq!(
            bundle_with_one_time_prekey(&u.bundle, &short_opk)
                .unwrap_err()
                .code(),
            "bundle.key.invalid_length"
        );
    }

    #[test]
    fn only_a_prekey_message_starts_a_session() {
        assert_eq!(
            prekey_message(b"junk").unwrap_err().code(),
            "wire.malformed"
        );
    }
}
