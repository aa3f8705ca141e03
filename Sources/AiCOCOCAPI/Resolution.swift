// What resolves an annotation's slice index and category: the images, objects and categories.
import AiCOCO

/// Images (id → index) and objects (id → first category id) in budgeted spilling tables
/// (`IDMap`), categories by distinct name, and the meta record as JSON. Built from the records
/// read, frozen before the first annotation is resolved, then only looked up. Shared by the two
/// passes of a reader (one parser thread at a time).
final class ResolutionCatalog: @unchecked Sendable {
    private let images: IDMap
    private let objects: IDMap
    /// Category ids (UTF-8) and their codes, in file order; the first category of an id wins.
    private var categoryIDs: [[UInt8]] = []
    private var categoryCodes: [Int32] = []
    /// Distinct category names, in code order.
    private(set) var names: [String] = []
    private var nameCodes: [String: Int32] = [:]
    /// The meta record as JSON (empty until read).
    private(set) var meta: [UInt8] = []
    private var ended: Set<Section> = []
    private(set) var isFrozen = false
    // Annotations of one image or object often follow each other: their last answers.
    private var lastImage: RecordID?
    private var lastIndex = Double.nan
    private var lastObject: RecordID?
    private var lastCode: Int32 = -1

    /// Both tables share `memoryLimit` bytes before they spill to disk.
    init(memoryLimit: Int) {
        let budget = MemoryBudget(limit: memoryLimit)
        images = IDMap(budget: budget)
        objects = IDMap(budget: budget)
    }

    /// Whether the images, categories and objects sections have all ended.
    var isComplete: Bool { ended.isSuperset(of: [.images, .categories, .objects]) }

    func sectionEnded(_ section: Section) { ended.insert(section) }

    /// Takes what resolving needs from an image, category, object or the meta record.
    func add(_ record: Record) throws {
        switch record {
        case .meta(let meta):
            var bytes: [UInt8] = []
            let json = JSONWriter(sink: { bytes.append(contentsOf: $0) })
            try json.record(.meta(meta))
            try json.flush()
            self.meta = bytes
        case .image(let image) where !isFrozen:
            try images.set(image.id, withUnsafeBytes(of: image.index.bitPattern.littleEndian) { Array($0) })
        case .object(let object) where !isFrozen:
            try objects.set(object.id, Array((object.categoryIDs?.first ?? "").utf8))
        case .category(let category) where !isFrozen:
            let id = Array(category.id.utf8)
            guard !categoryIDs.contains(id) else { return }
            let code = nameCodes[category.name] ?? Int32(names.count)
            if code == Int32(names.count) {
                names.append(category.name)
                nameCodes[category.name] = code
            }
            categoryIDs.append(id)
            categoryCodes.append(code)
        default:
            break
        }
    }

    /// Ends the building: from now on, lookups.
    func freeze() throws {
        guard !isFrozen else { return }
        isFrozen = true
        try images.freeze()
        try objects.freeze()
    }

    /// The index of the image `key`, NaN when there is no such image.
    func sliceIndex(_ key: RecordID) throws -> Double {
        if key == lastImage { return lastIndex }
        let found = try key.withUTF8 { try images.value(for: $0) }
        var index = Double.nan
        if let found, found.count == 8 {
            index = Double(bitPattern: UInt64(littleEndian: found.loadUnaligned(as: UInt64.self)))
        }
        lastImage = key
        lastIndex = index
        return index
    }

    /// The code of the name of object `key`'s first category, -1 when unknown.
    func categoryCode(_ key: RecordID) throws -> Int32 {
        if key == lastObject { return lastCode }
        var code: Int32 = -1
        if let category = try key.withUTF8({ try objects.value(for: $0) }), category.count > 0 {
            for (position, id) in categoryIDs.enumerated() where id.elementsEqual(category) {
                code = categoryCodes[position]
                break
            }
        }
        lastObject = key
        lastCode = code
        return code
    }
}
