//! What a report says that the numbers do not: its title, the sets' names, the facts of the
//! run and where it came from.

use mtq_signature::{Provenance, SetRole, Task};

use crate::data::Fact;

/// What a report says that the numbers do not: its title, the sets' display names and facts
/// about the run.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportMeta {
    /// Title of the report.
    pub title: String,
    /// Display name of the reference set, e.g. `train 1/7`.
    pub reference_name: String,
    /// Display name of the test set, e.g. `1/7 test`.
    pub test_name: String,
    /// Facts shown as is in the summary (e.g. `network: 784 -> 32 -> 64 -> 2`).
    pub facts: Vec<Fact>,
    /// The samples' images, shown as thumbnails in `report.html` (image data only).
    pub thumbnails: Option<crate::Thumbnails>,
    /// Where the study came from (written in `report.json`).
    pub provenance: Option<Provenance>,
}

impl ReportMeta {
    /// A report titled `title`, with the sets named `reference` and `test` and no facts.
    #[must_use]
    pub fn new(title: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            reference_name: "reference".into(),
            test_name: "test".into(),
            facts: Vec::new(),
            thumbnails: None,
            provenance: None,
        }
    }

    /// The display name of a set: the reference's and the test set's names, `unseen <name>`.
    #[must_use]
    pub fn set_name(&self, role: &SetRole) -> String {
        match role {
            SetRole::Reference => self.reference_name.clone(),
            SetRole::Test => self.test_name.clone(),
            SetRole::Unseen(n) => format!("unseen {n}"),
        }
    }

    /// The display name of a task: `<test name> vs <unseen class>`.
    #[must_use]
    pub fn task_name(&self, task: &Task) -> String {
        format!("{} vs {}", self.test_name, task.unseen)
    }
}

#[cfg(feature = "pipeline")]
impl ReportMeta {
    /// The title, set names, facts, thumbnails and provenance of a study's report (feature
    /// `pipeline`): what [`Study::run`](mtq_signature::pipeline::Study::run) found out
    /// besides the numbers, worded for the reader. The images are copied;
    /// [`Report::from_outcome`](crate::Report::from_outcome) moves them.
    #[must_use]
    pub fn from_outcome(outcome: &mtq_signature::pipeline::StudyOutcome) -> Self {
        let f = &outcome.facts;
        let run = outcome.first();
        let fact = |label: &str, value: String| Fact {
            label: label.into(),
            value,
        };
        let mut facts = Vec::new();
        if let Some(network) = &f.network {
            facts.push(fact("model", network.clone()));
        }
        let shape = run
            .network
            .iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" -> ");
        facts.push(match f.network {
            Some(_) => fact("network", shape),
            None => fact("layer widths", shape),
        });
        if !f.taps.is_empty() {
            facts.push(fact("taps", f.taps.join(", ")));
        }
        if let Some(epochs) = f.epochs {
            facts.push(fact("epochs", epochs.to_string()));
        }
        facts.push(fact("data", f.data.clone()));
        facts.push(fact(
            "K range",
            format!("{} to {}", f.k_range.0, f.k_range.1),
        ));
        if let Some(size) = f.silhouette_sample {
            facts.push(fact(
                "silhouette",
                format!(
                    "estimated on {size} sampled reference rows per K (seed {}; --silhouette-sample)",
                    run.result.seed
                ),
            ));
        }
        if let Some((source, n)) = &f.calibration {
            facts.push(fact(
                "calibration",
                format!(
                    "{n} samples, {}",
                    crate::sentences::calibration_source(source)
                ),
            ));
        }
        let subject = match &f.network {
            Some(n) if !f.taps.is_empty() || f.epochs.is_none() => format!("{n} on {}", f.data),
            _ => f.data.clone(),
        };
        Self {
            title: format!("MTQ Paths: {subject}, seed {}", run.result.seed),
            reference_name: f.reference_name.clone(),
            test_name: f.test_name.clone(),
            facts,
            thumbnails: outcome.images.clone().map(crate::Thumbnails::from),
            provenance: Some(f.provenance.clone()),
        }
    }
}
