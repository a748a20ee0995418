//! Paths: the tuple of cluster ids a sample takes, one per layer, counted overall and per class.

use std::collections::BTreeMap;

use ndarray::{ArrayView1, ArrayView2};
use serde::{Deserialize, Serialize};

/// One distinct path with its counts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PathRow {
    /// Cluster id per layer.
    pub clusters: Vec<usize>,
    /// Readable name from the cluster names, e.g. `h1:7 > h2:7 > out:7`.
    pub name: String,
    /// How many samples take it.
    pub count: usize,
    /// How many samples of each class take it (`per_class[class]`).
    pub per_class: Vec<usize>,
}

/// Joins one sample's cluster names into a path name.
pub fn path_name(path: &[usize], cluster_names: &[Vec<String>]) -> String {
    path.iter()
        .zip(cluster_names)
        .map(|(&c, names)| names.get(c).map_or("?", String::as_str))
        .collect::<Vec<_>>()
        .join(" > ")
}

/// Counts the distinct rows of `paths` (samples x layers), overall and per class.
///
/// Rows come sorted by decreasing count, then by cluster ids, so the order never depends on hashing.
/// Labels `>= n_classes` count overall only.
pub fn count_paths(
    paths: ArrayView2<'_, usize>,
    labels: ArrayView1<'_, usize>,
    n_classes: usize,
    cluster_names: &[Vec<String>],
) -> Vec<PathRow> {
    let mut map: BTreeMap<Vec<usize>, Vec<usize>> = BTreeMap::new();
    for (row, &y) in paths.rows().into_iter().zip(labels.iter()) {
        let per = map
            .entry(row.to_vec())
            .or_insert_with(|| vec![0; n_classes + 1]);
        per[y.min(n_classes)] += 1;
    }
    let mut rows: Vec<PathRow> = map
        .into_iter()
        .map(|(clusters, mut per)| {
            let count = per.iter().sum();
            per.truncate(n_classes);
            PathRow {
                name: path_name(&clusters, cluster_names),
                clusters,
                count,
                per_class: per,
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.clusters.cmp(&b.clusters))
    });
    rows
}

/// A class's dominant ("archetypal") paths: the `top` most frequent paths among its samples, with
/// their share of the class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Archetype {
    /// Path name.
    pub name: String,
    /// Cluster id per layer.
    pub clusters: Vec<usize>,
    /// Samples of the class on it.
    pub count: usize,
    /// `count` over the class size.
    pub share: f64,
}

/// The `top` paths of `class` in `rows` (as returned by [`count_paths`]).
pub fn archetypes(rows: &[PathRow], class: usize, top: usize) -> Vec<Archetype> {
    let total: usize = rows.iter().filter_map(|r| r.per_class.get(class)).sum();
    let mut v: Vec<&PathRow> = rows
        .iter()
        .filter(|r| r.per_class.get(class).is_some_and(|&c| c > 0))
        .collect();
    v.sort_by(|a, b| {
        b.per_class[class]
            .cmp(&a.per_class[class])
            .then_with(|| a.clusters.cmp(&b.clusters))
    });
    v.into_iter()
        .take(top)
        .map(|r| Archetype {
            name: r.name.clone(),
            clusters: r.clusters.clone(),
            count: r.per_class[class],
            share: r.per_class[class] as f64 / total.max(1) as f64,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::array;

    fn names() -> Vec<Vec<String>> {
        vec![
            vec!["h1:1".into(), "h1:7".into()],
            vec!["h2:1".into(), "h2:7".into()],
        ]
    }

    #[test]
    fn counts_paths_overall_and_per_class_sorted() {
        let paths = array![[0, 0], [1, 1], [1, 1], [0, 1], [1, 1], [0, 0]];
        let labels = array![0, 1, 1, 1, 0, 0];
        let rows = count_paths(paths.view(), labels.view(), 2, &names());
        assert_eq!(rows.len(), 3);
        assert_eq!(rows[0].clusters, vec![1, 1]);
        assert_eq!(rows[0].count, 3);
        assert_eq!(rows[0].per_class, vec![1, 2]);
        assert_eq!(rows[0].name, "h1:7 > h2:7");
        assert_eq!(rows[1].clusters, vec![0, 0]);
        assert_eq!(rows[2].name, "h1:1 > h2:7");
        assert_eq!(rows.iter().map(|r| r.count).sum::<usize>(), 6);
    }

    #[test]
    fn archetypes_rank_within_class() {
        let paths = array![[0, 0], [1, 1], [1, 1], [0, 1], [1, 1], [0, 0]];
        let labels = array![0, 1, 1, 1, 0, 0];
        let rows = count_paths(paths.view(), labels.view(), 2, &names());
        let a = archetypes(&rows, 0, 5);
        assert_eq!(a[0].clusters, vec![0, 0]);
        assert_eq!(a[0].count, 2);
        assert!((a[0].share - 2.0 / 3.0).abs() < 1e-12);
        let b = archetypes(&rows, 1, 1);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].clusters, vec![1, 1]);
    }
}
