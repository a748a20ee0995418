//! Extraction from `mtq_model::Mlp` and from hand-written models: values, batching, selection, errors.

use candle_core::{DType, Device, Tensor};
use mtq_activations::{
    ActivationsError, ExtractParams, LayerKind, LayerModel, LayerSpec, Preparation, extract,
};
use mtq_data::Dataset;
use mtq_model::{Mlp, MlpConfig, array_to_tensor, tensor_to_array};
use ndarray::{Array1, Array2};

fn data(n: usize, d: usize) -> Dataset {
    let x = Array2::from_shape_fn((n, d), |(i, j)| ((i * 31 + j * 7) % 17) as f32 / 17.0);
    let labels = Array1::from_iter((0..n).map(|i| i % 3));
    Dataset::new(x, labels).expect("a valid data set")
}

#[test]
fn mlp_layers_match_one_whole_forward_pass() {
    let mlp = Mlp::new(MlpConfig::new(12, [8, 6], 3), 5, &Device::Cpu).unwrap();
    let ds = data(23, 12);
    let acts = ExtractParams::new(5)
        .logits(true)
        .extract(&mlp, &ds)
        .unwrap();
    assert_eq!(acts.layer_names(), ["h1", "h2", "logits", "probs"]);
    assert_eq!(acts.widths(), [8, 6, 3, 3]);
    assert_eq!(
        acts.layers().iter().map(|l| l.kind()).collect::<Vec<_>>(),
        [
            LayerKind::Hidden,
            LayerKind::Hidden,
            LayerKind::Logits,
            LayerKind::Probabilities
        ]
    );
    assert_eq!(
        acts.layers().iter().map(|l| l.index()).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    assert_eq!(acts.labels(), ds.labels());
    assert_eq!(acts.ids(), ds.ids());

    let pass = mlp
        .forward_all(&array_to_tensor(ds.features(), &Device::Cpu).unwrap())
        .unwrap();
    let whole = [
        tensor_to_array(&pass.hidden[0]).unwrap(),
        tensor_to_array(&pass.hidden[1]).unwrap(),
        tensor_to_array(&pass.logits).unwrap(),
        tensor_to_array(&pass.probs).unwrap(),
    ];
    for (layer, want) in acts.layers().iter().zip(&whole) {
        for (a, b) in layer.values().iter().zip(want) {
            approx::assert_abs_diff_eq!(*a, *b, epsilon = 1e-5);
        }
    }
    // batch size 1 and a batch larger than the set agree with batch size 5
    for bs in [1, 100] {
        let other = ExtractParams::new(bs)
            .logits(true)
            .extract(&mlp, &ds)
            .unwrap();
        for (a, b) in other.layers().iter().zip(acts.layers()) {
            for (x, y) in a.values().iter().zip(b.values()) {
                approx::assert_abs_diff_eq!(*x, *y, epsilon = 1e-5);
            }
        }
    }
    // the default keeps hidden layers and probabilities
    let default = extract(&mlp, &ds, 7).unwrap();
    assert_eq!(default.layer_names(), ["h1", "h2", "probs"]);
    assert_eq!(default.layer("h2"), acts.layer("h2"));
}

#[test]
fn layer_selection() {
    let mlp = Mlp::new(MlpConfig::new(4, [3, 3, 2], 2), 1, &Device::Cpu).unwrap();
    let ds = data(6, 4);
    let acts = ExtractParams::new(4)
        .layers(["h3", "h1"])
        .probabilities(false)
        .extract(&mlp, &ds)
        .unwrap();
    // model order, model indices
    assert_eq!(acts.layer_names(), ["h1", "h3"]);
    assert_eq!(acts.layers()[1].index(), 2);
    let only_logits = ExtractParams::new(4)
        .layers(["logits"])
        .probabilities(false)
        .extract(&mlp, &ds)
        .unwrap();
    assert_eq!(only_logits.layer_names(), ["logits"]);
    let err = ExtractParams::new(4)
        .layers(["h9"])
        .extract(&mlp, &ds)
        .unwrap_err();
    assert!(
        matches!(&err, ActivationsError::UnknownLayer { name, available }
        if name == "h9" && available.len() == 5)
    );
    let err = ExtractParams::new(4)
        .layers(Vec::<String>::new())
        .probabilities(false)
        .extract(&mlp, &ds)
        .unwrap_err();
    assert!(matches!(err, ActivationsError::NoLayers));
}

#[test]
fn bad_input_is_rejected() {
    let mlp = Mlp::new(MlpConfig::new(4, [3], 2), 1, &Device::Cpu).unwrap();
    assert!(matches!(
        extract(&mlp, &data(5, 4), 0),
        Err(ActivationsError::ZeroBatchSize)
    ));
    assert!(matches!(
        extract(&mlp, &data(5, 6), 2),
        Err(ActivationsError::WidthMismatch {
            expected: 4,
            found: 6
        })
    ));
    let x = Array2::<f32>::zeros((3, 4));
    let err = ExtractParams::new(2)
        .extract_arrays(
            &mlp,
            x.view(),
            Array1::zeros(2).view(),
            Array1::zeros(3).view(),
        )
        .unwrap_err();
    assert!(
        matches!(&err, ActivationsError::LengthMismatch { what, expected: 3, found: 2 } if what == "labels")
    );
    let e = Array2::<f32>::zeros((0, 4));
    let err = ExtractParams::new(2)
        .extract_arrays(
            &mlp,
            e.view(),
            Array1::zeros(0).view(),
            Array1::zeros(0).view(),
        )
        .unwrap_err();
    assert!(matches!(err, ActivationsError::EmptyData));
}

#[test]
fn infinite_inputs_surface_as_non_finite_activations() {
    let mlp = Mlp::new(MlpConfig::new(3, [4], 2), 2, &Device::Cpu).unwrap();
    let mut x = Array2::from_elem((7, 3), 0.5f32);
    x[[5, 1]] = f32::INFINITY;
    let ids = Array1::from_iter(10..17);
    let labels = Array1::zeros(7);
    let err = ExtractParams::new(3)
        .extract_arrays(&mlp, x.view(), labels.view(), ids.view())
        .unwrap_err();
    // reported in the first layer, with the sample's position and id
    assert!(
        matches!(&err, ActivationsError::NonFinite { layer, sample: 5, id: 15, value, .. }
        if layer == "h1" && !value.is_finite()),
        "{err:?}"
    );
    // switching the check off lets them through
    let acts = ExtractParams::new(3)
        .check_finite(false)
        .extract_arrays(&mlp, x.view(), labels.view(), ids.view())
        .unwrap();
    assert!(
        acts.layer("h1")
            .unwrap()
            .values()
            .row(5)
            .iter()
            .any(|v| !v.is_finite())
    );
}

/// A model with a rank-4 output and configurable misbehaviour.
struct Toy {
    device: Device,
    outputs: usize,
    rows_off: usize,
    f64_out: bool,
}

impl LayerModel for Toy {
    fn device(&self) -> &Device {
        &self.device
    }
    fn input_dim(&self) -> usize {
        2
    }
    fn layers(&self) -> Vec<LayerSpec> {
        vec![LayerSpec::hidden("maps"), LayerSpec::hidden("sum")]
    }
    fn forward_layers(&self, x: &Tensor) -> Result<Vec<Tensor>, ActivationsError> {
        let n = x.dim(0)?;
        // (n, 2, 1, 2): [x, 2x] as two "channels"
        let maps = Tensor::stack(&[x.clone(), (x * 2.0)?], 1)?.reshape((n, 2, 1, 2))?;
        let mut sum = x.sum_keepdim(1)?;
        if self.rows_off > 0 {
            sum = Tensor::zeros((n + self.rows_off, 1), DType::F32, &self.device)?;
        }
        if self.f64_out {
            sum = sum.to_dtype(DType::F64)?;
        }
        Ok(vec![maps, sum].into_iter().take(self.outputs).collect())
    }
}

#[test]
fn own_models_flatten_convert_and_are_checked() {
    let ds = data(5, 2);
    let good = Toy {
        device: Device::Cpu,
        outputs: 2,
        rows_off: 0,
        f64_out: true,
    };
    let acts = extract(&good, &ds, 2).unwrap();
    assert_eq!(acts.widths(), [4, 1]);
    let x = ds.features();
    for i in 0..5 {
        let row = acts.layer("maps").unwrap().values().row(i).to_vec();
        assert_eq!(
            row,
            [x[[i, 0]], x[[i, 1]], 2.0 * x[[i, 0]], 2.0 * x[[i, 1]]]
        );
        approx::assert_abs_diff_eq!(
            acts.layer("sum").unwrap().values()[[i, 0]],
            x[[i, 0]] + x[[i, 1]],
            epsilon = 1e-6
        );
    }
    let short = Toy { outputs: 1, ..good };
    assert!(matches!(
        extract(&short, &ds, 2),
        Err(ActivationsError::OutputCount {
            expected: 2,
            found: 1
        })
    ));
    let wrong_rows = Toy {
        device: Device::Cpu,
        outputs: 2,
        rows_off: 1,
        f64_out: false,
    };
    let err = extract(&wrong_rows, &ds, 2).unwrap_err();
    assert!(
        matches!(&err, ActivationsError::OutputShape { layer, expected_rows: 2, shape, .. }
        if layer == "sum" && shape == &[3, 1]),
        "{err:?}"
    );
}

#[test]
fn extracted_sets_concatenate_and_prepare() {
    let mlp = Mlp::new(MlpConfig::new(12, [8, 6], 3), 5, &Device::Cpu).unwrap();
    let reference = extract(&mlp, &data(20, 12), 8).unwrap();
    let unseen = extract(&mlp, &data(4, 12), 8).unwrap();
    let both = reference.concat(&unseen).unwrap();
    assert_eq!(both.n_samples(), 24);
    assert_eq!(
        both.select_samples(&[21]).unwrap().layer("h1"),
        unseen.select_samples(&[1]).unwrap().layer("h1")
    );
    let fitted = reference
        .fit_preparation(Preparation::Pca { dims: 2 })
        .unwrap();
    let prepared = unseen.apply_preparation(&fitted).unwrap();
    assert_eq!(prepared.widths(), [2, 2, 2]);
    let err = reference
        .fit_preparation(Preparation::Pca { dims: 7 })
        .unwrap_err();
    // h1 has 8 units, h2 only 6
    assert!(matches!(
        err,
        ActivationsError::InvalidPcaDims { dims: 7, width: 6 }
    ));
}

#[test]
fn parallel_sequential_and_thread_count_agree_bit_for_bit() {
    let mlp = Mlp::new(MlpConfig::new(12, [8, 6], 3), 9, &Device::Cpu).unwrap();
    let ds = data(53, 12);
    let params = ExtractParams::new(4).logits(true);
    let parallel = params.extract(&mlp, &ds).unwrap();
    let sequential = params.clone().parallel(false).extract(&mlp, &ds).unwrap();
    assert_eq!(parallel, sequential);
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let pooled = pool.install(|| params.extract(&mlp, &ds)).unwrap();
        assert_eq!(pooled, parallel);
    }
    // with non-finite values in several batches, the earliest sample is reported
    let mut x = ds.features().to_owned();
    x[[50, 0]] = f32::NAN;
    x[[9, 3]] = f32::NEG_INFINITY;
    x[[30, 1]] = f32::NAN;
    let err = params
        .extract_arrays(&mlp, x.view(), ds.labels(), ds.ids())
        .unwrap_err();
    assert!(
        matches!(err, ActivationsError::NonFinite { sample: 9, .. }),
        "{err:?}"
    );
    let err = params
        .clone()
        .parallel(false)
        .extract_arrays(&mlp, x.view(), ds.labels(), ds.ids())
        .unwrap_err();
    assert!(
        matches!(err, ActivationsError::NonFinite { sample: 9, .. }),
        "{err:?}"
    );
}
