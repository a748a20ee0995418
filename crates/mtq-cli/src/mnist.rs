//! `mtq mnist`: the MNIST study, one seed or several, of the MLP or the CNN trained here or of
//! an MLP trained elsewhere (`--weights`).

use std::path::Path;

use mtq_activations::LayerModel;
use mtq_model::{Activation, Device, Mlp, WeightLayout};
use mtq_report::{Fact, Report, ReportMeta, Thumbnails};
use mtq_signature::pipeline::{MnistStudy, ModelKind, Stage, StudyData, StudyRun};
use mtq_signature::{SignatureError, Stability, stability};

use crate::args::{ActivationArg, DeviceArg, LayoutArg, MnistArgs, ModelArg};
use crate::failure::Failure;
use crate::output;
use crate::progress::Progress;

/// Runs `mtq mnist`.
pub fn run(args: &MnistArgs, progress: &Progress) -> Result<(), Failure> {
    let out = output::prepare(&args.study.out)?;
    let device = device(args.device)?;
    let (model, default_epochs) = match args.model {
        ModelArg::Mlp => (ModelKind::Mlp, 5),
        ModelArg::Cnn => (ModelKind::Cnn, 10),
    };
    let study = MnistStudy {
        classes: args.train.digits.classes.clone(),
        unseen: args.train.digits.inject().map_err(Failure::Usage)?,
        model,
        hidden: args.train.hidden.clone(),
        conv_tap: args.conv_tap.tap(),
        epochs: args.epochs.unwrap_or(default_epochs),
        k_min: args.study.k_min,
        k_max: args.study.k_max,
        silhouette_sample: args.study.silhouette_sample,
        mnist_dir: args.mnist_dir.clone(),
        device: device.clone(),
        names: None,
    };
    // Weights trained elsewhere are read (and refused) before the data is loaded.
    let given = match &args.weights {
        Some(path) => Some(load_weights(path, args, &device)?),
        None => None,
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
    let given = given
        .as_ref()
        .zip(args.weights.as_deref())
        .map(|(m, p)| (m as &(dyn LayerModel + Sync), p));
    let thumbnails = Thumbnails::mnist(&data);
    let (runs, stability) = run_seeds(&study, data, &args.train.seeds.list(), given, progress)?;
    let first = &runs[0];
    let mut meta = ReportMeta::mnist_without_images(&study, first);
    meta.thumbnails = Some(thumbnails);
    if let Some(path) = &args.weights {
        meta.facts.retain(|f| f.label != "epochs");
        meta.facts
            .insert(1, fact("weights", path.display().to_string()));
    } else if args.model == ModelArg::Cnn {
        let tap = match args.conv_tap {
            crate::args::ConvTapArg::Mean => "channel means",
            crate::args::ConvTapArg::Flatten => "flattened maps",
        };
        meta.facts.insert(
            0,
            fact("model", format!("LeNet-style CNN, convolutions as {tap}")),
        );
    }
    if let Some(size) = study.silhouette_sample {
        meta.facts
            .push(sampled_silhouette_fact(size, first.result.seed));
    }
    let report = Report::new(&first.model, &first.result, &meta, stability.as_ref());
    output::finish(&out, &report, progress)
}

/// Reads `--weights` into an MLP; the `--weight-layout` and `--activation` asked for.
fn load_weights(path: &Path, args: &MnistArgs, device: &Device) -> Result<Mlp, Failure> {
    let layout = match args.weight_layout {
        LayoutArg::OutIn => WeightLayout::OutIn,
        LayoutArg::InOut => WeightLayout::InOut,
    };
    let activation = match args.activation {
        ActivationArg::Relu => Activation::Relu,
        ActivationArg::Tanh => Activation::Tanh,
        ActivationArg::Sigmoid => Activation::Sigmoid,
        ActivationArg::Gelu => Activation::Gelu,
    };
    let (mlp, _) = Mlp::from_state_dict(path, activation, layout, device)?;
    Ok(mlp)
}

/// The report's fact saying each K's silhouette was estimated on `size` sampled rows (the
/// approximation `--silhouette-sample` opts into), seeded by `seed`.
pub fn sampled_silhouette_fact(size: usize, seed: u64) -> Fact {
    fact(
        "silhouette",
        format!(
            "estimated on {size} sampled reference rows per K (seed {seed}; --silhouette-sample)"
        ),
    )
}

/// A fact line of the report.
pub fn fact(label: &str, value: String) -> Fact {
    Fact {
        label: label.into(),
        value,
    }
}

/// Runs the study once per seed (training its network, or studying `given`: a model and the
/// file it came from, named in a mismatch error), and their stability when there are several.
/// `data` is dropped once the last seed's layers are extracted: the clustering, tracing and
/// scoring need only the activations.
pub fn run_seeds(
    study: &MnistStudy,
    data: StudyData,
    seeds: &[u64],
    given: Option<(&(dyn LayerModel + Sync), &Path)>,
    progress: &Progress,
) -> Result<(Vec<StudyRun>, Option<Stability>), Failure> {
    let mut say = |s: Stage| progress.say(&stage(&s));
    let extract = |seed: u64, data: &StudyData, say: &mut dyn FnMut(Stage)| match given {
        None => study.extract(data, seed, say).map_err(Failure::from),
        Some((model, path)) => study
            .extract_model(model, data, seed, say)
            .map_err(|e| match e {
                e @ SignatureError::ModelMismatch { .. } => {
                    Failure::Usage(format!("{}: {e}", path.display()))
                }
                e => Failure::from(e),
            }),
    };
    let Some((&last, before)) = seeds.split_last() else {
        return Err(Failure::Usage("no seed to run".into()));
    };
    let mut runs = Vec::with_capacity(seeds.len());
    for &seed in before {
        let extracted = extract(seed, &data, &mut say)?;
        runs.push(study.study(extracted, &mut say)?);
    }
    let extracted = extract(last, &data, &mut say)?;
    drop(data);
    runs.push(study.study(extracted, &mut say)?);
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
        Stage::Evaluated {
            seed,
            accuracy: Some(accuracy),
        } => format!("seed {seed}: given model, test accuracy {accuracy:.4}"),
        Stage::Evaluated { seed, .. } => {
            format!("seed {seed}: given model, no probabilities (no accuracy)")
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
