//! Partition comparison (contingency table, adjusted Rand index, normalised mutual information,
//! purity) and internal cluster indices (Davies-Bouldin, Calinski-Harabasz), each following
//! scikit-learn's definition and special cases.

use ndarray::{Array2, ArrayView1, ArrayView2};

use crate::data::{self, check_data, check_labels, encode};
use crate::error::{ClusterError, Result};

fn check_pair(a: ArrayView1<'_, usize>, b: ArrayView1<'_, usize>) -> Result<()> {
    if a.len() != b.len() {
        return Err(ClusterError::PartitionLength {
            len_a: a.len(),
            len_b: b.len(),
        });
    }
    if a.is_empty() {
        return Err(ClusterError::EmptyPartition);
    }
    Ok(())
}

/// Contingency table: entry `(i, j)` counts the samples with the `i`-th smallest distinct value
/// of `a` and the `j`-th smallest distinct value of `b`.
///
/// ```
/// use mtq_cluster::contingency_matrix;
/// use ndarray::array;
/// # fn main() -> mtq_cluster::Result<()> {
/// let c = contingency_matrix(array![0, 0, 1, 1].view(), array![5, 7, 7, 7].view())?;
/// assert_eq!(c, array![[1, 1], [0, 2]]);
/// # Ok(())
/// # }
/// ```
///
/// # Errors
/// [`ClusterError::PartitionLength`] if the lengths differ, [`ClusterError::EmptyPartition`]
/// if both are empty.
pub fn contingency_matrix(
    a: ArrayView1<'_, usize>,
    b: ArrayView1<'_, usize>,
) -> Result<Array2<usize>> {
    check_pair(a, b)?;
    let (ca, ua) = encode(a);
    let (cb, ub) = encode(b);
    let mut m = Array2::<usize>::zeros((ua.len(), ub.len()));
    for (&i, &j) in ca.iter().zip(&cb) {
        m[[i, j]] += 1;
    }
    Ok(m)
}

/// Adjusted Rand index of two partitions (scikit-learn's `adjusted_rand_score`: 1 for identical
/// partitions up to relabelling, about 0 for independent ones, exact integer pair counts).
///
/// # Errors
/// As [`contingency_matrix`].
pub fn adjusted_rand_index(a: ArrayView1<'_, usize>, b: ArrayView1<'_, usize>) -> Result<f64> {
    let c = contingency_matrix(a, b)?;
    let n = a.len() as i128;
    let rows: Vec<i128> = c
        .rows()
        .into_iter()
        .map(|r| r.iter().map(|&v| v as i128).sum())
        .collect();
    let cols: Vec<i128> = c
        .columns()
        .into_iter()
        .map(|r| r.iter().map(|&v| v as i128).sum())
        .collect();
    let sum_sq: i128 = c.iter().map(|&v| (v as i128) * (v as i128)).sum();
    let mut c_dot_cols = 0i128;
    let mut ct_dot_rows = 0i128;
    for ((i, j), &v) in c.indexed_iter() {
        c_dot_cols += v as i128 * cols[j];
        ct_dot_rows += v as i128 * rows[i];
    }
    let tp = sum_sq - n;
    let fp = c_dot_cols - sum_sq;
    let fn_ = ct_dot_rows - sum_sq;
    let tn = n * n - fp - fn_ - sum_sq;
    if fn_ == 0 && fp == 0 {
        return Ok(1.0);
    }
    let num = tp * tn - fn_ * fp;
    let den = (tp + fn_) * (fn_ + tn) + (tp + fp) * (fp + tn);
    Ok(2.0 * num as f64 / den as f64)
}

/// Entropy of a partition from its cluster sizes (scikit-learn's `entropy`, 1.0 for a single
/// cluster as there).
fn entropy(sizes: &[f64]) -> f64 {
    let sizes: Vec<f64> = sizes.iter().copied().filter(|&v| v > 0.0).collect();
    if sizes.len() == 1 {
        return 1.0;
    }
    let total: f64 = sizes.iter().sum();
    let lt = total.ln();
    -sizes
        .iter()
        .map(|&p| (p / total) * (p.ln() - lt))
        .sum::<f64>()
}

/// Normalised mutual information with the arithmetic mean of the entropies as normaliser
/// (scikit-learn's `normalized_mutual_info_score` default): 1 if both partitions have one
/// cluster, 0 if the mutual information is 0.
///
/// # Errors
/// As [`contingency_matrix`].
pub fn normalized_mutual_info(a: ArrayView1<'_, usize>, b: ArrayView1<'_, usize>) -> Result<f64> {
    let c = contingency_matrix(a, b)?;
    let (ka, kb) = c.dim();
    if ka == 1 && kb == 1 {
        return Ok(1.0);
    }
    let pi: Vec<f64> = c
        .rows()
        .into_iter()
        .map(|r| r.iter().sum::<usize>() as f64)
        .collect();
    let pj: Vec<f64> = c
        .columns()
        .into_iter()
        .map(|r| r.iter().sum::<usize>() as f64)
        .collect();
    let mi = if ka == 1 || kb == 1 {
        0.0
    } else {
        let total = a.len() as f64;
        let (ls, lpi, lpj) = (
            total.ln(),
            pi.iter().sum::<f64>().ln(),
            pj.iter().sum::<f64>().ln(),
        );
        let mut mi = 0.0f64;
        // row-major over non-zero entries, as scipy's sparse `find` of a CSR matrix
        for ((i, j), &v) in c.indexed_iter() {
            if v == 0 {
                continue;
            }
            let v = v as f64;
            let nm = v / total;
            let outer = pi[i] * pj[j];
            let log_outer = -outer.ln() + lpi + lpj;
            let term = nm * (v.ln() - ls) + nm * log_outer;
            if term.abs() >= f64::EPSILON {
                mi += term;
            }
        }
        mi.max(0.0)
    };
    if mi == 0.0 {
        return Ok(0.0);
    }
    let norm = 0.5 * (entropy(&pi) + entropy(&pj));
    Ok(mi / norm)
}

