// The wasm build under Node.js: a conversation on the platform CSPRNG, and the committed test
// vectors reproduced byte for byte by replaying their recorded random values.
//
// Run (bindings/ci.sh does): node --test bindings/wasm/tests/
// with the module built into target/wasm-pkg by wasm-bindgen --target nodejs
// (or CROSSWIRE_WASM_PKG=/path/to/pkg).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { cw, root } from "./pkg.mjs";

const hex = (s) => Uint8Array.from(Buffer.from(s, "hex"));
const toHex = (b) => Buffer.from(b).toString("hex");
const utf8 = (s) => new TextEncoder().encode(s);
const vectors = (name) => JSON.parse(readFileSync(path.join(root, "test-vectors", `${name}.json`)));

// Hands out exactly the recorded values, in order. A wrong request length is answered with an
// empty array, which the module turns into a thrown CrosswireError (an exception thrown here
// would unwind through wasm frames).
class Replay {
  constructor(values) {
    this.queue = values.filter((v) => v !== null && v !== undefined).map(hex);
  }
  fill(length) {
    const next = this.queue.shift();
    return next && next.length === length ? next : new Uint8Array(0);
  }
  done() {
    assert.equal(this.queue.length, 0, "the code consumed fewer random values than recorded");
  }
}

function replay(values, f) {
  const rng = new Replay(values);
  const out = f(rng);
  rng.done();
  return out;
}

test("platform randomness is live and varies", () => {
  const a = cw.platformRandom();
  const b = cw.platformRandom();
  assert.equal(a.length, 32);
  assert.notDeepEqual(a, b);
  assert.notDeepEqual(toHex(cw.IdentityKeyPair.generate().publicKey()),
    toHex(cw.IdentityKeyPair.generate().publicKey()));
});

test("conversation between two wasm devices", () => {
  const aliceId = cw.IdentityKeyPair.generate();
  const bobId = cw.IdentityKeyPair.generate();
  const spk = cw.SignedPreKey.generate(bobId, 1);
  const opk = cw.OneTimePreKey.generate(7);
  const kem = cw.KemPreKey.generate(bobId, 8, "one-time");
  const published = cw.PreKeyBundle.postQuantumWithOneTimePreKey(bobId, spk, opk, kem).toBytes();

  let alice = cw.Session.initiate(aliceId, cw.PreKeyBundle.fromBytes(published), new Uint8Array());
  const first = alice.encryptContent(cw.Content.text("Hi Bob"));
  assert.equal(cw.Envelope.fromBytes(first).kemPreKeyId, 8);
  const responded = cw.Session.respondPostQuantumWithOneTimePreKey(bobId, spk, opk, kem, first,
    new Uint8Array());
  let bob = responded.takeSession();
  assert.equal(responded.content.kind, "text");
  assert.equal(responded.content.textBody, "Hi Bob");

  const send = (from, to, text) => {
    const env = from.encryptContent(cw.Content.text(text));
    const got = to.decryptContent(env);
    assert.equal(got.kind, "text");
    assert.equal(got.textBody, text);
    return env;
  };
  send(bob, alice, "Hello Alice");
  send(alice, bob, "How are you?");
  assert.deepEqual(alice.decrypt(bob.encrypt(utf8("raw"))), utf8("raw"));

  const file = cw.platformRandom().subarray(0, 20);
  const enc = cw.encryptAttachment(file);
  const received = bob.decryptContent(
    alice.encryptContent(cw.Content.attachment(enc.sealed, "image/png", "blob/1")));
  assert.equal(received.kind, "attachment");
  assert.equal(received.locator, "blob/1");
  assert.deepEqual(cw.decryptAttachment(received.sealedAttachment, enc.ciphertext), file);

  // Restart: only the serialized states survive.
  const saved = [alice.toBytes(), bob.toBytes()];
  alice.free();
  bob.free();
  alice = cw.Session.fromBytes(saved[0]);
  bob = cw.Session.fromBytes(saved[1]);
  const env = send(alice, bob, "after the restart");
  send(bob, alice, "still here");

  // Typed errors, and the session survives them.
  assert.throws(() => bob.decrypt(env), (e) => e instanceof cw.CrosswireError &&
    e.kind === "Decrypt" && e.reason === "DuplicateOrExpired" &&
    e.code === "decrypt.duplicate_or_expired");
  const tampered = alice.encrypt(utf8("x"));
  tampered[tampered.length - 1] ^= 0x80;
  assert.throws(() => bob.decrypt(tampered), (e) => e.kind === "Decrypt" &&
    e.reason === "AuthenticationFailed" && e.code === "decrypt.authentication_failed");
  assert.throws(() => bob.decrypt(utf8("garbage")), (e) => e.kind === "Wire");
  assert.throws(() => cw.PreKeyBundle.fromBytes(utf8("nope")), (e) => e.kind === "Bundle");
  send(alice, bob, "still fine");
});

