//! Protobuf encoding of the envelope's fields, as proto3 and prost write them: zero integers and
//! empty byte strings are left out, a present sub-message is written even when empty, and every
//! field number here is below 16, so each key is the single byte `field << 3 | wire type`.

/// Wire type of a length-delimited field (bytes, sub-message).
const LENGTH_DELIMITED: u8 = 2;

pub(super) fn varint_len(value: u64) -> usize {
    // Seven bits a byte; zero takes one byte.
    (70 - (value | 1).leading_zeros() as usize) / 7
}

pub(super) fn put_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value & 0x7f) as u8 | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

pub(super) fn uint32_len(value: u32) -> usize {
    if value == 0 {
        0
    } else {
        1 + varint_len(value.into())
    }
}

pub(super) fn put_uint32(out: &mut Vec<u8>, field: u8, value: u32) {
    if value != 0 {
        out.push(field << 3);
        put_varint(out, value.into());
    }
}

pub(super) fn bytes_len(len: usize) -> usize {
    if len == 0 { 0 } else { message_len(len) }
}

pub(super) fn put_bytes(out: &mut Vec<u8>, field: u8, bytes: &[u8]) {
    if !bytes.is_empty() {
        put_message_key(out, field, bytes.len());
        out.extend_from_slice(bytes);
    }
}

pub(super) fn message_len(len: usize) -> usize {
    1 + varint_len(len as u64) + len
}

/// The key and length of a length-delimited field; its contents follow.
pub(super) fn put_message_key(out: &mut Vec<u8>, field: u8, len: usize) {
    out.push(field << 3 | LENGTH_DELIMITED);
    put_varint(out, len as u64);
}
