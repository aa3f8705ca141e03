extension DocumentFilter {
    /// What `DocumentFilter` keeps. Within one kind of criterion any match keeps (OR); the object
    /// criteria (categories, objects) and the image criteria (images, index ranges) must both hold (AND).
    public struct Criteria: Sendable, Equatable {
        /// Keep objects that have a category of one of these names.
        public var categoryNames: Set<String> = []
        /// Keep these objects.
        public var objectIDs: Set<String> = []
        /// Keep these images.
        public var imageIDs: Set<String> = []
        /// Keep images whose `index` lies in one of these ranges.
        public var indexRanges: [ClosedRange<Double>] = []

        /// Criteria; none given keeps everything.
        public init(categoryNames: Set<String> = [], objectIDs: Set<String> = [], imageIDs: Set<String> = [],
                    indexRanges: [ClosedRange<Double>] = []) {
            self.categoryNames = categoryNames
            self.objectIDs = objectIDs
            self.imageIDs = imageIDs
            self.indexRanges = indexRanges
        }

        var selectsObjects: Bool { !categoryNames.isEmpty || !objectIDs.isEmpty }
        var selectsImages: Bool { !imageIDs.isEmpty || !indexRanges.isEmpty }
    }
}

/// Writes a smaller, valid AiCOCO document: the images, objects and annotations the criteria
/// keep, and whatever they reference (categories with their supercategories; regressions and
/// meta are kept whole). An annotation stays when both its object and its image stay; with
/// image criteria, an object stays only if one of its annotations does. Reads the input two
/// times (three with image criteria when the annotations come before the images), keeping
/// only ids in memory; sections are written in the input's order.
public struct DocumentFilter {
    /// What to keep.
    public var criteria: DocumentFilter.Criteria
    /// How the input is parsed.
    public var parserOptions: DocumentParsing.Options

    /// A filter.
    public init(criteria: DocumentFilter.Criteria, parserOptions: DocumentParsing.Options = DocumentParsing.Options()) {
        self.criteria = criteria
        self.parserOptions = parserOptions
    }

    /// What a filter run kept and read.
    public struct Summary: Sendable, Equatable {
        /// Records written per section.
        public var kept: [Section: Int] = [:]
        /// Records read per section.
        public var read: [Section: Int] = [:]
        /// Times the input was read (2 or 3).
        public var passes = 0
        /// `--category` names that no category has.
        public var unknownCategoryNames: [String] = []
    }

    /// The ids of the categories named in `names`, and of their descendants (a supercategory
    /// selects its children).
    static func categoriesSelected(byNames names: Set<String>,
                                   in categories: [String: (name: String, superID: String?)]) -> Set<String> {
        guard !names.isEmpty else { return [] }
        var selected: Set<String> = []
        for (id, category) in categories {
            var current: (name: String, superID: String?)? = category
            var steps = 0
            // Up the supercategory chain (bounded: the chain may loop in a bad document).
            while let node = current, steps <= categories.count {
                if names.contains(node.name) {
                    selected.insert(id)
                    break
                }
                current = node.superID.flatMap { categories[$0] }
                steps += 1
            }
        }
        return selected
    }

    /// The criteria select nothing: nothing is written.
    public struct NothingMatched: Error, Sendable, CustomStringConvertible {
        /// The criteria.
        public let criteria: DocumentFilter.Criteria
        /// Category names that no category has.
        public let unknownCategoryNames: [String]
        /// The names the file's categories have.
        public let knownCategoryNames: [String]
        /// Images and objects in the file.
        public let images: Int, objects: Int

        /// The message: what matched nothing, and the categories there are.
        public var description: String {
            var text = "nothing matches"
            var parts: [String] = []
            if !unknownCategoryNames.isEmpty {
                parts.append("no category is named " + unknownCategoryNames.map { "\"\($0)\"" }.joined(separator: ", "))
            }
            if !criteria.objectIDs.isEmpty { parts.append("\(objects) objects in the file") }
            if criteria.selectsImages { parts.append("\(images) images in the file") }
            if !parts.isEmpty { text += " (" + parts.joined(separator: "; ") + ")" }
            text += knownCategoryNames.isEmpty ? "; the file has no categories"
                : "; categories: " + knownCategoryNames.joined(separator: ", ")
            return text
        }
    }

