//! The two keys a ledger uses, both kept outside the database.
//!
//! - The **fingerprint key** makes a secret's ledger fingerprint an HMAC-SHA-256 of its value.
//!   An unkeyed hash of a short password can be confirmed by guessing; a keyed one cannot
//!   without the key, so a copied ledger does not leak which values it holds. A check value
//!   (the HMAC of a fixed label) is stored in the ledger so that a scanner started with the wrong
//!   key is refused instead of filing every secret a second time.
//! - The optional **sealing key** encrypts a secret's plain text with XChaCha20-Poly1305 (random
//!   192-bit nonce, the fingerprint as associated data), so it can be re-validated later.
//!   Without a sealing key the plain text is never stored.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Environment variable holding the fingerprint key itself.
pub const FINGERPRINT_KEY_ENV: &str = "KEYTRAIL_LEDGER_KEY";
/// Environment variable holding the sealing key itself (64 hex digits).
pub const SEALING_KEY_ENV: &str = "KEYTRAIL_SEALING_KEY";

/// Shortest fingerprint key accepted, in bytes.
const MIN_KEY_LEN: usize = 16;
/// Nonce length of XChaCha20-Poly1305.
const NONCE_LEN: usize = 24;

/// A key could not be read, made or used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The key file.
        path: PathBuf,
        /// What failed.
        source: io::Error,
    },
    /// The key material is unusable.
    #[error("{0}")]
    Invalid(String),
    /// Sealed plain text did not decrypt (wrong key or damaged data).
    #[error("sealed value does not open with this sealing key")]
    Unseal,
}

/// The key behind ledger fingerprints.
#[derive(Clone)]
pub struct FingerprintKey(Vec<u8>);

impl std::fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FingerprintKey(..)")
    }
}

impl FingerprintKey {
    /// A key from its text form: 64 hex digits, or any string of at least 16 bytes.
    pub fn from_text(text: &str) -> Result<FingerprintKey, KeyError> {
        let t = text.trim();
        let bytes = match hex::decode(t) {
            Ok(b) if t.len() == 64 => b,
            _ => t.as_bytes().to_vec(),
        };
        if bytes.len() < MIN_KEY_LEN {
            return Err(KeyError::Invalid(format!(
                "the fingerprint key is too short ({} bytes; at least {MIN_KEY_LEN})",
                bytes.len()
            )));
        }
        Ok(FingerprintKey(bytes))
    }

    /// Reads a key file.
    pub fn read(path: &Path) -> Result<FingerprintKey, KeyError> {
        let text = fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        FingerprintKey::from_text(&text)
            .map_err(|e| KeyError::Invalid(format!("{}: {e}", path.display())))
    }

    /// Reads a key file, creating it with a fresh random key (mode 0600) if it does not exist.
    pub fn read_or_create(path: &Path) -> Result<FingerprintKey, KeyError> {
        if !path.exists() {
            let mut key = [0u8; 32];
            getrandom::fill(&mut key)
                .map_err(|e| KeyError::Invalid(format!("no random numbers: {e}")))?;
            write_private(path, &format!("{}\n", hex::encode(key))).map_err(|source| {
                KeyError::Io {
                    path: path.to_path_buf(),
                    source,
                }
            })?;
        }
        FingerprintKey::read(path)
    }

    /// The ledger fingerprint of a secret value (64 hex digits).
    pub fn fingerprint(&self, secret: &[u8]) -> String {
        self.mac(&[b"keytrail-secret-v1\0", secret])
    }

    /// The value stored in the ledger to recognise this key.
    pub fn check_value(&self) -> String {
        self.mac(&[b"keytrail-key-check-v1"])
    }

    fn mac(&self, parts: &[&[u8]]) -> String {
        // HMAC takes keys of any length; `from_text` guarantees a non-trivial one.
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
        for p in parts {
            mac.update(p);
        }
        hex::encode(mac.finalize().into_bytes())
    }
}

/// The key that seals plain text stored in the ledger.
#[derive(Clone)]
pub struct SealingKey(chacha20poly1305::Key);

