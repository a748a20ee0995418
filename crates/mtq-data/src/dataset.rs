//! The typed data set: a feature matrix, one label and one id per row, and the class list.

use ndarray::{Array1, Array2, Array3, ArrayView1, ArrayView2, ArrayView3, Axis};

use crate::error::{DataError, Result};

/// Largest label (class index) a [`Dataset`] takes, 2^20 - 1: the class list `0..=max label`
/// is allocated from the labels, so a larger value is taken for corrupt input rather than for
/// more than a million classes.
pub const MAX_LABEL: usize = (1 << 20) - 1;

/// Samples as rows of an `n x d` `f32` matrix, each with a class label and a stable id.
///
/// * **Ids.** The id of a sample is its index in the file it was read from; it survives class
///   selection, shuffling and splitting, so results can always be joined back to the source data.
/// * **Labels and classes.** A label is an index into [`classes`](Self::classes), the list of
///   original classes: after `select_classes(&[1, 7])` the labels are `0` (for 1s) and `1` (for
///   7s) and `classes()` is `[1, 7]`. A data set made by [`new`](Self::new) has the identity
///   mapping `0..=max label`.
/// * **Images and other shaped samples.** Samples that came as arrays (an image `rows x cols`
///   or `channels x rows x cols`, a sequence `tokens x features`) are stored flattened in
///   row-major order, one row per sample; their shape is kept (see
///   [`sample_shape`](Self::sample_shape), [`image_shape`](Self::image_shape),
///   [`image`](Self::image)).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    features: Array2<f32>,
    labels: Array1<usize>,
    ids: Array1<usize>,
    classes: Vec<usize>,
    sample_shape: Option<Vec<usize>>,
}

impl Dataset {
    /// A data set from features (`n x d`) and labels (`n`); ids are `0..n`, classes are
    /// `0..=max(labels)`.
    ///
    /// # Errors
    /// [`DataError::LengthMismatch`] if the row and label counts differ,
    /// [`DataError::LabelTooLarge`] if a label is above [`MAX_LABEL`] (the class list is sized
    /// by the largest label, so a wild value is refused rather than allocated).
    pub fn new(features: Array2<f32>, labels: Array1<usize>) -> Result<Self> {
        let ids = Array1::from_iter(0..labels.len());
        Self::with_ids(features, labels, ids)
    }

    /// A data set with explicit sample ids; classes are `0..=max(labels)`.
    ///
    /// # Errors
    /// [`DataError::LengthMismatch`] if the row and label counts differ,
    /// [`DataError::IdsLengthMismatch`] if there is not one id per sample,
    /// [`DataError::LabelTooLarge`] if a label is above [`MAX_LABEL`].
    pub fn with_ids(
        features: Array2<f32>,
        labels: Array1<usize>,
        ids: Array1<usize>,
    ) -> Result<Self> {
        if features.nrows() != labels.len() {
            return Err(DataError::LengthMismatch {
                features: features.nrows(),
                labels: labels.len(),
            });
        }
        if ids.len() != labels.len() {
            return Err(DataError::IdsLengthMismatch {
                samples: labels.len(),
                ids: ids.len(),
            });
        }
        if let Some((index, &label)) = labels.iter().enumerate().find(|&(_, &l)| l > MAX_LABEL) {
            return Err(DataError::LabelTooLarge {
                index,
                label,
                max: MAX_LABEL,
            });
        }
        let n_classes = labels.iter().max().map_or(0, |&m| m + 1);
        Ok(Self {
            features,
            labels,
            ids,
            classes: (0..n_classes).collect(),
            sample_shape: None,
        })
    }

