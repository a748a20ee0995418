//! The embedded 10,000 real MNIST digits: counts, shapes and known pixels.

use mtq_data::{MNIST_CLASSES, Mnist};

/// From `data/mnist-10k/README.md`.
const TRAIN_COUNTS: [usize; 10] = [805, 896, 797, 811, 789, 695, 805, 859, 767, 776];
const TEST_COUNTS: [usize; 10] = [196, 231, 194, 221, 191, 168, 209, 211, 177, 202];

#[test]
fn embedded_split_has_the_documented_shapes_and_class_counts() {
    let mnist = Mnist::embedded().unwrap();
    for (data, counts, n) in [
        (mnist.train(), TRAIN_COUNTS, 8000),
        (mnist.test(), TEST_COUNTS, 2000),
    ] {
        assert_eq!(data.n_samples(), n);
        assert_eq!(data.n_features(), 784);
        assert_eq!(data.image_shape(), Some((28, 28)));
        assert_eq!(data.n_classes(), MNIST_CLASSES);
        assert_eq!(data.class_counts(), counts);
        assert_eq!(data.ids().to_vec(), (0..n).collect::<Vec<_>>());
        assert!(data.features().iter().all(|&v| (0.0..=1.0).contains(&v)));
    }
}

/// Expected values read with the numpy reader of the Python reference pipeline:
/// `from idx import load_mnist; (xtr, ytr), (xte, yte) = load_mnist("…/mnist-10k")`
/// (`benches/reference/idx.py`), then `ytr[:12]`, `xtr[0][14]`, `xtr[0].sum()`, `(xtr[0] > 0).sum()`,
/// `xtr.sum()` and the same for the last training image and for the test set.
#[test]
fn embedded_pixels_and_labels_match_the_numpy_reader() {
    let mnist = Mnist::embedded().unwrap();
    let (train, test) = (mnist.train(), mnist.test());
    assert_eq!(
        train
            .labels()
            .slice_axis(ndarray::Axis(0), (0..12).into())
            .to_vec(),
        [9, 0, 2, 5, 2, 8, 5, 6, 2, 3, 1, 1]
    );
    assert_eq!(
        test.labels()
            .slice_axis(ndarray::Axis(0), (0..12).into())
            .to_vec(),
        [3, 9, 8, 3, 8, 2, 6, 2, 4, 6, 3, 9]
    );
    assert_eq!(train.labels()[7999], 0);
    assert_eq!(test.labels()[1999], 2);

    // Grey levels come back exactly as u8 * (1 / 255) rounded to f32.
    let grey = |v: f32| (v * 255.0).round() as u32;
    let row14 = |d: &mtq_data::Dataset, i: usize| {
        d.image(i)
            .unwrap()
            .row(14)
            .iter()
            .map(|&v| grey(v))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        row14(train, 0),
        [
            0, 0, 0, 0, 43, 233, 252, 252, 171, 83, 83, 57, 110, 128, 127, 216, 138, 235, 245, 252,
            126, 0, 0, 0, 0, 0, 0, 0
        ]
    );
    assert_eq!(
        row14(test, 0),
        [
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 96, 164, 244, 250, 222, 49, 0, 0, 0, 0, 0, 0, 0, 0, 0,
            0, 0
        ]
    );
    assert_eq!(grey(train.image(0).unwrap()[[7, 10]]), 4); // first non-zero pixel of train image 0
    assert_eq!(grey(test.image(1999).unwrap()[[4, 13]]), 57); // first non-zero pixel of the last test image

    let image_stats = |d: &mtq_data::Dataset, i: usize| {
        let row = d.features().row(i).to_owned();
        (
            row.iter().map(|&v| grey(v)).sum::<u32>(),
            row.iter().filter(|&&v| v > 0.0).count(),
        )
    };
    assert_eq!(image_stats(train, 0), (24359, 150));
    assert_eq!(image_stats(train, 7999), (26456, 172));
    assert_eq!(image_stats(test, 0), (11618, 78));
    assert_eq!(image_stats(test, 1999), (38436, 201));

    let total = |d: &mtq_data::Dataset| {
        d.features()
            .iter()
            .map(|&v| u64::from(grey(v)))
            .sum::<u64>()
    };
    assert_eq!(total(train), 209_476_587);
    assert_eq!(total(test), 52_670_013);
}

