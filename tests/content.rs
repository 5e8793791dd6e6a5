//! Content through the public API: every body kind through a real session, known-answer
//! encodings built by hand, tolerance of newer senders, bounds, padding, and what happens to a
//! session when an authentic message carries bad content.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use crosswire::{
    AttachmentKind, AttachmentPointer, Body, Content, ContentError, DEFAULT_CHUNK_SIZE,
    DecryptError, Envelope, Error, IdentityKeyPair, KemPreKeyId, KemPreKeyKind, MAX_CAPTION_LEN,
    MAX_CONTENT_TYPE_LEN, MAX_EMOJI_LEN, MAX_FILE_NAME_LEN, MAX_LOCATOR_LEN, MAX_PLAINTEXT_LEN,
    MAX_RECEIPT_IDS, MAX_TEXT_LEN, MAX_THUMBNAIL_LEN, MESSAGE_ID_LEN, MediaError, MessageId,
    OneTimePreKey, OneTimePreKeyId, PADDING_BUCKET, PostQuantum, PreKeyBundle, ReceiptKind,
    Received, ReplyBody, Session, SignedKemPreKey, SignedPreKey, SignedPreKeyId, Text, TextFormat,
    encrypt_attachment,
};
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;

// ------------------------------------------------------------------ helpers ----

struct Pair {
    rng: ChaCha20Rng,
    alice: Session,
    bob: Session,
}

/// Alice starts a session with Bob; her first message is `first`, which Bob receives with
/// `respond_content`.
fn pair(seed: u64, first: &Content) -> Pair {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &bob_id, SignedPreKeyId(1));
    let opk = OneTimePreKey::generate_batch(&mut rng, OneTimePreKeyId(7), 1).remove(0);
    let bundle = PreKeyBundle::new(&bob_id, &spk, Some(&opk)).unwrap();
    let mut alice = Session::initiate_with(
        &mut rng,
        &alice_id,
        &bundle,
        b"",
        crosswire::PostQuantum::Allowed,
    )
    .unwrap();
    let envelope = wire(&alice.encrypt_content(&mut rng, first).unwrap());
    let Envelope::PreKey(message) = &envelope else {
        panic!("the first message is a prekey message")
    };
    let (bob, received) =
        Session::respond_content(&bob_id, &spk, Some(&opk), message, b"").unwrap();
    assert_eq!(&received.into_content().unwrap(), first);
    Pair { rng, alice, bob }
}

fn wire(e: &Envelope) -> Envelope {
    Envelope::from_bytes(&e.to_bytes()).unwrap()
}

fn id(n: u8) -> MessageId {
    MessageId::from_bytes([n; MESSAGE_ID_LEN])
}

fn pointer(seed: u64) -> AttachmentPointer {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let (_, sealed) = encrypt_attachment(&mut rng, &[0x5a; 3000], DEFAULT_CHUNK_SIZE).unwrap();
    let mut p = AttachmentPointer::new(sealed, AttachmentKind::Photo, "image/jpeg", "blob/abc");
    p.width = Some(1920);
    p.height = Some(1080);
    p.thumbnail = vec![0xff, 0xd8, 0xff, 0xe0];
    p.caption = "the view".into();
    p.file_name = "IMG_0001.jpg".into();
    p
}

fn every_kind() -> Vec<Content> {
    let mut video = pointer(2);
    video.kind = AttachmentKind::Video;
    video.duration_ms = Some(61_000);
    video.width = None;
    let mut file = pointer(3);
    file.kind = AttachmentKind::File;
    file.thumbnail.clear();
    vec![
        Content::text(id(1), 1, "hello"),
        Content::new(id(2), 2, Body::Text(Text::markdown("**bold** and _it_"))),
        Content::text(id(3), 3, ""),
        Content::attachment(id(4), 4, pointer(1)),
        Content::attachment(id(5), 5, video),
        Content::attachment(id(6), 6, file),
        Content::reply(id(7), 7, id(1), ReplyBody::Text(Text::plain("agreed"))),
        Content::reply(id(8), 8, id(1), ReplyBody::Attachment(pointer(4))),
        Content::reaction(id(9), 9, id(1), "👍🏽"),
        Content::remove_reaction(id(10), 10, id(1), "👍🏽"),
        Content::edit(id(11), 11, id(1), Text::plain("hello, edited")),
        Content::delete(id(12), u64::MAX, id(1)),
        Content::receipt(id(13), 13, ReceiptKind::Delivered, vec![id(1), id(2)]),
        Content::receipt(id(14), 14, ReceiptKind::Read, vec![id(3)]),
    ]
}

