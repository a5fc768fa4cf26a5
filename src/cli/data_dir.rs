//! The data directory's privacy and its first start.
//!
//! It holds personal data (departure reasons among it), so it is readable by its
//! owner only: the server sets its umask to 077 before it creates anything, and
//! at start-up narrows the modes of what an earlier run or an operator left
//! wider (directories 0700, files 0600), saying so.

use std::{
    fs,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
};

/// Whether `data_dir` is brand new: missing or empty. Only a brand-new data
/// directory gets the sample dataset; anything else may be a real tenant whose
/// files were lost, which must not be papered over with sample data.
pub fn is_brand_new(data_dir: &Path) -> bool {
    match fs::read_dir(data_dir) {
        Ok(mut entries) => entries.next().is_none(),
        Err(e) => e.kind() == std::io::ErrorKind::NotFound,
    }
}

/// Makes every file the process creates from now on private to its owner.
pub fn restrict_umask() {
    // SAFETY: umask only changes the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// Narrows every directory under `data_dir` (itself included) to 0700 and every
/// file to 0600; returns the paths that were wider, after fixing them.
pub fn make_private(data_dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut widened = Vec::new();
    if !data_dir.exists() {
        fs::create_dir_all(data_dir)?;
    }
    let mut pending = vec![data_dir.to_owned()];
    while let Some(path) = pending.pop() {
        let metadata = fs::symlink_metadata(&path)?;
        if metadata.file_type().is_symlink() {
            continue;
        }
        let wanted = if metadata.is_dir() { 0o700 } else { 0o600 };
        let mode = metadata.permissions().mode() & 0o777;
        if mode & !wanted != 0 {
            fs::set_permissions(&path, fs::Permissions::from_mode(wanted))?;
            widened.push(path.clone());
        }
        if metadata.is_dir() {
            for entry in fs::read_dir(&path)? {
                pending.push(entry?.path());
            }
        }
    }
    Ok(widened)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wider_modes_are_narrowed_and_reported() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        fs::create_dir_all(data.join("tenants/acme")).unwrap();
        fs::write(data.join("tenants/acme/store.redb"), b"x").unwrap();
        fs::set_permissions(data.join("tenants/acme/store.redb"), fs::Permissions::from_mode(0o644)).unwrap();
        fs::set_permissions(data.join("tenants"), fs::Permissions::from_mode(0o755)).unwrap();
        let widened = make_private(&data).unwrap();
        assert!(widened.contains(&data.join("tenants/acme/store.redb")), "{widened:?}");
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&data.join("tenants/acme/store.redb")), 0o600);
        assert_eq!(mode(&data.join("tenants")), 0o700);
        assert!(make_private(&data).unwrap().is_empty(), "nothing left to narrow");
        assert!(!is_brand_new(&data));
        assert!(is_brand_new(&dir.path().join("nothing-here")));
    }
}
