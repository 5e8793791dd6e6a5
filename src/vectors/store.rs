//! `store.json`: one account's whole store, row by row (SPEC.md 14.1-14.3): the storage key,
//! the store id, the row key and key check derived from them, every row with its table, key,
//! plaintext, nonce and sealed value, and the `MemoryStore` export of them all.
//!
//! The generator runs a real exchange (two accounts, a PQXDH session, a reply) with a seeded
//! RNG and a fixed clock and records Alice's store. The checker needs only the file: it seals
//! each recorded plaintext again under the recorded nonce, rebuilds the export from the rows,
//! and opens the export as an account, which must show the recorded identity, inbox, trust and
//! device list. So a later crosswire that stops reading this layout fails here.

use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use rand_core::Rng;
use serde_json::{Value, json};

use super::{Tape, bytes, bytes32, cases, file, hex, hex_opt, text, uint};
use crate::account::{Account, Clock, DeviceAddress, Options};
use crate::store::seal::{STORE_ID_LEN, Sealer, key_check};
use crate::store::{MemoryStore, StorageKey, Table};

/// Seed of the generator's ChaCha20Rng for this file.
const SEED: u64 = 16;
/// The fixed clock of both accounts (seconds since the Unix epoch).
const NOW: u64 = 1_780_000_000;

const DESCRIPTION: &str = "An account's store (SPEC.md 14.1-14.3): Alice's MemoryStore after \
    she started a PQXDH session with Bob's device 1 and decrypted his reply. storage_key and \
    store_id give row_key and key_check (14.2); each row has its table, key, value as stored, \
    and for a sealed row its nonce and plaintext (value = 0x01 || nonce || AES-256-GCM(row_key, \
    nonce, AD, plaintext), AD = \"crosswire/v1/store-row\" || 0x01 || u8(len(table)) || table || \
    key); plaintexts have the layouts of 14.3. export is MemoryStore::export of all rows \
    (14.1). identity_key, inbox, trusted and devices are what Account::open on the export \
    shows.";

const ALICE_MESSAGE: &[u8] = b"hello bob";
const BOB_REPLY: &[u8] = b"hello alice";

fn options() -> Options {
    Options {
        one_time_prekeys: 2,
        replenish_below: 1,
        one_time_kem_prekeys: 1,
        replenish_kem_below: 1,
        clock: Clock::from_fn(|| NOW),
        ..Options::default()
    }
}

fn alice() -> DeviceAddress {
    DeviceAddress::new("alice", 1).expect("valid address")
}

fn bob() -> DeviceAddress {
    DeviceAddress::new("bob", 1).expect("valid address")
}

pub(super) fn generate() -> Value {
    let rng = &mut ChaCha20Rng::seed_from_u64(SEED);
    let mut key = [0u8; 32];
    rng.fill_bytes(&mut key);
    let storage_key = StorageKey::from_bytes(key);
    let (mut alice_account, _) =
        Account::create(rng, MemoryStore::new(), &storage_key, options()).expect("create");
    let bob_key = StorageKey::generate(rng);
    let (mut bob_account, _) =
        Account::create(rng, MemoryStore::new(), &bob_key, options()).expect("create");
    alice_account
        .set_devices(rng, "bob", &[1])
        .expect("device list");
    let bundle = bob_account.bundle(rng).expect("bundle");
    let first = alice_account
        .encrypt(rng, &bob(), Some(&bundle), ALICE_MESSAGE)
        .expect("encrypt");
    let got = bob_account.decrypt(rng, &alice(), &first).expect("decrypt");
    assert_eq!(&got.plaintext[..], ALICE_MESSAGE);
    let reply = bob_account
        .encrypt(rng, &alice(), None, BOB_REPLY)
        .expect("reply");
    let entry = alice_account.decrypt(rng, &bob(), &reply).expect("decrypt");

    let export = alice_account.store().export();
    let rows = parse_export(&export);
    let store_id: [u8; STORE_ID_LEN] = rows
        .iter()
        .find(|(t, k, _)| *t == Table::Meta && k == b"store_id")
        .and_then(|(_, _, v)| v.as_slice().try_into().ok())
        .expect("store id row");
    let sealer = Sealer::new(&storage_key, &store_id);
    let rows: Vec<Value> = rows
        .iter()
        .map(|(table, key, value)| {
            let clear = *table == Table::Meta && UNSEALED.contains(&key.as_slice());
            let plaintext = (!clear).then(|| sealer.open(*table, key, value).expect("opens"));
            json!({
                "table": table.name(),
                "key": hex(key),
                "value": hex(value),
                "nonce": hex_opt((!clear).then(|| &value[1..13])),
                "plaintext": hex_opt(plaintext.as_deref()),
            })
        })
        .collect();
    let case = json!({
        "name": "Alice after a first exchange with bob.1",
        "storage_key": hex(key),
        "store_id": hex(store_id),
        "row_key": hex(row_key(&key, &store_id)),
        "key_check": hex(key_check(&storage_key, &store_id)),
        "identity_key": hex(alice_account.identity_key().as_bytes()),
        "inbox": [{
            "seq": entry.seq,
            "from_user": entry.from.user(),
            "from_device": entry.from.device(),
            "plaintext": hex(&entry.plaintext[..]),
        }],
        "trusted": [{
            "user": "bob",
            "device": 1,
            "identity_key": hex(bob_account.identity_key().as_bytes()),
        }],
        "devices": [{ "user": "bob", "devices": [1] }],
        "rows": rows,
        "export": hex(&export),
    });
    file(DESCRIPTION, SEED, vec![case])
}

