//! Sankey layout and SVG: every band drawn, sizes proportional to counts, no overlapping
//! labels, valid XML, typed errors on bad input.

#[path = "report_fixtures/sample.rs"]
mod sample;
#[path = "report_fixtures/xml.rs"]
mod xml;

use mtq_report::{
    LabelBox, ReportError, SankeyColumn, SankeyData, SankeyGroup, SankeyLink, SankeyNode,
    sankey_layout, sankey_svg,
};

fn all_boxes(lay: &mtq_report::SankeyLayout) -> Vec<&LabelBox> {
    lay.labels
        .iter()
        .chain(&lay.titles)
        .chain(&lay.legend)
        .collect()
}

fn assert_no_overlap(boxes: &[&LabelBox]) {
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            assert!(!a.overlaps(b), "labels overlap: {a:?} and {b:?}");
        }
    }
}

#[test]
fn every_link_with_samples_is_drawn_once() {
    let data = sample::sankey();
    let svg = sankey_svg(&data).unwrap();
    let live: Vec<usize> = (0..data.links.len())
        .filter(|&i| data.links[i].count > 0)
        .collect();
    assert_eq!(svg.matches("class=\"band\"").count(), live.len());
    for i in live {
        assert_eq!(
            svg.matches(&format!("data-link=\"{i}\"")).count(),
            1,
            "link {i}"
        );
    }
    let lay = sankey_layout(&data).unwrap();
    assert_eq!(svg.matches("class=\"node\"").count(), lay.nodes.len());
}

#[test]
fn svg_is_well_formed_and_standalone() {
    let svg = sankey_svg(&sample::sankey()).unwrap();
    let names = xml::check(&svg).unwrap();
    assert_eq!(names[0], "svg");
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    assert!(!svg.contains("<script"));
    assert!(!svg.contains("href="), "no external resource");
    assert_eq!(svg.matches("http").count(), 1, "only the SVG namespace");
}

#[test]
fn band_widths_and_node_heights_are_proportional_to_counts() {
    let data = sample::sankey();
    let lay = sankey_layout(&data).unwrap();
    let scale = lay.bands[0].width / lay.bands[0].count as f64;
    assert!(scale > 0.0);
    for b in &lay.bands {
        assert!(
            (b.width - scale * b.count as f64).abs() < 1e-9,
            "band {b:?}"
        );
    }
    for n in &lay.nodes {
        assert!(
            (n.height - scale * n.count as f64).abs() < 1e-9,
            "node {n:?}"
        );
        // The bands leaving (or entering) a node exactly fill it.
        let touching: Vec<_> = lay
            .bands
            .iter()
            .filter(|b| {
                let l = &data.links[b.link];
                if n.column == 0 {
                    l.from == (n.column, n.node)
                } else {
                    l.to == (n.column, n.node)
                }
            })
            .collect();
        let sum: f64 = touching.iter().map(|b| b.width).sum();
        assert!((sum - n.height).abs() < 1e-6);
        for b in touching {
            let y = if n.column == 0 { b.y0 } else { b.y1 };
            assert!(y >= n.y - 1e-9 && y + b.width <= n.y + n.height + 1e-6);
        }
    }
    // Every column holds all 2,167 samples.
    let total: usize = sample::PATHS
        .iter()
        .chain(&sample::MORE_PATHS)
        .map(|p| p.4)
        .sum();
    for c in 0..data.columns.len() {
        let in_col: usize = lay
            .nodes
            .iter()
            .filter(|n| n.column == c)
            .map(|n| n.count)
            .sum();
        assert_eq!(in_col, total);
    }
}

#[test]
fn nodes_do_not_overlap_and_stay_inside() {
    let lay = sankey_layout(&sample::sankey()).unwrap();
    for a in &lay.nodes {
        assert!(a.y >= 0.0 && a.y + a.height <= lay.height && a.x >= 0.0 && a.x <= lay.width);
        for b in lay
            .nodes
            .iter()
            .filter(|b| b.column == a.column && b.node != a.node)
        {
            assert!(
                a.y + a.height <= b.y || b.y + b.height <= a.y,
                "{a:?} {b:?}"
            );
        }
    }
}