    /// What pass 1 gathers. What grows with the input (images, objects) goes to budgeted
    /// tables (`IDMap`) and a temporary file, within half of `parserOptions.memoryLimit` (the
    /// reference checks of pass 1 have the other half).
    final class Index {
        let budget: MemoryBudget
        /// Ids of the images kept (frozen once the images are read).
        let keptImages: IDMap
        /// Category ids of the kept images.
        var imageCategoryIDs: Set<String> = []
        var categories: [String: (name: String, superID: String?)] = [:]
        /// Objects in file order: id, then category ids.
        let objects = ByteLog()
        var metaCategories: [String] = []
        /// Images read, images kept, objects read (for `NothingMatched`).
        var imageCount = 0, keptImageCount = 0, objectCount = 0
        /// Objects with an annotation on a kept image.
        let objectsOnKeptImages: IDMap

        init(memoryLimit: Int) {
            budget = MemoryBudget(limit: memoryLimit)
            keptImages = IDMap(budget: budget)
            objectsOnKeptImages = IDMap(budget: budget)
        }

        func add(_ object: Object) throws {
            var bytes: [UInt8] = []
            for id in [object.id] + (object.categoryIDs ?? []) {
                RawBytes.appendVarint(id.utf8.count, to: &bytes)
                bytes.append(contentsOf: id.utf8)
            }
            try objects.append(bytes)
        }

