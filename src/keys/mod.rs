//! Keys: the long-term identity, the prekeys a device publishes, and the X25519 public keys that
//! travel on the wire (SPEC.md section 2).
//!
//! Public and secret keys are distinct types. Secret types zeroize on drop, are not `Clone`
//! unless they must be, and print as `[redacted]`.

use core::fmt;

mod dh;
mod identity;
mod prekeys;

pub(crate) use dh::KeyPair;
pub use dh::PublicKey;
// The raw contributory DH, for the external vectors; the library goes through the key types.
#[cfg(test)]
pub(crate) use dh::diffie_hellman;
pub use identity::{IdentityKey, IdentityKeyPair};
pub(crate) use prekeys::signed_prekey_message;
pub use prekeys::{OneTimePreKey, OneTimePreKeyId, SignedPreKey, SignedPreKeyId};

/// Length of every public key crosswire uses (X25519 and Ed25519).
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of an Ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// Prints `[redacted]` in place of a secret.
pub(crate) struct Redacted;

impl fmt::Debug for Redacted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// Lower-case hex, for printing public values.
pub(crate) struct Hex<'a>(pub(crate) &'a [u8]);

impl fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::ChaCha20Rng;

    /// The seeded generator every key test draws from.
    pub(super) fn rng() -> ChaCha20Rng {
        ChaCha20Rng::seed_from_u64(1)
    }

    /// The redacted forms themselves, written out here rather than taken from the impls: a
    /// `Debug` that printed nothing would also print no secret.
    #[test]
    fn debug_prints_public_parts_and_redacts_secrets() {
        let mut rng = rng();
        let identity = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKey::generate(&mut rng, &identity, SignedPreKeyId(7));
        let opk = OneTimePreKey::generate(&mut rng, OneTimePreKeyId(9));
        let id_hex = hex::encode(identity.public().as_bytes());
        let spk_hex = hex::encode(spk.public().as_bytes());
        let opk_hex = hex::encode(opk.public().as_bytes());
        assert_eq!(
            format!("{:?}", spk.public()),
            format!("PublicKey({spk_hex})")
        );
        assert_eq!(
            format!("{:?}", identity.public()),
            format!("IdentityKey({id_hex})")
        );
        assert_eq!(
            format!("{:?}", spk.key_pair()),
            format!("KeyPair {{ public: PublicKey({spk_hex}), secret: [redacted] }}")
        );
        assert_eq!(
            format!("{identity:?}"),
            format!("IdentityKeyPair {{ public: IdentityKey({id_hex}), secret: [redacted] }}")
        );
        assert_eq!(
            format!("{spk:?}"),
            format!(
                "SignedPreKey {{ id: SignedPreKeyId(7), public: PublicKey({spk_hex}), \
                 secret: [redacted] }}"
            )
        );
        assert_eq!(
            format!("{opk:?}"),
            format!(
                "OneTimePreKey {{ id: OneTimePreKeyId(9), public: PublicKey({opk_hex}), \
                 secret: [redacted] }}"
            )
        );
    }

    #[test]
    fn debug_never_prints_secrets() {
        let mut rng = rng();
        let identity = IdentityKeyPair::generate(&mut rng);
        let spk = SignedPreKey::generate(&mut rng, &identity, SignedPreKeyId(1));
        let opk = OneTimePreKey::generate(&mut rng, OneTimePreKeyId(1));
        let secrets = [
            Hex(&identity.to_seed()[..]).to_string(),
            Hex(identity.x25519_secret_bytes()).to_string(),
            Hex(spk.key_pair().secret_bytes()).to_string(),
            Hex(opk.key_pair().secret_bytes()).to_string(),
        ];
        let printed = format!("{identity:?} {spk:?} {opk:?} {identity:#?}");
        assert!(printed.contains("[redacted]"));
        for s in secrets {
            assert!(!printed.contains(&s));
            assert!(!printed.contains(&s[..16]));
        }
    }
}
