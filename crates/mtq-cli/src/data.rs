//! `mtq data`: the study on the other real data sets shipped with `mtq-data`, or on the user's
//! own arrays.

use mtq_data::{BreastCancer, Dataset, UciDigits};
use mtq_report::{Report, ReportMeta, Thumbnails};
use mtq_signature::pipeline::{MnistStudy, StudyData};

use crate::args::{DataArgs, DataSet};
use crate::arrays::{self, TEST_FRACTION};
use crate::failure::Failure;
use crate::mnist::{fact, run_seeds, sampled_silhouette_fact};
use crate::output;
use crate::progress::Progress;

/// Runs `mtq data`.
pub fn run(args: &DataArgs, progress: &Progress) -> Result<(), Failure> {
    let out = output::prepare(&args.study.out)?;
    let seeds = args.train.seeds.list();
    let split_seed = seeds[0];
    let (data, names, what) = match args.dataset {
        Some(DataSet::UciDigits) => {
            let digits = UciDigits::embedded()?;
            let learned = digits.select_classes(&args.train.digits.classes)?;
            let (train, test) = learned.stratified_split(TEST_FRACTION, split_seed)?;
            let unseen = args
                .train
                .digits
                .inject()
                .map_err(Failure::Usage)?
                .iter()
                .map(|&d| Ok((d.to_string(), digits.select_classes(&[d])?)))
                .collect::<Result<Vec<(String, Dataset)>, mtq_data::DataError>>()?;
            let names = args
                .train
                .digits
                .classes
                .iter()
                .map(usize::to_string)
                .collect();
            (
                StudyData {
                    train,
                    test,
                    unseen,
                },
                names,
                "UCI 8x8 digits".to_owned(),
            )
        }
        Some(DataSet::BreastCancer) => {
            let split = BreastCancer::embedded()?
                .stratified_split_standardized(TEST_FRACTION, split_seed)?;
            let names = BreastCancer::CLASS_NAMES
                .iter()
                .map(|s| s.to_string())
                .collect();
            let data = StudyData {
                train: split.train,
                test: split.test,
                unseen: Vec::new(),
            };
            (data, names, "Breast Cancer Wisconsin".to_owned())
        }
        None => {
            let (data, names) = arrays::load(&args.arrays, split_seed, true)?
                .ok_or_else(|| Failure::Usage("give --dataset, or --x and --y".into()))?;
            let what = args
                .arrays
                .x
                .as_ref()
                .map_or_else(String::new, |x| x.display().to_string());
            (data, names, what)
        }
    };
    progress.say(&format!(
        "data: {what}, {} training and {} test samples of {} features; unseen: {}",
        data.train.n_samples(),
        data.test.n_samples(),
        data.train.n_features(),
        data.unseen.len()
    ));
    let study = MnistStudy {
        classes: (0..data.train.classes().len()).collect(),
        unseen: Vec::new(),
        hidden: args.train.hidden.clone(),
        epochs: args.epochs,
        k_min: args.study.k_min,
        k_max: args.study.k_max,
        silhouette_sample: args.study.silhouette_sample,
        names: Some(names),
        ..MnistStudy::new()
    };
    let thumbnails = (args.dataset == Some(DataSet::UciDigits))
        .then(|| Thumbnails::images(&data, UciDigits::SIDE, UciDigits::SIDE));
    let (runs, stability) = run_seeds(&study, data, &seeds, None, progress)?;
    let first = &runs[0];
    let network = first
        .network
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>();
    let mut meta = ReportMeta::new(format!("MTQ Paths: {what}, seed {}", first.result.seed));
    meta.reference_name = "train".into();
    meta.thumbnails = thumbnails;
    meta.facts = vec![
        fact("network", network.join(" -> ")),
        fact("epochs", args.epochs.to_string()),
        fact(
            "K range",
            format!("{} to {}", args.study.k_min, args.study.k_max),
        ),
    ];
    if let Some(size) = args.study.silhouette_sample {
        meta.facts
            .push(sampled_silhouette_fact(size, first.result.seed));
    }
    let report = Report::new(&first.model, &first.result, &meta, stability.as_ref());
    output::finish(&out, &report, progress)
}
