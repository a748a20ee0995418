//! `mtq compare`: run a plan's studies in one process (or read finished reports), compare them
//! in the library and write compare.html, compare.json and each study's report.

use std::error::Error;
use std::path::Path;

use mtq_report::{CompareReport, Report, StudyLink};
use mtq_signature::compare::{CompareParams, StudyFacts, compare as compare_studies};

use crate::args::CompareArgs;
use crate::failure::Failure;
use crate::output;
use crate::plan;
use crate::progress::Progress;
use crate::to_study;

/// A study of the plan that failed, with its cause.
#[derive(Debug)]
struct InStudy {
    name: String,
    source: Box<dyn Error>,
}

impl std::fmt::Display for InStudy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "study `{}` failed", self.name)
    }
}

impl Error for InStudy {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.source)
    }
}

/// Runs `mtq compare`: checks the plan (or the report folders) and the output folder before any
/// work, runs every study (keeping its test activations for CKA, never writing them), writes
/// each report in `--out`/<study>, then the comparison.
///
/// # Errors
/// [`Failure::Usage`] for a bad plan or option (naming the study and the key); [`Failure::Run`]
/// for a study or a file that fails.
pub fn compare(a: &CompareArgs, progress: &Progress) -> Result<(), Failure> {
    let params = CompareParams {
        seed: a.bootstrap_seed,
        resamples: a.resamples as usize,
    };
    let (title, facts, studies) = match &a.plan {
        Some(path) => {
            let plan = plan::read(path)?;
            output::prepare(&a.out)?;
            for p in &plan.studies {
                output::prepare(&a.out.join(&p.slug))?;
            }
            let mut facts = Vec::with_capacity(plan.studies.len());
            let mut links = Vec::with_capacity(plan.studies.len());
            for p in plan.studies {
                progress.say(&format!("study `{}` ({})", p.name, p.argv[1..].join(" ")));
                let fail = |e: Box<dyn Error>| {
                    Failure::Run(Box::new(InStudy {
                        name: p.name.clone(),
                        source: e,
                    }))
                };
                let mut study = p.study;
                study.device = to_study::device(p.device)?;
                study.keep_test_activations = true;
                let mut outcome = study
                    .run(&mut |stage| progress.stage(&stage))
                    .map_err(|e| fail(Box::new(e)))?;
                outcome.facts.provenance.command = p.argv.clone();
                facts.push(outcome.compare_facts(&p.name));
                let dir = a.out.join(&p.slug);
                mtq_report::write_report(&dir, &Report::from_outcome(outcome))
                    .map_err(|e| fail(Box::new(e)))?;
                links.push(StudyLink {
                    name: p.name,
                    report: Some(format!("{}/report.html", p.slug)),
                });
            }
            let title = plan.title.unwrap_or_else(|| title_of(path));
            (title, facts, links)
        }
        None => {
            let mut facts: Vec<StudyFacts> = Vec::with_capacity(a.reports.len());
            for dir in &a.reports {
                let report = mtq_report::read_report_json(dir)
                    .map_err(|e| Failure::Run(format!("--reports {e}").into()))?;
                let name = dir
                    .file_name()
                    .map_or_else(|| dir.display().to_string(), |n| n.to_string_lossy().into());
                if facts.iter().any(|f| f.name == name) {
                    return Err(Failure::Usage(format!(
                        "--reports: two folders are named `{name}`: compare folders of distinct names"
                    )));
                }
                facts.push(mtq_report::study_facts_from_report(&name, &report));
            }
            output::prepare(&a.out)?;
            let links = a
                .reports
                .iter()
                .zip(&facts)
                .map(|(dir, f)| StudyLink {
                    name: f.name.clone(),
                    report: relative(&a.out, &dir.join("report.html")),
                })
                .collect();
            ("Finished reports compared".to_string(), facts, links)
        }
    };
    progress.say("comparing");
    let comparison = compare_studies(&facts, &params);
    drop(facts);
    let mut report = CompareReport::new(title, comparison);
    report.studies = studies;
    let files =
        mtq_report::write_compare(&a.out, &report).map_err(|e| Failure::Run(Box::new(e)))?;
    for line in mtq_report::compare_sentences::compare_headlines(&report.comparison) {
        println!("{line}");
    }
    println!("compare: {}", files.html.display());
    Ok(())
}

/// `to` relative to the folder `from` (`../mlp/report.html`), both made absolute first;
/// `None` if either cannot be.
fn relative(from: &Path, to: &Path) -> Option<String> {
    let (from, to) = (
        std::path::absolute(from).ok()?,
        std::path::absolute(to).ok()?,
    );
    let (a, b): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let mut parts: Vec<String> = vec!["..".into(); a.len() - common];
    parts.extend(
        b[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    Some(parts.join("/"))
}

/// A plan's title when it has none: its file name.
fn title_of(path: &Path) -> String {
    path.file_stem().map_or_else(
        || "Comparison".into(),
        |s| format!("Comparison: {}", s.to_string_lossy()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_relative_to_the_comparison() {
        let link = |from: &str, to: &str| relative(Path::new(from), Path::new(to));
        assert_eq!(
            link("/a/out", "/a/r1/report.html").as_deref(),
            Some("../r1/report.html")
        );
        assert_eq!(
            link("/a", "/a/r1/report.html").as_deref(),
            Some("r1/report.html")
        );
        assert_eq!(
            link("/x/y/out", "/a/report.html").as_deref(),
            Some("../../../a/report.html")
        );
    }
}
