"""The account layer through the Python binding: the issue's scenario.

Two accounts (two providers' users), each on its own SQLite file sealed under its own storage
key; a prekey directory simulated by a dict; a session started from a fetched bundle; messages
both ways; an attachment; a restart (both accounts dropped and reopened from their files)
mid-conversation; then a wrong storage key and a changed identity as typed exceptions.
"""

import os

import pytest

import crosswire as cw

ALICE = cw.Address(user="alice@provider-a.example", device=1)
BOB = cw.Address(user="bob@provider-b.example", device=1)


def send(sender, to, receiver, frm, text, bundle=None):
    envelope = sender.encrypt_content(to, bundle, cw.Content.text(text))
    received = receiver.decrypt_content(frm, envelope)
    assert received.content.kind() == cw.ContentKind.TEXT
    assert received.content.text_body() == text
    # The message is in the receiver's inbox until the application acknowledges it.
    assert [m.seq for m in receiver.inbox()] == [received.seq]
    assert receiver.ack(received.seq)
    assert receiver.inbox() == []
    return envelope


def test_two_accounts_two_sqlite_files_with_restart(tmp_path):
    alice_path, bob_path = str(tmp_path / "alice.db"), str(tmp_path / "bob.db")
    alice_key, bob_key = os.urandom(32), os.urandom(32)
    alice = cw.Account.create(alice_path, alice_key)
    bob = cw.Account.create(bob_path, bob_key)

    # Bob publishes; the directory hands Alice a bundle with one of his one-time prekeys.
    upload = bob.upload()
    assert len(upload.one_time_prekeys) == bob.one_time_prekey_count() > 0
    fetched = bob.bundle()
    assert cw.PreKeyBundle.from_bytes(fetched).identity_key() == bob.identity_key()

    send(alice, BOB, bob, ALICE, "Hi Bob, it's Alice.", bundle=fetched)
    send(bob, ALICE, alice, BOB, "Hello Alice!")
    send(alice, BOB, bob, ALICE, "How are you?")
    assert alice.safety_number(ALICE.user, BOB) == bob.safety_number(BOB.user, ALICE) is not None

    # An attachment: ciphertext to a blob store, key inside the account's session.
    photo = os.urandom(100_000)
    encrypted = cw.encrypt_attachment(photo)
    blobs = {"blob/1": encrypted.ciphertext}
    envelope = alice.encrypt_content(
        BOB, None, cw.Content.attachment(encrypted.sealed, "image/jpeg", "blob/1"))
    received = bob.decrypt_content(ALICE, envelope)
    content = received.content
    assert content.kind() == cw.ContentKind.ATTACHMENT
    assert cw.decrypt_attachment(content.sealed_attachment(),
                                 blobs[content.attachment_locator()]) == photo
    bob.ack(received.seq)

    # Restart: drop both, reopen from the files.
    del alice, bob
    alice = cw.Account.open(alice_path, alice_key)
    bob = cw.Account.open(bob_path, bob_key)
    send(bob, ALICE, alice, BOB, "Still there after the restart?")
    send(alice, BOB, bob, ALICE, "Yes, nothing lost.")

    # Raw bytes too; an unacknowledged message survives a restart in the inbox.
    entry = bob.decrypt(ALICE, alice.encrypt(BOB, None, b"\x00\x01raw"))
    assert entry.plaintext == b"\x00\x01raw" and entry.sender == ALICE
    del bob
    bob = cw.Account.open(bob_path, bob_key)
    assert [m.plaintext for m in bob.inbox()] == [b"\x00\x01raw"]


