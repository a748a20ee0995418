//! The K sweep's sampled silhouette (scikit-learn's `sample_size` semantics): same chosen K as
//! the exact sweep on blobs, equal to `silhouette_score_sampled` per K, a standard error that
//! covers the exact value, the mode rules, and thread-count independence; and the sampled fit
//! of wide rows (the GEMM route) independent of the thread count too.

use mtq_cluster::{
    ClusterError, FitRows, KMeansSettings, KRange, KSweepParams, SilhouetteMode,
    silhouette_score_sampled,
};
use mtq_testkit::make_blobs;

#[test]
fn sampled_and_exact_sweeps_choose_the_same_k_on_blobs() {
    for (seed, centers) in [(3u64, 5usize), (4, 7)] {
        let (x, _) = make_blobs(4000, 16, centers, 1.5, 10.0, seed).unwrap();
        let params = KSweepParams::new(KRange::new(2, 9).unwrap())
            .kmeans(KMeansSettings::new().n_init(3).seed(seed));
        let exact = params
            .clone()
            .silhouette(SilhouetteMode::Exact)
            .fit(x.view())
            .unwrap();
        let sampled = params
            .silhouette(SilhouetteMode::Sampled { size: 800, seed: 9 })
            .fit(x.view())
            .unwrap();
        assert_eq!(exact.silhouette_sample_size(), None);
        assert_eq!(sampled.silhouette_sample_size(), Some(800));
        assert_eq!(exact.best_k(), centers, "exact, seed {seed}");
        assert_eq!(sampled.best_k(), exact.best_k(), "seed {seed}");
        for (e, s) in exact.scores().iter().zip(sampled.scores()) {
            assert_eq!(e.k, s.k);
            // same fits; the silhouette moves by a few standard errors at most
            assert_eq!(e.inertia, s.inertia);
            assert_eq!(e.silhouette_std_error, 0.0);
            assert!(s.silhouette_std_error > 0.0 && s.silhouette_std_error < 0.05);
            assert!(
                (e.silhouette - s.silhouette).abs() < 5.0 * s.silhouette_std_error + 0.01,
                "k {}: exact {} sampled {} ± {}",
                e.k,
                e.silhouette,
                s.silhouette,
                s.silhouette_std_error
            );
            // scikit-learn's semantics: the silhouette of the drawn rows
            let alone = silhouette_score_sampled(x.view(), s.model.labels(), 800, 9).unwrap();
            assert!(
                (alone - s.silhouette).abs() < 1e-6,
                "k {}: {alone} vs {}",
                s.k,
                s.silhouette
            );
        }
    }
}

#[test]
fn sample_mode_rules() {
    let (x, _) = make_blobs(300, 4, 3, 0.5, 10.0, 1).unwrap();
    let base =
        KSweepParams::new(KRange::new(2, 4).unwrap()).kmeans(KMeansSettings::new().n_init(2));
    // Auto below the documented size is exact; so is a sample as large as the data
    let auto = base.clone().fit(x.view()).unwrap();
    let exact = base
        .clone()
        .silhouette(SilhouetteMode::Exact)
        .fit(x.view())
        .unwrap();
    let whole = base
        .clone()
        .silhouette_sample(Some(300))
        .fit(x.view())
        .unwrap();
    assert_eq!(auto, exact);
    assert_eq!(whole, exact);
    assert!(matches!(
        base.clone().silhouette_sample(Some(1)).fit(x.view()),
        Err(ClusterError::InvalidSampleSize { sample_size: 1, .. })
    ));
    let sampled = base.silhouette_sample(Some(120)).fit(x.view()).unwrap();
    assert_eq!(sampled.silhouette_sample_size(), Some(120));
    assert_ne!(sampled.best().silhouette, exact.best().silhouette);
}

#[test]
fn sampled_sweep_does_not_depend_on_the_thread_count() {
    let (x, _) = make_blobs(3000, 8, 4, 1.0, 10.0, 2).unwrap();
    let run = || {
        KSweepParams::new(KRange::new(2, 6).unwrap())
            .kmeans(KMeansSettings::new().n_init(2))
            .silhouette_sample(Some(700))
            .fit(x.view())
            .unwrap()
            .scores()
            .iter()
            .flat_map(|s| [s.silhouette.to_bits(), s.silhouette_std_error.to_bits()])
            .collect::<Vec<u64>>()
    };
    let pool = |t: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .expect("rayon pool")
    };
    assert_eq!(pool(1).install(run), pool(2).install(run));
}

#[test]
fn a_wide_sampled_sweep_does_not_depend_on_the_thread_count() {
    // 160 features: the GEMM route; the restarts on a sample, refined on every row
    let (x, _) = make_blobs(2500, 160, 4, 1.0, 10.0, 5).unwrap();
    let run = || {
        KSweepParams::new(KRange::new(2, 6).unwrap())
            .kmeans(KMeansSettings::new().n_init(3).seed(1))
            .fit_rows(FitRows::Sampled { size: 700, seed: 1 })
            .silhouette_sample(Some(900))
            .fit(x.view())
            .unwrap()
    };
    let pool = |t: usize| {
        rayon::ThreadPoolBuilder::new()
            .num_threads(t)
            .build()
            .expect("rayon pool")
    };
    let (one, two) = (pool(1).install(run), pool(2).install(run));
    assert_eq!(one.fit_sample_size(), Some(700));
    assert_eq!(one.best_k(), 4);
    assert_eq!(one, two);
}
