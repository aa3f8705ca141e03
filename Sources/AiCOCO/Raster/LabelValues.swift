/// Which voxel value each structure of a segmentation takes in a label volume.
///
/// By default a category's value is its class index, its position in `categories`: the model's
/// channel, FLaVor's numbering, where class 0 is `{"name": "Background", "display": false}` and
/// the first structure 1. A file whose category 0 is itself a structure (no background class)
/// would put it at 0, the background's value: then every class index is counted from 1.
/// Supercategories (named by another category's `supercategory_id`) and `display: false`
/// categories take no value of their own unless `includeHidden`; an object takes the value of
/// its first category that has one.
public enum LabelNumbering: Sendable, Equatable {
    /// The class index (its position in `categories`), from 1 when category 0 takes a value.
    case index
    /// 1, 2, ... for the categories that take a value, in file order.
    case sequential
    /// Values by category name; categories the map leaves out take none.
    case names([String: Int])

    /// `index`, `sequential` or `names`, as `--numbering` takes it.
    public var name: String {
        switch self {
        case .index: "index"
        case .sequential: "sequential"
        case .names: "names"
        }
    }
}

/// The values of one segmentation: the table beside the volume and each object's value.
public struct LabelPlan: Sendable {
    /// One row per value-taking category (category labels) or object (object labels), by value.
    public var table: [LabelVolumeConverter.Label] = []
    /// The value of each object that takes one.
    public var valueOfObject: [String: Int] = [:]
    /// Index numbering: the value of class 0 (0, or 1 when category 0 is a structure).
    public var firstClassValue = 0
    /// Categories that take no value (hidden, supercategories, or left out of a name map).
    public var valueless: [Category] = []
    /// Names of a name map that no category has.
    public var unknownNames: [String] = []

    /// The largest value.
    public var maximum: Int { table.map(\.value).max() ?? 0 }

    /// Distinct values, ascending (the channels of a multi-label volume).
    public var values: [Int] { Array(Set(table.map(\.value))).sorted() }

    /// Numbers the structures of `catalog`. Throws `LabelVolumeError` for a name map's bad value.
    public init(catalog: SegmentationCatalog, labels: LabelVolumeConverter.Labels,
                numbering: LabelNumbering, includeHidden: Bool) throws {
        let categories = catalog.categories
        let superIDs = Set(categories.compactMap(\.supercategoryID))
        func shown(_ category: Category) -> Bool {
            if includeHidden { return true }
            if case .bool(false)? = category.extra[key: "display"] { return false }
            return !superIDs.contains(category.id)
        }
        // The value of each category position, nil for none.
        var valueAt = [Int?](repeating: nil, count: categories.count)
        switch numbering {
        case .index:
            firstClassValue = categories.first.map(shown) == true ? 1 : 0
            for (position, category) in categories.enumerated() where shown(category) {
                valueAt[position] = position + firstClassValue
            }
        case .sequential:
            var next = 1
            for (position, category) in categories.enumerated() where shown(category) {
                valueAt[position] = next
                next += 1
            }
        case .names(let map):
            for (name, value) in map where !(1...Int(UInt32.max)).contains(value) {
                throw LabelVolumeError(.usage, "--values: \(jsonQuoted(name)) has value \(value); values are 1 to \(UInt32.max) (0 is the background)")
            }
            for (position, category) in categories.enumerated() { valueAt[position] = map[category.name] }
            let names = Set(categories.map(\.name))
            unknownNames = map.keys.filter { !names.contains($0) }.sorted()
        }
        for (position, category) in categories.enumerated() where valueAt[position] == nil {
            valueless.append(category)
        }
        func firstValued(_ ids: [String]) -> Int? {
            for id in ids { if let position = catalog.categoryPosition(id), valueAt[position] != nil { return position } }
            return nil
        }
        switch labels {
        case .category:
            for (position, category) in categories.enumerated() {
                guard let value = valueAt[position] else { continue }
                table.append(.init(value: value, categoryID: category.id, categoryName: category.name,
                                   color: category.color, classIndex: position))
            }
            for object in catalog.objects {
                if let position = firstValued(object.categoryIDs) { valueOfObject[object.id] = valueAt[position] }
            }
        case .object:
            // Objects whose categories all take no value take none; objects without categories do.
            for object in catalog.objects {
                let position = firstValued(object.categoryIDs)
                guard position != nil || object.categoryIDs.isEmpty else { continue }
                let category = position.map { categories[$0] }
                let value = table.count + 1
                table.append(.init(value: value, categoryID: category?.id, categoryName: category?.name, color: category?.color,
                                   classIndex: position, objectID: object.id, objectCategoryIDs: object.categoryIDs))
                valueOfObject[object.id] = value
            }
        }
        table.sort { $0.value < $1.value }
    }
}
