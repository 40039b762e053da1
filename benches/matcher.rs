//! Matcher throughput in bytes per second over synthetic source text with planted secrets.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use keytrail::rules::load_ruleset;
use keytrail::scan::BlobScanner;

fn corpus() -> Vec<u8> {
    let mut text = Vec::new();
    for i in 0..20_000 {
        text.extend_from_slice(
            format!(
                "func (c *Client) GetObject{i}(input *GetObjectInput) (*GetObjectOutput, error) {{\n\
                 \treq, out := c.newRequest(op, input, &GetObjectOutput{{}}) // NextToken, SecretAccessKey\n\
                 \treturn out, req.Send()\n}}\n"
            )
            .as_bytes(),
        );
        if i % 5000 == 0 {
            text.extend_from_slice(b"token = \"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\"\n");
        }
    }
    text
}

fn bench_matcher(c: &mut Criterion) {
    let rules = load_ruleset(true, &[]).expect("built-in rules");
    let text = corpus();
    let mut group = c.benchmark_group("matcher");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("builtin_rules_go_source", |b| {
        let mut scanner = BlobScanner::new(&rules);
        b.iter(|| scanner.scan("bench.go", &text).len());
    });
    group.finish();
}

criterion_group!(benches, bench_matcher);
criterion_main!(benches);
