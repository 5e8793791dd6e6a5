//! Decoding and encoding of whole envelopes.

use prost::Message;

use super::*;

fn sample() -> Envelope {
    Envelope::Ratchet(RatchetMessage {
        ratchet_key: PublicKey::from_bytes(&[9; 32]).unwrap(),
        previous_counter: 3,
        counter: 300,
        salt: [5; 16],
        ciphertext: vec![1; 40],
    })
}

/// The prost encoding of `envelope`, which `Envelope::to_bytes` must reproduce exactly.
fn prost_bytes(envelope: &Envelope) -> Vec<u8> {
    let body = match envelope {
        Envelope::PreKey(p) => proto::envelope::Body::Prekey(proto::PreKeyMessage {
            identity_key: p.fields.identity_key.as_bytes().to_vec(),
            base_key: p.fields.base_key.as_bytes().to_vec(),
            signed_prekey_id: p.fields.signed_prekey_id.0,
            one_time_prekey_id: p.fields.one_time_prekey_id.map(|id| id.0),
            message: Some(p.message.to_proto()),
            kem_prekey_id: p.fields.kem.map(|k| k.prekey_id.0),
            kem_ciphertext: p
                .kem_ciphertext
                .as_ref()
                .map(|ct| ct.as_bytes().to_vec())
                .unwrap_or_default(),
        }),
        Envelope::Ratchet(r) => proto::envelope::Body::Ratchet(r.to_proto()),
    };
    let version = match envelope {
        Envelope::PreKey(p) if p.kem_ciphertext.is_some() => PROTOCOL_VERSION_PQ,
        _ => PROTOCOL_VERSION,
    };
    proto::Envelope {
        version,
        body: Some(body),
    }
    .encode_to_vec()
}

