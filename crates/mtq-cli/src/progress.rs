//! Progress lines on stderr, with the time since start, unless `--quiet`.

use std::time::Instant;

use mtq_signature::pipeline::Stage;

/// Where progress goes.
#[derive(Debug)]
pub struct Progress {
    start: Instant,
    quiet: bool,
}

impl Progress {
    /// Progress from now; silent if `quiet`.
    pub fn new(quiet: bool) -> Self {
        Self {
            start: Instant::now(),
            quiet,
        }
    }

    /// One line: `[  1.23 s] what`.
    pub fn say(&self, what: &str) {
        if !self.quiet {
            eprintln!("[{:6.2} s] {what}", self.start.elapsed().as_secs_f64());
        }
    }

    /// One line per stage of a study.
    pub fn stage(&self, s: &Stage) {
        if !self.quiet {
            self.say(&line(s));
        }
    }
}

/// A stage in words.
fn line(s: &Stage) -> String {
    let join = |v: Vec<String>| v.join(", ");
    match s {
        Stage::Loaded {
            data,
            reference,
            test,
            features,
            unseen,
        } => format!(
            "data: {data}: {reference} reference and {test} test samples{}; unseen: {}",
            features.map_or_else(String::new, |f| format!(" of {f} features")),
            if unseen.is_empty() {
                "none".into()
            } else {
                join(unseen.iter().map(|(n, c)| format!("{c} {n}")).collect())
            }
        ),
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
            join(
                ks.iter()
                    .map(|(l, k, s)| match s {
                        Some(s) => format!("{l} K={k} ({s:.3})"),
                        None => format!("{l} constant (K undefined)"),
                    })
                    .collect()
            )
        ),
        Stage::Studied { seed, n_scores } => {
            format!("seed {seed}: traced, scored and evaluated {n_scores} scores")
        }
        other => format!("{other:?}"),
    }
}