        /// Each object's id and category ids, in file order.
        func forEachObject(_ body: (String, [String]) throws -> Void) throws {
            try objects.forEach { bytes in
                var position = 0
                var ids: [String] = []
                while position < bytes.count {
                    let count = RawBytes.readVarint(bytes, &position)
                    ids.append(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[position..<position + count]), as: UTF8.self))
                    position += count
                }
                try body(ids[0], Array(ids.dropFirst()))
            }
        }
    }

    /// Pass 1: ids, names and links (no coordinates).
    struct IndexVisitor: DocumentVisitor {
        let criteria: DocumentFilter.Criteria
        let index: Index
        var imagesDone = false
        var sawAnnotationsBeforeImages = false
        var isTabular = false

        mutating func visitSectionEnd(_ section: Section, count: Int) throws {
            if section == .images {
                imagesDone = true
                try index.keptImages.freeze()
            }
        }

        mutating func visitSectionStart(_ section: Section) throws {
            if section == .annotations && !imagesDone { sawAnnotationsBeforeImages = true }
        }

        mutating func visit(_ record: Record, index position: Int) throws {
            switch record {
            case .image(let image):
                var keep = !criteria.selectsImages
                if criteria.imageIDs.contains(image.id) { keep = true }
                if criteria.indexRanges.contains(where: { $0.contains(image.index) }) { keep = true }
                index.imageCount += 1
                if keep {
                    index.keptImageCount += 1
                    try index.keptImages.set(image.id, [])
                    if let ids = image.categoryIDs { index.imageCategoryIDs.formUnion(ids) }
                }
            case .category(let category):
                index.categories[category.id] = (category.name, category.supercategoryID)
            case .object(let object):
                index.objectCount += 1
                try index.add(object)
            case .meta(let meta):
                index.metaCategories = meta.categoryIDs ?? []
            case .recordsReference:
                isTabular = true
            default:
                break
            }
        }

        mutating func visitAnnotationEnd(_ fields: AnnotationFields, index position: Int) throws {
            if try criteria.selectsImages && imagesDone && index.keptImages.contains(fields.imageID) {
                try index.objectsOnKeptImages.set(fields.objectID, [])
            }
        }
    }

    /// Pass 1b: objects with an annotation on a kept image.
    struct AnnotationVisitor: DocumentVisitor {
        let index: Index
        mutating func visitAnnotationEnd(_ fields: AnnotationFields, index position: Int) throws {
            if try index.keptImages.contains(fields.imageID) { try index.objectsOnKeptImages.set(fields.objectID, []) }
        }
    }

    /// Filters the document `pass()` returns (each call must give the input from its start)
    /// into `writer`, which is finished only on success.
    public func filter(passes pass: () throws -> DocumentSource, to writer: DocumentWriter,
                       progress: ((_ pass: Int, _ bytes: Int) -> Void)? = nil) throws -> Summary {
        var summary = Summary()
        // The memory limit is shared: half for the reference checks, half for the index.
        var options = parserOptions
        options.validate = true
        options.recordsArtifact = .skip
        options.memoryLimit = parserOptions.memoryLimit / 2
        summary.passes = 1
        let index = Index(memoryLimit: parserOptions.memoryLimit / 2)
        let first = try runParse(pass(), visitor: IndexVisitor(criteria: criteria, index: index), options: options) {
            progress?(1, $0)
        }
        if first.isTabular { throw NothingToDoForTabular(operation: "filter") }
        try index.keptImages.freeze()
        if criteria.selectsImages && first.sawAnnotationsBeforeImages {
            summary.passes += 1
            var quick = parserOptions
            quick.validate = false
            _ = try runParse(pass(), visitor: AnnotationVisitor(index: index), options: quick) { progress?(summary.passes, $0) }
        }
        try index.objectsOnKeptImages.freeze()

        // Categories selected by name: the named ones and, for a supercategory, its children.
        let selectedCategories = Self.categoriesSelected(byNames: criteria.categoryNames, in: index.categories)
        // Objects kept, and the categories they reference, with their supercategories.
        let keptObjects = IDMap(budget: index.budget)
        var keptObjectCount = 0
        // Category ids referenced by what stays: a set (one entry per category, not per object).
        var referenced = Set(index.metaCategories)
        try index.forEachObject { id, categoryIDs in
            var keep = !criteria.selectsObjects
            if criteria.objectIDs.contains(id) { keep = true }
            if !selectedCategories.isEmpty, categoryIDs.contains(where: { selectedCategories.contains($0) }) {
                keep = true
            }
            if try keep && criteria.selectsImages && !index.objectsOnKeptImages.contains(id) { keep = false }
            if keep {
                try keptObjects.set(id, [])
                keptObjectCount += 1
                referenced.formUnion(categoryIDs)
            }
        }
        try keptObjects.freeze()
        referenced.formUnion(index.imageCategoryIDs)
        let knownNames = Set(index.categories.values.map(\.name))
        summary.unknownCategoryNames = criteria.categoryNames.subtracting(knownNames).sorted()
        // Nothing matches: no object kept and no category named (a classification output has
        // categories and no objects), or no image kept.
        if (criteria.selectsObjects && keptObjectCount == 0 && selectedCategories.isEmpty)
            || (criteria.selectsImages && index.keptImageCount == 0) {
            throw NothingMatched(criteria: criteria, unknownCategoryNames: summary.unknownCategoryNames,
                                 knownCategoryNames: knownNames.sorted(), images: index.imageCount,
                                 objects: index.objectCount)
        }
        var keptCategories: Set<String> = []
        var queue = Array(referenced)
        referenced = []
        while let id = queue.popLast() {
            guard keptCategories.insert(id).inserted else { continue }
            if let superID = index.categories[id]?.superID { queue.append(superID) }
        }
        let keptImages = index.keptImages

        // Last pass: write what stays.
        summary.passes += 1
        var quick = parserOptions
        quick.validate = false
        quick.recordsArtifact = .skip
        var read: [Section: Int] = [:]
        let visitor = SectionedRecordVisitor(
            maxCoordinates: parserOptions.limits.maxCoordinatesPerRecord,
            sectionStart: { try writer.beginSection($0) },
            record: { record in
                read[record.section, default: 0] += 1
                let keep: Bool
                switch record {
                case .image(let image): keep = try keptImages.contains(image.id)
                case .annotation(let annotation):
                    keep = try keptObjects.contains(annotation.objectID) && keptImages.contains(annotation.imageID)
                case .category(let category): keep = keptCategories.contains(category.id)
                case .object(let object): keep = try keptObjects.contains(object.id)
                case .regression, .meta, .table, .recordsReference, .tabularRecord: keep = true
                }
                if keep { try writer.write(record) }
            },
            sectionEnd: { _, _ in try writer.endSection() })
        let lastPass = summary.passes
        _ = try runParse(pass(), visitor: visitor, options: quick) { progress?(lastPass, $0) }
        try writer.finish()
        summary.read = read
        summary.kept = writer.counts
        return summary
    }
}
