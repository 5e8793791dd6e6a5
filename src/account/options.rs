//! What an account is configured with: its clock and its prekey and session policies
//! (SPEC.md 14.4, 14.5).

use core::fmt;
use std::sync::Arc;

use crate::session::PostQuantum;

#[cfg(doc)]
use super::Account;

pub(super) const DAY: u64 = 24 * 60 * 60;

/// Where an account reads the time: seconds since the Unix epoch. Injected so that tests (and
/// applications with a trusted time source) control it.
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> u64 + Send + Sync>);

impl Clock {
    /// The system clock (0 if it reads before 1970).
    pub fn system() -> Self {
        Clock(Arc::new(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_secs())
        }))
    }

    /// A clock that calls `now`.
    pub fn from_fn(now: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    /// The current time, in seconds.
    pub fn now(&self) -> u64 {
        (self.0)()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}

/// The tunables of an account. Start from [`Options::default`] and change fields.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Options {
    /// How many one-time prekeys to hold after replenishing. Default 100.
    pub one_time_prekeys: u32,
    /// [`Account::maintain`] replenishes when fewer than this many are left. Default 25.
    pub replenish_below: u32,
    /// Age (seconds) at which [`Account::maintain`] replaces the signed prekey. Default 7 days.
    pub signed_prekey_rotation: u64,
    /// How long (seconds) a replaced signed prekey still accepts first messages. Default 30
    /// days.
    pub signed_prekey_grace: u64,
    /// Age (seconds) after which a session we started that never got a reply is no longer used
    /// to send: the next message needs a fresh bundle. Default 30 days.
    pub unacknowledged_session_lifetime: u64,
    /// How many one-time KEM prekeys (PQXDH) to hold after replenishing. Default 100.
    pub one_time_kem_prekeys: u32,
    /// [`Account::maintain`] replenishes one-time KEM prekeys when fewer than this many are
    /// left. Default 25.
    pub replenish_kem_below: u32,
    /// Whether sessions may be set up classically (X3DH, no KEM prekey): with a bundle that
    /// carries no KEM prekey, and from a first message that names none. Default
    /// [`PostQuantum::Required`]: both are refused. Set [`PostQuantum::Allowed`] to talk to
    /// peers that publish classical bundles. Sessions with bundles that carry a KEM prekey use
    /// PQXDH either way.
    pub post_quantum: PostQuantum,
    /// The time source. Default [`Clock::system`].
    pub clock: Clock,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            one_time_prekeys: 100,
            replenish_below: 25,
            signed_prekey_rotation: 7 * DAY,
            signed_prekey_grace: 30 * DAY,
            unacknowledged_session_lifetime: 30 * DAY,
            one_time_kem_prekeys: 100,
            replenish_kem_below: 25,
            post_quantum: PostQuantum::Required,
            clock: Clock::system(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_names_the_clock() {
        let clock = Clock::from_fn(|| 1_700_000_000);
        assert_eq!(clock.now(), 1_700_000_000);
        assert_eq!(format!("{clock:?}"), "Clock");
        let options = Options {
            clock,
            ..Options::default()
        };
        assert!(format!("{options:?}").ends_with(", clock: Clock }"));
    }
}
