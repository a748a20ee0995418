//! ONNX models made with the `onnx` helper API (`fixtures/onnx/make_onnx.py`): every tapped
//! layer equals numpy's forward pass to 1e-5, through `LayerModel` and through `extract`.
//! Networks exported from PyTorch (`fixtures/onnx/make_torch_onnx.py`: torchvision's ResNet
//! code, narrowed, and `torch.nn.TransformerEncoder`): every default tap equals onnxruntime's
//! output to 1e-4 after the same pooling (a pre-norm encoder too, `prenorm.onnx`).
#![cfg(feature = "onnx")]

use std::path::PathBuf;

use mtq_activations::{
    ActivationsError, ExtractParams, LayerKind, LayerModel, OnnxModel, TokenPool, read_npy_matrix,
};
use mtq_data::Dataset;
use mtq_model::ConvTap;
use ndarray::{Array1, Array2, Axis};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/onnx")
        .join(name)
}

fn reference(name: &str) -> Array2<f32> {
    read_npy_matrix(fixture(name)).expect("reference .npy")
}

fn max_diff(a: &Array2<f32>, b: &Array2<f32>) -> f32 {
    assert_eq!(a.dim(), b.dim());
    a.iter().zip(b).fold(0f32, |m, (x, y)| m.max((x - y).abs()))
}

/// The largest `|tapped − reference|` over `layers`, each against the committed
/// `PREFIX_<name>.npy` as `expect(name, kind, reference)` turns it into what the tap gives
/// (e.g. channel means of a whole map).
fn worst_diff(
    layers: &[(String, LayerKind, Array2<f32>)],
    prefix: &str,
    expect: impl Fn(&str, LayerKind, Array2<f32>) -> Array2<f32>,
) -> f32 {
    layers.iter().fold(0f32, |worst, (name, kind, values)| {
        let want = expect(name, *kind, reference(&format!("{prefix}_{name}.npy")));
        worst.max(max_diff(values, &want))
    })
}

/// The reference as it is.
fn as_is(_: &str, _: LayerKind, reference: Array2<f32>) -> Array2<f32> {
    reference
}

/// Extracts every layer of `model` on `x` (batches of 4) and returns (name, kind, matrix).
fn tapped(model: &OnnxModel, x: Array2<f32>) -> Vec<(String, LayerKind, Array2<f32>)> {
    let n = x.nrows();
    let data = Dataset::new(x, Array1::zeros(n)).expect("dataset");
    let acts = ExtractParams::new(4)
        .logits(true)
        .probabilities(true)
        .layers(model.layers().into_iter().map(|s| s.name))
        .extract(model, &data)
        .expect("extract");
    acts.layers()
        .iter()
        .map(|l| (l.name().to_owned(), l.kind(), l.values().to_owned()))
        .collect()
}

#[test]
fn mlp_hidden_layers_logits_and_probabilities_match_numpy() {
    let model = OnnxModel::load(fixture("mlp.onnx")).expect("load");
    assert_eq!(model.input_dim(), 12);
    let layers = tapped(&model, reference("mlp_x.npy"));
    let names: Vec<(&str, LayerKind)> = layers.iter().map(|(n, k, _)| (n.as_str(), *k)).collect();
    assert_eq!(
        names,
        [
            ("relu1", LayerKind::Hidden),
            ("relu2", LayerKind::Hidden),
            ("fc3", LayerKind::Logits),
            ("softmax", LayerKind::Probabilities)
        ]
    );
    let worst = worst_diff(&layers, "mlp", as_is);
    eprintln!("ONNX MLP (tract): max |tapped - numpy| = {worst:e}");
    assert!(worst <= 1e-5, "{worst}");
}

#[test]
fn user_listed_nodes_are_tapped_in_order() {
    let model = OnnxModel::load_with_layers(fixture("mlp.onnx"), ["fc1", "softmax"]).expect("load");
    let layers = tapped(&model, reference("mlp_x.npy"));
    assert_eq!(layers[0].0, "fc1");
    assert_eq!(layers[0].1, LayerKind::Hidden);
    assert_eq!(layers[1].1, LayerKind::Probabilities);
    assert!(max_diff(&layers[0].2, &reference("mlp_fc1.npy")) <= 1e-5);
    let err = OnnxModel::load_with_layers(fixture("mlp.onnx"), ["nope"]).expect_err("unknown");
    assert!(
        matches!(&err, ActivationsError::UnknownLayer { name, available } if name == "nope" && available.contains(&"relu2".to_owned())),
        "{err}"
    );
}

