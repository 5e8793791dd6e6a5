//! Two users on two providers, each device's whole E2EE state in its own SQLite file.
//!
//! Alice (provider A) has a phone and a laptop; Bob (provider B) a phone, and later a tablet.
//! Each provider runs a prekey directory (here a map in memory) listing its users' devices and
//! their bundles. The story: Alice and Bob write to each other for the first time at the same
//! moment, every message reaches every device (one's own included), Bob adds a tablet, Alice's
//! laptop app restarts mid-conversation, Alice's phone is reinstalled (a new identity key that
//! Bob's devices must accept), and the two compare safety numbers.
//!
//! Run with `cargo run --example two_providers`.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::error::Error;
use std::path::{Path, PathBuf};

use crosswire::account::{
    Account, AccountError, DeviceAddress, Options, Outgoing, Upload, bundle_with_one_time_prekey,
};
use crosswire::store::{SqliteStore, StorageKey};
use crosswire::{OneTimePreKeyId, PreKeyBundle, PublicKey};

const ALICE: &str = "im:alice@a.example";
const BOB: &str = "im:bob@b.example";

/// The providers' directories: per device the latest bundle and a queue of one-time prekeys,
/// each handed out once.
#[derive(Default)]
struct Directory {
    entries: BTreeMap<DeviceAddress, (PreKeyBundle, VecDeque<(OneTimePreKeyId, PublicKey)>)>,
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

    fn fetch(&mut self, device: &DeviceAddress) -> Option<PreKeyBundle> {
        let (bundle, queue) = self.entries.get_mut(device)?;
        match queue.pop_front() {
            Some((id, key)) => bundle_with_one_time_prekey(bundle, id, &key).ok(),
            None => Some(bundle.clone()),
        }
    }

    /// The device ids the directory lists for `user`.
    fn devices(&self, user: &str) -> Vec<u32> {
        self.entries
            .keys()
            .filter(|a| a.user() == user)
            .map(|a| a.device())
            .collect()
    }
}

/// One installed app: a device address, the key from the platform keystore, its database.
struct App {
    address: DeviceAddress,
    storage_key: StorageKey,
    path: PathBuf,
    account: Account<SqliteStore>,
}

