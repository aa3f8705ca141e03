/// What `AiCOCOFilter` keeps. Within one kind of criterion any match keeps (OR); the object
/// criteria (categories, objects) and the image criteria (images, index ranges) must both hold (AND).
public struct AiCOCOFilterCriteria: Sendable, Equatable {
    /// Keep objects that have a category of one of these names.
    public var categoryNames: Set<String> = []
    public var objectIDs: Set<String> = []
    public var imageIDs: Set<String> = []
    /// Keep images whose `index` lies in one of these ranges.
    public var indexRanges: [ClosedRange<Double>] = []

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

/// Writes a smaller, valid AiCOCO document: the images, objects and annotations the criteria
/// keep, and whatever they reference (categories with their supercategories; regressions and
/// meta are kept whole). An annotation stays when both its object and its image stay; with
/// image criteria, an object stays only if one of its annotations does. Reads the input two
/// times (three with image criteria when the annotations come before the images), keeping
/// only ids in memory; sections are written in the input's order.
public struct AiCOCOFilter {
    public var criteria: AiCOCOFilterCriteria
    public var parserOptions: ParserOptions

    public init(criteria: AiCOCOFilterCriteria, parserOptions: ParserOptions = ParserOptions()) {
        self.criteria = criteria
        self.parserOptions = parserOptions
    }

    public struct Summary: Sendable, Equatable {
        /// Records written per section.
        public var kept: [AiCOCOSection: Int] = [:]
        /// Records read per section.
        public var read: [AiCOCOSection: Int] = [:]
        public var passes = 0
    }

    /// Pass 1: ids, names and links (no coordinates).
    struct IndexVisitor: AiCOCOVisitor {
        let criteria: AiCOCOFilterCriteria
        var imageKept: [String: Bool] = [:]
        var imageCategories: [String: [String]] = [:]
        var categories: [String: (name: String, superID: String?)] = [:]
        var objectCategories: [String: [String]] = [:]
        var metaCategories: [String] = []
        var imagesDone = false
        var sawAnnotationsBeforeImages = false
        /// Objects with an annotation on a kept image (only while the images are known).
        var objectsOnKeptImages: Set<String> = []

        mutating func visitSectionEnd(_ section: AiCOCOSection, count: Int) throws {
            if section == .images { imagesDone = true }
        }

        mutating func visitSectionStart(_ section: AiCOCOSection) throws {
            if section == .annotations && !imagesDone { sawAnnotationsBeforeImages = true }
        }

        mutating func visit(_ record: AiCOCORecord, index: Int) throws {
            switch record {
            case .image(let image):
                var keep = !criteria.selectsImages
                if criteria.imageIDs.contains(image.id) { keep = true }
                if criteria.indexRanges.contains(where: { $0.contains(image.index) }) { keep = true }
                imageKept[image.id] = keep
                if keep, let ids = image.categoryIDs, !ids.isEmpty { imageCategories[image.id] = ids }
            case .category(let category):
                categories[category.id] = (category.name, category.supercategoryID)
            case .object(let object):
                objectCategories[object.id] = object.categoryIDs ?? []
            case .meta(let meta):
                metaCategories = meta.categoryIDs ?? []
            default:
                break
            }
        }

        mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
            if criteria.selectsImages && imagesDone && imageKept[fields.imageID] == true {
                objectsOnKeptImages.insert(fields.objectID)
            }
        }
    }

    /// Pass 1b: objects with an annotation on a kept image.
    struct AnnotationVisitor: AiCOCOVisitor {
        let imageKept: [String: Bool]
        var objects: Set<String> = []
        mutating func visitAnnotationEnd(_ fields: AnnotationFields, index: Int) throws {
            if imageKept[fields.imageID] == true { objects.insert(fields.objectID) }
        }
    }

    /// Filters the document `pass()` returns (each call must give the input from its start)
    /// into `writer`, which is finished only on success.
    public func filter(passes pass: () throws -> AiCOCOInput, to writer: AiCOCOWriter,
                       progress: ((_ pass: Int, _ bytes: Int) -> Void)? = nil) throws -> Summary {
        var summary = Summary()
        var options = parserOptions
        options.validate = true
        summary.passes = 1
        var index = try runParse(pass(), visitor: IndexVisitor(criteria: criteria), options: options) {
            progress?(1, $0)
        }
        var objectsOnKeptImages = index.objectsOnKeptImages
        if criteria.selectsImages && index.sawAnnotationsBeforeImages {
            summary.passes += 1
            var quick = parserOptions
            quick.validate = false
            objectsOnKeptImages = try runParse(pass(), visitor: AnnotationVisitor(imageKept: index.imageKept),
                                               options: quick) { progress?(summary.passes, $0) }.objects
        }
        index.objectsOnKeptImages = []

        // Objects kept.
        var keptObjects: Set<String> = []
        for (id, categoryIDs) in index.objectCategories {
            var keep = !criteria.selectsObjects
            if criteria.objectIDs.contains(id) { keep = true }
            if !criteria.categoryNames.isEmpty,
               categoryIDs.contains(where: { index.categories[$0].map { criteria.categoryNames.contains($0.name) } ?? false }) {
                keep = true
            }
            if keep && criteria.selectsImages && !objectsOnKeptImages.contains(id) { keep = false }
            if keep { keptObjects.insert(id) }
        }
        // Categories referenced, with their supercategories.
        var keptCategories: Set<String> = []
        var queue: [String] = index.metaCategories
        for id in keptObjects { queue.append(contentsOf: index.objectCategories[id] ?? []) }
        for ids in index.imageCategories.values { queue.append(contentsOf: ids) }
        while let id = queue.popLast() {
            guard keptCategories.insert(id).inserted else { continue }
            if let superID = index.categories[id]?.superID { queue.append(superID) }
        }
        let imageKept = index.imageKept
        index = IndexVisitor(criteria: criteria)

        // Last pass: write what stays.
        summary.passes += 1
        var quick = parserOptions
        quick.validate = false
        var read: [AiCOCOSection: Int] = [:]
        let visitor = SectionedRecordVisitor(
            maxCoordinates: parserOptions.limits.maxCoordinatesPerRecord,
            sectionStart: { try writer.beginSection($0) },
            record: { record in
                read[record.section, default: 0] += 1
                let keep: Bool
                switch record {
                case .image(let image): keep = imageKept[image.id] == true
                case .annotation(let annotation):
                    keep = keptObjects.contains(annotation.objectID) && imageKept[annotation.imageID] == true
                case .category(let category): keep = keptCategories.contains(category.id)
                case .object(let object): keep = keptObjects.contains(object.id)
                case .regression, .meta: keep = true
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
