//! Evaluation: accuracy, per-class accuracy, confusion matrix, predicted probabilities; one
//! inference path for every [`Network`].

use mtq_data::Dataset;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, concatenate};

use crate::cnn::Cnn;
use crate::convert::{array_to_tensor, tensor_to_array};
use crate::data::{check_features, check_labels};
use crate::error::{ModelError, Result};
use crate::mlp::Mlp;
use crate::train::Network;

/// Rows per forward pass in the batched inference methods.
pub(crate) const INFERENCE_BATCH: usize = 4096;

/// How well a model classifies a labelled data set.
#[derive(Debug, Clone, PartialEq)]
pub struct Evaluation {
    /// Number of samples evaluated.
    pub n_samples: usize,
    /// Share of samples whose arg-max class equals the label.
    pub accuracy: f64,
    /// Mean cross-entropy of the softmax probabilities against the labels.
    pub loss: f64,
    /// Per class `c`: share of the samples labelled `c` predicted as `c`; `None` if no sample is
    /// labelled `c`.
    pub per_class_accuracy: Vec<Option<f64>>,
    /// `confusion[[true, predicted]]`: counts, `n_classes x n_classes`.
    pub confusion: Array2<usize>,
    /// The predicted class of every sample, in data set order.
    pub predictions: Array1<usize>,
}

/// Softmax probabilities (`n x n_classes`) of `net` for the rows of `x`, in batches of
/// [`Network::inference_batch`] rows: the one inference path of [`Mlp`] and [`Cnn`].
///
/// # Errors
/// [`ModelError::WidthMismatch`](crate::ModelError::WidthMismatch),
/// [`ModelError::EmptyData`](crate::ModelError::EmptyData),
/// [`ModelError::NonFiniteInput`](crate::ModelError::NonFiniteInput); candle's errors.
pub fn predict_proba<N: Network + ?Sized>(net: &N, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
    check_features(x, net.input_dim())?;
    let parts = x
        .axis_chunks_iter(Axis(0), net.inference_batch())
        .map(|chunk| {
            let logits = net
                .forward(&array_to_tensor(chunk, net.device())?)?
                .detach();
            tensor_to_array(&candle_nn::ops::softmax_last_dim(&logits)?)
        })
        .collect::<Result<Vec<_>>>()?;
    if parts.len() == 1 {
        return Ok(parts.into_iter().next().unwrap_or_default());
    }
    let views: Vec<_> = parts.iter().map(|p| p.view()).collect();
    concatenate(Axis(0), &views).map_err(|_| ModelError::EmptyData)
}

/// The most probable class of every row of `x` (ties go to the lower class).
///
/// # Errors
/// As [`predict_proba`].
pub fn predict<N: Network + ?Sized>(net: &N, x: ArrayView2<'_, f32>) -> Result<Array1<usize>> {
    Ok(argmax_rows(predict_proba(net, x)?.view()))
}

/// Accuracy, loss, per-class accuracy and confusion matrix of `net` on a labelled data set.
///
/// # Errors
/// As [`predict_proba`], and
/// [`ModelError::LabelOutOfRange`](crate::ModelError::LabelOutOfRange).
pub fn evaluate<N: Network + ?Sized>(net: &N, dataset: &Dataset) -> Result<Evaluation> {
    let y = dataset.labels();
    check_labels(y, net.n_classes())?;
    let probs = predict_proba(net, dataset.features())?;
    Ok(evaluation_from_probs(y, probs.view(), net.n_classes()))
}

/// The inference methods of a [`Network`], as inherent methods of `$t`.
macro_rules! inference_methods {
    ($t:ty, $rows:literal) => {
        impl $t {
            #[doc = concat!("Softmax probabilities (`n x n_classes`) for the rows of `x`, in batches of ", $rows, " rows ([`predict_proba`](crate::predict_proba)).")]
            ///
            /// # Errors
            /// [`ModelError::WidthMismatch`](crate::ModelError::WidthMismatch),
            /// [`ModelError::EmptyData`](crate::ModelError::EmptyData),
            /// [`ModelError::NonFiniteInput`](crate::ModelError::NonFiniteInput); candle's errors.
            pub fn predict_proba(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
                predict_proba(self, x)
            }

            /// The most probable class of every row of `x` (ties go to the lower class).
            ///
            /// # Errors
            /// As [`predict_proba`](crate::predict_proba).
            pub fn predict(&self, x: ArrayView2<'_, f32>) -> Result<Array1<usize>> {
                predict(self, x)
            }

            /// Accuracy, loss, per-class accuracy and confusion matrix on a labelled data set.
            ///
            /// # Errors
            /// As [`predict_proba`](crate::predict_proba), and
            /// [`ModelError::LabelOutOfRange`](crate::ModelError::LabelOutOfRange).
            pub fn evaluate(&self, dataset: &Dataset) -> Result<Evaluation> {
                evaluate(self, dataset)
            }
        }
    };
}

inference_methods!(Mlp, "4,096");
inference_methods!(Cnn, "256");

/// The [`Evaluation`] of probabilities `probs` (`n x k`) against labels `y` (checked `< k`).
pub(crate) fn evaluation_from_probs(
    y: ArrayView1<'_, usize>,
    probs: ArrayView2<'_, f32>,
    k: usize,
) -> Evaluation {
    let predictions = argmax_rows(probs);
    let mut confusion = Array2::<usize>::zeros((k, k));
    let mut loss = 0f64;
    for ((&t, &p), row) in y.iter().zip(&predictions).zip(probs.outer_iter()) {
        confusion[[t, p]] += 1;
        loss -= f64::from(row[t].max(f32::MIN_POSITIVE)).ln();
    }
    let n = y.len();
    let correct: usize = (0..k).map(|c| confusion[[c, c]]).sum();
    let per_class_accuracy = confusion
        .outer_iter()
        .enumerate()
        .map(|(c, row)| {
            let total: usize = row.sum();
            (total > 0).then(|| row[c] as f64 / total as f64)
        })
        .collect();
    Evaluation {
        n_samples: n,
        accuracy: correct as f64 / n as f64,
        loss: loss / n as f64,
        per_class_accuracy,
        confusion,
        predictions,
    }
}

/// Index of the largest value of each row (first one on ties).
fn argmax_rows(p: ArrayView2<'_, f32>) -> Array1<usize> {
    p.outer_iter()
        .map(|row| {
            row.iter()
                .enumerate()
                .fold((0, f32::NEG_INFINITY), |best, (i, &v)| {
                    if v > best.1 { (i, v) } else { best }
                })
        })
        .map(|(i, _)| i)
        .collect()
}
