//! Test vectors: the generator and the checker of `test-vectors/*.json`, and the external
//! known-answer tests (RFC 7748, RFC 8032, RFC 5869, Wycheproof) run through crosswire's own
//! wrappers. Test-only (`#[cfg(test)]`); nothing here is compiled into the library.
//!
//! Every vector file is produced by one function, `run`, that drives the real code with a
//! [`Tape`] as its only source of randomness:
//!
//! - **generating** (`Tape::seeded`): the tape draws from `ChaCha20Rng::seed_from_u64(SEED)` and
//!   records every value handed out, so the file lists each random value with its role;
//! - **checking** (`Tape::replay`): the tape hands out exactly the values the checked-in file
//!   recorded, and the output of `run` must equal the file byte for byte.
//!
//! So the checker needs nothing but the file: every later version of crosswire must reproduce
//! the checked-in bytes from the inputs recorded there. The generator test regenerates each file
//! from its seed and compares it with the checked-in one; with `CROSSWIRE_WRITE_VECTORS=1` it
//! writes `test-vectors/NAME-new.json` instead, for review:
//!
//! ```text
//! CROSSWIRE_WRITE_VECTORS=1 cargo test --lib vectors::
//! ```
//!
//! The independent cross-check is `test-vectors/verify.py`, which recomputes every positive
//! vector from its inputs without any of this code.

mod bounds;
mod content;
mod external;
mod group;
mod invalid;
mod media;
mod pqxdh;
mod ratchet;
mod safety;
mod state;
mod store;
mod wire;
mod x3dh;

use std::collections::VecDeque;
use std::convert::Infallible;
use std::path::PathBuf;

use prost::Message;
use rand::SeedableRng;
use rand::rngs::ChaCha20Rng;
use rand_core::{Rng, TryCryptoRng, TryRng};
use serde_json::{Map, Value, json};

use crate::proto;
use crate::session::Session;

/// Version of the vector file format (the JSON layout, not the protocol).
const FORMAT_VERSION: u32 = 1;

/// The only randomness the code under test sees while vectors are made or checked.
pub(super) struct Tape {
    source: Source,
    /// Every value handed out since the last [`Tape::take`], one entry per `fill_bytes` call.
    drawn: Vec<Vec<u8>>,
}

enum Source {
    Seeded(Box<ChaCha20Rng>),
    Replay(VecDeque<Vec<u8>>),
}

impl Tape {
    pub(super) fn seeded(seed: u64) -> Self {
        Tape {
            source: Source::Seeded(Box::new(ChaCha20Rng::seed_from_u64(seed))),
            drawn: Vec::new(),
        }
    }

    pub(super) fn replay() -> Self {
        Tape {
            source: Source::Replay(VecDeque::new()),
            drawn: Vec::new(),
        }
    }

    /// Runs `f` with this tape as its RNG and returns its result and the values it drew.
    ///
    /// When replaying, the hex values recorded in `recorded` under `keys` (in that order;
    /// `null` entries skipped) are queued first, and `f` must consume exactly those: one
    /// `fill_bytes` call per value, each of the recorded length.
    pub(super) fn draw<T>(
        &mut self,
        recorded: &Value,
        keys: &[&str],
        f: impl FnOnce(&mut Self) -> T,
    ) -> (T, Vec<Vec<u8>>) {
        self.drawn.clear();
        if let Source::Replay(queue) = &mut self.source {
            assert!(queue.is_empty());
            for key in keys {
                match recorded.get(key) {
                    Some(Value::Null) => {}
                    Some(_) => queue.push_back(bytes(recorded, key)),
                    None => panic!("vector lacks the random value {key:?}"),
                }
            }
        }
        let out = f(self);
        if let Source::Replay(queue) = &self.source {
            assert!(
                queue.is_empty(),
                "the code consumed fewer random values than {keys:?} recorded"
            );
        }
        (out, std::mem::take(&mut self.drawn))
    }

    /// [`draw`](Self::draw) for an operation that consumes exactly one value.
    pub(super) fn draw_one<T>(
        &mut self,
        recorded: &Value,
        key: &str,
        f: impl FnOnce(&mut Self) -> T,
    ) -> (T, Vec<u8>) {
        let (out, mut drawn) = self.draw(recorded, &[key], f);
        assert_eq!(drawn.len(), 1, "{key}: expected one random value");
        (out, drawn.remove(0))
    }
}

impl TryRng for Tape {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        let mut b = [0u8; 4];
        self.try_fill_bytes(&mut b)?;
        Ok(u32::from_le_bytes(b))
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        let mut b = [0u8; 8];
        self.try_fill_bytes(&mut b)?;
        Ok(u64::from_le_bytes(b))
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        match &mut self.source {
            Source::Seeded(rng) => rng.fill_bytes(dst),
            Source::Replay(queue) => {
                let value = queue
                    .pop_front()
                    .expect("the code consumed more random values than the vector recorded");
                assert_eq!(
                    value.len(),
                    dst.len(),
                    "recorded random value has wrong length"
                );
                dst.copy_from_slice(&value);
            }
        }
        self.drawn.push(dst.to_vec());
        Ok(())
    }
}

