//! The structural pass over encoded content, before prost decodes it (SPEC.md 9.3).
//!
//! prost alone would accept two things SPEC.md rejects, and allocate before a bound applies:
//!
//! - it truncates a `uint32` (or enum) varint wider than 32 bits to its low bits, so
//!   `chunk_size = 2^32 + 1024` would read as 1024;
//! - it allocates a 24-byte `Vec` for every `message_ids` entry (2 bytes on the wire), growing
//!   the list by doubling, about 26 times the input before the receipt bound is checked.
//!
//! This pass walks the input once against the schema of `proto/crosswire.proto`, allocating
//! nothing. It rejects every fault of protobuf structure prost would reject, and the two above,
//! as [`ContentError::Malformed`], anywhere in the input; then, and only then, more than
//! [`MAX_RECEIPT_IDS`] receipt ids in total as [`ContentError::InvalidReceipt`].

use super::MAX_RECEIPT_IDS;
use crate::error::ContentError;

/// What a known field holds, as far as its wire form is concerned.
#[derive(Clone, Copy)]
enum Field {
    /// `bytes`: any length-delimited value.
    Bytes,
    /// `repeated bytes message_ids` of `Receipt`: counted.
    ReceiptId,
    /// `string`: length-delimited UTF-8.
    Str,
    /// `uint64`: any varint.
    U64,
    /// `bool`: any varint, nonzero is true.
    Bool,
    /// `uint32`: a varint below 2^32.
    U32,
    /// An enum (`int32` on the wire): a varint that is a 32-bit value sign-extended to 64 bits.
    Enum,
    /// A nested message.
    Message(&'static [(u32, Field)]),
}

use Field::{Bool, Bytes, Enum, Message, ReceiptId, Str, U32, U64};

const TEXT: &[(u32, Field)] = &[(1, Str), (2, Enum)];
const POINTER: &[(u32, Field)] = &[
    (1, Enum),
    (2, Bytes),
    (3, Str),
    (4, U64),
    (5, U32),
    (6, Bytes),
    (7, Str),
    (8, U32),
    (9, U32),
    (10, U32),
    (11, Bytes),
    (12, Str),
    (13, Str),
];
const REPLY: &[(u32, Field)] = &[(1, Bytes), (2, Message(TEXT)), (3, Message(POINTER))];
const REACTION: &[(u32, Field)] = &[(1, Bytes), (2, Str), (3, Bool)];
const EDIT: &[(u32, Field)] = &[(1, Bytes), (2, Message(TEXT))];
const DELETE: &[(u32, Field)] = &[(1, Bytes)];
const RECEIPT: &[(u32, Field)] = &[(1, Enum), (2, ReceiptId)];
const CONTENT: &[(u32, Field)] = &[
    (1, Bytes),
    (2, U64),
    (3, Message(TEXT)),
    (4, Message(POINTER)),
    (5, Message(REPLY)),
    (6, Message(REACTION)),
    (7, Message(EDIT)),
    (8, Message(DELETE)),
    (9, Message(RECEIPT)),
];

/// Nesting budget of nested messages and groups, prost's recursion limit.
const DEPTH: u32 = 100;

const VARINT: u8 = 0;
const FIXED64: u8 = 1;
const LENGTH_DELIMITED: u8 = 2;
const START_GROUP: u8 = 3;
const END_GROUP: u8 = 4;
const FIXED32: u8 = 5;

/// Checks encoded `Content` (SPEC.md 9.3, "Structure"), allocating nothing.
pub(crate) fn scan(encoded: &[u8]) -> Result<(), ContentError> {
    let mut receipt_ids = 0usize;
    let mut reader = Reader(encoded);
    message(&mut reader, CONTENT, DEPTH, &mut receipt_ids).ok_or(ContentError::Malformed)?;
    if receipt_ids > MAX_RECEIPT_IDS {
        return Err(ContentError::InvalidReceipt);
    }
    Ok(())
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// A varint as prost reads it: at most 10 bytes, the tenth at most 1.
    fn varint(&mut self) -> Option<u64> {
        let mut value = 0u64;
        for i in 0..10 {
            let (&byte, rest) = self.0.split_first()?;
            self.0 = rest;
            if i == 9 && byte > 1 {
                return None;
            }
            value |= u64::from(byte & 0x7f) << (7 * i);
            if byte < 0x80 {
                return Some(value);
            }
        }
        None
    }

    fn take(&mut self, len: u64) -> Option<&'a [u8]> {
        let len = usize::try_from(len).ok()?;
        let (head, rest) = self.0.split_at_checked(len)?;
        self.0 = rest;
        Some(head)
    }