    /// A data set from images (`n x rows x cols`), flattened to `n x (rows * cols)`; the image
    /// shape is kept.
    ///
    /// # Errors
    /// [`DataError::LengthMismatch`] if the image and label counts differ.
    pub fn from_images(images: Array3<f32>, labels: Array1<usize>) -> Result<Self> {
        let (n, rows, cols) = images.dim();
        let flat = if images.is_standard_layout() {
            images.into_shape_with_order((n, rows * cols))
        } else {
            images
                .as_standard_layout()
                .into_owned()
                .into_shape_with_order((n, rows * cols))
        };
        let flat = flat.map_err(|_| DataError::ImageShape {
            rows,
            cols,
            n_features: rows * cols,
        })?;
        Self::new(flat, labels)?.with_image_shape(rows, cols)
    }

    /// Replaces the class list: `classes[label]` is the original class of `label`.
    ///
    /// # Errors
    /// [`DataError::DuplicateClass`] if a class is listed twice, [`DataError::LabelNotInClasses`]
    /// if a label is not an index into `classes`.
    pub fn with_classes(mut self, classes: Vec<usize>) -> Result<Self> {
        check_unique(&classes)?;
        if let Some((index, &label)) = self
            .labels
            .iter()
            .enumerate()
            .find(|&(_, &l)| l >= classes.len())
        {
            return Err(DataError::LabelNotInClasses {
                index,
                label,
                n_classes: classes.len(),
            });
        }
        self.classes = classes;
        Ok(self)
    }

    /// Records that each row is a flattened `rows x cols` image.
    ///
    /// # Errors
    /// [`DataError::ImageShape`] if `rows * cols` is not the number of features.
    pub fn with_image_shape(mut self, rows: usize, cols: usize) -> Result<Self> {
        if rows.checked_mul(cols) != Some(self.n_features()) {
            return Err(DataError::ImageShape {
                rows,
                cols,
                n_features: self.n_features(),
            });
        }
        self.sample_shape = Some(vec![rows, cols]);
        Ok(self)
    }

    /// Records that each row is a flattened array of `shape` (row-major, e.g. `[3, 32, 32]` for
    /// an RGB image as a network takes it, `[16, 64]` for 16 tokens of 64 features). A shape of
    /// rank below 2 records nothing (the rows are plain features).
    ///
    /// # Errors
    /// [`DataError::SampleShape`] if the shape's product is not the number of features.
    pub fn with_sample_shape(mut self, shape: Vec<usize>) -> Result<Self> {
        let size = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
        if size != Some(self.n_features()) {
            return Err(DataError::SampleShape {
                shape,
                n_features: self.n_features(),
            });
        }
        self.sample_shape = (shape.len() >= 2).then_some(shape);
        Ok(self)
    }

