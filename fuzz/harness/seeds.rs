//! The seed corpora: small, meaningful inputs made from real messages, bundles and states of
//! the [fixture](super::fixture), plus a few interaction scripts. Deterministic: the same
//! crosswire gives the same bytes. `tests/fuzz_corpus.rs` checks that `fuzz/corpus/` holds
//! exactly these, and rewrites it when `CROSSWIRE_WRITE_CORPUS=1`.

use crosswire::{
    AttachmentKind, AttachmentPointer, Content, MAX_SKIP, MAX_SKIPPED_KEYS, MessageId, ReceiptKind,
    ReplyBody, Text,
};

use super::fixture::{fixture, start};
use super::interaction::{Op, Setup, encode};
use super::media::media;

/// A version 2 (PQXDH) bundle and the first envelope of a session started from it, so the
/// decoders' KEM branches (bundle field 7, prekey message fields 6 and 7) start covered.
fn pqxdh() -> (Vec<u8>, Vec<u8>) {
    use crosswire::{
        IdentityKeyPair, KemPreKeyId, KemPreKeyKind, PreKeyBundle, Session, SignedKemPreKey,
        SignedPreKey, SignedPreKeyId,
    };
    use rand::SeedableRng;
    let mut rng = rand::rngs::ChaCha20Rng::seed_from_u64(12);
    let alice = IdentityKeyPair::generate(&mut rng);
    let bob = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &bob, SignedPreKeyId(7));
    let kem = SignedKemPreKey::generate(&mut rng, &bob, KemPreKeyId(8), KemPreKeyKind::LastResort);
    let bundle = PreKeyBundle::new_pq(&bob, &spk, None, &kem).expect("own bundle verifies");
    let mut session =
        Session::initiate(&mut rng, &alice, &bundle, b"").expect("initiate on own bundle");
    let first = session.encrypt(&mut rng, b"pq").expect("encrypt");
    (bundle.to_bytes(), first.to_bytes())
}

/// One seed file: target, file name, contents.
pub(crate) type Seed = (&'static str, String, Vec<u8>);

/// Every seed of every target.
pub(crate) fn all() -> Vec<Seed> {
    let f = fixture();
    let mut seeds = Vec::new();
    let mut add = |target: &'static str, name: &str, bytes: Vec<u8>| {
        seeds.push((target, name.to_owned(), bytes));
    };

    let first = f.sent[0].envelope.to_bytes();
    for sent in &f.sent {
        let bytes = sent.envelope.to_bytes();
        add("envelope_decode", &sent.name, bytes.clone());
        add("session_decrypt", &sent.name, bytes);
    }
    let mut trailing = first.clone();
    trailing.push(0);
    add("envelope_decode", "trailing-byte", trailing);
    let mut unknown = first.clone();
    unknown.extend([0x78, 0x01]);
    add("envelope_decode", "unknown-field", unknown);
    add(
        "envelope_decode",
        "truncated",
        first[..first.len() / 2].to_vec(),
    );
    let mut tampered = f.sent[8].envelope.to_bytes();
    if let Some(last) = tampered.last_mut() {
        *last ^= 1;
    }
    add("session_decrypt", "a2-1-bad-tag", tampered);

    let with = f.bundle.to_bytes();
    let without = start(false).bundle.to_bytes();
    let mut bad_signature = without.clone();
    if let Some(last) = bad_signature.last_mut() {
        *last ^= 1;
    }
    add("prekey_bundle_decode", "with-one-time-prekey", with);
    add("prekey_bundle_decode", "without-one-time-prekey", without);
    add("prekey_bundle_decode", "bad-signature", bad_signature);
    let (pq_bundle, pq_first) = pqxdh();
    let mut pq_bad_signature = pq_bundle.clone();
    if let Some(last) = pq_bad_signature.last_mut() {
        *last ^= 1;
    }
    add("prekey_bundle_decode", "pqxdh-version-2", pq_bundle);
    add(
        "prekey_bundle_decode",
        "pqxdh-bad-kem-signature",
        pq_bad_signature,
    );
    add("envelope_decode", "pqxdh-prekey-message", pq_first);

    for (name, state) in &f.states {
        add("session_state_decode", name, state.clone());
    }

    for (name, setup, ops) in scripts() {
        add("interaction", name, encode(setup, &ops));
    }

    let a = super::account::account_fixture();
    for (i, envelope) in a.from_bob.iter().enumerate() {
        add(
            "account_decrypt",
            &format!("from-bob-{i}"),
            envelope.clone(),
        );
    }
    let mut forged = a.from_bob[0].clone();
    if let Some(last) = forged.last_mut() {
        *last ^= 1;
    }
    add("account_decrypt", "from-bob-0-bad-tag", forged);
    add("account_decrypt", "own-first-message", a.to_bob.clone());
    add(
        "store_import",
        "alice-after-first-message",
        a.export.clone(),
    );
    add(
        "store_import",
        "truncated",
        a.export[..a.export.len() - 1].to_vec(),
    );
    add("store_import", "empty-store", b"CWMS\x01\0\0\0\0".to_vec());

    for (name, content) in contents() {
        let plaintext = content
            .to_plaintext()
            .expect("seed content encodes")
            .to_vec();
        if let Some(pointer) = field(unpadded(&plaintext), 4) {
            add("attachment_pointer_decode", name, pointer.to_vec());
        }
        add("content_decode", name, plaintext);
    }
    let mut bad_padding = contents()[0].1.to_plaintext().expect("encodes").to_vec();
    bad_padding.push(0x80);
    add("content_decode", "bad-padding", bad_padding);

    let m = media();
    let chunk = |i| {
        let r = m.sealed.chunk_range(i).expect("chunk exists");
        m.ciphertext[r.start as usize..r.end as usize].to_vec()
    };
    let mut layout = m.sealed.plaintext_size().to_le_bytes().to_vec();
    layout.extend(m.sealed.chunk_size().to_le_bytes());
    layout.extend(m.sealed.digest());
    let cases: [(&str, Vec<u8>); 7] = [
        ("whole", [&[0][..], &m.ciphertext].concat()),
        (
            "whole-truncated",
            [&[0][..], &m.ciphertext[..m.ciphertext.len() - 1]].concat(),
        ),
        ("chunk-0", [&[1, 0][..], &chunk(0)].concat()),
        ("chunk-2-last", [&[1, 2][..], &chunk(2)].concat()),
        ("stream-100", [&[2, 100][..], &m.ciphertext].concat()),
        (
            "stream-1-bad-commitment",
            [&[2, 1, 0][..], &m.ciphertext[1..]].concat(),
        ),
        (
            "layout-genuine",
            [&[3][..], &layout, &m.ciphertext].concat(),
        ),
    ];
    for (name, bytes) in cases {
        add("media_decrypt", name, bytes);
    }
    for (target, name, bytes) in super::group::seeds() {
        add(target, &name, bytes);
    }
    seeds
}

