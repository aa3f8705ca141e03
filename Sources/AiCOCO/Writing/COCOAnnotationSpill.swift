extension COCOConverter {
    /// The COCO annotations, written as their AiCOCO annotations are read, to temporary files:
    /// each one's JSON text except what depends on its object (`id`, `category_id`, `score`),
    /// which comes after the annotations in real files. They go in runs, one per object id
    /// (annotations come object by object), so that the object is looked up once a run.
    ///
    /// `text` holds the annotations' text, one after the other. `index` holds, in input order,
    /// records that start with a tag byte (numbers are varints):
    /// - 1, a run: its object id (length, UTF-8 bytes);
    /// - 2, an annotation of the run without contour points (boxes): the lengths of its image
    ///   id, of its members from `segmentation` to `iscrowd` (the middle) and of `aicoco_id`,
    ///   `aicoco_object_id` (the tail), then the image id; its text is the next middle + tail
    ///   bytes of `text`;
    /// - 4, an annotation of the run with contours, whose pixels need its image's size (known
    ///   once the whole input is read): the lengths of its image id, of its contours (the raw
    ///   part) and of its tail, then the image id; `text` holds the raw part (`iscrowd`, then the
    ///   number of contours and each contour's point count and points, rounded to integers as
    ///   `ContourScanner` rounds them; zigzag varints), then the tail's text;
    /// - 3, the run's end: its annotations without geometry (not written).
    final class AnnotationSpill {
        private var text: TemporaryFile?
        private var index: TemporaryFile?
        /// Writes the text of the annotations in the state of the output's annotation objects
        /// after their `category_id`, so that the bytes fit there as they are (compact or pretty).
        /// It gathers about `textPiece` bytes of them before they go to `text` (in one write;
        /// under its buffer's 256 KiB so that the buffer need not grow for it).
        private let fragment: JSONGenerator
        private static let textPiece = 3 << 16
        private var geometry = COCOGeometry()
        private var object: RecordID?
        private var runWithoutGeometry = 0
        private var header: [UInt8] = []
        private var raw: [UInt8] = []
        /// A worker's spill of a stretch of annotations, in memory (see `append(_:)`).
        private let inMemory: Bool
        private var memoryIndex: [UInt8] = [], memoryText: [UInt8] = []

        init(pretty: Bool, inMemory: Bool = false) throws {
            fragment = try Self.fragmentGenerator(pretty: pretty)
            self.inMemory = inMemory
        }

        /// Ends a spill in memory: its last run, its text.
        func finishInMemory() throws {
            try endRun()
            try drainText()
        }

        /// Appends what `part` (in memory, finished) spilled: its annotations come next in the input.
        func append(_ part: AnnotationSpill) throws {
            try endRun()
            try drainText()
            if !part.memoryIndex.isEmpty { try writeIndex(part.memoryIndex) }
            guard !part.memoryText.isEmpty else { return }
            if text == nil { text = try TemporaryFile(bufferCapacity: 1 << 12) }
            try text!.write(part.memoryText)
        }

        /// A generator in the output's state after an annotation's "category_id" (`{"annotations":
        /// [{..., "category_id": 0`), nothing pending: what it writes fits there as it is.
        static func fragmentGenerator(pretty: Bool) throws -> JSONGenerator {
            let fragment = JSONGenerator(pretty: pretty)
            try fragment.mapOpen()
            try fragment.key("annotations")
            try fragment.arrayOpen()
            try fragment.mapOpen()
            try fragment.key("category_id")
            try fragment.integer(0)
            try fragment.drain { _ in }
            return fragment
        }

        /// Adds the annotation `fields` with its polygons (flat, with where each ends, `ends` nil
        /// for `"segmentation": null`) and boxes (nil for `"bbox": null`).
        func add(_ fields: AnnotationFields, polygons: UnsafeBufferPointer<Double>, ends: [Int]?,
                 boxes: [BoundingBox]?) throws {
            if object != fields.objectKey {
                try endRun()
                object = fields.objectKey
                header.removeAll(keepingCapacity: true)
                header.append(1)
                fields.objectKey.withUTF8 { id in
                    RawBytes.appendVarint(id.count, to: &header)
                    header.append(contentsOf: id)
                }
                try writeIndex(header)
            }
            if COCOGeometry.hasPoints(polygons, ends: ends), let ends {
                return try addContours(fields, polygons: polygons, ends: ends)
            }
            guard geometry.build(boxes: boxes, segmentation: ends != nil) else {
                runWithoutGeometry += 1
                return
            }
            if geometry.overflowed {
                // Placed by the reader on the annotation (it is still being read).
                throw RecordLimitExceeded(message: "the annotation's coordinates are too large for its COCO area or bbox (they overflow a double, beyond 1.8e308); scale them down")
            }
            // Each annotation leaves the generator in the state it found it (after a member).
            let start = fragment.pendingBytes
            try name("segmentation")
            try fragment.arrayOpen()
            try geometry.coordinates.withUnsafeBufferPointer { all in
                var start = 0
                for end in geometry.ends {
                    try fragment.arrayOpen()
                    try fragment.numberList(UnsafeBufferPointer(rebasing: all[start..<end]))
                    try fragment.arrayClose()
                    start = end
                }
            }
            try fragment.arrayClose()
            try name("area"); try fragment.number(geometry.area)
            try name("bbox")
            try fragment.arrayOpen()
            try fragment.number(geometry.x); try fragment.number(geometry.y)
            try fragment.number(geometry.width); try fragment.number(geometry.height)
            try fragment.arrayClose()
            try name("iscrowd"); try fragment.integer(fields.iscrowd)
            try writeTail(fields, tag: 2, from: start)
        }

        /// Adds an annotation with contour points: its contours as they are (rounded), then its tail.
        private func addContours(_ fields: AnnotationFields, polygons: UnsafeBufferPointer<Double>, ends: [Int]) throws {
            raw.removeAll(keepingCapacity: true)
            RawBytes.appendVarint(Self.zigzag(fields.iscrowd), to: &raw)
            RawBytes.appendVarint(ends.count, to: &raw)
            var start = 0
            for end in ends {
                let pairs = (end - start) / 2
                RawBytes.appendVarint(pairs, to: &raw)
                for index in start..<start + 2 * pairs {
                    let value = polygons[index]
                    // Read under --allow-nan; placed by the reader on the annotation, as measure and --to nifti refuse it.
                    guard value.isFinite else {
                        throw RecordLimitExceeded(message: "the annotation's segmentation has a NaN or infinite coordinate (read under --allow-nan), which is no pixel: a COCO mask cannot hold it; remove it or fix the coordinate")
                    }
                    RawBytes.appendVarint(Self.zigzag(Int(COCOMask.rounded(value))), to: &raw)
                }
                start = end
            }
            let rawStart = fragment.pendingBytes
            raw.withUnsafeBytes { fragment.continuation($0) }
            try writeTail(fields, tag: 4, from: rawStart)
        }

        /// Writes the annotation's tail (`aicoco_id`, `aicoco_object_id`) after its middle (the
        /// text from `start`), then its index record: `tag`, the lengths of its image id, of its
        /// middle and of its tail, then the image id.
        private func writeTail(_ fields: AnnotationFields, tag: UInt8, from start: Int) throws {
            let middleEnd = fragment.pendingBytes
            try name("aicoco_id"); try id(fields.idKey)
            try name("aicoco_object_id"); try id(fields.objectKey)
            let end = fragment.pendingBytes
            header.removeAll(keepingCapacity: true)
            header.append(tag)
            fields.imageKey.withUTF8 { id in
                RawBytes.appendVarint(id.count, to: &header)
                RawBytes.appendVarint(middleEnd - start, to: &header)
                RawBytes.appendVarint(end - middleEnd, to: &header)
                header.append(contentsOf: id)
            }
            try writeIndex(header)
            if end >= Self.textPiece { try drainText() }
        }

        static func zigzag(_ value: Int) -> Int { (value << 1) ^ (value >> 63) }

        static func unzigzag(_ value: Int) -> Int { Int(bitPattern: UInt(bitPattern: value) >> 1) ^ -(value & 1) }

        /// Writes the current run's end record.
        private func endRun() throws {
            guard object != nil else { return }
            header.removeAll(keepingCapacity: true)
            header.append(3)
            RawBytes.appendVarint(runWithoutGeometry, to: &header)
            try writeIndex(header)
            object = nil
            runWithoutGeometry = 0
        }

        /// Ends the last run; the index and the text, to read from their start (nil when
        /// there is no annotation).
        func finish() throws -> (index: SpillReader, text: SpillReader)? {
            try endRun()
            try drainText()
            guard let index else { return nil }
            try index.flush()
            let text = try self.text ?? TemporaryFile()
            try text.flush()
            return (SpillReader(index, window: 1 << 16), SpillReader(text, window: 1 << 18))
        }

        /// Bytes in the temporary files.
        var size: Int { (index?.size ?? 0) + (text?.size ?? 0) + fragment.pendingBytes }

        private func writeIndex(_ bytes: [UInt8]) throws {
            if inMemory { return memoryIndex.append(contentsOf: bytes) }
            if index == nil { index = try TemporaryFile() }
            try bytes.withUnsafeBytes { try index!.write($0) }
        }

        private func drainText() throws {
            guard fragment.pendingBytes > 0 else { return }
            if inMemory { return try fragment.drain { memoryText.append(contentsOf: $0) } }
            if text == nil { text = try TemporaryFile(bufferCapacity: 1 << 12) }
            try fragment.drain { try text!.write($0) }
        }

        private func name(_ key: StaticString) throws {
            try fragment.key(key)
        }

        /// An id as a string value (a nanoid decoded in place: its alphabet needs no escape).
        private func id(_ id: RecordID) throws {
            if id.isNanoid { return try fragment.plainString(capacity: 21) { id.decode(into: $0) } }
            try id.withUTF8 { try fragment.string(bytes: $0) }
        }
    }

    /// Reads a spill file from its start through a window of its bytes; can go back (to write an
    /// annotation once per category of its object).
    final class SpillReader {
        private let file: TemporaryFile
        private var buffer: UnsafeMutableRawBufferPointer
        /// The file offset of `buffer[0]`, and how many bytes from there the buffer holds.
        private var windowStart = 0, windowCount = 0
        /// The file offset of the next byte to read.
        var position = 0

        init(_ file: TemporaryFile, window: Int) {
            self.file = file
            buffer = .allocate(byteCount: window, alignment: 8)
        }

        deinit { buffer.deallocate() }

        /// Another reader of the same file, from its start.
        func another(window: Int) -> SpillReader { SpillReader(file, window: window) }

        var atEnd: Bool { position >= file.size }

        /// The file's size.
        var size: Int { file.size }

        /// The next `count` bytes, valid until the next call.
        func bytes(_ count: Int) throws -> UnsafeRawBufferPointer {
            if position < windowStart || position + count > windowStart + windowCount {
                if count > buffer.count {
                    buffer.deallocate()
                    buffer = .allocate(byteCount: count, alignment: 8)
                }
                windowStart = position
                windowCount = try file.read(at: position, into: buffer)
                guard windowCount >= count else {
                    throw DocumentError.io("a temporary file in \(file.directory) (the temporary directory) was cut short; set TMPDIR to another directory")
                }
            }
            defer { position += count }
            let offset = position - windowStart
            return UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[offset..<offset + count])
        }

        func byte() throws -> UInt8 { try bytes(1)[0] }

        func varint() throws -> Int {
            var value: UInt64 = 0, shift: UInt64 = 0
            while true {
                let byte = try byte()
                value |= UInt64(byte & 0x7F) << shift
                if byte < 0x80 { return Int(truncatingIfNeeded: value) }
                shift += 7
            }
        }

        /// Hands the next `count` bytes to `body` in pieces of at most the window's size.
        func copy(_ count: Int, to body: (UnsafeRawBufferPointer) throws -> Void) throws {
            var rest = count
            while rest > 0 {
                let piece = min(rest, buffer.count)
                try body(bytes(piece))
                rest -= piece
            }
        }
    }
}
