//! Two users on two providers, each device's whole E2EE state in its own SQLite file.
//!
//! Alice uses provider A, Bob provider B. Each provider runs a prekey directory (here a map in
//! memory) that its users publish to and anyone fetches from. Alice starts a conversation from
//! Bob's published bundle, Bob answers, Alice's app is restarted mid-conversation (the account
//! is dropped and reopened from its file), and both compare safety numbers.
//!
//! Run with `cargo run --example two_providers`.

use std::collections::{HashMap, VecDeque};
use std::error::Error;

use crosswire::account::{Account, DeviceAddress, Options, Upload, bundle_with_one_time_prekey};
use crosswire::store::{SqliteStore, StorageKey};
use crosswire::{OneTimePreKeyId, PreKeyBundle, PublicKey};

/// A provider's prekey directory: per device the latest bundle and a queue of one-time
/// prekeys, each handed out once.
#[derive(Default)]
struct Directory {
    entries: HashMap<DeviceAddress, (PreKeyBundle, VecDeque<(OneTimePreKeyId, PublicKey)>)>,
}

impl Directory {
    fn publish(&mut self, device: &DeviceAddress, upload: Upload) {
        let entry = self
            .entries
            .entry(device.clone())
            .or_insert_with(|| (upload.bundle.clone(), VecDeque::new()));
        entry.0 = upload.bundle;
        entry.1.extend(upload.one_time_prekeys);
    }

    fn fetch(&mut self, device: &DeviceAddress) -> Result<PreKeyBundle, Box<dyn Error>> {
        let (bundle, queue) = self.entries.get_mut(device).ok_or("unknown device")?;
        Ok(match queue.pop_front() {
            Some((id, key)) => bundle_with_one_time_prekey(bundle, id, &key)?,
            None => bundle.clone(),
        })
    }
}

/// One installed app: a device address, the key from the platform keystore, its database.
struct App {
    address: DeviceAddress,
    storage_key: StorageKey,
    path: std::path::PathBuf,
    account: Account<SqliteStore>,
}

impl App {
    fn install(
        dir: &std::path::Path,
        user: &str,
        device: u32,
        directory: &mut Directory,
    ) -> Result<App, Box<dyn Error>> {
        let rng = &mut rand::rng();
        let address = DeviceAddress::new(user, device)?;
        let path = dir.join(format!("{}-{device}.db", user.replace([':', '@'], "_")));
        // In a real app: generated once and kept in the Android Keystore / iOS Keychain.
        let storage_key = StorageKey::generate(rng);
        let store = SqliteStore::open(&path, Default::default())?;
        let (account, upload) = Account::create(rng, store, &storage_key, Options::default())?;
        println!(
            "{address}: created {}, publishing {} one-time prekeys",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            upload.one_time_prekeys.len()
        );
        directory.publish(&address, upload);
        Ok(App {
            address,
            storage_key,
            path,
            account,
        })
    }

    /// What an app restart does: everything in memory is gone, the file stays.
    fn restart(self) -> Result<App, Box<dyn Error>> {
        let App {
            address,
            storage_key,
            path,
            account,
        } = self;
        drop(account);
        let store = SqliteStore::open(&path, Default::default())?;
        let account = Account::open(store, &storage_key, Options::default())?;
        println!("{address}: app restarted, account reopened from its file");
        Ok(App {
            address,
            storage_key,
            path,
            account,
        })
    }

    /// Shows every message waiting in the inbox, then acknowledges it.
    fn show_inbox(&mut self) -> Result<(), Box<dyn Error>> {
        for entry in self.account.inbox()? {
            println!(
                "{}: message {} from {}: {:?}",
                self.address,
                entry.seq,
                entry.from,
                String::from_utf8_lossy(&entry.plaintext)
            );
            // Acknowledge only once the message is in the app's own history.
            self.account.ack(entry.seq)?;
        }
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let rng = &mut rand::rng();
    let dir = std::env::temp_dir().join(format!("crosswire-two-providers-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut provider_a = Directory::default();
    let mut provider_b = Directory::default();

    let mut alice = App::install(&dir, "im:alice@a.example", 1, &mut provider_a)?;
    let mut bob = App::install(&dir, "im:bob@b.example", 1, &mut provider_b)?;

    // Alice writes first: provider A fetches Bob's bundle from provider B.
    let bundle = provider_b.fetch(&bob.address)?;
    let wire = alice
        .account
        .encrypt(rng, &bob.address, Some(&bundle), b"Hi Bob, Alice here.")?;
    println!("{}: sent {} bytes", alice.address, wire.len());

    // Bob's device receives it: decrypted and stored in his inbox in one commit.
    bob.account.decrypt(rng, &alice.address, &wire)?;
    bob.show_inbox()?;

    let reply = bob.account.encrypt(
        rng,
        &alice.address,
        None,
        b"Hello Alice! Different apps, same conversation.",
    )?;

    // Alice's phone restarts before the reply arrives: nothing is lost.
    alice = alice.restart()?;
    alice.account.decrypt(rng, &bob.address, &reply)?;
    alice.show_inbox()?;

    let more = alice
        .account
        .encrypt(rng, &bob.address, None, b"Still here after the restart.")?;
    bob.account.decrypt(rng, &alice.address, &more)?;
    bob.show_inbox()?;

    // They compare safety numbers, read aloud or by scanning a QR code.
    let at_alice = alice
        .account
        .safety_number(alice.address.user(), &bob.address)?
        .ok_or("no key for Bob")?;
    let at_bob = bob
        .account
        .safety_number(bob.address.user(), &alice.address)?
        .ok_or("no key for Alice")?;
    println!("safety number at Alice: {at_alice}");
    println!("safety number at Bob:   {at_bob}");
    println!(
        "Bob scans Alice's code: {}",
        if at_bob.matches_scanned(&at_alice.scannable())? {
            "match"
        } else {
            "MISMATCH"
        }
    );

    // Regular maintenance: replenish one-time prekeys, rotate the signed prekey by age.
    for app in [&mut alice, &mut bob] {
        match app.account.maintain(rng)? {
            Some(upload) => println!(
                "{}: publishing {} new prekeys",
                app.address,
                upload.one_time_prekeys.len()
            ),
            None => println!("{}: prekeys are fine", app.address),
        }
    }

    drop((alice, bob));
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
