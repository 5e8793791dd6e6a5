"""The Python binding end to end.

Core-API scenario (the account layer is test_account.py): two devices, each keeping its session
state in its own SQLite file; a PQXDH session from a published bundle with a one-time KEM
prekey; messages both ways; an attachment; a restart (every object dropped, the files reopened, the
sessions loaded from them) and more messages; typed exceptions for hostile input, after which
the sessions still work; the post-quantum policy on classical bundles and messages.
"""

import os
import sqlite3

import pytest

import crosswire as cw


class Device:
    """One device: its keys in memory, its session state in its own SQLite file."""

    def __init__(self, path):
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("CREATE TABLE IF NOT EXISTS sessions (peer TEXT PRIMARY KEY, state BLOB)")
        self.sessions = {}

    def save(self):
        with self.db:
            for peer, session in self.sessions.items():
                self.db.execute(
                    "INSERT OR REPLACE INTO sessions VALUES (?, ?)", (peer, session.to_bytes())
                )

    def close(self):
        self.db.close()
        self.sessions = {}

    def reopen(self):
        self.db = sqlite3.connect(self.path)
        for peer, state in self.db.execute("SELECT peer, state FROM sessions"):
            self.sessions[peer] = cw.Session.from_bytes(state)


def send_text(sender, receiver, text):
    envelope = sender.encrypt_content(cw.Content.text(text))
    received = receiver.decrypt_content(envelope)
    assert received.kind() == cw.ContentKind.TEXT
    assert received.text_body() == text
    return envelope


@pytest.fixture
def devices(tmp_path):
    alice = Device(str(tmp_path / "alice.sqlite"))
    bob = Device(str(tmp_path / "bob.sqlite"))
    yield alice, bob
    alice.db.close()
    bob.db.close()


def start(alice, bob):
    """Bob publishes a post-quantum bundle; Alice starts a PQXDH session and sends the first
    message; Bob answers it with the prekeys it names."""
    alice_id = cw.IdentityKeyPair.generate()
    bob_id = cw.IdentityKeyPair.generate()
    spk = cw.SignedPreKey.generate(bob_id, 1)
    opk = cw.OneTimePreKey.generate(100)
    kem = cw.KemPreKey.generate(bob_id, 200, cw.KemPreKeyKind.ONE_TIME)
    assert (kem.id(), kem.kind()) == (200, cw.KemPreKeyKind.ONE_TIME)
    assert (len(kem.public_key()), len(kem.signature())) == (1568, 64)
    published = cw.PreKeyBundle(bob_id, spk, opk, kem).to_bytes()

    bundle = cw.PreKeyBundle.from_bytes(published)
    assert bundle.identity_key() == bob_id.public_key()
    assert (bundle.one_time_prekey_id(), bundle.kem_prekey_id()) == (100, 200)
    alice.sessions["bob"] = cw.Session.initiate(alice_id, bundle, b"")
    first = alice.sessions["bob"].encrypt_content(cw.Content.text("Hi Bob, it's Alice."))

    envelope = cw.Envelope.from_bytes(first)
    assert envelope.is_prekey()
    assert envelope.sender_identity_key() == alice_id.public_key()
    ids = (envelope.signed_prekey_id(), envelope.one_time_prekey_id(), envelope.kem_prekey_id())
    assert ids == (1, 100, 200)
    # The classical responder cannot take a PQXDH message.
    with pytest.raises(cw.CrosswireError.Decrypt) as classical:
        cw.session_respond_content(bob_id, spk, opk, first, b"")
    assert classical.value.code == "decrypt.session_mismatch"
    responded = cw.session_respond_content_with(
        bob_id, spk, opk, kem, first, b"", cw.PostQuantum.REQUIRED)
    assert responded.content.text_body() == "Hi Bob, it's Alice."
    bob.sessions["alice"] = responded.session
    assert responded.session.remote_identity_key() == alice_id.public_key()


def test_conversation_attachment_and_restart(devices):
    alice, bob = devices
    start(alice, bob)
    a, b = alice.sessions["bob"], bob.sessions["alice"]
    send_text(b, a, "Hello Alice!")
    send_text(a, b, "How are you? \N{SLIGHTLY SMILING FACE}")
    assert a.decrypt(b.encrypt(b"\x00raw bytes\xff")) == b"\x00raw bytes\xff"

    # An attachment: the ciphertext goes to a blob store, the key only inside the session.
    photo = os.urandom(150_000)
    encrypted = cw.encrypt_attachment(photo)
    uploaded = {"blob/7": encrypted.ciphertext}
    assert encrypted.sealed.plaintext_size() == len(photo)
    content = cw.Content.attachment(encrypted.sealed, "image/jpeg", "blob/7")
    received = b.decrypt_content(a.encrypt_content(content))
    assert received.kind() == cw.ContentKind.ATTACHMENT
    assert received.attachment_content_type() == "image/jpeg"
    downloaded = uploaded[received.attachment_locator()]
    assert cw.decrypt_attachment(received.sealed_attachment(), downloaded) == photo

    # Restart: state to disk, everything dropped, reloaded from the two files.
    alice.save()
    bob.save()
    del a, b
    alice.close()
    bob.close()
    alice.reopen()
    bob.reopen()
    a, b = alice.sessions["bob"], bob.sessions["alice"]
    send_text(a, b, "Still there after the restart?")
    send_text(b, a, "Yes.")