/// A minimal protobuf writer, independent of crosswire's generated code.
fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            out.push(b);
            return out;
        }
        out.push(b | 0x80);
    }
}

fn field_bytes(number: u64, payload: &[u8]) -> Vec<u8> {
    let mut out = varint(number << 3 | 2);
    out.extend(varint(payload.len() as u64));
    out.extend_from_slice(payload);
    out
}

fn field_varint(number: u64, value: u64) -> Vec<u8> {
    let mut out = varint(number << 3);
    out.extend(varint(value));
    out
}

fn pad(mut encoded: Vec<u8>) -> Vec<u8> {
    let target = (encoded.len() / PADDING_BUCKET + 1) * PADDING_BUCKET;
    encoded.push(0x80);
    encoded.resize(target, 0);
    encoded
}

/// Content { message_id, timestamp_ms = 5, <body field> }, padded.
fn content_with(body: &[u8]) -> Vec<u8> {
    let mut c = field_bytes(1, &[0x42; 16]);
    c.extend(field_varint(2, 5));
    c.extend_from_slice(body);
    pad(c)
}

/// A hand-encoded valid pointer with one field replaced (or added) by `patch`.
fn pointer_bytes(patch: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut fields: Vec<(u64, Vec<u8>)> = vec![
        (1, field_varint(1, 1)),
        (2, field_bytes(2, &[9; 32])),
        (3, field_bytes(3, b"image/png")),
        (4, field_varint(4, 100_000)),
        (5, field_varint(5, 65_536)),
        (6, field_bytes(6, &[8; 32])),
        (7, field_bytes(7, b"https://cdn.example/x")),
    ];
    for (number, bytes) in patch {
        fields.retain(|(n, _)| n != number);
        fields.push((*number, bytes.clone()));
    }
    fields.sort_by_key(|(n, _)| *n);
    fields.into_iter().flat_map(|(_, b)| b).collect()
}

fn decode_pointer(patch: &[(u64, Vec<u8>)]) -> Result<Content, ContentError> {
    Content::from_plaintext(&content_with(&field_bytes(4, &pointer_bytes(patch))))
}

// -------------------------------------------------------------------- tests ----

#[test]
fn every_kind_round_trips_through_a_session_both_ways() {
    let kinds = every_kind();
    for (i, first) in kinds.iter().enumerate() {
        // Each kind as the first (prekey) message...
        let Pair {
            mut rng,
            mut alice,
            mut bob,
        } = pair(i as u64, first);
        // ... and every kind afterwards, in both directions.
        for content in &kinds {
            let envelope = wire(&bob.encrypt_content(&mut rng, content).unwrap());
            assert_eq!(
                &alice
                    .decrypt_content(&envelope)
                    .unwrap()
                    .into_content()
                    .unwrap(),
                content
            );
            let envelope = wire(&alice.encrypt_content(&mut rng, content).unwrap());
            assert_eq!(
                &bob.decrypt_content(&envelope)
                    .unwrap()
                    .into_content()
                    .unwrap(),
                content
            );
        }
    }
}

/// The encoding is the one SPEC.md describes: hand-built protobuf, then 0x80 and zeros to 160.
#[test]
fn known_encoding_of_a_markdown_text() {
    let expected = "0a10000102030405060708090a0b0c0d0e0f10fbd095ffbc311a120a0e68c3a96c6c6f20\
                    2a776f726c642a1001";
    let mut expected = hex::decode(expected).unwrap();
    expected.push(0x80);
    expected.resize(160, 0);
    let content = Content::new(
        MessageId::from_bytes(core::array::from_fn(|i| i as u8)),
        1_700_000_000_123,
        Body::Text(Text::markdown("héllo *world*")),
    );
    assert_eq!(
        content.to_plaintext().unwrap().as_slice(),
        expected.as_slice()
    );
    assert_eq!(Content::from_plaintext(&expected).unwrap(), content);
}

