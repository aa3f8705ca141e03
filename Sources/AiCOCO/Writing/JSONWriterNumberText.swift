// Coordinates written with the text they had in the input (`CoordinateText`), where that text
// still reads back to the values; the values themselves otherwise.

extension JSONWriter {
    /// `[[x1, y1, x2, y2], ...]`, each box's numbers as `text` (comma-separated, box after box)
    /// has them when they read back to the box, else from the values.
    func boxes(_ boxes: [BoundingBox], text: [UInt8]?) throws {
        guard let text else { return try self.boxes(boxes) }
        try generator.arrayOpen()
        try text.withUnsafeBufferPointer { text in
            var position: Int? = 0
            for box in boxes {
                try generator.arrayOpen()
                try withUnsafeBytes(of: (box.x1, box.y1, box.x2, box.y2)) { raw in
                    position = try list(raw.bindMemory(to: Double.self), text: text, at: position)
                }
                try generator.arrayClose()
            }
        }
        try generator.arrayClose()
    }

    /// `[[x1, y1, ...], ...]`, each polygon's numbers as `text` (comma-separated, polygon after
    /// polygon) has them when they read back to the polygon, else from the values.
    func polygons(_ polygons: Polygons, text: [UInt8]?) throws {
        guard let text else { return try self.polygons(polygons) }
        try generator.arrayOpen()
        try text.withUnsafeBufferPointer { text in
            try polygons.coordinates.withUnsafeBufferPointer { all in
                var start = 0
                var position: Int? = 0
                for end in polygons.ends {
                    try generator.arrayOpen()
                    position = try list(UnsafeBufferPointer(rebasing: all[start..<end]), text: text, at: position)
                    try generator.arrayClose()
                    start = end
                }
            }
        }
        try generator.arrayClose()
    }

    /// The numbers of a list inside its open array: the text from `position` on when its next
    /// `values.count` numbers read back to `values` bit for bit (and may be written: finite, or
    /// `allowsNonFinite`), else the values. Returns where the next list's text starts (past
    /// `values.count` numbers either way), or `nil` once the text has run out.
    private func list(_ values: UnsafeBufferPointer<Double>, text: UnsafeBufferPointer<UInt8>,
                      at position: Int?) throws -> Int? {
        guard !values.isEmpty else { return position }
        guard let position, let end = textEnd(of: values, in: text, from: position) else {
            try generator.numberList(values)
            return position.flatMap { skip(values.count, in: text, from: $0) }
        }
        try generator.atom(UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: text[position..<end])), "number")
        return end + 1
    }

    /// Where the text after `count` numbers from `position` starts, or `nil` when it has fewer.
    private func skip(_ count: Int, in text: UnsafeBufferPointer<UInt8>, from position: Int) -> Int? {
        var commas = 0
        var at = position
        while at < text.count {
            if text[at] == UInt8(ascii: ",") {
                commas += 1
                if commas == count { return at + 1 }
            }
            at += 1
        }
        return commas == count - 1 && at > position ? at + 1 : nil
    }

    /// Where the text of `values` ends, starting at `position` of `text` (numbers separated by
    /// commas), or `nil` when the text does not hold exactly those values.
    private func textEnd(of values: UnsafeBufferPointer<Double>, in text: UnsafeBufferPointer<UInt8>,
                         from position: Int) -> Int? {
        var at = position
        for (offset, value) in values.enumerated() {
            if offset > 0 {
                guard at < text.count, text[at] == UInt8(ascii: ",") else { return nil }
                at += 1
            }
            let start = at
            while at < text.count && text[at] != UInt8(ascii: ",") { at += 1 }
            guard at > start, value.isFinite || generator.allowsNonFinite,
                  let read = parseJSONNumber(UnsafeBufferPointer(rebasing: text[start..<at])),
                  read.bitPattern == value.bitPattern || (read.isNaN && value.isNaN) else { return nil }
        }
        return at
    }
}
