extension COCOConverter {
    /// What the conversion keeps besides the annotations: images, categories, objects and meta.
    /// Images and objects grow with the input: they go to budgeted tables (`IDMap`) and a
    /// temporary file, within half of `parserOptions.memoryLimit` (the reference checks of the
    /// validation have the other half).
    final class Catalog {
        /// The images in file order (id, file name, width, height), read back to write them.
        var images: TemporaryFile?
        var imageCount = 0
        var firstImageWithoutSize: String?
        /// Image id → its number (1, 2, ...).
        let imageNumbers: IDMap
        var categories: [Category] = []
        var categoryNumbers: [String: Int] = [:]
        /// Object id → confidence and category ids.
        let objects: IDMap
        var meta: Meta?
        var isTabular = false
        private var bytes: [UInt8] = []

        private let budget: MemoryBudget

        init(memoryLimit: Int) {
            budget = MemoryBudget(limit: memoryLimit)
            imageNumbers = IDMap(budget: budget)
            objects = IDMap(budget: budget)
        }

        /// Takes what it keeps of an image, category, object or meta record.
        func add(_ record: Record) throws {
            switch record {
            case .image(let image):
                try add(image)
            case .category(let category):
                categoryNumbers[category.id] = categories.count + 1
                categories.append(category)
            case .object(let object):
                try add(object)
            case .meta(let meta):
                self.meta = meta
            case .recordsReference:
                isTabular = true
            default:
                break
            }
        }

        func add(_ image: Image) throws {
            imageCount += 1
            let size = Self.size(of: image.extra)
            if (size.width == nil || size.height == nil) && firstImageWithoutSize == nil { firstImageWithoutSize = image.id }
            bytes.removeAll(keepingCapacity: true)
            Self.appendString(image.id, to: &bytes)
            Self.appendString(image.fileName, to: &bytes)
            RawBytes.appendVarint((size.width ?? -1) + 1, to: &bytes)
            RawBytes.appendVarint((size.height ?? -1) + 1, to: &bytes)
            if images == nil { images = try TemporaryFile() }
            var length = UInt32(bytes.count).littleEndian
            try withUnsafeBytes(of: &length) { try images!.write($0) }
            try images!.write(bytes)
            bytes.removeAll(keepingCapacity: true)
            RawBytes.appendVarint(imageCount, to: &bytes)
            RawBytes.appendVarint((size.width ?? -1) + 1, to: &bytes)
            RawBytes.appendVarint((size.height ?? -1) + 1, to: &bytes)
            try imageNumbers.set(image.id, bytes)
        }

        func add(_ object: Object) throws {
            bytes.removeAll(keepingCapacity: true)
            if let confidence = object.confidence {
                bytes.append(1)
                withUnsafeBytes(of: confidence.bitPattern.littleEndian) { bytes.append(contentsOf: $0) }
            } else {
                bytes.append(0)
            }
            for id in object.categoryIDs ?? [] { Self.appendString(id, to: &bytes) }
            try objects.set(object.id, bytes)
        }

        /// Ends the gathering: from now on, only lookups.
        /// Ends the building; `memoryLimit` is what the catalog may use from now on (the
        /// reference checks are over: their share is free). Objects first: their lookups hit
        /// no block twice in a row, while an image's annotations mostly come together.
        func freeze(memoryLimit: Int) throws {
            budget.raise(to: memoryLimit)
            try objects.freeze()
            try imageNumbers.freeze()
        }

        /// Reads back the images in file order.
        func forEachImage(_ body: (_ id: String, _ fileName: String, _ width: Int?, _ height: Int?) throws -> Void) throws {
            guard let images else { return }
            try images.flush()
            // Through a 64 KiB window: two reads per image were most of convert's reads on noisy.
            let reader = SpillReader(images, window: 1 << 16)
            while !reader.atEnd {
                let count = Int(UInt32(littleEndian: try reader.bytes(4).loadUnaligned(as: UInt32.self)))
                let bytes = try reader.bytes(count)
                var position = 0
                let id = Self.readString(bytes, &position), fileName = Self.readString(bytes, &position)
                let width = RawBytes.readVarint(bytes, &position) - 1, height = RawBytes.readVarint(bytes, &position) - 1
                try body(id, fileName, width < 0 ? nil : width, height < 0 ? nil : height)
            }
        }

