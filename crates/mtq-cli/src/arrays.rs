//! A data set given as `.npy` arrays (`--x`, `--y`, `--unseen`), split into a study's sets.

use mtq_data::Dataset;
use mtq_signature::pipeline::StudyData;

use crate::args::ArrayArgs;
use crate::failure::Failure;

/// Fraction of each class held out as the test set.
pub const TEST_FRACTION: f64 = 0.25;

/// The arrays as a study's sets, and the class names (the label values present, e.g. `0`, `1`):
/// a stratified split seeded by `seed` (25 % test), standardised with the training split's
/// statistics if `standardize` (the unseen sets too); `None` without `--x`.
///
/// # Errors
/// The data errors naming the file; a usage error for an `--unseen` set whose width differs.
pub fn load(
    args: &ArrayArgs,
    seed: u64,
    standardize: bool,
) -> Result<Option<(StudyData, Vec<String>)>, Failure> {
    let (Some(x), Some(y)) = (&args.x, &args.y) else {
        return Ok(None);
    };
    let all = Dataset::from_npy(x, y)?.relabel();
    let names = all.classes().iter().map(usize::to_string).collect();
    let (train, test, scaler) = if standardize {
        let s = all.stratified_split_standardized(TEST_FRACTION, seed)?;
        (s.train, s.test, Some(s.scaler))
    } else {
        let (train, test) = all.stratified_split(TEST_FRACTION, seed)?;
        (train, test, None)
    };
    let unseen = args
        .unseen
        .iter()
        .map(|(name, path)| {
            let d = Dataset::from_npy_unlabelled(path)?;
            if d.n_features() != all.n_features() {
                return Err(Failure::Usage(format!(
                    "--unseen {name}={}: {} features per sample, but {} has {}",
                    path.display(),
                    d.n_features(),
                    x.display(),
                    all.n_features()
                )));
            }
            let d = match &scaler {
                Some(s) => s.apply(&d)?,
                None => d,
            };
            Ok((name.clone(), d))
        })
        .collect::<Result<_, Failure>>()?;
    Ok(Some((
        StudyData {
            train,
            test,
            unseen,
        },
        names,
    )))
}
