//! What a layer output is: its name and kind ([`LayerSpec`], [`LayerKind`]).

use serde::{Deserialize, Serialize};

/// What a layer output is: a hidden layer, the output layer before softmax, or after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    /// A hidden layer (e.g. a post-activation dense or flattened convolution output).
    #[default]
    Hidden,
    /// The output layer before softmax.
    Logits,
    /// The class probabilities (softmax of the logits).
    Probabilities,
}

impl LayerKind {
    /// `true` for [`LayerKind::Logits`] and [`LayerKind::Probabilities`].
    pub fn is_output(self) -> bool {
        !matches!(self, LayerKind::Hidden)
    }
}

/// The name and kind of one output a `LayerModel` returns.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LayerSpec {
    /// Name of the layer, unique within the model (e.g. `"h1"`).
    pub name: String,
    /// What the output is.
    pub kind: LayerKind,
}

impl LayerSpec {
    /// A hidden layer called `name`.
    pub fn hidden(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: LayerKind::Hidden,
        }
    }

    /// The logits (output layer before softmax), called `name`.
    pub fn logits(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: LayerKind::Logits,
        }
    }

    /// The class probabilities, called `name`.
    pub fn probabilities(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: LayerKind::Probabilities,
        }
    }
}
