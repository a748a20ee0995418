//! The CNN: same seed, same weights bit for bit (also on rayon pools of 1 and 2 threads), and
//! a short training run that learns 1s against 7s.

use mtq_data::Mnist;
use mtq_model::{Cnn, CnnConfig, ConvTap, Device, TrainConfig};

/// Trains on a stratified subset of the embedded 1s and 7s; returns an FNV-1a digest of every
/// weight's bits and the test accuracy.
fn train_digest(seed: u64) -> (u64, f64) {
    let mnist = Mnist::embedded().expect("embedded MNIST");
    let train = mnist
        .train()
        .select_classes(&[1, 7])
        .and_then(|d| d.stratified_subsample(400, 0))
        .expect("1s and 7s");
    let test = mnist.test().select_classes(&[1, 7]).expect("1s and 7s");
    let mut cnn = Cnn::new(CnnConfig::lenet(28, 28, 2), seed, &Device::Cpu).expect("model");
    cnn.train(&train, &TrainConfig::new().epochs(2).seed(seed))
        .expect("train");
    let acc = cnn.evaluate(&test).expect("eval").accuracy;
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (_, var) in {
        let mut vars: Vec<_> = cnn
            .varmap()
            .data()
            .lock()
            .expect("lock")
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        vars.sort_by(|a, b| a.0.cmp(&b.0));
        vars
    } {
        for v in var
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .expect("weights")
        {
            for b in v.to_bits().to_le_bytes() {
                h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
        }
    }
    (h, acc)
}

#[test]
fn same_seed_same_weights_on_any_thread_count() {
    let pool = |n| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .expect("pool")
    };
    let one = pool(1).install(|| train_digest(1));
    let two = pool(2).install(|| train_digest(1));
    assert_eq!(one, two);
    assert_ne!(one.0, train_digest(2).0);
    // 400 images, 2 epochs: already far better than chance on the 442 test images
    assert!(one.1 > 0.95, "accuracy {}", one.1);
}

#[test]
fn taps_change_widths_not_predictions() {
    let mnist = Mnist::embedded().expect("embedded MNIST");
    let test = mnist
        .test()
        .select_classes(&[1, 7])
        .and_then(|d| d.stratified_subsample(20, 0))
        .expect("subset");
    let x = mtq_model::array_to_tensor(test.features(), &Device::Cpu).expect("tensor");
    let mean = Cnn::new(CnnConfig::lenet(28, 28, 2), 0, &Device::Cpu).expect("model");
    let a = mean.forward_all(&x).expect("forward");
    let flat = mean.with_conv_taps(ConvTap::Flatten);
    let b = flat.forward_all(&x).expect("forward");
    assert_eq!(a.hidden[0].dims(), [20, 6]);
    assert_eq!(b.hidden[0].dims(), [20, 6 * 12 * 12]);
    assert_eq!(b.hidden[1].dims(), [20, 16 * 4 * 4]);
    // the channel mean of the flattened (c, h, w) map is the tapped mean
    let maps = b.hidden[0]
        .reshape((20, 6, 144))
        .and_then(|t| t.mean(2))
        .expect("mean");
    let d = (maps - &a.hidden[0])
        .and_then(|t| t.abs())
        .and_then(|t| t.max_all())
        .and_then(|t| t.to_scalar::<f32>())
        .expect("diff");
    assert!(d < 1e-6, "{d}");
    assert_eq!(
        a.logits.to_vec2::<f32>().expect("logits"),
        b.logits.to_vec2::<f32>().expect("logits")
    );
}

/// 16 tiny 8 x 8 images of two classes, scaled by `scale`.
fn tiny_images(scale: f32) -> mtq_data::Dataset {
    let x = ndarray::Array2::from_shape_fn((16, 64), |(i, j)| {
        scale * if (j + i % 2) % 3 == 0 { 1.0 } else { 0.1 }
    });
    let y = ndarray::Array1::from_iter((0..16).map(|i| i % 2));
    mtq_data::Dataset::new(x, y)
        .and_then(|d| d.with_image_shape(8, 8))
        .expect("images")
}

#[test]
fn a_diverging_cnn_is_a_typed_error_even_at_its_last_step() {
    use mtq_model::{ModelError, Optimizer};
    // One epoch of one batch: the only step is the last. Before the one training loop the CNN
    // returned Ok here, with infinite weights.
    let data = tiny_images(1e18);
    let mut cnn = Cnn::new(CnnConfig::lenet(8, 8, 2), 0, &Device::Cpu).expect("model");
    let cfg = TrainConfig::new()
        .epochs(1)
        .batch_size(16)
        .optimizer(Optimizer::sgd(1e30, 0.0));
    let err = cnn.train(&data, &cfg).expect_err("diverges");
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
    // A huge Adam step on ordinary images diverges too, and is said, not returned as Ok.
    let mut cnn = Cnn::new(CnnConfig::lenet(8, 8, 2), 0, &Device::Cpu).expect("model");
    let cfg = TrainConfig::new()
        .epochs(3)
        .batch_size(4)
        .optimizer(Optimizer::adam(1e38));
    let err = cnn.train(&tiny_images(1.0), &cfg).expect_err("diverges");
    assert!(
        matches!(
            err,
            ModelError::WeightNotFinite { .. } | ModelError::LossNotFinite { .. }
        ),
        "{err}"
    );
}

#[test]
fn the_cnn_predicts_like_its_probabilities() {
    let data = tiny_images(1.0);
    let mut cnn = Cnn::new(CnnConfig::lenet(8, 8, 2), 3, &Device::Cpu).expect("model");
    cnn.train(&data, &TrainConfig::new().epochs(2).batch_size(4))
        .expect("train");
    let probs = cnn.predict_proba(data.features()).expect("probs");
    let pred = cnn.predict(data.features()).expect("predict");
    assert_eq!(pred.len(), 16);
    for (row, &p) in probs.rows().into_iter().zip(&pred) {
        assert!(row.iter().all(|&q| q <= row[p]));
    }
    assert_eq!(
        mtq_model::predict(&cnn, data.features()).expect("predict"),
        pred
    );
}