#[test]
fn listed_hidden_nodes_keep_the_logits_and_probabilities() {
    let model = OnnxModel::load_with_hidden(fixture("mlp.onnx"), ["fc1", "relu2"]).expect("load");
    let specs: Vec<(String, LayerKind)> = model
        .layers()
        .into_iter()
        .map(|s| (s.name, s.kind))
        .collect();
    assert_eq!(
        specs,
        [
            ("fc1".to_owned(), LayerKind::Hidden),
            ("relu2".to_owned(), LayerKind::Hidden),
            ("fc3".to_owned(), LayerKind::Logits),
            ("softmax".to_owned(), LayerKind::Probabilities)
        ]
    );
    let layers = tapped(&model, reference("mlp_x.npy"));
    assert!(max_diff(&layers[1].2, &reference("mlp_relu2.npy")) <= 1e-5);
    assert!(max_diff(&layers[3].2, &reference("mlp_softmax.npy")) <= 1e-5);
    // a listed output is not repeated
    let model = OnnxModel::load_with_hidden(fixture("mlp.onnx"), ["relu1", "fc3"]).expect("load");
    assert_eq!(model.layers().len(), 3);
}

#[test]
fn cnn_maps_flattened_or_averaged_match_numpy() {
    let flat = OnnxModel::load(fixture("cnn.onnx"))
        .expect("load")
        .with_conv_tap(ConvTap::Flatten);
    assert_eq!(flat.input_shape(), [1, 8, 8]);
    let layers = tapped(&flat, reference("cnn_x.npy"));
    let names: Vec<&str> = layers.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(names, ["relu1", "relu2", "relu3", "fc2", "softmax"]);
    let worst = worst_diff(&layers, "cnn", as_is);
    eprintln!("ONNX CNN (tract), flattened maps: max |tapped - numpy| = {worst:e}");
    assert!(worst <= 1e-5, "{worst}");
    assert_eq!(layers[0].2.ncols(), 4 * 8 * 8);

    // channel means (the default): numpy's maps averaged over each channel's h x w
    let mean = OnnxModel::load(fixture("cnn.onnx")).expect("load");
    let layers = tapped(&mean, reference("cnn_x.npy"));
    for (name, channels) in [("relu1", 4), ("relu2", 6)] {
        let got = &layers.iter().find(|(n, _, _)| n == name).expect("layer").2;
        let maps = reference(&format!("cnn_{name}.npy"));
        let hw = maps.ncols() / channels;
        let want = Array2::from_shape_fn((maps.nrows(), channels), |(i, c)| {
            maps.row(i).iter().skip(c * hw).take(hw).sum::<f32>() / hw as f32
        });
        let d = max_diff(got, &want);
        eprintln!("ONNX CNN (tract), channel means of {name}: max |tapped - numpy| = {d:e}");
        assert!(d <= 1e-5, "{name}: {d}");
    }
    // a pooling output named by the user
    let pool = OnnxModel::load_with_layers(fixture("cnn.onnx"), ["pool2"])
        .expect("load")
        .with_conv_tap(ConvTap::Flatten);
    let layers = tapped(&pool, reference("cnn_x.npy"));
    assert!(max_diff(&layers[0].2, &reference("cnn_pool2.npy")) <= 1e-5);
    assert_eq!(layers[0].2.len_of(Axis(1)), 6 * 2 * 2);
}