impl TryCryptoRng for Tape {}

// ------------------------------------------------------------------------- JSON helpers ----

/// The error code a negative vector records (SPEC.md 1.1). Every generator writes errors through
/// this one function, never through `Debug`.
pub(super) fn error_code(error: &crate::Error) -> &'static str {
    error.code()
}

/// Lower-case hex string.
pub(super) fn hex(bytes: impl AsRef<[u8]>) -> Value {
    Value::String(hex::encode(bytes))
}

/// Hex, or `null` for `None`.
pub(super) fn hex_opt<B: AsRef<[u8]>>(bytes: Option<B>) -> Value {
    bytes.map_or(Value::Null, hex)
}

/// The bytes of hex field `key`.
pub(super) fn bytes(v: &Value, key: &str) -> Vec<u8> {
    let s = v
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("missing hex field {key:?}"));
    hex::decode(s).unwrap_or_else(|e| panic!("field {key:?}: {e}"))
}

pub(super) fn bytes32(v: &Value, key: &str) -> [u8; 32] {
    bytes(v, key)
        .try_into()
        .unwrap_or_else(|_| panic!("field {key:?} is not 32 bytes"))
}

pub(super) fn uint(v: &Value, key: &str) -> u32 {
    v[key]
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .unwrap_or_else(|| panic!("missing u32 field {key:?}"))
}

pub(super) fn uint_opt(v: &Value, key: &str) -> Option<u32> {
    (!v[key].is_null()).then(|| uint(v, key))
}

pub(super) fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("missing string field {key:?}"))
}

/// The `cases` array of a vector file.
pub(super) fn cases(file: &Value) -> &[Value] {
    assert_eq!(file["format_version"], FORMAT_VERSION);
    file["cases"].as_array().expect("cases")
}

/// A whole vector file.
pub(super) fn file(description: &str, seed: u64, cases: Vec<Value>) -> Value {
    json!({
        "format_version": FORMAT_VERSION,
        "description": description,
        "generator": {
            "rng": "rand 0.10 ChaCha20Rng::seed_from_u64 (rand_chacha); only the generator uses \
                    it: every value drawn is recorded in the cases, and checkers replay those",
            "seed": seed,
            "command": "CROSSWIRE_WRITE_VECTORS=1 cargo test --lib vectors:: \
                        (writes NAME-new.json)",
        },
        "cases": cases,
    })
}

/// Adds the entries of `extra` to the object `base`.
pub(super) fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

/// Panics with the path of the first difference between two JSON values.
pub(super) fn assert_same(got: &Value, want: &Value, path: &str) {
    match (got, want) {
        (Value::Object(g), Value::Object(w)) => {
            for key in g.keys().chain(w.keys()) {
                let (a, b) = (g.get(key), w.get(key));
                match (a, b) {
                    (Some(a), Some(b)) => assert_same(a, b, &format!("{path}.{key}")),
                    _ => panic!("{path}.{key}: present in only one of computed {a:?} / file {b:?}"),
                }
            }
        }
        (Value::Array(g), Value::Array(w)) => {
            for (i, (a, b)) in g.iter().zip(w).enumerate() {
                assert_same(a, b, &format!("{path}[{i}]"));
            }
            assert_eq!(g.len(), w.len(), "{path}: array lengths differ");
        }
        _ => assert_eq!(got, want, "{path}: computed value differs from the file"),
    }
}

// ----------------------------------------------------------------------- session states ----

/// The decoded storage form of a session: how the vectors observe every key inside it. The
/// version 1 layout lists every skipped entry with its ratchet key, which is the form the views
/// below show.
pub(super) fn snapshot(session: &Session) -> proto::SessionState {
    proto::SessionState::decode(&session.to_bytes_v1()[..]).expect("own state decodes")
}

/// The parts of a session state that change as it runs, as JSON.
pub(super) fn ratchet_view(s: &proto::SessionState) -> Value {
    json!({
        "root_key": hex(&s.root_key),
        "ratchet_secret": hex(&s.ratchet_secret),
        "sending": s.sending.as_ref().map(|c| json!({
            "chain_key": hex(&c.chain_key),
            "counter": c.counter,
        })),
        "previous_counter": s.previous_counter,
        "receiving": s.receiving.as_ref().map(|c| json!({
            "ratchet_key": hex(&c.ratchet_key),
            "chain_key": hex(&c.chain_key),
            "counter": c.counter,
        })),
        "skipped": s.skipped.iter().map(|k| json!({
            "ratchet_key": hex(&k.ratchet_key),
            "counter": k.counter,
            "message_seed": hex(&k.message_seed),
        })).collect::<Vec<_>>(),
        "awaiting_reply": s.awaiting_reply,
    })
}

