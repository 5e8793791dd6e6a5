//! Safety numbers (SPEC.md 14.9): what two users compare, aloud or by scanning a QR code, to
//! check that each holds the other's real identity key. Modelled on Signal's numeric
//! fingerprint, with crosswire's own label so the two can never be confused.

use core::fmt;

use sha2::{Digest, Sha512};
use subtle::ConstantTimeEq;

use super::address::check_user;
use super::error::AccountError;
use crate::keys::IdentityKey;

/// Domain label hashed first into every fingerprint.
pub(crate) const LABEL_SAFETY_NUMBER: &[u8] = b"crosswire/v1/safety-number";
/// SHA-512 invocations per fingerprint (Signal's count).
pub(crate) const ITERATIONS: usize = 5200;
/// First two bytes of a scannable payload: "cw".
const SCAN_MAGIC: [u8; 2] = *b"cw";
const SCAN_VERSION: u8 = 1;
const SCAN_FINGERPRINT_LEN: usize = 32;
/// Length of [`SafetyNumber::scannable`].
pub const SCANNABLE_LEN: usize = 3 + 2 * SCAN_FINGERPRINT_LEN;
/// Number of digits of [`SafetyNumber::digits`].
pub const SAFETY_NUMBER_DIGITS: usize = 60;

/// The safety number of a conversation between two devices, as one side computes it. Both
/// sides get the same [`digits`](Self::digits); each side's [`scannable`](Self::scannable)
/// payload is accepted by the other's [`matches_scanned`](Self::matches_scanned).
///
/// Both sides must name the users by the same stable ids (for example the users' MIMI URIs),
/// whatever the local app calls them.
#[derive(Clone, PartialEq, Eq)]
pub struct SafetyNumber {
    local: [u8; 64],
    remote: [u8; 64],
}

impl SafetyNumber {
    /// The safety number between `local_user` holding `local_key` and `remote_user` holding
    /// `remote_key`. [`AccountError::InvalidAddress`] if a user id is empty or too long.
    pub fn new(
        local_user: &str,
        local_key: &IdentityKey,
        remote_user: &str,
        remote_key: &IdentityKey,
    ) -> Result<Self, AccountError> {
        check_user(local_user)?;
        check_user(remote_user)?;
        Ok(SafetyNumber {
            local: fingerprint(local_user, local_key),
            remote: fingerprint(remote_user, remote_key),
        })
    }

    /// The 60 decimal digits both users see: the two parties' 30-digit halves, the smaller
    /// first.
    pub fn digits(&self) -> String {
        let (a, b) = (digits(&self.local), digits(&self.remote));
        if a <= b { a + &b } else { b + &a }
    }

    /// The payload of the QR code to show: `"cw" || 0x01 || local fingerprint[0..32] ||
    /// remote fingerprint[0..32]`.
    pub fn scannable(&self) -> [u8; SCANNABLE_LEN] {
        scannable(&self.local, &self.remote)
    }

    /// Whether a payload scanned from the other device shows the same two keys: its local
    /// fingerprint must be our remote one and vice versa. A payload that is not a crosswire
    /// safety number is [`AccountError::InvalidSafetyNumber`].
    pub fn matches_scanned(&self, payload: &[u8]) -> Result<bool, AccountError> {
        let payload: &[u8; SCANNABLE_LEN] = payload
            .try_into()
            .map_err(|_| AccountError::InvalidSafetyNumber)?;
        if payload[..2] != SCAN_MAGIC || payload[2] != SCAN_VERSION {
            return Err(AccountError::InvalidSafetyNumber);
        }
        let expected = scannable(&self.remote, &self.local);
        Ok(bool::from(expected.ct_eq(payload)))
    }
}

impl fmt::Display for SafetyNumber {
    /// The digits in twelve groups of five, separated by spaces.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let digits = self.digits();
        for (i, group) in digits.as_bytes().chunks(5).enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            f.write_str(core::str::from_utf8(group).map_err(|_| fmt::Error)?)?;
        }
        Ok(())
    }
}

impl fmt::Debug for SafetyNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SafetyNumber({self})")
    }
}

/// One party's fingerprint: `H_1 = SHA-512(label || identity key || u8(len(user)) || user)`,
/// `H_(i+1) = SHA-512(H_i || identity key)`, the result is `H_5200`.
pub(crate) fn fingerprint(user: &str, key: &IdentityKey) -> [u8; 64] {
    let mut hash: [u8; 64] = Sha512::new()
        .chain_update(LABEL_SAFETY_NUMBER)
        .chain_update(key.as_bytes())
        // Callers validated the user id, so its length fits in a byte.
        .chain_update([user.len() as u8])
        .chain_update(user.as_bytes())
        .finalize()
        .into();
    for _ in 1..ITERATIONS {
        hash = Sha512::new()
            .chain_update(hash)
            .chain_update(key.as_bytes())
            .finalize()
            .into();
    }
    hash
}