#[test]
fn unsupported_op_and_bad_files_are_typed_errors() {
    let err = OnnxModel::load(fixture("unsupported.onnx")).expect_err("unsupported");
    assert!(
        matches!(&err, ActivationsError::OnnxUnsupportedOp { op, node, .. } if op == "com.example.NoSuchOp" && node == "mystery"),
        "{err}"
    );
    assert!(err.to_string().contains("mystery"), "{err}");
    let err = OnnxModel::load(fixture("make_onnx.py")).expect_err("not onnx");
    assert!(matches!(err, ActivationsError::OnnxParse { .. }), "{err}");
    let err = OnnxModel::load(fixture("missing.onnx")).expect_err("missing");
    assert!(matches!(err, ActivationsError::Io { .. }), "{err}");
    // data of the wrong width
    let model = OnnxModel::load(fixture("mlp.onnx")).expect("load");
    let data = Dataset::new(Array2::zeros((3, 5)), Array1::zeros(3)).expect("dataset");
    let err = ExtractParams::new(4)
        .extract(&model, &data)
        .expect_err("width");
    assert!(
        matches!(
            err,
            ActivationsError::WidthMismatch {
                expected: 12,
                found: 5
            }
        ),
        "{err}"
    );
}

/// The inputs of a PyTorch fixture (`make_torch_onnx.py`), in their own shape
/// (`N x 3 x 32 x 32`, `N x 16 x 16`), as `N x features` rows.
fn torch_inputs(name: &str) -> Array2<f32> {
    let x = mtq_activations::read_npy_features(fixture(name)).expect("inputs");
    let n = x.shape()[0];
    let width = x.len() / n;
    x.into_shape_with_order((n, width)).expect("rows")
}

/// Each row of `maps` (`n x channels·area`, channel by channel) averaged per channel.
fn channel_means(maps: &Array2<f32>, channels: usize) -> Array2<f32> {
    let area = maps.ncols() / channels;
    Array2::from_shape_fn((maps.nrows(), channels), |(i, c)| {
        maps.row(i).iter().skip(c * area).take(area).sum::<f32>() / area as f32
    })
}

/// Each row of `tokens` (`n x tokens·features`, token by token) pooled over the tokens.
fn token_means(tokens: &Array2<f32>, features: usize) -> Array2<f32> {
    let t = tokens.ncols() / features;
    Array2::from_shape_fn((tokens.nrows(), features), |(i, f)| {
        (0..t).map(|k| tokens[[i, k * features + f]]).sum::<f32>() / t as f32
    })
}

#[test]
fn torchvision_resnet_taps_each_block_the_pool_and_the_outputs_as_onnxruntime() {
    let model = OnnxModel::load(fixture("resnet.onnx")).expect("load");
    assert_eq!(model.input_shape(), [3, 32, 32]);
    let specs: Vec<(String, LayerKind)> = model
        .layers()
        .into_iter()
        .map(|s| (s.name, s.kind))
        .collect();
    let mut want: Vec<(String, LayerKind)> = (1..=4)
        .flat_map(|k| (0..2).map(move |i| (format!("layer{k}.{i}"), LayerKind::Hidden)))
        .collect();
    want.push(("pool".to_owned(), LayerKind::Hidden));
    want.push(("logits".to_owned(), LayerKind::Logits));
    want.push(("probs".to_owned(), LayerKind::Probabilities));
    assert_eq!(specs, want);
    assert_eq!(model.nodes()[7], "/net/layer4/layer4.1/relu_1/Relu");
    assert_eq!(model.nodes()[8], "/net/Flatten");

    let x = torch_inputs("resnet_x.npy");
    let layers = tapped(&model, x.clone());
    let worst = worst_diff(&layers, "resnet", |name, kind, reference| {
        if kind == LayerKind::Hidden && name != "pool" {
            let channels = layers
                .iter()
                .find(|l| l.0 == name)
                .map_or(0, |l| l.2.ncols());
            channel_means(&reference, channels)
        } else {
            reference
        }
    });
    eprintln!("torchvision ResNet (tract vs onnxruntime), channel means: max diff {worst:e}");
    assert!(worst <= 1e-4, "{worst}");
    // widths 8/16/24/32 per stage
    let widths: Vec<usize> = layers.iter().map(|(_, _, v)| v.ncols()).collect();
    assert_eq!(widths, [8, 8, 16, 16, 24, 24, 32, 32, 32, 3, 3]);

    // whole maps
    let flat = OnnxModel::load(fixture("resnet.onnx"))
        .expect("load")
        .with_conv_tap(ConvTap::Flatten);
    let layers = tapped(&flat, x);
    let worst = worst_diff(&layers, "resnet", as_is);
    eprintln!("torchvision ResNet (tract vs onnxruntime), flattened maps: max diff {worst:e}");
    assert!(worst <= 1e-4, "{worst}");
}

