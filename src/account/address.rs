//! Remote device addresses and their row-key form (SPEC.md 14.3).

use core::fmt;

use super::error::AccountError;

/// Longest user id, in bytes of UTF-8.
pub const MAX_USER_ID_LEN: usize = 255;

/// One device of one user: the unit a session, a trust record and an inbox entry belong to.
///
/// The user id is an opaque application string (for example a MIMI URI such as
/// `im:alice@example.org`): non-empty, at most [`MAX_USER_ID_LEN`] bytes of UTF-8. The device
/// id is the provider's number for the device.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceAddress {
    user: String,
    device: u32,
}

impl DeviceAddress {
    /// A validated address: [`AccountError::InvalidAddress`] if the user id is empty or longer
    /// than [`MAX_USER_ID_LEN`] bytes.
    pub fn new(user: impl Into<String>, device: u32) -> Result<Self, AccountError> {
        let user = user.into();
        check_user(&user)?;
        Ok(DeviceAddress { user, device })
    }

    /// The user id.
    pub fn user(&self) -> &str {
        &self.user
    }

    /// The device id.
    pub fn device(&self) -> u32 {
        self.device
    }

    /// `u8(len(user)) || user || u32be(device)`: the key of this device's rows, so that all
    /// devices of a user share the prefix [`user_prefix`].
    pub(crate) fn row_key(&self) -> Vec<u8> {
        let mut key = user_prefix(&self.user);
        key.extend_from_slice(&self.device.to_be_bytes());
        key
    }

    /// The inverse of [`row_key`](Self::row_key), exact: anything else is `None`.
    pub(crate) fn from_row_key(key: &[u8]) -> Option<Self> {
        let (&len, rest) = key.split_first()?;
        let len = usize::from(len);
        if rest.len() != len + 4 {
            return None;
        }
        let (user, device) = rest.split_at(len);
        let user = core::str::from_utf8(user).ok()?;
        check_user(user).ok()?;
        let device = u32::from_be_bytes(device.try_into().ok()?);
        Some(DeviceAddress {
            user: user.to_owned(),
            device,
        })
    }
}

/// `u8(len(user)) || user`: the row-key prefix shared by every device of `user`. Callers
/// validate `user` first, so the length fits in a byte.
pub(crate) fn user_prefix(user: &str) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + user.len() + 4);
    key.push(user.len().min(MAX_USER_ID_LEN) as u8);
    key.extend_from_slice(user.as_bytes());
    key
}

pub(crate) fn check_user(user: &str) -> Result<(), AccountError> {
    if user.is_empty() || user.len() > MAX_USER_ID_LEN {
        return Err(AccountError::InvalidAddress);
    }
    Ok(())
}

impl fmt::Debug for DeviceAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceAddress({:?}, {})", self.user, self.device)
    }
}

impl fmt::Display for DeviceAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.user, self.device)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_and_round_trips() {
        assert_eq!(DeviceAddress::new("", 1), Err(AccountError::InvalidAddress));
        let long = "é".repeat(128); // 256 bytes
        assert_eq!(
            DeviceAddress::new(long, 1),
            Err(AccountError::InvalidAddress)
        );
        let max = "x".repeat(MAX_USER_ID_LEN);
        let a = DeviceAddress::new(max, 0xfffe_fdfc).unwrap();
        let key = a.row_key();
        assert_eq!(key.len(), 1 + 255 + 4);
        assert_eq!(key[0], 255);
        assert_eq!(&key[256..], &[0xff, 0xfe, 0xfd, 0xfc]);
        assert_eq!(DeviceAddress::from_row_key(&key), Some(a));
        let b = DeviceAddress::new("bob", 7).unwrap();
        assert_eq!(b.row_key(), b"\x03bob\x00\x00\x00\x07");
        assert!(b.row_key().starts_with(&user_prefix("bob")));
        assert!(
            !DeviceAddress::new("bobby", 7)
                .unwrap()
                .row_key()
                .starts_with(&user_prefix("bob"))
        );
        for bad in [
            &b"\x03bob\x00\x00\x07"[..],
            b"\x03bob\x00\x00\x00\x07\x00",
            b"",
            b"\x00\0\0\0\0",
            b"\x02\xff\xfe\0\0\0\0",
        ] {
            assert_eq!(DeviceAddress::from_row_key(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn debug_and_display_name_the_user_and_device() {
        let a = DeviceAddress::new("im:bob@b.example", 7).unwrap();
        assert_eq!(format!("{a:?}"), r#"DeviceAddress("im:bob@b.example", 7)"#);
        assert_eq!(a.to_string(), "im:bob@b.example#7");
    }
}
