//! The reference setting of the study: digits 1 vs 7 of the embedded MNIST sample,
//! 784 -> 32 -> 64 -> 2 ReLU, Adam lr 1e-3, 5 epochs, batch 32 (Keras reaches 0.991-0.9955).

use mtq_data::{Dataset, Mnist};
use mtq_model::{Device, Mlp, MlpConfig, Optimizer, TrainConfig};

fn ones_and_sevens() -> (Dataset, Dataset) {
    let mnist = Mnist::embedded().expect("embedded MNIST decodes");
    let train = mnist.train().select_classes(&[1, 7]).expect("1s and 7s");
    let test = mnist.test().select_classes(&[1, 7]).expect("1s and 7s");
    (train, test)
}

fn train_reference(train: &Dataset, seed: u64) -> Mlp {
    let mut mlp = Mlp::new(MlpConfig::new(784, [32, 64], 2), seed, &Device::Cpu).expect("model");
    let cfg = TrainConfig::new()
        .epochs(5)
        .batch_size(32)
        .optimizer(Optimizer::adam(1e-3))
        .seed(seed);
    let history = mlp.train(train, &cfg).expect("training");
    assert_eq!(history.epochs.len(), 5);
    assert_eq!(history.n_train, 1755);
    // the loss falls from the first to the last epoch
    assert!(
        history.epochs[4].loss < history.epochs[0].loss,
        "{history:?}"
    );
    mlp
}

#[test]
fn reference_accuracy_over_seeds_0_to_4() {
    let (train, test) = ones_and_sevens();
    assert_eq!((train.n_samples(), test.n_samples()), (1755, 442));
    let accs: Vec<f64> = (0..5)
        .map(|seed| {
            train_reference(&train, seed)
                .evaluate(&test)
                .expect("evaluation")
                .accuracy
        })
        .collect();
    let mean = accs.iter().sum::<f64>() / accs.len() as f64;
    eprintln!("test accuracies over seeds 0..4: {accs:?}, mean {mean:.4}");
    assert!(
        mean >= 0.990,
        "mean test accuracy {mean} < 0.990 ({accs:?})"
    );
    assert!(
        accs.iter().all(|&a| a >= 0.985),
        "a seed below 0.985: {accs:?}"
    );
}

#[test]
fn evaluation_is_consistent() {
    let (train, test) = ones_and_sevens();
    let mlp = train_reference(&train, 0);
    let eval = mlp.evaluate(&test).expect("evaluation");
    assert_eq!(eval.n_samples, 442);
    assert_eq!(eval.confusion.sum(), 442);
    let counts = test.class_counts();
    for (c, &count) in counts.iter().enumerate() {
        assert_eq!(eval.confusion.row(c).sum(), count);
        let acc = eval.per_class_accuracy[c].expect("both classes present");
        assert!((acc - eval.confusion[[c, c]] as f64 / count as f64).abs() < 1e-12);
    }
    let correct = eval.confusion[[0, 0]] + eval.confusion[[1, 1]];
    assert!((eval.accuracy - correct as f64 / 442.0).abs() < 1e-12);
    assert!(eval.loss.is_finite() && eval.loss > 0.0);
    // predictions agree with predict() and predict_proba()
    let pred = mlp.predict(test.features()).expect("predict");
    assert_eq!(pred, eval.predictions);
    let proba = mlp.predict_proba(test.features()).expect("proba");
    assert_eq!(proba.dim(), (442, 2));
    for row in proba.rows() {
        assert!((row.sum() - 1.0).abs() < 1e-5);
    }
}
