//! Sealing rows at rest (SPEC.md 14.2): AES-256-GCM under a per-store row key, with the row's
//! table and key as associated data, so a row cannot be read elsewhere, swapped with another
//! row, or moved into another store.

use core::fmt;

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit};
use hkdf::Hkdf;
use rand_core::CryptoRng;
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::{StoreError, Table};

/// Length of a [`StorageKey`].
pub const STORAGE_KEY_LEN: usize = 32;
/// Length of a store id, the HKDF salt that makes each store's row key its own.
pub(crate) const STORE_ID_LEN: usize = 16;

/// First byte of every sealed row: the sealing format.
const SEAL_VERSION: u8 = 1;
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
/// Bytes a sealed row adds to its plaintext.
pub(crate) const SEAL_OVERHEAD: usize = 1 + NONCE_LEN + TAG_LEN;

const LABEL_ROW_KEY: &[u8] = b"crosswire/v1/store-row-key";
const LABEL_ROW_AD: &[u8] = b"crosswire/v1/store-row";
const LABEL_KEY_ID: &[u8] = b"crosswire/v1/storage-key-id";
const LABEL_KEY_CHECK: &[u8] = b"crosswire/v1/storage-key-check";
/// Length of [`key_check`].
pub(crate) const KEY_CHECK_LEN: usize = 32;

/// The 32-byte key an application supplies to open its store, ideally from the platform
/// keystore (Android Keystore, iOS Keychain). Wiped on drop; `Debug` shows only a short hash,
/// enough to tell two keys apart in a log and useless for recovering either.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct StorageKey([u8; STORAGE_KEY_LEN]);

impl StorageKey {
    /// Wraps raw key bytes.
    pub fn from_bytes(bytes: [u8; STORAGE_KEY_LEN]) -> Self {
        StorageKey(bytes)
    }

    /// A fresh random key.
    pub fn generate<R: CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; STORAGE_KEY_LEN];
        rng.fill_bytes(&mut bytes);
        StorageKey(bytes)
    }
}

impl fmt::Debug for StorageKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = Sha256::new()
            .chain_update(LABEL_KEY_ID)
            .chain_update(self.0)
            .finalize();
        write!(
            f,
            "StorageKey(id {:02x}{:02x}{:02x}{:02x}..)",
            id[0], id[1], id[2], id[3]
        )
    }
}

/// `HKDF-SHA256(salt = store id, ikm = storage key, info = "crosswire/v1/storage-key-check")`,
/// 32 bytes: stored unsealed in the Meta table so that opening with another key is
/// [`StoreError::WrongKey`] before any row is touched, and a row that then fails to open is
/// [`StoreError::Corrupt`]. It reveals nothing about the row key (another HKDF output of the
/// same PRK under another label).
pub(crate) fn key_check(key: &StorageKey, store_id: &[u8; STORE_ID_LEN]) -> [u8; KEY_CHECK_LEN] {
    let mut out = [0u8; KEY_CHECK_LEN];
    // 32 bytes is far below HKDF-SHA256's limit: expand cannot fail.
    let _ = Hkdf::<Sha256>::new(Some(store_id), &key.0).expand(LABEL_KEY_CHECK, &mut out);
    out
}

/// Seals and opens the rows of one store.
pub(crate) struct Sealer {
    cipher: Aes256Gcm,
}

impl Sealer {
    /// The sealer of the store with this id, under this key.
    pub(crate) fn new(key: &StorageKey, store_id: &[u8; STORE_ID_LEN]) -> Self {
        let mut row_key = Zeroizing::new([0u8; 32]);
        // 32 bytes is far below HKDF-SHA256's 8160-byte limit: expand cannot fail.
        let _ = Hkdf::<Sha256>::new(Some(store_id), &key.0).expand(LABEL_ROW_KEY, &mut *row_key);
        Sealer {
            cipher: Aes256Gcm::new((&*row_key).into()),
        }
    }

    /// `SEAL_VERSION || nonce || ciphertext || tag` of `plaintext` for row `key` of `table`.
    pub(crate) fn seal<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        table: Table,
        key: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, StoreError> {
        self.seal_with(rng, table, key, plaintext.len(), |out| out.put(plaintext))
    }