#[test]
fn bands_leave_and_enter_nodes_in_the_same_order() {
    // Two bands between the same pair of columns cross if their order at the source differs
    // from their order at the target, unless they share a source or target node.
    let data = sample::sankey();
    let lay = sankey_layout(&data).unwrap();
    for a in &lay.bands {
        for b in &lay.bands {
            let (la, lb) = (&data.links[a.link], &data.links[b.link]);
            if la.from == lb.from && a.link != b.link {
                // Within one source, bands are stacked in the order of their targets.
                let (ta, tb) = (node_y(&lay, la.to), node_y(&lay, lb.to));
                if ta < tb {
                    assert!(a.y0 < b.y0, "links {} {}", a.link, b.link);
                }
            }
            if la.to == lb.to && a.link != b.link {
                let (sa, sb) = (node_y(&lay, la.from), node_y(&lay, lb.from));
                if sa < sb {
                    assert!(a.y1 < b.y1, "links {} {}", a.link, b.link);
                }
            }
        }
    }
}

fn node_y(lay: &mtq_report::SankeyLayout, at: (usize, usize)) -> f64 {
    lay.nodes
        .iter()
        .find(|n| (n.column, n.node) == at)
        .map(|n| n.y)
        .expect("node is laid out")
}

#[test]
fn labels_never_overlap_in_the_study_layout() {
    let lay = sankey_layout(&sample::sankey()).unwrap();
    assert_eq!(
        lay.labels.len(),
        lay.nodes.len(),
        "every study node has room for its label"
    );
    assert_eq!(lay.titles.len(), 4);
    assert_eq!(lay.legend.len(), 5, "four groups and the hatching note");
    let boxes = all_boxes(&lay);
    assert_no_overlap(&boxes);
    for b in boxes {
        assert!(
            b.left >= 0.0
                && b.left + b.width <= lay.width
                && b.top >= 0.0
                && b.top + b.height <= lay.height,
            "{b:?}"
        );
    }
}

#[test]
fn a_busy_diagram_stays_legible() {
    let data = sample::many_clusters();
    let lay = sankey_layout(&data).unwrap();
    assert_no_overlap(&all_boxes(&lay));
    let svg = sankey_svg(&data).unwrap();
    xml::check(&svg).unwrap();
    assert_eq!(svg.matches("class=\"band\"").count(), data.links.len());
    // Nodes of at least 2 % of the samples always keep their label.
    let total: usize = lay
        .nodes
        .iter()
        .filter(|n| n.column == 0)
        .map(|n| n.count)
        .sum();
    for n in lay.nodes.iter().filter(|n| n.count * 50 >= total) {
        let label = format!(
            "{} ({})",
            data.columns[n.column].nodes[n.node].label, n.count
        );
        assert!(
            lay.labels.iter().any(|l| l.text == label),
            "{label} lost its label"
        );
    }
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("mtq-report-demo");
    std::fs::create_dir_all(&dir).unwrap();
    mtq_report::write_atomic(dir.join("sankey-many.svg"), svg.as_bytes()).unwrap();
}

#[test]
fn many_columns_widen_the_drawing_instead_of_cutting_labels() {
    // Twelve columns of two nodes: 100 samples split 60/40 all the way.
    let n_cols = 12;
    let columns = (0..n_cols)
        .map(|c| SankeyColumn {
            title: format!("layer {c}"),
            nodes: (0..2)
                .map(|i| SankeyNode {
                    label: format!("L{c}:{i}"),
                })
                .collect(),
        })
        .collect();
    let links = (0..n_cols - 1)
        .flat_map(|c| {
            [(0, 60), (1, 40)].map(|(n, count)| SankeyLink {
                from: (c, n),
                to: (c + 1, n),
                group: n,
                count,
            })
        })
        .collect();
    let groups = (0..2)
        .map(|g| SankeyGroup {
            label: format!("g{g}"),
            injected: false,
        })
        .collect();
    let data = SankeyData {
        columns,
        links,
        groups,
    };
    let lay = sankey_layout(&data).unwrap();
    assert!(lay.width > 1100.0);
    assert_no_overlap(&all_boxes(&lay));
    assert!(
        lay.labels.iter().all(|l| !l.text.contains('…')),
        "no label is cut"
    );
    assert!(lay.titles.iter().all(|t| !t.text.contains('…')));
}

/// A crowded diagram: one big node and many tiny ones per column.
fn crowded() -> SankeyData {
    let n = 40;
    let nodes = |prefix: &str| {
        (0..=n)
            .map(|i| SankeyNode {
                label: format!("{prefix}:{i} with a long name"),
            })
            .collect()
    };
    let columns = vec![
        SankeyColumn {
            title: "class".into(),
            nodes: nodes("c"),
        },
        SankeyColumn {
            title: "layer".into(),
            nodes: nodes("h"),
        },
    ];
    let mut links = vec![SankeyLink {
        from: (0, 0),
        to: (1, 0),
        group: 0,
        count: 5000,
    }];
    for i in 1..=n {
        links.push(SankeyLink {
            from: (0, i),
            to: (1, n + 1 - i),
            group: i % 3,
            count: 1 + i % 2,
        });
    }
    let groups = (0..3)
        .map(|g| SankeyGroup {
            label: format!("g{g}"),
            injected: g == 2,
        })
        .collect();
    SankeyData {
        columns,
        links,
        groups,
    }
}