/// A newer sender's message: an unknown varint field in Content, an unknown string field in
/// Text, an unknown fixed64 field after the body. Hand-built, as no generated code knows them.
#[test]
fn unknown_fields_from_a_newer_sender_are_ignored() {
    let newer = "0a10000102030405060708090a0b0c0d0e0f78ac0210051a160a0268694a106e6577657220\
                 74657874206669656c64a1010000000000000000";
    let plaintext = pad(hex::decode(newer).unwrap());
    let expected = Content::text(
        MessageId::from_bytes(core::array::from_fn(|i| i as u8)),
        5,
        "hi",
    );
    assert_eq!(Content::from_plaintext(&plaintext).unwrap(), expected);

    // Also through a session, sent by a newer client with the raw API.
    let Pair {
        mut rng,
        mut alice,
        mut bob,
    } = pair(100, &Content::text(id(1), 1, "hi"));
    let envelope = wire(&alice.encrypt(&mut rng, &plaintext).unwrap());
    assert_eq!(
        bob.decrypt_content(&envelope)
            .unwrap()
            .into_content()
            .unwrap(),
        expected
    );

    // Unknown enum values fall back to the safe choice.
    let text = [field_bytes(1, b"<b>x</b>"), field_varint(2, 7)].concat();
    let decoded = Content::from_plaintext(&content_with(&field_bytes(3, &text))).unwrap();
    assert_eq!(decoded.body, Body::Text(Text::plain("<b>x</b>")));
    let Body::Attachment(p) = decode_pointer(&[(1, field_varint(1, 42))]).unwrap().body else {
        panic!("an attachment")
    };
    assert_eq!(p.kind, AttachmentKind::File);
}

/// A body type this version does not know (a newer sender's "poll", field 16) is authentic but
/// unsupported; so is a newer reply body or receipt kind.
#[test]
fn newer_kinds_of_content_are_unsupported() {
    let poll = content_with(&field_bytes(16, &field_bytes(1, b"lunch?")));
    assert_eq!(
        Content::from_plaintext(&poll),
        Err(ContentError::Unsupported)
    );
    let reply = [field_bytes(1, &[1; 16]), field_bytes(9, b"sticker")].concat();
    assert_eq!(
        Content::from_plaintext(&content_with(&field_bytes(5, &reply))),
        Err(ContentError::Unsupported)
    );
    let receipt = [field_varint(1, 2), field_bytes(2, &[1; 16])].concat();
    assert_eq!(
        Content::from_plaintext(&content_with(&field_bytes(9, &receipt))),
        Err(ContentError::Unsupported)
    );
}

/// An authentic message with bad content: the error is typed, and the session has advanced
/// (the key is gone, as for any delivered message) and keeps working.
#[test]
fn authentic_garbage_consumes_the_message_and_the_session_continues() {
    let Pair {
        mut rng,
        mut alice,
        mut bob,
    } = pair(200, &Content::text(id(1), 1, "hi"));
    for (garbage, error) in [
        (b"not padded".to_vec(), ContentError::BadPadding),
        (pad(vec![0xff, 0xff]), ContentError::Malformed),
        (pad(field_varint(2, 5)), ContentError::InvalidMessageId),
        (
            content_with(&field_bytes(16, b"")),
            ContentError::Unsupported,
        ),
    ] {
        let envelope = wire(&alice.encrypt(&mut rng, &garbage).unwrap());
        // A success that keeps the plaintext: nothing is lost, the error is typed.
        match bob.decrypt_content(&envelope).unwrap() {
            Received::Undecodable { error: e, raw } => {
                assert_eq!(e, error);
                assert_eq!(raw.as_slice(), garbage.as_slice());
            }
            Received::Content(c) => panic!("decoded {c:?}"),
        }
        assert_eq!(
            bob.decrypt_content(&envelope),
            Err(Error::Decrypt(DecryptError::DuplicateOrExpired)),
            "the message key was used up"
        );
        let next = Content::text(id(2), 2, "still here");
        let envelope = wire(&alice.encrypt_content(&mut rng, &next).unwrap());
        assert_eq!(
            bob.decrypt_content(&envelope).unwrap(),
            Received::Content(next)
        );
        let reply = Content::text(id(3), 3, "yes");
        let envelope = wire(&bob.encrypt_content(&mut rng, &reply).unwrap());
        assert_eq!(
            alice.decrypt_content(&envelope).unwrap().into_content(),
            Ok(reply)
        );
    }
}

/// A forged or corrupted message is a ratchet error and changes nothing, as with `decrypt`.
#[test]
fn ratchet_failures_leave_the_session_unchanged() {
    let Pair {
        mut rng,
        mut alice,
        mut bob,
    } = pair(201, &Content::text(id(1), 1, "hi"));
    let content = Content::text(id(2), 2, "x");
    let mut bytes = alice
        .encrypt_content(&mut rng, &content)
        .unwrap()
        .to_bytes();
    let genuine = Envelope::from_bytes(&bytes).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let forged = Envelope::from_bytes(&bytes).unwrap();
    assert_eq!(
        bob.decrypt_content(&forged),
        Err(Error::Decrypt(DecryptError::AuthenticationFailed))
    );
    assert_eq!(
        bob.decrypt_content(&genuine)
            .unwrap()
            .into_content()
            .unwrap(),
        content
    );
}

