//! Everything a person reads about a study: the Sankey SVG of the flows, the silhouette and ROC
//! charts, the self-contained HTML report, `report.json`, the per-sample `samples.csv` /
//! `samples.json`, and every English sentence (headline findings, verdicts, the trusted score's
//! rationale, the stability across seeds).
//!
//! `mtq-signature` computes; this crate presents. [`Report::new`] turns a fitted
//! [`SignatureModel`] and its [`StudyResult`] into a [`ReportData`] (every number the report
//! shows, serialisable) and a [`SampleTable`]; [`write_report`] renders and writes all five files,
//! as one set that replaces the old set in one step where it can, else each file atomically. The renderers check the data first: bad data (a link to a missing node, a NaN
//! score, counts above their totals...) is a typed [`ReportError`], never a wrong picture.
//!
//! - [`sankey_svg`] draws the flows (true class -> each layer's clusters -> predicted class),
//!   [`sankey_layout`] gives its geometry;
//! - [`silhouette_svg`] and [`roc_svg`] draw the silhouette curves and the ROC curves;
//! - [`html_report`] puts everything in one HTML file, headline findings on top
//!   ([`sentences::headlines`]);
//! - [`write_report`] writes `sankey.svg`, `report.html`, `report.json`, `samples.csv` and
//!   `samples.json`: a whole set swapped in, or file by file with [`write_atomic_all`].
//! - Several studies compared (`mtq compare`): a
//!   [`Comparison`](mtq_signature::compare::Comparison) wrapped in a [`CompareReport`] (title,
//!   links to each study's report, notes) is drawn by [`compare_html`] (headlines beyond noise,
//!   the studies side by side, CKA / ARI layer maps, every difference) and written as
//!   `compare.html` and `compare.json` by [`write_compare`]; finished reports are read back
//!   with [`read_report_json`] and turned into a comparison's input by
//!   [`study_facts_from_report`]; the page's sentences are in [`compare_sentences`].
//!
//! This crate needs no neural-network code: it builds on `mtq-signature` without its `pipeline`
//! feature.
//!
//! # Example
//! ```
//! use mtq_report::{
//!     SankeyColumn, SankeyData, SankeyGroup, SankeyLink, SankeyNode, sankey_layout, sankey_svg,
//! };
//!
//! # fn main() -> Result<(), mtq_report::ReportError> {
//! let node = |label: &str| SankeyNode { label: label.into() };
//! let group = |label: &str, injected| SankeyGroup { label: label.into(), injected };
//! let sankey = SankeyData {
//!     columns: vec![
//!         SankeyColumn { title: "true class".into(), nodes: vec![node("1"), node("7"), node("4")] },
//!         SankeyColumn { title: "h1".into(), nodes: vec![node("h1:1"), node("h1:7")] },
//!     ],
//!     // One band per (group, from, to): 7s that look like 1s get a band of their own.
//!     links: vec![
//!         SankeyLink { from: (0, 0), to: (1, 0), group: 0, count: 895 },
//!         SankeyLink { from: (0, 1), to: (1, 1), group: 1, count: 835 },
//!         SankeyLink { from: (0, 1), to: (1, 0), group: 1, count: 24 },
//!         SankeyLink { from: (0, 2), to: (1, 1), group: 2, count: 150 },
//!         SankeyLink { from: (0, 2), to: (1, 0), group: 2, count: 41 },
//!     ],
//!     groups: vec![group("1", false), group("7", false), group("4 (unseen)", true)],
//! };
//! let svg = sankey_svg(&sankey)?;
//! assert_eq!(svg.matches(r#"class="band""#).count(), 5);
//!
//! // Band widths are proportional to counts.
//! let layout = sankey_layout(&sankey)?;
//! let per_sample = layout.bands[0].width / layout.bands[0].count as f64;
//! assert!(layout.bands.iter().all(|b| (b.width - per_sample * b.count as f64).abs() < 1e-9));
//!
//! // A link to a node that does not exist is an error, not a picture.
//! let mut bad = sankey.clone();
//! bad.links[0].to = (1, 5);
//! assert!(sankey_svg(&bad).is_err());
//! # Ok(())
//! # }
//! ```

mod charts;
mod compare_data;
mod compare_facts;
mod compare_markdown;
mod compare_page;
pub mod compare_sentences;
mod content;
mod data;
mod error;
pub mod explore;
mod from_study;
mod how_to_read;
mod html;
mod markup;
mod meta;
mod monitor_table;
pub mod samples;
mod sankey_svg;
pub mod sentences;
mod stability_table;
mod swap;
mod validate;
mod write;

pub use charts::{agreement_svg, roc_svg, silhouette_svg};
pub use compare_data::{COMPARE_SCHEMA_VERSION, CompareReport, StudyLink};
pub use compare_facts::{read_report_json, study_facts_from_report};
pub use compare_markdown::compare_markdown;
pub use compare_page::compare_html;
pub use data::{
    AnomalyData, ClusterColumn, ClusterTable, Fact, LayerPair, LayerRoute, LayerVsLabels, PathRow,
    PathTable, RedundancyData, ReportData, RocCurve, SankeyColumn, SankeyData, SankeyGroup,
    SankeyLink, SankeyNode, ScoreRow, SetSize, Share, SilhouetteCurve, StrangerData, Summary,
    TaskScore,
};
pub use error::{ReportError, Result};
pub use explore::{ExploreData, SetImages, Thumbnails};
pub use from_study::{SCHEMA_VERSION, report_data};
pub use html::{explorable_html, html_report};
pub use meta::ReportMeta;
pub use samples::SampleTable;
pub use sankey_svg::{BandShape, LabelBox, NodeBox, SankeyLayout, sankey_layout, sankey_svg};
pub use write::{
    CompareFiles, ReportFiles, prepare_dir, write_atomic, write_atomic_all, write_compare,
    write_report,
};

use mtq_signature::{SignatureModel, Stability, StudyResult};

/// A study ready to write: the report's data and the per-sample table.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    /// Every number the report shows (`report.json`).
    pub data: ReportData,
    /// One row per sample (`samples.csv`, `samples.json`).
    pub samples: SampleTable,
    /// The per-sample data of the interactive `report.html`.
    pub explore: ExploreData,
}

impl Report {
    /// The report of `result` (a study of `model`), named and worded with `meta`; with
    /// `stability` when several seeds were run (`result` being one of them).
    #[must_use]
    pub fn new(
        model: &SignatureModel,
        result: &StudyResult,
        meta: &ReportMeta,
        stability: Option<&Stability>,
    ) -> Self {
        Self {
            data: report_data(model, result, meta, stability),
            samples: SampleTable::new(model, result),
            explore: ExploreData::new(model, result, meta),
        }
    }

    /// The report of a whole study (feature `pipeline`): its first seed's run, worded with
    /// [`ReportMeta::from_outcome`], with the seeds' stability when there are several. The
    /// outcome is consumed: its images become the thumbnails without a copy.
    #[cfg(feature = "pipeline")]
    #[must_use]
    pub fn from_outcome(mut outcome: mtq_signature::pipeline::StudyOutcome) -> Self {
        let images = outcome.images.take();
        let mut meta = ReportMeta::from_outcome(&outcome);
        meta.thumbnails = images.map(Thumbnails::from);
        let first = outcome.first();
        Self::new(
            &first.model,
            &first.result,
            &meta,
            outcome.stability.as_ref(),
        )
    }
}
