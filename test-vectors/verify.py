#!/usr/bin/env python3
"""Independent checker of crosswire's test vectors.

A second implementation of SPEC.md, written from the specification and sharing no code with
crosswire: it recomputes every positive vector in this directory from its inputs and requires
every byte to match, and it replays every negative vector (invalid.json, and the error cases
of content.json and media.json) and requires the stated error. Primitives: X25519, Ed25519
and AES-256-GCM from the `cryptography` package; SHA-256/SHA-512, HMAC and HKDF from the
standard library; Edwards-curve arithmetic (point decompression, the birational map to
X25519, small-order checks), protobuf, content padding and the attachment STREAM written here.

    pip install cryptography
    python3 test-vectors/verify.py          # exits non-zero on any mismatch
"""

import hashlib
import hmac
import json
import os
import sys

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.asymmetric.x25519 import (
    X25519PrivateKey,
    X25519PublicKey,
)
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

HERE = os.path.dirname(os.path.abspath(__file__))

# ------------------------------------------------------------------ constants (SPEC 3, 11) --

LABEL_X3DH = b"crosswire/v1/x3dh"
LABEL_RATCHET = b"crosswire/v1/ratchet"
LABEL_MESSAGE = b"crosswire/v1/message"
LABEL_SIGNED_PREKEY = b"crosswire/v1/signed-prekey"
LABEL_KEM_PREKEY = b"crosswire/v1/kem-prekey"
KEM_PUBLIC_KEY_LEN = 1568
KEM_Q = 3329
MAX_SKIP = 2000
MAX_SKIPPED_KEYS = 2000
MAX_PLAINTEXT_LEN = 128 * 1024
MAX_ENVELOPE_LEN = MAX_PLAINTEXT_LEN + 16 + 1024 + 1579  # SPEC 6.2: room for the PQXDH fields
MAX_BUNDLE_LEN = 2048
MAX_STATE_LEN = 256 * 1024
MAX_CONTEXT_LEN = 1024


class Reject(Exception):
    """An input crosswire must reject; the message is the error's code (SPEC 1.1)."""


def error_code(recorded):
    """The code of a vector's `error`: codes pass through; an error still written in crosswire's
    older Debug form (`Wire(InvalidKey(LowOrder))`) is translated by the rule of SPEC 1.1."""
    if "(" not in recorded and "." in recorded:
        return recorded
    if recorded == "ContextTooLarge":
        return "context.too_large"
    rename = {"InvalidKey": "key", "Attachment": "attachment"}
    parts = [p for p in recorded.replace(")", "").split("(") if p]
    snake = lambda n: "".join("_" + c.lower() if c.isupper() else c for c in n).lstrip("_")
    return ".".join(rename.get(p, snake(p)) for p in parts)


# ---------------------------------------------------------------------------- primitives --


def hmac_sha256(key, data):
    return hmac.new(key, data, hashlib.sha256).digest()


def hkdf(salt, ikm, info, length):
    """RFC 5869 with SHA-256."""
    prk = hmac_sha256(salt, ikm)
    out, block, i = b"", b"", 1
    while len(out) < length:
        block = hmac_sha256(prk, block + info + bytes([i]))
        out += block
        i += 1
    return out[:length]


def x25519(k, u):
    """RFC 7748 X25519; the all-zero output (low-order u) raises."""
    priv = X25519PrivateKey.from_private_bytes(k)
    try:
        out = priv.exchange(X25519PublicKey.from_public_bytes(u))
    except ValueError as e:  # OpenSSL refuses an all-zero result
        raise Reject("key.non_contributory") from e
    if out == bytes(32):
        raise Reject("key.non_contributory")
    return out


def x25519_public(k):
    return X25519PrivateKey.from_private_bytes(k).public_key().public_bytes_raw()


def aead_seal(key, nonce, ad, pt):
    return AESGCM(key).encrypt(nonce, pt, ad)


def aead_open(key, nonce, ad, ct):
    try:
        return AESGCM(key).decrypt(nonce, ct, ad)
    except InvalidTag:
        return None


# -------------------------------------------------------------- curve arithmetic (2.1) --