/// A first message with content this version cannot decode still starts the session, keeps
/// the plaintext, and lets Bob reply: a newer client that sends one message gets an answer.
#[test]
fn respond_content_with_undecodable_content_starts_the_session() {
    let mut rng = ChaCha20Rng::seed_from_u64(300);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &bob_id, SignedPreKeyId(1));
    let opk = OneTimePreKey::generate_batch(&mut rng, OneTimePreKeyId(7), 1).remove(0);
    let bundle = PreKeyBundle::new(&bob_id, &spk, Some(&opk)).unwrap();
    let mut alice = Session::initiate_with(
        &mut rng,
        &alice_id,
        &bundle,
        b"",
        crosswire::PostQuantum::Allowed,
    )
    .unwrap();
    // A body type from a newer version: field 16 of Content.
    let newer = content_with(&field_bytes(16, b"sticker"));
    let first = wire(&alice.encrypt(&mut rng, &newer).unwrap());
    let Envelope::PreKey(first) = &first else {
        panic!()
    };
    let (mut bob, received) =
        Session::respond_content(&bob_id, &spk, Some(&opk), first, b"").unwrap();
    assert_eq!(
        received,
        Received::Undecodable {
            error: ContentError::Unsupported,
            raw: newer.clone().into(),
        }
    );
    assert_eq!(
        format!("{received:?}"),
        format!(
            "Undecodable {{ error: Unsupported, raw_len: {} }}",
            newer.len()
        ),
        "Debug never prints the plaintext"
    );
    let reply = Content::text(id(2), 2, "please update");
    let envelope = wire(&bob.encrypt_content(&mut rng, &reply).unwrap());
    assert_eq!(
        alice.decrypt_content(&envelope).unwrap(),
        Received::Content(reply)
    );
}

/// `respond_content_with` is `respond_with` decoding the content: a PQXDH first message (which
/// `respond_content`, the classical responder, cannot take) gives its content, undecodable
/// content still starts the session, and the policy decides about a classical first message.
#[test]
fn respond_content_with_takes_pqxdh_first_messages_and_the_policy() {
    let mut rng = ChaCha20Rng::seed_from_u64(310);
    let alice_id = IdentityKeyPair::generate(&mut rng);
    let bob_id = IdentityKeyPair::generate(&mut rng);
    let spk = SignedPreKey::generate(&mut rng, &bob_id, SignedPreKeyId(1));
    let opk = OneTimePreKey::generate_batch(&mut rng, OneTimePreKeyId(7), 1).remove(0);
    let kem = SignedKemPreKey::generate(&mut rng, &bob_id, KemPreKeyId(9), KemPreKeyKind::OneTime);
    let pq = PreKeyBundle::new_pq(&bob_id, &spk, Some(&opk), &kem).unwrap();
    let hello = Content::text(id(1), 1, "Hi Bob");
    let newer = content_with(&field_bytes(16, b"sticker"));
    for first_plaintext in [hello.to_plaintext().unwrap().to_vec(), newer.clone()] {
        let mut alice = Session::initiate(&mut rng, &alice_id, &pq, b"").unwrap();
        let first = wire(&alice.encrypt(&mut rng, &first_plaintext).unwrap());
        let Envelope::PreKey(first) = &first else {
            panic!("the first message is a prekey message")
        };
        assert_eq!(first.kem_prekey_id(), Some(KemPreKeyId(9)));
        assert_eq!(
            Session::respond_content(&bob_id, &spk, Some(&opk), first, b"").unwrap_err(),
            Error::Decrypt(DecryptError::SessionMismatch),
            "the classical responder cannot take a PQXDH first message"
        );
        let (mut bob, received) = Session::respond_content_with(
            &bob_id,
            &spk,
            Some(&opk),
            Some(&kem),
            first,
            b"",
            PostQuantum::Required,
        )
        .unwrap();
        if first_plaintext == newer {
            assert_eq!(
                received,
                Received::Undecodable {
                    error: ContentError::Unsupported,
                    raw: newer.clone().into(),
                }
            );
        } else {
            assert_eq!(received, Received::Content(hello.clone()));
        }
        let reply = Content::text(id(2), 2, "Hello Alice");
        let envelope = wire(&bob.encrypt_content(&mut rng, &reply).unwrap());
        assert_eq!(
            alice.decrypt_content(&envelope).unwrap(),
            Received::Content(reply)
        );
    }

    let classical = PreKeyBundle::new(&bob_id, &spk, None).unwrap();
    let mut carol =
        Session::initiate_with(&mut rng, &alice_id, &classical, b"", PostQuantum::Allowed).unwrap();
    let first = wire(&carol.encrypt_content(&mut rng, &hello).unwrap());
    let Envelope::PreKey(first) = &first else {
        panic!("the first message is a prekey message")
    };
    let respond =
        |policy| Session::respond_content_with(&bob_id, &spk, None, None, first, b"", policy);
    assert_eq!(
        respond(PostQuantum::Required).unwrap_err(),
        Error::Decrypt(DecryptError::ClassicalOnly)
    );
    let (_, received) = respond(PostQuantum::Allowed).unwrap();
    assert_eq!(received.into_content().unwrap(), hello);
}

