//! Padding of encoded content before encryption (SPEC.md, content padding).
//!
//! ISO/IEC 7816-4 padding to a multiple of [`PADDING_BUCKET`] bytes: append one 0x80 byte, then
//! zero bytes up to the next multiple. Always at least one byte of padding, at most a whole
//! bucket, so the scheme is unambiguous: the content ends right before the last nonzero byte,
//! which must be 0x80 within the final bucket.
//!
//! 160 bytes is Signal's bucket: a short text and a long one of the same bucket encrypt to the
//! same length, while a typical message grows by 80 bytes on average.

use crate::error::ContentError;

/// Padded content is a multiple of this many bytes.
pub const PADDING_BUCKET: usize = 160;

/// The padded length of `len` bytes of content: the next multiple of [`PADDING_BUCKET`] strictly
/// above `len`.
pub(crate) fn padded_len(len: usize) -> usize {
    (len / PADDING_BUCKET + 1) * PADDING_BUCKET
}

/// Appends the padding to `buf`, which holds the encoded content.
pub(crate) fn pad(buf: &mut Vec<u8>) {
    let target = padded_len(buf.len());
    buf.push(0x80);
    buf.resize(target, 0);
}

/// Returns the content inside padded bytes, or [`ContentError::BadPadding`].
pub(crate) fn unpad(padded: &[u8]) -> Result<&[u8], ContentError> {
    if padded.is_empty() || !padded.len().is_multiple_of(PADDING_BUCKET) {
        return Err(ContentError::BadPadding);
    }
    let bucket_start = padded.len() - PADDING_BUCKET;
    let marker = padded[bucket_start..]
        .iter()
        .rposition(|&b| b != 0)
        .map(|i| bucket_start + i)
        .ok_or(ContentError::BadPadding)?;
    if padded[marker] != 0x80 {
        return Err(ContentError::BadPadding);
    }
    Ok(&padded[..marker])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_at_bucket_boundaries() {
        for (len, padded) in [
            (0, 160),
            (1, 160),
            (159, 160),
            (160, 320),
            (161, 320),
            (319, 320),
        ] {
            let mut buf = vec![0xaa; len];
            pad(&mut buf);
            assert_eq!(buf.len(), padded, "content length {len}");
            assert_eq!(buf[len], 0x80);
            assert!(buf[len + 1..].iter().all(|&b| b == 0));
            assert_eq!(unpad(&buf).unwrap(), vec![0xaa; len].as_slice());
        }
    }

    #[test]
    fn content_ending_in_marker_or_zero_bytes_round_trips() {
        for tail in [[0x80u8, 0x80], [0x00, 0x00], [0x80, 0x00], [0x00, 0x80]] {
            for len in [2, 158, 159, 160] {
                let mut content = vec![0x11; len];
                content[len - 2..].copy_from_slice(&tail);
                let mut buf = content.clone();
                pad(&mut buf);
                assert_eq!(unpad(&buf).unwrap(), content.as_slice());
            }
        }
    }

    #[test]
    fn rejects_malformed_padding() {
        let ok = {
            let mut b = b"hello".to_vec();
            pad(&mut b);
            b
        };
        // Not a positive multiple of the bucket.
        assert_eq!(unpad(&[]), Err(ContentError::BadPadding));
        assert_eq!(unpad(&ok[..159]), Err(ContentError::BadPadding));
        let mut long = ok.clone();
        long.push(0);
        assert_eq!(unpad(&long), Err(ContentError::BadPadding));
        // No marker at all: all zero.
        assert_eq!(unpad(&[0; 160]), Err(ContentError::BadPadding));
        // Wrong marker byte.
        let mut wrong = ok.clone();
        wrong[5] = 0x81;
        assert_eq!(unpad(&wrong), Err(ContentError::BadPadding));
        // A nonzero byte after the marker.
        let mut dirty = ok.clone();
        dirty[159] = 1;
        assert_eq!(unpad(&dirty), Err(ContentError::BadPadding));
        // Marker more than a bucket from the end: the padding is not minimal.
        let mut overlong = b"hello".to_vec();
        overlong.push(0x80);
        overlong.resize(320, 0);
        assert_eq!(unpad(&overlong), Err(ContentError::BadPadding));
        // The same marker within the last bucket is fine.
        overlong.truncate(160);
        assert_eq!(unpad(&overlong).unwrap(), b"hello");
    }
}
