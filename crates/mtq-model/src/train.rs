//! Training: the [`TrainConfig`] builder, the per-epoch [`History`], the [`Network`] trait and
//! the one training loop, [`train`], that [`Mlp::train`] and [`Cnn::train`](crate::Cnn::train)
//! call.

use std::time::Instant;

use candle_core::{Device, Tensor, Var};
use candle_nn::Linear;
use mtq_data::Dataset;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::data::{check_features, check_labels, gather_labels, gather_rows};
use crate::error::{ModelError, Result};
use crate::mlp::{ForwardPass, Mlp};
use crate::optim::Optimizer;

/// How to train: a by-value builder whose values are checked when [`train`] starts.
///
/// Defaults (those of the reference Keras run): 5 epochs, batch size 32,
/// [`Optimizer::adam`]`(1e-3)`, seed 0, no validation split. The fields are public to read; set
/// them with the builder methods of the same names.
///
/// ```
/// use mtq_model::{Optimizer, TrainConfig};
/// let cfg = TrainConfig::new().epochs(10).batch_size(64).optimizer(Optimizer::sgd(0.01, 0.9)).seed(3);
/// assert_eq!(cfg.epochs, 10);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TrainConfig {
    /// Number of passes over the training data (at least 1).
    pub epochs: usize,
    /// Samples per gradient step (at least 1).
    pub batch_size: usize,
    /// The update rule.
    pub optimizer: Optimizer,
    /// Seed of the per-epoch shuffle.
    pub seed: u64,
    /// Fraction in `[0, 1)` held out for validation (the last samples).
    pub validation_split: f64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self::new()
    }
}

impl TrainConfig {
    /// The defaults listed on [`TrainConfig`].
    pub fn new() -> Self {
        Self {
            epochs: 5,
            batch_size: 32,
            optimizer: Optimizer::default(),
            seed: 0,
            validation_split: 0.0,
        }
    }

    /// Number of passes over the training data (at least 1).
    #[must_use]
    pub fn epochs(mut self, epochs: usize) -> Self {
        self.epochs = epochs;
        self
    }

    /// Samples per gradient step (at least 1; the last batch of an epoch may be smaller).
    #[must_use]
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// The update rule.
    #[must_use]
    pub fn optimizer(mut self, optimizer: Optimizer) -> Self {
        self.optimizer = optimizer;
        self
    }

    /// Seed of the `ChaCha8Rng` that reshuffles the training samples every epoch.
    #[must_use]
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Fraction in `[0, 1)` of the samples held out for validation: the *last* samples of the data
    /// set, taken before any shuffling (as Keras' `validation_split`). 0 disables validation.
    #[must_use]
    pub fn validation_split(mut self, fraction: f64) -> Self {
        self.validation_split = fraction;
        self
    }

    /// Checks every value.
    ///
    /// # Errors
    /// [`ModelError::ZeroEpochs`], [`ModelError::ZeroBatchSize`],
    /// [`ModelError::InvalidLearningRate`], [`ModelError::InvalidOptimizerParam`],
    /// [`ModelError::InvalidValidationSplit`].
    pub fn check(&self) -> Result<()> {
        if self.epochs == 0 {
            return Err(ModelError::ZeroEpochs);
        }
        if self.batch_size == 0 {
            return Err(ModelError::ZeroBatchSize);
        }
        self.optimizer.check()?;
        if !(0.0..1.0).contains(&self.validation_split) {
            return Err(ModelError::InvalidValidationSplit {
                fraction: self.validation_split,
            });
        }
        Ok(())
    }
}

/// What one epoch measured.
///
/// Equality ignores [`EpochStats::seconds`]: two runs with the same seeds compare equal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Mean cross-entropy over the epoch's training samples (each batch's loss at its step).
    pub loss: f64,
    /// Share of training samples classified correctly during the epoch (before each step).
    pub accuracy: f64,
    /// Mean cross-entropy on the validation samples after the epoch, if any were held out.
    pub val_loss: Option<f64>,
    /// Accuracy on the validation samples after the epoch, if any were held out.
    pub val_accuracy: Option<f64>,
    /// Wall time of the epoch in seconds (not part of equality).
    #[serde(default)]
    pub seconds: f64,
}

impl PartialEq for EpochStats {
    fn eq(&self, other: &Self) -> bool {
        (
            self.epoch,
            self.loss,
            self.accuracy,
            self.val_loss,
            self.val_accuracy,
        ) == (
            other.epoch,
            other.loss,
            other.accuracy,
            other.val_loss,
            other.val_accuracy,
        )
    }
}