#[test]
fn padding_hides_text_length_within_a_bucket() {
    let Pair {
        mut rng, mut alice, ..
    } = pair(400, &Content::text(id(1), 1, "hi"));
    let mut lengths = std::collections::BTreeSet::new();
    for n in 0..100 {
        let envelope = alice
            .encrypt_content(&mut rng, &Content::text(id(2), 2, "x".repeat(n)))
            .unwrap();
        lengths.insert(envelope.to_bytes().len());
    }
    assert_eq!(
        lengths.len(),
        1,
        "texts of 0..100 bytes all encrypt to one length"
    );
    for n in [0, 1, 100] {
        let plaintext = Content::text(id(2), 2, "x".repeat(n))
            .to_plaintext()
            .unwrap();
        assert_eq!(plaintext.len(), PADDING_BUCKET);
    }
    // Encoded size for a text of n bytes, 128 <= n < 16381: id field 18 + timestamp field 2 +
    // body tag 1 + body length 2 + text tag 1 + text length 2 + n = 26 + n. The padding needs
    // at least one byte, so n = 133 is the last that fits one bucket.
    let padded = |n: usize| {
        Content::text(id(2), 2, "x".repeat(n))
            .to_plaintext()
            .unwrap()
            .len()
    };
    assert_eq!(padded(133), 160);
    assert_eq!(padded(134), 320);
}

#[test]
fn malformed_padding_is_rejected() {
    let good = Content::text(id(1), 1, "hello")
        .to_plaintext()
        .unwrap()
        .to_vec();
    assert!(Content::from_plaintext(&good).is_ok());
    let marker = good.iter().rposition(|&b| b != 0).unwrap();
    let mut cases: Vec<Vec<u8>> = vec![
        Vec::new(),
        good[..good.len() - 1].to_vec(),
        [good.as_slice(), &[0]].concat(),
        vec![0; 160],
        [good.as_slice(), &[0; 160]].concat(),
    ];
    let mut wrong_marker = good.clone();
    wrong_marker[marker] = 0x01;
    cases.push(wrong_marker);
    let mut dirty_tail = good.clone();
    dirty_tail[159] = 0x80;
    cases.push(dirty_tail[..160].to_vec());
    for case in cases {
        let result = Content::from_plaintext(&case);
        // The dirty tail moves the marker: the rest then fails to decode as protobuf.
        assert!(
            matches!(
                result,
                Err(ContentError::BadPadding) | Err(ContentError::Malformed)
            ),
            "{result:?}"
        );
    }
    assert_eq!(
        Content::from_plaintext(&[0; 160]),
        Err(ContentError::BadPadding)
    );
    assert_eq!(
        Content::from_plaintext(&vec![0; MAX_PLAINTEXT_LEN + PADDING_BUCKET]),
        Err(ContentError::TooLarge)
    );
    // The size bound admits exactly MAX_PLAINTEXT_LEN bytes (SPEC.md 9.2 step 1 is `>`): those
    // pass it and fail on their padding, as 131072 is no multiple of 160.
    assert_eq!(
        Content::from_plaintext(&vec![0x80; MAX_PLAINTEXT_LEN]),
        Err(ContentError::BadPadding)
    );
}