impl App {
    fn install(
        dir: &Path,
        user: &str,
        device: u32,
        install: u32,
        directory: &mut Directory,
    ) -> Result<App, Box<dyn Error>> {
        let rng = &mut rand::rng();
        let address = DeviceAddress::new(user, device)?;
        let name = format!("{}-{device}-{install}.db", user.replace([':', '@'], "_"));
        let path = dir.join(name);
        // In a real app: generated once and kept in the Android Keystore / iOS Keychain.
        let storage_key = StorageKey::generate(rng);
        let store = SqliteStore::open(&path, Default::default())?;
        let (account, upload) = Account::create(rng, store, &storage_key, Options::default())?;
        println!(
            "{address}: installed, {} one-time prekeys published",
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

    /// Learns both users' device lists from the directory.
    fn sync_devices(&mut self, directory: &Directory) -> Result<(), Box<dyn Error>> {
        for user in [ALICE, BOB] {
            let changes =
                self.account
                    .set_devices(&mut rand::rng(), user, &directory.devices(user))?;
            for a in changes.added {
                if a != self.address {
                    println!("{}: learns of device {a}", self.address);
                }
            }
        }
        Ok(())
    }
}

struct World {
    apps: HashMap<DeviceAddress, App>,
    directory: Directory,
}

impl World {
    fn app(&mut self, user: &str, device: u32) -> Result<&mut App, Box<dyn Error>> {
        let a = DeviceAddress::new(user, device)?;
        self.apps.get_mut(&a).ok_or_else(|| "no such app".into())
    }

    /// `from` writes `text` to `to_user`: one envelope per device of theirs and of our own.
    fn send(
        &mut self,
        from: &DeviceAddress,
        to_user: &str,
        text: &str,
    ) -> Result<Vec<Outgoing>, Box<dyn Error>> {
        let World { apps, directory } = self;
        let app = apps.get_mut(from).ok_or("no such app")?;
        let outs = app.account.encrypt_to_user(
            &mut rand::rng(),
            from,
            to_user,
            |device| directory.fetch(device),
            text.as_bytes(),
        )?;
        let to: Vec<String> = outs.iter().map(|o| o.to.to_string()).collect();
        println!("{from}: sends {text:?} to {}", to.join(", "));
        Ok(outs)
    }

    /// Delivers envelopes from `from`; a new identity key is shown and (in this example's
    /// policy, after the users compared safety numbers) accepted.
    fn deliver(&mut self, from: &DeviceAddress, outs: &[Outgoing]) -> Result<(), Box<dyn Error>> {
        let rng = &mut rand::rng();
        for out in outs {
            let app = self.apps.get_mut(&out.to).ok_or("no such app")?;
            let entry = match app.account.decrypt(rng, from, &out.envelope) {
                Err(AccountError::IdentityChanged { received, .. }) => {
                    println!(
                        "{}: the security key of {from} changed (reinstalled?): accepting it",
                        app.address
                    );
                    app.account.trust_identity(rng, from, &received)?;
                    app.account.decrypt(rng, from, &out.envelope)?
                }
                r => r?,
            };
            println!(
                "  {} shows: {:?}",
                app.address,
                String::from_utf8_lossy(&entry.plaintext)
            );
            // Acknowledge only once the message is in the app's own history.
            app.account.ack(entry.seq)?;
        }
        Ok(())
    }

    fn sync_all(&mut self) -> Result<(), Box<dyn Error>> {
        for app in self.apps.values_mut() {
            app.sync_devices(&self.directory)?;
        }
        Ok(())
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let rng = &mut rand::rng();
    let dir = std::env::temp_dir().join(format!("crosswire-two-providers-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let mut w = World {
        apps: HashMap::new(),
        directory: Directory::default(),
    };
    for (user, device) in [(ALICE, 1), (ALICE, 2), (BOB, 1)] {
        let app = App::install(&dir, user, device, 0, &mut w.directory)?;
        w.apps.insert(app.address.clone(), app);
    }
    w.sync_all()?;
    let (alice_phone, alice_laptop, bob_phone) = (
        DeviceAddress::new(ALICE, 1)?,
        DeviceAddress::new(ALICE, 2)?,
        DeviceAddress::new(BOB, 1)?,
    );

    println!("\n-- Alice and Bob write first at the same moment");
    let from_alice = w.send(&alice_phone, BOB, "Hi Bob, Alice here!")?;
    let from_bob = w.send(&bob_phone, ALICE, "Hello Alice, it's Bob!")?;
    w.deliver(&alice_phone, &from_alice)?;
    w.deliver(&bob_phone, &from_bob)?;
    // They answer at once again: the messages cross, and both still settle on one session.
    let a = w.send(&alice_phone, BOB, "Ha, we wrote at once.")?;
    let b = w.send(&bob_phone, ALICE, "Great minds.")?;
    w.deliver(&alice_phone, &a)?;
    w.deliver(&bob_phone, &b)?;
    let a = w.send(&alice_phone, BOB, "Talk later?")?;
    let b = w.send(&bob_phone, ALICE, "Sure.")?;
    w.deliver(&alice_phone, &a)?;
    w.deliver(&bob_phone, &b)?;
    let at_alice = w
        .app(ALICE, 1)?
        .account
        .current_session_id(&bob_phone)?
        .ok_or("no session")?;
    let at_bob = w
        .app(BOB, 1)?
        .account
        .current_session_id(&alice_phone)?
        .ok_or("no session")?;
    println!(
        "one session between the phones: {}",
        if at_alice == at_bob { "yes" } else { "not yet" }
    );

    println!("\n-- Bob adds a tablet");
    let tablet = App::install(&dir, BOB, 2, 0, &mut w.directory)?;
    w.apps.insert(tablet.address.clone(), tablet);
    w.sync_all()?;
    let m = w.send(&alice_laptop, BOB, "Bob, is that a new tablet?")?;
    w.deliver(&alice_laptop, &m)?;
    let bob_tablet = DeviceAddress::new(BOB, 2)?;
    let m = w.send(&bob_tablet, ALICE, "It is. Typing from it now.")?;
    w.deliver(&bob_tablet, &m)?;

    println!("\n-- Alice's laptop app restarts before the next message arrives");
    let m = w.send(&bob_phone, ALICE, "Nothing is lost on a restart.")?;
    let laptop = w.apps.remove(&alice_laptop).ok_or("no laptop")?.restart()?;
    w.apps.insert(alice_laptop.clone(), laptop);
    w.deliver(&bob_phone, &m)?;

    println!("\n-- Alice's phone is reinstalled: new database, new identity key");
    w.apps.remove(&alice_phone);
    let phone = App::install(&dir, ALICE, 1, 1, &mut w.directory)?;
    w.apps.insert(alice_phone.clone(), phone);
    w.sync_all()?;
    let m = w.send(&alice_phone, BOB, "New phone, same Alice.")?;
    w.deliver(&alice_phone, &m)?;
    let m = w.send(&bob_phone, ALICE, "Welcome back.")?;
    w.deliver(&bob_phone, &m)?;

    println!("\n-- Safety numbers, read aloud or scanned");
    let at_alice = w
        .app(ALICE, 1)?
        .account
        .safety_number(ALICE, &bob_phone)?
        .ok_or("no key for Bob")?;
    let at_bob = w
        .app(BOB, 1)?
        .account
        .safety_number(BOB, &alice_phone)?
        .ok_or("no key for Alice")?;
    println!("at Alice's phone: {at_alice}");
    println!("at Bob's phone:   {at_bob}");
    println!(
        "Bob scans Alice's code: {}",
        if at_bob.matches_scanned(&at_alice.scannable())? {
            "match"
        } else {
            "MISMATCH"
        }
    );

    println!("\n-- Regular maintenance");
    let mut addresses: Vec<DeviceAddress> = w.apps.keys().cloned().collect();
    addresses.sort();
    for a in addresses {
        let app = w.apps.get_mut(&a).ok_or("no such app")?;
        match app.account.maintain(rng)? {
            Some(upload) => {
                println!(
                    "{a}: publishing {} new prekeys",
                    upload.one_time_prekeys.len()
                );
                w.directory.publish(&a, upload);
            }
            None => println!("{a}: prekeys are fine"),
        }
    }

    drop(w);
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
