//! Per-layer preparation of activations for clustering: fitted on a reference set, applied to any.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis, CowArray, Ix2};
use serde::{Deserialize, Serialize};

use crate::activations::Activations;
use crate::eigen::symmetric_eigen;
use crate::error::{ActivationsError, Result};

/// How to transform one layer's activations before clustering.
///
/// [`Preparation::fit`] learns what the transform needs from a reference set (means, scales,
/// principal axes); the resulting [`FittedPreparation`] then transforms the reference and any
/// other set (e.g. unseen samples) the same way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Preparation {
    /// Raw activations, as the reference study clusters them.
    #[default]
    None,
    /// Per unit: subtract the reference mean, divide by the reference standard deviation
    /// (population, `ddof = 0`, like scikit-learn's `StandardScaler`; a constant unit is only
    /// centred).
    Standardize,
    /// Per sample: divide by the row's Euclidean norm (all-zero rows stay zero), like
    /// scikit-learn's `normalize`. Nothing is learned but the width.
    L2Normalize,
    /// Centre with the reference mean and project on the reference's first `dims` principal
    /// axes (eigenvectors of the covariance, largest variance first; each axis's
    /// largest-magnitude entry is positive).
    Pca {
        /// Output dimensions, `1 <= dims <= width`.
        dims: usize,
    },
}

impl Preparation {
    /// A short name: `none`, `standardize`, `l2_normalize` or `pca`.
    pub fn name(self) -> &'static str {
        match self {
            Preparation::None => "none",
            Preparation::Standardize => "standardize",
            Preparation::L2Normalize => "l2_normalize",
            Preparation::Pca { .. } => "pca",
        }
    }

    /// Learns the transform from a reference matrix (`n x width`).
    ///
    /// # Errors
    /// [`ActivationsError::TooFewSamples`] (standardisation needs 1 sample, PCA 2);
    /// [`ActivationsError::InvalidPcaDims`] unless `1 <= dims <= width`;
    /// [`ActivationsError::EigenNoConvergence`] (not seen for finite input).
    pub fn fit(self, x: ArrayView2<'_, f32>) -> Result<FittedPreparation> {
        let (n, width) = x.dim();
        let needed = match self {
            Preparation::None | Preparation::L2Normalize => 0,
            Preparation::Standardize => 1,
            Preparation::Pca { .. } => 2,
        };
        if n < needed {
            return Err(ActivationsError::TooFewSamples {
                preparation: self.name(),
                needed,
                found: n,
            });
        }
        let fitted = match self {
            Preparation::None => Fitted::None,
            Preparation::L2Normalize => Fitted::L2Normalize,
            Preparation::Standardize => {
                let mean = column_means(x);
                let mut var = Array1::<f64>::zeros(width);
                for row in x.outer_iter() {
                    for ((v, &m), &value) in var.iter_mut().zip(&mean).zip(row) {
                        let dev = f64::from(value) - m;
                        *v += dev * dev;
                    }
                }
                let scale = var.mapv(|v| {
                    let sd = (v / n as f64).sqrt();
                    if sd > 0.0 { sd as f32 } else { 1.0 }
                });
                Fitted::Standardize {
                    mean: mean.mapv(|m| m as f32),
                    scale,
                }
            }
            Preparation::Pca { dims } => {
                if dims == 0 || dims > width {
                    return Err(ActivationsError::InvalidPcaDims { dims, width });
                }
                let mean = column_means(x);
                let centred =
                    Array2::from_shape_fn((n, width), |(i, j)| f64::from(x[[i, j]]) - mean[j]);
                let cov = centred.t().dot(&centred) / (n - 1) as f64;
                let (values, vectors) = symmetric_eigen(cov.view())?;
                let components = vectors
                    .t()
                    .slice_axis(Axis(0), ndarray::Slice::from(..dims))
                    .mapv(|v| v as f32);
                Fitted::Pca {
                    mean: mean.mapv(|m| m as f32),
                    components,
                    variance: values.mapv(|v| v.max(0.0) as f32),
                }
            }
        };
        Ok(FittedPreparation {
            preparation: self,
            width,
            fitted,
        })
    }
}