    /// A field key: field number and wire type.
    fn key(&mut self) -> Option<(u32, u8)> {
        let key = u32::try_from(self.varint()?).ok()?;
        let number = key >> 3;
        (number != 0).then_some((number, (key & 7) as u8))
    }
}

/// Scans fields until the reader is empty; `None` on any structural fault.
fn message(
    reader: &mut Reader<'_>,
    schema: &[(u32, Field)],
    depth: u32,
    receipt_ids: &mut usize,
) -> Option<()> {
    while !reader.0.is_empty() {
        let (number, wire) = reader.key()?;
        match schema.iter().find(|(n, _)| *n == number) {
            Some(&(_, field)) => known(reader, field, wire, depth, receipt_ids)?,
            None => skip(reader, number, wire, depth)?,
        }
    }
    Some(())
}

fn known(
    reader: &mut Reader<'_>,
    field: Field,
    wire: u8,
    depth: u32,
    receipt_ids: &mut usize,
) -> Option<()> {
    match field {
        U64 | Bool | U32 | Enum => {
            if wire != VARINT {
                return None;
            }
            let value = reader.varint()?;
            let fits = match field {
                U32 => value <= u64::from(u32::MAX),
                Enum => i32::try_from(value as i64).is_ok(),
                _ => true,
            };
            fits.then_some(())
        }
        Bytes | ReceiptId | Str | Message(_) => {
            if wire != LENGTH_DELIMITED {
                return None;
            }
            let len = reader.varint()?;
            let value = reader.take(len)?;
            match field {
                Str => core::str::from_utf8(value).ok().map(|_| ()),
                ReceiptId => {
                    *receipt_ids = receipt_ids.saturating_add(1);
                    Some(())
                }
                Message(schema) => {
                    let depth = depth.checked_sub(1)?;
                    message(&mut Reader(value), schema, depth, receipt_ids)
                }
                _ => Some(()),
            }
        }
    }
}