#[test]
fn bounds_are_enforced_when_sending() {
    let Pair {
        mut rng,
        mut alice,
        mut bob,
    } = pair(500, &Content::text(id(1), 1, "hi"));
    let max_reply = Content::reply(id(2), 2, id(1), ReplyBody::Attachment(max_pointer()));
    let cases: Vec<(Content, Result<(), ContentError>)> = vec![
        (Content::text(id(2), 2, "x".repeat(MAX_TEXT_LEN)), Ok(())),
        (
            Content::text(id(2), 2, "x".repeat(MAX_TEXT_LEN + 1)),
            Err(ContentError::TextTooLong),
        ),
        (
            Content::edit(id(2), 2, id(1), Text::plain("x".repeat(MAX_TEXT_LEN + 1))),
            Err(ContentError::TextTooLong),
        ),
        (
            Content::reaction(id(2), 2, id(1), "x".repeat(MAX_EMOJI_LEN)),
            Ok(()),
        ),
        (
            Content::reaction(id(2), 2, id(1), ""),
            Err(ContentError::InvalidEmoji),
        ),
        (
            Content::reaction(id(2), 2, id(1), "x".repeat(MAX_EMOJI_LEN + 1)),
            Err(ContentError::InvalidEmoji),
        ),
        (
            Content::receipt(id(2), 2, ReceiptKind::Read, vec![]),
            Err(ContentError::InvalidReceipt),
        ),
        (
            Content::receipt(id(2), 2, ReceiptKind::Read, vec![id(1); MAX_RECEIPT_IDS]),
            Ok(()),
        ),
        (
            Content::receipt(
                id(2),
                2,
                ReceiptKind::Read,
                vec![id(1); MAX_RECEIPT_IDS + 1],
            ),
            Err(ContentError::InvalidReceipt),
        ),
        (max_reply, Ok(())),
    ];
    for (content, expected) in cases {
        let counter_before = alice_next_counter(&mut alice, &mut rng, &mut bob);
        match expected {
            Ok(()) => {
                // The largest valid content of each kind fits in one message and arrives.
                assert!(content.to_plaintext().unwrap().len() <= MAX_PLAINTEXT_LEN);
                let envelope = wire(&alice.encrypt_content(&mut rng, &content).unwrap());
                assert_eq!(
                    bob.decrypt_content(&envelope)
                        .unwrap()
                        .into_content()
                        .unwrap(),
                    content
                );
            }
            Err(e) => {
                assert_eq!(
                    alice.encrypt_content(&mut rng, &content),
                    Err(Error::Content(e))
                );
                // Nothing was sent: the chain did not advance.
                assert_eq!(
                    alice_next_counter(&mut alice, &mut rng, &mut bob),
                    counter_before + 1
                );
            }
        }
    }
    // The largest content of all: an edit (or text reply) with a maximal markdown text and the
    // widest timestamp. By hand: Text = 1 + 3 + 65536 + 2 = 65542; Edit = 18 + 1 + 3 + 65542
    // = 65564; Content = 18 + 11 + 1 + 3 + 65564 = 65597, padded to 65600.
    let largest = Content::edit(
        id(2),
        u64::MAX,
        id(1),
        Text::markdown("x".repeat(MAX_TEXT_LEN)),
    );
    assert_eq!(largest.to_plaintext().unwrap().len(), 65_600);

    let mut bad = max_pointer();
    bad.locator.clear();
    let content = Content::attachment(id(2), 2, bad);
    assert_eq!(
        alice.encrypt_content(&mut rng, &content),
        Err(Error::Content(ContentError::Attachment(
            MediaError::InvalidPointer
        )))
    );
}

/// Sends a message from Alice to Bob and returns its counter.
fn alice_next_counter(alice: &mut Session, rng: &mut ChaCha20Rng, bob: &mut Session) -> u32 {
    let envelope = alice
        .encrypt_content(rng, &Content::text(id(9), 9, "ping"))
        .unwrap();
    bob.decrypt_content(&wire(&envelope))
        .unwrap()
        .into_content()
        .unwrap();
    envelope.ratchet_message().counter()
}

fn max_pointer() -> AttachmentPointer {
    let mut p = pointer(9);
    p.content_type = "t".repeat(MAX_CONTENT_TYPE_LEN);
    p.locator = "l".repeat(MAX_LOCATOR_LEN);
    p.thumbnail = vec![1; MAX_THUMBNAIL_LEN];
    p.caption = "c".repeat(MAX_CAPTION_LEN);
    p.file_name = "f".repeat(MAX_FILE_NAME_LEN);
    p.width = Some(u32::MAX);
    p.height = Some(u32::MAX);
    p.duration_ms = Some(u32::MAX);
    p
}

