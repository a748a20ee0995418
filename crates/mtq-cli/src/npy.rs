//! `mtq npy`: the study of activations exported as `.npy` files.

use mtq_report::{Fact, Report, ReportMeta};
use mtq_signature::{NpySet, SignatureParams, SilhouetteMode, StudyInput, UnseenSet};

use crate::args::NpyArgs;
use crate::failure::Failure;
use crate::output;
use crate::progress::Progress;

/// Runs `mtq npy`.
pub fn run(args: &NpyArgs, progress: &Progress) -> Result<(), Failure> {
    let out = output::prepare(&args.study.out)?;
    let mut reference = NpySet::read(&args.reference, &args.layers)?;
    if reference.labels.is_none() {
        return Err(Failure::Usage(format!(
            "--reference {}: the reference set needs {}_labels.npy",
            args.reference.display(),
            args.reference.display()
        )));
    }
    let mut test = args
        .test
        .as_ref()
        .map(|p| NpySet::read(p, &args.layers))
        .transpose()?;
    // Without --classes, the classes are the label values the reference has (labels 1 and 7
    // make two classes named "1" and "7", not eight of which six are empty).
    let classes = match &args.classes {
        Some(c) => c.clone(),
        None => {
            let values = reference.label_values();
            reference.relabel("reference", &values)?;
            if let Some(t) = &mut test {
                t.relabel("test", &values)?;
            }
            values.iter().map(usize::to_string).collect()
        }
    };
    let n_reference = reference.labels.as_ref().map_or(0, |l| l.len());
    let unseen = args
        .unseen
        .iter()
        .map(|(n, p)| Ok((n.clone(), NpySet::read(p, &args.layers)?)))
        .collect::<Result<Vec<_>, mtq_signature::SignatureError>>()?;
    progress.say(&format!(
        "read {} reference samples over layers {}",
        n_reference,
        args.layers.join(", ")
    ));
    let model = SignatureParams::new(args.layers.clone(), classes)
        .k_range(args.study.k_min, args.study.k_max)
        .seed(args.seed)
        .silhouette(match args.study.silhouette_sample {
            Some(size) => SilhouetteMode::Sampled {
                size,
                seed: args.seed,
            },
            None => SilhouetteMode::Auto,
        })
        .fit(&reference.samples())?;
    progress.say(&format!(
        "chose K per layer by silhouette: {}",
        model
            .layers()
            .iter()
            .map(|l| match l.curve().chosen_silhouette() {
                Some(s) => format!("{} K={} ({s:.3})", l.name(), l.k()),
                None => format!("{} constant (K undefined)", l.name()),
            })
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let input = StudyInput {
        seed: args.seed,
        test_accuracy: None,
        reference: reference.samples(),
        test: test.as_ref().map(NpySet::samples),
        unseen: unseen
            .iter()
            .map(|(n, s)| UnseenSet {
                name: n.clone(),
                samples: s.samples(),
            })
            .collect(),
    };
    let result = model.study(&input)?;
    let mut meta = ReportMeta::new(format!("MTQ Paths from .npy: {}", args.reference.display()));
    meta.facts.push(Fact {
        label: "source".into(),
        value: args.reference.display().to_string(),
    });
    if let Some(size) = args.study.silhouette_sample {
        meta.facts
            .push(crate::mnist::sampled_silhouette_fact(size, args.seed));
    }
    let report = Report::new(&model, &result, &meta, None);
    output::finish(&out, &report, progress)
}