#[test]
fn crowded_labels_are_moved_or_dropped_never_overlapping() {
    let data = crowded();
    let lay = sankey_layout(&data).unwrap();
    assert_no_overlap(&all_boxes(&lay));
    // The biggest node keeps its label; the tiny ones that do not fit lose theirs.
    assert!(lay.labels.iter().any(|l| l.text.contains("(5000)")));
    assert!(lay.labels.len() < lay.nodes.len());
    // Every kept label sits beside its node.
    let svg = sankey_svg(&data).unwrap();
    xml::check(&svg).unwrap();
    assert_eq!(svg.matches("class=\"band\"").count(), data.links.len());
}

#[test]
fn zero_count_links_and_empty_nodes_are_not_drawn() {
    let mut data = sample::sankey();
    data.links.push(SankeyLink {
        from: (0, 0),
        to: (1, 1),
        group: 0,
        count: 0,
    });
    data.columns[1].nodes.push(SankeyNode {
        label: "h1:empty".into(),
    });
    let lay = sankey_layout(&data).unwrap();
    assert!(lay.bands.iter().all(|b| b.count > 0));
    assert!(lay.nodes.iter().all(|n| n.count > 0));
    let svg = sankey_svg(&data).unwrap();
    assert!(!svg.contains("h1:empty ("));
}

#[test]
fn hostile_labels_are_escaped() {
    let mut data = sample::sankey();
    data.columns[1].nodes[0].label = "<script>alert('x')</script> & co".into();
    data.groups[0].label = "\"one\" <1>".into();
    let svg = sankey_svg(&data).unwrap();
    assert!(!svg.contains("<script"));
    xml::check(&svg).unwrap();
}

#[test]
fn injected_groups_are_hatched() {
    let svg = sankey_svg(&sample::sankey()).unwrap();
    assert_eq!(svg.matches("<pattern ").count(), 2);
    assert!(svg.contains("url(#mtq-sankey-hatch-2)") && svg.contains("url(#mtq-sankey-hatch-3)"));
}

#[test]
fn bad_diagrams_are_typed_errors() {
    let good = sample::sankey();

    let mut d = good.clone();
    d.columns.truncate(1);
    assert!(matches!(
        sankey_svg(&d),
        Err(ReportError::TooFewColumns { columns: 1 })
    ));

    let mut d = good.clone();
    d.columns[2].nodes.clear();
    assert!(matches!(
        sankey_svg(&d),
        Err(ReportError::EmptyColumn { column: 2, .. })
    ));

    let mut d = good.clone();
    d.groups.clear();
    assert!(matches!(sankey_svg(&d), Err(ReportError::NoGroups)));

    let mut d = good.clone();
    d.links[3].to = (d.links[3].to.0, 9);
    assert!(matches!(
        sankey_svg(&d),
        Err(ReportError::MissingNode {
            link: 3,
            node: 9,
            ..
        })
    ));

    let mut d = good.clone();
    d.links[0].from = (7, 0);
    assert!(matches!(
        sankey_svg(&d),
        Err(ReportError::MissingNode {
            link: 0,
            column: 7,
            ..
        })
    ));

    let mut d = good.clone();
    d.links.push(SankeyLink {
        from: (0, 0),
        to: (2, 0),
        group: 0,
        count: 1,
    });
    assert!(matches!(
        sankey_svg(&d),
        Err(ReportError::LinkNotAdjacent {
            from_column: 0,
            to_column: 2,
            ..
        })
    ));

    let mut d = good.clone();
    d.links[1].group = 4;
    assert!(matches!(
        sankey_svg(&d),
        Err(ReportError::MissingGroup {
            link: 1,
            group: 4,
            groups: 4
        })
    ));

    let mut d = good.clone();
    for l in &mut d.links {
        l.count = 0;
    }
    assert!(matches!(sankey_svg(&d), Err(ReportError::NothingToDraw)));

    let mut d = good.clone();
    d.links.clear();
    assert!(matches!(sankey_layout(&d), Err(ReportError::NothingToDraw)));

    let mut d = good;
    let i = d.links.iter().position(|l| l.from.0 == 0).unwrap();
    d.links[i].count += 5;
    assert!(matches!(
        sankey_svg(&d),
        Err(ReportError::UnbalancedNode { column: 1, .. })
    ));
}
