"""crosswire for Python.

The classes and functions come from ``crosswire._native``, a CPython extension module built from
the Rust crate ``crosswire-python`` (bindings/python-ext) with PyO3 and copied next to this file
as ``_native.abi3.so`` by bindings/ci.sh. Errors are ``CrosswireError`` subclasses
(``CrosswireError.Decrypt``, ...) whose ``code`` is the stable error code of SPEC.md 1.1/14.14.
"""

from ._native import (  # noqa: F401
    Account,
    Address,
    Content,
    ContentKind,
    CrosswireError,
    EncryptedAttachment,
    Envelope,
    IdentityKeyPair,
    InboxMessage,
    OneTimePreKey,
    PreKeyBundle,
    PublishedPreKey,
    ReceivedContent,
    Responded,
    RespondedContent,
    SealedAttachment,
    Session,
    SignedPreKey,
    Upload,
    crosswire_version,
    decrypt_attachment,
    encrypt_attachment,
    session_respond,
    session_respond_content,
)

__all__ = [
    "Account",
    "Address",
    "Content",
    "ContentKind",
    "CrosswireError",
    "EncryptedAttachment",
    "Envelope",
    "IdentityKeyPair",
    "InboxMessage",
    "OneTimePreKey",
    "PreKeyBundle",
    "PublishedPreKey",
    "ReceivedContent",
    "Responded",
    "RespondedContent",
    "SealedAttachment",
    "Session",
    "SignedPreKey",
    "Upload",
    "crosswire_version",
    "decrypt_attachment",
    "encrypt_attachment",
    "session_respond",
    "session_respond_content",
]
