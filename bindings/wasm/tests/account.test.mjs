// The account layer under Node.js: two wasm accounts talk (a session, messages both ways, an
// attachment, a fan-out), one restarts from its exported store as a web page reloads, and
// every refusal is checked by its stable code (SPEC.md 1.1, 14.14).
//
// Run (bindings/ci.sh does): node --test bindings/wasm/tests/
import { test } from "node:test";
import assert from "node:assert/strict";
import { webcrypto } from "node:crypto";
import { cw } from "./pkg.mjs";

const utf8 = (s) => new TextEncoder().encode(s);
const text = (b) => new TextDecoder().decode(b);
const newKey = () => webcrypto.getRandomValues(new Uint8Array(32));
const ALICE = () => new cw.Address("alice@a.example", 1);
const BOB = () => new cw.Address("bob@b.example", 1);

// `f` throws a CrosswireError whose code is `code`.
const throwsCode = (f, code) =>
  assert.throws(f, (e) => {
    assert.ok(e instanceof cw.CrosswireError, `not a CrosswireError: ${e}`);
    assert.equal(e.code, code, e.message);
    return true;
  });

function pair() {
  const aliceKey = newKey(), bobKey = newKey();
  return { alice: cw.Account.create(aliceKey), bob: cw.Account.create(bobKey), aliceKey, bobKey };
}

// Sends `body` as text content and checks it arrives, in the inbox until acked.
function sendText(from, fromAddress, to, toAddress, body, bundle) {
  const envelope = from.encryptContent(toAddress, bundle, cw.Content.text(body));
  const received = to.decryptContent(fromAddress, envelope);
  assert.equal(received.content.kind, "text");
  assert.equal(received.content.textBody, body);
  assert.equal(received.sender.user, fromAddress.user);
  assert.equal(received.sender.device, fromAddress.device);
  assert.ok(to.inbox().some((m) => m.seq === received.seq));
  assert.equal(to.ack(received.seq), true);
  assert.equal(to.ack(received.seq), false);
  return envelope;
}

test("conversation between two wasm accounts: session, both ways, attachment, restart", () => {
  let { alice, bob, aliceKey } = pair();
  assert.equal(bob.identityKey().length, 32);
  assert.notDeepEqual(alice.identityKey(), bob.identityKey());
  const published = bob.upload();
  assert.equal(published.oneTimePreKeys.length, 100);
  assert.equal(bob.oneTimePreKeyCount(), 100);
  assert.equal(bob.maintain(), undefined, "a fresh account has nothing new to publish");

  // Session from a bundle (as the directory serves it), then messages both ways without one.
  sendText(alice, ALICE(), bob, BOB(), "Hi Bob", bob.bundle());
  assert.equal(bob.oneTimePreKeyCount(), 99, "the first message consumed a one-time prekey");
  sendText(bob, BOB(), alice, ALICE(), "Hello Alice");
  sendText(alice, ALICE(), bob, BOB(), "How are you?");
  const raw = bob.decrypt(ALICE(), alice.encrypt(BOB(), undefined, utf8("raw bytes")));
  assert.equal(text(raw.plaintext), "raw bytes");
  assert.equal(raw.content.kind, "undecodable", "raw bytes are not content");
  bob.ack(raw.seq);

  // An attachment: encrypted once, uploaded, its pointer sent in content.
  const file = webcrypto.getRandomValues(new Uint8Array(3000));
  const enc = cw.encryptAttachment(file, 1024);
  const pointer = cw.Content.attachment(enc.sealed, "image/png", "blob/1");
  const got = alice.decryptContent(BOB(), bob.encryptContent(ALICE(), undefined, pointer));
  assert.equal(got.content.kind, "attachment");
  assert.equal(got.content.locator, "blob/1");
  assert.deepEqual(cw.decryptAttachment(got.content.sealedAttachment, enc.ciphertext), file);
  alice.ack(got.seq);

  // Safety numbers agree on both sides once each knows the other's key.
  const digits = alice.safetyNumber("alice@a.example", BOB());
  assert.match(digits, /^[0-9]{60}$/);
  assert.equal(bob.safetyNumber("bob@b.example", ALICE()), digits);
  assert.equal(alice.safetyNumber("alice@a.example", new cw.Address("carol@c.example", 1)),
    undefined);
  assert.deepEqual(alice.trustedIdentity(BOB()), bob.identityKey());

  // Restart: a message arrives and is not acked, the page keeps only the export, reloads.
  const pending = alice.decryptContent(BOB(), bob.encryptContent(ALICE(), undefined,
    cw.Content.text("while you were away")));
  const identity = alice.identityKey();
  const saved = alice.exportStore();
  assert.ok(!Buffer.from(saved).includes(Buffer.from("while you were away")),
    "the export holds sealed rows, not plaintext");
  alice.free();
  alice = cw.Account.open(saved, aliceKey);
  assert.deepEqual(alice.identityKey(), identity);
  const inbox = alice.inbox();
  assert.equal(inbox.length, 1, "an unacknowledged message survives the restart");
  assert.equal(inbox[0].seq, pending.seq);
  assert.equal(inbox[0].content.textBody, "while you were away");
  assert.equal(inbox[0].sender.user, "bob@b.example");
  assert.equal(alice.ack(inbox[0].seq), true);
  sendText(alice, ALICE(), bob, BOB(), "after the restart");
  sendText(bob, BOB(), alice, ALICE(), "still here");
  assert.equal(alice.safetyNumber("alice@a.example", BOB()), digits);
});