    /// The `n x d` feature matrix.
    pub fn features(&self) -> ArrayView2<'_, f32> {
        self.features.view()
    }

    /// One class label per sample: an index into [`classes`](Self::classes).
    pub fn labels(&self) -> ArrayView1<'_, usize> {
        self.labels.view()
    }

    /// One stable id per sample (its index in the source file).
    pub fn ids(&self) -> ArrayView1<'_, usize> {
        self.ids.view()
    }

    /// The original class of each label index.
    pub fn classes(&self) -> &[usize] {
        &self.classes
    }

    /// Number of classes (length of [`classes`](Self::classes)); labels lie in `0..n_classes()`.
    pub fn n_classes(&self) -> usize {
        self.classes.len()
    }

    /// The original class of a label, `None` if the label is out of range.
    pub fn class_of(&self, label: usize) -> Option<usize> {
        self.classes.get(label).copied()
    }

    /// The label of an original class, `None` if the class is not in this data set.
    pub fn label_of(&self, class: usize) -> Option<usize> {
        self.classes.iter().position(|&c| c == class)
    }

    /// Each sample's original class (labels mapped back through [`classes`](Self::classes)).
    pub fn original_labels(&self) -> Array1<usize> {
        self.labels.mapv(|l| self.classes[l])
    }

    /// Number of samples of each label, indexed by label.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.n_classes()];
        for &l in &self.labels {
            counts[l] += 1;
        }
        counts
    }

    /// Number of samples.
    pub fn n_samples(&self) -> usize {
        self.features.nrows()
    }

    /// Number of features per sample.
    pub fn n_features(&self) -> usize {
        self.features.ncols()
    }

    /// `true` when the data set holds no sample.
    pub fn is_empty(&self) -> bool {
        self.n_samples() == 0
    }

    /// The shape of one sample when the rows are flattened arrays of rank 2 or more (images,
    /// token sequences), e.g. `[28, 28]` or `[3, 32, 32]`; `None` for plain feature vectors.
    pub fn sample_shape(&self) -> Option<&[usize]> {
        self.sample_shape.as_deref()
    }

    /// `(rows, cols)` when the rows are flattened images: samples of shape `rows x cols`, or
    /// `channels x rows x cols` with 1 (grey) or 3 (RGB) channels.
    pub fn image_shape(&self) -> Option<(usize, usize)> {
        match self.sample_shape.as_deref()? {
            &[rows, cols] | &[1 | 3, rows, cols] => Some((rows, cols)),
            _ => None,
        }
    }

    /// The images' channels: 1 (grey: `rows x cols` or `1 x rows x cols`) or 3 (RGB, channel
    /// planes first: `3 x rows x cols`); `None` when the rows are not images.
    pub fn image_channels(&self) -> Option<usize> {
        match self.sample_shape.as_deref()? {
            [_, _] | [1, _, _] => Some(1),
            [3, _, _] => Some(3),
            _ => None,
        }
    }

    /// Sample `index` as a `rows x cols` grey image; `None` without a one-channel image shape
    /// or past the end.
    pub fn image(&self, index: usize) -> Option<ArrayView2<'_, f32>> {
        if self.image_channels()? != 1 {
            return None;
        }
        let (rows, cols) = self.image_shape()?;
        if index >= self.n_samples() {
            return None;
        }
        self.features
            .row(index)
            .into_shape_with_order((rows, cols))
            .ok()
    }

    /// All samples as an `n x rows x cols` view (no copy); `None` without a one-channel image
    /// shape.
    pub fn images(&self) -> Option<ArrayView3<'_, f32>> {
        if self.image_channels()? != 1 {
            return None;
        }
        let (rows, cols) = self.image_shape()?;
        self.features
            .view()
            .into_shape_with_order((self.n_samples(), rows, cols))
            .ok()
    }

    /// The feature matrix, labels and ids, by value.
    pub fn into_parts(self) -> (Array2<f32>, Array1<usize>, Array1<usize>) {
        (self.features, self.labels, self.ids)
    }

    /// The labels as one-hot rows: `n x n_classes`, `1.0` at each sample's label.
    pub fn one_hot(&self) -> Array2<f32> {
        let mut out = Array2::zeros((self.n_samples(), self.n_classes()));
        for (mut row, &l) in out.rows_mut().into_iter().zip(&self.labels) {
            row[l] = 1.0;
        }
        out
    }

    /// The samples at `indices`, in that order (repeats allowed); classes and image shape kept.
    ///
    /// # Errors
    /// [`DataError::IndexOutOfRange`] if an index is not below [`n_samples`](Self::n_samples).
    pub fn select(&self, indices: &[usize]) -> Result<Self> {
        let n_samples = self.n_samples();
        if let Some(&index) = indices.iter().find(|&&i| i >= n_samples) {
            return Err(DataError::IndexOutOfRange { index, n_samples });
        }
        Ok(self.take(indices))
    }

    /// `select` without the check, for indices known to be in range.
    pub(crate) fn take(&self, indices: &[usize]) -> Self {
        Self {
            features: self.features.select(Axis(0), indices),
            labels: self.labels.select(Axis(0), indices),
            ids: self.ids.select(Axis(0), indices),
            classes: self.classes.clone(),
            sample_shape: self.sample_shape.clone(),
        }
    }

    /// The samples of the given original classes, relabelled by their position in `classes`:
    /// `select_classes(&[1, 7])` keeps 1s (label 0) and 7s (label 1), and `classes()` becomes
    /// `[1, 7]`. Sample order and ids are kept.
    ///
    /// # Errors
    /// [`DataError::NoClasses`] if `classes` is empty, [`DataError::DuplicateClass`] if a class is
    /// listed twice, [`DataError::UnknownClass`] if a class is not in [`classes`](Self::classes).
    pub fn select_classes(&self, classes: &[usize]) -> Result<Self> {
        let new_label = self.class_positions(classes)?;
        Ok(self.remap(&new_label, classes.to_vec()))
    }

    /// As [`select_classes`](Self::select_classes), by value: when every sample belongs to one
    /// of `classes`, only the labels are rewritten (no copy of the features).
    ///
    /// # Errors
    /// As [`select_classes`](Self::select_classes).
    pub fn into_classes(mut self, classes: &[usize]) -> Result<Self> {
        let new_label = self.class_positions(classes)?;
        if self.labels.iter().all(|&l| new_label[l].is_some()) {
            self.labels
                .mapv_inplace(|l| new_label[l].unwrap_or(usize::MAX));
            self.classes = classes.to_vec();
            Ok(self)
        } else {
            Ok(self.remap(&new_label, classes.to_vec()))
        }
    }

    /// `new_label[old label] = Some(position in classes)`, checked.
    fn class_positions(&self, classes: &[usize]) -> Result<Vec<Option<usize>>> {
        if classes.is_empty() {
            return Err(DataError::NoClasses);
        }
        check_unique(classes)?;
        let mut new_label = vec![None; self.n_classes()];
        for (position, &class) in classes.iter().enumerate() {
            let old = self
                .label_of(class)
                .ok_or_else(|| DataError::UnknownClass {
                    class,
                    available: self.classes.clone(),
                })?;
            new_label[old] = Some(position);
        }
        Ok(new_label)
    }

    /// Relabels to `0..k-1` over the labels that occur, in increasing label order, keeping the
    /// original classes in [`classes`](Self::classes) (classes with no sample are dropped).
    pub fn relabel(&self) -> Self {
        let counts = self.class_counts();
        let mut new_label = vec![None; self.n_classes()];
        let mut classes = Vec::new();
        for (old, _) in counts.iter().enumerate().filter(|&(_, &c)| c > 0) {
            new_label[old] = Some(classes.len());
            classes.push(self.classes[old]);
        }
        self.remap(&new_label, classes)
    }

    /// Keeps the samples whose label maps to `Some`, relabelled; `new_label` covers every label.
    fn remap(&self, new_label: &[Option<usize>], classes: Vec<usize>) -> Self {
        let keep: Vec<usize> = (0..self.n_samples())
            .filter(|&i| new_label[self.labels[i]].is_some())
            .collect();
        let mut out = self.take(&keep);
        out.labels
            .mapv_inplace(|l| new_label[l].unwrap_or(usize::MAX));
        out.classes = classes;
        out
    }

    /// A copy with another feature matrix of the same number of rows.
    pub(crate) fn with_features(&self, features: Array2<f32>) -> Self {
        Self {
            features,
            labels: self.labels.clone(),
            ids: self.ids.clone(),
            classes: self.classes.clone(),
            sample_shape: self.sample_shape.clone(),
        }
    }
}