/// Column means in `f64`, summed in row order.
fn column_means(x: ArrayView2<'_, f32>) -> Array1<f64> {
    let mut sum = Array1::<f64>::zeros(x.ncols());
    for row in x.outer_iter() {
        sum.zip_mut_with(&row, |s, &v| *s += f64::from(v));
    }
    sum / x.nrows().max(1) as f64
}

#[derive(Debug, Clone, PartialEq)]
enum Fitted {
    None,
    L2Normalize,
    Standardize {
        mean: Array1<f32>,
        scale: Array1<f32>,
    },
    Pca {
        mean: Array1<f32>,
        components: Array2<f32>,
        variance: Array1<f32>,
    },
}

/// Everything a [`FittedPreparation`] holds, owned: what [`FittedPreparation::parts`] gives and
/// [`FittedPreparation::from_parts`] takes back (e.g. to keep a fitted preparation in a file).
/// Each array is present exactly when the preparation uses it.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparationParts {
    /// The preparation that was fitted.
    pub preparation: Preparation,
    /// Width of the data it was fitted on (and accepts).
    pub width: usize,
    /// The reference mean per unit (`width`): standardisation and PCA.
    pub mean: Option<Array1<f32>>,
    /// The divisor per unit (`width`, every value positive): standardisation.
    pub scale: Option<Array1<f32>>,
    /// The principal axes kept, one per row (`dims x width`): PCA.
    pub components: Option<Array2<f32>>,
    /// Variance along every principal axis, largest first (`width`, none negative): PCA.
    pub variance: Option<Array1<f32>>,
}

/// A [`Preparation`] fitted on reference activations: apply it to the reference and to any
/// other set of the same width.
#[derive(Debug, Clone, PartialEq)]
pub struct FittedPreparation {
    preparation: Preparation,
    width: usize,
    fitted: Fitted,
}

impl FittedPreparation {
    /// The preparation that was fitted.
    pub fn preparation(&self) -> Preparation {
        self.preparation
    }

    /// Its parts, copied: [`FittedPreparation::from_parts`] rebuilds an equal preparation from
    /// them.
    pub fn parts(&self) -> PreparationParts {
        let mut parts = PreparationParts {
            preparation: self.preparation,
            width: self.width,
            mean: None,
            scale: None,
            components: None,
            variance: None,
        };
        match &self.fitted {
            Fitted::None | Fitted::L2Normalize => {}
            Fitted::Standardize { mean, scale } => {
                parts.mean = Some(mean.clone());
                parts.scale = Some(scale.clone());
            }
            Fitted::Pca {
                mean,
                components,
                variance,
            } => {
                parts.mean = Some(mean.clone());
                parts.components = Some(components.clone());
                parts.variance = Some(variance.clone());
            }
        }
        parts
    }