// The offset of the last value byte of the first row of `table` in an export (SPEC 14.1:
// "CWMS" 01 u32(n), then per row u8(table) u32(len) key u32(len) value, big-endian).
function lastByteOfRow(exported, table) {
  const view = new DataView(exported.buffer, exported.byteOffset, exported.byteLength);
  let at = 9;
  for (let i = 0; i < view.getUint32(5); i++) {
    const t = exported[at];
    const keyLen = view.getUint32(at + 1);
    const valueLen = view.getUint32(at + 5 + keyLen);
    const end = at + 9 + keyLen + valueLen;
    if (t === table) return end - 1;
    at = end;
  }
  throw new Error(`no row of table ${table}`);
}

test("refusals carry their stable code, and change nothing", () => {
  const { alice, bob, aliceKey } = pair();
  const envelope = alice.encryptContent(BOB(), bob.bundle(), cw.Content.text("once"));
  bob.decryptContent(ALICE(), envelope);

  throwsCode(() => bob.decryptContent(ALICE(), envelope), "decrypt.duplicate_or_expired");
  // After a reply Alice sends ratchet messages; one no session authenticates is SPEC 14.12's
  // session_lost.
  sendText(bob, BOB(), alice, ALICE(), "reply");
  const tampered = alice.encrypt(BOB(), undefined, utf8("x"));
  tampered[tampered.length - 1] ^= 0x80;
  const before = bob.exportStore();
  throwsCode(() => bob.decrypt(ALICE(), tampered), "account.session_lost");
  assert.deepEqual(bob.exportStore(), before, "a refused message writes nothing");
  throwsCode(() => bob.decrypt(ALICE(), utf8("garbage")), "wire.malformed");
  throwsCode(() => alice.encrypt(new cw.Address("carol@c.example", 1), undefined, utf8("x")),
    "account.no_session");
  throwsCode(() => alice.encrypt(BOB(), utf8("not a bundle"), utf8("x")), "bundle.malformed");
  throwsCode(() => new cw.Address("", 1), "account.invalid_address");
  throwsCode(() => cw.Account.create(new Uint8Array(31)), "binding.invalid_argument");
  throwsCode(() => alice.ack(1.5), "binding.invalid_argument");

  // Reopening: the wrong key, a damaged export, an export of no account.
  const saved = alice.exportStore();
  throwsCode(() => cw.Account.open(saved, newKey()), "store.wrong_key");
  throwsCode(() => cw.Account.open(saved.subarray(0, saved.length - 1), aliceKey), "store.corrupt");
  // Flip the last byte of the one `identities` row (table 4, SPEC 14.1), Bob's trust record:
  // the store opens, the record does not.
  const flipped = saved.slice();
  flipped[lastByteOfRow(flipped, 4)] ^= 1;
  const reopened = cw.Account.open(flipped, aliceKey);
  throwsCode(() => reopened.trustedIdentity(BOB()), "store.corrupt");
  throwsCode(() => cw.Account.open(saved.subarray(0, 9), aliceKey), "store.corrupt");
  throwsCode(() => cw.Account.open(utf8("CWMS\x01\0\0\0\0"), aliceKey), "account.not_found");

  // The conversation is intact after all of it.
  sendText(alice, ALICE(), bob, BOB(), "still fine");
});

test("a changed identity is reported with the new key, then trusted", () => {
  const { alice, bob } = pair();
  sendText(bob, BOB(), alice, ALICE(), "first", alice.bundle());
  // Bob reinstalls: same address, new identity.
  const reinstalled = cw.Account.create(newKey());
  const envelope = reinstalled.encrypt(ALICE(), alice.bundle(), utf8("it is me"));
  let changed;
  throwsCode(() => {
    try {
      alice.decrypt(BOB(), envelope);
    } catch (e) {
      changed = e;
      throw e;
    }
  }, "account.identity_changed");
  assert.equal(changed.kind, "IdentityChanged");
  assert.deepEqual(changed.receivedIdentityKey, reinstalled.identityKey());
  assert.deepEqual(alice.trustedIdentity(BOB()), bob.identityKey());

  alice.trustIdentity(BOB(), changed.receivedIdentityKey);
  assert.equal(text(alice.decrypt(BOB(), envelope).plaintext), "it is me");
  throwsCode(() => alice.trustIdentity(BOB(), new Uint8Array(5)), "key.invalid_length");
});

