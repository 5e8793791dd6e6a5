//! A five-member group spanning two providers, with Sender Keys.
//!
//! Ana and Ben use a large gatekeeper app; Cleo, Dev and Eli a small third-party one. Every pair
//! of devices has a pairwise session (X3DH through the shared directory, as in
//! `examples/quickstart.rs`); each device sends its sender key to every other over those
//! sessions. Ana then sends a photo to all: the photo is encrypted once, uploaded once, and its
//! pointer goes in one group message, encrypted once and signed. Eli leaves; everyone left
//! rotates and redistributes, and Eli's device can no longer read.
//!
//! Run with `cargo run --example group`.

use std::collections::HashMap;

use crosswire::{
    AttachmentKind, AttachmentPointer, Body, Content, DEFAULT_CHUNK_SIZE, Envelope, GroupError,
    GroupId, GroupReceiver, GroupSender, IdentityKey, IdentityKeyPair, MessageId, PreKeyBundle,
    SenderKeyDistribution, SenderKeyMessage, Session, SignedPreKey, SignedPreKeyId,
    decrypt_attachment, encrypt_attachment,
};

/// One member device: identity, published prekey, its group keys and its pairwise sessions.
struct Device {
    name: &'static str,
    identity: IdentityKeyPair,
    signed_prekey: SignedPreKey,
    sessions: HashMap<&'static str, Session>,
    sender: GroupSender,
    receiver: GroupReceiver,
}