#[test]
fn ones_and_sevens_are_selected_and_relabelled() {
    let mnist = Mnist::embedded().unwrap();
    let d = mnist.test().select_classes(&[1, 7]).unwrap();
    assert_eq!(d.class_counts(), [TEST_COUNTS[1], TEST_COUNTS[7]]);
    assert!(
        d.ids()
            .iter()
            .zip(d.labels())
            .all(|(&id, &l)| mnist.test().labels()[id] == [1, 7][l])
    );
    assert!(
        d.features()
            .rows()
            .into_iter()
            .zip(d.ids())
            .all(|(row, &id)| row == mnist.test().features().row(id))
    );
}

#[test]
fn loading_only_some_digits_equals_selecting_them_from_the_whole_set() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/data/mnist-10k");
    let all = Mnist::from_dir(dir).unwrap();
    assert_eq!(all, Mnist::embedded().unwrap());
    let some = Mnist::from_dir_classes(dir, &[7, 1, 4]).unwrap();
    for (full, part, counts) in [
        (all.train(), some.train(), TRAIN_COUNTS),
        (all.test(), some.test(), TEST_COUNTS),
    ] {
        assert_eq!(part.n_samples(), counts[1] + counts[4] + counts[7]);
        assert_eq!(part.classes(), full.classes());
        assert_eq!(part.image_shape(), full.image_shape());
        for classes in [vec![1, 7], vec![4]] {
            let a = full.select_classes(&classes).unwrap();
            let b = part.select_classes(&classes).unwrap();
            assert_eq!(a, b, "classes {classes:?}");
        }
    }
    for (bad, what) in [
        (vec![], "no class given"),
        (vec![1, 1], "class 1 listed twice"),
        (vec![3, 10], "class 10"),
    ] {
        let err = Mnist::from_dir_classes(dir, &bad).unwrap_err().to_string();
        assert!(err.contains(what), "{err}");
        let err = Mnist::from_dir_splits(dir, &[1], &bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains(what), "{err}");
    }
    // one list per split: the training split without the unseen digit
    let split = Mnist::from_dir_splits(dir, &[1, 7], &[7, 1, 4]).unwrap();
    assert_eq!(split.test(), some.test());
    assert_eq!(
        split.train(),
        &Mnist::from_dir_classes(dir, &[1, 7])
            .unwrap()
            .train()
            .clone()
    );
}

#[test]
fn into_classes_equals_select_classes_and_keeps_the_features_when_all_stay() {
    let mnist = Mnist::embedded().unwrap();
    let ones_sevens = mnist.train().select_classes(&[1, 7]).unwrap();
    // every sample stays: relabelled in place, the same feature buffer
    let before = ones_sevens.features().as_ptr();
    let swapped = ones_sevens.clone().into_classes(&[7, 1]).unwrap();
    let mut swapped_copy = ones_sevens.select_classes(&[7, 1]).unwrap();
    assert_eq!(swapped, swapped_copy);
    let moved = ones_sevens.into_classes(&[7, 1]).unwrap();
    assert_eq!(moved.features().as_ptr(), before);
    // some samples go: as select_classes
    swapped_copy = mnist.test().select_classes(&[4]).unwrap();
    assert_eq!(
        mnist.test().clone().into_classes(&[4]).unwrap(),
        swapped_copy
    );
    let err = mnist
        .test()
        .clone()
        .into_classes(&[4, 4])
        .unwrap_err()
        .to_string();
    assert!(err.contains("class 4 listed twice"), "{err}");
}
