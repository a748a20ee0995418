//! `mtq npy`: the study of activations exported as `.npy` files.

use mtq_report::{Fact, Report, ReportMeta, sentences, write_report};
use mtq_signature::{NpySet, SignatureParams, StudyInput, UnseenSet};

use crate::args::NpyArgs;
use crate::failure::Failure;
use crate::output;
use crate::progress::Progress;

/// Runs `mtq npy`.
pub fn run(args: &NpyArgs, progress: &Progress) -> Result<(), Failure> {
    let out = output::prepare(&args.study.out)?;
    let reference = NpySet::read(&args.reference, &args.layers)?;
    let labels = reference.labels.as_ref().ok_or_else(|| {
        Failure::Usage(format!(
            "--reference {}: the reference set needs {}_labels.npy",
            args.reference.display(),
            args.reference.display()
        ))
    })?;
    let classes = match &args.classes {
        Some(c) => c.clone(),
        None => {
            let n = labels.iter().max().map_or(0, |m| m + 1);
            (0..n).map(|c| c.to_string()).collect()
        }
    };
    let test = args
        .test
        .as_ref()
        .map(|p| NpySet::read(p, &args.layers))
        .transpose()?;
    let unseen = args
        .unseen
        .iter()
        .map(|(n, p)| Ok((n.clone(), NpySet::read(p, &args.layers)?)))
        .collect::<Result<Vec<_>, mtq_signature::SignatureError>>()?;
    progress.say(&format!(
        "read {} reference samples over layers {}",
        labels.len(),
        args.layers.join(", ")
    ));
    let model = SignatureParams::new(args.layers.clone(), classes)
        .k_range(args.study.k_min, args.study.k_max)
        .seed(args.seed)
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
    let report = Report::new(&model, &result, &meta, None);
    let files = write_report(&out, &report)?;
    progress.say(&format!("wrote the report in {}", out.display()));
    for line in sentences::headlines(&report.data) {
        println!("{line}");
    }
    println!("report: {}", files.html.display());
    Ok(())
}
