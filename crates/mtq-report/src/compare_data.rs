//! What `compare.json` holds: a [`Comparison`] of several studies, how to name it and where each
//! study's own report is.

use mtq_signature::compare::Comparison;
use serde::{Deserialize, Serialize};

/// The layout version of `compare.json` written by this crate.
pub const COMPARE_SCHEMA_VERSION: u32 = 1;

/// Everything the comparison page shows (`compare.json`): the comparison itself, a title, a
/// link to each study's report and notes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CompareReport {
    /// The version of this layout ([`COMPARE_SCHEMA_VERSION`] when written here).
    pub schema_version: u32,
    /// Title of the page (HTML `<title>` and top heading). Free text.
    pub title: String,
    /// The studies' summaries, differences and layer maps, as
    /// [`compare`](mtq_signature::compare::compare) gave them.
    pub comparison: Comparison,
    /// One entry per study of [`Comparison::studies`], in the same order (a study without an
    /// entry, or with `report: None`, is shown without a link).
    pub studies: Vec<StudyLink>,
    /// Extra sentences shown under the headlines (e.g. which runs failed). May be empty.
    #[serde(default)]
    pub notes: Vec<String>,
}

/// Where one study's own report is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StudyLink {
    /// The study's name, as in [`Comparison::studies`].
    pub name: String,
    /// Its `report.html`, relative to the folder of `compare.html` (e.g. `mlp/report.html`),
    /// when there is one. A value with a URL scheme (`javascript:`, `https://`...) or starting
    /// with `/` is not linked.
    pub report: Option<String>,
}

impl CompareReport {
    /// A comparison titled `title`, with no link and no note.
    #[must_use]
    pub fn new(title: impl Into<String>, comparison: Comparison) -> Self {
        Self {
            schema_version: COMPARE_SCHEMA_VERSION,
            title: title.into(),
            studies: comparison
                .studies
                .iter()
                .map(|s| StudyLink {
                    name: s.name.clone(),
                    report: None,
                })
                .collect(),
            comparison,
            notes: Vec::new(),
        }
    }

    /// The relative link to study `i`'s report, if it has a safe one (relative, no scheme).
    #[must_use]
    pub fn link(&self, i: usize) -> Option<&str> {
        let href = self.studies.get(i)?.report.as_deref()?;
        let scheme = href
            .split(['/', '?', '#'])
            .next()
            .is_some_and(|first| first.contains(':'));
        (!href.is_empty() && !href.starts_with('/') && !href.starts_with('\\') && !scheme)
            .then_some(href)
    }
}
