//! Shared by the integration tests: the checked-in prost code, and a forger that writes
//! authentic messages from a receiver's stored state (anyone holding the state can; the tests
//! use it to reach counters no honest sender emits).

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[allow(missing_docs, unreachable_pub, dead_code, clippy::all)]
pub(crate) mod proto {
    include!("../../src/proto/crosswire.v1.rs");
}

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit};
use crosswire::Envelope;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use prost::Message;
use sha2::Sha256;

fn hmac(key: &[u8], data: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(key).unwrap();
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// An authentic ratchet message on the receiver's current receiving chain (SPEC 5.3, 5.4, 6.4)
/// at position `counter` (at or after the chain's next position), with previous counter `pn`.
pub(crate) fn forge_on_receiving_chain(
    receiver: &proto::SessionState,
    pn: u32,
    counter: u32,
    plaintext: &[u8],
) -> Envelope {
    let chain = receiver.receiving.as_ref().expect("a receiving chain");
    let mut ck = chain.chain_key.clone();
    let mut position = chain.counter;
    while position < counter {
        ck = hmac(&ck, &[2]).to_vec();
        position += 1;
    }
    let seed = hmac(&ck, &[1]);
    let salt = [0x5a; 16];
    let mut okm = [0u8; 44];
    Hkdf::<Sha256>::new(Some(&salt), &seed)
        .expand(b"crosswire/v1/message", &mut okm)
        .unwrap();
    let mut aad = vec![1, 1];
    aad.extend_from_slice(&chain.ratchet_key);
    aad.extend_from_slice(&pn.to_be_bytes());
    aad.extend_from_slice(&counter.to_be_bytes());
    aad.extend_from_slice(&salt);
    aad.extend_from_slice(&receiver.associated_data);
    let key: [u8; 32] = okm[..32].try_into().unwrap();
    let nonce: [u8; 12] = okm[32..].try_into().unwrap();
    let mut ciphertext = plaintext.to_vec();
    let tag = Aes256Gcm::new(&key.into())
        .encrypt_inout_detached(&nonce.into(), &aad, ciphertext.as_mut_slice().into())
        .unwrap();
    ciphertext.extend_from_slice(&tag);
    let message = proto::RatchetMessage {
        ratchet_key: chain.ratchet_key.clone(),
        previous_counter: pn,
        counter,
        salt: salt.to_vec(),
        ciphertext,
    };
    let bytes = proto::Envelope {
        version: 1,
        body: Some(proto::envelope::Body::Ratchet(message)),
    }
    .encode_to_vec();
    Envelope::from_bytes(&bytes).unwrap()
}

/// Number of skipped entries in a decoded state of either version.
pub(crate) fn skipped_count(s: &proto::SessionState) -> usize {
    s.skipped.len()
        + s.skipped_runs
            .iter()
            .map(|r| r.counters.len())
            .sum::<usize>()
}
