//! Reports: a standalone Sankey SVG, a self-contained HTML report and JSON, written atomically.
//!
//! The analysis fills a [`ReportData`]; the renderers only read it, and check it first: bad data
//! (a link to a missing node, a NaN score, counts above their totals…) is a typed
//! [`ReportError`], never a wrong picture. Nothing here uses JavaScript, the network or external
//! fonts.
//!
//! - [`sankey_svg`] draws the flows (true class -> each layer's clusters -> predicted class),
//!   [`sankey_layout`] gives its geometry;
//! - [`silhouette_svg`] and [`roc_svg`] draw the silhouette curves and the ROC curves;
//! - [`html_report`] puts everything in one HTML file, headline findings on top;
//! - [`write_report`] writes `sankey.svg`, `report.html` and `report.json` with [`write_atomic`].

mod charts;
mod data;
mod error;
mod html;
mod markup;
mod sankey_svg;
mod validate;
mod write;

pub use charts::{roc_svg, silhouette_svg};
pub use data::{
    AnomalyData, ClusterColumn, ClusterTable, Fact, LayerPair, LayerRoute, LayerVsLabels, PathRow,
    PathTable, RedundancyData, ReportData, RocCurve, SankeyColumn, SankeyData, SankeyGroup,
    SankeyLink, SankeyNode, ScoreRow, SetSize, Share, SilhouetteCurve, StrangerData, Summary,
    TaskScore,
};
pub use error::{ReportError, Result};
pub use html::html_report;
pub use sankey_svg::{BandShape, LabelBox, NodeBox, SankeyLayout, sankey_layout, sankey_svg};
pub use write::{ReportFiles, write_atomic, write_report};
