//! Every bad input to training and evaluation gets its own typed error, and training options
//! (SGD, validation split, activations) work.

use mtq_data::{Dataset, Mnist};
use mtq_model::{Activation, Device, Mlp, MlpConfig, ModelError, Optimizer, TrainConfig};
use ndarray::{Array1, Array2};

/// A small separable two-class problem: class = sign of the first feature.
fn toy(n: usize, d: usize) -> Dataset {
    let x = Array2::from_shape_fn((n, d), |(i, j)| {
        let sign = if i % 2 == 0 { 1.0 } else { -1.0 };
        if j == 0 {
            sign * (0.5 + (i % 7) as f32 * 0.1)
        } else {
            ((i * d + j) as f32 * 0.37).sin() * 0.1
        }
    });
    let y = Array1::from_iter((0..n).map(|i| i % 2));
    Dataset::new(x, y).expect("toy data")
}

/// A predicate on the error a case must produce.
type Check = fn(&ModelError) -> bool;

fn model(d: usize) -> Mlp {
    Mlp::new(MlpConfig::new(d, [8], 2), 0, &Device::Cpu).expect("model")
}

#[test]
fn config_values_are_checked() {
    let data = toy(20, 3);
    let mut m = model(3);
    let cases: Vec<(TrainConfig, Check)> = vec![
        (TrainConfig::new().epochs(0), |e| {
            matches!(e, ModelError::ZeroEpochs)
        }),
        (TrainConfig::new().batch_size(0), |e| {
            matches!(e, ModelError::ZeroBatchSize)
        }),
        (TrainConfig::new().optimizer(Optimizer::adam(0.0)), |e| {
            matches!(e, ModelError::InvalidLearningRate { .. })
        }),
        (
            TrainConfig::new().optimizer(Optimizer::adam(f64::NAN)),
            |e| matches!(e, ModelError::InvalidLearningRate { .. }),
        ),
        (
            TrainConfig::new().optimizer(Optimizer::sgd(0.1, 1.0)),
            |e| {
                matches!(
                    e,
                    ModelError::InvalidOptimizerParam {
                        name: "momentum",
                        ..
                    }
                )
            },
        ),
        (
            TrainConfig::new().optimizer(Optimizer::Adam {
                lr: 1e-3,
                beta1: 0.9,
                beta2: 0.999,
                eps: 0.0,
            }),
            |e| matches!(e, ModelError::InvalidOptimizerParam { name: "eps", .. }),
        ),
        (TrainConfig::new().validation_split(1.0), |e| {
            matches!(e, ModelError::InvalidValidationSplit { .. })
        }),
        (TrainConfig::new().validation_split(-0.1), |e| {
            matches!(e, ModelError::InvalidValidationSplit { .. })
        }),
        (TrainConfig::new().validation_split(0.01), |e| {
            matches!(
                e,
                ModelError::DegenerateSplit {
                    n_samples: 20,
                    n_val: 0,
                    ..
                }
            )
        }),
    ];
    for (cfg, expected) in cases {
        let err = m.train(&data, &cfg).expect_err("must be rejected");
        assert!(expected(&err), "{cfg:?}: got {err}");
    }
}

#[test]
fn bad_data_is_rejected() {
    let mut m = model(3);
    let cfg = TrainConfig::new().epochs(1);
    let err = m.train(&toy(10, 4), &cfg).expect_err("width");
    assert!(
        matches!(
            err,
            ModelError::WidthMismatch {
                expected: 3,
                found: 4
            }
        ),
        "{err}"
    );
    let err = model(3).evaluate(&toy(10, 4)).expect_err("width");
    assert!(
        matches!(
            err,
            ModelError::WidthMismatch {
                expected: 3,
                found: 4
            }
        ),
        "{err}"
    );

    let empty = Dataset::new(Array2::zeros((0, 3)), Array1::zeros(0)).expect("empty data set");
    assert!(matches!(m.train(&empty, &cfg), Err(ModelError::EmptyData)));
    assert!(matches!(m.evaluate(&empty), Err(ModelError::EmptyData)));

    let (x, mut y) = (
        toy(10, 3).features().to_owned(),
        toy(10, 3).labels().to_owned(),
    );
    y[6] = 2;
    let bad_label = Dataset::new(x.clone(), y).expect("data");
    let err = m.train(&bad_label, &cfg).expect_err("label");
    assert!(
        matches!(
            err,
            ModelError::LabelOutOfRange {
                index: 6,
                label: 2,
                n_classes: 2
            }
        ),
        "{err}"
    );
    assert!(matches!(
        m.evaluate(&bad_label),
        Err(ModelError::LabelOutOfRange { index: 6, .. })
    ));

    let mut x_nan = x;
    x_nan[[4, 2]] = f32::NAN;
    let nan = Dataset::new(x_nan.clone(), toy(10, 3).labels().to_owned()).expect("data");
    let err = m.train(&nan, &cfg).expect_err("nan");
    assert!(
        matches!(err, ModelError::NonFiniteInput { row: 4, col: 2, .. }),
        "{err}"
    );
    assert!(matches!(
        m.predict_proba(x_nan.view()),
        Err(ModelError::NonFiniteInput { row: 4, col: 2, .. })
    ));
}