    /// A fitted preparation from its parts (as [`FittedPreparation::parts`] gives them, e.g.
    /// read from a file), checked: a width of at least 1; exactly the arrays the preparation
    /// uses, each of its stated shape (`dims` of PCA in `1..=width`); every value finite,
    /// scales positive, variances not negative.
    ///
    /// # Errors
    /// [`ActivationsError::InvalidPreparation`] naming the first part that is missing, extra,
    /// of the wrong shape or holds a bad value.
    pub fn from_parts(parts: PreparationParts) -> Result<Self> {
        let PreparationParts {
            preparation,
            width,
            mean,
            scale,
            components,
            variance,
        } = parts;
        let bad = |what: String| ActivationsError::InvalidPreparation {
            preparation: preparation.name(),
            what,
        };
        if width == 0 {
            return Err(bad("width 0".into()));
        }
        let uses = match preparation {
            Preparation::None | Preparation::L2Normalize => [false; 4],
            Preparation::Standardize => [true, true, false, false],
            Preparation::Pca { .. } => [true, false, true, true],
        };
        let present = [
            mean.is_some(),
            scale.is_some(),
            components.is_some(),
            variance.is_some(),
        ];
        for ((name, uses), present) in ["mean", "scale", "components", "variance"]
            .into_iter()
            .zip(uses)
            .zip(present)
        {
            if uses != present {
                let state = if uses { "missing" } else { "not used" };
                return Err(bad(format!("{name} {state}")));
            }
        }
        let vector = |name: &str, v: &Option<Array1<f32>>, ok: fn(f32) -> bool, rule: &str| {
            let Some(v) = v else { return Ok(()) };
            if v.len() != width {
                return Err(bad(format!("{name} has {} values, width {width}", v.len())));
            }
            match v.iter().position(|&x| !ok(x)) {
                Some(i) => Err(bad(format!("{name}[{i}] = {} is not {rule}", v[i]))),
                None => Ok(()),
            }
        };
        vector("mean", &mean, f32::is_finite, "finite")?;
        vector(
            "scale",
            &scale,
            |x| x.is_finite() && x > 0.0,
            "finite and positive",
        )?;
        vector(
            "variance",
            &variance,
            |x| x.is_finite() && x >= 0.0,
            "finite and >= 0",
        )?;
        if let Some(c) = &components {
            let dims = c.nrows();
            if preparation != (Preparation::Pca { dims }) || c.ncols() != width {
                return Err(bad(format!(
                    "components of shape {dims} x {}, expected {preparation:?} x {width}",
                    c.ncols()
                )));
            }
            if dims == 0 {
                return Err(ActivationsError::InvalidPcaDims { dims, width });
            }
            if let Some(v) = c.iter().find(|v| !v.is_finite()) {
                return Err(bad(format!("a component value is not finite ({v})")));
            }
        }
        let fitted = match (mean, scale, components, variance) {
            (Some(mean), Some(scale), None, None) => Fitted::Standardize { mean, scale },
            (Some(mean), None, Some(components), Some(variance)) => Fitted::Pca {
                mean,
                components,
                variance,
            },
            _ if preparation == Preparation::L2Normalize => Fitted::L2Normalize,
            _ => Fitted::None,
        };
        Ok(Self {
            preparation,
            width,
            fitted,
        })
    }

    /// Width of the data it was fitted on (and accepts).
    pub fn input_dim(&self) -> usize {
        self.width
    }

    /// Width of its output (`dims` for PCA, the input width otherwise).
    pub fn output_dim(&self) -> usize {
        match &self.fitted {
            Fitted::Pca { components, .. } => components.nrows(),
            _ => self.width,
        }
    }

