//! [`write_atomic`]: replace a file without ever leaving a half-written one.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Distinguishes temporary files of concurrent writes within one process.
static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` atomically: the data go to a new temporary file in the same
/// directory, which is flushed to disk and then renamed over `path`. Readers see either
/// the old file or the complete new one; on failure the temporary file is removed and
/// `path` is untouched.
///
/// # Errors
/// [`Error::InvalidParameter`] when `path` has no file name; [`Error::Io`] naming the
/// temporary file or `path` when creating, writing, syncing or renaming fails.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    write_atomic_with(path, |w, temp| {
        w.write_all(bytes).map_err(|e| Error::io(temp, e))
    })
}

/// Streams a file into place atomically, as [`write_atomic`] does for a byte slice:
/// `write` receives a buffered writer on a temporary file next to `path` (and that
/// file's path, for error messages); when it succeeds the file is flushed, synced and
/// renamed over `path`, and when it fails the temporary file is removed.
///
/// # Errors
/// The error of `write`; [`Error::Io`] when creating, syncing or renaming fails.
pub fn write_atomic_with<F>(path: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>, &Path) -> Result<()>,
{
    let temp = temp_path(path)?;
    let result = write_synced(&temp, write)
        .and_then(|()| fs::rename(&temp, path).map_err(|e| Error::io(path, e)));
    if result.is_err() {
        // Best effort: the temporary file may not even exist.
        let _ = fs::remove_file(&temp);
    }
    result
}

/// `dir/.name.<pid>.<n>.tmp` next to `path`.
fn temp_path(path: &Path) -> Result<PathBuf> {
    let name = path.file_name().ok_or_else(|| {
        Error::param("path", format!("`{}` does not name a file", path.display()))
    })?;
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let unique = COUNTER.fetch_add(1, Ordering::Relaxed);
    Ok(dir.join(format!(
        ".{}.{}.{unique}.tmp",
        name.to_string_lossy(),
        std::process::id()
    )))
}

/// Creates `temp` (failing if it exists), lets `write` fill it, flushes and syncs it.
fn write_synced<F>(temp: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut BufWriter<File>, &Path) -> Result<()>,
{
    let file: File = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(temp)
        .map_err(|e| Error::io(temp, e))?;
    let mut writer = BufWriter::new(file);
    write(&mut writer, temp)?;
    let file = writer
        .into_inner()
        .map_err(|e| Error::io(temp, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(temp, e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temp_files() {
        let dir = std::env::temp_dir().join(format!("xas-core-atomic-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let path = dir.join("out.txt");
        write_atomic(&path, b"first").unwrap();
        write_atomic(&path, b"second").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"second");
        let leftovers: Vec<_> = fs::read_dir(&dir)
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty());
        let missing = dir.join("no-such-dir").join("x.txt");
        let err = write_atomic(&missing, b"x").unwrap_err();
        assert!(err.to_string().contains("no-such-dir"), "{err}");
        assert!(write_atomic(Path::new("/"), b"x").is_err());
        fs::remove_dir_all(&dir).unwrap();
    }
}