/// One content message of each kind.
fn contents() -> Vec<(&'static str, Content)> {
    let id = |b| MessageId::from_bytes([b; 16]);
    let m = media();
    let mut pointer = AttachmentPointer::new(
        m.sealed.clone(),
        AttachmentKind::Photo,
        "image/png",
        "blob/1",
    );
    pointer.width = Some(640);
    pointer.height = Some(480);
    pointer.thumbnail = vec![0x89, b'P', b'N', b'G'];
    pointer.caption = "a caption".to_owned();
    pointer.file_name = "photo.png".to_owned();
    let ts = 1_700_000_000_000;
    vec![
        ("text", Content::text(id(1), ts, "hello")),
        (
            "markdown",
            Content::new(id(2), ts, crosswire::Body::Text(Text::markdown("*hi*"))),
        ),
        (
            "attachment",
            Content::attachment(id(3), ts, pointer.clone()),
        ),
        (
            "attachment-minimal",
            Content::attachment(
                id(11),
                0,
                AttachmentPointer::new(m.sealed.clone(), AttachmentKind::File, "", "x"),
            ),
        ),
        (
            "reply-text",
            Content::reply(id(4), ts, id(1), ReplyBody::Text(Text::plain("re"))),
        ),
        (
            "reply-attachment",
            Content::reply(id(5), ts, id(1), ReplyBody::Attachment(pointer)),
        ),
        ("reaction", Content::reaction(id(6), ts, id(1), "👍")),
        (
            "reaction-removed",
            Content::remove_reaction(id(7), ts, id(1), "👍"),
        ),
        (
            "edit",
            Content::edit(id(8), ts, id(1), Text::plain("hello!")),
        ),
        ("delete", Content::delete(id(9), ts, id(1))),
        (
            "receipt-read",
            Content::receipt(id(10), ts, ReceiptKind::Read, vec![id(1), id(2), id(3)]),
        ),
    ]
}

/// Padded content without its padding.
fn unpadded(padded: &[u8]) -> &[u8] {
    let end = padded.iter().rposition(|&b| b == 0x80).unwrap_or(0);
    &padded[..end]
}

/// The payload of the first length-delimited field `number` of a protobuf message.
fn field(mut bytes: &[u8], number: u64) -> Option<&[u8]> {
    fn varint(bytes: &mut &[u8]) -> Option<u64> {
        let mut value = 0u64;
        for shift in (0..64).step_by(7) {
            let (&b, rest) = bytes.split_first()?;
            *bytes = rest;
            value |= u64::from(b & 0x7f) << shift;
            if b < 0x80 {
                return Some(value);
            }
        }
        None
    }
    while !bytes.is_empty() {
        let key = varint(&mut bytes)?;
        match key & 7 {
            0 => {
                varint(&mut bytes)?;
            }
            2 => {
                let len = usize::try_from(varint(&mut bytes)?).ok()?;
                let (payload, rest) = bytes.split_at_checked(len)?;
                if key >> 3 == number {
                    return Some(payload);
                }
                bytes = rest;
            }
            _ => return None,
        }
    }
    None
}