def test_typed_exceptions(tmp_path):
    path = str(tmp_path / "a.db")
    key = os.urandom(32)
    alice = cw.Account.create(path, key)
    del alice
    with pytest.raises(cw.CrosswireError.Store) as wrong:
        cw.Account.open(path, os.urandom(32))
    assert wrong.value.code == "store.wrong_key"
    with pytest.raises(cw.CrosswireError.InvalidArgument) as short:
        cw.Account.open(path, b"short")
    assert short.value.code == "binding.invalid_argument"
    alice = cw.Account.open(path, key)

    with pytest.raises(cw.CrosswireError.Account) as none:
        alice.encrypt(BOB, None, b"no session, no bundle")
    assert none.value.code == "account.no_session"

    # Bob reinstalls: a new identity at the same address. A typed outcome carrying both keys,
    # never silently accepted; once the application accepts it, the same envelope decrypts.
    bob1 = cw.Account.create(str(tmp_path / "b1.db"), os.urandom(32))
    bob2 = cw.Account.create(str(tmp_path / "b2.db"), os.urandom(32))
    alice.decrypt(BOB, bob1.encrypt(ALICE, alice.bundle(), b"hi from the first install"))
    envelope = bob2.encrypt(ALICE, alice.bundle(), b"hi from the new install")
    with pytest.raises(cw.CrosswireError.IdentityChanged) as changed:
        alice.decrypt(BOB, envelope)
    assert changed.value.code == "account.identity_changed"
    assert changed.value.trusted == bob1.identity_key()
    assert changed.value.received == bob2.identity_key()
    alice.trust_identity(BOB, changed.value.received)
    assert alice.decrypt(BOB, envelope).plaintext == b"hi from the new install"


def test_directory_serves_one_time_kem_prekeys_consumed_once(tmp_path):
    """A directory fed from Bob's upload serves a bundle with a one-time KEM prekey: a PQXDH
    session from it, messages both ways, and the KEM prekey consumed exactly once."""
    bob = cw.Account.create(str(tmp_path / "bob.db"), os.urandom(32))
    dave = cw.Account.create(str(tmp_path / "dave.db"), os.urandom(32))
    erin = cw.Account.create(str(tmp_path / "erin.db"), os.urandom(32))
    DAVE = cw.Address(user="dave@provider-d.example", device=1)
    ERIN = cw.Address(user="erin@provider-e.example", device=1)

    upload = bob.upload()
    queued = upload.one_time_kem_prekeys
    assert len(queued) == bob.one_time_kem_prekey_count() > 0
    kem = queued[0]
    assert (len(kem.public_key), len(kem.signature)) == (1568, 64)
    # What the directory received over the network, rebuilt from its fields.
    received = cw.PublishedKemPreKey(kem.id, kem.public_key, kem.signature)
    assert received == kem
    served = cw.bundle_with_kem_prekey(upload.bundle, received)
    assert cw.PreKeyBundle.from_bytes(served).kem_prekey_id() == kem.id
    prekey = upload.one_time_prekeys[0]
    with_both = cw.bundle_with_one_time_prekey(served, cw.PublishedPreKey(prekey.id,
                                                                        prekey.public_key))
    assert cw.PreKeyBundle.from_bytes(with_both).one_time_prekey_id() == prekey.id

    # A signature that does not verify is refused by its code.
    forged = cw.PublishedKemPreKey(kem.id, kem.public_key,
                                   bytes([kem.signature[0] ^ 1]) + kem.signature[1:])
    with pytest.raises(cw.CrosswireError.Bundle) as bad:
        cw.bundle_with_kem_prekey(upload.bundle, forged)
    assert bad.value.code == "bundle.bad_signature"

    before = bob.one_time_kem_prekey_count()
    first = dave.encrypt(BOB, served, b"hi Bob, post-quantum")
    assert cw.Envelope.from_bytes(first).kem_prekey_id() == kem.id
    entry = bob.decrypt(DAVE, first)
    assert entry.plaintext == b"hi Bob, post-quantum"
    assert bob.ack(entry.seq)
    assert bob.one_time_kem_prekey_count() == before - 1
    send(bob, DAVE, dave, BOB, "Hello Dave.")
    send(dave, BOB, bob, DAVE, "Both ways.")

    # A second first message naming the same KEM prekey: refused, nothing consumed.
    second = erin.encrypt(BOB, served, b"me too")
    with pytest.raises(cw.CrosswireError.Account) as spent:
        bob.decrypt(ERIN, second)
    assert spent.value.code == "account.unknown_kem_prekey"
    assert bob.one_time_kem_prekey_count() == before - 1
