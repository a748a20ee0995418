//! [`LayerModel`]: a candle model that hands out its named layer outputs (feature `extract`).

use candle_core::{Device, Tensor};

use crate::error::Result;
use crate::layer::LayerSpec;

/// A model that returns its named layer outputs from one forward pass.
///
/// Implement it for your own candle model to extract its activations with
/// [`extract`](crate::extract): say where the model lives, how wide its input is, which outputs it
/// returns, and return them, in that order, from one pass over a `batch x input_dim` `f32`
/// tensor. Each output must have one row per input row; outputs of higher rank (a convolution's
/// `batch x channels x h x w`) are flattened to `batch x (channels·h·w)` by the extraction. Any
/// float dtype is accepted and converted to `f32`.
///
/// [`mtq_model::Mlp`] implements it with outputs `h1, h2, .., logits, probs`. The
/// [crate documentation](crate) shows a small CNN implementing it.
pub trait LayerModel {
    /// The device the model's weights live on; input batches are copied there.
    fn device(&self) -> &Device;

    /// Width of one input sample (features per row).
    fn input_dim(&self) -> usize;

    /// The shape one input sample has inside the network, when it is not a plain vector (e.g.
    /// `[3, 32, 32]` for an image network, `[16, 64]` for 16 tokens of 64 features): rows are
    /// reshaped to it in row-major order, so data of another shape with the same
    /// [`LayerModel::input_dim`] (say `32 x 32 x 3`) would be read wrongly. `None` (the
    /// default): the model takes rows as they are.
    fn input_shape(&self) -> Option<Vec<usize>> {
        None
    }

    /// Names and kinds of the outputs [`LayerModel::forward_layers`] returns, in its order.
    fn layers(&self) -> Vec<LayerSpec>;

    /// One forward pass over a `batch x input_dim` tensor, returning one tensor per entry of
    /// [`LayerModel::layers`], each with `batch` rows.
    ///
    /// # Errors
    /// Whatever the model's forward pass reports (candle errors convert with `?`).
    fn forward_layers(&self, x: &Tensor) -> Result<Vec<Tensor>>;
}

/// The output names [`mtq_model::Mlp`] adds after its hidden layers.
pub const MLP_LOGITS: &str = "logits";
/// The name of [`mtq_model::Mlp`]'s probability output.
pub const MLP_PROBS: &str = "probs";

/// One [`LayerModel`] pattern for the project's networks (any [`mtq_model::Network`]): the
/// hidden outputs of `forward_all` (`h1, ..` for the MLP; `conv1, .., fc1, ..` for the CNN,
/// each convolution block as its [`ConvTap`](mtq_model::ConvTap)), then `logits` and `probs`.
macro_rules! network_layer_model {
    ($t:ty) => {
        impl LayerModel for $t {
            fn device(&self) -> &Device {
                mtq_model::Network::device(self)
            }

            fn input_dim(&self) -> usize {
                mtq_model::Network::input_dim(self)
            }

            /// The hidden layers (kind hidden), then `logits` and `probs`.
            fn layers(&self) -> Vec<LayerSpec> {
                let mut specs: Vec<LayerSpec> = mtq_model::Network::layer_names(self)
                    .into_iter()
                    .map(LayerSpec::hidden)
                    .collect();
                specs.push(LayerSpec::logits(MLP_LOGITS));
                specs.push(LayerSpec::probabilities(MLP_PROBS));
                specs
            }

            fn forward_layers(&self, x: &Tensor) -> Result<Vec<Tensor>> {
                let pass = mtq_model::Network::forward_all(self, x)?;
                let mut out = pass.hidden;
                out.push(pass.logits);
                out.push(pass.probs);
                Ok(out)
            }
        }
    };
}

network_layer_model!(mtq_model::Mlp);
network_layer_model!(mtq_model::Cnn);