def test_typed_exceptions_leave_sessions_working(devices):
    alice, bob = devices
    start(alice, bob)
    a, b = alice.sessions["bob"], bob.sessions["alice"]

    envelope = send_text(b, a, "once")
    with pytest.raises(cw.CrosswireError.Decrypt) as replay:
        a.decrypt_content(envelope)
    assert replay.value.code == "decrypt.duplicate_or_expired"

    tampered = bytearray(a.encrypt(b"secret"))
    tampered[-1] ^= 0x80
    with pytest.raises(cw.CrosswireError.Decrypt) as forged:
        b.decrypt(bytes(tampered))
    assert forged.value.code == "decrypt.authentication_failed"

    with pytest.raises(cw.CrosswireError.Wire) as garbage:
        b.decrypt(b"\xde\xad\xbe\xef")
    assert garbage.value.code == "wire.malformed"
    with pytest.raises(cw.CrosswireError.Bundle) as bundle:
        cw.PreKeyBundle.from_bytes(b"not a bundle")
    assert bundle.value.code == "bundle.malformed"
    with pytest.raises(cw.CrosswireError.State) as state:
        cw.Session.from_bytes(b"\x01\x02")
    assert state.value.code == "state.malformed"
    with pytest.raises(cw.CrosswireError.InvalidArgument) as context:
        cw.Session.initiate(cw.IdentityKeyPair.generate(), bundle_of_fresh_device(), b"x" * 2000)
    assert context.value.code == "context.too_large"

    encrypted = cw.encrypt_attachment(b"file")
    broken = bytearray(encrypted.ciphertext)
    broken[40] ^= 1
    with pytest.raises(cw.CrosswireError.Media) as media:
        cw.decrypt_attachment(encrypted.sealed, bytes(broken))
    assert media.value.code == "media.authentication_failed"

    send_text(a, b, "after all that, still fine")
    send_text(b, a, "yes")


def bundle_of_fresh_device():
    identity = cw.IdentityKeyPair.generate()
    return cw.PreKeyBundle(identity, cw.SignedPreKey.generate(identity, 1), None)


def test_post_quantum_policy():
    """A classical bundle is refused unless allowed; the responder's policy decides too; a
    last-resort KEM prekey serves more than one session."""
    alice_id, bob_id = cw.IdentityKeyPair.generate(), cw.IdentityKeyPair.generate()
    spk = cw.SignedPreKey.generate(bob_id, 1)
    classical = cw.PreKeyBundle(bob_id, spk)
    assert classical.kem_prekey_id() is None
    with pytest.raises(cw.CrosswireError.Bundle) as refused:
        cw.Session.initiate(alice_id, classical, b"")
    assert refused.value.code == "bundle.classical_only"
    alice = cw.Session.initiate_with(alice_id, classical, b"", cw.PostQuantum.ALLOWED)
    first = alice.encrypt(b"classical")
    assert cw.Envelope.from_bytes(first).kem_prekey_id() is None
    with pytest.raises(cw.CrosswireError.Decrypt) as required:
        cw.session_respond_with(bob_id, spk, None, None, first, b"", cw.PostQuantum.REQUIRED)
    assert required.value.code == "decrypt.classical_only"
    bob = cw.session_respond_with(bob_id, spk, None, None, first, b"", cw.PostQuantum.ALLOWED)
    assert bob.plaintext == b"classical"

    last_resort = cw.KemPreKey.generate(bob_id, 7, cw.KemPreKeyKind.LAST_RESORT)
    bundle = cw.PreKeyBundle(bob_id, spk, None, last_resort)
    for text in (b"one", b"two"):
        a = cw.Session.initiate(alice_id, bundle, b"")
        first = a.encrypt(text)
        assert cw.Envelope.from_bytes(first).kem_prekey_id() == 7
        b = cw.session_respond_with(bob_id, spk, None, last_resort, first, b"",
                                    cw.PostQuantum.REQUIRED)
        assert b.plaintext == text
        assert a.decrypt(b.session.encrypt(b"reply")) == b"reply"
    # The KEM prekey the message does not name is refused.
    other = cw.KemPreKey.generate(bob_id, 8, cw.KemPreKeyKind.ONE_TIME)
    with pytest.raises(cw.CrosswireError.Decrypt) as mismatch:
        cw.session_respond_with(bob_id, spk, None, other, first, b"", cw.PostQuantum.REQUIRED)
    assert mismatch.value.code == "decrypt.session_mismatch"


def test_no_secret_getters():
    """Secret key material has no way out: only public keys and ids are readable."""
    for cls in (cw.IdentityKeyPair, cw.SignedPreKey, cw.OneTimePreKey, cw.KemPreKey,
                cw.SealedAttachment):
        public = {n for n in dir(cls) if not n.startswith("_")}
        assert not any("secret" in n or "seed" in n or n == "key" for n in public), public