#[test]
fn transformer_encoder_taps_each_layer_pooled_over_tokens_as_onnxruntime() {
    let model = OnnxModel::load(fixture("transformer.onnx")).expect("load");
    assert_eq!(model.input_shape(), [16, 16]);
    let specs: Vec<(String, LayerKind)> = model
        .layers()
        .into_iter()
        .map(|s| (s.name, s.kind))
        .collect();
    let want = [
        ("enc.0", LayerKind::Hidden),
        ("enc.1", LayerKind::Hidden),
        ("pool", LayerKind::Hidden),
        ("logits", LayerKind::Logits),
        ("probs", LayerKind::Probabilities),
    ]
    .map(|(n, k)| (n.to_owned(), k));
    assert_eq!(specs, want);
    assert_eq!(
        model.nodes()[1],
        "/net/encoder/layers.1/norm2/LayerNormalization"
    );
    assert_eq!(model.token_pool(), TokenPool::Mean);

    let x = torch_inputs("transformer_x.npy");
    for pool in [TokenPool::Mean, TokenPool::First, TokenPool::Flatten] {
        let model = OnnxModel::load(fixture("transformer.onnx"))
            .expect("load")
            .with_token_pool(pool);
        let layers = tapped(&model, x.clone());
        let worst = worst_diff(&layers, "transformer", |name, _, reference| {
            match (name.starts_with("enc."), pool) {
                (true, TokenPool::Mean) => token_means(&reference, 32),
                (true, TokenPool::First) => reference.slice(ndarray::s![.., ..32]).to_owned(),
                _ => reference,
            }
        });
        eprintln!("TransformerEncoder (tract vs onnxruntime), tokens {pool:?}: max diff {worst:e}");
        assert!(worst <= 1e-4, "{pool:?}: {worst}");
        // the model's own mean pooling is the pooled tap
        if pool == TokenPool::Mean {
            assert!(max_diff(&layers[1].2, &layers[2].2) <= 1e-6);
        }
    }
}

#[test]
fn candidates_list_every_tappable_output_with_its_shape_and_short_name() {
    let list = OnnxModel::candidates(fixture("resnet.onnx")).expect("candidates");
    let defaults: Vec<(&str, Option<&[usize]>)> = list
        .iter()
        .filter(|c| c.default)
        .map(|c| (c.short_name.as_str(), c.shape.as_deref()))
        .collect();
    assert_eq!(defaults.len(), 11, "{defaults:?}");
    assert_eq!(defaults[0], ("layer1.0", Some(&[8, 8, 8][..])));
    assert_eq!(defaults[7], ("layer4.1", Some(&[32, 1, 1][..])));
    assert_eq!(defaults[8], ("pool", Some(&[32][..])));
    assert_eq!(defaults[10], ("probs", Some(&[3][..])));
    let add = list
        .iter()
        .find(|c| c.node == "/net/layer2/layer2.0/Add")
        .expect("residual add listed");
    assert_eq!(
        (add.op.as_str(), add.short_name.as_str(), add.default),
        ("Add", "layer2.0.add", false)
    );
    let inner = list
        .iter()
        .find(|c| c.node == "/net/layer1/layer1.0/relu/Relu")
        .expect("inner relu listed");
    assert_eq!(inner.short_name, "layer1.0.relu");
    let mut names: Vec<&str> = list.iter().map(|c| c.short_name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), list.len(), "short names are unique");

    let list = OnnxModel::candidates(fixture("transformer.onnx")).expect("candidates");
    let defaults: Vec<(&str, &str)> = list
        .iter()
        .filter(|c| c.default)
        .map(|c| (c.short_name.as_str(), c.op.as_str()))
        .collect();
    assert_eq!(
        defaults,
        [
            ("enc.0", "LayerNormalization"),
            ("enc.1", "LayerNormalization"),
            ("pool", "ReduceMean"),
            ("logits", "Gemm"),
            ("probs", "Softmax")
        ]
    );
    let enc0 = list
        .iter()
        .find(|c| c.short_name == "enc.0")
        .expect("enc.0");
    assert_eq!(enc0.shape.as_deref(), Some(&[16, 32][..]));
    // the GELU exported as Erf is listed, as are the attention's softmax and the residual Adds
    let gelu = list
        .iter()
        .find(|c| c.node == "/net/encoder/layers.0/Mul_1")
        .expect("gelu");
    assert_eq!(
        (gelu.short_name.as_str(), gelu.shape.as_deref()),
        ("enc.0.mul_1", Some(&[16, 64][..]))
    );
    assert!(
        list.iter()
            .any(|c| c.node == "/net/encoder/layers.1/self_attn/Softmax")
    );
    assert!(list.iter().any(|c| c.node == "/net/encoder/layers.1/Add_2"));

    // the simple graphs keep their node names
    let list = OnnxModel::candidates(fixture("mlp.onnx")).expect("candidates");
    let names: Vec<(&str, bool)> = list
        .iter()
        .map(|c| (c.short_name.as_str(), c.default))
        .collect();
    assert_eq!(
        names,
        [
            ("fc1", false),
            ("relu1", true),
            ("fc2", false),
            ("relu2", true),
            ("fc3", true),
            ("softmax", true)
        ]
    );
}

