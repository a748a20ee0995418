//! `mtq data`: the study on the other real data sets shipped with `mtq-data`.

use mtq_data::{BreastCancer, Dataset, UciDigits};
use mtq_report::{Fact, Report, ReportMeta, Thumbnails};
use mtq_signature::pipeline::{MnistStudy, StudyData};

use crate::args::{DataArgs, DataSet};
use crate::failure::Failure;
use crate::mnist::{device, run_seeds};
use crate::output;
use crate::progress::Progress;

/// Fraction of each class held out as the test set.
const TEST_FRACTION: f64 = 0.25;

/// Runs `mtq data`.
pub fn run(args: &DataArgs, progress: &Progress) -> Result<(), Failure> {
    let out = output::prepare(&args.study.out)?;
    let seeds = args.train.seeds();
    let split_seed = seeds[0];
    let (data, names, what) = match args.dataset {
        DataSet::UciDigits => {
            let digits = UciDigits::embedded()?;
            let learned = digits.select_classes(&args.train.classes)?;
            let (train, test) = learned.stratified_split(TEST_FRACTION, split_seed)?;
            let unseen = args
                .train
                .inject()
                .map_err(Failure::Usage)?
                .iter()
                .map(|&d| Ok((d.to_string(), digits.select_classes(&[d])?)))
                .collect::<Result<Vec<(String, Dataset)>, mtq_data::DataError>>()?;
            let names = args.train.classes.iter().map(usize::to_string).collect();
            (
                StudyData {
                    train,
                    test,
                    unseen,
                },
                names,
                "UCI 8x8 digits",
            )
        }
        DataSet::BreastCancer => {
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
            (data, names, "Breast Cancer Wisconsin")
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
        mnist_dir: None,
        device: device(crate::args::DeviceArg::Cpu)?,
        names: Some(names),
    };
    let (runs, stability) = run_seeds(&study, &data, &seeds, progress)?;
    let first = &runs[0];
    let network = first
        .network
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>();
    let mut meta = ReportMeta::new(format!("MTQ Paths: {what}, seed {}", first.result.seed));
    meta.reference_name = "train".into();
    if args.dataset == DataSet::UciDigits {
        let side = UciDigits::SIDE;
        meta.thumbnails = Some(Thumbnails::images(&data, side, side));
    }
    meta.facts = vec![
        Fact {
            label: "network".into(),
            value: network.join(" -> "),
        },
        Fact {
            label: "epochs".into(),
            value: args.epochs.to_string(),
        },
        Fact {
            label: "K range".into(),
            value: format!("{} to {}", args.study.k_min, args.study.k_max),
        },
    ];
    let report = Report::new(&first.model, &first.result, &meta, stability.as_ref());
    output::finish(&out, &report, progress)
}
