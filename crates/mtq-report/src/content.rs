//! What goes into one report file, and how it is written.

use std::fs::File;
use std::io::{self, BufWriter, Write as _};

use crate::samples::SampleTable;

/// What goes into one file: bytes already rendered, or the per-sample table written straight
/// to the file (tens of megabytes for a full-MNIST study: never held whole in memory).
#[derive(Clone, Copy)]
pub(crate) enum Content<'a> {
    Bytes(&'a [u8]),
    SamplesCsv(&'a SampleTable),
    SamplesJson(&'a SampleTable),
}

impl Content<'_> {
    /// Writes the content to `file`.
    pub(crate) fn write_to(self, file: &File) -> io::Result<()> {
        let buffered = |f: &dyn Fn(&mut dyn io::Write) -> io::Result<()>| {
            let mut w = BufWriter::with_capacity(1 << 16, file);
            f(&mut w)?;
            w.flush()
        };
        match self {
            Content::Bytes(b) => (&*file).write_all(b),
            Content::SamplesCsv(t) => buffered(&|w| t.write_csv(w)),
            Content::SamplesJson(t) => buffered(&|w| t.write_json(w)),
        }
    }
}
