//! [`Cnn::train`]: the one training loop ([`train`]) with the CNN, the same [`TrainConfig`] and
//! [`History`] as the MLP.

use mtq_data::Dataset;

use crate::cnn::Cnn;
use crate::error::Result;
use crate::train::{EpochStats, History, TrainConfig, train};

impl Cnn {
    /// Trains the network in place on `dataset` (flattened `rows x cols` images, labels
    /// `0..n_classes`) with mini-batch cross-entropy: the one training loop, [`train`], as
    /// [`Mlp::train`](crate::Mlp::train). The samples are reshuffled every epoch by a
    /// `ChaCha8Rng` seeded with [`TrainConfig::seed`], the last `validation_split` of them held
    /// out. Same seeds, same weights, bit for bit, whatever the number of threads (every
    /// parallel loop is cut by sample or by fixed row blocks).
    ///
    /// # Errors
    /// As [`train`]: among them [`ModelError::LossNotFinite`](crate::ModelError::LossNotFinite)
    /// and [`ModelError::WeightNotFinite`](crate::ModelError::WeightNotFinite), checked after
    /// every step, the last one included.
    pub fn train(&mut self, dataset: &Dataset, cfg: &TrainConfig) -> Result<History> {
        train(self, dataset, cfg, &mut |_| {})
    }

    /// As [`Cnn::train`], calling `on_epoch` with each epoch's statistics as it ends.
    ///
    /// # Errors
    /// As [`train`].
    pub fn train_with(
        &mut self,
        dataset: &Dataset,
        cfg: &TrainConfig,
        on_epoch: &mut dyn FnMut(&EpochStats),
    ) -> Result<History> {
        train(self, dataset, cfg, on_epoch)
    }
}
