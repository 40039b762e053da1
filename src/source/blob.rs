//! Reading one file into a reused buffer under the scan's limits, and telling binary from text.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use crate::scan::SkipReason;

/// How many leading bytes are inspected for a NUL byte (as git does).
const BINARY_PROBE: usize = 8000;

/// The outcome of reading one file.
#[derive(Debug)]
pub enum ReadOutcome {
    /// The file's bytes are in the buffer.
    Read,
    /// The file was not read, for this reason.
    Skipped(SkipReason),
}

/// Whether `bytes` look binary: a NUL byte in the first 8000 bytes.
pub fn is_binary(bytes: &[u8]) -> bool {
    memchr::memchr(0, &bytes[..bytes.len().min(BINARY_PROBE)]).is_some()
}

/// Reads `path` into `buf` (cleared first) unless it is larger than `max_size` or binary.
/// The size is checked before reading, so a huge sparse file costs nothing.
pub fn read_file(path: &Path, max_size: u64, buf: &mut Vec<u8>) -> io::Result<ReadOutcome> {
    buf.clear();
    let file = File::open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(ReadOutcome::Skipped(SkipReason::NotAFile));
    }
    if meta.len() > max_size {
        return Ok(ReadOutcome::Skipped(SkipReason::TooLarge));
    }
    buf.reserve(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow between stat and read: never read past the limit.
    file.take(max_size + 1).read_to_end(buf)?;
    if buf.len() as u64 > max_size {
        buf.clear();
        return Ok(ReadOutcome::Skipped(SkipReason::TooLarge));
    }
    if is_binary(buf) {
        return Ok(ReadOutcome::Skipped(SkipReason::Binary));
    }
    Ok(ReadOutcome::Read)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn binary_detection_looks_for_nul_near_start() {
        assert!(is_binary(b"abc\0def"));
        assert!(!is_binary(b"plain text \xff\xfe invalid utf8"));
        let mut late = vec![b'a'; BINARY_PROBE + 10];
        late.push(0);
        assert!(!is_binary(&late));
    }

    #[test]
    fn size_limit_skips_without_reading() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("big");
        let f = File::create(&p).unwrap();
        f.set_len(10_000_000).unwrap();
        let mut buf = Vec::new();
        let out = read_file(&p, 1_000_000, &mut buf).unwrap();
        assert!(matches!(out, ReadOutcome::Skipped(SkipReason::TooLarge)));
        assert!(buf.is_empty());
    }

    #[test]
    fn reads_text_and_reuses_buffer() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t.txt");
        File::create(&p).unwrap().write_all(b"hello").unwrap();
        let mut buf = b"stale".repeat(10);
        assert!(matches!(
            read_file(&p, 100, &mut buf).unwrap(),
            ReadOutcome::Read
        ));
        assert_eq!(buf, b"hello");
    }
}