    /// The reference mean per unit (standardisation and PCA).
    pub fn mean(&self) -> Option<ArrayView1<'_, f32>> {
        match &self.fitted {
            Fitted::Standardize { mean, .. } | Fitted::Pca { mean, .. } => Some(mean.view()),
            _ => None,
        }
    }

    /// The divisor per unit (standardisation): the reference standard deviation, 1 for a
    /// constant unit.
    pub fn scale(&self) -> Option<ArrayView1<'_, f32>> {
        match &self.fitted {
            Fitted::Standardize { scale, .. } => Some(scale.view()),
            _ => None,
        }
    }

    /// The principal axes kept by PCA, one per row (`dims x width`).
    pub fn components(&self) -> Option<ArrayView2<'_, f32>> {
        match &self.fitted {
            Fitted::Pca { components, .. } => Some(components.view()),
            _ => None,
        }
    }

    /// Variance of the reference along every principal axis, largest first (all `width` of
    /// them, so `explained_variance()[..dims].sum() / explained_variance().sum()` is the share
    /// PCA keeps).
    pub fn explained_variance(&self) -> Option<ArrayView1<'_, f32>> {
        match &self.fitted {
            Fitted::Pca { variance, .. } => Some(variance.view()),
            _ => None,
        }
    }

    /// [`apply`](Self::apply) without a copy when the preparation is [`Preparation::None`]:
    /// `x` itself, borrowed (after the same width check); a new matrix otherwise.
    ///
    /// # Errors
    /// As [`apply`](Self::apply).
    pub fn apply_cow<'a>(&self, x: ArrayView2<'a, f32>) -> Result<CowArray<'a, f32, Ix2>> {
        match self.fitted {
            Fitted::None if x.ncols() == self.width => Ok(CowArray::from(x)),
            _ => self.apply(x).map(CowArray::from),
        }
    }

    /// Transforms `x` (`n x width`) into a new `n x output_dim` matrix.
    ///
    /// # Errors
    /// [`ActivationsError::PreparedWidth`] if `x` is not as wide as the fitted data.
    pub fn apply(&self, x: ArrayView2<'_, f32>) -> Result<Array2<f32>> {
        if x.ncols() != self.width {
            return Err(ActivationsError::PreparedWidth {
                expected: self.width,
                found: x.ncols(),
            });
        }
        Ok(match &self.fitted {
            Fitted::None => x.to_owned(),
            Fitted::L2Normalize => {
                let mut out = x.to_owned();
                for mut row in out.outer_iter_mut() {
                    let norm = row
                        .iter()
                        .map(|&v| f64::from(v) * f64::from(v))
                        .sum::<f64>()
                        .sqrt();
                    if norm > 0.0 {
                        row.mapv_inplace(|v| (f64::from(v) / norm) as f32);
                    }
                }
                out
            }
            Fitted::Standardize { mean, scale } => {
                let mut out = x.to_owned();
                for mut row in out.outer_iter_mut() {
                    for ((v, &m), &s) in row.iter_mut().zip(mean).zip(scale) {
                        *v = (*v - m) / s;
                    }
                }
                out
            }
            Fitted::Pca {
                mean, components, ..
            } => {
                let centred = &x - &mean.view().insert_axis(Axis(0));
                centred.dot(&components.t())
            }
        })
    }
}

impl Activations {
    /// Fits `preparation` on every layer of this (reference) set, one fitted transform per
    /// layer in layer order.
    ///
    /// # Errors
    /// As [`Preparation::fit`], for the first layer that fails.
    pub fn fit_preparation(&self, preparation: Preparation) -> Result<Vec<FittedPreparation>> {
        self.layers()
            .iter()
            .map(|layer| preparation.fit(layer.values()))
            .collect()
    }