/// The per-epoch record of one [`train`] run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// One entry per completed epoch, in order.
    pub epochs: Vec<EpochStats>,
    /// Samples used for training.
    pub n_train: usize,
    /// Samples held out for validation.
    pub n_val: usize,
}

impl History {
    /// The last epoch's figures, if any epoch ran.
    pub fn last(&self) -> Option<&EpochStats> {
        self.epochs.last()
    }
}

/// A classifier the one training loop ([`train`]) fits and the one inference path
/// ([`predict_proba`](crate::predict_proba)) runs: [`Mlp`] and [`Cnn`](crate::Cnn) implement it.
///
/// It says where the weights live, how wide an input row is, how many classes come out, how to
/// get the logits of a batch, and which dense layers hold the trainable weights and biases
/// (in the order the optimizer walks them). Everything else (the shuffle, the batches, the
/// optimizer step, the checks) is the loop's, so the MLP and the CNN cannot drift apart.
pub trait Network {
    /// The device holding the weights; batches are copied there.
    fn device(&self) -> &Device;

    /// Width of one input row (features per sample; `rows x cols` for flattened images).
    fn input_dim(&self) -> usize;

    /// Number of classes (width of the logits).
    fn n_classes(&self) -> usize;

    /// Names of the hidden outputs of [`Network::forward_all`], in order.
    fn layer_names(&self) -> Vec<String>;

    /// The logits (`batch x n_classes`, before softmax) of a `batch x input_dim` tensor;
    /// gradients flow through them.
    ///
    /// # Errors
    /// [`ModelError::NotAMatrix`], [`ModelError::WidthMismatch`]; candle's errors.
    fn forward(&self, x: &Tensor) -> Result<Tensor>;

    /// One forward pass returning every hidden output, the logits and the probabilities.
    ///
    /// # Errors
    /// As [`Network::forward`].
    fn forward_all(&self, x: &Tensor) -> Result<ForwardPass>;

    /// The trainable layers with their names (`h1`, .., `out`; `conv1`, .., `fc1`, .., `out`),
    /// in the order their weight then bias become the optimizer's variables.
    fn parameters(&self) -> Vec<(String, &Linear)>;

    /// Rows per forward pass in batched inference (validation loss, [`predict_proba`](crate::predict_proba)).
    fn inference_batch(&self) -> usize;
}

/// The first non-finite weight or bias of `net`, as `(tensor name, flat index, value)`. One
/// reduction per tensor when every value is finite; the values are read only when a tensor's
/// sum is not finite (a NaN or an infinity in it, or finite values whose sum overflows, which
/// are then not reported).
///
/// # Errors
/// A candle error if the tensors cannot be read.
pub(crate) fn first_non_finite<N: Network + ?Sized>(
    net: &N,
) -> Result<Option<(String, usize, f32)>> {
    for (name, layer) in net.parameters() {
        for (suffix, t) in
            std::iter::once(("weight", layer.weight())).chain(layer.bias().map(|b| ("bias", b)))
        {
            if t.sum_all()?.to_scalar::<f32>()?.is_finite() {
                continue;
            }
            let values = t.flatten_all()?.to_vec1::<f32>()?;
            if let Some((index, &value)) = values.iter().enumerate().find(|(_, v)| !v.is_finite()) {
                return Ok(Some((format!("{name}.{suffix}"), index, value)));
            }
        }
    }
    Ok(None)
}