fn check_unique(classes: &[usize]) -> Result<()> {
    let mut sorted = classes.to_vec();
    sorted.sort_unstable();
    match sorted.windows(2).find(|w| w[0] == w[1]) {
        Some(w) => Err(DataError::DuplicateClass { class: w[0] }),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use ndarray::array;

    use super::*;

    fn toy() -> Dataset {
        let x = Array2::from_shape_fn((6, 4), |(i, j)| (i * 4 + j) as f32);
        Dataset::new(x, array![0, 1, 2, 1, 0, 2])
            .unwrap()
            .with_image_shape(2, 2)
            .unwrap()
    }

    #[test]
    fn select_classes_relabels_in_given_order_and_keeps_ids() {
        let d = toy().select_classes(&[2, 0]).unwrap();
        assert_eq!(d.labels().to_vec(), [1, 0, 1, 0]);
        assert_eq!(d.ids().to_vec(), [0, 2, 4, 5]);
        assert_eq!(d.classes(), [2, 0]);
        assert_eq!(d.original_labels().to_vec(), [0, 2, 0, 2]);
        assert_eq!(d.features().row(1).to_vec(), [8.0, 9.0, 10.0, 11.0]);
        // Selecting again works on original classes.
        let z = d.select_classes(&[0]).unwrap();
        assert_eq!(z.ids().to_vec(), [0, 4]);
        assert_eq!(z.labels().to_vec(), [0, 0]);
    }

    #[test]
    fn select_classes_rejects_bad_lists() {
        let d = toy();
        assert!(matches!(d.select_classes(&[]), Err(DataError::NoClasses)));
        assert!(matches!(
            d.select_classes(&[1, 1]),
            Err(DataError::DuplicateClass { class: 1 })
        ));
        assert!(matches!(
            d.select_classes(&[7]),
            Err(DataError::UnknownClass { class: 7, .. })
        ));
    }

    #[test]
    fn relabel_compacts_and_keeps_mapping() {
        let d = toy().select(&[1, 2, 5]).unwrap().relabel();
        assert_eq!(d.classes(), [1, 2]);
        assert_eq!(d.labels().to_vec(), [0, 1, 1]);
        assert_eq!(d.class_of(1), Some(2));
        assert_eq!(d.label_of(1), Some(0));
        assert_eq!(d.label_of(0), None);
    }

    #[test]
    fn one_hot_has_one_one_per_row_at_label() {
        let d = toy();
        let oh = d.one_hot();
        assert_eq!(oh.dim(), (6, 3));
        for (row, &l) in oh.rows().into_iter().zip(d.labels()) {
            assert_eq!(row.sum(), 1.0);
            assert_eq!(row[l], 1.0);
        }
    }

    #[test]
    fn images_round_trip_through_flattening() {
        let d = toy();
        assert_eq!(d.image(1).unwrap(), array![[4.0, 5.0], [6.0, 7.0]]);
        assert!(d.image(6).is_none());
        let back =
            Dataset::from_images(d.images().unwrap().to_owned(), d.labels().to_owned()).unwrap();
        assert_eq!(back.features(), d.features());
        assert_eq!(back.image_shape(), Some((2, 2)));
        assert!(matches!(
            d.clone().with_image_shape(3, 2),
            Err(DataError::ImageShape { .. })
        ));
    }

    #[test]
    fn constructor_checks_lengths() {
        let x = Array2::<f32>::zeros((3, 2));
        assert!(matches!(
            Dataset::new(x.clone(), array![0, 1]),
            Err(DataError::LengthMismatch {
                features: 3,
                labels: 2
            })
        ));
        assert!(matches!(
            Dataset::with_ids(x.clone(), array![0, 1, 1], array![0]),
            Err(DataError::IdsLengthMismatch { samples: 3, ids: 1 })
        ));
        let d = Dataset::new(x, array![0, 1, 1]).unwrap();
        assert!(matches!(
            d.clone().with_classes(vec![5]),
            Err(DataError::LabelNotInClasses { index: 1, .. })
        ));
        assert_eq!(
            d.with_classes(vec![9, 4])
                .unwrap()
                .original_labels()
                .to_vec(),
            [9, 4, 4]
        );
        assert!(matches!(
            toy().select(&[6]),
            Err(DataError::IndexOutOfRange {
                index: 6,
                n_samples: 6
            })
        ));
    }
}
