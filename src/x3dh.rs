//! X3DH key agreement (SPEC.md section 4).
//!
//! DH1 = DH(IK_A, SPK_B), DH2 = DH(EK_A, IK_B), DH3 = DH(EK_A, SPK_B), DH4 = DH(EK_A, OPK_B);
//! SK = HKDF-SHA256(salt = 0^32, IKM = 0xFF^32 || DH1 || DH2 || DH3 [|| DH4],
//! info = "crosswire/v1/x3dh"). Identity keys take part in their X25519 form.

use rand_core::CryptoRng;
use zeroize::Zeroizing;

use crate::bundle::PreKeyBundle;
use crate::error::KeyError;
use crate::kdf::{LABEL_X3DH, hkdf_sha256};
use crate::keys::{IdentityKey, IdentityKeyPair, KeyPair, OneTimePreKey, PublicKey, SignedPreKey};
use crate::ratchet::root_key::RootKey;
use crate::x25519::SharedSecret;

/// The initiator's side: a fresh ephemeral key EK_A and the shared secret SK.
pub(crate) fn initiate<R: CryptoRng + ?Sized>(
    rng: &mut R,
    identity: &IdentityKeyPair,
    bundle: &PreKeyBundle,
) -> Result<(KeyPair, RootKey), KeyError> {
    let ephemeral = KeyPair::generate(rng);
    let sk = initiate_with(identity, &ephemeral, bundle)?;
    Ok((ephemeral, sk))
}

/// [`initiate`] with the ephemeral key given, for test vectors.
pub(crate) fn initiate_with(
    identity: &IdentityKeyPair,
    ephemeral: &KeyPair,
    bundle: &PreKeyBundle,
) -> Result<RootKey, KeyError> {
    let spk = bundle.signed_prekey();
    let dh1 = identity.diffie_hellman(spk)?;
    let dh2 = ephemeral.diffie_hellman(bundle.identity_key().x25519())?;
    let dh3 = ephemeral.diffie_hellman(spk)?;
    let dh4 = match bundle.one_time_prekey() {
        Some((_, opk)) => Some(ephemeral.diffie_hellman(opk)?),
        None => None,
    };
    Ok(derive_shared_secret(&dh1, &dh2, &dh3, dh4.as_ref()))
}

/// The responder's side, from the initiator's identity and base key.
pub(crate) fn respond(
    identity: &IdentityKeyPair,
    signed_prekey: &SignedPreKey,
    one_time_prekey: Option<&OneTimePreKey>,
    their_identity: &IdentityKey,
    their_base_key: &PublicKey,
) -> Result<RootKey, KeyError> {
    let spk = signed_prekey.key_pair();
    let dh1 = spk.diffie_hellman(their_identity.x25519())?;
    let dh2 = identity.diffie_hellman(their_base_key)?;
    let dh3 = spk.diffie_hellman(their_base_key)?;
    let dh4 = match one_time_prekey {
        Some(opk) => Some(opk.key_pair().diffie_hellman(their_base_key)?),
        None => None,
    };
    Ok(derive_shared_secret(&dh1, &dh2, &dh3, dh4.as_ref()))
}

/// KM = 0xFF^32 || DH1 || DH2 || DH3 [|| DH4]. The leading 32 0xFF bytes keep KM from ever
/// being a valid X25519 output prefix (X3DH section 2.2, inherited from XEdDSA domain
/// separation).
pub(crate) fn key_material(
    dh1: &SharedSecret,
    dh2: &SharedSecret,
    dh3: &SharedSecret,
    dh4: Option<&SharedSecret>,
) -> Zeroizing<Vec<u8>> {
    let mut km = Zeroizing::new(Vec::with_capacity(160));
    km.extend_from_slice(&[0xff; 32]);
    for dh in [Some(dh1), Some(dh2), Some(dh3), dh4].into_iter().flatten() {
        km.extend_from_slice(dh.as_bytes());
    }
    km
}

fn derive_shared_secret(
    dh1: &SharedSecret,
    dh2: &SharedSecret,
    dh3: &SharedSecret,
    dh4: Option<&SharedSecret>,
) -> RootKey {
    let km = key_material(dh1, dh2, dh3, dh4);
    let mut sk = Zeroizing::new([0u8; 32]);
    hkdf_sha256(&[0u8; 32], &km, LABEL_X3DH, &mut *sk);
    RootKey::new(*sk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::{OneTimePreKeyId, SignedPreKeyId};
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    #[test]
    fn both_sides_agree_with_and_without_one_time_prekey() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let alice = IdentityKeyPair::generate(&mut rng);
        let bob = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKey::generate(&mut rng, &bob, SignedPreKeyId(1));
        let opk = OneTimePreKey::generate(&mut rng, OneTimePreKeyId(9));
        let mut secrets = Vec::new();
        for opk in [Some(&opk), None] {
            let bundle = PreKeyBundle::new(&bob, &spk, opk).unwrap();
            let (ek, sk_a) = initiate(&mut rng, &alice, &bundle).unwrap();
            let sk_b = respond(&bob, &spk, opk, alice.public(), ek.public()).unwrap();
            assert_eq!(sk_a.as_bytes(), sk_b.as_bytes());
            // Without the one-time prekey the responder derives something else.
            if opk.is_some() {
                let wrong = respond(&bob, &spk, None, alice.public(), ek.public()).unwrap();
                assert_ne!(wrong.as_bytes(), sk_a.as_bytes());
            }
            secrets.push(*sk_a.as_bytes());
        }
        assert_ne!(secrets[0], secrets[1]);
    }
}