#[test]
fn diverging_loss_stops_with_its_epoch() {
    // huge inputs and a huge SGD step: the weights overflow within the first epoch
    let data = toy(64, 3);
    let x = data.features().mapv(|v| v * 1e18);
    let data = Dataset::new(x, data.labels().to_owned()).expect("data");
    let mut m = model(3);
    let cfg = TrainConfig::new()
        .epochs(3)
        .batch_size(8)
        .optimizer(Optimizer::sgd(1e30, 0.0));
    let err = m.train(&data, &cfg).expect_err("diverges");
    // The first step's loss is finite; the step itself overflows the weights, caught at once.
    match err {
        ModelError::WeightNotFinite {
            epoch,
            batch,
            ref tensor,
            value,
            ..
        } => {
            assert_eq!((epoch, batch), (1, 1));
            assert!(tensor.ends_with(".weight") || tensor.ends_with(".bias"));
            assert!(!value.is_finite());
        }
        other => panic!("expected WeightNotFinite, got {other}"),
    }
}

#[test]
fn a_non_finite_last_step_is_an_error_too() {
    // One epoch of one batch: the only step is the last, whose loss is finite; before issue 13
    // training returned Ok with infinite weights.
    let data = toy(16, 3);
    let x = data.features().mapv(|v| v * 1e18);
    let data = Dataset::new(x, data.labels().to_owned()).expect("data");
    let mut m = model(3);
    let cfg = TrainConfig::new()
        .epochs(1)
        .batch_size(16)
        .optimizer(Optimizer::sgd(1e30, 0.0));
    let err = m.train(&data, &cfg).expect_err("diverges at the last step");
    assert!(
        matches!(
            err,
            ModelError::WeightNotFinite {
                epoch: 1,
                batch: 1,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("epoch 1, batch 1"), "{err}");
}

#[test]
fn validation_split_reports_held_out_figures() {
    let data = toy(50, 3);
    let mut m = model(3);
    let h = m
        .train(
            &data,
            &TrainConfig::new()
                .epochs(3)
                .batch_size(8)
                .validation_split(0.2),
        )
        .expect("train");
    assert_eq!((h.n_train, h.n_val), (40, 10));
    assert_eq!(h.epochs.len(), 3);
    for e in &h.epochs {
        let (Some(l), Some(a)) = (e.val_loss, e.val_accuracy) else {
            panic!("no validation figures: {e:?}")
        };
        assert!(l.is_finite() && (0.0..=1.0).contains(&a));
    }
    let h = model(3)
        .train(&data, &TrainConfig::new().epochs(1))
        .expect("train");
    assert!(h.epochs[0].val_loss.is_none() && h.n_val == 0);
}

#[test]
fn sgd_momentum_and_every_activation_learn_ones_vs_sevens() {
    let mnist = Mnist::embedded().expect("embedded MNIST");
    let train = mnist.train().select_classes(&[1, 7]).expect("1s and 7s");
    let test = mnist.test().select_classes(&[1, 7]).expect("1s and 7s");
    let runs = [
        (Activation::Relu, Optimizer::sgd(0.05, 0.9)),
        (Activation::Tanh, Optimizer::adam(1e-3)),
        (Activation::Sigmoid, Optimizer::adam(3e-3)),
        (Activation::Gelu, Optimizer::adam(1e-3)),
    ];
    for (act, opt) in runs {
        let cfg = MlpConfig::new(784, [16], 2).with_activation(act);
        let mut m = Mlp::new(cfg, 1, &Device::Cpu).expect("model");
        m.train(&train, &TrainConfig::new().epochs(2).optimizer(opt).seed(1))
            .expect("train");
        let acc = m.evaluate(&test).expect("eval").accuracy;
        assert!(acc > 0.97, "{act:?} with {opt:?}: test accuracy {acc}");
    }
}