test("fan-out to every device of a user, bundles asked only where needed", () => {
  const { alice } = pair();
  const bob1 = cw.Account.create(newKey()), bob2 = cw.Account.create(newKey());
  const BOB2 = new cw.Address("bob@b.example", 2);
  const changes = alice.setDevices("bob@b.example", [1, 2]);
  assert.deepEqual(changes.added.map((a) => a.device), [1, 2]);
  assert.equal(changes.removed.length, 0);

  const asked = [];
  const directory = {
    bundle(user, device) {
      asked.push(`${user}/${device}`);
      return (device === 1 ? bob1 : bob2).bundle();
    },
  };
  const out = alice.encryptToUser(ALICE(), "bob@b.example", directory, utf8("to both"));
  assert.deepEqual(out.map((o) => o.to.device), [1, 2]);
  assert.deepEqual(asked, ["bob@b.example/1", "bob@b.example/2"]);
  assert.equal(text(bob1.decrypt(ALICE(), out[0].envelope).plaintext), "to both");
  assert.equal(text(bob2.decrypt(ALICE(), out[1].envelope).plaintext), "to both");

  const again = alice.encryptContentToUser(ALICE(), "bob@b.example", directory,
    cw.Content.text("no bundles needed"));
  assert.equal(asked.length, 2, "existing sessions need no bundle");
  assert.equal(bob2.decryptContent(ALICE(), again[1].envelope).content.textBody,
    "no bundles needed");

  // A new device: no bundle, a bad bundle and a throwing source each fail the whole fan-out.
  alice.setDevices("bob@b.example", [1, 2, 3]);
  const before = alice.exportStore();
  throwsCode(() => alice.encryptToUser(ALICE(), "bob@b.example", { bundle: () => undefined },
    utf8("x")), "account.missing_bundle");
  throwsCode(() => alice.encryptToUser(ALICE(), "bob@b.example", { bundle: () => utf8("no") },
    utf8("x")), "bundle.malformed");
  throwsCode(() => alice.encryptToUser(ALICE(), "bob@b.example",
    { bundle: () => { throw new Error("offline"); } }, utf8("x")), "binding.invalid_argument");
  assert.deepEqual(alice.exportStore(), before, "a failed fan-out writes nothing");
  throwsCode(() => alice.encryptToUser(ALICE(), "dave@d.example", directory, utf8("x")),
    "account.no_device_list");

  // Removing a device refuses its messages.
  const removed = alice.setDevices("bob@b.example", [1]);
  assert.deepEqual(removed.removed.map((a) => a.device), [2, 3]);
  throwsCode(() => alice.decrypt(BOB2, bob2.encrypt(ALICE(), undefined, utf8("x"))),
    "account.device_removed");
});

test("a directory serves one-time KEM prekeys from an upload, each consumed once", () => {
  const { alice: dave, bob } = pair();
  const erin = cw.Account.create(newKey());
  const DAVE = () => new cw.Address("dave@d.example", 1), ERIN = () => new cw.Address("erin@e.example", 1);

  const upload = bob.upload();
  const queued = upload.oneTimeKemPreKeys;
  assert.equal(queued.length, bob.oneTimeKemPreKeyCount());
  assert.ok(queued.length > 0);
  const kem = queued[0];
  assert.equal(kem.publicKey.length, 1568);
  assert.equal(kem.signature.length, 64);
  // What the directory received over the network, rebuilt from its fields.
  const received = new cw.PublishedKemPreKey(kem.id, kem.publicKey, kem.signature);
  const served = cw.bundleWithKemPreKey(upload.bundle, received);
  const opk = upload.oneTimePreKeys[0];
  const withBoth = cw.bundleWithOneTimePreKey(served, new cw.PublishedPreKey(opk.id, opk.publicKey));
  assert.ok(withBoth.length > served.length, "the one-time prekey was added");

  // A signature that does not verify is refused by its code.
  const forged = kem.signature;
  forged[0] ^= 1;
  throwsCode(() => cw.bundleWithKemPreKey(upload.bundle,
    new cw.PublishedKemPreKey(kem.id, kem.publicKey, forged)), "bundle.bad_signature");

  const before = bob.oneTimeKemPreKeyCount();
  sendText(dave, DAVE(), bob, BOB(), "hi Bob, post-quantum", served);
  assert.equal(bob.oneTimeKemPreKeyCount(), before - 1, "the first message consumed it");
  sendText(bob, BOB(), dave, DAVE(), "Hello Dave.");
  sendText(dave, DAVE(), bob, BOB(), "Both ways.");

  // A second first message naming the same KEM prekey: refused, nothing consumed.
  const second = erin.encrypt(BOB(), served, utf8("me too"));
  throwsCode(() => bob.decrypt(ERIN(), second), "account.unknown_kem_prekey");
  assert.equal(bob.oneTimeKemPreKeyCount(), before - 1);
});
