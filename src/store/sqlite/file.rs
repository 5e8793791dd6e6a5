//! The store's file on disk: checking an existing one against its header before SQLite reads
//! it, and creating a new one under a temporary name, linked into place only when complete
//! (SPEC.md 14.4).

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, OpenFlags};

use super::{io_err, map_err};
use crate::store::{StoreError, migrations};

/// Checks an existing file's length against its header before SQLite reads it. SQLite reads
/// a page cut short by truncation as if the missing bytes were zeros, so a file that lost its
/// tail can return wrong values without any error; a page missing entirely is caught by
/// SQLite itself, but only when a statement reaches it. When the WAL holds frames, the file
/// may legitimately lag its pages (a checkpoint was interrupted and will be redone), so only
/// the header is checked then.
pub(super) fn check_file_shape(path: &Path, len: u64) -> Result<(), StoreError> {
    use std::io::Read;
    let mut header = [0u8; 100];
    let mut file = fs::File::open(path).map_err(|e| io_err(&e))?;
    if len < header.len() as u64 {
        return Err(StoreError::Corrupt);
    }
    file.read_exact(&mut header).map_err(|e| io_err(&e))?;
    if &header[..16] != b"SQLite format 3\0" {
        return Err(StoreError::Corrupt);
    }
    let page_size = match u16::from_be_bytes([header[16], header[17]]) {
        1 => 65536,
        n if n >= 512 && n.is_power_of_two() => u64::from(n),
        _ => return Err(StoreError::Corrupt),
    };
    let wal_has_frames = fs::metadata(wal_path(path)).is_ok_and(|m| m.len() > 0);
    if wal_has_frames {
        return Ok(());
    }
    if !len.is_multiple_of(page_size) {
        return Err(StoreError::Corrupt);
    }
    // The page count at offset 28 is valid when the change counter at 24 equals the
    // version-valid-for number at 92 (SQLite file format, section 1.3).
    if header[24..28] == header[92..96] {
        let pages = u32::from_be_bytes([header[28], header[29], header[30], header[31]]);
        if len < u64::from(pages) * page_size {
            return Err(StoreError::Corrupt);
        }
    }
    Ok(())
}

/// Builds a new store under a unique temporary name beside `path` (schema, WAL mode), then
/// links it to `path` without replacing anything that appeared there meanwhile.
pub(super) fn create(path: &Path) -> Result<(), StoreError> {
    // A WAL without its database would be replayed into the new one.
    if wal_path(path).exists() {
        return Err(StoreError::Corrupt);
    }
    let tmp = temp_path(path);
    let result = build(&tmp).and_then(|()| link(&tmp, path));
    // The temporary name is ours alone; on success `path` now names the same file.
    let _ = fs::remove_file(&tmp);
    result
}

fn build(tmp: &Path) -> Result<(), StoreError> {
    new_file(tmp).map_err(|e| io_err(&e))?;
    let mut conn = Connection::open_with_flags(
        tmp,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(map_err)?;
    conn.execute_batch("PRAGMA secure_delete = ON")
        .map_err(map_err)?;
    migrations::run(&mut conn, migrations::MIGRATIONS)?;
    let mode: String = conn
        .pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0))
        .map_err(map_err)?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Io(format!("journal_mode is {mode}, not wal")));
    }
    // Closing the only connection checkpoints the WAL into the file and removes it.
    conn.close().map_err(|(_, e)| map_err(e))?;
    if wal_path(tmp).exists() {
        return Err(StoreError::Io(
            "the new store's WAL was not checkpointed".into(),
        ));
    }
    fs::File::open(tmp)
        .and_then(|f| f.sync_all())
        .map_err(|e| io_err(&e))
}

fn link(tmp: &Path, path: &Path) -> Result<(), StoreError> {
    match fs::hard_link(tmp, path) {
        Ok(()) => {}
        // Another process created the store first: use theirs.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
        // No hard links on this file system: a rename, which could replace a store another
        // process created in the same instant, but only then.
        Err(_) if !path.exists() => fs::rename(tmp, path).map_err(|e| io_err(&e))?,
        Err(e) => return Err(io_err(&e)),
    }
    sync_dir(path);
    Ok(())
}

/// Makes the new directory entry durable. Best effort: not every platform can open a
/// directory, and the store is complete either way.
fn sync_dir(path: &Path) {
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let dir = if dir.as_os_str().is_empty() {
            Path::new(".")
        } else {
            dir
        };
        let _ = fs::File::open(dir).and_then(|d| d.sync_all());
    }
    #[cfg(not(unix))]
    let _ = path;
}

fn new_file(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    // Only the device's user reads its store; SQLite gives the -wal and -shm files the same
    // permissions as the database.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".creating-{}-{nanos}-{n}", std::process::id()));
    path.with_file_name(name)
}

pub(super) fn wal_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_os_string();
    name.push("-wal");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `link` succeeds only when `path` names a store afterwards: ours, or one another process
    /// linked there first. When the file to link is gone, neither the hard link nor the rename
    /// can make one, and that is an error, with nothing created.
    #[test]
    fn link_fails_when_it_cannot_make_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.sqlite");
        let missing = dir.path().join("s.sqlite.creating-missing");
        assert!(matches!(link(&missing, &path), Err(StoreError::Io(_))));
        assert!(!path.exists());
        // Another process's store already at `path` is kept, and `link` succeeds.
        fs::write(&missing, b"ours").unwrap();
        fs::write(&path, b"theirs").unwrap();
        link(&missing, &path).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"theirs");
    }

    /// Where the file system refuses the hard link for another reason than an existing name
    /// (a file system without hard links answers EPERM; Linux and macOS answer the same for a
    /// directory, used here to get that answer), `link` renames the file into place.
    #[cfg(unix)]
    #[test]
    fn a_refused_hard_link_falls_back_to_a_rename() {
        let dir = tempfile::tempdir().unwrap();
        let tmp = dir.path().join("s.sqlite.creating-dir");
        fs::create_dir(&tmp).unwrap();
        fs::write(tmp.join("inside"), b"ours").unwrap();
        let path = dir.path().join("s.sqlite");
        let refused = fs::hard_link(&tmp, &path).unwrap_err();
        assert_ne!(refused.kind(), io::ErrorKind::AlreadyExists);
        link(&tmp, &path).unwrap();
        assert!(!tmp.exists());
        assert_eq!(fs::read(path.join("inside")).unwrap(), b"ours");
    }
}
