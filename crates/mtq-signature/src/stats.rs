//! Per-layer statistics of a partition against the true classes: the class x cluster table,
//! purity, entropy of the class given the cluster, cluster names by majority class, and the flow
//! (transition) matrices between consecutive layers.

use ndarray::{Array2, ArrayView1};
use serde::{Deserialize, Serialize};

/// The class x cluster count table of one layer and what follows from it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerTable {
    /// Layer name.
    pub layer: String,
    /// `counts[class][cluster]`: how many reference samples of `class` fall in `cluster`.
    pub counts: Vec<Vec<usize>>,
    /// Per cluster: its size.
    pub sizes: Vec<usize>,
    /// Per cluster: its majority class (`None` for an empty cluster; ties go to the lower class).
    pub majority: Vec<Option<usize>>,
    /// Per cluster: share of its majority class (0 for an empty cluster).
    pub purity: Vec<f64>,
    /// Per cluster: entropy (bits) of the class given the cluster.
    pub entropy: Vec<f64>,
    /// Size-weighted mean purity over clusters (the share of samples in their cluster's majority class).
    pub overall_purity: f64,
    /// Conditional entropy H(class | cluster) in bits.
    pub conditional_entropy: f64,
    /// Cluster names by majority class, e.g. `h1:7`; a second cluster of the same majority is
    /// `h1:7#2`, a third `h1:7#3` (by decreasing size), an empty one `h1:-`.
    pub names: Vec<String>,
}

/// Builds the class x cluster table of one layer.
///
/// `clusters[i] < k` and `labels[i] < class_names.len()` must hold (checked by the callers in
/// this crate; out-of-range entries are skipped).
pub fn layer_table(
    layer: &str,
    clusters: ArrayView1<'_, usize>,
    labels: ArrayView1<'_, usize>,
    k: usize,
    class_names: &[String],
) -> LayerTable {
    let n_classes = class_names.len();
    let mut counts = vec![vec![0usize; k]; n_classes];
    for (&c, &y) in clusters.iter().zip(labels.iter()) {
        if c < k && y < n_classes {
            counts[y][c] += 1;
        }
    }
    let sizes: Vec<usize> = (0..k).map(|c| counts.iter().map(|r| r[c]).sum()).collect();
    let mut majority = Vec::with_capacity(k);
    let mut purity = Vec::with_capacity(k);
    let mut entropy = Vec::with_capacity(k);
    for (c, &size) in sizes.iter().enumerate() {
        if size == 0 {
            majority.push(None);
            purity.push(0.0);
            entropy.push(0.0);
            continue;
        }
        let mut best = 0;
        for y in 1..n_classes {
            if counts[y][c] > counts[best][c] {
                best = y;
            }
        }
        majority.push(Some(best));
        purity.push(counts[best][c] as f64 / size as f64);
        let h: f64 = counts
            .iter()
            .map(|r| r[c])
            .filter(|&m| m > 0)
            .map(|m| {
                let p = m as f64 / size as f64;
                -p * p.log2()
            })
            .sum();
        entropy.push(h);
    }
    let total: usize = sizes.iter().sum();
    let (overall_purity, conditional_entropy) = if total == 0 {
        (0.0, 0.0)
    } else {
        let w = |c: usize| sizes[c] as f64 / total as f64;
        (
            (0..k).map(|c| w(c) * purity[c]).sum(),
            (0..k).map(|c| w(c) * entropy[c]).sum(),
        )
    };
    let names = cluster_names(layer, &majority, &sizes, class_names);
    LayerTable {
        layer: layer.to_string(),
        counts,
        sizes,
        majority,
        purity,
        entropy,
        overall_purity,
        conditional_entropy,
        names,
    }
}

