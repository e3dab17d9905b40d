//! Physical line numbers of CSV records, from the bytes the CSV reader reads.
//!
//! The CSV reader's own line count is one too low after a CRLF line end or a blank line (it
//! counts the `\n` that ends the previous record only when it reads the next one). Here every
//! run of line-break bytes (`\r`, `\n`) is noted as it is read; a record whose reader position is
//! `s` starts on line 1 + the `\n` bytes of every run that starts at or before `s`: runs wholly
//! before it, and the run it points into (its leading line ends and blank lines).

use std::collections::VecDeque;
use std::io::Read;

/// A run of line-break bytes: where it starts and how many `\n` it holds.
#[derive(Debug, Clone, Copy)]
struct Run {
    start: u64,
    newlines: u64,
}

/// A reader that notes the line-break runs of what passes through it.
pub(crate) struct Lines<R> {
    pub(super) inner: R,
    /// Bytes read so far.
    offset: u64,
    /// The run being read (the last byte read was a line break).
    open: Option<Run>,
    /// Runs read ahead of the records handed out, oldest first.
    runs: VecDeque<Run>,
    /// `\n` bytes of the runs already passed.
    passed: u64,
}

impl<R> Lines<R> {
    pub(crate) fn new(inner: R) -> Lines<R> {
        Lines { inner, offset: 0, open: None, runs: VecDeque::new(), passed: 0 }
    }

    /// The physical line (1-based) of a record at reader byte position `start`. Positions
    /// must come in increasing order.
    pub(crate) fn line_at(&mut self, start: u64) -> u64 {
        while let Some(run) = self.runs.front().copied().filter(|r| r.start <= start) {
            self.passed += run.newlines;
            self.runs.pop_front();
        }
        if let Some(run) = self.open.filter(|r| r.start <= start) {
            // The run reaches the end of what was read so far (the end of the file).
            self.passed += run.newlines;
            self.open = None;
        }
        1 + self.passed
    }

    fn note(&mut self, buf: &[u8]) {
        for (i, &b) in buf.iter().enumerate() {
            let at = self.offset + i as u64;
            match (b, self.open.as_mut()) {
                (b'\n', Some(run)) => run.newlines += 1,
                (b'\r', Some(_)) => {}
                (b'\n', None) => self.open = Some(Run { start: at, newlines: 1 }),
                (b'\r', None) => self.open = Some(Run { start: at, newlines: 0 }),
                (_, Some(_)) => {
                    if let Some(run) = self.open.take() {
                        self.runs.push_back(run);
                    }
                }
                (_, None) => {}
            }
        }
        self.offset += buf.len() as u64;
    }
}

impl<R: Read> Read for Lines<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        // Most bytes are not line breaks: jump between them.
        let read = &buf[..n];
        let mut from = 0;
        while from < read.len() {
            let next = match self.open {
                Some(_) => from,
                None => memchr::memchr2(b'\n', b'\r', &read[from..]).map_or(read.len(), |i| from + i),
            };
            if next > from {
                self.offset += (next - from) as u64;
                from = next;
                continue;
            }
            // At a line break, or inside a run: note bytes up to the end of the run.
            let end = read[from..].iter().position(|&b| b != b'\n' && b != b'\r').map_or(read.len(), |i| from + i + 1);
            self.note(&read[from..end]);
            from = end;
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_split_across_reads_count_once() {
        let mut l = Lines::new(std::io::Cursor::new(b"a\r\n\r\nb\nc".to_vec()));
        let mut one = [0u8; 1];
        while l.read(&mut one).unwrap() == 1 {}
        assert_eq!(l.line_at(0), 1);
        assert_eq!(l.line_at(1), 3, "a record at the CRLF before it starts after the blank line");
        assert_eq!(l.line_at(7), 4);
    }
}
