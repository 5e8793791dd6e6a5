"""The Python boundary (the PyO3 extension module). Every failure is a CrosswireError subclass carrying the stable
code of SPEC.md 1.1/14.14 (read here from SPEC.md itself, not from the library), and a panic in
Rust becomes CrosswireError.Internal instead of aborting the interpreter. Arguments and records
behave as Python values.
"""

import os
import pathlib
import re
import subprocess
import sys

import pytest

import crosswire as cw

SPEC = pathlib.Path(__file__).resolve().parents[3] / "SPEC.md"
# Codes that exist only at the boundary (bindings/README.md).
BOUNDARY_CODES = {"binding.panic", "binding.poisoned", "binding.invalid_argument"}


def spec_codes():
    """Every code in the first column of SPEC.md's error-code tables."""
    return set(re.findall(r"^\| `([a-z_]+(?:\.[a-z0-9_]+)+)` \|", SPEC.read_text(), re.M))


def raised(cls, fn, *args):
    with pytest.raises(cls) as info:
        fn(*args)
    e = info.value
    assert isinstance(e, cw.CrosswireError) and isinstance(e, Exception)
    assert e.code in spec_codes() | BOUNDARY_CODES, e.code
    assert e.reason in str(e)
    return e


def pair():
    alice_id, bob_id = cw.IdentityKeyPair.generate(), cw.IdentityKeyPair.generate()
    spk, opk = cw.SignedPreKey.generate(bob_id, 1), cw.OneTimePreKey.generate(1)
    kem = cw.KemPreKey.generate(bob_id, 1, cw.KemPreKeyKind.LAST_RESORT)
    alice = cw.Session.initiate(alice_id, cw.PreKeyBundle(bob_id, spk, opk, kem), b"")
    bob = cw.session_respond_with(bob_id, spk, opk, kem, alice.encrypt(b"hi"), b"",
                                  cw.PostQuantum.REQUIRED).session
    # A reply ends Alice's prekey messages, so a tampered byte below lands in a ratchet message
    # (in a prekey message it could hit the KEM ciphertext: decrypt.session_mismatch).
    assert alice.decrypt(bob.encrypt(b"ok")) == b"ok"
    return alice, bob


def test_spec_lists_the_codes_this_file_expects():
    # Guards the parser: an empty set would make every membership check below vacuous.
    codes = spec_codes()
    assert {"decrypt.authentication_failed", "store.wrong_key", "account.no_session"} <= codes


def test_session_errors_carry_codes_and_leave_the_session_working():
    alice, bob = pair()
    envelope = alice.encrypt(b"once")
    assert bob.decrypt(envelope) == b"once"

    e = raised(cw.CrosswireError.Decrypt, bob.decrypt, envelope)
    assert (e.code, e.reason) == ("decrypt.duplicate_or_expired", "DuplicateOrExpired")

    tampered = bytearray(alice.encrypt(b"secret"))
    tampered[-1] ^= 0x80
    e = raised(cw.CrosswireError.Decrypt, bob.decrypt, bytes(tampered))
    assert e.code == "decrypt.authentication_failed"
    # bytearray is accepted wherever bytes are.
    e = raised(cw.CrosswireError.Decrypt, bob.decrypt, tampered)
    assert e.code == "decrypt.authentication_failed"

    assert raised(cw.CrosswireError.Wire, bob.decrypt, b"\xde\xad").code.startswith("wire.")
    assert raised(cw.CrosswireError.Bundle, cw.PreKeyBundle.from_bytes, b"x").code.startswith(
        "bundle.")
    assert raised(cw.CrosswireError.State, cw.Session.from_bytes, b"\x01").code.startswith(
        "state.")
    identity = cw.IdentityKeyPair.generate()
    bundle = cw.PreKeyBundle(identity, cw.SignedPreKey.generate(identity, 1))
    e = raised(cw.CrosswireError.InvalidArgument, cw.Session.initiate,
               cw.IdentityKeyPair.generate(), bundle, b"x" * 5000)
    assert e.code == "context.too_large"

    encrypted = cw.encrypt_attachment(b"file")
    broken = bytearray(encrypted.ciphertext)
    broken[40] ^= 1
    e = raised(cw.CrosswireError.Media, cw.decrypt_attachment, encrypted.sealed, bytes(broken))
    assert e.code.startswith("media.")

    assert bob.decrypt(alice.encrypt(b"still fine")) == b"still fine"
    assert alice.decrypt(bob.encrypt(b"both ways")) == b"both ways"