/// The Meta rows stored in the clear (SPEC.md 14.2).
const UNSEALED: [&[u8]; 2] = [b"store_id", b"key_check"];

/// An intermediate for the file's readers; the checker verifies it through the seals.
fn row_key(key: &[u8; 32], store_id: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(store_id), key)
        .expand(b"crosswire/v1/store-row-key", &mut out)
        .expect("32 bytes");
    out
}

/// The rows of a `MemoryStore` export, in its order (SPEC.md 14.1).
fn parse_export(export: &[u8]) -> Vec<(Table, Vec<u8>, Vec<u8>)> {
    let u32_at = |i: usize| u32::from_be_bytes(export[i..i + 4].try_into().expect("4")) as usize;
    assert_eq!(&export[..5], b"CWMS\x01");
    let n = u32_at(5);
    let mut at = 9;
    let mut rows = Vec::with_capacity(n);
    for _ in 0..n {
        let table = Table::ALL[usize::from(export[at])];
        let key_len = u32_at(at + 1);
        let key = export[at + 5..at + 5 + key_len].to_vec();
        at += 5 + key_len;
        let value_len = u32_at(at);
        let value = export[at + 4..at + 4 + value_len].to_vec();
        at += 4 + value_len;
        rows.push((table, key, value));
    }
    assert_eq!(at, export.len());
    rows
}

fn table_named(name: &str) -> Table {
    *Table::ALL
        .iter()
        .find(|t| t.name() == name)
        .unwrap_or_else(|| panic!("unknown table {name}"))
}

pub(super) fn check(file: &Value) {
    for c in cases(file) {
        let key = bytes32(c, "storage_key");
        let storage_key = StorageKey::from_bytes(key);
        let store_id: [u8; STORE_ID_LEN] = bytes(c, "store_id").try_into().expect("16 bytes");
        assert_eq!(
            key_check(&storage_key, &store_id).to_vec(),
            bytes(c, "key_check")
        );
        let sealer = Sealer::new(&storage_key, &store_id);
        let mut export = b"CWMS\x01".to_vec();
        let rows = c["rows"].as_array().expect("rows");
        export.extend_from_slice(&(rows.len() as u32).to_be_bytes());
        for row in rows {
            let table = table_named(text(row, "table"));
            let row_key = bytes(row, "key");
            let value = bytes(row, "value");
            if row["plaintext"].is_null() {
                assert!(table == Table::Meta && UNSEALED.contains(&row_key.as_slice()));
            } else {
                let plaintext = bytes(row, "plaintext");
                let (sealed, _) = Tape::replay().draw(row, &["nonce"], |tape| {
                    sealer.seal(tape, table, &row_key, &plaintext)
                });
                assert_eq!(sealed.expect("seals"), value, "row {row}");
            }
            export.push(table.index() as u8);
            export.extend_from_slice(&(row_key.len() as u32).to_be_bytes());
            export.extend_from_slice(&row_key);
            export.extend_from_slice(&(value.len() as u32).to_be_bytes());
            export.extend_from_slice(&value);
        }
        assert_eq!(export, bytes(c, "export"));

        let store = MemoryStore::import(&export).expect("the export imports");
        let mut account = Account::open(store, &storage_key, options()).expect("opens");
        assert_eq!(
            account.identity_key().as_bytes().to_vec(),
            bytes(c, "identity_key")
        );
        let inbox = account.inbox().expect("inbox");
        let want = c["inbox"].as_array().expect("inbox");
        assert_eq!(inbox.len(), want.len());
        for (got, want) in inbox.iter().zip(want) {
            assert_eq!(got.seq, u64::from(uint(want, "seq")));
            assert_eq!(got.from.user(), text(want, "from_user"));
            assert_eq!(got.from.device(), uint(want, "from_device"));
            assert_eq!(got.plaintext.to_vec(), bytes(want, "plaintext"));
        }
        for t in c["trusted"].as_array().expect("trusted") {
            let address = DeviceAddress::new(text(t, "user"), uint(t, "device")).expect("address");
            let trusted = account.trusted_identity(&address).expect("trust row");
            assert_eq!(
                trusted.map(|k| k.as_bytes().to_vec()),
                Some(bytes(t, "identity_key"))
            );
        }
        for d in c["devices"].as_array().expect("devices") {
            let want: Vec<u32> = d["devices"]
                .as_array()
                .expect("devices")
                .iter()
                .map(|v| v.as_u64().expect("device") as u32)
                .collect();
            assert_eq!(
                account.device_list(text(d, "user")).expect("list"),
                Some(want)
            );
        }
    }
}