#[test]
fn layers_are_chosen_by_node_by_short_name_and_renamed() {
    let model = OnnxModel::load_with_hidden(
        fixture("resnet.onnx"),
        [
            "layer2.1",
            "/net/layer1/layer1.0/Add=add1",
            "/net/layer3/layer3.1/relu/Relu",
            "pool=features",
        ],
    )
    .expect("load");
    let names: Vec<String> = model.layers().into_iter().map(|s| s.name).collect();
    assert_eq!(
        names,
        [
            "layer2.1",
            "add1",
            "layer3.1.relu",
            "features",
            "logits",
            "probs"
        ]
    );
    assert_eq!(model.nodes()[0], "/net/layer2/layer2.1/relu_1/Relu");
    assert_eq!(model.nodes()[1], "/net/layer1/layer1.0/Add");
    let x = torch_inputs("resnet_x.npy");
    let layers = tapped(&model, x);
    let want = channel_means(&reference("resnet_layer2.1.npy"), 16);
    assert!(max_diff(&layers[0].2, &want) <= 1e-4);
    assert!(max_diff(&layers[3].2, &reference("resnet_pool.npy")) <= 1e-4);

    for bad in [vec!["layer9.9"], vec!["nope=x"], vec!["layer1.0="]] {
        let err =
            OnnxModel::load_with_layers(fixture("resnet.onnx"), bad.clone()).expect_err("unknown");
        assert!(
            matches!(&err, ActivationsError::UnknownLayer { name, available } if *name == bad[0] && available.contains(&"layer1.0".to_owned())),
            "{err}"
        );
    }
    let err = OnnxModel::load_with_layers(
        fixture("resnet.onnx"),
        ["layer1.0", "/net/layer1/layer1.0/relu_1/Relu"],
    )
    .expect_err("twice");
    assert!(
        matches!(err, ActivationsError::DuplicateLayer { .. }),
        "{err}"
    );
}

#[test]
fn pre_norm_encoder_blocks_end_at_their_add_as_onnxruntime() {
    let model = OnnxModel::load(fixture("prenorm.onnx")).expect("load");
    let names: Vec<String> = model.layers().into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["enc.0", "enc.1", "pool", "logits", "probs"]);
    // the last block's Add feeds the encoder's final norm (another scope): the Add is tapped;
    // the classifier reads token 0
    assert_eq!(model.nodes()[1], "/net/encoder/layers.1/Add_2");
    assert_eq!(model.nodes()[2], "/net/Gather");
    let x = torch_inputs("prenorm_x.npy");
    for pool in [TokenPool::Mean, TokenPool::First] {
        let model = OnnxModel::load(fixture("prenorm.onnx"))
            .expect("load")
            .with_token_pool(pool);
        let worst = worst_diff(
            &tapped(&model, x.clone()),
            "prenorm",
            |name, _, reference| match (name.starts_with("enc."), pool) {
                (true, TokenPool::Mean) => token_means(&reference, 32),
                (true, _) => reference.slice(ndarray::s![.., ..32]).to_owned(),
                (false, _) => reference,
            },
        );
        eprintln!(
            "pre-norm TransformerEncoder (tract vs onnxruntime), tokens {pool:?}: max diff {worst:e}"
        );
        assert!(worst <= 1e-4, "{pool:?}: {worst}");
    }
}