/// Sends this device's current sender key to every device named, over the pairwise sessions.
fn distribute(
    rng: &mut rand::rngs::ThreadRng,
    devices: &mut [Device],
    from: usize,
    to: &[usize],
) -> Result<(), Box<dyn std::error::Error>> {
    let plaintext = devices[from].sender.distribution().to_plaintext();
    for &j in to {
        let to_name = devices[j].name;
        let envelope = devices[from]
            .sessions
            .get_mut(to_name)
            .ok_or("no session")?
            .encrypt(rng, &plaintext)?;
        // On the wire between providers: an ordinary envelope.
        let wire = envelope.to_bytes();
        let from_name = devices[from].name;
        let receiver = &mut devices[j];
        let session = receiver.sessions.get_mut(from_name).ok_or("no session")?;
        let received = session.decrypt(&Envelope::from_bytes(&wire)?)?;
        let distribution = SenderKeyDistribution::from_plaintext(&received)?;
        // Bound to the device the pairwise session authenticated, never to a claim.
        let sender = *session.remote_identity();
        receiver
            .receiver
            .process_distribution(&sender, &distribution)?;
    }
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rng = &mut rand::rng();
    let group = GroupId::random(rng);
    let names = [
        "ana@gatekeeper.example",
        "ben@gatekeeper.example",
        "cleo@thirdparty.example",
        "dev@thirdparty.example",
        "eli@thirdparty.example",
    ];
    let mut devices: Vec<Device> = names
        .iter()
        .map(|&name| {
            let identity = IdentityKeyPair::generate(rng);
            let signed_prekey = SignedPreKey::generate(rng, &identity, SignedPreKeyId(1));
            let sender = GroupSender::new(rng, group, identity.public());
            Device {
                name,
                identity,
                signed_prekey,
                sessions: HashMap::new(),
                sender,
                receiver: GroupReceiver::new(group),
            }
        })
        .collect();

    // Pairwise sessions: i initiates to j with j's published bundle; j responds to the first
    // message. (One-time prekeys are left out for brevity; quickstart shows them.)
    for i in 0..devices.len() {
        for j in i + 1..devices.len() {
            let bundle = PreKeyBundle::new(&devices[j].identity, &devices[j].signed_prekey, None)?;
            let bundle = PreKeyBundle::from_bytes(&bundle.to_bytes())?;
            let context = format!("{} -> {}", devices[i].name, devices[j].name);
            let mut initiator = Session::initiate_with(
                rng,
                &devices[i].identity,
                &bundle,
                context.as_bytes(),
                crosswire::PostQuantum::Allowed,
            )?;
            let Envelope::PreKey(first) = initiator.encrypt(rng, b"hello")? else {
                return Err("the first message is a prekey message".into());
            };
            let (responder, _) = Session::respond(
                &devices[j].identity,
                &devices[j].signed_prekey,
                None,
                &first,
                context.as_bytes(),
            )?;
            let (ni, nj) = (devices[i].name, devices[j].name);
            devices[i].sessions.insert(nj, initiator);
            devices[j].sessions.insert(ni, responder);
        }
    }
    println!("{} devices, {} pairwise sessions", devices.len(), 10);

    let everyone: Vec<usize> = (0..devices.len()).collect();
    for i in 0..devices.len() {
        let others: Vec<usize> = everyone.iter().copied().filter(|&j| j != i).collect();
        distribute(rng, &mut devices, i, &others)?;
    }
    println!("every device holds the other four sender keys");

    // Ana sends a photo: encrypted once, uploaded once, one group message for all.
    let photo: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let (blob, sealed) = encrypt_attachment(rng, &photo, DEFAULT_CHUNK_SIZE)?;
    let mut pointer = AttachmentPointer::new(
        sealed,
        AttachmentKind::Photo,
        "image/jpeg",
        "https://blobs.gatekeeper.example/b/1",
    );
    (pointer.width, pointer.height) = (Some(4032), Some(3024));
    let content = Content::attachment(MessageId::random(rng), 1_764_590_000_000, pointer);
    let message = devices[0].sender.encrypt_content(rng, &content)?;
    let wire = message.to_bytes();
    println!(
        "ana -> group: photo of {} bytes uploaded once ({} bytes), one group message of {} bytes",
        photo.len(),
        blob.len(),
        wire.len()
    );
    let ana = *devices[0].identity.public();
    for d in devices.iter_mut().skip(1) {
        let received = d
            .receiver
            .decrypt_content(&ana, &SenderKeyMessage::from_bytes(&wire)?)?
            .into_content()?;
        let Body::Attachment(p) = received.body else {
            return Err("expected an attachment".into());
        };
        assert_eq!(decrypt_attachment(&p.sealed, &blob)?, photo);
        println!("  {} downloaded and decrypted the photo", d.name);
    }

    // Eli leaves. Every remaining device forgets Eli, rotates, and redistributes to the others.
    let eli = devices.pop().ok_or("no eli")?;
    let eli_id: IdentityKey = *eli.identity.public();
    let mut eli_receiver = eli.receiver;
    let remaining: Vec<usize> = (0..devices.len()).collect();
    for i in 0..devices.len() {
        devices[i].receiver.forget_sender(&eli_id);
        devices[i].sender.rotate(rng);
        let others: Vec<usize> = remaining.iter().copied().filter(|&j| j != i).collect();
        distribute(rng, &mut devices, i, &others)?;
    }
    println!("eli left; the other four rotated their sender keys");

    let farewell = Content::text(MessageId::random(rng), 1_764_590_060_000, "eli has left");
    let after = devices[0].sender.encrypt_content(rng, &farewell)?;
    for d in devices.iter_mut().skip(1) {
        d.receiver.decrypt_content(&ana, &after)?.into_content()?;
    }
    match eli_receiver.decrypt(&ana, &after) {
        Err(GroupError::UnknownSenderKey) => {
            println!("eli's device cannot read the next message: UnknownSenderKey")
        }
        other => return Err(format!("eli should not read: {other:?}").into()),
    }
    // Nor is anything Eli still sends accepted.
    let mut eli_sender = eli.sender;
    let late = eli_sender.encrypt(rng, b"am I still in?")?;
    for d in devices.iter_mut() {
        assert_eq!(
            d.receiver.decrypt(&eli_id, &late),
            Err(GroupError::UnknownSenderKey)
        );
    }
    println!("and nothing eli sends is accepted");
    Ok(())
}
