import AiCOCO

/// Writes a tabular output shaped like FLaVor's (`flavor-tabular-*.json` in Fixtures/flavor):
/// the records artifact first, one compact JSON object per line, then the document, whose
/// `records` reference gives the artifact's rows and bytes. Seeded (equal options give equal
/// bytes), streaming, constant memory at any number of records.
public struct TabularGenerator: Sendable {
    /// What to generate.
    public let options: Options

    /// A generator of `options`.
    public init(options: Options) { self.options = options }

    private static let categoryNames = ["Arrhythmia", "Hypotension", "Sepsis", "Infection"]
    private static let regressionNames = [("HeartRate", "bpm"), ("SBP", "mmHg")]

    /// Writes the artifact to `artifact`, then the document to `document`; returns the document's
    /// `records` reference.
    @discardableResult
    public func generate(artifact: (UnsafeRawBufferPointer) throws -> Void,
                         document: (UnsafeRawBufferPointer) throws -> Void) throws -> RecordsReference {
        var line = ByteLine()
        var bytes = 0
        let classification = options.task == .classification
        for index in 0..<options.records {
            let table = index % options.tables
            let window = index / options.tables
            line.raw("{\"id\":\"")
            line.id(options.seed, kind: 1, index)
            line.raw("\",\"table_id\":\"")
            line.id(options.seed, kind: 2, table)
            line.raw("\",\"row_indexes\":[")
            for row in 0..<options.windowSize {
                if row > 0 { line.byte(0x2C) }
                line.integer(window * options.windowSize + row)
            }
            line.raw("],\"category_ids\":")
            let hash = mix(options.seed, 3, UInt64(index))
            if classification {
                // Multilabel: each category with probability 1/2, in the categories' order.
                line.byte(0x5B)
                var first = true
                for category in 0..<Self.categoryNames.count where (hash >> UInt64(category)) & 1 == 1 {
                    if !first { line.byte(0x2C) }
                    first = false
                    line.byte(0x22); line.id(options.seed, kind: 4, category); line.byte(0x22)
                }
                line.raw("],\"regressions\":null}\n")
            } else {
                line.raw("null,\"regressions\":[")
                for (number, _) in Self.regressionNames.enumerated() {
                    if number > 0 { line.byte(0x2C) }
                    line.raw("{\"regression_id\":\"")
                    line.id(options.seed, kind: 5, number)
                    line.raw("\",\"value\":")
                    let base = number == 0 ? 55.0 : 95.0
                    let spread = Double((hash >> UInt64(20 * number)) & 0xFFFFF) / Double(0xFFFFF)
                    line.raw(JSONText.number(base + 80 * spread))
                    line.byte(0x7D)
                }
                line.raw("]}\n")
            }
            if line.bytes.count >= 1 << 16 {
                bytes += line.bytes.count
                try line.bytes.withUnsafeBytes { try artifact($0) }
                line.bytes.removeAll(keepingCapacity: true)
            }
        }
        bytes += line.bytes.count
        try line.bytes.withUnsafeBytes { try artifact($0) }
        line.bytes.removeAll(keepingCapacity: true)

        let reference = RecordsReference(href: "/invocations/artifacts/" + options.artifactName,
                                           rows: options.records, bytes: bytes)
        line.raw("{\"tables\":[")
        for table in 0..<options.tables {
            if table > 0 { line.byte(0x2C) }
            line.raw("{\"id\":\""); line.id(options.seed, kind: 2, table)
            line.raw("\",\"file_name\":\"vitals_\(table).csv\"}")
        }
        line.raw("],\"categories\":[")
        if classification {
            for (number, name) in Self.categoryNames.enumerated() {
                if number > 0 { line.byte(0x2C) }
                line.raw("{\"id\":\""); line.id(options.seed, kind: 4, number)
                line.raw("\",\"name\":\"\(name)\",\"supercategory_id\":")
                if name == "Sepsis" {
                    line.byte(0x22); line.id(options.seed, kind: 4, 3); line.raw("\"}")
                } else {
                    line.raw("null}")
                }
            }
        }
        line.raw("],\"regressions\":[")
        if !classification {
            for (number, (name, unit)) in Self.regressionNames.enumerated() {
                if number > 0 { line.byte(0x2C) }
                line.raw("{\"id\":\""); line.id(options.seed, kind: 5, number)
                line.raw("\",\"name\":\"\(name)\",\"superregression_id\":null,\"unit\":\"\(unit)\"}")
            }
        }
        line.raw("],\"records\":{\"format\":\"jsonl\",\"href\":")
        line.raw(JSONText.quoted(reference.href))
        line.raw(",\"rows\":"); line.integer(reference.rows)
        line.raw(",\"bytes\":"); line.integer(reference.bytes)
        line.raw("},\"meta\":{\"window_size\":"); line.integer(options.windowSize)
        line.raw("}}\n")
        try line.bytes.withUnsafeBytes { try document($0) }
        return reference
    }
}

/// splitmix64 of (seed, kind, index): every id and choice, nothing stored.
private func mix(_ seed: UInt64, _ kind: UInt64, _ index: UInt64) -> UInt64 {
    splitMix64(seed &* splitMix64Increment &+ kind &* 0xBF58_476D_1CE4_E5B9 &+ index &* 0x94D0_49BB_1331_11EB)
}

/// A byte buffer with the few appends the generator needs.
private struct ByteLine {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(1 << 17) }

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func raw(_ text: String) { bytes.append(contentsOf: text.utf8) }

    mutating func integer(_ value: Int) {
        if value == 0 { bytes.append(0x30); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var count = 0
        var rest = value.magnitude
        withUnsafeMutableBytes(of: &digits) { buffer in
            while rest > 0 {
                buffer[count] = UInt8(0x30 + rest % 10)
                rest /= 10
                count += 1
            }
            if value < 0 { bytes.append(0x2D) }
            for position in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[position]) }
        }
    }

    /// A 21-character nanoid-style id of (seed, kind, index).
    mutating func id(_ seed: UInt64, kind: UInt64, _ index: Int) {
        let alphabet: StaticString = "_-0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
        var hash = mix(seed, 100 + kind, UInt64(index))
        var second = mix(seed, 200 + kind, UInt64(index))
        for position in 0..<21 {
            if position == 10 { hash = second; second = 0 }
            bytes.append(alphabet.utf8Start[Int(hash & 63)])
            hash >>= 6
        }
    }
}

extension TabularGenerator {
    /// Options of a ``TabularGenerator``.
    public struct Options: Sendable, Equatable {
        /// What the model predicts per window of rows: categories or regression values.
        public enum Task: String, Sendable, Equatable, CaseIterable {
            /// Categories (`classification`) or regression values (`regression`).
            case classification, regression
        }

        /// Records (lines) of the artifact.
        public var records: Int
        /// Seed of the random choices: equal options give equal bytes.
        public var seed: UInt64
        /// What the records predict.
        public var task: Task
        /// Rows per record.
        public var windowSize: Int
        /// Input tables; the records are spread over them in turn.
        public var tables: Int
        /// The artifact's file name, as `records.href` names it (`/invocations/artifacts/NAME`).
        public var artifactName: String

        /// Options for `records` records (negative counts as 0).
        public init(records: Int, seed: UInt64 = 1, task: Task = .classification, windowSize: Int = 3, tables: Int = 2,
                    artifactName: String = "records.jsonl") {
            self.records = max(0, records)
            self.seed = seed
            self.task = task
            self.windowSize = max(1, windowSize)
            self.tables = max(1, tables)
            self.artifactName = artifactName
        }
    }
}
