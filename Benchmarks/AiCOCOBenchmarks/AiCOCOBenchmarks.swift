import AiCOCO
import Benchmark
import Foundation

/// MB/s of one run, as a custom metric (bigger is better).
let megabytesPerSecond = BenchmarkMetric.custom("MB/s", polarity: .prefersLarger, useScalingFactor: false)
/// Million coordinate pairs per second.
let pairsPerSecond = BenchmarkMetric.custom("M pairs/s", polarity: .prefersLarger, useScalingFactor: false)

func ratioMetric(_ name: String) -> BenchmarkMetric {
    .custom("\(name) vs C no-op (%)", polarity: .prefersLarger, useScalingFactor: false)
}

/// Annotations in the input of one run: `mallocCountTotal` divided by this is the mallocs per annotation.
let annotationsMetric = BenchmarkMetric.custom("annotations", polarity: .prefersLarger, useScalingFactor: false)

let standardMetrics: [BenchmarkMetric] = [.wallClock, .mallocCountTotal, .peakMemoryResident, megabytesPerSecond,
                                          pairsPerSecond, annotationsMetric]

func configuration(_ iterations: Int = 5) -> Benchmark.Configuration {
    .init(metrics: standardMetrics, timeUnits: .milliseconds, warmupIterations: 1, maxDuration: .seconds(60),
          maxIterations: iterations)
}

/// Runs `body` once, recording MB/s and pairs/s.
func measure(_ benchmark: Benchmark, bytes: Int, pairs: Int, annotations: Int = 0, _ body: () throws -> Int) rethrows {
    let start = ContinuousClock.now
    blackHole(try body())
    let seconds = (ContinuousClock.now - start).seconds
    benchmark.measurement(megabytesPerSecond, Int(Double(bytes) / seconds / 1e6))
    benchmark.measurement(pairsPerSecond, Int(Double(pairs) / seconds / 1e6))
    benchmark.measurement(annotationsMetric, annotations)
}

func measureAsync(_ benchmark: Benchmark, bytes: Int, pairs: Int, _ body: () async throws -> Int) async rethrows {
    let start = ContinuousClock.now
    blackHole(try await body())
    let seconds = (ContinuousClock.now - start).seconds
    benchmark.measurement(megabytesPerSecond, Int(Double(bytes) / seconds / 1e6))
    benchmark.measurement(pairsPerSecond, Int(Double(pairs) / seconds / 1e6))
}

func readAllRecords(_ bytes: [UInt8]) throws -> [AiCOCORecord] {
    let reader = AiCOCORecordReader(.bytes(bytes))
    var records: [AiCOCORecord] = []
    while let record = try reader.next() { records.append(record) }
    return records
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}

let benchmarks: @Sendable () -> Void = {
    let inputs = Inputs.shared
    let segmentation = inputs.segmentation
    let pairs = inputs.segmentationSummary.points
    let size = segmentation.count

    /// A benchmark that reads `input` (of `pairs` coordinate pairs) once per iteration.
    func throughput(_ name: String, _ input: [UInt8], pairs: Int = 0, annotations: Int = 0, iterations: Int = 5,
                    _ workload: @escaping ([UInt8]) throws -> Int) {
        Benchmark(name, configuration: configuration(iterations)) { benchmark in
            for _ in benchmark.scaledIterations {
                try measure(benchmark, bytes: input.count, pairs: pairs, annotations: annotations) { try workload(input) }
            }
        }
    }
    let annotations = inputs.segmentationSummary.annotations
    let long = inputs.long
    let longPairs = inputs.longSummary.points
    let longAnnotations = inputs.longSummary.annotations

    // The real (noisy) shape first. Baselines, same inputs, same run.
    throughput("Baseline: C yajl, no-op callbacks", segmentation, pairs: pairs, Workload.cNoop)
    throughput("Baseline: C yajl, integer parsing", segmentation, pairs: pairs, Workload.cIntegers)
    throughput("Baseline: Foundation JSONDecoder + Codable (20 MB)", inputs.small, iterations: 3,
               Workload.foundationDecoder)
    throughput("Baseline: C yajl no-op, pretty-printed", inputs.pretty, Workload.cNoop)
    throughput("Baseline: C yajl no-op, detection-heavy", inputs.detection, Workload.cNoop)

    // Ours.
    throughput("Typed records, pull", segmentation, pairs: pairs, annotations: annotations, Workload.recordsPull)
    throughput("Typed records, 20 MB (vs JSONDecoder)", inputs.small, Workload.recordsPull)
    throughput("Typed records, pretty-printed", inputs.pretty, Workload.recordsPull)
    throughput("Typed records, detection-heavy", inputs.detection, Workload.recordsPull)
    throughput("Event API (coordinate chunks)", segmentation, pairs: pairs, annotations: annotations, Workload.events)
    throughput("Validate (schema, rules, references)", segmentation, pairs: pairs, Workload.validate)
    throughput("Records to JSON lines (aicoco records)", segmentation, pairs: pairs, Workload.jsonLines)
    throughput("Typed records to JSON lines (AiCOCORecordLineWriter)", segmentation, pairs: pairs,
               Workload.typedJSONLines)

    // The long-contour shape second.
    throughput("Long contours: baseline C yajl, no-op callbacks", long, pairs: longPairs, Workload.cNoop)
    throughput("Long contours: typed records, pull", long, pairs: longPairs, annotations: longAnnotations,
               Workload.recordsPull)
    throughput("Long contours: event API", long, pairs: longPairs, annotations: longAnnotations, Workload.events)
    throughput("Long contours: validate", long, pairs: longPairs, Workload.validate)
    throughput("Long contours: records to JSON lines", long, pairs: longPairs, Workload.jsonLines)
    Benchmark("Typed records, async", configuration: configuration()) { benchmark in
        for _ in benchmark.scaledIterations {
            try await measureAsync(benchmark, bytes: size, pairs: pairs) { try await Workload.recordsAsync(segmentation) }
        }
    }
    Benchmark("Writer: records back to an AiCOCO document (20 MB)",
              configuration: configuration(),
              closure: { benchmark, records in
                  for _ in benchmark.scaledIterations {
                      try? measure(benchmark, bytes: inputs.small.count, pairs: 0) { try Workload.writeDocument(records) }
                  }
              },
              setup: { try readAllRecords(inputs.small) })

    // The targets, as ratios of runs interleaved with the C ceiling in this same run.
    Benchmark("Ratios to the C no-op ceiling (interleaved)",
              configuration: .init(metrics: [ratioMetric("typed records"), ratioMetric("event API"),
                                             ratioMetric("validate"), ratioMetric("JSON lines")],
                                   warmupIterations: 1, maxDuration: .seconds(120), maxIterations: 5)) { benchmark in
        for _ in benchmark.scaledIterations {
            func time(_ body: () throws -> Int) rethrows -> Double {
                let start = ContinuousClock.now
                blackHole(try body())
                return (ContinuousClock.now - start).seconds
            }
            let ceiling = time { Workload.cNoop(segmentation) }
            let records = try time { try Workload.recordsPull(segmentation) }
            let events = try time { try Workload.events(segmentation) }
            let validation = try time { try Workload.validate(segmentation) }
            let lines = try time { try Workload.jsonLines(segmentation) }
            benchmark.measurement(ratioMetric("typed records"), Int(100 * ceiling / records))
            benchmark.measurement(ratioMetric("event API"), Int(100 * ceiling / events))
            benchmark.measurement(ratioMetric("validate"), Int(100 * ceiling / validation))
            benchmark.measurement(ratioMetric("JSON lines"), Int(100 * ceiling / lines))
        }
    }
}
