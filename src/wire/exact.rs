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
