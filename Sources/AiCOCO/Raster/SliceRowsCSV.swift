extension SegmentationMeasurement.SliceRows {
    /// The rows of one structure or pair as CSV lines to `output` (`aicoco measure`'s), taken in
    /// turn: `head` (scope, id and name, and a comma), the image's fields with their commas
    /// (`images[imageEnds[image]..<imageEnds[image + 1]]`), the pixels, a comma, the area from
    /// `area` (when given), two commas, `tail`. Returns the pixels of those rows, added up.
    @discardableResult
    package func writeCSVLines(scope: SegmentationMeasurement.Scope, first: Int, second: Int, head: [UInt8], tail: [UInt8],
                               images: [UInt8], imageEnds: [Int], area: ((Int) -> Double)?, to output: FileOutput) throws -> Int {
        let order = measurement.slicesInOrder
        var voxels = 0
        while let stream, Self.isRow(stream.key, of: scope, first, second) {
            let image = Int(order[Int(UInt32(bigEndian: stream.key.loadUnaligned(fromByteOffset: 9, as: UInt32.self)))])
            let pixels = RawBytes.load64(stream.payload.baseAddress!)
            voxels += pixels
            try output.write(head)
            try output.write(images, imageEnds[image]..<imageEnds[image + 1])
            try output.write(decimal: pixels)
            try output.write(byte: 44)
            if let area { try output.write(number: area(pixels)) }
            try output.write(byte: 44)
            try output.write(byte: 44)
            try output.write(tail)
            try stream.advance()
        }
        return voxels
    }
}