    /// Applies one fitted transform per layer (from [`Activations::fit_preparation`] on a
    /// reference set) and returns the prepared set; labels, ids and layer names are kept.
    ///
    /// # Errors
    /// [`ActivationsError::PreparationCount`] unless there is one transform per layer;
    /// [`ActivationsError::PreparedWidth`] if a layer is not as wide as its reference.
    pub fn apply_preparation(&self, fitted: &[FittedPreparation]) -> Result<Activations> {
        if fitted.len() != self.n_layers() {
            return Err(ActivationsError::PreparationCount {
                expected: self.n_layers(),
                found: fitted.len(),
            });
        }
        let mut transforms = fitted.iter();
        self.map_layers(|layer| match transforms.next() {
            Some(t) => t.apply(layer.values()),
            None => Err(ActivationsError::PreparationCount {
                expected: self.n_layers(),
                found: fitted.len(),
            }),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_abs_diff_eq;
    use ndarray::array;

    #[test]
    fn standardize_uses_reference_statistics() {
        let reference = array![[1.0f32, 5.0], [3.0, 5.0], [5.0, 5.0]];
        let fitted = Preparation::Standardize.fit(reference.view()).unwrap();
        let sd = (8.0f32 / 3.0).sqrt();
        assert_abs_diff_eq!(fitted.scale().unwrap()[0], sd, epsilon = 1e-6);
        assert_eq!(fitted.scale().unwrap()[1], 1.0); // constant unit
        let out = fitted.apply(reference.view()).unwrap();
        assert_abs_diff_eq!(out.column(0).sum(), 0.0, epsilon = 1e-6);
        assert_abs_diff_eq!(out[[2, 0]], 2.0 / sd, epsilon = 1e-6);
        assert_eq!(out.column(1).to_vec(), [0.0, 0.0, 0.0]);
        // an unseen sample gets the reference's mean and scale
        let unseen = fitted.apply(array![[7.0f32, 6.0]].view()).unwrap();
        assert_abs_diff_eq!(unseen[[0, 0]], 4.0 / sd, epsilon = 1e-6);
        assert_abs_diff_eq!(unseen[[0, 1]], 1.0, epsilon = 1e-6);
        assert!(matches!(
            fitted.apply(array![[1.0f32]].view()),
            Err(ActivationsError::PreparedWidth {
                expected: 2,
                found: 1
            })
        ));
        assert!(matches!(
            Preparation::Standardize.fit(Array2::<f32>::zeros((0, 2)).view()),
            Err(ActivationsError::TooFewSamples {
                needed: 1,
                found: 0,
                ..
            })
        ));
    }

    #[test]
    fn l2_normalize_and_none() {
        let x = array![[3.0f32, 4.0], [0.0, 0.0]];
        let out = Preparation::L2Normalize
            .fit(x.view())
            .unwrap()
            .apply(x.view())
            .unwrap();
        assert_abs_diff_eq!(out[[0, 0]], 0.6, epsilon = 1e-7);
        assert_abs_diff_eq!(out[[0, 1]], 0.8, epsilon = 1e-7);
        assert_eq!(out.row(1).to_vec(), [0.0, 0.0]);
        let none = Preparation::None.fit(x.view()).unwrap();
        assert_eq!(none.apply(x.view()).unwrap(), x);
        assert_eq!(none.output_dim(), 2);
    }

    #[test]
    fn pca_finds_the_main_axis_and_projects_unseen_data() {
        // points along (1, 1)/√2 with a small spread along (1, -1)/√2, around (2, 3)
        let t = [-2.0f32, -1.0, 0.0, 1.0, 2.0];
        let e = [0.1f32, -0.1, 0.0, -0.1, 0.1]; // sum e = sum t·e = 0
        let x = Array2::from_shape_fn((5, 2), |(i, j)| {
            let c = [2.0, 3.0][j];
            c + (t[i] + if j == 0 { e[i] } else { -e[i] }) / 2f32.sqrt()
        });
        let fitted = Preparation::Pca { dims: 1 }.fit(x.view()).unwrap();
        let axis = fitted.components().unwrap();
        assert_eq!(axis.dim(), (1, 2));
        assert_abs_diff_eq!(axis[[0, 0]], 1.0 / 2f32.sqrt(), epsilon = 1e-5);
        assert_abs_diff_eq!(axis[[0, 1]], 1.0 / 2f32.sqrt(), epsilon = 1e-5);
        let var = fitted.explained_variance().unwrap();
        assert_abs_diff_eq!(var[0], 10.0 / 4.0, epsilon = 1e-5); // sum t² / (n - 1)
        assert_abs_diff_eq!(var[1], 0.04 / 4.0, epsilon = 1e-5);
        let out = fitted.apply(x.view()).unwrap();
        for (got, want) in out.column(0).iter().zip(t) {
            assert_abs_diff_eq!(*got, want, epsilon = 1e-5);
        }
        let unseen = fitted
            .apply(array![[2.0f32, 3.0], [3.0, 4.0]].view())
            .unwrap();
        assert_abs_diff_eq!(unseen[[0, 0]], 0.0, epsilon = 1e-6);
        assert_abs_diff_eq!(unseen[[1, 0]], 2f32.sqrt(), epsilon = 1e-5);
        for dims in [0, 3] {
            assert!(matches!(
                Preparation::Pca { dims }.fit(x.view()),
                Err(ActivationsError::InvalidPcaDims { width: 2, .. })
            ));
        }
        assert!(matches!(
            Preparation::Pca { dims: 1 }.fit(array![[1.0f32, 2.0]].view()),
            Err(ActivationsError::TooFewSamples {
                needed: 2,
                found: 1,
                ..
            })
        ));
    }

    #[test]
    fn parts_rebuild_the_preparation_and_bad_parts_are_refused() {
        let x = array![
            [1.0f32, 2.0, 0.5],
            [3.0, 1.0, 0.0],
            [0.0, 4.0, 2.0],
            [2.0, 2.0, 1.0]
        ];
        for preparation in [
            Preparation::None,
            Preparation::L2Normalize,
            Preparation::Standardize,
            Preparation::Pca { dims: 2 },
        ] {
            let fitted = preparation.fit(x.view()).unwrap();
            let back = FittedPreparation::from_parts(fitted.parts()).unwrap();
            assert_eq!(back, fitted);
            assert_eq!(
                back.apply(x.view()).unwrap(),
                fitted.apply(x.view()).unwrap()
            );
        }
        let invalid = |parts: PreparationParts| {
            matches!(
                FittedPreparation::from_parts(parts),
                Err(ActivationsError::InvalidPreparation { .. })
                    | Err(ActivationsError::InvalidPcaDims { .. })
            )
        };
        let std_parts = Preparation::Standardize.fit(x.view()).unwrap().parts();
        let pca_parts = Preparation::Pca { dims: 2 }.fit(x.view()).unwrap().parts();
        let mut p = std_parts.clone();
        p.width = 4;
        assert!(invalid(p));
        let mut p = std_parts.clone();
        p.scale = Some(array![1.0f32, 0.0, 1.0]);
        assert!(invalid(p));
        let mut p = std_parts.clone();
        p.mean = Some(array![1.0f32, f32::NAN, 1.0]);
        assert!(invalid(p));
        let mut p = std_parts.clone();
        p.variance = Some(array![1.0f32, 1.0, 1.0]);
        assert!(invalid(p));
        let mut p = std_parts;
        p.scale = None;
        assert!(invalid(p));
        let mut p = pca_parts.clone();
        p.preparation = Preparation::Pca { dims: 3 };
        assert!(invalid(p));
        let mut p = pca_parts.clone();
        p.components = Some(Array2::zeros((0, 3)));
        p.preparation = Preparation::Pca { dims: 0 };
        assert!(invalid(p));
        let mut p = pca_parts;
        p.variance = Some(array![1.0f32, -1.0, 0.0]);
        assert!(invalid(p));
        let none = PreparationParts {
            preparation: Preparation::None,
            width: 0,
            mean: None,
            scale: None,
            components: None,
            variance: None,
        };
        assert!(invalid(none));
    }

    #[test]
    fn fit_on_reference_apply_to_activations() {
        let reference = Activations::from_arrays(
            [
                ("a", array![[0.0f32, 2.0], [2.0, 2.0]]),
                ("b", array![[1.0f32], [3.0]]),
            ],
            array![0, 1],
        )
        .unwrap();
        let fitted = reference.fit_preparation(Preparation::Standardize).unwrap();
        assert_eq!(fitted.len(), 2);
        let unseen = Activations::from_arrays(
            [("a", array![[4.0f32, 2.0]]), ("b", array![[2.0f32]])],
            array![5],
        )
        .unwrap();
        let prepared = unseen.apply_preparation(&fitted).unwrap();
        assert_eq!(prepared.layer("a").unwrap().values(), array![[3.0f32, 0.0]]);
        assert_eq!(prepared.layer("b").unwrap().values(), array![[0.0f32]]);
        assert_eq!(prepared.labels().to_vec(), [5]);
        assert!(matches!(
            unseen.apply_preparation(&fitted[..1]),
            Err(ActivationsError::PreparationCount {
                expected: 2,
                found: 1
            })
        ));
    }
}