def test_account_errors_carry_codes(tmp_path):
    path, key = str(tmp_path / "a.db"), os.urandom(32)
    alice = cw.Account.create(path, key)
    e = raised(cw.CrosswireError.Account, alice.encrypt,
               cw.Address(user="bob@b.example", device=1), None, b"no session")
    assert (e.code, e.reason) == ("account.no_session", "NoSession")
    e = raised(cw.CrosswireError.Account, alice.encrypt, cw.Address(user="", device=1), None, b"")
    assert e.code == "account.invalid_address"
    e = raised(cw.CrosswireError.Key, alice.trust_identity,
               cw.Address(user="bob@b.example", device=1), b"short")
    assert e.code == "key.invalid_length"
    del alice

    e = raised(cw.CrosswireError.Store, cw.Account.open, path, os.urandom(32))
    assert (e.code, e.reason) == ("store.wrong_key", "WrongKey")
    e = raised(cw.CrosswireError.InvalidArgument, cw.Account.open, path, b"short")
    assert e.code == "binding.invalid_argument"
    e = raised(cw.CrosswireError.Account, cw.Account.create, path, key)
    assert e.code == "account.already_exists"


def test_identity_changed_carries_both_keys(tmp_path):
    alice = cw.Account.create(str(tmp_path / "a.db"), os.urandom(32))
    bob1 = cw.Account.create(str(tmp_path / "b1.db"), os.urandom(32))
    bob2 = cw.Account.create(str(tmp_path / "b2.db"), os.urandom(32))
    ALICE, BOB = cw.Address(user="alice", device=1), cw.Address(user="bob", device=7)
    alice.decrypt(BOB, bob1.encrypt(ALICE, alice.bundle(), b"first install"))
    e = raised(cw.CrosswireError.IdentityChanged, alice.decrypt, BOB,
               bob2.encrypt(ALICE, alice.bundle(), b"new install"))
    assert e.code == "account.identity_changed"
    assert (e.user, e.device) == ("bob", 7)
    assert (e.trusted, e.received) == (bob1.identity_key(), bob2.identity_key())


def test_every_area_is_a_subclass_of_crosswire_error():
    areas = ["Key", "Bundle", "Wire", "Decrypt", "Encrypt", "State", "Content", "Media", "Store",
             "IdentityChanged", "Account", "InvalidArgument", "Internal"]
    for area in areas:
        cls = getattr(cw.CrosswireError, area)
        assert issubclass(cls, cw.CrosswireError) and cls is not cw.CrosswireError, area
    assert issubclass(cw.CrosswireError, Exception)


def test_a_panic_becomes_an_exception_not_an_abort():
    e = raised(cw.CrosswireError.Internal, cw._native._panic_for_tests)
    assert e.code == "binding.panic"
    # The interpreter and the library are still usable after it.
    alice, bob = pair()
    assert bob.decrypt(alice.encrypt(b"after the panic")) == b"after the panic"


def test_the_package_loads_the_extension_module_not_uniffi():
    assert cw.Session.__module__ == "crosswire"
    assert pathlib.Path(cw._native.__file__).name.startswith("_native")
    # A fresh interpreter imports it without the UniFFI module present.
    code = "import sys, crosswire; assert 'crosswire.crosswire_ffi' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True,
                   cwd=pathlib.Path(__file__).resolve().parents[1])


def test_bytearray_arguments_and_value_records(tmp_path):
    key = bytearray(os.urandom(32))
    alice = cw.Account.create(str(tmp_path / "a.db"), key)
    bob = cw.Account.create(str(tmp_path / "b.db"), os.urandom(32))
    ALICE = cw.Address(user="alice", device=1)
    BOB = cw.Address(user="bob", device=1)
    # Addresses are values: equal, hashable, usable as dictionary keys.
    assert cw.Address(user="bob", device=1) == BOB and BOB != ALICE
    assert {BOB: "x"}[cw.Address(user="bob", device=1)] == "x"
    assert repr(BOB) == "Address(user=\"bob\", device=1)"

    envelope = alice.encrypt(BOB, bytearray(bob.bundle()), bytearray(b"from a bytearray"))
    entry = bob.decrypt(ALICE, bytearray(envelope))
    assert (entry.seq, entry.sender, entry.plaintext) == (1, ALICE, b"from a bytearray")
    assert isinstance(entry.plaintext, bytes)
    assert bob.inbox() == [entry]
    del alice
    assert cw.Account.open(str(tmp_path / "a.db"), bytes(key)).identity_key() is not None