        /// The category numbers and confidence of the object whose id's UTF-8 bytes are `id`.
        func object(_ id: UnsafeBufferPointer<UInt8>) throws -> (categories: [Int], confidence: Double?)? {
            guard let bytes = try objects.value(for: id), !bytes.isEmpty else { return nil }
            var position = 1
            var confidence: Double?
            if bytes[0] == 1 {
                confidence = Double(bitPattern: UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 1, as: UInt64.self)))
                position = 9
            }
            var categories: [Int] = []
            while position < bytes.count {
                if let number = categoryNumbers[Self.readString(bytes, &position)] { categories.append(number) }
            }
            return (categories, confidence)
        }

        /// An image's number (1, 2, ...) and its own size, if it has one.
        struct ImageEntry {
            var number: Int
            var width: Int?, height: Int?
        }

        /// The number and size of the image whose id's UTF-8 bytes are `id`.
        func image(_ id: UnsafeBufferPointer<UInt8>) throws -> ImageEntry? {
            let slot = id.count <= Self.cachedIDBytes ? recentImages + Self.slotBytes * Self.slot(of: id) : nil
            if let slot, Int(slot.load(as: UInt8.self)) == id.count + 1,
               RawBytes.compare(UnsafeRawBufferPointer(start: slot + 1, count: id.count), UnsafeRawBufferPointer(id)) == 0 {
                return Self.entry(number: slot.loadUnaligned(fromByteOffset: 24, as: Int.self),
                                  width: slot.loadUnaligned(fromByteOffset: 32, as: Int.self),
                                  height: slot.loadUnaligned(fromByteOffset: 40, as: Int.self))
            }
            guard let bytes = try imageNumbers.value(for: id) else { return nil }
            var position = 0
            let number = RawBytes.readVarint(bytes, &position)
            let width = RawBytes.readVarint(bytes, &position) - 1, height = RawBytes.readVarint(bytes, &position) - 1
            if let slot {
                slot.storeBytes(of: UInt8(id.count + 1), as: UInt8.self)
                if let base = id.baseAddress { (slot + 1).copyMemory(from: base, byteCount: id.count) }
                slot.storeBytes(of: number, toByteOffset: 24, as: Int.self)
                slot.storeBytes(of: width, toByteOffset: 32, as: Int.self)
                slot.storeBytes(of: height, toByteOffset: 40, as: Int.self)
            }
            return Self.entry(number: number, width: width, height: height)
        }

        private static func entry(number: Int, width: Int, height: Int) -> ImageEntry {
            ImageEntry(number: number, width: width < 0 ? nil : width, height: height < 0 ? nil : height)
        }

        /// The images looked up lately: annotations come object by object, each object over
        /// consecutive slices, so an image comes back soon (in real files 15 annotations out of
        /// 16 hit). A direct-mapped table of ids up to `cachedIDBytes` long: in each slot the
        /// id's length + 1 (0: empty), the id, then its number, width and height (-1: none),
        /// 8 bytes each, from byte 24.
        private let recentImages: UnsafeMutableRawPointer = {
            let table = UnsafeMutableRawPointer.allocate(byteCount: Catalog.slotBytes * Catalog.slots, alignment: 8)
            table.initializeMemory(as: UInt8.self, repeating: 0, count: Catalog.slotBytes * Catalog.slots)
            return table
        }()
        private static let slots = 4096, slotBytes = 48, cachedIDBytes = 23

        private static func slot(of id: UnsafeBufferPointer<UInt8>) -> Int {
            Int(truncatingIfNeeded: RawBytes.hash(UnsafeRawBufferPointer(id)) & UInt64(slots - 1))
        }

        deinit { recentImages.deallocate() }

        static func appendString(_ text: String, to bytes: inout [UInt8]) {
            RawBytes.appendVarint(text.utf8.count, to: &bytes)
            bytes.append(contentsOf: text.utf8)
        }

        static func readString(_ bytes: UnsafeRawBufferPointer, _ position: inout Int) -> String {
            let count = RawBytes.readVarint(bytes, &position)
            defer { position += count }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<position + count]), as: UTF8.self)
        }

        static func integer(_ value: JSONValue?) -> Int? {
            guard case .number(let number)? = value, let double = number.doubleValue,
                  double >= 0, double < 1e9, double == double.rounded() else { return nil }
            return Int(double)
        }

        /// `width`/`height`, else `dicom.Columns`/`dicom.Rows`.
        static func size(of extra: [JSONMember]) -> (width: Int?, height: Int?) {
            var width = integer(extra[key: "width"]), height = integer(extra[key: "height"])
            if width == nil || height == nil, case .object(let dicom)? = extra[key: "dicom"] {
                width = width ?? integer(dicom[key: "Columns"])
                height = height ?? integer(dicom[key: "Rows"])
            }
            return (width, height)
        }
    }
}
