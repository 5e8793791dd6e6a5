//! The native baseline of the binding-overhead benchmark (BENCHMARKS.md): µs per message
//! (encrypt 256 bytes, then decrypt), through the core directly. bindings/bench/run.sh runs it
//! next to the same loop in Python and in wasm.

use std::time::Instant;

use crosswire::{
    IdentityKeyPair, OneTimePreKey, OneTimePreKeyId, PreKeyBundle, Session, SignedPreKey,
    SignedPreKeyId,
};

fn main() -> Result<(), crosswire::Error> {
    let n: u32 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(20_000);
    let rng = &mut rand::rng();
    let alice_id = IdentityKeyPair::generate(rng);
    let bob_id = IdentityKeyPair::generate(rng);
    let spk = SignedPreKey::generate(rng, &bob_id, SignedPreKeyId(1));
    let opk = OneTimePreKey::generate(rng, OneTimePreKeyId(1));
    let bundle = PreKeyBundle::new(&bob_id, &spk, Some(&opk)).map_err(crosswire::Error::Bundle)?;
    let mut alice = Session::initiate_with(
        rng,
        &alice_id,
        &bundle,
        b"",
        crosswire::PostQuantum::Allowed,
    )?;
    let first = alice.encrypt(rng, b"hi")?;
    let crosswire::Envelope::PreKey(p) = &first else {
        return Err(crosswire::Error::Decrypt(
            crosswire::DecryptError::UnexpectedMessageType,
        ));
    };
    let (mut bob, _) = Session::respond(&bob_id, &spk, Some(&opk), p, b"")?;
    alice.decrypt(&bob.encrypt(rng, b"hello")?)?;
    let message = [0x42u8; 256];

    let start = Instant::now();
    for _ in 0..n {
        // Bytes in and bytes out, as every binding does.
        let envelope = alice.encrypt(rng, &message)?.to_bytes();
        let parsed = crosswire::Envelope::from_bytes(&envelope).map_err(crosswire::Error::Wire)?;
        let plaintext = bob.decrypt(&parsed)?;
        assert_eq!(plaintext.len(), message.len());
    }
    let per = start.elapsed().as_secs_f64() * 1e6 / f64::from(n);
    println!("native: {per:.2} us/message (encrypt + decrypt, 256 B, {n} messages)");
    Ok(())
}
