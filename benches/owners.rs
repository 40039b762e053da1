//! Ownership resolution against a 5,000-line CODEOWNERS file: compiling it once, and resolving
//! paths (elements per second) with the one-`GlobSet` matcher.

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use keytrail::owners::codeowners::{Flavor, parse};
use keytrail::owners::resolve::CodeownersMatcher;

const LINES: usize = 5_000;
const PATHS: usize = 10_000;

/// A CODEOWNERS file shaped like a large monorepo's: a default owner, glob rules, one rule per
/// directory and rules for single files, general first.
fn codeowners() -> String {
    let mut lines = vec![
        "* @org/everyone".to_string(),
        "*.md @org/docs".into(),
        "*_test.go @org/qa".into(),
        "**/testdata/ @org/qa".into(),
        "/services/*/api.go @org/api".into(),
        "docs/* @org/docs".into(),
        "/vendor/".into(),
    ];
    let mut i = 0;
    while lines.len() < LINES {
        let (svc, module) = (i % 250, i / 250);
        lines.push(match i % 3 {
            0 => format!("/services/svc{svc}/ @org/team{}", svc % 40),
            1 => format!("/services/svc{svc}/module{module}/ @org/team{}", i % 90),
            _ => format!(
                "/services/svc{svc}/module{module}/config.yaml @dev{}",
                i % 500
            ),
        });
        i += 1;
    }
    lines.join("\n")
}

fn paths() -> Vec<String> {
    (0..PATHS)
        .map(|i| match i % 4 {
            0 => format!("services/svc{}/module{}/handler.go", i % 300, i % 25),
            1 => format!("services/svc{}/module{}/config.yaml", i % 250, i % 20),
            2 => format!("services/svc{}/README.md", i % 250),
            _ => format!("tools/lint/rule{i}.rs"),
        })
        .collect()
}

fn bench_owners(c: &mut Criterion) {
    let text = codeowners();
    let co = parse(".github/CODEOWNERS", &text, Flavor::GitHub);
    assert_eq!(co.rules.len(), LINES);
    let matcher = CodeownersMatcher::new(&co).expect("compiles");
    let paths = paths();
    let mut group = c.benchmark_group("owners");
    group.sample_size(20);
    group.throughput(Throughput::Elements(1));
    group.bench_function("parse_and_compile_5000_lines", |b| {
        b.iter_batched(
            || text.clone(),
            |t| CodeownersMatcher::new(&parse("CODEOWNERS", &t, Flavor::GitHub)).is_ok(),
            BatchSize::LargeInput,
        );
    });
    group.throughput(Throughput::Elements(PATHS as u64));
    group.bench_function("resolve_paths_5000_lines", |b| {
        b.iter(|| {
            paths
                .iter()
                .filter_map(|p| matcher.decide(&co, p))
                .map(|d| d.owners.len())
                .sum::<usize>()
        });
    });
    group.finish();
}

criterion_group!(benches, bench_owners);
criterion_main!(benches);
