/// Where a document's `annotations` array may be cut among threads: guesses only, read from a
/// few windows of the file. Every guess is confirmed by the parse itself (see `SplitParse`), so a
/// wrong one costs time, never a different result.
struct SplitPoints {
    /// Offsets of the commas chosen: each follows a `}` and precedes a `{` (whitespace between
    /// allowed), as between two records. In file order, at least two.
    var commas: [Int]

    static let window = 64 << 10
    /// The part of a window read first (the first comma in it is the window's first: see
    /// `firstRecordComma`, which finds none that the bytes after it could change).
    static let firstWindow = 4 << 10

    /// The cut points of `file` for stretches of about `stretchBytes`, or nil when the file has
    /// no `annotations` array worth cutting.
    static func guess(in file: PositionalFile, stretchBytes: Int) throws -> SplitPoints? {
        guard let start = try firstOffset(of: Array("\"annotations\"".utf8), in: file, where: { bytes, at in
            Self.opensArray(bytes, after: at + 13)
        }) else { return nil }
        guard let end = try lastOffset(of: Array("\"image_id\"".utf8), in: file, after: start) else { return nil }
        guard end - start >= 2 * stretchBytes else { return nil }
        var targets = Array(stride(from: start, to: end - stretchBytes / 2, by: stretchBytes))
        targets.append(max(start, end - window))
        var commas: [Int] = []
        for target in targets {
            // A record's end is most often within its first KiBs: the whole window only when not.
            var comma = firstRecordComma(try file.bytes(target..<min(end, target + firstWindow)))
            if comma == nil, target + firstWindow < end {
                comma = firstRecordComma(try file.bytes(target..<min(end, target + window)))
            }
            guard let comma else { continue }
            let offset = target + comma
            if offset > (commas.last ?? -1) { commas.append(offset) }
        }
        return commas.count >= 2 ? SplitPoints(commas: commas) : nil
    }

    /// Whether `bytes[at...]` is whitespace, `:`, whitespace, `[` (what follows a key of an array).
    static func opensArray(_ bytes: [UInt8], after at: Int) -> Bool {
        var index = at
        func skipSpace() { while index < bytes.count, isSpace(bytes[index]) { index += 1 } }
        skipSpace()
        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { return false }
        index += 1
        skipSpace()
        return index < bytes.count && bytes[index] == UInt8(ascii: "[")
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
    }

    /// The first comma in `bytes` between a `}` and a `{` (whitespace aside).
    static func firstRecordComma(_ bytes: [UInt8]) -> Int? {
        var index = 0
        while index < bytes.count {
            defer { index += 1 }
            guard bytes[index] == UInt8(ascii: "}") else { continue }
            var next = index + 1
            while next < bytes.count, isSpace(bytes[next]) { next += 1 }
            guard next < bytes.count, bytes[next] == UInt8(ascii: ",") else { continue }
            let comma = next
            next += 1
            while next < bytes.count, isSpace(bytes[next]) { next += 1 }
            if next < bytes.count, bytes[next] == UInt8(ascii: "{") { return comma }
        }
        return nil
    }

    /// The first place of `needle` in the file for which `accept(block, offset in block)` holds.
    private static func firstOffset(of needle: [UInt8], in file: PositionalFile,
                                    where accept: ([UInt8], Int) -> Bool) throws -> Int? {
        let block = 1 << 20
        var base = 0
        while base < file.size {
            let bytes = try file.bytes(base..<min(file.size, base + block + 64))
            var from = 0
            while let at = find(needle, in: bytes, from: from, limit: min(bytes.count, block + needle.count)) {
                if accept(bytes, at) { return base + at }
                from = at + 1
            }
            base += block
        }
        return nil
    }

    /// The last place of `needle` in the file after `floor`, read backwards by blocks (each
    /// searched from its end: only the bytes after that place are looked at).
    private static func lastOffset(of needle: [UInt8], in file: PositionalFile, after floor: Int) throws -> Int? {
        let block = 1 << 20
        // Horspool's search run backwards: a window whose first byte is c moves left to the
        // nearest other place of c in the needle (past it when there is none).
        var shift = [Int](repeating: needle.count, count: 256)
        for index in stride(from: needle.count - 1, through: 1, by: -1) { shift[Int(needle[index])] = index }
        var top = file.size
        while top > floor {
            let base = max(floor, top - block)
            let bytes = try file.bytes(base..<min(file.size, top + needle.count))
            var at = bytes.count - needle.count
            while at >= 0 {
                if matches(needle, in: bytes, at: at) { return base + at }
                at -= shift[Int(bytes[at])]
            }
            top = base
        }
        return nil
    }

    /// The first place of `needle` in `bytes[from..<limit]` (Horspool's search: a window whose
    /// last byte is c moves right to the nearest earlier place of c in the needle).
    private static func find(_ needle: [UInt8], in bytes: [UInt8], from: Int, limit: Int) -> Int? {
        let count = needle.count
        guard count > 0, limit - count >= from else { return nil }
        var shift = [Int](repeating: count, count: 256)
        for index in 0..<(count - 1) { shift[Int(needle[index])] = count - 1 - index }
        var index = from
        while index <= limit - count {
            if matches(needle, in: bytes, at: index) { return index }
            index += shift[Int(bytes[index + count - 1])]
        }
        return nil
    }

    /// Whether `needle` is in `bytes` at `at` (which leaves room for it), compared from its end.
    private static func matches(_ needle: [UInt8], in bytes: [UInt8], at: Int) -> Bool {
        var index = needle.count - 1
        while index >= 0 {
            if bytes[at + index] != needle[index] { return false }
            index -= 1
        }
        return true
    }
}