/// Purity of `pred` against the reference `truth`: the share of samples whose cluster's
/// majority class is their class (1 for a perfect or finer partition).
///
/// # Errors
/// As [`contingency_matrix`].
pub fn purity(truth: ArrayView1<'_, usize>, pred: ArrayView1<'_, usize>) -> Result<f64> {
    let c = contingency_matrix(truth, pred)?;
    let hit: usize = c
        .columns()
        .into_iter()
        .map(|col| col.iter().copied().max().unwrap_or(0))
        .sum();
    Ok(hit as f64 / truth.len() as f64)
}

/// Coded labels, cluster sizes and f64 centroids; checks scikit-learn's label-count rule.
fn centroids(
    x: ArrayView2<'_, f32>,
    labels: ArrayView1<'_, usize>,
) -> Result<(Vec<usize>, Vec<usize>, Vec<f64>)> {
    check_data(x)?;
    check_labels(x.nrows(), labels)?;
    let (n, d) = x.dim();
    let (codes, uniq) = encode(labels);
    let k = uniq.len();
    if k < 2 || k >= n {
        return Err(ClusterError::InvalidClusterCount {
            n_clusters: k,
            n_samples: n,
        });
    }
    let mut sums = vec![0.0f64; k * d];
    let mut counts = vec![0usize; k];
    for (row, &l) in x.rows().into_iter().zip(&codes) {
        counts[l] += 1;
        for (s, &v) in sums[l * d..(l + 1) * d].iter_mut().zip(row.iter()) {
            *s += f64::from(v);
        }
    }
    for (c, &m) in sums.chunks_exact_mut(d).zip(&counts) {
        for v in c.iter_mut() {
            *v /= m as f64;
        }
    }
    Ok((codes, counts, sums))
}

fn dist64(a: impl Iterator<Item = f64>, b: &[f64]) -> f64 {
    a.zip(b).map(|(u, v)| (u - v) * (u - v)).sum::<f64>().sqrt()
}

/// Davies-Bouldin index (lower is better), as scikit-learn's `davies_bouldin_score`: the mean
/// over clusters of the largest `(s_i + s_j) / d(c_i, c_j)`, `s` the mean distance of members to
/// their centroid; 0 if every `s` or every centroid distance is (close to) 0.
///
/// # Errors
/// [`ClusterError::EmptyInput`], [`ClusterError::NoFeatures`], [`ClusterError::NonFinite`],
/// [`ClusterError::LabelLength`], [`ClusterError::InvalidClusterCount`] unless
/// `2 <= distinct labels <= n_samples - 1`.
pub fn davies_bouldin_score(x: ArrayView2<'_, f32>, labels: ArrayView1<'_, usize>) -> Result<f64> {
    let (codes, counts, cent) = centroids(x, labels)?;
    let d = x.ncols();
    let k = counts.len();
    let mut intra = vec![0.0f64; k];
    for (row, &l) in x.rows().into_iter().zip(&codes) {
        intra[l] += dist64(row.iter().map(|&v| f64::from(v)), &cent[l * d..(l + 1) * d]);
    }
    for (s, &m) in intra.iter_mut().zip(&counts) {
        *s /= m as f64;
    }
    let mut cd = vec![0.0f64; k * k];
    for i in 0..k {
        for j in 0..k {
            cd[i * k + j] = dist64(
                cent[i * d..(i + 1) * d].iter().copied(),
                &cent[j * d..(j + 1) * d],
            );
        }
    }
    let close0 = |v: &[f64]| v.iter().all(|&x| x.abs() <= 1e-8);
    if close0(&intra) || close0(&cd) {
        return Ok(0.0);
    }
    let mut total = 0.0;
    for i in 0..k {
        let mut worst = f64::NEG_INFINITY;
        for j in 0..k {
            let dist = if cd[i * k + j] == 0.0 {
                f64::INFINITY
            } else {
                cd[i * k + j]
            };
            worst = worst.max((intra[i] + intra[j]) / dist);
        }
        total += worst;
    }
    Ok(total / k as f64)
}

/// Calinski-Harabasz index (higher is better), as scikit-learn's `calinski_harabasz_score`:
/// between-cluster over within-cluster dispersion times `(n − k) / (k − 1)`; 1 if the
/// within-cluster dispersion is 0.
///
/// # Errors
/// As [`davies_bouldin_score`].
pub fn calinski_harabasz_score(
    x: ArrayView2<'_, f32>,
    labels: ArrayView1<'_, usize>,
) -> Result<f64> {
    let (codes, counts, cent) = centroids(x, labels)?;
    let (n, d) = x.dim();
    let k = counts.len();
    let mean = data::column_mean(x);
    let mut extra = 0.0f64;
    for (c, &m) in cent.chunks_exact(d).zip(&counts) {
        let sq: f64 = c
            .iter()
            .zip(mean.iter())
            .map(|(u, v)| (u - v) * (u - v))
            .sum();
        extra += m as f64 * sq;
    }
    let mut intra = 0.0f64;
    for (row, &l) in x.rows().into_iter().zip(&codes) {
        let c = &cent[l * d..(l + 1) * d];
        intra += row
            .iter()
            .zip(c)
            .map(|(&u, v)| (f64::from(u) - v) * (f64::from(u) - v))
            .sum::<f64>();
    }
    if intra == 0.0 {
        return Ok(1.0);
    }
    Ok(extra * (n - k) as f64 / (intra * (k - 1) as f64))
}