/// 30 digits: bytes `5i..5i+5` (i = 0..6) of the fingerprint, as a big-endian integer, mod
/// 100000, zero-padded to five digits.
pub(crate) fn digits(fingerprint: &[u8; 64]) -> String {
    let mut out = String::with_capacity(30);
    for chunk in fingerprint[..30].chunks(5) {
        let value = chunk.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        out.push_str(&format!("{:05}", value % 100_000));
    }
    out
}

fn scannable(first: &[u8; 64], second: &[u8; 64]) -> [u8; SCANNABLE_LEN] {
    let mut out = [0u8; SCANNABLE_LEN];
    out[..2].copy_from_slice(&SCAN_MAGIC);
    out[2] = SCAN_VERSION;
    out[3..3 + SCAN_FINGERPRINT_LEN].copy_from_slice(&first[..SCAN_FINGERPRINT_LEN]);
    out[3 + SCAN_FINGERPRINT_LEN..].copy_from_slice(&second[..SCAN_FINGERPRINT_LEN]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::IdentityKeyPair;

    #[test]
    fn both_sides_agree_and_a_different_key_differs() {
        let rng = &mut rand::rng();
        let (a, b, c) = (
            IdentityKeyPair::generate(rng),
            IdentityKeyPair::generate(rng),
            IdentityKeyPair::generate(rng),
        );
        let alice = SafetyNumber::new("alice", a.public(), "bob", b.public()).unwrap();
        let bob = SafetyNumber::new("bob", b.public(), "alice", a.public()).unwrap();
        assert_eq!(alice.digits(), bob.digits());
        assert_eq!(alice.digits().len(), SAFETY_NUMBER_DIGITS);
        assert!(alice.digits().bytes().all(|d| d.is_ascii_digit()));
        assert_eq!(alice.to_string().len(), 60 + 11);
        assert!(alice.matches_scanned(&bob.scannable()).unwrap());
        assert!(bob.matches_scanned(&alice.scannable()).unwrap());
        // Scanning one's own code is not a match.
        assert!(!alice.matches_scanned(&alice.scannable()).unwrap());

        let mallory = SafetyNumber::new("bob", c.public(), "alice", a.public()).unwrap();
        assert_ne!(alice.digits(), mallory.digits());
        assert!(!alice.matches_scanned(&mallory.scannable()).unwrap());
        // The user id is bound too.
        let renamed = SafetyNumber::new("alice", a.public(), "bob2", b.public()).unwrap();
        assert_ne!(alice.digits(), renamed.digits());

        let mut bad = bob.scannable();
        bad[2] = 2;
        assert_eq!(
            alice.matches_scanned(&bad),
            Err(AccountError::InvalidSafetyNumber)
        );
        assert_eq!(
            alice.matches_scanned(&bad[..66]),
            Err(AccountError::InvalidSafetyNumber)
        );
        assert_eq!(
            SafetyNumber::new("", a.public(), "bob", b.public()),
            Err(AccountError::InvalidAddress)
        );
    }

    #[test]
    fn digit_chunks_are_big_endian_mod_100000() {
        let mut f = [0u8; 64];
        f[..5].copy_from_slice(&[0, 0, 0, 0x01, 0x00]); // 256
        f[5..10].copy_from_slice(&[0xff; 5]); // 2^40 - 1 = 1099511627775
        assert_eq!(&digits(&f)[..10], "0025627775");
        assert_eq!(&digits(&f)[10..], "00000".repeat(4));
    }

    #[test]
    fn debug_shows_the_grouped_digits() {
        let (a, b) = (
            IdentityKeyPair::from_seed(&[1; 32]),
            IdentityKeyPair::from_seed(&[2; 32]),
        );
        let number = SafetyNumber::new("alice", a.public(), "bob", b.public()).unwrap();
        let shown = format!("{number:?}");
        let inner = shown
            .strip_prefix("SafetyNumber(")
            .and_then(|s| s.strip_suffix(')'))
            .unwrap();
        let groups: Vec<&str> = inner.split(' ').collect();
        assert_eq!(groups.len(), 12);
        assert!(groups.iter().all(|g| g.len() == 5));
        assert_eq!(groups.concat(), number.digits());
    }
}