/// The fixture's rows repeated to `n` rows (more than one of tract's fixed batches of 32).
fn tiled(x: &Array2<f32>, n: usize) -> Array2<f32> {
    Array2::from_shape_fn((n, x.ncols()), |(i, j)| x[(i % x.nrows(), j)])
}

/// Every layer of `model` over `x`, in batches of `batch`, on a rayon pool of `threads`.
fn extract_on(
    model: &OnnxModel,
    x: &Array2<f32>,
    batch: usize,
    threads: usize,
) -> Vec<Array2<f32>> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("pool");
    let data = Dataset::new(x.clone(), Array1::zeros(x.nrows())).expect("dataset");
    let acts = pool
        .install(|| {
            ExtractParams::new(batch)
                .logits(true)
                .probabilities(true)
                .layers(model.layers().into_iter().map(|s| s.name))
                .extract(model, &data)
        })
        .expect("extract");
    acts.layers()
        .iter()
        .map(|l| l.values().to_owned())
        .collect()
}

#[test]
fn chunked_runs_match_numpy_for_any_batch_and_thread_count() {
    for (file, prefix, names) in [
        (
            "mlp.onnx",
            "mlp",
            &["relu1", "relu2", "fc3", "softmax"] as &[&str],
        ),
        (
            "cnn.onnx",
            "cnn",
            &["relu1", "relu2", "relu3", "fc2", "softmax"],
        ),
    ] {
        let model = OnnxModel::load(fixture(file))
            .expect("load")
            .with_conv_tap(ConvTap::Flatten);
        let x = reference(&format!("{prefix}_x.npy"));
        // 75 rows: two full chunks of 32 and a padded one of 11
        let n = 75;
        let big = tiled(&x, n);
        let want: Vec<Array2<f32>> = names
            .iter()
            .map(|name| tiled(&reference(&format!("{prefix}_{name}.npy")), n))
            .collect();
        let first = extract_on(&model, &big, 1024, 1);
        for (batch, threads) in [
            (1024, 2),
            (1024, 3),
            (1, 2),
            (7, 1),
            (7, 2),
            (32, 2),
            (33, 3),
        ] {
            let got = extract_on(&model, &big, batch, threads);
            // rows are computed in chunks fixed by the batch: identical for any thread count
            if batch == 1024 {
                assert_eq!(got, first, "{file}: {threads} threads");
            }
            for ((name, g), w) in names.iter().zip(&got).zip(&want) {
                let d = max_diff(g, w);
                assert!(d <= 1e-5, "{file} {name}, batch {batch}: {d}");
            }
        }
        // a batch of one row, alone
        let one = extract_on(&model, &big.slice(ndarray::s![..1, ..]).to_owned(), 1, 2);
        for ((name, g), w) in names.iter().zip(&one).zip(&want) {
            let d = max_diff(g, &w.slice(ndarray::s![..1, ..]).to_owned());
            assert!(d <= 1e-5, "{file} {name}, one row: {d}");
        }
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let model = OnnxModel::load(fixture("cnn.onnx")).expect("load");
    let x = tiled(&reference("cnn_x.npy"), 100);
    for batch in [1, 9, 64, 1000] {
        let one = extract_on(&model, &x, batch, 1);
        for threads in [2, 4] {
            assert_eq!(
                extract_on(&model, &x, batch, threads),
                one,
                "batch {batch}, {threads} threads"
            );
        }
    }
}

/// A flat input takes rows of any layout (no shape to check against); an image input keeps its
/// shape, so data laid out otherwise can be refused.
#[test]
fn only_shaped_inputs_report_their_shape() {
    let mlp = OnnxModel::load(fixture("mlp.onnx")).expect("load");
    assert_eq!(mtq_activations::LayerModel::input_shape(&mlp), None);
    let cnn = OnnxModel::load(fixture("cnn.onnx")).expect("load");
    assert_eq!(
        mtq_activations::LayerModel::input_shape(&cnn),
        Some(vec![1, 8, 8])
    );
}
