//! PQXDH key agreement (SPEC.md section 15.4): X3DH plus one ML-KEM-1024 encapsulation to the
//! responder's signed KEM prekey, after Signal's PQXDH specification (revision 3).
//!
//! DH1..DH4 are X3DH's (src/x3dh.rs); SS is the KEM shared secret;
//! SK = HKDF-SHA256(salt = 0^32, IKM = 0xFF^32 || DH1 || DH2 || DH3 [|| DH4] || SS,
//! info = "crosswire/v1/pqxdh" || SHA-256(PQPK_B) || SHA-256(CT)).
//! The info binds the KEM public key and ciphertext to SK, so SK's agreement on them rests on
//! the hash and not on ML-KEM's binding properties (SPEC.md 15.4 gives the analyses).

use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::bundle::PreKeyBundle;
use crate::error::KeyError;
use crate::kdf::hkdf_sha256;
use crate::kem::{
    KemCiphertext, KemError, KemPublicKey, KemSharedSecret, decapsulate, encapsulate,
};
use crate::kem_prekey::{SignedKemPreKey, VerifiedKemPreKey};
use crate::keys::{IdentityKey, IdentityKeyPair, KeyPair, OneTimePreKey, PublicKey, SignedPreKey};
use crate::ratchet::root_key::RootKey;
use crate::x3dh::key_material;
use crate::x25519::SharedSecret;

/// The prefix of the HKDF `info` for the PQXDH shared secret (18 bytes).
pub(crate) const LABEL_PQXDH: &[u8] = b"crosswire/v1/pqxdh";
/// Length of [`info`]: label (18) || SHA-256(PQPK_B) (32) || SHA-256(CT) (32).
pub(crate) const PQXDH_INFO_LEN: usize = 18 + 32 + 32;

/// Why PQXDH could not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PqxdhError {
    /// A DH step failed (a non-contributory output).
    Key(KeyError),
    /// The KEM prekey was not signed by the bundle's identity key.
    Kem(KemError),
}

impl From<KeyError> for PqxdhError {
    fn from(e: KeyError) -> Self {
        PqxdhError::Key(e)
    }
}

impl From<KemError> for PqxdhError {
    fn from(e: KemError) -> Self {
        PqxdhError::Kem(e)
    }
}

/// What the initiator keeps and sends: EK_A, the KEM ciphertext, and SK.
pub(crate) struct Initiation {
    pub(crate) ephemeral: KeyPair,
    pub(crate) kem_ciphertext: KemCiphertext,
    pub(crate) root_key: RootKey,
}

/// The initiator's side. Randomness: 32 bytes for EK_A's secret, then 32 bytes `m` for the
/// encapsulation (then the session draws its first ratchet secret, SPEC.md 4.1).
pub(crate) fn initiate<R: CryptoRng + ?Sized>(
    rng: &mut R,
    identity: &IdentityKeyPair,
    bundle: &PreKeyBundle,
    kem_prekey: &VerifiedKemPreKey,
) -> Result<Initiation, PqxdhError> {
    // A KEM prekey verified under another identity than the bundle's is not this bundle's.
    if kem_prekey.identity() != bundle.identity_key() {
        return Err(PqxdhError::Kem(KemError::BadSignature));
    }
    let ephemeral = KeyPair::generate(rng);
    let (kem_ciphertext, ss) = encapsulate(rng, kem_prekey.public());
    let spk = bundle.signed_prekey();
    let dh1 = identity.diffie_hellman(spk)?;
    let dh2 = ephemeral.diffie_hellman(bundle.identity_key().x25519())?;
    let dh3 = ephemeral.diffie_hellman(spk)?;
    let dh4 = match bundle.one_time_prekey() {
        Some((_, opk)) => Some(ephemeral.diffie_hellman(opk)?),
        None => None,
    };
    let root_key = derive_shared_secret(
        &dh1,
        &dh2,
        &dh3,
        dh4.as_ref(),
        &ss,
        kem_prekey.public(),
        &kem_ciphertext,
    );
    Ok(Initiation {
        ephemeral,
        kem_ciphertext,
        root_key,
    })
}

/// The responder's side, from the initiator's identity, base key and KEM ciphertext. A
/// ciphertext not made for `kem_prekey` does not fail here: it yields an unrelated SK, and the
/// first message then fails to decrypt.
pub(crate) fn respond(
    identity: &IdentityKeyPair,
    signed_prekey: &SignedPreKey,
    one_time_prekey: Option<&OneTimePreKey>,
    kem_prekey: &SignedKemPreKey,
    their_identity: &IdentityKey,
    their_base_key: &PublicKey,
    kem_ciphertext: &KemCiphertext,
) -> Result<RootKey, KeyError> {
    let spk = signed_prekey.key_pair();
    let dh1 = spk.diffie_hellman(their_identity.x25519())?;
    let dh2 = identity.diffie_hellman(their_base_key)?;
    let dh3 = spk.diffie_hellman(their_base_key)?;
    let dh4 = match one_time_prekey {
        Some(opk) => Some(opk.key_pair().diffie_hellman(their_base_key)?),
        None => None,
    };
    let ss = decapsulate(kem_prekey.key_pair(), kem_ciphertext);
    Ok(derive_shared_secret(
        &dh1,
        &dh2,
        &dh3,
        dh4.as_ref(),
        &ss,
        kem_prekey.public(),
        kem_ciphertext,
    ))
}

/// IKM = 0xFF^32 || DH1 || DH2 || DH3 [|| DH4] || SS (160 or 192 bytes): X3DH's key material
/// with the KEM secret last, as PQXDH section 3.3 orders it.
pub(crate) fn input_key_material(
    dh1: &SharedSecret,
    dh2: &SharedSecret,
    dh3: &SharedSecret,
    dh4: Option<&SharedSecret>,
    ss: &KemSharedSecret,
) -> Zeroizing<Vec<u8>> {
    let mut ikm = key_material(dh1, dh2, dh3, dh4);
    ikm.extend_from_slice(ss.as_bytes());
    ikm
}

/// info = "crosswire/v1/pqxdh" || SHA-256(PQPK_B) || SHA-256(CT) (82 bytes).
pub(crate) fn info(kem_public: &KemPublicKey, kem_ciphertext: &KemCiphertext) -> [u8; 82] {
    let mut info = [0u8; PQXDH_INFO_LEN];
    info[..18].copy_from_slice(LABEL_PQXDH);
    info[18..50].copy_from_slice(&Sha256::digest(kem_public.as_bytes()));
    info[50..].copy_from_slice(&Sha256::digest(kem_ciphertext.as_bytes()));
    info
}

/// SK from every input: the pure key-derivation function of SPEC.md 15.4.
pub(crate) fn derive_shared_secret(
    dh1: &SharedSecret,
    dh2: &SharedSecret,
    dh3: &SharedSecret,
    dh4: Option<&SharedSecret>,
    ss: &KemSharedSecret,
    kem_public: &KemPublicKey,
    kem_ciphertext: &KemCiphertext,
) -> RootKey {
    let ikm = input_key_material(dh1, dh2, dh3, dh4, ss);
    let mut sk = Zeroizing::new([0u8; 32]);
    hkdf_sha256(&[0u8; 32], &ikm, &info(kem_public, kem_ciphertext), &mut sk);
    RootKey::new(*sk)
}

#[cfg(test)]
mod tests;
