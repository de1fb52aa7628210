//! Evidence files: uploaded bytes kept whole in the data folder under their
//! SHA-256 (`DATA_DIR/evidence/sha256/ab/cdef...`), written to a temporary
//! name and renamed, so a file under a digest is always complete. Storing
//! the same bytes twice keeps one copy.

use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

/// The content-addressed folder of evidence files.
#[derive(Debug, Clone)]
pub struct EvidenceFiles {
    root: PathBuf,
}

impl EvidenceFiles {
    /// The evidence folder inside a data folder (also for PostgreSQL
    /// deployments, whose records live elsewhere but whose files live here).
    pub fn in_data_dir(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("evidence").join("sha256"),
        }
    }

    /// Where the file with this digest lives (or would).
    pub fn path(&self, sha256: &str) -> PathBuf {
        let (prefix, rest) = sha256.split_at(sha256.len().min(2));
        self.root.join(prefix).join(rest)
    }

    /// Stores the bytes; returns their SHA-256 as lowercase hex.
    pub fn put(&self, bytes: &[u8]) -> std::io::Result<String> {
        let digest = hex::encode(Sha256::digest(bytes));
        let path = self.path(&digest);
        if path.is_file() {
            return Ok(digest);
        }
        let folder = path.parent().unwrap_or(&self.root);
        std::fs::create_dir_all(folder)?;
        let partial = folder.join(format!(".partial-{}", keelson_store::new_id()));
        let written = write_synced(&partial, bytes).and_then(|()| std::fs::rename(&partial, &path));
        if written.is_err() {
            let _ = std::fs::remove_file(&partial);
        }
        written.map(|()| digest)
    }
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_by_their_sha256() {
        let dir = keelson_store::testing::TempDir::new().expect("temp dir");
        let files = EvidenceFiles::in_data_dir(&dir.path);
        let digest = files.put(b"abc").expect("put");
        // SHA-256("abc") from FIPS 180-2, appendix B.1.
        let known = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(digest, known);
        let path = dir.path.join("evidence/sha256/ba").join(&known[2..]);
        assert_eq!(std::fs::read(path).expect("stored"), b"abc");
        assert_eq!(files.put(b"abc").expect("again"), known);
    }
}
