extension SegmentationMeasurement.SliceRows {
    /// The rows of one structure or pair as CSV lines into `text` (`aicoco measure`'s), taken in
    /// turn: `head` (scope, id and name, and a comma), the image's fields with their commas
    /// (`images[imageEnds[image]..<imageEnds[image + 1]]`), the pixels, a comma, the area from
    /// `area` (when given), two commas, `tail`.
    package func writeCSVLines(scope: SegmentationMeasurement.Scope, first: Int, second: Int, head: [UInt8], tail: [UInt8],
                               images: [UInt8], imageEnds: [Int], area: ((Int) -> Double)?, to text: TextBlock) throws {
        let order = measurement.slicesInOrder
        while let stream, Self.isRow(stream.key, of: scope, first, second) {
            let image = Int(order[Int(UInt32(bigEndian: stream.key.loadUnaligned(fromByteOffset: 9, as: UInt32.self)))])
            let pixels = RawBytes.load64(stream.payload.baseAddress!)
            try text.append(head)
            try text.append(images, imageEnds[image]..<imageEnds[image + 1])
            try text.append(decimal: pixels)
            try text.append(byte: 44)
            if let area { try text.append(number: area(pixels)) }
            try text.append(byte: 44)
            try text.append(byte: 44)
            try text.append(tail)
            try stream.advance()
        }
    }
}
