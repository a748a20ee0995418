//! `mtq mnist`: the MNIST study, one seed or several.

use mtq_model::Device;
use mtq_report::{Report, ReportMeta};
use mtq_signature::pipeline::{MnistStudy, Stage, StudyData, StudyRun};
use mtq_signature::{Stability, stability};

use crate::args::{DeviceArg, MnistArgs};
use crate::failure::Failure;
use crate::output;
use crate::progress::Progress;

/// Runs `mtq mnist`.
pub fn run(args: &MnistArgs, progress: &Progress) -> Result<(), Failure> {
    let out = output::prepare(&args.study.out)?;
    let study = MnistStudy {
        classes: args.train.classes.clone(),
        unseen: args.train.inject().map_err(Failure::Usage)?,
        hidden: args.train.hidden.clone(),
        epochs: args.epochs,
        k_min: args.study.k_min,
        k_max: args.study.k_max,
        mnist_dir: args.mnist_dir.clone(),
        device: device(args.device)?,
        names: None,
    };
    let data = study.load()?;
    progress.say(&format!(
        "data: {} training and {} test images of {}; unseen: {}",
        data.train.n_samples(),
        data.test.n_samples(),
        ReportMeta::digits(&study.classes),
        data.unseen
            .iter()
            .map(|(d, s)| format!("{} {d}s", s.n_samples()))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let (runs, stability) = run_seeds(&study, &data, &args.train.seeds(), progress)?;
    let first = &runs[0];
    let meta = ReportMeta::mnist(&study, &data, first);
    let report = Report::new(&first.model, &first.result, &meta, stability.as_ref());
    output::finish(&out, &report, progress)
}

/// Runs the study once per seed, and their stability when there are several.
pub fn run_seeds(
    study: &MnistStudy,
    data: &StudyData,
    seeds: &[u64],
    progress: &Progress,
) -> Result<(Vec<StudyRun>, Option<Stability>), Failure> {
    let runs = seeds
        .iter()
        .map(|&seed| study.run(data, seed, &mut |s| progress.say(&stage(&s))))
        .collect::<Result<Vec<StudyRun>, _>>()?;
    let stability = if runs.len() > 1 {
        let pairs: Vec<_> = runs.iter().map(|r| (&r.model, &r.result)).collect();
        Some(stability(&pairs)?)
    } else {
        None
    };
    Ok((runs, stability))
}

/// The device asked for; CUDA only in a build with the `cuda` feature.
pub fn device(d: DeviceArg) -> Result<Device, Failure> {
    match d {
        DeviceArg::Cpu => Ok(Device::Cpu),
        DeviceArg::Cuda if cfg!(feature = "cuda") => Ok(Device::new_cuda(0)?),
        DeviceArg::Cuda => Err(Failure::Usage(
            "--device cuda: this mtq was built without CUDA; rebuild it with \
             `cargo install --path crates/mtq-cli --features cuda`"
                .into(),
        )),
    }
}

/// One progress line per stage.
fn stage(s: &Stage) -> String {
    match s {
        Stage::Trained { seed, accuracy } => {
            format!("seed {seed}: trained, test accuracy {accuracy:.4}")
        }
        Stage::Extracted { seed, layers } => {
            format!("seed {seed}: extracted layers {}", layers.join(", "))
        }
        Stage::Fitted { seed, ks } => format!(
            "seed {seed}: chose K per layer by silhouette: {}",
            ks.iter()
                .map(|(l, k, s)| match s {
                    Some(s) => format!("{l} K={k} ({s:.3})"),
                    None => format!("{l} constant (K undefined)"),
                })
                .collect::<Vec<_>>()
                .join(", ")
        ),
        Stage::Studied { seed, n_scores } => {
            format!("seed {seed}: traced, scored and evaluated {n_scores} scores")
        }
        other => format!("{other:?}"),
    }
}