#[test]
fn encoding_equals_prost() {
    let identity_key = IdentityKey::from_bytes(
        &hex::decode("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
            .unwrap()
            .try_into()
            .unwrap(),
    )
    .unwrap();
    let counters = [
        0,
        1,
        127,
        128,
        16_383,
        16_384,
        1 << 28,
        u32::MAX - 1,
        u32::MAX,
    ];
    let mut checked = 0;
    for (i, len) in [
        16usize,
        127,
        128,
        16_383,
        16_384,
        MAX_PLAINTEXT_LEN + TAG_LEN,
    ]
    .into_iter()
    .enumerate()
    {
        for (j, &counter) in counters.iter().enumerate() {
            let message = RatchetMessage {
                ratchet_key: PublicKey::from_bytes(&[9; 32]).unwrap(),
                previous_counter: counters[(i + j) % counters.len()],
                counter,
                salt: [5; 16],
                ciphertext: vec![i as u8; len],
            };
            let ids = [None, Some(0), Some(1), Some(300), Some(u32::MAX)];
            let prekey = |kem: Option<u32>| {
                let ct = kem.map(|_| KemCiphertext::from_bytes(&[j as u8; 1568]).unwrap());
                Envelope::PreKey(Box::new(PreKeyMessage {
                    fields: PreKeyFields {
                        identity_key,
                        base_key: PublicKey::from_bytes(&[7; 32]).unwrap(),
                        signed_prekey_id: SignedPreKeyId(counters[(i * 3 + j) % counters.len()]),
                        one_time_prekey_id: ids[j % ids.len()].map(OneTimePreKeyId),
                        kem: kem.zip(ct.as_ref()).map(|(id, ct)| KemFields {
                            prekey_id: KemPreKeyId(id),
                            ciphertext_hash: ct.hash(),
                        }),
                    },
                    kem_ciphertext: ct,
                    message: message.clone(),
                }))
            };
            let pq = prekey(Some(counters[(i + j) % counters.len()]));
            for envelope in [Envelope::Ratchet(message.clone()), prekey(None), pq] {
                let bytes = envelope.to_bytes();
                assert_eq!(bytes, prost_bytes(&envelope));
                assert_eq!(Envelope::from_bytes(&bytes).as_ref(), Ok(&envelope));
                assert_eq!(bytes.len(), bytes.capacity());
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 162);
}

/// A prekey message around `sample()`'s ratchet message, PQXDH (with KEM prekey id 77) or
/// classical.
fn prekey_sample(pq: bool) -> (Envelope, IdentityKey) {
    let ct = pq.then(|| KemCiphertext::from_bytes(&[3; 1568]).unwrap());
    let identity_key = *crate::IdentityKeyPair::from_seed(&[1; 32]).public();
    let envelope = Envelope::PreKey(Box::new(PreKeyMessage {
        fields: PreKeyFields {
            identity_key,
            base_key: PublicKey::from_bytes(&[7; 32]).unwrap(),
            signed_prekey_id: SignedPreKeyId(21),
            one_time_prekey_id: Some(OneTimePreKeyId(300)),
            kem: ct.as_ref().map(|ct| KemFields {
                prekey_id: KemPreKeyId(77),
                ciphertext_hash: ct.hash(),
            }),
        },
        kem_ciphertext: ct,
        message: match sample() {
            Envelope::Ratchet(r) => r,
            Envelope::PreKey(_) => unreachable!(),
        },
    }));
    (envelope, identity_key)
}

/// The public accessors report the decoded fields (the ids a responder looks its prekeys up
/// by, and the counter).
#[test]
fn accessors_return_the_decoded_fields() {
    let (envelope, identity_key) = prekey_sample(true);
    let decoded = Envelope::from_bytes(&envelope.to_bytes()).unwrap();
    let Envelope::PreKey(p) = &decoded else {
        panic!("a prekey message")
    };
    assert_eq!(p.identity_key(), &identity_key);
    assert_eq!(p.signed_prekey_id(), SignedPreKeyId(21));
    assert_eq!(p.one_time_prekey_id(), Some(OneTimePreKeyId(300)));
    assert_eq!(p.base_key().as_bytes(), &[7; 32]);
    assert_eq!(p.kem_prekey_id(), Some(KemPreKeyId(77)));
    let r = decoded.ratchet_message();
    assert_eq!(r.counter(), 300);
    assert_eq!(r.ratchet_key().as_bytes(), &[9; 32]);
}

/// The version says whether the KEM fields are there (SPEC.md 6.3): a version 1 prekey
/// message with them, or a version 2 one without them, is malformed.
#[test]
fn prekey_version_and_kem_fields_agree() {
    let with_version = |pq: bool, version: u32| {
        let mut m = proto::Envelope::decode(&prekey_sample(pq).0.to_bytes()[..]).unwrap();
        m.version = version;
        Envelope::from_bytes(&m.encode_to_vec())
    };
    assert!(with_version(true, PROTOCOL_VERSION_PQ).is_ok());
    assert_eq!(
        with_version(true, PROTOCOL_VERSION),
        Err(WireError::Malformed)
    );
    assert!(with_version(false, PROTOCOL_VERSION).is_ok());
    assert_eq!(
        with_version(false, PROTOCOL_VERSION_PQ),
        Err(WireError::Malformed)
    );
}

/// The length bound is exact: a blob of `MAX_ENVELOPE_LEN` bytes is decoded (and here
/// malformed), one byte more is refused unread.
#[test]
fn envelope_length_bound_is_exact() {
    assert_eq!(
        Envelope::from_bytes(&vec![0; MAX_ENVELOPE_LEN]),
        Err(WireError::Malformed)
    );
    assert_eq!(
        Envelope::from_bytes(&vec![0; MAX_ENVELOPE_LEN + 1]),
        Err(WireError::TooLarge)
    );
}

#[test]
fn round_trip() {
    let env = sample();
    assert_eq!(Envelope::from_bytes(&env.to_bytes()).unwrap(), env);
}

#[test]
fn rejects_trailing_unknown_and_repeated_fields() {
    let bytes = sample().to_bytes();
    let mut trailing = bytes.clone();
    trailing.push(0);
    assert_eq!(Envelope::from_bytes(&trailing), Err(WireError::Malformed));
    // An unknown varint field 15 appended.
    let mut unknown = bytes.clone();
    unknown.extend_from_slice(&[0x78, 0x01]);
    assert_eq!(Envelope::from_bytes(&unknown), Err(WireError::Malformed));
    // The version field repeated.
    let mut repeated = bytes.clone();
    repeated.extend_from_slice(&[0x08, 0x01]);
    assert_eq!(Envelope::from_bytes(&repeated), Err(WireError::Malformed));
    // A non-minimal varint for version 1: 0x81 0x00.
    let mut long_varint = vec![0x08, 0x81, 0x00];
    long_varint.extend_from_slice(&bytes[2..]);
    assert_eq!(
        Envelope::from_bytes(&long_varint),
        Err(WireError::Malformed)
    ); // The same fields in another order: body (field 3) before version (field 1).
    assert_eq!(bytes[..2], [0x08, 0x01]);
    let mut reordered = bytes[2..].to_vec();
    reordered.extend_from_slice(&bytes[..2]);
    assert_eq!(Envelope::from_bytes(&reordered), Err(WireError::Malformed));
}

#[test]
fn rejects_same_length_over_wide_varint() {
    // counter = 2^28 takes five varint bytes, and so does 2^32 + 2^28, which prost truncates
    // to 2^28 for a uint32 field: only comparing bytes tells the two apart.
    let Envelope::Ratchet(mut m) = sample() else {
        unreachable!()
    };
    m.counter = 1 << 28;
    let good = Envelope::Ratchet(m).to_bytes();
    let field = [0x18, 0x80, 0x80, 0x80, 0x80, 0x01];
    let at = good.windows(6).position(|w| w == field).unwrap();
    let mut wide = good.clone();
    wide[at + 5] = 0x11; // bit 32 set as well
    assert!(Envelope::from_bytes(&good).is_ok());
    assert_eq!(Envelope::from_bytes(&wide), Err(WireError::Malformed));
}

#[test]
fn rejects_versions_sizes_and_bad_fields() {
    let mut v2 = proto::Envelope::decode(&sample().to_bytes()[..]).unwrap();
    v2.version = 3;
    assert_eq!(
        Envelope::from_bytes(&v2.encode_to_vec()),
        Err(WireError::UnsupportedVersion)
    );
    // Version 2 is only for PQXDH prekey messages.
    v2.version = 2;
    assert_eq!(
        Envelope::from_bytes(&v2.encode_to_vec()),
        Err(WireError::Malformed)
    );
    v2.version = 1;
    v2.body = None;
    assert_eq!(
        Envelope::from_bytes(&v2.encode_to_vec()),
        Err(WireError::Malformed)
    );
    assert_eq!(
        Envelope::from_bytes(&vec![0; MAX_ENVELOPE_LEN + 1]),
        Err(WireError::TooLarge)
    );
    assert_eq!(
        Envelope::from_bytes(&[]),
        Err(WireError::UnsupportedVersion)
    );

    let with = |f: &dyn Fn(&mut proto::RatchetMessage)| {
        let mut m = RatchetMessage::to_proto(match &sample() {
            Envelope::Ratchet(r) => r,
            Envelope::PreKey(_) => unreachable!(),
        });
        f(&mut m);
        let env = proto::Envelope {
            version: 1,
            body: Some(proto::envelope::Body::Ratchet(m)),
        };
        Envelope::from_bytes(&env.encode_to_vec())
    };
    assert_eq!(
        with(&|m| m.salt.pop().map(drop).unwrap_or(())),
        Err(WireError::Malformed)
    );
    assert_eq!(
        with(&|m| m.ciphertext.truncate(15)),
        Err(WireError::Malformed)
    );
    assert_eq!(
        with(&|m| m.ratchet_key = vec![0; 32]),
        Err(WireError::InvalidKey(crate::KeyError::LowOrder))
    );
    assert_eq!(
        with(&|m| m.ratchet_key.push(0)),
        Err(WireError::InvalidKey(crate::KeyError::InvalidLength))
    );
    assert!(with(&|_| ()).is_ok());
}
