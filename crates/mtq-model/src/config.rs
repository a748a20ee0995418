//! The network's shape and non-linearity, serialisable as JSON.

use candle_core::Tensor;
use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};

/// The non-linearity applied after every hidden layer (never after the output layer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Activation {
    /// `max(0, x)`, the default (as Keras' `relu`).
    #[default]
    Relu,
    /// Hyperbolic tangent.
    Tanh,
    /// Logistic sigmoid `1 / (1 + e^-x)`.
    Sigmoid,
    /// Exact GELU, `x * Φ(x)` with the error function (as Keras' `gelu`, `approximate=False`).
    Gelu,
}

impl Activation {
    /// Applies the non-linearity element-wise.
    ///
    /// # Errors
    /// Only candle's own errors (e.g. an unsupported dtype).
    pub fn apply(self, x: &Tensor) -> Result<Tensor> {
        Ok(self.apply_candle(x)?)
    }

    /// [`Activation::apply`] with candle's error type.
    pub(crate) fn apply_candle(self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            Self::Relu => x.relu(),
            Self::Tanh => x.tanh(),
            Self::Sigmoid => candle_nn::ops::sigmoid(x),
            Self::Gelu => x.gelu_erf(),
        }
    }

    /// The non-linearity on one value (GELU is not fused and maps to itself here).
    pub(crate) fn apply_scalar(self, v: f32) -> f32 {
        match self {
            Self::Relu => v.max(0.0),
            Self::Tanh => v.tanh(),
            Self::Sigmoid => 1.0 / (1.0 + (-v).exp()),
            Self::Gelu => v,
        }
    }

    /// The derivative at the point whose output is `y` (ReLU, tanh, sigmoid; GELU: 1).
    pub(crate) fn derivative_from_output(self, y: f32) -> f32 {
        match self {
            Self::Relu => {
                if y > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Self::Tanh => 1.0 - y * y,
            Self::Sigmoid => y * (1.0 - y),
            Self::Gelu => 1.0,
        }
    }
}

/// The shape of an [`Mlp`](crate::Mlp): `input_dim -> hidden[0] -> ... -> n_classes`.
///
/// Serialises to JSON as `{"input_dim":784,"hidden":[32,64],"n_classes":2,"activation":"relu"}`;
/// `activation` may be omitted (ReLU).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MlpConfig {
    /// Width of each input row (784 for flattened MNIST).
    pub input_dim: usize,
    /// Widths of the hidden layers, first to last; may be empty (a linear classifier).
    pub hidden: Vec<usize>,
    /// Number of classes, i.e. width of the output layer (at least 2).
    pub n_classes: usize,
    /// Non-linearity after every hidden layer.
    #[serde(default)]
    pub activation: Activation,
}

impl MlpConfig {
    /// A configuration with the default activation (ReLU).
    pub fn new(input_dim: usize, hidden: impl Into<Vec<usize>>, n_classes: usize) -> Self {
        Self {
            input_dim,
            hidden: hidden.into(),
            n_classes,
            activation: Activation::default(),
        }
    }

    /// The same configuration with another activation.
    #[must_use]
    pub fn with_activation(mut self, activation: Activation) -> Self {
        self.activation = activation;
        self
    }

    /// Checks the configuration.
    ///
    /// # Errors
    /// [`ModelError::ZeroInputDim`], [`ModelError::ZeroWidth`] (naming the 1-based hidden layer),
    /// [`ModelError::TooFewClasses`].
    pub fn check(&self) -> Result<()> {
        if self.input_dim == 0 {
            return Err(ModelError::ZeroInputDim);
        }
        if let Some(i) = self.hidden.iter().position(|&w| w == 0) {
            return Err(ModelError::ZeroWidth { layer: i + 1 });
        }
        if self.n_classes < 2 {
            return Err(ModelError::TooFewClasses {
                n_classes: self.n_classes,
            });
        }
        Ok(())
    }

    /// Every layer's width, input first: `[input_dim, hidden.., n_classes]`.
    pub fn widths(&self) -> Vec<usize> {
        let mut w = Vec::with_capacity(self.hidden.len() + 2);
        w.push(self.input_dim);
        w.extend_from_slice(&self.hidden);
        w.push(self.n_classes);
        w
    }

    /// Names of the hidden layers, 1-based: `["h1", "h2", ...]`.
    pub fn layer_names(&self) -> Vec<String> {
        (1..=self.hidden.len()).map(|i| format!("h{i}")).collect()
    }

    /// Names of all weight layers, as used for the tensors in saved files: `["h1", .., "out"]`.
    pub(crate) fn param_layer_names(&self) -> Vec<String> {
        let mut names = self.layer_names();
        names.push("out".to_owned());
        names
    }

    /// Number of trainable parameters (weights and biases); `usize::MAX` if it overflows (a
    /// configuration read from a hostile file).
    pub fn n_params(&self) -> usize {
        self.widths()
            .windows(2)
            .map(|w| w[0].saturating_mul(w[1]).saturating_add(w[1]))
            .fold(0usize, usize::saturating_add)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_round_trip_and_default_activation() -> Result<(), serde_json::Error> {
        let cfg = MlpConfig::new(784, [32, 64], 2).with_activation(Activation::Gelu);
        let json = serde_json::to_string(&cfg)?;
        assert!(json.contains("\"gelu\""), "{json}");
        assert_eq!(serde_json::from_str::<MlpConfig>(&json)?, cfg);
        let plain: MlpConfig =
            serde_json::from_str(r#"{"input_dim":4,"hidden":[3],"n_classes":2}"#)?;
        assert_eq!(plain.activation, Activation::Relu);
        Ok(())
    }

    #[test]
    fn check_rejects_each_bad_value() {
        assert!(matches!(
            MlpConfig::new(0, [3], 2).check(),
            Err(ModelError::ZeroInputDim)
        ));
        assert!(matches!(
            MlpConfig::new(4, [3, 0], 2).check(),
            Err(ModelError::ZeroWidth { layer: 2 })
        ));
        assert!(matches!(
            MlpConfig::new(4, [3], 1).check(),
            Err(ModelError::TooFewClasses { n_classes: 1 })
        ));
        assert!(MlpConfig::new(4, Vec::new(), 2).check().is_ok());
    }

    #[test]
    fn widths_names_and_param_count() {
        let cfg = MlpConfig::new(784, [32, 64], 2);
        assert_eq!(cfg.widths(), vec![784, 32, 64, 2]);
        assert_eq!(cfg.layer_names(), vec!["h1", "h2"]);
        assert_eq!(cfg.param_layer_names(), vec!["h1", "h2", "out"]);
        assert_eq!(cfg.n_params(), 784 * 32 + 32 + 32 * 64 + 64 + 64 * 2 + 2);
    }
}
