//! `mtq onnx`: the study of an ONNX classifier, every hidden layer tapped (feature `onnx`; without
//! it, a usage error saying how to build it).

use crate::args::OnnxArgs;
use crate::failure::Failure;
use crate::progress::Progress;

/// Runs `mtq onnx`.
#[cfg(not(feature = "onnx"))]
pub fn run(_args: &OnnxArgs, _progress: &Progress) -> Result<(), Failure> {
    Err(Failure::Usage(
        "mtq onnx: this mtq was built without ONNX support; rebuild it with \
         `cargo install --path crates/mtq-cli --features onnx`"
            .into(),
    ))
}

/// Runs `mtq onnx`.
#[cfg(feature = "onnx")]
pub fn run(args: &OnnxArgs, progress: &Progress) -> Result<(), Failure> {
    use mtq_activations::{LayerModel, OnnxModel};
    use mtq_report::{Report, ReportMeta, Thumbnails};
    use mtq_signature::pipeline::MnistStudy;

    use crate::arrays;
    use crate::mnist::{fact, run_seeds, sampled_silhouette_fact};
    use crate::output;

    let out = output::prepare(&args.study.out)?;
    let seeds = args.seeds.list();
    let model = match &args.layers {
        None => OnnxModel::load(&args.model)?,
        Some(layers) => OnnxModel::load_with_hidden(&args.model, layers)?,
    }
    .with_conv_tap(args.conv_tap.tap());
    let taps: Vec<String> = model.layers().into_iter().map(|s| s.name).collect();
    progress.say(&format!(
        "model: {}, input {:?}, taps {}",
        args.model.display(),
        model.input_shape(),
        taps.join(", ")
    ));
    let base = MnistStudy {
        k_min: args.study.k_min,
        k_max: args.study.k_max,
        silhouette_sample: args.study.silhouette_sample,
        ..MnistStudy::new()
    };
    let (study, data, source) = match arrays::load(&args.arrays, seeds[0], false)? {
        Some((data, names)) => {
            let study = MnistStudy {
                classes: (0..names.len()).collect(),
                unseen: Vec::new(),
                names: Some(names),
                ..base
            };
            let source = args
                .arrays
                .x
                .as_ref()
                .map_or_else(String::new, |x| x.display().to_string());
            (study, data, source)
        }
        None => {
            let study = MnistStudy {
                classes: args.digits.classes.clone(),
                unseen: args.digits.inject().map_err(Failure::Usage)?,
                mnist_dir: args.mnist_dir.clone(),
                ..base
            };
            let data = study.load()?;
            let source = match &args.mnist_dir {
                Some(_) => "MNIST",
                None => "embedded MNIST sample",
            };
            let source = format!("{source}, digits {}", ReportMeta::digits(&study.classes));
            (study, data, source)
        }
    };
    progress.say(&format!(
        "data: {source}: {} reference and {} test samples of {} features; unseen: {}",
        data.train.n_samples(),
        data.test.n_samples(),
        data.train.n_features(),
        data.unseen.len()
    ));
    let given = Some((&model as &(dyn LayerModel + Sync), args.model.as_path()));
    let thumbnails = args.arrays.x.is_none().then(|| Thumbnails::mnist(&data));
    let (runs, stability) = run_seeds(&study, data, &seeds, given, progress)?;
    let first = &runs[0];
    let name = args.model.file_name().map_or_else(
        || args.model.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let mut meta = ReportMeta::new(format!(
        "MTQ Paths: {name} on {source}, seed {}",
        first.result.seed
    ));
    meta.reference_name = "reference".into();
    meta.facts = vec![
        fact("model", args.model.display().to_string()),
        fact("taps", taps.join(", ")),
        fact(
            "network",
            first
                .network
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(" -> "),
        ),
        fact("data", source),
        fact(
            "K range",
            format!("{} to {}", args.study.k_min, args.study.k_max),
        ),
    ];
    meta.thumbnails = thumbnails;
    if let Some(size) = args.study.silhouette_sample {
        meta.facts
            .push(sampled_silhouette_fact(size, first.result.seed));
    }
    let report = Report::new(&first.model, &first.result, &meta, stability.as_ref());
    output::finish(&out, &report, progress)
}