test("x3dh.json: identities, prekeys and bundles byte for byte", () => {
  const file = vectors("x3dh");
  assert.ok(file.cases.length > 0);
  for (const c of file.cases) {
    const alice = replay([c.alice_identity_seed], (r) => cw.IdentityKeyPair.generate(r));
    const bob = replay([c.bob_identity_seed], (r) => cw.IdentityKeyPair.generate(r));
    assert.equal(toHex(alice.publicKey()), c.alice_identity_key, c.name);
    assert.equal(toHex(bob.publicKey()), c.bob_identity_key, c.name);
    const spk = replay([c.signed_prekey_secret],
      (r) => cw.SignedPreKey.generate(bob, c.signed_prekey_id, r));
    assert.equal(toHex(spk.publicKey()), c.signed_prekey_public, c.name);
    const opk = c.one_time_prekey_id === null ? undefined : replay([c.one_time_prekey_secret],
      (r) => cw.OneTimePreKey.generate(c.one_time_prekey_id, r));
    if (opk) assert.equal(toHex(opk.publicKey()), c.one_time_prekey_public, c.name);
    const bundle = opk ? cw.PreKeyBundle.withOneTimePreKey(bob, spk, opk) : new cw.PreKeyBundle(bob, spk);
    assert.equal(toHex(bundle.toBytes()), c.bundle, c.name);
  }
});

test("ratchet.json: every envelope and plaintext of every conversation", () => {
  const file = vectors("ratchet");
  assert.ok(file.cases.length > 0);
  for (const c of file.cases) {
    const context = hex(c.context);
    const alice = replay([c.alice_identity_seed], (r) => cw.IdentityKeyPair.generate(r));
    const bob = replay([c.bob_identity_seed], (r) => cw.IdentityKeyPair.generate(r));
    const spk = replay([c.signed_prekey_secret],
      (r) => cw.SignedPreKey.generate(bob, c.signed_prekey_id, r));
    const opk = c.one_time_prekey_id === null ? undefined : replay([c.one_time_prekey_secret],
      (r) => cw.OneTimePreKey.generate(c.one_time_prekey_id, r));
    const bundle = opk ? cw.PreKeyBundle.withOneTimePreKey(bob, spk, opk) : new cw.PreKeyBundle(bob, spk);
    // Classical (X3DH) conversations: the explicit policy lets the initiator take the bundle.
    const sessions = {
      alice: replay([c.ephemeral_secret, c.initiator_ratchet_secret],
        (r) => cw.Session.initiateWith(alice, bundle, context, "allowed", r)),
      bob: null,
    };
    const sent = [];
    let checked = 0;
    for (const e of c.events) {
      if (e.action === "encrypt") {
        const env = replay([e.ratchet_secret, e.salt],
          (r) => sessions[e.party].encrypt(hex(e.plaintext), r));
        assert.equal(toHex(env), e.envelope, `${c.name}: message ${e.message}`);
        sent[e.message] = e;
      } else {
        const m = sent[e.message];
        let plaintext;
        if (sessions[e.party] === null) {
          const responded = opk
            ? cw.Session.respondWithOneTimePreKey(bob, spk, opk, hex(m.envelope), context)
            : cw.Session.respond(bob, spk, hex(m.envelope), context);
          sessions[e.party] = responded.takeSession();
          plaintext = responded.plaintext;
        } else {
          plaintext = sessions[e.party].decrypt(hex(m.envelope));
        }
        assert.equal(toHex(plaintext), m.plaintext, `${c.name}: deliver ${e.message}`);
      }
      checked++;
    }
    assert.equal(checked, c.events.length);
  }
});

test("session-state.json: stored sessions load and continue byte for byte", () => {
  const file = vectors("session-state");
  assert.ok(file.cases.length > 0);
  for (const c of file.cases) {
    const session = cw.Session.fromBytes(hex(c.state));
    // `rewritten`: what to_bytes writes for the loaded state (version 1 loads, version 2 is written).
    assert.equal(toHex(session.toBytes()), c.rewritten ?? c.state, c.name);
    for (const op of c.next) {
      if (op.action === "decrypt") {
        assert.equal(toHex(session.decrypt(hex(op.envelope))), op.plaintext, c.name);
      } else {
        const env = replay([op.ratchet_secret, op.salt], (r) => session.encrypt(hex(op.plaintext), r));
        assert.equal(toHex(env), op.envelope, c.name);
      }
    }
  }
});

test("media.json: attachment ciphertexts byte for byte", () => {
  const file = vectors("media");
  const valid = file.cases.filter((c) => c.plaintext !== undefined);
  assert.ok(valid.length > 0);
  for (const c of valid) {
    const enc = replay([c.attachment_key],
      (r) => cw.encryptAttachment(hex(c.plaintext), c.chunk_size, r));
    assert.equal(toHex(enc.ciphertext), c.ciphertext, c.name);
    assert.equal(toHex(cw.decryptAttachment(enc.sealed, enc.ciphertext)), c.plaintext, c.name);
  }
});

test("a misbehaving random source is an error, not a key made of zeros", () => {
  assert.throws(() => cw.IdentityKeyPair.generate({ fill: () => new Uint8Array(3) }),
    (e) => e.kind === "InvalidArgument" && e.code === "binding.invalid_argument");
});