#[test]
fn bounds_are_enforced_when_receiving() {
    let text = |n: usize| field_bytes(3, &field_bytes(1, &vec![b'a'; n]));
    assert!(Content::from_plaintext(&content_with(&text(MAX_TEXT_LEN))).is_ok());
    assert_eq!(
        Content::from_plaintext(&content_with(&text(MAX_TEXT_LEN + 1))),
        Err(ContentError::TextTooLong)
    );
    // Not UTF-8.
    assert_eq!(
        Content::from_plaintext(&content_with(&field_bytes(3, &field_bytes(1, &[0xff])))),
        Err(ContentError::Malformed)
    );
    // Message ids of the wrong length, in every place one appears.
    for len in [0, 15, 17] {
        let bad = vec![1; len];
        let mut c = field_bytes(1, &bad);
        c.extend(field_bytes(3, b""));
        assert_eq!(
            Content::from_plaintext(&pad(c)),
            Err(ContentError::InvalidMessageId)
        );
        for body in [
            field_bytes(5, &[field_bytes(1, &bad), field_bytes(2, b"")].concat()),
            field_bytes(6, &[field_bytes(1, &bad), field_bytes(2, b"+")].concat()),
            field_bytes(7, &[field_bytes(1, &bad), field_bytes(2, b"")].concat()),
            field_bytes(8, &field_bytes(1, &bad)),
            field_bytes(
                9,
                &[field_bytes(2, &[1; 16]), field_bytes(2, &bad)].concat(),
            ),
        ] {
            assert_eq!(
                Content::from_plaintext(&content_with(&body)),
                Err(ContentError::InvalidMessageId)
            );
        }
    }
    // An edit without its text.
    assert_eq!(
        Content::from_plaintext(&content_with(&field_bytes(7, &field_bytes(1, &[1; 16])))),
        Err(ContentError::Malformed)
    );
    // Reaction emoji bounds.
    for (emoji, ok) in [
        (0, false),
        (1, true),
        (MAX_EMOJI_LEN, true),
        (MAX_EMOJI_LEN + 1, false),
    ] {
        let r = [field_bytes(1, &[1; 16]), field_bytes(2, &vec![b'e'; emoji])].concat();
        let result = Content::from_plaintext(&content_with(&field_bytes(6, &r)));
        assert_eq!(result.is_ok(), ok, "emoji of {emoji} bytes");
        if !ok {
            assert_eq!(result, Err(ContentError::InvalidEmoji));
        }
    }
    // Receipt counts.
    let receipt = |n: usize| {
        let ids: Vec<u8> = (0..n).flat_map(|_| field_bytes(2, &[3; 16])).collect();
        content_with(&field_bytes(9, &[field_varint(1, 1), ids].concat()))
    };
    assert_eq!(
        Content::from_plaintext(&receipt(0)),
        Err(ContentError::InvalidReceipt)
    );
    let Body::Receipt { kind, ids } = Content::from_plaintext(&receipt(MAX_RECEIPT_IDS))
        .unwrap()
        .body
    else {
        panic!("a receipt")
    };
    assert_eq!((kind, ids.len()), (ReceiptKind::Read, MAX_RECEIPT_IDS));
    assert_eq!(
        Content::from_plaintext(&receipt(MAX_RECEIPT_IDS + 1)),
        Err(ContentError::InvalidReceipt)
    );
}

#[test]
fn attachment_pointers_are_validated_on_decode() {
    let ok = decode_pointer(&[]).unwrap();
    let Body::Attachment(p) = &ok.body else {
        panic!("an attachment")
    };
    assert_eq!(p.kind, AttachmentKind::Photo);
    assert_eq!(
        (p.sealed.plaintext_size(), p.sealed.chunk_size()),
        (100_000, 65_536)
    );
    assert_eq!(p.sealed.key().as_bytes(), &[9; 32]);
    assert_eq!((p.width, p.height, p.duration_ms), (None, None, None));

    let long = |field: u64, n: usize| (field, field_bytes(field, &vec![b'a'; n]));
    let cases = [
        (
            vec![(2, field_bytes(2, &[9; 31]))],
            MediaError::InvalidPointer,
        ),
        (
            vec![(2, field_bytes(2, &[9; 33]))],
            MediaError::InvalidPointer,
        ),
        (vec![(2, Vec::new())], MediaError::InvalidPointer),
        (
            vec![(6, field_bytes(6, &[8; 31]))],
            MediaError::InvalidPointer,
        ),
        (vec![(6, Vec::new())], MediaError::InvalidPointer),
        (vec![(7, Vec::new())], MediaError::InvalidPointer),
        (vec![(5, Vec::new())], MediaError::InvalidChunkSize),
        (
            vec![(5, field_varint(5, 1023))],
            MediaError::InvalidChunkSize,
        ),
        (
            vec![(5, field_varint(5, (16 << 20) + 1))],
            MediaError::InvalidChunkSize,
        ),
        (
            vec![(4, field_varint(4, (1 << 48) + 1))],
            MediaError::TooLarge,
        ),
        (vec![(4, field_varint(4, u64::MAX))], MediaError::TooLarge),
        (
            vec![long(3, MAX_CONTENT_TYPE_LEN + 1)],
            MediaError::FieldTooLong,
        ),
        (vec![long(7, MAX_LOCATOR_LEN + 1)], MediaError::FieldTooLong),
        (
            vec![long(11, MAX_THUMBNAIL_LEN + 1)],
            MediaError::FieldTooLong,
        ),
        (
            vec![long(12, MAX_CAPTION_LEN + 1)],
            MediaError::FieldTooLong,
        ),
        (
            vec![long(13, MAX_FILE_NAME_LEN + 1)],
            MediaError::FieldTooLong,
        ),
    ];
    for (patch, error) in cases {
        assert_eq!(
            decode_pointer(&patch),
            Err(ContentError::Attachment(error)),
            "{patch:?}"
        );
    }
    let at_bounds = [
        long(3, MAX_CONTENT_TYPE_LEN),
        long(7, MAX_LOCATOR_LEN),
        long(11, MAX_THUMBNAIL_LEN),
        long(12, MAX_CAPTION_LEN),
        long(13, MAX_FILE_NAME_LEN),
        (4, field_varint(4, 1 << 48)),
        (8, field_varint(8, 0)),
        (10, field_varint(10, u32::MAX.into())),
    ];
    let Body::Attachment(p) = decode_pointer(&at_bounds).unwrap().body else {
        panic!("an attachment")
    };
    assert_eq!(p.sealed.chunk_count(), 1 << 32);
    assert_eq!((p.width, p.duration_ms), (Some(0), Some(u32::MAX)));
    // The same rules apply inside a reply.
    let reply = [
        field_bytes(1, &[1; 16]),
        field_bytes(3, &pointer_bytes(&[(2, Vec::new())])),
    ]
    .concat();
    assert_eq!(
        Content::from_plaintext(&content_with(&field_bytes(5, &reply))),
        Err(ContentError::Attachment(MediaError::InvalidPointer))
    );
}

