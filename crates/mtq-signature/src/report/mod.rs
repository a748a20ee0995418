//! Reports: a standalone Sankey SVG, a self-contained HTML report and JSON, written atomically.
//!
//! The analysis fills a [`ReportData`]; the renderers only read it. Nothing here uses
//! JavaScript, the network or external fonts.

mod data;
mod error;

pub use data::{
    AnomalyData, ClusterColumn, ClusterTable, Fact, LayerPair, LayerRoute, LayerVsLabels, PathRow,
    PathTable, RedundancyData, ReportData, RocCurve, SankeyColumn, SankeyData, SankeyGroup,
    SankeyLink, SankeyNode, ScoreRow, SetSize, Share, SilhouetteCurve, StrangerData, Summary,
    TaskScore,
};
pub use error::{ReportError, Result};