/// Every field of a session state, as JSON.
pub(super) fn state_view(s: &proto::SessionState) -> Value {
    let origin = s.origin.as_ref().map(|o| {
        json!({
            "base_key": hex(&o.base_key),
            "signed_prekey_id": o.signed_prekey_id,
            "one_time_prekey_id": o.one_time_prekey_id,
        })
    });
    merge(
        json!({
            "version": s.version,
            "local_identity": hex(&s.local_identity),
            "remote_identity": hex(&s.remote_identity),
            "associated_data": hex(&s.associated_data),
            "origin": origin,
            "initiator": s.initiator,
        }),
        ratchet_view(s),
    )
}

// ------------------------------------------------------------------------------- files ----

fn path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("test-vectors")
        .join(name)
}

pub(super) fn load(name: &str) -> Value {
    let p = path(&format!("{name}.json"));
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The generator's half of the contract: with `CROSSWIRE_WRITE_VECTORS=1` write
/// `NAME-new.json`; otherwise require the regenerated vectors to equal the checked-in file.
fn regenerate(name: &str, generated: Value) {
    if std::env::var("CROSSWIRE_WRITE_VECTORS").is_ok_and(|v| v == "1") {
        let p = path(&format!("{name}-new.json"));
        std::fs::write(&p, to_text(&generated)).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        eprintln!("wrote {}", p.display());
    } else {
        assert_same(&generated, &load(name), name);
    }
}

/// Pretty JSON with the header fields first (serde_json sorts the keys of nested objects).
fn to_text(file: &Value) -> String {
    const ORDER: [&str; 4] = ["format_version", "description", "generator", "cases"];
    assert_eq!(file.as_object().map(Map::len), Some(ORDER.len()));
    let fields: Vec<String> = ORDER
        .iter()
        .map(|key| {
            let value = serde_json::to_string_pretty(&file[key]).expect("serialize");
            format!("  \"{key}\": {}", value.replace('\n', "\n  "))
        })
        .collect();
    format!("{{\n{}\n}}\n", fields.join(",\n"))
}

/// An empty JSON object, the input of a case with nothing recorded yet.
pub(super) fn object() -> Value {
    Value::Object(Map::new())
}

#[test]
fn pqxdh_generator_matches_file() {
    regenerate("pqxdh", pqxdh::generate());
}

#[test]
fn pqxdh_file_checks() {
    pqxdh::check(&load("pqxdh"));
}

#[test]
fn store_generator_matches_file() {
    regenerate("store", store::generate());
}

#[test]
fn store_file_checks() {
    store::check(&load("store"));
}

#[test]
fn x3dh_generator_matches_file() {
    regenerate("x3dh", x3dh::generate());
}

#[test]
fn x3dh_file_checks() {
    x3dh::check(&load("x3dh"));
}

#[test]
fn ratchet_generator_matches_file() {
    regenerate("ratchet", ratchet::generate());
}

#[test]
fn ratchet_file_checks() {
    ratchet::check(&load("ratchet"));
}

#[test]
fn wire_generator_matches_file() {
    regenerate("wire", wire::generate());
}

#[test]
fn wire_file_checks() {
    wire::check(&load("wire"));
}

#[test]
fn session_state_generator_matches_file() {
    regenerate("session-state", state::generate());
}

#[test]
fn session_state_file_checks() {
    state::check(&load("session-state"));
}

#[test]
fn bounds_generator_matches_file() {
    regenerate("bounds", bounds::generate());
}

#[test]
fn bounds_file_checks() {
    bounds::check(&load("bounds"));
}

#[test]
fn invalid_generator_matches_file() {
    regenerate("invalid", invalid::generate());
}

#[test]
fn invalid_file_checks() {
    invalid::check(&load("invalid"));
}

#[test]
fn media_generator_matches_file() {
    regenerate("media", media::generate());
}

#[test]
fn media_file_checks() {
    media::check(&load("media"));
}

#[test]
fn content_generator_matches_file() {
    regenerate("content", content::generate());
}

#[test]
fn content_file_checks() {
    content::check(&load("content"));
}

#[test]
fn safety_numbers_generator_matches_file() {
    regenerate("safety-numbers", safety::generate());
}

#[test]
fn safety_numbers_file_checks() {
    safety::check(&load("safety-numbers"));
}

#[test]
fn groups_generator_matches_file() {
    regenerate("groups", group::generate());
}

#[test]
fn groups_file_checks() {
    group::check(&load("groups"));
}
