//! IDX write-then-read round trips (raw and gzip, memory and files) and scaling round trips.

mod common;

use common::{TempDir, gzip, image_bytes, images, label_bytes, labels};
use mtq_data::idx::{
    read_images, read_images_file, read_labels, read_labels_file, write_images_file,
    write_labels_file,
};
use mtq_data::{Mnist, MnistPaths, Scaler, TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS};
use ndarray::{Array2, array};

#[test]
fn images_and_labels_round_trip_in_memory_raw_and_gzip() {
    for (n, rows, cols) in [(0, 28, 28), (1, 1, 1), (37, 28, 28), (5, 3, 7)] {
        let imgs = images(n, rows, cols);
        let raw = image_bytes(&imgs);
        assert_eq!(raw.len(), 16 + n * rows * cols);
        assert_eq!(read_images(&raw[..], "raw").unwrap(), imgs);
        assert_eq!(read_images(&gzip(&raw)[..], "x.gz").unwrap(), imgs);
        let labs = labels(n);
        let raw = label_bytes(&labs);
        assert_eq!(read_labels(&raw[..], "raw").unwrap(), labs);
        assert_eq!(read_labels(&gzip(&raw)[..], "x.gz").unwrap(), labs);
    }
}

#[test]
fn concatenated_gzip_members_are_read_as_one_stream() {
    let raw = image_bytes(&images(9, 4, 4));
    let (a, b) = raw.split_at(50);
    let two = [gzip(a), gzip(b)].concat();
    assert_eq!(read_images(&two[..], "two.gz").unwrap(), images(9, 4, 4));
}

#[test]
fn files_round_trip_and_load_as_mnist_from_a_directory() {
    let dir = TempDir::new("roundtrip");
    let (train_imgs, test_imgs) = (images(30, 28, 28), images(10, 28, 28));
    // Mixed: gzip and raw files, as the directory lookup allows.
    write_images_file(dir.0.join(format!("{TRAIN_IMAGES}.gz")), &train_imgs).unwrap();
    write_labels_file(dir.0.join(format!("{TRAIN_LABELS}.gz")), labels(30).view()).unwrap();
    write_images_file(dir.0.join(TEST_IMAGES), &test_imgs).unwrap();
    write_labels_file(dir.0.join(TEST_LABELS), labels(10).view()).unwrap();

    let paths = MnistPaths::in_dir(&dir.0).unwrap();
    assert!(paths.train_images.to_string_lossy().ends_with(".gz"));
    assert!(!paths.test_images.to_string_lossy().ends_with(".gz"));
    let gz = std::fs::read(&paths.train_images).unwrap();
    assert_eq!(&gz[..2], [0x1f, 0x8b]);
    assert_eq!(read_images_file(&paths.train_images).unwrap(), train_imgs);
    assert_eq!(read_labels_file(&paths.test_labels).unwrap(), labels(10));

    let mnist = Mnist::from_dir(&dir.0).unwrap();
    assert_eq!(mnist, Mnist::from_paths(&paths).unwrap());
    let (train, test) = mnist.into_split();
    assert_eq!((train.n_samples(), test.n_samples()), (30, 10));
    assert_eq!(train.features(), train_imgs.to_unit_f32());
    assert_eq!(
        test.labels().to_vec(),
        labels(10)
            .iter()
            .map(|&l| usize::from(l))
            .collect::<Vec<_>>()
    );
    assert_eq!(test.image_shape(), Some((28, 28)));
}

#[test]
fn embedded_sample_round_trips_through_the_writer() {
    let mnist = Mnist::embedded().unwrap();
    let test = mnist.test();
    let pixels: Array2<u8> = test.features().mapv(|v| (v * 255.0).round() as u8);
    let imgs = mtq_data::IdxImages::new(pixels, 28, 28).unwrap();
    let labs = test.labels().mapv(|l| l as u8);
    let back = Mnist::from_readers(
        &gzip(&image_bytes(&imgs))[..],
        &label_bytes(&labs)[..],
        &image_bytes(&imgs)[..],
        &gzip(&label_bytes(&labs))[..],
    )
    .unwrap();
    assert_eq!(back.train(), test);
    assert_eq!(back.test(), test);
}

#[test]
fn scalers_fit_on_one_set_apply_to_another_and_invert() {
    let train = array![[0.0f32, 10.0, 5.0], [2.0, 30.0, 5.0], [4.0, 20.0, 5.0]];
    let test = array![[1.0f32, 40.0, 6.0]];
    let mm = Scaler::min_max(train.view()).unwrap();
    assert_eq!(
        mm.transform(train.view()).unwrap(),
        array![[0.0, 0.0, 0.0], [0.5, 1.0, 0.0], [1.0, 0.5, 0.0]]
    );
    assert_eq!(mm.transform(test.view()).unwrap(), array![[0.25, 1.5, 1.0]]);

    let st = Scaler::standard(train.view()).unwrap();
    let z = st.transform(train.view()).unwrap();
    for col in z.columns().into_iter().take(2) {
        let mean = col.sum() / 3.0;
        let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 3.0;
        assert!(
            mean.abs() < 1e-6 && (var - 1.0).abs() < 1e-5,
            "{mean} {var}"
        );
    }
    assert_eq!(z.column(2).to_vec(), [0.0, 0.0, 0.0]); // constant feature: centred only
    assert_eq!(st.n_features(), Some(3));
    let back = st
        .inverse_transform(st.transform(test.view()).unwrap().view())
        .unwrap();
    assert!(back.iter().zip(&test).all(|(a, b)| (a - b).abs() < 1e-4));

    let px = Scaler::range(0.0, 255.0).unwrap();
    assert_eq!(px.n_features(), None);
    assert_eq!(
        px.transform(array![[0.0f32, 51.0, 255.0]].view()).unwrap(),
        array![[0.0, 0.2, 1.0]]
    );
}
