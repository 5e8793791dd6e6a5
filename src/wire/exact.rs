//! Canonical protobuf decoding: the bytes must be the re-encoding of what they decode to.

use prost::Message;

/// Decodes `bytes` as `M` and requires them to be the canonical encoding of what they decode to.
///
/// prost skips unknown fields, lets a later field overwrite an earlier one, accepts fields in any
/// order and truncates over-wide varints into `u32` fields, so a plain decode would accept many
/// byte strings for one message. Re-encoding and comparing rejects all of them; the length test
/// first makes the common rejections free.
pub(crate) fn decode_exact<M: Message + Default>(bytes: &[u8]) -> Option<M> {
    let message = M::decode(bytes).ok()?;
    if message.encoded_len() != bytes.len() {
        return None;
    }
    (message.encode_to_vec() == bytes).then_some(message)
}

/// [`decode_exact`] for messages holding secrets (session states): nothing it allocates is
/// freed unwiped. prost copies every `bytes` field through a temporary buffer
/// ([`prost::bytes::Buf::copy_to_bytes`]), which [`WipingBuf`] makes a zeroizing one; a message
/// that is rejected, even half decoded, is passed to `wipe` before it is dropped; and the
/// canonical re-encoding is wiped.
pub(crate) fn decode_exact_secret<M: Message + Default>(
    bytes: &[u8],
    wipe: fn(&mut M),
) -> Option<M> {
    let mut message = M::default();
    let decoded = message.merge(WipingBuf(bytes)).is_ok()
        && message.encoded_len() == bytes.len()
        && zeroize::Zeroizing::new(message.encode_to_vec()).as_slice() == bytes;
    if decoded {
        Some(message)
    } else {
        wipe(&mut message);
        None
    }
}

/// A byte slice as a [`prost::bytes::Buf`] whose copies are wiped when dropped.
struct WipingBuf<'a>(&'a [u8]);

impl prost::bytes::Buf for WipingBuf<'_> {
    fn remaining(&self) -> usize {
        self.0.len()
    }

    fn chunk(&self) -> &[u8] {
        self.0
    }

    fn advance(&mut self, cnt: usize) {
        self.0 = self.0.get(cnt..).unwrap_or_default();
    }

    fn copy_to_bytes(&mut self, len: usize) -> prost::bytes::Bytes {
        // prost checks `len` against `remaining` first; a short slice is copied short rather
        // than panicking.
        let len = len.min(self.0.len());
        let (head, tail) = self.0.split_at(len);
        self.0 = tail;
        prost::bytes::Bytes::from_owner(zeroize::Zeroizing::new(head.to_vec()))
    }
}

#[cfg(test)]
mod tests {
    use core::sync::atomic::{AtomicUsize, Ordering};

    use prost::Message;

    use super::*;
    use crate::proto::RatchetMessage;

    /// How often `wipe` ran; only `same_length_non_canonical_encodings_are_refused` calls it.
    static WIPED: AtomicUsize = AtomicUsize::new(0);

    fn wipe(m: &mut RatchetMessage) {
        zeroize::Zeroize::zeroize(&mut m.ciphertext);
        WIPED.fetch_add(1, Ordering::SeqCst);
    }

    /// The fields of a message in another order have the canonical encoding's length, so the
    /// length check lets them through and only comparing the bytes refuses them. Both decoders
    /// must refuse, and the secret one must wipe what it half decoded.
    #[test]
    fn same_length_non_canonical_encodings_are_refused() {
        let message = RatchetMessage {
            ratchet_key: vec![9; 32],
            previous_counter: 3,
            counter: 300,
            salt: vec![5; 16],
            ciphertext: vec![1; 40],
        };
        let canonical = message.encode_to_vec();
        // Field 1 (the ratchet key: key byte, length byte, 32 bytes) moved to the end.
        assert_eq!(canonical[..2], [0x0a, 32]);
        let mut reordered = canonical[34..].to_vec();
        reordered.extend_from_slice(&canonical[..34]);
        assert_eq!(
            RatchetMessage::decode(&reordered[..]).as_ref(),
            Ok(&message)
        );

        assert_eq!(decode_exact(&canonical).as_ref(), Some(&message));
        assert_eq!(decode_exact::<RatchetMessage>(&reordered), None);
        assert_eq!(
            decode_exact_secret(&canonical, wipe).as_ref(),
            Some(&message)
        );
        assert_eq!(
            WIPED.load(Ordering::SeqCst),
            0,
            "an accepted message is kept"
        );
        assert_eq!(decode_exact_secret(&reordered, wipe), None);
        assert_eq!(
            WIPED.load(Ordering::SeqCst),
            1,
            "a refused message is wiped"
        );
    }
}