/// Interaction scripts: each exercises one kind of network behaviour or bound.
pub(crate) fn scripts() -> Vec<(&'static str, Setup, Vec<Op>)> {
    use Op::*;
    let send = |from_alice| Send {
        from_alice,
        len: 12,
    };
    let deliver = |index| Deliver { index };
    // Alice sends, Bob answers: both sessions established, in-flight list empty.
    let handshake = [send(true), deliver(0), send(false), deliver(0)];
    let with = |extra: Vec<Op>| handshake.iter().cloned().chain(extra).collect::<Vec<_>>();
    let skip = MAX_SKIP as u16;
    vec![
        (
            "ping-pong",
            Setup::classical(true),
            with(vec![
                send(true),
                deliver(0),
                send(false),
                send(false),
                deliver(0),
                deliver(0),
                send(true),
                deliver(0),
            ]),
        ),
        (
            "reorder-drop-no-one-time-prekey",
            Setup::classical(false),
            vec![
                send(true),
                send(true),
                send(true),
                Swap { a: 0, b: 2 },
                deliver(0),
                Drop { index: 0 },
                send(false),
                deliver(1),
                deliver(0),
                send(true),
                deliver(0),
            ],
        ),
        (
            "replay-duplicate-tamper-misroute",
            Setup::classical(true),
            with(vec![
                send(true),
                send(false),
                Duplicate { index: 0 },
                Tamper {
                    index: 1,
                    at: 20,
                    mask: 0x01,
                },
                Misroute { index: 1 },
                deliver(0),
                deliver(0),
                Replay { index: 0 },
                Replay { index: 3 },
            ]),
        ),
        (
            "restore-mid-conversation",
            Setup::classical(true),
            with(vec![
                send(false),
                send(false),
                Restore { alice: true },
                deliver(1),
                Restore { alice: false },
                send(true),
                deliver(1),
                Restore { alice: true },
                deliver(0),
            ]),
        ),
        (
            "forge",
            Setup::classical(false),
            with(vec![Forge {
                to_alice: true,
                bytes: forged_envelope(),
            }]),
        ),
        (
            // Bob's burst: its last message is first MAX_SKIP + 1 ahead of Alice's chain
            // (rejected), then, once the first is in, exactly MAX_SKIP ahead (accepted).
            "skip-bound",
            Setup::classical(true),
            with(vec![
                Burst {
                    from_alice: false,
                    count: skip + 2,
                },
                Duplicate { index: skip + 1 },
                deliver(0),
                deliver(skip),
                deliver(0),
            ]),
        ),
        (
            // Alice skips MAX_SKIPPED_KEYS positions of Bob's first chain, then four more on his
            // next chain: the four oldest are evicted, and the two of them delivered are lost.
            "skipped-store-eviction",
            Setup::classical(true),
            with(vec![
                Burst {
                    from_alice: false,
                    count: MAX_SKIPPED_KEYS as u16 + 1,
                },
                deliver(MAX_SKIPPED_KEYS as u16),
                send(true),
                deliver(MAX_SKIPPED_KEYS as u16),
                Burst {
                    from_alice: false,
                    count: 5,
                },
                deliver(MAX_SKIPPED_KEYS as u16 + 4),
                deliver(0),
                deliver(0),
                deliver(1000),
            ]),
        ),
        (
            "pqxdh-ping-pong",
            Setup::pqxdh(true),
            with(vec![
                send(true),
                deliver(0),
                send(false),
                send(false),
                deliver(1),
                deliver(0),
                Restore { alice: false },
                send(true),
                deliver(0),
            ]),
        ),
        (
            // A first message whose KEM ciphertext has a flipped byte (its last 1568 bytes are
            // the ciphertext): Bob decapsulates another secret and rejects it; the genuine one
            // then starts the session, and a replay of it after the reply is rejected.
            "pqxdh-tampered-kem-ciphertext-no-one-time-prekey",
            Setup::pqxdh(false),
            vec![
                send(true),
                Tamper {
                    index: 0,
                    at: 1000,
                    mask: 0x40,
                },
                deliver(0),
                send(false),
                deliver(0),
                Replay { index: 0 },
            ],
        ),
    ]
}

/// A plausible forgery: a ratchet envelope with a valid key and a random-looking tag.
fn forged_envelope() -> Vec<u8> {
    let mut bytes = fixture().sent[4].envelope.to_bytes();
    let n = bytes.len();
    bytes[n - 16..].copy_from_slice(&[0xa5; 16]);
    bytes
}
