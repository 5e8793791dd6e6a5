//! Where the module's randomness comes from.

use std::convert::Infallible;

use rand::rngs::ThreadRng;
use rand_core::{Rng, TryCryptoRng, TryRng};
use wasm_bindgen::prelude::*;

use crate::error::CrosswireError;

#[wasm_bindgen]
extern "C" {
    /// A JavaScript object with a method `fill(length)` returning a `Uint8Array` of exactly
    /// `length` bytes. Only for tests that replay recorded randomness: the bytes it returns
    /// become secret keys, so production code passes nothing and gets the platform CSPRNG.
    pub type RandomSource;

    #[wasm_bindgen(method)]
    fn fill(this: &RandomSource, length: u32) -> Vec<u8>;
}

/// The RNG handed to the core: the platform CSPRNG (rand's thread RNG, seeded and reseeded
/// from `crypto.getRandomValues` through getrandom `wasm_js`), or a caller's source.
pub(crate) enum Source<'a> {
    Platform(ThreadRng),
    Caller {
        source: &'a RandomSource,
        /// The first misbehaviour of the source, reported after the call: the core's RNG
        /// interface cannot fail.
        fault: Option<String>,
    },
}

impl TryRng for Source<'_> {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        match self {
            Source::Platform(rng) => rng.fill_bytes(dst),
            Source::Caller { source, fault } => {
                let got = u32::try_from(dst.len()).map(|n| source.fill(n));
                match got {
                    Ok(bytes) if bytes.len() == dst.len() => dst.copy_from_slice(&bytes),
                    Ok(bytes) => {
                        dst.fill(0);
                        fault.get_or_insert_with(|| {
                            format!(
                                "RandomSource.fill({}) returned {} bytes",
                                dst.len(),
                                bytes.len()
                            )
                        });
                    }
                    Err(_) => {
                        dst.fill(0);
                        fault.get_or_insert_with(|| "random request too large".to_owned());
                    }
                }
            }
        }
        Ok(())
    }
}

impl TryCryptoRng for Source<'_> {}

/// Runs `f` with the caller's source, or the platform's; a misbehaving caller source turns the
/// result into an error (whatever `f` computed from the zeros it got is dropped).
pub(crate) fn with_rng<T>(
    source: Option<RandomSource>,
    f: impl FnOnce(&mut Source<'_>) -> Result<T, CrosswireError>,
) -> Result<T, CrosswireError> {
    match &source {
        None => f(&mut Source::Platform(rand::rng())),
        Some(source) => {
            let mut rng = Source::Caller {
                source,
                fault: None,
            };
            let out = f(&mut rng);
            match rng {
                Source::Caller {
                    fault: Some(fault), ..
                } => Err(CrosswireError::new("InvalidArgument", &fault)),
                _ => out,
            }
        }
    }
}