#[test]
fn debug_output_redacts_attachment_keys() {
    let content = Content::attachment(id(1), 1, pointer(1));
    let Body::Attachment(p) = &content.body else {
        unreachable!()
    };
    let key_hex = hex::encode(p.sealed.key().as_bytes());
    let key_dec = format!("{:?}", p.sealed.key().as_bytes());
    let printed = format!("{content:?}");
    assert!(printed.contains("AttachmentKey([redacted])"), "{printed}");
    assert!(!printed.contains(&key_hex) && !printed.contains(&key_dec[1..key_dec.len() - 1]));
    assert_eq!(
        format!("{:?}", id(0xab)),
        "MessageId(abababababababababababababababab)"
    );
}

#[test]
fn text_formats_are_kept() {
    for format in [TextFormat::Plain, TextFormat::Markdown] {
        let c = Content::new(
            id(1),
            1,
            Body::Text(Text {
                body: "*a*".into(),
                format,
            }),
        );
        assert_eq!(
            Content::from_plaintext(&c.to_plaintext().unwrap()).unwrap(),
            c
        );
    }
}

/// A `uint32` or enum varint wider than 32 bits is malformed, not truncated to its low bits
/// (which would read `chunk_size = 2^32 + 1024` as 1024, or format `2^32 + 1` as markdown).
/// Long encodings of in-range values are tolerated, as content need not be canonical.
#[test]
fn over_wide_integers_are_malformed() {
    for (number, value) in [(5, (1u64 << 32) + 1024), (8, 1 << 32), (10, u64::MAX)] {
        assert_eq!(
            decode_pointer(&[(number, field_varint(number, value))]),
            Err(ContentError::Malformed),
            "pointer field {number} = {value:#x}"
        );
    }
    assert_eq!(
        decode_pointer(&[(1, field_varint(1, (1 << 32) + 1))]),
        Err(ContentError::Malformed),
        "kind"
    );
    let text = [field_bytes(1, b"x"), field_varint(2, (1 << 32) + 1)].concat();
    assert_eq!(
        Content::from_plaintext(&content_with(&field_bytes(3, &text))),
        Err(ContentError::Malformed),
        "format"
    );
    // The largest uint32 is fine, and so is a 10-byte encoding of 1024.
    let width = decode_pointer(&[(8, field_varint(8, u64::from(u32::MAX)))]).unwrap();
    let Body::Attachment(p) = width.body else {
        panic!()
    };
    assert_eq!(p.width, Some(u32::MAX));
    let long = [&[0x28u8, 0x80, 0x88][..], &[0x80; 7], &[0x00]].concat();
    let decoded = decode_pointer(&[(5, long)]).unwrap();
    let Body::Attachment(p) = decoded.body else {
        panic!()
    };
    assert_eq!(p.sealed.chunk_size(), 1024);
}