P = 2**255 - 19
D = -121665 * pow(121666, -1, P) % P
L = 2**252 + 27742317777372353535851937790883648493
SQRT_M1 = pow(2, (P - 1) // 4, P)
NEUTRAL = (0, 1, 1, 0)


def point_add(a, b):
    # Extended coordinates, RFC 8032 section 5.1.4.
    x1, y1, z1, t1 = a
    x2, y2, z2, t2 = b
    aa = (y1 - x1) * (y2 - x2) % P
    bb = (y1 + x1) * (y2 + x2) % P
    cc = 2 * t1 * t2 * D % P
    dd = 2 * z1 * z2 % P
    e, f, g, h = bb - aa, dd - cc, dd + cc, bb + aa
    return (e * f % P, g * h % P, f * g % P, e * h % P)


def is_neutral(pt):
    x, y, z, _ = pt
    return x % P == 0 and (y - z) % P == 0


def decompress(b):
    """RFC 8032 5.1.3 decoding, plus crosswire's canonical-encoding rule. None if invalid."""
    v = int.from_bytes(b, "little")
    y, sign = v & ((1 << 255) - 1), v >> 255
    if y >= P:
        return None  # non-canonical y
    x2 = (y * y - 1) * pow(D * y * y + 1, -1, P) % P
    if x2 == 0:
        if sign:
            return None  # x = 0 with the sign bit set: not the canonical encoding
        x = 0
    else:
        x = pow(x2, (P + 3) // 8, P)
        if (x * x - x2) % P:
            x = x * SQRT_M1 % P
        if (x * x - x2) % P:
            return None  # not on the curve
        if x & 1 != sign:
            x = P - x
    return (x, y, 1, x * y % P)


def small_order(pt):
    for _ in range(3):
        pt = point_add(pt, pt)
    return is_neutral(pt)


def scalar_mult(k, pt):
    """[k]pt by double-and-add (variable time: only public points pass through here)."""
    acc = NEUTRAL
    while k:
        if k & 1:
            acc = point_add(acc, pt)
        pt = point_add(pt, pt)
        k >>= 1
    return acc


def torsion_free(pt):
    """Whether pt lies in the prime-order subgroup: [L]pt is the neutral element."""
    return is_neutral(scalar_mult(L, pt))


def check_identity_key(b):
    """SPEC 2.1: returns the X25519 form (birational map) of a valid Ed25519 public key."""
    if len(b) != 32:
        raise Reject("key.invalid_length")
    pt = decompress(b)
    if pt is None:
        raise Reject("key.non_canonical")
    if small_order(pt) or not torsion_free(pt):
        raise Reject("key.low_order")
    y = pt[1]
    u = (1 + y) * pow(1 - y, -1, P) % P
    return u.to_bytes(32, "little")


LOW_ORDER_U = {
    bytes.fromhex(h)
    for h in [
        "00" * 32,
        "01" + "00" * 31,
        "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
        "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
        "ec" + "ff" * 30 + "7f",
    ]
}


def check_public_key(b):
    """SPEC 2.2."""
    if len(b) != 32:
        raise Reject("key.invalid_length")
    if int.from_bytes(b, "little") >= P:  # covers bit 255 set
        raise Reject("key.non_canonical")
    if b in LOW_ORDER_U:
        raise Reject("key.low_order")
    return b


def verify_strict(public, message, sig):
    """SPEC 2.4: strict Ed25519 verification (public key already checked by 2.1)."""
    if len(sig) != 64 or int.from_bytes(sig[32:], "little") >= L:
        return False
    r = decompress(sig[:32])
    if r is None or small_order(r):
        return False
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(sig, message)
        return True
    except InvalidSignature:
        return False


class Identity:
    """An identity key pair from its 32-byte Ed25519 seed (SPEC 2.1)."""

    def __init__(self, seed):
        self.seed = seed
        self.x25519_secret = hashlib.sha512(seed).digest()[:32]
        signing = Ed25519PrivateKey.from_private_bytes(seed)
        self.signing = signing
        self.public = signing.public_key().public_bytes_raw()
        self.x25519_public = check_identity_key(self.public)
        assert x25519_public(self.x25519_secret) == self.x25519_public, "birational map"


# -------------------------------------------------------------------------- protobuf (6) --
# A schema maps field number -> (name, kind); kind is "u32", "u64", "bool", "bytes", "str",
# "opt_u32", "rep_bytes", ("msg", schema), ("rep", schema) or ("oneof", schema) (a
# message-typed member of a oneof). Enums are "u32".

RATCHET_MESSAGE = {
    1: ("ratchet_key", "bytes"),
    2: ("previous_counter", "u32"),
    3: ("counter", "u32"),
    4: ("salt", "bytes"),
    5: ("ciphertext", "bytes"),
}
PREKEY_MESSAGE = {
    1: ("identity_key", "bytes"),
    2: ("base_key", "bytes"),
    3: ("signed_prekey_id", "u32"),
    4: ("one_time_prekey_id", "opt_u32"),
    5: ("message", ("msg", RATCHET_MESSAGE)),
    6: ("kem_prekey_id", "opt_u32"),
    7: ("kem_ciphertext", "bytes"),
}
ENVELOPE = {
    1: ("version", "u32"),
    2: ("prekey", ("oneof", PREKEY_MESSAGE)),
    3: ("ratchet", ("oneof", RATCHET_MESSAGE)),
}
BUNDLE = {
    1: ("version", "u32"),
    2: ("identity_key", "bytes"),
    3: ("signed_prekey_id", "u32"),
    4: ("signed_prekey", "bytes"),
    5: ("signed_prekey_signature", "bytes"),
    6: ("one_time_prekey", ("msg", {1: ("id", "u32"), 2: ("public_key", "bytes")})),
    7: ("kem_prekey", ("msg", {1: ("id", "u32"), 2: ("kind", "u32"), 3: ("public_key", "bytes"),
                               4: ("signature", "bytes")})),
}
STATE = {
    1: ("version", "u32"),
    2: ("local_identity", "bytes"),
    3: ("remote_identity", "bytes"),
    4: ("associated_data", "bytes"),
    5: ("root_key", "bytes"),
    6: ("ratchet_secret", "bytes"),
    7: ("sending", ("msg", {1: ("chain_key", "bytes"), 2: ("counter", "u32")})),
    8: ("previous_counter", "u32"),
    9: (
        "receiving",
        ("msg", {1: ("ratchet_key", "bytes"), 2: ("chain_key", "bytes"), 3: ("counter", "u32")}),
    ),
    10: (
        "skipped",
        ("rep", {1: ("ratchet_key", "bytes"), 2: ("counter", "u32"), 3: ("message_seed", "bytes")}),
    ),
    11: (
        "origin",
        (
            "msg",
            {1: ("base_key", "bytes"), 2: ("signed_prekey_id", "u32"),
             3: ("one_time_prekey_id", "opt_u32")},
        ),
    ),
    12: ("initiator", "bool"),
    13: ("awaiting_reply", "bool"),
    14: (
        "skipped_runs",
        ("rep", {1: ("ratchet_key", "bytes"), 2: ("counters", "packed_u32"),
                 3: ("message_seeds", "bytes")}),
    ),
}


def varint(v):
    out = bytearray()
    while v >= 0x80:
        out.append(v & 0x7F | 0x80)
        v >>= 7
    out.append(v)
    return bytes(out)


def encode(schema, msg):
    """Canonical proto3 encoding: field-number order, defaults omitted (SPEC 6.1)."""
    out = b""
    for number in sorted(schema):
        name, kind = schema[number]
        value = msg.get(name)
        if kind in ("u32", "u64", "bool", "enum"):
            if value:
                out += varint(number << 3) + varint(int(value))
        elif kind == "str":
            if value:
                data = value.encode()
                out += varint(number << 3 | 2) + varint(len(data)) + data
        elif kind == "rep_bytes":
            for item in value or []:
                out += varint(number << 3 | 2) + varint(len(item)) + item
        elif kind == "packed_u32":
            if value:
                body = b"".join(varint(v) for v in value)
                out += varint(number << 3 | 2) + varint(len(body)) + body
        elif kind == "opt_u32":
            if value is not None:
                out += varint(number << 3) + varint(value)
        elif kind == "bytes":
            if value:
                out += varint(number << 3 | 2) + varint(len(value)) + value
        elif kind[0] == "rep":
            for item in value or []:
                body = encode(kind[1], item)
                out += varint(number << 3 | 2) + varint(len(body)) + body
        elif value is not None:  # msg, oneof
            body = encode(kind[1], value)
            out += varint(number << 3 | 2) + varint(len(body)) + body
    return out


def read_varint(data, i):
    value, shift = 0, 0
    while True:
        if i >= len(data) or shift > 63:
            raise ValueError("truncated varint")
        b = data[i]
        i += 1
        if shift == 63 and b > 1:
            raise ValueError("varint wider than 64 bits")
        value |= (b & 0x7F) << shift
        shift += 7
        if b < 0x80:
            return value, i


def skip_group(data, i, number, depth):
    """Skips an unknown group's fields up to its end-group key (SPEC 9.3)."""
    while True:
        if depth == 0:
            raise ValueError("nested too deep")
        key, i = read_varint(data, i)
        inner, wire = key >> 3, key & 7
        if key > 0xFFFFFFFF or inner == 0:
            raise ValueError("bad key")
        if wire == 4:
            if inner != number:
                raise ValueError("mismatched end group")
            return i
        if wire == 3:
            i = skip_group(data, i, inner, depth - 1)
        elif wire == 0:
            _, i = read_varint(data, i)
        elif wire in (1, 2, 5):
            if wire == 2:
                n, i = read_varint(data, i)
            else:
                n = 8 if wire == 1 else 4
            if i + n > len(data):
                raise ValueError("truncated field")
            i += n
        else:
            raise ValueError("unsupported wire type")


def parse(schema, data, msg=None, counts=None, depth=100):
    """Decodes as a standard protobuf library does: unknown fields skipped (groups included,
    nested at most 100 deep), a repeated scalar overwrites, a repeated message merges, the last
    member of a oneof wins; `uint32` and enum varints must fit 32 bits (SPEC 9.3). `counts`
    tallies the entries of each repeated bytes field across the whole input."""
    msg = {} if msg is None else msg
    counts = {} if counts is None else counts
    i = 0
    while i < len(data):
        key, i = read_varint(data, i)
        number, wire = key >> 3, key & 7
        if key > 0xFFFFFFFF or number == 0:
            raise ValueError("bad key")
        if wire in (3, 4) and number not in schema:
            if wire == 4 or depth == 0:
                raise ValueError("end group outside a group")
            i = skip_group(data, i, number, depth - 1)
            continue
        if wire == 0:
            value, i = read_varint(data, i)
        elif wire == 2:
            n, i = read_varint(data, i)
            if i + n > len(data):
                raise ValueError("truncated field")
            value, i = data[i : i + n], i + n
        elif wire == 1:
            value, i = data[i : i + 8], i + 8
        elif wire == 5:
            value, i = data[i : i + 4], i + 4
        else:
            raise ValueError("unsupported wire type")
        if i > len(data):
            raise ValueError("truncated field")
        if number not in schema:
            if depth == 0:
                raise ValueError("nested too deep")
            continue
        name, kind = schema[number]
        scalar = kind in ("u32", "u64", "bool", "opt_u32", "enum")
        if kind == "packed_u32":  # a standard library accepts packed and unpacked
            if wire == 0:
                msg.setdefault(name, []).append(value & 0xFFFFFFFF)
                continue
            if wire != 2:
                raise ValueError("wire type mismatch")
            j, items = 0, msg.setdefault(name, [])
            while j < len(value):
                v, j = read_varint(value, j)
                items.append(v & 0xFFFFFFFF)
            continue
        if (wire == 0) != scalar or (not scalar and wire != 2):
            raise ValueError("wire type mismatch")
        if kind in ("u32", "opt_u32"):
            if value > 0xFFFFFFFF:
                raise ValueError("uint32 wider than 32 bits")
            msg[name] = value
        elif kind == "enum":
            signed = value - 2**64 if value >= 2**63 else value
            if not -2**31 <= signed < 2**31:
                raise ValueError("enum wider than 32 bits")
            msg[name] = signed
        elif kind == "bool":
            msg[name] = value != 0
        elif kind == "u64":
            msg[name] = value
        elif kind == "bytes":
            msg[name] = bytes(value)
        elif kind == "str":
            msg[name] = bytes(value).decode()  # invalid UTF-8 raises ValueError
        elif kind == "rep_bytes":
            msg.setdefault(name, []).append(bytes(value))
            counts[name] = counts.get(name, 0) + 1
        elif depth == 0:
            raise ValueError("nested too deep")
        elif kind[0] == "rep":
            msg.setdefault(name, []).append(parse(kind[1], value, None, counts, depth - 1))
        elif kind[0] == "msg":
            msg[name] = parse(kind[1], value, msg.get(name), counts, depth - 1)
        else:  # oneof member: replaces any other member
            for other, (oname, okind) in schema.items():
                if okind[0] == "oneof" and oname != name:
                    msg.pop(oname, None)
            msg[name] = parse(kind[1], value, msg.get(name), counts, depth - 1)
    return msg


def decode_exact(schema, data):
    """SPEC 6.1: decode, then the canonical re-encoding must be exactly the input."""
    try:
        msg = parse(schema, data)
    except ValueError:
        return None
    return msg if encode(schema, msg) == data else None


# ----------------------------------------------------------------- wire decoding (6.2) --


def wire_key(check, value):
    try:
        return check(value)
    except Reject as e:
        raise Reject(f"wire.{e}") from None  # key.x -> wire.key.x


def ratchet_fields(m):
    key = wire_key(check_public_key, m.get("ratchet_key", b""))
    salt = m.get("salt", b"")
    ct = m.get("ciphertext", b"")
    if len(salt) != 16 or not 16 <= len(ct) <= MAX_PLAINTEXT_LEN + 16:
        raise Reject("wire.malformed")
    return {
        "ratchet_key": key,
        "previous_counter": m.get("previous_counter", 0),
        "counter": m.get("counter", 0),
        "salt": salt,
        "ciphertext": ct,
    }


def decode_envelope(data):
    """Returns (prekey fields or None, ratchet message)."""
    if len(data) > MAX_ENVELOPE_LEN:
        raise Reject("wire.too_large")
    e = decode_exact(ENVELOPE, data)
    if e is None:
        raise Reject("wire.malformed")
    version = e.get("version", 0)
    if version not in (1, 2):
        raise Reject("wire.unsupported_version")
    if "ratchet" in e:
        if version != 1:  # version 2 is for PQXDH prekey messages only (SPEC 6.2)
            raise Reject("wire.malformed")
        return None, ratchet_fields(e["ratchet"])
    if "prekey" not in e:
        raise Reject("wire.malformed")
    p = e["prekey"]
    if "message" not in p:
        raise Reject("wire.malformed")
    kem_id, ct = p.get("kem_prekey_id"), p.get("kem_ciphertext", b"")
    if version == 2:
        if kem_id is None or len(ct) != 1568:
            raise Reject("wire.malformed")
    elif kem_id is not None or ct:
        raise Reject("wire.malformed")
    fields = {
        "identity_key": p.get("identity_key", b""),
        "base_key": None,
        "signed_prekey_id": p.get("signed_prekey_id", 0),
        "one_time_prekey_id": p.get("one_time_prekey_id"),
    }
    wire_key(check_identity_key, fields["identity_key"])
    fields["base_key"] = wire_key(check_public_key, p.get("base_key", b""))
    return fields, ratchet_fields(p["message"])


def encode_envelope(prekey, m):
    if prekey is None:
        return encode(ENVELOPE, {"version": 1, "ratchet": m})
    return encode(ENVELOPE, {"version": 1, "prekey": dict(prekey, message=m)})


def canonical_header(m, prekey):
    """SPEC 6.4."""
    out = bytes([1, 2 if prekey else 1]) + m["ratchet_key"]
    out += m["previous_counter"].to_bytes(4, "big") + m["counter"].to_bytes(4, "big") + m["salt"]
    if prekey:
        out += prekey["identity_key"] + prekey["base_key"]
        out += prekey["signed_prekey_id"].to_bytes(4, "big")
        opk = prekey["one_time_prekey_id"]
        out += b"\x00" * 5 if opk is None else b"\x01" + opk.to_bytes(4, "big")
    return out


# ------------------------------------------------------------------------ bundles (2.6) --


def signed_prekey_message(spk_id, spk):
    return LABEL_SIGNED_PREKEY + spk_id.to_bytes(4, "big") + spk


def kem_prekey_message(kind, kem_id, public_key):
    """SPEC 15.3: what the identity key signs for a KEM prekey (1596 bytes)."""
    return LABEL_KEM_PREKEY + bytes([kind]) + kem_id.to_bytes(4, "big") + public_key


def check_kem_public_key(public_key):
    """SPEC 15.2: 1568 bytes, and each 12-bit coefficient of the first 1536 below q (the
    FIPS 203 section 7.2 modulus check); the last 32 bytes are the seed rho, unchecked."""
    if len(public_key) != KEM_PUBLIC_KEY_LEN:
        raise Reject("bundle.kem.invalid_length")
    for i in range(0, 1536, 3):
        b0, b1, b2 = public_key[i], public_key[i + 1], public_key[i + 2]
        if (b0 | (b1 & 0x0F) << 8) >= KEM_Q or (b1 >> 4 | b2 << 4) >= KEM_Q:
            raise Reject("bundle.kem.invalid_public_key")
    return public_key


def decode_bundle(data):
    if len(data) > MAX_BUNDLE_LEN:
        raise Reject("bundle.malformed")
    b = decode_exact(BUNDLE, data)
    if b is None:
        raise Reject("bundle.malformed")
    version = b.get("version", 0)
    if version not in (1, 2):
        raise Reject("bundle.unsupported_version")
    if (version == 2) != ("kem_prekey" in b):  # SPEC 2.6: version 2 exactly with a KEM prekey
        raise Reject("bundle.malformed")

    def key(check, value):
        try:
            return check(value)
        except Reject as e:
            raise Reject(f"bundle.{e}") from None  # key.x -> bundle.key.x

    ik_u = key(check_identity_key, b.get("identity_key", b""))
    spk = key(check_public_key, b.get("signed_prekey", b""))
    sig = b.get("signed_prekey_signature", b"")
    if len(sig) != 64:
        raise Reject("bundle.malformed")
    opk = None
    if "one_time_prekey" in b:
        o = b["one_time_prekey"]
        opk = (o.get("id", 0), key(check_public_key, o.get("public_key", b"")))
    kem = None
    if "kem_prekey" in b:
        k = b["kem_prekey"]
        kind = k.get("kind", 0)
        if kind not in (1, 2):  # 1 last resort, 2 one-time; 0 is never a kind
            raise Reject("bundle.kem.unknown_kind")
        kem_public = check_kem_public_key(k.get("public_key", b""))
        kem_sig = k.get("signature", b"")
        if len(kem_sig) != 64:
            raise Reject("bundle.malformed")
        kem = {"id": k.get("id", 0), "kind": kind, "public_key": kem_public,
               "signature": kem_sig}
    spk_id = b.get("signed_prekey_id", 0)
    if not verify_strict(b["identity_key"], signed_prekey_message(spk_id, spk), sig):
        raise Reject("bundle.bad_signature")
    # SPEC 2.6: then the KEM prekey's signature, with the same identity key and the same
    # strictness, over its own domain-separated encoding (15.3).
    if kem is not None and not verify_strict(
            b["identity_key"], kem_prekey_message(kem["kind"], kem["id"], kem["public_key"]),
            kem["signature"]):
        raise Reject("bundle.bad_signature")
    return {"identity_key": b["identity_key"], "identity_u": ik_u, "spk_id": spk_id,
            "spk": spk, "signature": sig, "opk": opk, "kem": kem}


# ----------------------------------------------------------------- X3DH and the ratchet --


def kdf_rk(rk, dh):
    okm = hkdf(rk, dh, LABEL_RATCHET, 64)
    return okm[:32], okm[32:]


def kdf_ck(ck):
    return hmac_sha256(ck, b"\x01"), hmac_sha256(ck, b"\x02")


def message_key(seed, salt):
    okm = hkdf(salt, seed, LABEL_MESSAGE, 44)
    return okm[:32], okm[32:]


def x3dh_sk(dhs):
    km = b"\xff" * 32 + b"".join(dhs)
    return km, hkdf(bytes(32), km, LABEL_X3DH, 32)


class Session:
    """SPEC sections 5 and 7. Decryption stages everything and commits only on success."""

    def __init__(self, **fields):
        self.__dict__.update(fields)

    # -- construction --

    @classmethod
    def initiate(cls, identity, bundle, context, ephemeral_secret, ratchet_secret):
        ek = x25519_public(ephemeral_secret)
        dhs = [x25519(identity.x25519_secret, bundle["spk"]),
               x25519(ephemeral_secret, bundle["identity_u"]),
               x25519(ephemeral_secret, bundle["spk"])]
        if bundle["opk"]:
            dhs.append(x25519(ephemeral_secret, bundle["opk"][1]))
        _, sk = x3dh_sk(dhs)
        root, ck = kdf_rk(sk, x25519(ratchet_secret, bundle["spk"]))
        origin = {"identity_key": identity.public, "base_key": ek,
                  "signed_prekey_id": bundle["spk_id"],
                  "one_time_prekey_id": bundle["opk"][0] if bundle["opk"] else None}
        s = cls(local=identity.public, remote=bundle["identity_key"],
                ad=identity.public + bundle["identity_key"] + context, root=root,
                ratchet_secret=ratchet_secret, sending=[ck, 0], pn=0, receiving=None,
                skipped=[], origin=origin, initiator=True, awaiting=True)
        return s, sk

    @classmethod
    def respond(cls, identity, spk, opk, fields, message, context):
        """spk = (id, secret); opk = (id, secret) or None."""
        if len(context) > MAX_CONTEXT_LEN:  # checked first (4.2)
            raise Reject("context.too_large")
        if fields["signed_prekey_id"] != spk[0] or fields["one_time_prekey_id"] != (
            opk[0] if opk else None
        ):
            raise Reject("decrypt.session_mismatch")
        ik_a_u = check_identity_key(fields["identity_key"])
        try:
            dhs = [x25519(spk[1], ik_a_u), x25519(identity.x25519_secret, fields["base_key"]),
                   x25519(spk[1], fields["base_key"])]
            if opk:
                dhs.append(x25519(opk[1], fields["base_key"]))
        except Reject:
            raise Reject("decrypt.authentication_failed") from None
        _, sk = x3dh_sk(dhs)
        s = cls(local=identity.public, remote=fields["identity_key"],
                ad=fields["identity_key"] + identity.public + context, root=sk,
                ratchet_secret=spk[1], sending=None, pn=0, receiving=None, skipped=[],
                origin=dict(fields), initiator=False, awaiting=False)
        info = s.ratchet_decrypt(message, fields)
        return s, info, sk

    # -- encrypt (5.6) --

    def encrypt(self, plaintext, draws):
        """`draws` yields the recorded random values in order. Returns (envelope, details)."""
        if len(plaintext) > MAX_PLAINTEXT_LEN:
            raise Reject("encrypt.plaintext_too_large")
        info = {"ratchet_secret": None, "ratchet_public": None, "dh_output": None}
        root, sending = self.root, self.sending
        ratchet_secret = self.ratchet_secret
        if sending is None:
            ratchet_secret = next(draws)
            info["ratchet_secret"] = ratchet_secret
            info["ratchet_public"] = x25519_public(ratchet_secret)
            dh = x25519(ratchet_secret, self.receiving[0])
            info["dh_output"] = dh
            root, ck = kdf_rk(self.root, dh)
            sending = [ck, 0]
        ck, n = sending
        if n + 1 >= 2**32 - 1:  # counters never reach 2^32 - 1 (5.6)
            raise Reject("encrypt.chain_exhausted")
        seed, next_ck = kdf_ck(ck)
        salt = next(draws)
        key, nonce = message_key(seed, salt)
        m = {"ratchet_key": x25519_public(ratchet_secret), "previous_counter": self.pn,
             "counter": n, "salt": salt}
        prekey = self.origin if self.awaiting else None
        header = canonical_header(m, prekey)
        m["ciphertext"] = aead_seal(key, nonce, header + self.ad, plaintext)
        self.root, self.ratchet_secret, self.sending = root, ratchet_secret, [next_ck, n + 1]
        envelope = encode_envelope(prekey, m)
        info.update(root_key=root, chain_key=ck, message_seed=seed, next_chain_key=next_ck,
                    salt=salt, message_key=key, nonce=nonce,
                    type="prekey" if prekey else "ratchet", ratchet_key=m["ratchet_key"],
                    previous_counter=self.pn, counter=n, header=header,
                    associated_data=header + self.ad, ciphertext=m["ciphertext"],
                    envelope=envelope)
        return envelope, info

    # -- decrypt (4.3, 5.7) --

    def decrypt(self, envelope):
        prekey, m = decode_envelope(envelope)
        if prekey is not None:
            if self.initiator:
                raise Reject("decrypt.unexpected_message_type")
            if prekey != self.origin:
                raise Reject("decrypt.session_mismatch")
        info = self.ratchet_decrypt(m, prekey)
        self.awaiting = False
        return info

    def ratchet_decrypt(self, m, prekey):
        aad = canonical_header(m, prekey) + self.ad
        key, n = m["ratchet_key"], m["counter"]
        if n == 2**32 - 1 or m["previous_counter"] == 2**32 - 1:  # never sent (5.6, 5.7 step 0)
            raise Reject("decrypt.too_far_ahead")

        def open_with(seed):
            k, nonce = message_key(seed, m["salt"])
            pt = aead_open(k, nonce, aad, m["ciphertext"])
            if pt is None:
                raise Reject("decrypt.authentication_failed")
            return pt

        def skip(rkey, ck, start, until):
            staged = []
            if until > start and until - start > MAX_SKIP:
                raise Reject("decrypt.too_far_ahead")
            for c in range(start, until):
                seed, ck = kdf_ck(ck)
                staged.append([rkey, c, seed])
            return staged, ck

        for i, (k, c, seed) in enumerate(self.skipped):
            if (k, c) == (key, n):
                pt = open_with(seed)
                del self.skipped[i]
                return {"plaintext": pt, "path": "skipped", "dh_output": None,
                        "receiving_chain_key": None, "skipped_stored": []}
        if self.receiving and self.receiving[0] == key:
            _, ck, nr = self.receiving
            if n < nr:
                raise Reject("decrypt.duplicate_or_expired")
            staged, ck = skip(key, ck, nr, n)
            seed, ck = kdf_ck(ck)
            pt = open_with(seed)
            self.commit(staged)
            self.receiving = [key, ck, n + 1]
            return {"plaintext": pt, "path": "current_chain", "dh_output": None,
                    "receiving_chain_key": None, "skipped_stored": staged}
        staged = []
        old_gap = max(0, m["previous_counter"] - self.receiving[2]) if self.receiving else 0
        if old_gap + n > MAX_SKIP:  # the joint bound, before anything is derived
            raise Reject("decrypt.too_far_ahead")
        if self.receiving:
            old_key, old_ck, nr = self.receiving
            staged, _ = skip(old_key, old_ck, nr, m["previous_counter"])
        try:
            dh = x25519(self.ratchet_secret, key)
        except Reject:
            raise Reject("decrypt.authentication_failed") from None
        root, first_ck = kdf_rk(self.root, dh)
        more, ck = skip(key, first_ck, 0, n)
        staged += more
        seed, ck = kdf_ck(ck)
        pt = open_with(seed)
        self.commit(staged)
        self.receiving, self.root = [key, ck, n + 1], root
        if self.sending is not None:
            self.pn, self.sending = self.sending[1], None
        return {"plaintext": pt, "path": "new_chain", "dh_output": dh,
                "receiving_chain_key": first_ck, "skipped_stored": staged}

    def commit(self, staged):
        self.skipped += staged
        del self.skipped[: max(0, len(self.skipped) - MAX_SKIPPED_KEYS)]

    # -- views and storage (8) --

    def ratchet_view(self):
        return {
            "root_key": self.root, "ratchet_secret": self.ratchet_secret,
            "sending": None if self.sending is None
            else {"chain_key": self.sending[0], "counter": self.sending[1]},
            "previous_counter": self.pn,
            "receiving": None if self.receiving is None
            else {"ratchet_key": self.receiving[0], "chain_key": self.receiving[1],
                  "counter": self.receiving[2]},
            "skipped": [{"ratchet_key": k, "counter": c, "message_seed": s}
                        for k, c, s in self.skipped],
            "awaiting_reply": self.awaiting,
        }

    def state_view(self, version=2):
        o = self.origin
        view = self.ratchet_view()
        view.update(version=version, local_identity=self.local, remote_identity=self.remote,
                    associated_data=self.ad, initiator=self.initiator,
                    origin={"base_key": o["base_key"], "signed_prekey_id": o["signed_prekey_id"],
                            "one_time_prekey_id": o["one_time_prekey_id"]})
        return view

    def to_bytes(self, version=2):
        """Version 2 stores the skipped seeds as maximal runs of one ratchet key (SPEC 8)."""
        v = self.state_view(version)
        v["initiator"], v["awaiting_reply"] = self.initiator, self.awaiting
        if version == 2:
            runs = []
            for k, c, seed in self.skipped:
                if not runs or runs[-1]["ratchet_key"] != k:
                    runs.append({"ratchet_key": k, "counters": [], "message_seeds": b""})
                runs[-1]["counters"].append(c)
                runs[-1]["message_seeds"] += seed
            v["skipped"], v["skipped_runs"] = [], runs
        return encode(STATE, v)

    @classmethod
    def from_bytes(cls, data):
        bad = Reject("state.malformed")
        if len(data) > MAX_STATE_LEN:
            raise bad
        s = decode_exact(STATE, data)
        if s is None:
            raise bad
        version = s.get("version", 0)
        if version == 0:
            raise bad
        if version not in (1, 2):
            raise Reject("state.unsupported_version")
        # Each version uses only its own skipped field.
        if s.get("skipped_runs" if version == 1 else "skipped"):
            raise bad
        try:
            local = s.get("local_identity", b"")
            remote = s.get("remote_identity", b"")
            check_identity_key(local)
            check_identity_key(remote)
            initiator = s.get("initiator", False)
            first, second = (local, remote) if initiator else (remote, local)
            ad = s.get("associated_data", b"")
            if not 64 <= len(ad) <= 64 + MAX_CONTEXT_LEN or ad[:64] != first + second:
                raise bad
            if "origin" not in s:
                raise bad
            o = s["origin"]
            origin = {"identity_key": first,
                      "base_key": check_public_key(o.get("base_key", b"")),
                      "signed_prekey_id": o.get("signed_prekey_id", 0),
                      "one_time_prekey_id": o.get("one_time_prekey_id")}
            sending = receiving = None
            if "sending" in s:
                sending = [s["sending"].get("chain_key", b""), s["sending"].get("counter", 0)]
            if "receiving" in s:
                r = s["receiving"]
                receiving = [check_public_key(r.get("ratchet_key", b"")),
                             r.get("chain_key", b""), r.get("counter", 0)]
            awaiting = s.get("awaiting_reply", False)
            if (sending is None and receiving is None) or (not initiator and receiving is None) \
                    or (not initiator and awaiting) or (awaiting and receiving is not None):
                raise bad
            skipped = [[check_public_key(k.get("ratchet_key", b"")), k.get("counter", 0),
                        k.get("message_seed", b"")] for k in s.get("skipped", [])]
            previous = None
            for run in s.get("skipped_runs", []):
                key, counters = run.get("ratchet_key", b""), run.get("counters", [])
                seeds = run.get("message_seeds", b"")
                if not counters or len(seeds) != 32 * len(counters) or key == previous:
                    raise bad
                previous = key
                check_public_key(key)
                skipped += [[key, c, seeds[32 * i : 32 * i + 32]] for i, c in enumerate(counters)]
            positions = {(k, c) for k, c, _ in skipped}
            secrets = [s.get("root_key", b""), s.get("ratchet_secret", b"")]
            secrets += [x[0] for x in (sending, receiving[1:] if receiving else None) if x]
            secrets += [x[2] for x in skipped]
            if len(skipped) > MAX_SKIPPED_KEYS or len(positions) != len(skipped) \
                    or any(len(x) != 32 for x in secrets):
                raise bad
        except Reject:
            raise bad from None
        return cls(local=local, remote=remote, ad=ad, root=secrets[0],
                   ratchet_secret=secrets[1], sending=sending, pn=s.get("previous_counter", 0),
                   receiving=receiving, skipped=skipped, origin=origin, initiator=initiator,
                   awaiting=awaiting)


# -------------------------------------------------------------------- attachments (10) --

LABEL_ATTACHMENT = b"crosswire/v1/attachment"
LABEL_ATTACHMENT_COMMITMENT = b"crosswire/v1/attachment-commitment"
MIN_CHUNK_SIZE, MAX_CHUNK_SIZE, MAX_CHUNK_COUNT = 1024, 16 * 1024 * 1024, 2**32


def attachment_keys(key):
    okm = hkdf(bytes(32), key, LABEL_ATTACHMENT, 39)
    return okm[:32], okm[32:], hkdf(bytes(32), key, LABEL_ATTACHMENT_COMMITMENT, 32)


def chunk_count(size, chunk_size):
    return 1 if size == 0 else (size - 1) // chunk_size + 1


def chunk_nonce(prefix, index, count):
    return prefix + index.to_bytes(4, "big") + bytes([index + 1 == count])


def encrypt_attachment(key, plaintext, chunk_size):
    aes_key, prefix, commitment = attachment_keys(key)
    count = chunk_count(len(plaintext), chunk_size)
    chunks = []
    for i in range(count):
        nonce = chunk_nonce(prefix, i, count)
        body = plaintext[i * chunk_size : (i + 1) * chunk_size]
        chunks.append({"index": i, "last": i + 1 == count, "nonce": nonce,
                       "ciphertext": aead_seal(aes_key, nonce, b"", body)})
    ciphertext = commitment + b"".join(c["ciphertext"] for c in chunks)
    return {"aes_key": aes_key, "nonce_prefix": prefix, "commitment": commitment,
            "chunks": chunks, "ciphertext": ciphertext,
            "digest": hashlib.sha256(ciphertext).digest()}


def decrypt_attachment(key, size, chunk_size, digest, ciphertext):
    """The checks in their order: layout, length, commitment, each chunk, digest."""
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise Reject("media.invalid_chunk_size")
    count = chunk_count(size, chunk_size)
    if count > MAX_CHUNK_COUNT:
        raise Reject("media.too_large")
    expected = 32 + size + 16 * count
    if len(ciphertext) != expected:
        raise Reject("media.truncated" if len(ciphertext) < expected else "media.trailing_data")
    aes_key, prefix, commitment = attachment_keys(key)
    if not hmac.compare_digest(ciphertext[:32], commitment):
        raise Reject("media.authentication_failed")
    out, pos = b"", 32
    for i in range(count):
        n = min(chunk_size, size - i * chunk_size) + 16
        body = aead_open(aes_key, chunk_nonce(prefix, i, count), b"", ciphertext[pos : pos + n])
        if body is None:
            raise Reject("media.authentication_failed")
        out, pos = out + body, pos + n
    if hashlib.sha256(ciphertext).digest() != digest:
        raise Reject("media.digest_mismatch")
    return out


def decrypt_chunk(key, size, chunk_size, commitment, index, chunk):
    """Random access (SPEC 10.6): layout, index, length, commitment, tag."""
    if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
        raise Reject("media.invalid_chunk_size")
    count = chunk_count(size, chunk_size)
    if count > MAX_CHUNK_COUNT:
        raise Reject("media.too_large")
    if index >= count:
        raise Reject("media.chunk_out_of_range")
    if len(chunk) != min(chunk_size, size - index * chunk_size) + 16:
        raise Reject("media.invalid_chunk_length")
    aes_key, prefix, expected = attachment_keys(key)
    if not hmac.compare_digest(commitment, expected):
        raise Reject("media.authentication_failed")
    body = aead_open(aes_key, chunk_nonce(prefix, index, count), b"", chunk)
    if body is None:
        raise Reject("media.authentication_failed")
    return body


# ------------------------------------------------------------------------ content (9) --

TEXT = {1: ("body", "str"), 2: ("format", "enum")}
POINTER = {
    1: ("kind", "enum"), 2: ("key", "bytes"), 3: ("content_type", "str"),
    4: ("plaintext_size", "u64"), 5: ("chunk_size", "u32"), 6: ("digest", "bytes"),
    7: ("locator", "str"), 8: ("width", "opt_u32"), 9: ("height", "opt_u32"),
    10: ("duration_ms", "opt_u32"), 11: ("thumbnail", "bytes"), 12: ("caption", "str"),
    13: ("file_name", "str"),
}
CONTENT = {
    1: ("message_id", "bytes"),
    2: ("timestamp_ms", "u64"),
    3: ("text", ("oneof", TEXT)),
    4: ("attachment", ("oneof", POINTER)),
    5: ("reply", ("oneof", {1: ("in_reply_to", "bytes"), 2: ("text", ("oneof", TEXT)),
                            3: ("attachment", ("oneof", POINTER))})),
    6: ("reaction", ("oneof", {1: ("target", "bytes"), 2: ("emoji", "str"),
                               3: ("remove", "bool")})),
    7: ("edit", ("oneof", {1: ("target", "bytes"), 2: ("text", ("msg", TEXT))})),
    8: ("delete", ("oneof", {1: ("target", "bytes")})),
    9: ("receipt", ("oneof", {1: ("kind", "enum"), 2: ("message_ids", "rep_bytes")})),
}
BODIES = ["text", "attachment", "reply", "reaction", "edit", "delete", "receipt"]
FORMATS = {"plain": 0, "markdown": 1}
KINDS = {"file": 0, "photo": 1, "video": 2, "audio": 3}
RECEIPTS = {"delivered": 0, "read": 1}
PADDING_BUCKET = 160


def pad(encoded):
    n = (len(encoded) // PADDING_BUCKET + 1) * PADDING_BUCKET
    return encoded + b"\x80" + bytes(n - len(encoded) - 1)


def unpad(plaintext):
    if not plaintext or len(plaintext) % PADDING_BUCKET:
        raise Reject("content.bad_padding")
    last = plaintext[-PADDING_BUCKET:].rstrip(b"\x00")
    if not last or last[-1] != 0x80:
        raise Reject("content.bad_padding")
    return plaintext[: len(plaintext) - PADDING_BUCKET + len(last) - 1]


def content_to_proto(c):
    """The JSON description of content.json -> the protobuf fields."""
    def text(t):
        return {"body": t["body"], "format": FORMATS[t["format"]]}

    def pointer(p):
        return dict(p, kind=KINDS[p["kind"]], key=bytes.fromhex(p["key"]),
                    digest=bytes.fromhex(p["digest"]), thumbnail=bytes.fromhex(p["thumbnail"]))

    (kind, body), = c["body"].items()
    ids = {k: bytes.fromhex(body[k]) for k in ("in_reply_to", "target") if k in body}
    if kind == "text":
        body = text(body)
    elif kind == "attachment":
        body = pointer(body)
    elif kind == "reply":
        body = dict(ids, **({"text": text(body["text"])} if "text" in body
                            else {"attachment": pointer(body["attachment"])}))
    elif kind == "edit":
        body = dict(ids, text=text(body["text"]))
    elif kind == "receipt":
        body = {"kind": RECEIPTS[body["kind"]],
                "message_ids": [bytes.fromhex(x) for x in body["message_ids"]]}
    else:
        body = dict(body, **ids)
    return {"message_id": bytes.fromhex(c["message_id"]), "timestamp_ms": c["timestamp_ms"],
            kind: body}


def content_from_plaintext(plaintext):
    """Unpad, decode (unknown fields ignored), validate; the JSON description. The order of
    SPEC 9.3: structure anywhere, the receipt id count, then field by field, then bounds."""
    if len(plaintext) > MAX_PLAINTEXT_LEN:
        raise Reject("content.too_large")
    counts = {}
    try:
        m = parse(CONTENT, unpad(plaintext), None, counts)
    except ValueError:
        raise Reject("content.malformed") from None
    if counts.get("message_ids", 0) > 1024:
        raise Reject("content.invalid_receipt")

    def mid(b):
        if len(b) != 16:
            raise Reject("content.invalid_message_id")
        return b.hex()

    def text(t):
        if len(t.get("body", "").encode()) > 64 * 1024:
            raise Reject("content.text_too_long")
        return {"body": t.get("body", ""),
                "format": "markdown" if t.get("format", 0) == 1 else "plain"}

    def pointer(p):
        bad = Reject("content.attachment.invalid_pointer")
        if len(p.get("key", b"")) != 32 or len(p.get("digest", b"")) != 32:
            raise bad
        size, chunk_size = p.get("plaintext_size", 0), p.get("chunk_size", 0)
        if not MIN_CHUNK_SIZE <= chunk_size <= MAX_CHUNK_SIZE:
            raise Reject("content.attachment.invalid_chunk_size")
        if chunk_count(size, chunk_size) > MAX_CHUNK_COUNT:
            raise Reject("content.attachment.too_large")
        strings = {k: p.get(k, "") for k in ("content_type", "locator", "caption", "file_name")}
        if not strings["locator"]:
            raise bad
        limits = {"content_type": 255, "locator": 2048, "caption": 4096, "file_name": 255}
        if any(len(strings[k].encode()) > n for k, n in limits.items()) \
                or len(p.get("thumbnail", b"")) > 32 * 1024:
            raise Reject("content.attachment.field_too_long")
        kind = {1: "photo", 2: "video", 3: "audio"}.get(p.get("kind", 0), "file")
        return dict(strings, kind=kind, key=p["key"].hex(), plaintext_size=size,
                    chunk_size=chunk_size, digest=p["digest"].hex(), width=p.get("width"),
                    height=p.get("height"), duration_ms=p.get("duration_ms"),
                    thumbnail=p.get("thumbnail", b"").hex())

    message_id = mid(m.get("message_id", b""))
    present = [k for k in BODIES if k in m]
    if not present:
        raise Reject("content.unsupported")
    kind, x = present[0], m[present[0]]
    if kind == "text":
        body = text(x)
    elif kind == "attachment":
        body = pointer(x)
    elif kind == "reply":
        body = {"in_reply_to": mid(x.get("in_reply_to", b""))}
        if "text" in x:
            body["text"] = text(x["text"])
        elif "attachment" in x:
            body["attachment"] = pointer(x["attachment"])
        else:
            raise Reject("content.unsupported")
    elif kind == "reaction":
        body = {"target": mid(x.get("target", b"")), "emoji": x.get("emoji", ""),
                "remove": x.get("remove", False)}
        if not 0 < len(body["emoji"].encode()) <= 64:
            raise Reject("content.invalid_emoji")
    elif kind == "edit":
        target = mid(x.get("target", b""))
        if "text" not in x:
            raise Reject("content.malformed")
        body = {"target": target, "text": text(x["text"])}
    elif kind == "delete":
        body = {"target": mid(x.get("target", b""))}
    else:
        names = {0: "delivered", 1: "read"}
        if x.get("kind", 0) not in names:
            raise Reject("content.unsupported")
        body = {"kind": names[x.get("kind", 0)],
                "message_ids": [mid(i) for i in x.get("message_ids", [])]}
        if not 0 < len(body["message_ids"]) <= 1024:
            raise Reject("content.invalid_receipt")
    return {"message_id": message_id, "timestamp_ms": m.get("timestamp_ms", 0),
            "body": {kind: body}}


# ------------------------------------------------------------------------------ checking --

FAILURES = []
CHECKS = [0]


def h(b):
    """JSON form of a value: bytes as lower-case hex, containers recursively."""
    if isinstance(b, (bytes, bytearray)):
        return bytes(b).hex()
    if isinstance(b, dict):
        return {k: h(v) for k, v in b.items()}
    if isinstance(b, list):
        return [h(v) for v in b]
    return b


def expect(where, got, want):
    CHECKS[0] += 1
    if h(got) != want:
        FAILURES.append(f"{where}: computed {h(got)!r}, vector has {want!r}")


def expect_fields(where, got, recorded):
    for key, value in got.items():
        if key not in recorded:
            FAILURES.append(f"{where}.{key}: missing from the vector")
        else:
            expect(f"{where}.{key}", value, recorded[key])


def b(case, key):
    v = case[key]
    return None if v is None else bytes.fromhex(v)


def load(name):
    with open(os.path.join(HERE, name)) as f:
        data = json.load(f)
    assert data["format_version"] == 1, name
    return data["cases"]


def check_x3dh(c, w):
    alice, bob = Identity(b(c, "alice_identity_seed")), Identity(b(c, "bob_identity_seed"))
    spk_secret, eph = b(c, "signed_prekey_secret"), b(c, "ephemeral_secret")
    spk, ek = x25519_public(spk_secret), x25519_public(eph)
    signed = signed_prekey_message(c["signed_prekey_id"], spk)
    sig = bob.signing.sign(signed)
    opk = None
    if c["one_time_prekey_id"] is not None:
        opk = (c["one_time_prekey_id"], x25519_public(b(c, "one_time_prekey_secret")))
    bundle = {"version": 1, "identity_key": bob.public, "signed_prekey_id": c["signed_prekey_id"],
              "signed_prekey": spk, "signed_prekey_signature": sig}
    if opk:
        bundle["one_time_prekey"] = {"id": opk[0], "public_key": opk[1]}
    bundle_bytes = encode(BUNDLE, bundle)
    decoded = decode_bundle(bundle_bytes)
    dhs = [x25519(alice.x25519_secret, spk), x25519(eph, bob.x25519_public), x25519(eph, spk)]
    if opk:
        dhs.append(x25519(eph, opk[1]))
    # The responder's side gives the same values.
    rdhs = [x25519(spk_secret, alice.x25519_public), x25519(bob.x25519_secret, ek),
            x25519(spk_secret, ek)]
    if opk:
        rdhs.append(x25519(b(c, "one_time_prekey_secret"), ek))
    expect(f"{w} responder DH", rdhs, h(dhs))
    km, sk = x3dh_sk(dhs)
    got = {
        "alice_identity_x25519_secret": alice.x25519_secret, "alice_identity_key": alice.public,
        "alice_identity_x25519_public": alice.x25519_public,
        "bob_identity_x25519_secret": bob.x25519_secret, "bob_identity_key": bob.public,
        "bob_identity_x25519_public": bob.x25519_public,
        "signed_prekey_public": spk, "signed_prekey_signed_message": signed,
        "signed_prekey_signature": sig,
        "one_time_prekey_public": opk[1] if opk else None, "bundle": bundle_bytes,
        "ephemeral_public": ek, "dh1": dhs[0], "dh2": dhs[1], "dh3": dhs[2],
        "dh4": dhs[3] if opk else None, "km": km, "sk": sk,
        "ad": alice.public + bob.public + b(c, "context"),
    }
    expect_fields(w, got, c)
    expect(f"{w} bundle decodes", decoded["spk"], h(spk))


def check_ratchet(c, w):
    alice, bob = Identity(b(c, "alice_identity_seed")), Identity(b(c, "bob_identity_seed"))
    context = b(c, "context")
    spk_secret = b(c, "signed_prekey_secret")
    spk = x25519_public(spk_secret)
    sig = bob.signing.sign(signed_prekey_message(c["signed_prekey_id"], spk))
    opk = None
    if c["one_time_prekey_id"] is not None:
        opk = (c["one_time_prekey_id"], b(c, "one_time_prekey_secret"))
    bundle = {"identity_key": bob.public, "identity_u": bob.x25519_public,
              "spk_id": c["signed_prekey_id"], "spk": spk, "signature": sig,
              "opk": (opk[0], x25519_public(opk[1])) if opk else None}
    ratchet_secret = b(c, "initiator_ratchet_secret")
    a, sk = Session.initiate(alice, bundle, context, b(c, "ephemeral_secret"), ratchet_secret)
    expect_fields(w, {
        "alice_identity_key": alice.public, "bob_identity_key": bob.public,
        "signed_prekey_public": spk, "signed_prekey_signature": sig,
        "one_time_prekey_public": bundle["opk"][1] if opk else None,
        "ephemeral_public": x25519_public(b(c, "ephemeral_secret")), "sk": sk, "ad": a.ad,
        "initiator_ratchet_public": x25519_public(ratchet_secret),
        "initiator_dh_output": x25519(ratchet_secret, spk),
        "initiator_state": a.ratchet_view(),
    }, c)
    parties, sent = {"alice": a, "bob": None}, []
    for i, ev in enumerate(c["events"]):
        we = f"{w}.events[{i}]"
        party = parties[ev["party"]]
        if ev["action"] == "encrypt":
            draws = iter([x for x in (b(ev, "ratchet_secret"), b(ev, "salt")) if x])
            envelope, info = party.encrypt(b(ev, "plaintext"), draws)
            sent.append((b(ev, "plaintext"), envelope))
        else:
            plaintext, envelope = sent[ev["message"]]
            if party is None:
                fields, m = decode_envelope(envelope)
                party, info, _ = Session.respond(
                    bob, (c["signed_prekey_id"], spk_secret), opk, fields, m, context)
                parties[ev["party"]] = party
                info["path"] = "respond"
            else:
                info = party.decrypt(envelope)
            expect(f"{we} plaintext", info["plaintext"], h(plaintext))
            info["skipped_stored"] = [{"ratchet_key": k, "counter": n, "message_seed": s}
                                      for k, n, s in info["skipped_stored"]]
        info["state_after"] = party.ratchet_view()
        expect_fields(we, info, ev)


def check_wire(c, w):
    m = {"ratchet_key": b(c, "ratchet_key"), "previous_counter": c["previous_counter"],
         "counter": c["counter"], "salt": b(c, "salt"), "ciphertext": b(c, "ciphertext")}
    prekey = None
    if c["type"] == "prekey":
        prekey = {"identity_key": b(c, "identity_key"), "base_key": b(c, "base_key"),
                  "signed_prekey_id": c["signed_prekey_id"],
                  "one_time_prekey_id": c["one_time_prekey_id"]}
    envelope = encode_envelope(prekey, m)
    expect(f"{w}.envelope", envelope, c["envelope"])
    parts = "".join(p["tag"] + (p["length"] or "") + (p["value"] or "") for p in c["encoding"])
    expect(f"{w}.encoding", bytes.fromhex(parts), c["envelope"])
    expect(f"{w} decodes", list(decode_envelope(envelope)), h([prekey, m]))


def check_session_state(c, w):
    data = b(c, "state")
    s = Session.from_bytes(data)
    version = parse(STATE, data)["version"]
    expect(f"{w}.decoded", s.state_view(version), c["decoded"])
    expect(f"{w} re-encoded", s.to_bytes(version), c["state"])
    expect(f"{w}.rewritten", s.to_bytes(2), c["rewritten"])
    if version == 2:
        expect(f"{w} is what version 2 writes", c["rewritten"], c["state"])
    for i, op in enumerate(c["next"]):
        if op["action"] == "decrypt":
            expect(f"{w}.next[{i}]", s.decrypt(b(op, "envelope"))["plaintext"], op["plaintext"])
        else:
            draws = iter([x for x in (b(op, "ratchet_secret"), b(op, "salt")) if x])
            envelope, info = s.encrypt(b(op, "plaintext"), draws)
            expect(f"{w}.next[{i}] ratchet step", info["ratchet_secret"], op["ratchet_secret"])
            expect(f"{w}.next[{i}].envelope", envelope, op["envelope"])


def repeated(c, key):
    """`key` as hex, or `key_length` copies of `key_byte`."""
    if key in c:
        return b(c, key)
    return b(c, key + "_byte") * c[key + "_length"]


def outcome(f):
    try:
        return "ok", f()
    except Reject as e:
        return "error", str(e)


def check_bounds(c, w):
    op = c["operation"]
    if op == "decrypt":
        s = Session.from_bytes(b(c, "state"))
        for i, step in enumerate(c["steps"]):
            before = s.to_bytes()
            kind, got = outcome(lambda: s.decrypt(b(step, "envelope"))["plaintext"])
            if kind == "ok":
                expect(f"{w}.steps[{i}].plaintext", got, step.get("plaintext"))
            else:
                expect(f"{w}.steps[{i}].error", got, step.get("error"))
                expect(f"{w}.steps[{i}] leaves the state unchanged", s.to_bytes(), h(before))
        expect(f"{w}.skipped_after", len(s.skipped), c["skipped_after"])
    elif op == "encrypt":
        s = Session.from_bytes(b(c, "state"))
        for i, step in enumerate(c["steps"]):
            draws = iter([x for x in (b(step, "ratchet_secret"), b(step, "salt")) if x])
            kind, got = outcome(lambda: s.encrypt(repeated(step, "plaintext"), draws)[0])
            if kind == "error":
                expect(f"{w}.steps[{i}].error", got, step.get("error"))
            elif "envelope" in step:
                expect(f"{w}.steps[{i}].envelope", got, step["envelope"])
            else:
                expect(f"{w}.steps[{i}].envelope_length", len(got), step["envelope_length"])
                expect(f"{w}.steps[{i}].envelope_sha256", hashlib.sha256(got).digest(),
                       step["envelope_sha256"])
    elif op == "respond":
        spk = b(c, "signed_prekey")
        fields, m = decode_envelope(b(c, "envelope"))
        kind, got = outcome(lambda: Session.respond(
            Identity(b(c, "identity_seed")), (int.from_bytes(spk[:4], "big"), spk[4:36]), None,
            fields, m, repeated(c, "context"))[1]["plaintext"])
        expect(f"{w}.{'plaintext' if kind == 'ok' else 'error'}", got,
               c.get("plaintext" if kind == "ok" else "error"))
    elif op == "session_state":
        kind, got = outcome(lambda: len(Session.from_bytes(repeated(c, "input")).skipped))
        expect(f"{w}.{'skipped' if kind == 'ok' else 'error'}", got,
               c.get("skipped" if kind == "ok" else "error"))
    elif op == "envelope":
        f = c["envelope_fields"]
        m = {"ratchet_key": b(f, "ratchet_key"), "previous_counter": f["previous_counter"],
             "counter": f["counter"], "salt": b(f, "salt"), "ciphertext": repeated(f, "ciphertext")}
        data = encode_envelope(None, m)
        expect(f"{w}.envelope_length", len(data), c["envelope_length"])
        kind, got = outcome(lambda: decode_envelope(data))
        if kind == "ok":
            expect(f"{w}.accepted", True, c.get("accepted"))
        else:
            expect(f"{w}.error", got, c.get("error"))
    elif op == "low_order_dh":
        # The recorded all-zero output is what X25519 gives: x25519() refuses exactly that.
        u = b(c, "public_key")
        expect(f"{w}.dh_output", b(c, "dh_output"), h(bytes(32)))
        expect(f"{w} X25519", outcome(lambda: x25519(b(c, "secret"), u)),
               ("error", "key.non_contributory"))
        expect(f"{w}.error", outcome(lambda: check_public_key(u)), ("error", c["error"]))
    else:
        raise AssertionError(f"unknown operation {op}")


def attempt(c):
    data = (bytes.fromhex(c["input"]) if "input" in c
            else bytes.fromhex(c["input_byte"]) * c["input_length"]) if c["operation"] not in (
        "decrypt", "respond") else None
    op = c["operation"]
    if op == "public_key":
        check_public_key(data)
    elif op == "identity_key":
        check_identity_key(data)
    elif op == "bundle":
        decode_bundle(data)
    elif op == "envelope":
        decode_envelope(data)
    elif op == "session_state":
        Session.from_bytes(data)
    elif op == "decrypt":
        s = Session.from_bytes(b(c, "state"))
        decode_envelope(b(c, "envelope"))  # must decode: the failure is in decryption
        s.decrypt(b(c, "envelope"))
    elif op == "respond":
        spk = b(c, "signed_prekey")
        opk = b(c, "one_time_prekey")
        fields, m = decode_envelope(b(c, "envelope"))
        Session.respond(Identity(b(c, "identity_seed")),
                        (int.from_bytes(spk[:4], "big"), spk[4:36]),
                        (int.from_bytes(opk[:4], "big"), opk[4:36]) if opk else None,
                        fields, m, b(c, "context"))
    else:
        raise AssertionError(f"unknown operation {op}")


def check_pqxdh_bundle(c, w):
    """The genuine version 2 bundles of pqxdh.json decode, with the KEM prekey recorded: so the
    KEM checks of decode_bundle refuse only what invalid.json says they must."""
    kem = decode_bundle(b(c, "bundle"))["kem"]
    expect(f"{w}.kem_prekey_id", kem["id"], c["kem_prekey_id"])
    expect(f"{w}.kem_prekey_kind", kem["kind"], c["kem_prekey_kind"])
    expect(f"{w}.kem_prekey_public", kem["public_key"], c["kem_prekey_public"])
    expect(f"{w}.kem_prekey_message",
           kem_prekey_message(kem["kind"], kem["id"], kem["public_key"]),
           c["kem_prekey_message"])


def check_invalid(c, w):
    try:
        attempt(c)
        got = "accepted"
    except Reject as e:
        got = str(e)
    expect(w, got, error_code(c["error"]))


def check_media(c, w):
    key = b(c, "attachment_key")
    if "error" in c:
        try:
            if c["operation"] == "decrypt_chunk":
                decrypt_chunk(key, c["plaintext_size"], c["chunk_size"], b(c, "commitment"),
                              c["index"], b(c, "chunk"))
            else:
                decrypt_attachment(key, c["plaintext_size"], c["chunk_size"], b(c, "digest"),
                                   b(c, "ciphertext"))
            got = "accepted"
        except Reject as e:
            got = str(e)
        expect(w, got, error_code(c["error"]))
        return
    plaintext = b(c, "plaintext")
    expect(f"{w}.plaintext_size", len(plaintext), c["plaintext_size"])
    sealed = encrypt_attachment(key, plaintext, c["chunk_size"])
    expect_fields(w, sealed, c)
    opened = decrypt_attachment(key, len(plaintext), c["chunk_size"], sealed["digest"],
                                sealed["ciphertext"])
    expect(f"{w} decrypts", opened, c["plaintext"])


def check_content(c, w):
    if "plaintext_length" in c:
        plaintext = b(c, "plaintext_byte") * c["plaintext_length"]
    else:
        plaintext = b(c, "plaintext")
    if "error" in c:
        try:
            content_from_plaintext(plaintext)
            got = "accepted"
        except Reject as e:
            got = str(e)
        expect(w, got, error_code(c["error"]))
        return
    expect(f"{w} decodes", content_from_plaintext(plaintext), c["content"])
    if not c.get("decode_only"):
        encoded = encode(CONTENT, content_to_proto(c["content"]))
        expect(f"{w}.encoded", encoded, c["encoded"])
        expect(f"{w}.plaintext", pad(encoded), c["plaintext"])


# ------------------------------------------------------------------ safety numbers (14.9) --

def safety_fingerprint(user, identity_key):
    """F(U, IK) of SPEC 14.9: SHA-512 5200 times, the first over label, key and user id."""
    u = user.encode("utf-8")
    assert 1 <= len(u) <= 255, "user id length"
    first = b"crosswire/v1/safety-number" + identity_key + bytes([len(u)]) + u
    f = hashlib.sha512(first).digest()
    for _ in range(5200 - 1):
        f = hashlib.sha512(f + identity_key).digest()
    return first, f


def safety_digits(f):
    return "".join("%05d" % (int.from_bytes(f[5 * i:5 * i + 5], "big") % 100000)
                   for i in range(6))


def check_safety_number(c, w):
    expect(f"{w}.iterations", 5200, c["iterations"])
    alice, bob = Identity(b(c, "alice_identity_seed")), Identity(b(c, "bob_identity_seed"))
    a_first, af = safety_fingerprint(c["alice_user"], alice.public)
    b_first, bf = safety_fingerprint(c["bob_user"], bob.public)
    ad, bd = safety_digits(af), safety_digits(bf)
    number = min(ad, bd) + max(ad, bd)
    got = {
        "alice_identity_key": alice.public, "bob_identity_key": bob.public,
        "alice_first_input": a_first, "bob_first_input": b_first,
        "alice_fingerprint": af, "bob_fingerprint": bf,
        "alice_digits": ad, "bob_digits": bd, "safety_number": number,
        "safety_number_display": " ".join(number[i:i + 5] for i in range(0, 60, 5)),
        "alice_scannable": b"cw\x01" + af[:32] + bf[:32],
        "bob_scannable": b"cw\x01" + bf[:32] + af[:32],
    }
    expect_fields(w, got, c)


# ------------------------------------------------------------------- account store (14) --

STORE_TABLES = ["meta", "signed_prekeys", "one_time_prekeys", "sessions", "identities", "inbox",
                "kem_prekeys"]  # in the export's index order (14.1)
UNSEALED_META = (b"store_id", b"key_check")
NOT_RETIRED = b"\xff" * 8


# SessionState (8) with the PQXDH fields of 15.6, which a session the account layer starts
# (post-quantum by default, 14.6) carries.
PQ_STATE = dict(STATE)
PQ_STATE[11] = ("origin", ("msg", {1: ("base_key", "bytes"), 2: ("signed_prekey_id", "u32"),
                                   3: ("one_time_prekey_id", "opt_u32"),
                                   4: ("kem_prekey_id", "opt_u32"),
                                   5: ("kem_ciphertext_hash", "bytes")}))
PQ_STATE[15] = ("kem_ciphertext", "bytes")


def be(x):
    return int.from_bytes(x, "big")


def store_row_ad(table, key):
    name = table.encode()
    return b"crosswire/v1/store-row" + b"\x01" + bytes([len(name)]) + name + key


def address_key(user, device):
    u = user.encode()
    return bytes([len(u)]) + u + device.to_bytes(4, "big")


def check_store_row(w, table, key, pt, c, ids):
    """One row's plaintext against its layout in SPEC 14.3 and the account's other facts."""
    identity_key = b(c, "identity_key")
    trusted = {address_key(t["user"], t["device"]): b(t, "identity_key") for t in c["trusted"]}
    ok = lambda what, cond: expect(f"{w}: {what}", bool(cond), True)  # noqa: E731
    if table == "meta" and key == b"identity":
        ok("identity is 0x01 || seed", len(pt) == 33 and pt[0] == 1)
        seed_key = Ed25519PrivateKey.from_private_bytes(pt[1:]).public_key().public_bytes_raw()
        expect(f"{w}: the seed's public key", seed_key, c["identity_key"])
    elif table == "meta" and key == b"prekeys":
        ok("17 bytes, version 1", len(pt) == 17 and pt[0] == 1)
        current, next_signed, next_one_time = be(pt[1:5]), be(pt[5:9]), be(pt[9:13])
        ok("the current signed prekey exists", current in ids["signed"])
        ok("next_signed follows every signed prekey", all(i < next_signed for i in ids["signed"]))
        ok("next_one_time follows every one-time prekey",
           all(i < next_one_time for i in ids["one_time"]))
    elif table == "meta" and key == b"kem_prekeys":
        ok("13 bytes, version 1", len(pt) == 13 and pt[0] == 1)
        ok("the last-resort KEM prekey exists", (1, be(pt[1:5])) in ids["kem"])
        ok("next_kem follows every KEM prekey", all(i < be(pt[5:9]) for _, i in ids["kem"]))
    elif table == "meta" and key == b"inbox_next":
        ok("a u64 after every inbox entry",
           len(pt) == 8 and all(e["seq"] < be(pt) for e in c["inbox"]))
    elif table == "meta" and key.startswith(b"devices/"):
        user = key[9:].decode()
        ok("a user id of the stated length", key[8] == len(key) - 9)
        n = be(pt[1:3])
        ok("0x01 || u16(n) || n * (u32 || u8)", pt[0] == 1 and len(pt) == 3 + 5 * n)
        entries = [(be(pt[3 + 5 * i:7 + 5 * i]), pt[7 + 5 * i]) for i in range(n)]
        ok("devices strictly ascending", all(a[0] < b_[0] for a, b_ in zip(entries, entries[1:])))
        ok("states listed or removed", all(st in (1, 2) for _, st in entries))
        want = [d["devices"] for d in c["devices"] if d["user"] == user]
        expect(f"{w}: listed devices", [[d for d, st in entries if st == 1]], want)
    elif table == "meta" and key.startswith(b"seen/"):
        n = pt[1] if len(pt) > 1 else -1
        ok("0x01 || u8(n) || n * 16 bytes", pt[0] == 1 and 0 <= n <= 64 and len(pt) == 2 + 16 * n)
        ok("for a device with a session", key[5:] in trusted)
    elif table == "signed_prekeys":
        ok("117 bytes, version 1", len(pt) == 117 and pt[0] == 1)
        spk_id, secret, sig = be(pt[17:21]), pt[21:53], pt[53:117]
        expect(f"{w}: record id is the row key", spk_id.to_bytes(4, "big"), key.hex())
        ok("signed by the identity key",
           verify_strict(identity_key, signed_prekey_message(spk_id, x25519_public(secret)), sig))
    elif table == "one_time_prekeys":
        ok("36 bytes: u32(id) || secret", len(pt) == 36)
        expect(f"{w}: record id is the row key", pt[:4], key.hex())
    elif table == "kem_prekeys":
        ok("150 bytes, version 1", len(pt) == 150 and pt[0] == 1)
        kem_id, kind = be(pt[17:21]), pt[21]
        expect(f"{w}: record kind and id are the row key", bytes([kind]) + pt[17:21], key.hex())
        ok("a one-time KEM prekey is never retired", kind == 1 or pt[9:17] == NOT_RETIRED)
    elif table == "sessions":
        ok("a record with a current session (0x01) or archived (0x02)", pt[0] in (1, 2))
        n, at, states = pt[1], 2, []
        ok("1 to 11 entries", 1 <= n <= 11)
        for _ in range(n):
            length = be(pt[at + 8:at + 12])
            states.append(pt[at + 12:at + 12 + length])
            at += 12 + length
        ok("nothing after the last entry", at == len(pt))
        for i, state in enumerate(states):
            s = decode_exact(PQ_STATE, state)
            ok(f"entry {i} is a canonical SessionState, version 2", s and s["version"] == 2)
            expect(f"{w}: entry {i} is ours", s["local_identity"], c["identity_key"])
            expect(f"{w}: entry {i} is with the trusted key", s["remote_identity"],
                   trusted[key].hex())
            ok(f"entry {i} began with PQXDH", s["origin"].get("kem_prekey_id") is not None)
    elif table == "identities":
        ok("41 bytes, version 1", len(pt) == 41 and pt[0] == 1)
        expect(f"{w}: the trusted key", pt[1:33], trusted[key].hex())
    elif table == "inbox":
        [e] = [e for e in c["inbox"] if e["seq"].to_bytes(8, "big") == key]
        sender = address_key(e["from_user"], e["from_device"])
        expect(f"{w}: 0x01 || sender || plaintext", pt, (b"\x01" + sender + b(e, "plaintext")).hex())
    else:
        FAILURES.append(f"{w}: a row 14.3 does not describe")


def check_store(c, w):
    key, sid = b(c, "storage_key"), b(c, "store_id")
    row_key = hkdf(sid, key, b"crosswire/v1/store-row-key", 32)
    expect(f"{w}.row_key", row_key, c["row_key"])
    expect(f"{w}.key_check", hkdf(sid, key, b"crosswire/v1/storage-key-check", 32), c["key_check"])
    rows = [(r["table"], b(r, "key"), b(r, "value"), b(r, "nonce"), b(r, "plaintext"))
            for r in c["rows"]]
    ids = {"signed": [be(k) for t, k, *_ in rows if t == "signed_prekeys"],
           "one_time": [be(k) for t, k, *_ in rows if t == "one_time_prekeys"],
           "kem": [(k[0], be(k[1:])) for t, k, *_ in rows if t == "kem_prekeys"]}
    export = b"CWMS\x01" + len(rows).to_bytes(4, "big")
    previous = None
    for table, rk, value, nonce, pt in rows:
        rw = f"{w}.rows[{table}/{rk.hex()}]"
        order = (STORE_TABLES.index(table), rk)
        expect(f"{rw} after the previous row", previous is None or previous < order, True)
        previous = order
        export += bytes([order[0]]) + len(rk).to_bytes(4, "big") + rk
        export += len(value).to_bytes(4, "big") + value
        if table == "meta" and rk in UNSEALED_META:
            expect(rw, value, (sid if rk == b"store_id" else
                               hkdf(sid, key, b"crosswire/v1/storage-key-check", 32)).hex())
            continue
        sealed = b"\x01" + nonce + aead_seal(row_key, nonce, store_row_ad(table, rk), pt)
        expect(f"{rw}.value", sealed, value.hex())
        check_store_row(rw, table, rk, pt, c, ids)
    expect(f"{w}.export", export, c["export"])


# ------------------------------------------------------------------------ groups (16) --

LABEL_GROUP_MESSAGE = b"crosswire/v1/group-message"
LABEL_GROUP_SIGNATURE = b"crosswire/v1/group-signature"
MAX_GROUP_SKIP = 2000
MAX_GROUP_SKIPPED_KEYS = 2000
MAX_GROUP_MESSAGE_LEN = MAX_PLAINTEXT_LEN + 16 + 1024

SENDER_KEY_MESSAGE = {
    1: ("version", "u32"),
    2: ("group_id", "bytes"),
    3: ("key_id", "u32"),
    4: ("iteration", "u32"),
    5: ("salt", "bytes"),
    6: ("ciphertext", "bytes"),
    7: ("signature", "bytes"),
}
SENDER_KEY_DISTRIBUTION = {
    1: ("version", "u32"),
    2: ("group_id", "bytes"),
    3: ("key_id", "u32"),
    4: ("iteration", "u32"),
    5: ("chain_key", "bytes"),
    6: ("signing_key", "bytes"),
}
GROUP_RECEIVER_STATE = {
    1: ("version", "u32"),
    2: ("group_id", "bytes"),
    3: (
        "senders",
        ("rep", {1: ("identity", "bytes"),
                 2: ("states", ("rep", {1: ("key_id", "u32"), 2: ("iteration", "u32"),
                                        3: ("chain_key", "bytes"), 4: ("signing_key", "bytes")}))}),
    ),
    4: (
        "skipped",
        ("rep", {1: ("identity", "bytes"), 2: ("key_id", "u32"), 3: ("iteration", "u32"),
                 4: ("message_seed", "bytes")}),
    ),
}


def group_message_key(seed, salt):
    """SPEC 16.3."""
    okm = hkdf(salt, seed, LABEL_GROUP_MESSAGE, 44)
    return okm[:32], okm[32:]


def group_ad(group_id, sender, key_id, iteration, salt):
    """SPEC 16.4: 0x01 || group id || IK || u32be(key id) || u32be(iteration) || salt."""
    return (b"\x01" + group_id + sender + key_id.to_bytes(4, "big")
            + iteration.to_bytes(4, "big") + salt)


def decode_sender_key_message(data):
    """SPEC 16.4 decoding, in order."""
    if len(data) > MAX_GROUP_MESSAGE_LEN:
        raise Reject("group.too_large")
    m = decode_exact(SENDER_KEY_MESSAGE, data)
    if m is None:
        raise Reject("group.malformed")
    if m.get("version", 0) != 1:
        raise Reject("group.unsupported_version")
    ct = m.get("ciphertext", b"")
    if (len(m.get("group_id", b"")) != 32 or len(m.get("salt", b"")) != 16
            or len(m.get("signature", b"")) != 64 or not 16 <= len(ct) <= MAX_PLAINTEXT_LEN + 16
            or m.get("iteration", 0) == 2**32 - 1):
        raise Reject("group.malformed")
    m.setdefault("key_id", 0)
    m.setdefault("iteration", 0)
    return m


def group_signed(sender, data):
    """SPEC 16.4: label || IK || the encoding without its last 66 bytes (the signature field)."""
    return LABEL_GROUP_SIGNATURE + sender + data[:-66]


def group_decrypt(state, sender, data):
    """SPEC 16.7 on a parsed GroupReceiverState (modified only on success)."""
    m = decode_sender_key_message(data)
    if m["group_id"] != state["group_id"]:
        raise Reject("group.wrong_group")
    record = next((r for r in state.get("senders", []) if r["identity"] == sender), None)
    key = None if record is None else next(
        (k for k in record["states"] if k.get("key_id", 0) == m["key_id"]), None)
    if key is None:
        raise Reject("group.unknown_sender_key")
    if not verify_strict(key["signing_key"], group_signed(sender, data), m["signature"]):
        raise Reject("group.bad_signature")
    ad = group_ad(state["group_id"], sender, m["key_id"], m["iteration"], m["salt"])
    j, it = key.get("iteration", 0), m["iteration"]
    skipped = state.setdefault("skipped", [])
    if it < j:
        for n, s in enumerate(skipped):
            if (s["identity"], s.get("key_id", 0), s.get("iteration", 0)) == (sender, m["key_id"], it):
                k, nonce = group_message_key(s["message_seed"], m["salt"])
                pt = aead_open(k, nonce, ad, m["ciphertext"])
                if pt is None:
                    raise Reject("group.authentication_failed")
                del skipped[n]
                return pt
        raise Reject("group.duplicate")
    if it - j > MAX_GROUP_SKIP:
        raise Reject("group.too_far_ahead")
    ck, staged = key["chain_key"], []
    for pos in range(j, it):
        seed, ck = kdf_ck(ck)
        staged.append({"identity": sender, "key_id": m["key_id"], "iteration": pos,
                       "message_seed": seed})
    seed, ck = kdf_ck(ck)
    k, nonce = group_message_key(seed, m["salt"])
    pt = aead_open(k, nonce, ad, m["ciphertext"])
    if pt is None:
        raise Reject("group.authentication_failed")
    key["chain_key"], key["iteration"] = ck, it + 1
    skipped.extend(staged)
    del skipped[: max(0, len(skipped) - MAX_GROUP_SKIPPED_KEYS)]
    return pt


def check_groups(c, w):
    if "error" in c:
        state = decode_exact(GROUP_RECEIVER_STATE, b(c, "receiver_state"))
        expect(f"{w}.state decodes", state is not None, True)
        try:
            group_decrypt(state, b(c, "sender"), b(c, "message"))
            got = "accepted"
        except Reject as e:
            got = str(e)
        expect(w, got, c["error"])
        return
    alice = Identity(b(c, "alice_seed"))
    expect(f"{w}.alice_identity", alice.public, c["alice_identity"])
    for who in ("bob", "carol"):
        expect(f"{w}.{who}_identity", Identity(b(c, f"{who}_seed")).public, c[f"{who}_identity"])
    group_id = b(c, "group_id")
    # SPEC 16.2: the key id is next_u32 of the 4 random bytes, little-endian.
    key_id = int.from_bytes(b(c, "key_id_random"), "little")
    expect(f"{w}.key_id", key_id, c["key_id"])
    signing = Ed25519PrivateKey.from_private_bytes(b(c, "signing_seed"))
    signing_key = signing.public_key().public_bytes_raw()
    expect(f"{w}.signing_key", signing_key, c["signing_key"])
    dist = {"version": 1, "group_id": group_id, "key_id": key_id, "iteration": 0,
            "chain_key": b(c, "chain_key_0"), "signing_key": signing_key}
    encoded = encode(SENDER_KEY_DISTRIBUTION, dist)
    expect(f"{w}.distribution", encoded, c["distribution"])
    expect(f"{w}.distribution_plaintext", pad(encoded), c["distribution_plaintext"])
    # Bob's state after processing the distribution (SPEC 16.6, 16.9).
    state = {"version": 1, "group_id": group_id,
             "senders": [{"identity": alice.public,
                          "states": [{"key_id": key_id, "iteration": 0,
                                      "chain_key": b(c, "chain_key_0"),
                                      "signing_key": signing_key}]}],
             "skipped": []}
    expect(f"{w}.receiver_state_before", encode(GROUP_RECEIVER_STATE, state),
           c["receiver_state_before"])
    ck = b(c, "chain_key_0")
    for i, m in enumerate(c["messages"]):
        mw = f"{w}.messages[{i}]"
        seed, nxt = kdf_ck(ck)
        salt = b(m, "salt")
        key, nonce = group_message_key(seed, salt)
        ad = group_ad(group_id, alice.public, key_id, i, salt)
        ct = aead_seal(key, nonce, ad, b(m, "plaintext"))
        body = encode(SENDER_KEY_MESSAGE, {"version": 1, "group_id": group_id, "key_id": key_id,
                                           "iteration": i, "salt": salt, "ciphertext": ct})
        signed = LABEL_GROUP_SIGNATURE + alice.public + body
        sig = signing.sign(signed)  # Ed25519 is deterministic
        message = encode(SENDER_KEY_MESSAGE, {"version": 1, "group_id": group_id,
                                              "key_id": key_id, "iteration": i, "salt": salt,
                                              "ciphertext": ct, "signature": sig})
        expect_fields(mw, {"iteration": i, "chain_key": ck, "seed": seed, "next_chain_key": nxt,
                           "key": key, "nonce": nonce, "associated_data": ad, "ciphertext": ct,
                           "signed": signed, "signature": sig, "message": message}, m)
        expect(f"{mw}.signed is message minus signature field",
               group_signed(alice.public, message), m["signed"])
        ck = nxt
    for d in c["deliveries"]:
        pt = group_decrypt(state, alice.public, b(c["messages"][d["message"]], "message"))
        expect(f"{w}.deliveries[{d['message']}]", pt, d["plaintext"])
    expect(f"{w}.receiver_state_after", encode(GROUP_RECEIVER_STATE, state),
           c["receiver_state_after"])


def main():
    checks = [("x3dh.json", check_x3dh), ("ratchet.json", check_ratchet),
              ("wire.json", check_wire), ("session-state.json", check_session_state),
              ("invalid.json", check_invalid), ("bounds.json", check_bounds), ("media.json", check_media),
              ("content.json", check_content),
              ("safety-numbers.json", check_safety_number),
              ("groups.json", check_groups), ("pqxdh.json", check_pqxdh_bundle),
              ("store.json", check_store)]
    for name, check in checks:
        for c in load(name):
            where = f"{name}[{c['name']}]"
            try:
                check(c, where)
            except Exception as e:  # a crash is a failure too, with its place
                FAILURES.append(f"{where}: {type(e).__name__}: {e}")
    for f in FAILURES:
        print("MISMATCH", f)
    print(f"{CHECKS[0] - len(FAILURES)} passed, {len(FAILURES)} failed")
    return 1 if FAILURES else 0

if __name__ == "__main__":
    sys.exit(main())