    /// [`seal`](Self::seal) of the `len` bytes `write` puts into a [`RowWriter`], encrypted
    /// where they are written: the plaintext is never copied, and the buffer is allocated once
    /// at its final size, so no plaintext is left behind in a freed reallocation. A writer that
    /// puts more or fewer than `len` bytes is refused, and the buffer is wiped.
    pub(crate) fn seal_with<R: CryptoRng + ?Sized>(
        &self,
        rng: &mut R,
        table: Table,
        key: &[u8],
        len: usize,
        write: impl FnOnce(&mut RowWriter<'_>),
    ) -> Result<Vec<u8>, StoreError> {
        let mut nonce = [0u8; NONCE_LEN];
        rng.fill_bytes(&mut nonce);
        let mut out = vec![0u8; SEAL_OVERHEAD + len];
        out[0] = SEAL_VERSION;
        let (head, rest) = out.split_at_mut(1 + NONCE_LEN);
        head[1..].copy_from_slice(&nonce);
        let (body, tag_out) = rest.split_at_mut(len);
        let mut writer = RowWriter {
            buf: body,
            at: 0,
            overflow: false,
        };
        write(&mut writer);
        if writer.overflow || writer.at != len {
            out.zeroize();
            return Err(StoreError::Io("sealed value of unexpected length".into()));
        }
        let sealed =
            self.cipher
                .encrypt_inout_detached((&nonce).into(), &row_ad(table, key), body.into());
        match sealed {
            Ok(tag) => {
                tag_out.copy_from_slice(&tag);
                Ok(out)
            }
            Err(_) => {
                out.zeroize();
                Err(StoreError::Io("row too large to seal".into()))
            }
        }
    }

    /// The plaintext of a row sealed by [`seal`](Self::seal) for the same table and key.
    /// Anything else (another row's value, a flipped bit, a truncated value, another store's
    /// row, another key) is [`StoreError::Corrupt`].
    pub(crate) fn open(
        &self,
        table: Table,
        key: &[u8],
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, StoreError> {
        if sealed.len() < SEAL_OVERHEAD || sealed[0] != SEAL_VERSION {
            return Err(StoreError::Corrupt);
        }
        let (head, tag) = sealed.split_at(sealed.len() - TAG_LEN);
        let (nonce, body) = head[1..].split_at(NONCE_LEN);
        let nonce: &[u8; NONCE_LEN] = nonce.try_into().map_err(|_| StoreError::Corrupt)?;
        let tag: &[u8; TAG_LEN] = tag.try_into().map_err(|_| StoreError::Corrupt)?;
        let mut out = Zeroizing::new(body.to_vec());
        self.cipher
            .decrypt_inout_detached(
                nonce.into(),
                &row_ad(table, key),
                out.as_mut_slice().into(),
                tag.into(),
            )
            .map_err(|_| StoreError::Corrupt)?;
        Ok(out)
    }
}

/// Where [`Sealer::seal_with`]'s writer puts a row's plaintext: a slice of fixed length, so a
/// write can never move the bytes already written. A write past the end is dropped and
/// remembered, and the seal refused.
pub(crate) struct RowWriter<'a> {
    buf: &'a mut [u8],
    at: usize,
    overflow: bool,
}

impl RowWriter<'_> {
    /// Appends `bytes`, or marks the row as overflowed if they do not fit.
    pub(crate) fn put(&mut self, bytes: &[u8]) {
        match self.buf.get_mut(self.at..self.at + bytes.len()) {
            Some(dst) => {
                dst.copy_from_slice(bytes);
                self.at += bytes.len();
            }
            None => self.overflow = true,
        }
    }
}

/// `LABEL_ROW_AD || SEAL_VERSION || u8(len(table name)) || table name || key`.
fn row_ad(table: Table, key: &[u8]) -> Vec<u8> {
    let name = table.name().as_bytes();
    let mut ad = Vec::with_capacity(LABEL_ROW_AD.len() + 2 + name.len() + key.len());
    ad.extend_from_slice(LABEL_ROW_AD);
    ad.push(SEAL_VERSION);
    // Table names are short ASCII constants.
    ad.push(name.len() as u8);
    ad.extend_from_slice(name);
    ad.extend_from_slice(key);
    ad
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sealer(key: u8, id: u8) -> Sealer {
        Sealer::new(&StorageKey::from_bytes([key; 32]), &[id; STORE_ID_LEN])
    }

    #[test]
    fn opens_only_its_own_row() {
        let rng = &mut rand::rng();
        let s = sealer(1, 1);
        let row = s.seal(rng, Table::Sessions, b"bob.1", b"secret").unwrap();
        assert_eq!(row.len(), 6 + SEAL_OVERHEAD);
        assert_eq!(
            &**s.open(Table::Sessions, b"bob.1", &row).unwrap(),
            b"secret"
        );
        let empty = s.seal(rng, Table::Meta, b"", b"").unwrap();
        assert_eq!(empty.len(), SEAL_OVERHEAD);
        assert_eq!(&**s.open(Table::Meta, b"", &empty).unwrap(), b"");
        let corrupt = Err(StoreError::Corrupt);
        assert_eq!(s.open(Table::Sessions, b"bob.2", &row), corrupt);
        assert_eq!(s.open(Table::Identities, b"bob.1", &row), corrupt);
        assert_eq!(sealer(2, 1).open(Table::Sessions, b"bob.1", &row), corrupt);
        assert_eq!(sealer(1, 2).open(Table::Sessions, b"bob.1", &row), corrupt);
        for i in 0..row.len() {
            let mut bad = row.clone();
            bad[i] ^= 0x01;
            assert_eq!(s.open(Table::Sessions, b"bob.1", &bad), corrupt, "byte {i}");
        }
        for n in 0..row.len() {
            assert_eq!(
                s.open(Table::Sessions, b"bob.1", &row[..n]),
                corrupt,
                "len {n}"
            );
        }
    }

    #[test]
    fn seal_with_refuses_a_writer_that_misses_its_length() {
        let rng = &mut rand::rng();
        let s = sealer(1, 1);
        let row = s
            .seal_with(rng, Table::Sessions, b"bob.1", 6, |out| {
                out.put(b"sec");
                out.put(b"ret");
            })
            .unwrap();
        assert_eq!(
            &**s.open(Table::Sessions, b"bob.1", &row).unwrap(),
            b"secret"
        );
        for wrong in [5, 7] {
            assert!(matches!(
                s.seal_with(rng, Table::Sessions, b"bob.1", wrong, |out| out
                    .put(b"secret")),
                Err(StoreError::Io(_))
            ));
        }
    }

    #[test]
    fn debug_shows_a_short_id_only() {
        let key = StorageKey::from_bytes([0xab; 32]);
        let shown = format!("{key:?}");
        assert!(shown.starts_with("StorageKey(id "), "{shown}");
        assert!(!shown.contains("abab"), "{shown}");
        assert_ne!(shown, format!("{:?}", StorageKey::from_bytes([0xac; 32])));
    }
}
