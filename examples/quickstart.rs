//! Two users on two different messaging providers start an end-to-end encrypted session.
//!
//! Wanda uses a large gatekeeper app; Theo uses a small third-party app. Each provider publishes
//! its users' prekey bundles in a shared directory (in real life: the interoperability API), and
//! messages travel as opaque envelope bytes. Neither provider can read them.
//!
//! Run with `cargo run --example quickstart`.

use std::collections::HashMap;

use crosswire::{
    Envelope, IdentityKeyPair, OneTimePreKey, OneTimePreKeyId, PreKeyBundle, Session, SignedPreKey,
    SignedPreKeyId,
};

/// A device: its long-term identity and the prekeys it has published.
struct Device {
    name: &'static str,
    identity: IdentityKeyPair,
    signed_prekey: SignedPreKey,
    one_time_prekeys: HashMap<OneTimePreKeyId, OneTimePreKey>,
}

impl Device {
    fn new(name: &'static str) -> Self {
        let rng = &mut rand::rng();
        let identity = IdentityKeyPair::generate(rng);
        let signed_prekey = SignedPreKey::generate(rng, &identity, SignedPreKeyId(1));
        let one_time_prekeys = OneTimePreKey::generate_batch(rng, OneTimePreKeyId(1), 100)
            .into_iter()
            .map(|k| (k.id(), k))
            .collect();
        Device {
            name,
            identity,
            signed_prekey,
            one_time_prekeys,
        }
    }

    /// What the provider uploads to the directory: one bundle per one-time prekey.
    fn bundles(&self) -> Vec<Vec<u8>> {
        self.one_time_prekeys
            .values()
            .filter_map(|k| PreKeyBundle::new(&self.identity, &self.signed_prekey, Some(k)).ok())
            .map(|b| b.to_bytes())
            .collect()
    }
}

/// The shared directory: hands out each published bundle once.
#[derive(Default)]
struct Directory {
    bundles: HashMap<&'static str, Vec<Vec<u8>>>,
}

impl Directory {
    fn publish(&mut self, device: &Device) {
        self.bundles.insert(device.name, device.bundles());
    }

    fn fetch(&mut self, name: &str) -> Option<Vec<u8>> {
        self.bundles.get_mut(name)?.pop()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rng = &mut rand::rng();
    let wanda = Device::new("wanda@gatekeeper.example");
    let mut theo = Device::new("theo@thirdparty.example");

    let mut directory = Directory::default();
    directory.publish(&wanda);
    directory.publish(&theo);
    println!("Both providers published prekey bundles to the directory.");

    // Both sides bind the session to the two account addresses.
    let context = b"wanda@gatekeeper.example -> theo@thirdparty.example";

    // Wanda fetches Theo's bundle; decoding verifies its signature.
    let bundle = PreKeyBundle::from_bytes(&directory.fetch(theo.name).ok_or("no bundle")?)?;
    let mut wanda_session = Session::initiate_with(
        rng,
        &wanda.identity,
        &bundle,
        context,
        crosswire::PostQuantum::Allowed,
    )?;
    let first = wanda_session.encrypt(rng, b"Hi Theo, it's Wanda from the other app!")?;
    let wire = first.to_bytes();
    println!(
        "Wanda -> Theo: prekey message, {} bytes on the wire",
        wire.len()
    );

    // Theo's client receives the first message and looks up the prekeys it names.
    let Envelope::PreKey(prekey_message) = Envelope::from_bytes(&wire)? else {
        return Err("expected a prekey message".into());
    };
    let opk_id = prekey_message
        .one_time_prekey_id()
        .ok_or("no one-time prekey")?;
    let opk = theo
        .one_time_prekeys
        .get(&opk_id)
        .ok_or("unknown one-time prekey")?;
    let (mut theo_session, text) = Session::respond(
        &theo.identity,
        &theo.signed_prekey,
        Some(opk),
        &prekey_message,
        context,
    )?;
    // Delete the one-time prekey together with saving the session (atomically, in a real app).
    theo.one_time_prekeys.remove(&opk_id);
    println!("Theo reads: {:?}", String::from_utf8_lossy(&text));

    // Theo replies with three messages; the network delivers the second one last.
    let replies: Vec<Vec<u8>> = ["Hey Wanda!", "Interop works.", "No gateway can read this."]
        .iter()
        .map(|t| {
            theo_session
                .encrypt(rng, t.as_bytes())
                .map(|e| e.to_bytes())
        })
        .collect::<Result<_, _>>()?;
    for i in [0, 2, 1] {
        let text = wanda_session.decrypt(&Envelope::from_bytes(&replies[i])?)?;
        println!(
            "Wanda reads reply #{i}: {:?}",
            String::from_utf8_lossy(&text)
        );
    }

    // A replay of an already-read message is refused and changes nothing.
    let replay = wanda_session.decrypt(&Envelope::from_bytes(&replies[1])?);
    println!(
        "Replaying reply #1 again: {}",
        replay.err().map_or("accepted?!".into(), |e| e.to_string())
    );

    // A few more turns: each one turns the Diffie-Hellman ratchet.
    for turn in 0..4 {
        let (from, to, sender, receiver) = if turn % 2 == 0 {
            ("Wanda", "Theo", &mut wanda_session, &mut theo_session)
        } else {
            ("Theo", "Wanda", &mut theo_session, &mut wanda_session)
        };
        let text = format!("turn {turn}: hello from {from}");
        let wire = sender.encrypt(rng, text.as_bytes())?.to_bytes();
        let read = receiver.decrypt(&Envelope::from_bytes(&wire)?)?;
        println!(
            "{to} reads: {:?} ({} bytes on the wire)",
            String::from_utf8_lossy(&read),
            wire.len()
        );
    }

    // Sessions are values: store them (encrypted at rest) and load them later.
    let saved = wanda_session.to_bytes();
    let mut wanda_session = Session::from_bytes(&saved)?;
    let wire = wanda_session
        .encrypt(rng, b"Saved and restored, still talking.")?
        .to_bytes();
    let read = theo_session.decrypt(&Envelope::from_bytes(&wire)?)?;
    println!(
        "After Wanda's app restarted, Theo reads: {:?}",
        String::from_utf8_lossy(&read)
    );
    println!(
        "Session state is {} bytes; printed it looks like: {wanda_session:?}",
        saved.len()
    );
    Ok(())
}
