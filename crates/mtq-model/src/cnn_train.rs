//! Training and evaluation of the [`Cnn`]: the same [`TrainConfig`], [`History`] and
//! [`Evaluation`] as the MLP.

use std::time::Instant;

use candle_core::{Tensor, Var};
use mtq_data::Dataset;
use ndarray::{Array2, ArrayView1, ArrayView2, Axis, concatenate};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::cnn::Cnn;
use crate::convert::{array_to_tensor, tensor_to_array};
use crate::data::{check_features, check_labels, gather_labels, gather_rows};
use crate::error::{ModelError, Result};
use crate::eval::{Evaluation, evaluation_from_probs};
use crate::train::{EpochStats, History, TrainConfig};

/// Rows per forward pass in the CNN's batched inference (the first block's patches of 256
/// MNIST images take about 15 MB).
pub(crate) const CNN_INFERENCE_BATCH: usize = 256;

impl Cnn {
    /// Trains the network in place on `dataset` (flattened `rows x cols` images, labels
    /// `0..n_classes`) with mini-batch cross-entropy, exactly as [`Mlp::train`](crate::Mlp::train):
    /// the samples are reshuffled every epoch by a `ChaCha8Rng` seeded with
    /// [`TrainConfig::seed`], the last `validation_split` of them held out. Same seeds, same
    /// weights, bit for bit, whatever the number of threads (every parallel loop is cut by
    /// sample or by fixed row blocks).
    ///
    /// # Errors
    /// As [`Mlp::train`](crate::Mlp::train).
    pub fn train(&mut self, dataset: &Dataset, cfg: &TrainConfig) -> Result<History> {
        self.train_with(dataset, cfg, &mut |_| {})
    }

    /// As [`Cnn::train`], calling `on_epoch` with each epoch's statistics as it ends.
    ///
    /// # Errors
    /// As [`Cnn::train`].
    pub fn train_with(
        &mut self,
        dataset: &Dataset,
        cfg: &TrainConfig,
        on_epoch: &mut dyn FnMut(&EpochStats),
    ) -> Result<History> {
        cfg.check()?;
        let x = dataset.features();
        let y = dataset.labels();
        check_features(x, self.config.input_dim())?;
        check_labels(y, self.config.n_classes)?;
        let n = x.nrows();
        let fraction = cfg.validation_split;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n_val = (n as f64 * fraction).round() as usize;
        let n_train = n.saturating_sub(n_val);
        if n_train == 0 || (fraction > 0.0 && n_val == 0) {
            return Err(ModelError::DegenerateSplit {
                fraction,
                n_samples: n,
                n_train,
                n_val,
            });
        }
        let vars = self
            .layers
            .iter()
            .flat_map(|l| std::iter::once(l.weight()).chain(l.bias()))
            .map(Var::from_tensor)
            .collect::<candle_core::Result<Vec<_>>>()?;
        let mut optim = crate::optim::OptimState::new(cfg.optimizer, vars)?;
        let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
        let mut order: Vec<usize> = (0..n_train).collect();
        let val: Vec<usize> = (n_train..n).collect();
        let mut history = History {
            epochs: Vec::with_capacity(cfg.epochs),
            n_train,
            n_val,
        };
        for epoch in 1..=cfg.epochs {
            let start = Instant::now();
            order.shuffle(&mut rng);
            let (mut loss_sum, mut correct) = (0f64, 0usize);
            for (b, idx) in order.chunks(cfg.batch_size).enumerate() {
                let xb = gather_rows(x, idx, &self.device)?;
                let yb = gather_labels(y, idx, &self.device)?;
                let logits = self.forward(&xb)?;
                let loss = candle_nn::loss::cross_entropy(&logits, &yb)?;
                let loss_value = loss.to_scalar::<f32>()?;
                if !loss_value.is_finite() {
                    return Err(ModelError::LossNotFinite {
                        epoch,
                        batch: b + 1,
                        loss: loss_value,
                    });
                }
                loss_sum += f64::from(loss_value) * idx.len() as f64;
                correct += count_correct(&logits, idx, y)?;
                optim.step(&loss.backward()?)?;
            }
            let (val_loss, val_accuracy) = if n_val > 0 {
                let (l, c) = self.loss_and_correct(x, y, &val)?;
                (Some(l), Some(c as f64 / n_val as f64))
            } else {
                (None, None)
            };
            let stats = EpochStats {
                epoch,
                loss: loss_sum / n_train as f64,
                accuracy: correct as f64 / n_train as f64,
                val_loss,
                val_accuracy,
                seconds: start.elapsed().as_secs_f64(),
            };
            on_epoch(&stats);
            history.epochs.push(stats);
        }
        Ok(history)
    }

    fn loss_and_correct(
        &self,
        x: ArrayView2<'_, f32>,
        y: ArrayView1<'_, usize>,
        idx: &[usize],
    ) -> Result<(f64, usize)> {
        let (mut loss_sum, mut correct) = (0f64, 0usize);
        for chunk in idx.chunks(CNN_INFERENCE_BATCH) {
            let xb = gather_rows(x, chunk, &self.device)?;
            let yb = gather_labels(y, chunk, &self.device)?;
            let logits = self.forward(&xb)?.detach();
            let loss = candle_nn::loss::cross_entropy(&logits, &yb)?.to_scalar::<f32>()?;
            loss_sum += f64::from(loss) * chunk.len() as f64;
            correct += count_correct(&logits, chunk, y)?;
        }
        Ok((loss_sum / idx.len().max(1) as f64, correct))
    }

    /// Softmax probabilities (`n x n_classes`) for the rows of `x`, in batches of 256 rows.
    ///
    /// # Errors
    /// [`ModelError::WidthMismatch`], [`ModelError::EmptyData`], [`ModelError::NonFiniteInput`];
    /// candle's errors.
    pub fn predict_proba(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        check_features(x, self.config.input_dim())?;
        let parts = x
            .axis_chunks_iter(Axis(0), CNN_INFERENCE_BATCH)
            .map(|chunk| {
                let logits = self
                    .forward(&array_to_tensor(chunk, &self.device)?)?
                    .detach();
                tensor_to_array(&candle_nn::ops::softmax_last_dim(&logits)?)
            })
            .collect::<Result<Vec<_>>>()?;
        let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
        concatenate(Axis(0), &views).map_err(|_| ModelError::EmptyData)
    }

    /// Accuracy, loss, per-class accuracy and confusion matrix on a labelled data set.
    ///
    /// # Errors
    /// As [`Cnn::predict_proba`], and [`ModelError::LabelOutOfRange`].
    pub fn evaluate(&self, dataset: &Dataset) -> Result<Evaluation> {
        check_labels(dataset.labels(), self.config.n_classes)?;
        let probs = self.predict_proba(dataset.features())?;
        Ok(evaluation_from_probs(
            dataset.labels(),
            probs.view(),
            self.config.n_classes,
        ))
    }
}

/// How many rows of `logits` have their arg-max at the label of the matching sample of `idx`.
fn count_correct(logits: &Tensor, idx: &[usize], y: ArrayView1<'_, usize>) -> Result<usize> {
    let pred = logits.argmax(1)?.to_vec1::<u32>()?;
    Ok(pred
        .iter()
        .zip(idx)
        .filter(|&(&p, &i)| p as usize == y[i])
        .count())
}