/// The one training loop: trains `net` in place on `dataset` (labels `0..n_classes`) with
/// mini-batch cross-entropy and returns the per-epoch history, calling `on_epoch` with each
/// epoch's statistics as it ends (the library prints nothing).
///
/// The training samples (the first `1 - validation_split` of the set) are reshuffled every
/// epoch by a `ChaCha8Rng` seeded with [`TrainConfig::seed`]; with the same initial weights and
/// the same config, the trained weights are bit-identical on every run, whatever the number of
/// threads. After every step (the last one included) the weights and biases are checked: a
/// NaN or infinity stops training with the weights of the failing step.
///
/// # Errors
/// The [`TrainConfig::check`] errors; [`ModelError::WidthMismatch`],
/// [`ModelError::EmptyData`], [`ModelError::LabelOutOfRange`],
/// [`ModelError::NonFiniteInput`] for bad data; [`ModelError::DegenerateSplit`] if the
/// validation split leaves no training sample or rounds to no validation sample;
/// [`ModelError::LossNotFinite`] (with the epoch and batch) if the loss becomes NaN or
/// infinite, [`ModelError::WeightNotFinite`] (with the epoch, batch, tensor, index and value)
/// if a weight does after a step.
pub fn train<N: Network + ?Sized>(
    net: &mut N,
    dataset: &Dataset,
    cfg: &TrainConfig,
    on_epoch: &mut dyn FnMut(&EpochStats),
) -> Result<History> {
    cfg.check()?;
    let x = dataset.features();
    let y = dataset.labels();
    check_features(x, net.input_dim())?;
    check_labels(y, net.n_classes())?;

    let n = x.nrows();
    let n_val = (n as f64 * cfg.validation_split).round() as usize;
    let n_train = n.saturating_sub(n_val);
    if n_train == 0 || (cfg.validation_split > 0.0 && n_val == 0) {
        return Err(ModelError::DegenerateSplit {
            fraction: cfg.validation_split,
            n_samples: n,
            n_train,
            n_val,
        });
    }

    let vars = net
        .parameters()
        .into_iter()
        .flat_map(|(_, l)| std::iter::once(l.weight()).chain(l.bias()))
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
    let device = net.device().clone();

    for epoch in 1..=cfg.epochs {
        let start = Instant::now();
        order.shuffle(&mut rng);
        let (mut loss_sum, mut correct) = (0f64, 0usize);
        for (b, idx) in order.chunks(cfg.batch_size).enumerate() {
            let xb = gather_rows(x, idx, &device)?;
            let yb = gather_labels(y, idx, &device)?;
            let logits = net.forward(&xb)?;
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
            if let Some((tensor, index, value)) = first_non_finite(net)? {
                return Err(ModelError::WeightNotFinite {
                    epoch,
                    batch: b + 1,
                    tensor,
                    index,
                    value,
                });
            }
        }
        let (val_loss, val_accuracy) = if n_val > 0 {
            let (l, c) = loss_and_correct(net, x, y, &val)?;
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

/// Mean cross-entropy and number of correct predictions of `net` over rows `idx` (no gradients
/// kept), in batches of [`Network::inference_batch`] rows.
fn loss_and_correct<N: Network + ?Sized>(
    net: &N,
    x: ndarray::ArrayView2<'_, f32>,
    y: ndarray::ArrayView1<'_, usize>,
    idx: &[usize],
) -> Result<(f64, usize)> {
    let (mut loss_sum, mut correct) = (0f64, 0usize);
    for chunk in idx.chunks(net.inference_batch()) {
        let xb = gather_rows(x, chunk, net.device())?;
        let yb = gather_labels(y, chunk, net.device())?;
        let logits = net.forward(&xb)?.detach();
        let loss = candle_nn::loss::cross_entropy(&logits, &yb)?.to_scalar::<f32>()?;
        loss_sum += f64::from(loss) * chunk.len() as f64;
        correct += count_correct(&logits, chunk, y)?;
    }
    Ok((loss_sum / idx.len().max(1) as f64, correct))
}

impl Mlp {
    /// Trains the model in place on `dataset` (labels `0..n_classes`) with mini-batch
    /// cross-entropy, and returns the per-epoch history: the one training loop, [`train`].
    ///
    /// The training samples are reshuffled every epoch by a `ChaCha8Rng` seeded with
    /// [`TrainConfig::seed`]; with the same initial weights (same [`Mlp::new`] seed) and the
    /// same config, the trained weights are bit-identical on every run, whatever the number of
    /// threads. Prints nothing: [`Mlp::train_with`] hears every epoch's statistics.
    ///
    /// # Errors
    /// As [`train`]: among them [`ModelError::LossNotFinite`] and
    /// [`ModelError::WeightNotFinite`] (checked after every step, the last one included).
    pub fn train(&mut self, dataset: &Dataset, cfg: &TrainConfig) -> Result<History> {
        train(self, dataset, cfg, &mut |_| {})
    }

    /// As [`Mlp::train`], calling `on_epoch` with each epoch's statistics as it ends (for
    /// progress display: the library prints nothing).
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

/// How many rows of `logits` have their arg-max at the label of the matching sample of `idx`.
fn count_correct(
    logits: &candle_core::Tensor,
    idx: &[usize],
    y: ndarray::ArrayView1<'_, usize>,
) -> Result<usize> {
    let pred = logits.argmax(1)?.to_vec1::<u32>()?;
    Ok(pred
        .iter()
        .zip(idx)
        .filter(|&(&p, &i)| p as usize == y[i])
        .count())
}
