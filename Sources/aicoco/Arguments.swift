import AiCOCO
import ArgumentParser

// Typed argument values: the parser checks them, so a bad value is a usage error that shows
// the subcommand's usage and exits 2.

/// A byte count: `1500000`, `64k`, `200M`, `2G` (k, M, G: powers of 1024; kB, MB, GB: of 1000).
struct ByteCount: ExpressibleByArgument, Sendable, Equatable {
    var bytes: Int

    init(_ bytes: Int) { self.bytes = bytes }

    init?(argument: String) {
        guard let bytes = parseByteCount(argument) else { return nil }
        self.bytes = bytes
    }

    var defaultValueDescription: String {
        for (suffix, factor) in [("G", 1 << 30), ("M", 1 << 20), ("k", 1 << 10)] where bytes >= factor && bytes % factor == 0 {
            return "\(bytes / factor)\(suffix)"
        }
        return "\(bytes)"
    }
}

/// Parses sizes like `200M`, `2G`, `1500000`, `64k`; nil for anything else (or a negative size).
func parseByteCount(_ text: String) -> Int? {
    let lower = text.lowercased()
    let units: [(String, Int)] = [("gib", 1 << 30), ("mib", 1 << 20), ("kib", 1 << 10),
                                  ("gb", 1_000_000_000), ("mb", 1_000_000), ("kb", 1_000),
                                  ("g", 1 << 30), ("m", 1 << 20), ("k", 1 << 10), ("b", 1)]
    for (suffix, factor) in units where lower.hasSuffix(suffix) {
        let number = lower.dropLast(suffix.count)
        guard !number.isEmpty, number.allSatisfy({ $0.isNumber || $0 == "." }), let value = Double(number),
              value >= 0, value * Double(factor) < 9e18 else { return nil }
        return Int(value * Double(factor))
    }
    guard let value = Int(lower), value >= 0 else { return nil }
    return value
}

/// A positive count of something (`--max-depth`, `--max-errors`...).
struct Count: ExpressibleByArgument, Sendable, Equatable {
    var value: Int
    init(_ value: Int) { self.value = value }
    init?(argument: String) {
        guard let value = Int(argument), value >= 0 else { return nil }
        self.value = value
    }
    var defaultValueDescription: String { "\(value)" }
}

extension ArgumentHelp {
    /// The help of an option whose value is a count (`<count>`).
    static func count(_ text: String) -> ArgumentHelp { ArgumentHelp(text, valueName: "count") }
    /// The help of an option whose value is a size in bytes, `8M` and the like (`<size>`).
    static func size(_ text: String) -> ArgumentHelp { ArgumentHelp(text, valueName: "size") }
}

/// `WIDTHxHEIGHT`, both positive: `512x512`.
struct ImageSize: ExpressibleByArgument, Sendable, Equatable {
    var width: Int, height: Int

    init?(argument: String) {
        let parts = argument.lowercased().split(separator: "x", omittingEmptySubsequences: false)
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]),
              width > 0, height > 0, width <= 1 << 20, height <= 1 << 20 else { return nil }
        self.width = width
        self.height = height
    }
}

/// A range of image `index` values: `10...20` (both ends in), `10:20` (Python's slice: 20 out),
/// `10...`, `10:`, `...20`, `:20`, `7`. `10..<20` is read too, but a shell takes its `<` for a
/// redirection unless it is quoted.
struct IndexRange: ExpressibleByArgument, Sendable, Equatable {
    var range: ClosedRange<Double>

    init?(argument: String) {
        let text = argument.trimmingSpaces()
        func number(_ part: Substring) -> Double? { part.isEmpty ? nil : Double(part).flatMap { $0.isFinite ? $0 : nil } }
        if let colon = text.firstIndex(of: ":") {
            let lower = text[..<colon], upper = text[text.index(after: colon)...]
            guard !(lower.isEmpty && upper.isEmpty) else { return nil }
            let low = lower.isEmpty ? -Double.infinity : number(lower)
            if upper.isEmpty {
                guard let low else { return nil }
                range = low...Double.infinity
            } else {
                guard let high = number(upper), let low, low < high else { return nil }
                range = low...high.nextDown
            }
        } else if let dots = text.firstRange(of: "..<") {
            let lower = text[..<dots.lowerBound], upper = text[dots.upperBound...]
            guard let high = number(upper) else { return nil }
            let low = lower.isEmpty ? -Double.infinity : number(lower)
            guard let low, low < high else { return nil }
            range = low...high.nextDown
        } else if let dots = text.firstRange(of: "...") {
            let lower = text[..<dots.lowerBound], upper = text[dots.upperBound...]
            guard !(lower.isEmpty && upper.isEmpty) else { return nil }
            let low = lower.isEmpty ? -Double.infinity : number(lower)
            let high = upper.isEmpty ? Double.infinity : number(upper)
            guard let low, let high, low <= high else { return nil }
            range = low...high
        } else {
            guard let value = number(Substring(text)) else { return nil }
            range = value...value
        }
    }
}

extension Section: ExpressibleByArgument {}

/// A comma-separated order of the six sections: `meta,annotations,objects,categories,regressions,images`.
struct SectionOrder: ExpressibleByArgument, Sendable, Equatable {
    var sections: [Section]

    init?(argument: String) {
        var sections: [Section] = []
        for name in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard let section = Section(rawValue: String(name).trimmingSpaces()) else { return nil }
            sections.append(section)
        }
        guard sections.count == DocumentForm.Kind.image.sections.count, Set(sections) == Set(DocumentForm.Kind.image.sections) else { return nil }
        self.sections = sections
    }
}

extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text.removeFirst() }
        while text.last == " " { text.removeLast() }
        return String(text)
    }
}