impl std::fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SealingKey(..)")
    }
}

impl SealingKey {
    /// A key from 64 hex digits.
    pub fn from_text(text: &str) -> Result<SealingKey, KeyError> {
        let bytes = hex::decode(text.trim())
            .ok()
            .filter(|b| b.len() == 32)
            .ok_or_else(|| KeyError::Invalid("a sealing key is 64 hex digits (32 bytes)".into()))?;
        let mut key = chacha20poly1305::Key::default();
        key.copy_from_slice(&bytes);
        Ok(SealingKey(key))
    }

    /// Reads a key file.
    pub fn read(path: &Path) -> Result<SealingKey, KeyError> {
        let text = fs::read_to_string(path).map_err(|source| KeyError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        SealingKey::from_text(&text)
            .map_err(|e| KeyError::Invalid(format!("{}: {e}", path.display())))
    }

    /// Encrypts `plain`, bound to `fingerprint`; returns nonce followed by ciphertext.
    pub fn seal(&self, fingerprint: &str, plain: &[u8]) -> Result<Vec<u8>, KeyError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce)
            .map_err(|e| KeyError::Invalid(format!("no random numbers: {e}")))?;
        let nonce = XNonce::from(nonce);
        let payload = Payload {
            msg: plain,
            aad: fingerprint.as_bytes(),
        };
        let sealed = XChaCha20Poly1305::new(&self.0)
            .encrypt(&nonce, payload)
            .map_err(|_| KeyError::Invalid("encryption failed".into()))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// Decrypts what [`SealingKey::seal`] produced for the same fingerprint.
    pub fn open(&self, fingerprint: &str, sealed: &[u8]) -> Result<Vec<u8>, KeyError> {
        if sealed.len() < NONCE_LEN {
            return Err(KeyError::Unseal);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = XNonce::try_from(nonce).map_err(|_| KeyError::Unseal)?;
        let payload = Payload {
            msg: body,
            aad: fingerprint.as_bytes(),
        };
        XChaCha20Poly1305::new(&self.0)
            .decrypt(&nonce, payload)
            .map_err(|_| KeyError::Unseal)
    }
}

/// Writes a file readable only by its owner.
fn write_private(path: &Path, text: &str) -> io::Result<()> {
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir)?;
    }
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut file = opts.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprints_depend_on_the_key() {
        let a = FingerprintKey::from_text("0123456789abcdef-first").unwrap();
        let b = FingerprintKey::from_text("0123456789abcdef-second").unwrap();
        assert_eq!(a.fingerprint(b"hunter2"), a.fingerprint(b"hunter2"));
        assert_ne!(a.fingerprint(b"hunter2"), b.fingerprint(b"hunter2"));
        assert_ne!(a.fingerprint(b"hunter2"), a.fingerprint(b"hunter3"));
        assert_ne!(a.check_value(), b.check_value());
        assert!(FingerprintKey::from_text("short").is_err());
    }

    #[test]
    fn created_key_files_are_private_and_stable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k/ledger.key");
        let first = FingerprintKey::read_or_create(&path).unwrap();
        let again = FingerprintKey::read_or_create(&path).unwrap();
        assert_eq!(first.check_value(), again.check_value());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "key file mode {mode:o}");
        }
    }

    #[test]
    fn sealed_values_open_only_with_the_same_key_and_fingerprint() {
        let key = SealingKey::from_text(&"ab".repeat(32)).unwrap();
        let other = SealingKey::from_text(&"cd".repeat(32)).unwrap();
        let sealed = key.seal("fp1", b"s3cr3t-value").unwrap();
        assert!(!sealed.windows(6).any(|w| w == b"s3cr3t"));
        assert_eq!(key.open("fp1", &sealed).unwrap(), b"s3cr3t-value");
        assert!(key.open("fp2", &sealed).is_err());
        assert!(other.open("fp1", &sealed).is_err());
        assert!(SealingKey::from_text("abcd").is_err());
    }
}
