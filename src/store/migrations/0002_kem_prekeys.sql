-- Schema 2: the account's ML-KEM prekeys for PQXDH (SPEC.md 14.3), shaped like every table of
-- schema 1. A schema-1 store gets it empty; the account fills it at its next maintain().
CREATE TABLE kem_prekeys (key BLOB PRIMARY KEY NOT NULL, value BLOB NOT NULL) STRICT, WITHOUT ROWID;
