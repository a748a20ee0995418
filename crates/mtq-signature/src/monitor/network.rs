//! The network a monitor was fitted through, when it is a file: recorded in the monitor's file
//! so that new inputs can be run through the same network, and refused through another.

use serde::{Deserialize, Serialize};

/// What kind of file a [`NetworkRecord`] names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkKind {
    /// A safetensors state_dict of an MLP (`mtq mnist --weights`).
    Weights,
    /// An ONNX classifier (`mtq onnx`).
    Onnx,
}

impl NetworkKind {
    /// `weights` or `onnx`, as the manifest states it.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Weights => "weights",
            Self::Onnx => "onnx",
        }
    }
}

/// The network file a [`PathMonitor`](super::PathMonitor) was fitted through
/// ([`PathMonitor::network`](super::PathMonitor::network)): its kind, its path as given, its
/// SHA-256 and the options it was run with (e.g. `activation` and `weight_layout` for
/// weights, `layers`, `conv_tap` and `token_pool` for ONNX; the names and values of the study's
/// provenance). Stored in the monitor's manifest as the optional field `network`; a monitor of
/// a network trained by the study, or of activations, has none.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkRecord {
    /// Weights or ONNX.
    pub kind: NetworkKind,
    /// The file's path as it was given (informative: the SHA-256 identifies it).
    pub file: String,
    /// The file's SHA-256, 64 lowercase hex digits (as `sha256sum` prints it).
    pub sha256: String,
    /// The options the network was run with, each a name and its value, names distinct.
    pub options: Vec<(String, String)>,
}

impl NetworkRecord {
    /// The value of option `name`, if recorded.
    #[must_use]
    pub fn option(&self, name: &str) -> Option<&str> {
        self.options
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// Why the record cannot be trusted, if it cannot: an empty file name, a SHA-256 that is
    /// not 64 lowercase hex digits, an empty or repeated option name.
    pub(crate) fn fault(&self) -> Option<String> {
        if self.file.is_empty() {
            return Some("network.file is empty".into());
        }
        let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        if self.sha256.len() != 64 || !self.sha256.chars().all(hex) {
            return Some(format!(
                "network.sha256 {:?} is not 64 lowercase hex digits",
                self.sha256
            ));
        }
        let mut seen = std::collections::BTreeSet::new();
        for (name, _) in &self.options {
            if name.is_empty() || !seen.insert(name) {
                return Some(format!(
                    "network.options: option name {name:?} is empty or appears twice"
                ));
            }
        }
        None
    }
}