/// Names clusters by majority class: `layer:class`, then `#2`, `#3`, ... for further clusters with the
/// same majority, by decreasing size (ties by id), so names do not depend on arbitrary cluster ids.
fn cluster_names(
    layer: &str,
    majority: &[Option<usize>],
    sizes: &[usize],
    class_names: &[String],
) -> Vec<String> {
    let mut order: Vec<usize> = (0..majority.len()).collect();
    order.sort_by(|&a, &b| sizes[b].cmp(&sizes[a]).then(a.cmp(&b)));
    let mut seen = vec![0usize; class_names.len()];
    let mut names = vec![String::new(); majority.len()];
    for c in order {
        names[c] = match majority[c] {
            None => format!("{layer}:-"),
            Some(y) => {
                let rank = seen[y];
                seen[y] += 1;
                let suffix = suffix(rank);
                format!("{layer}:{}{suffix}", class_names[y])
            }
        };
    }
    names
}

/// "" for the first, then "#2", "#3", ...
fn suffix(rank: usize) -> String {
    if rank == 0 {
        String::new()
    } else {
        format!("#{}", rank + 1)
    }
}

/// The flow (transition) matrix between two consecutive partitions: `m[a][b]` counts samples in
/// cluster `a` of the first and cluster `b` of the second. Only rows with `keep(i)` count.
pub fn flow_matrix(
    from: ArrayView1<'_, usize>,
    to: ArrayView1<'_, usize>,
    k_from: usize,
    k_to: usize,
    keep: impl Fn(usize) -> bool,
) -> Array2<usize> {
    let mut m = Array2::zeros((k_from, k_to));
    for (i, (&a, &b)) in from.iter().zip(to.iter()).enumerate() {
        if a < k_from && b < k_to && keep(i) {
            m[[a, b]] += 1;
        }
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn names(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn table_counts_purity_entropy_and_names() {
        // cluster 0: 3 of class 1 ("7"), 1 of class 0; cluster 1: 2 of class 0; cluster 2: 1 of class 1.
        let clusters = array![0, 0, 0, 0, 1, 1, 2];
        let labels = array![1, 1, 1, 0, 0, 0, 1];
        let t = layer_table("h1", clusters.view(), labels.view(), 4, &names(&["1", "7"]));
        assert_eq!(t.counts, vec![vec![1, 2, 0, 0], vec![3, 0, 1, 0]]);
        assert_eq!(t.sizes, vec![4, 2, 1, 0]);
        assert_eq!(t.majority, vec![Some(1), Some(0), Some(1), None]);
        assert!((t.purity[0] - 0.75).abs() < 1e-12);
        let h0 = -(0.75f64 * 0.75f64.log2() + 0.25 * 0.25f64.log2());
        assert!((t.entropy[0] - h0).abs() < 1e-12);
        assert_eq!(t.entropy[1], 0.0);
        assert!((t.overall_purity - 6.0 / 7.0).abs() < 1e-12);
        assert!((t.conditional_entropy - 4.0 / 7.0 * h0).abs() < 1e-12);
        assert_eq!(t.names, names(&["h1:7", "h1:1", "h1:7#2", "h1:-"]));
    }

    #[test]
    fn names_do_not_depend_on_ids() {
        let labels = array![0, 0, 0, 1, 1];
        let a = layer_table(
            "h2",
            array![0, 0, 0, 1, 1].view(),
            labels.view(),
            2,
            &names(&["3", "8"]),
        );
        let b = layer_table(
            "h2",
            array![1, 1, 1, 0, 0].view(),
            labels.view(),
            2,
            &names(&["3", "8"]),
        );
        assert_eq!(a.names, names(&["h2:3", "h2:8"]));
        assert_eq!(b.names, names(&["h2:8", "h2:3"]));
    }

    #[test]
    fn flows_count_transitions_with_filter() {
        let from = array![0, 0, 1, 1, 1];
        let to = array![1, 1, 0, 1, 0];
        let all = flow_matrix(from.view(), to.view(), 2, 2, |_| true);
        assert_eq!(all, array![[0, 2], [2, 1]]);
        let odd = flow_matrix(from.view(), to.view(), 2, 2, |i| i % 2 == 1);
        assert_eq!(odd, array![[0, 1], [0, 1]]);
        assert_eq!(all.sum(), 5);
    }
}