/// Skips an unknown field as prost does, groups included.
fn skip(reader: &mut Reader<'_>, number: u32, wire: u8, depth: u32) -> Option<()> {
    let depth = depth.checked_sub(1)?;
    match wire {
        VARINT => reader.varint().map(|_| ()),
        FIXED64 => reader.take(8).map(|_| ()),
        FIXED32 => reader.take(4).map(|_| ()),
        LENGTH_DELIMITED => {
            let len = reader.varint()?;
            reader.take(len).map(|_| ())
        }
        START_GROUP => loop {
            let (inner, inner_wire) = reader.key()?;
            if inner_wire == END_GROUP {
                return (inner == number).then_some(());
            }
            skip(reader, inner, inner_wire, depth)?;
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn varint(mut v: u64) -> Vec<u8> {
        let mut out = Vec::new();
        while v >= 0x80 {
            out.push(v as u8 | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
        out
    }

    fn field(number: u32, wire: u8, body: &[u8]) -> Vec<u8> {
        let mut out = varint(u64::from(number << 3 | u32::from(wire)));
        if wire == LENGTH_DELIMITED {
            out.extend(varint(body.len() as u64));
        }
        out.extend_from_slice(body);
        out
    }

    /// Whether prost decodes `input` as `Content`: the structural rules must agree with it.
    fn decodes(input: &[u8]) -> bool {
        use prost::Message;
        crate::proto::Content::decode(input).is_ok()
    }

    fn pointer_with(extra: &[u8]) -> Vec<u8> {
        field(4, LENGTH_DELIMITED, extra)
    }

    #[test]
    fn integer_widths() {
        for (value, ok) in [
            (0, true),
            (u64::from(u32::MAX), true),
            (1 << 32, false),
            (u64::MAX, false),
        ] {
            let chunk_size = field(5, VARINT, &varint(value));
            assert_eq!(
                scan(&pointer_with(&chunk_size)).is_ok(),
                ok,
                "uint32 {value}"
            );
        }
        for (value, ok) in [
            (0, true),
            (i32::MAX as u64, true),
            (1 << 31, false),
            (u64::from(u32::MAX), false),
            (1 << 32, false),
            (-1i64 as u64, true),
            (i64::from(i32::MIN) as u64, true),
            ((i64::from(i32::MIN) - 1) as u64, false),
        ] {
            let kind = field(1, VARINT, &varint(value));
            assert_eq!(scan(&pointer_with(&kind)).is_ok(), ok, "enum {value:#x}");
        }
        // uint64 and bool take any varint; an eleventh byte, or a tenth above 1, is not one.
        assert!(scan(&field(2, VARINT, &varint(u64::MAX))).is_ok());
        let mut too_wide = varint(u64::MAX);
        *too_wide.last_mut().unwrap() = 2;
        assert_eq!(
            scan(&field(2, VARINT, &too_wide)),
            Err(ContentError::Malformed)
        );
        let reaction = field(3, VARINT, &varint(u64::MAX));
        assert!(scan(&field(6, LENGTH_DELIMITED, &reaction)).is_ok());
    }

    #[test]
    fn structure_faults() {
        let bad: [(&str, Vec<u8>); 9] = [
            ("known field, wrong wire type", field(1, VARINT, &[1])),
            (
                "nested known field, wrong wire type",
                pointer_with(&field(2, VARINT, &[1])),
            ),
            ("field number 0", vec![0x02, 0x00]),
            ("wire type 6", vec![0xa6, 0x01]),
            ("end group outside a group", vec![0x7c]),
            ("group closed by another number", vec![0x7b, 0x84, 0x01]),
            ("length past the end", vec![0x0a, 0x05, 0x00]),
            (
                "invalid UTF-8",
                field(3, LENGTH_DELIMITED, &field(1, 2, &[0xff])),
            ),
            ("key wider than 32 bits", varint(1 << 35)),
        ];
        for (name, input) in bad {
            assert_eq!(scan(&input), Err(ContentError::Malformed), "{name}");
            assert!(!decodes(&input), "prost rejects {name} too");
        }
        // Unknown fields of every wire type are skipped, groups when properly closed.
        let unknown = [
            field(20, VARINT, &[0x01]),
            field(21, FIXED64, &[0; 8]),
            field(22, FIXED32, &[0; 4]),
            field(23, LENGTH_DELIMITED, b"x"),
            vec![0xc3, 0x01, 0x08, 0x01, 0xc4, 0x01],
        ]
        .concat();
        assert!(scan(&unknown).is_ok());
        // Groups nested past prost's recursion limit are refused.
        let nested = |n: usize| [[0xc3u8, 0x01].repeat(n), [0xc4u8, 0x01].repeat(n)].concat();
        assert!(scan(&nested(100)).is_ok());
        assert_eq!(scan(&nested(101)), Err(ContentError::Malformed));
        for input in [nested(100), nested(101), unknown] {
            assert_eq!(scan(&input).is_ok(), decodes(&input), "as prost");
        }
    }

    #[test]
    fn receipt_ids_are_counted_before_decoding() {
        let receipt = |n: usize| {
            field(
                9,
                LENGTH_DELIMITED,
                &field(2, LENGTH_DELIMITED, b"").repeat(n),
            )
        };
        assert!(scan(&receipt(MAX_RECEIPT_IDS)).is_ok());
        assert_eq!(
            scan(&receipt(MAX_RECEIPT_IDS + 1)),
            Err(ContentError::InvalidReceipt)
        );
        // Across repeated receipt members, in total.
        let split = [receipt(MAX_RECEIPT_IDS), receipt(1)].concat();
        assert_eq!(scan(&split), Err(ContentError::InvalidReceipt));
        // A structural fault anywhere comes first.
        let both = [receipt(MAX_RECEIPT_IDS + 1), vec![0x0e]].concat();
        assert_eq!(scan(&both), Err(ContentError::Malformed));
    }
}
