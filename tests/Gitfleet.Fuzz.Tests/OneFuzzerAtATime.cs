using Xunit;

// The fuzzers run one at a time. The YAML fuzzer samples on every core; run beside the API fuzzer, whose real server
// lives in the same process, it held the thread pool's workers long enough (CI, 2026-12-07) for the server's TLS
// handshake to time out and the device's first auth request to fail before any fuzzing began. Each property is meant
// to measure its own subject, not the others' load; together they take about a minute instead of 40 s.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
