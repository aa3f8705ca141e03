extension JSONWriter {
    /// Writes one AiCOCO record as a JSON object: the format's fields first (in the format's
    /// order, optional ones only when present), then the extra fields in file order.
    public func record(_ record: Record) throws {
        try generator.mapOpen()
        switch record {
        case .image(let image):
            try member("id", image.id)
            try member("file_name", image.fileName)
            try name("index"); try number(image.index, as: image.indexText)
            try name("category_ids"); try ids(image.categoryIDs)
            try name("regressions"); try regressionItems(image.regressions)
            try members(image.extra)
        case .annotation(let annotation):
            try name("id"); try id(annotation.idKey)
            try name("image_id"); try id(annotation.imageKey)
            try name("object_id"); try id(annotation.objectKey)
            try name("iscrowd"); try number(annotation.iscrowd)
            try name("bbox")
            if let boxes = annotation.bbox {
                try self.boxes(boxes, text: annotation.coordinateText?.bbox)
            } else {
                try generator.null()
            }
            try name("segmentation")
            if let polygons = annotation.segmentation {
                try self.polygons(polygons, text: annotation.coordinateText?.segmentation)
            } else {
                try generator.null()
            }
            try members(annotation.extra)
        case .category(let category):
            try catalogEntry(category.id, category.name, parentKey: "supercategory_id", parentID: category.supercategoryID)
            if let color = category.color { try member("color", color) }
            try members(category.extra)
        case .regression(let regression):
            try catalogEntry(regression.id, regression.name, parentKey: "superregression_id", parentID: regression.superregressionID)
            if let unit = regression.unit { try member("unit", unit) }
            if let threshold = regression.threshold { try member("threshold", threshold) }
            try members(regression.extra)
        case .object(let object):
            try member("id", object.id)
            try name("category_ids"); try ids(object.categoryIDs)
            try name("regressions"); try regressionItems(object.regressions)
            if let confidence = object.confidence { try name("confidence"); try number(confidence, as: object.confidenceText) }
            try members(object.extra)
        case .meta(let meta):
            if meta.keys.contains(.categoryIDs) || meta.categoryIDs != nil {
                try name("category_ids"); try ids(meta.categoryIDs)
            }
            if meta.keys.contains(.regressions) || meta.regressions != nil {
                try name("regressions"); try regressionItems(meta.regressions)
            }
            if let taskType = meta.taskType { try member("task_type", taskType.rawValue) }
            if let windowSize = meta.windowSize { try name("window_size"); try number(windowSize) }
            if meta.keys.contains(.tableIDs) || meta.tableIDs != nil {
                try name("table_ids"); try ids(meta.tableIDs)
            }
            try members(meta.extra)
        case .table(let table):
            try member("id", table.id)
            try member("file_name", table.fileName)
            try members(table.extra)
        case .recordsReference(let reference):
            try member("format", reference.format)
            if reference.form == .recordsFile { try member("path", reference.href) } else { try member("href", reference.href) }
            try name("rows"); try number(reference.rows)
            try name("bytes"); try number(reference.bytes)
            try members(reference.extra)
        case .tabularRecord(let record):
            try member("id", record.id)
            try member("table_id", record.tableID)
            try name("row_indexes")
            try generator.arrayOpen()
            for index in record.rowIndexes { try generator.integer(index) }
            try generator.arrayClose()
            try name("category_ids"); try ids(record.categoryIDs)
            try name("regressions"); try regressionItems(record.regressions)
            try members(record.extra)
        }
        try generator.mapClose()
    }

    /// `value`, as `text` when that is its text (numbers are written as they were read).
    func number(_ value: Double, as text: JSONNumber?) throws {
        if let text, let read = text.doubleValue, read == value || (read.isNaN && value.isNaN) {
            return try generator.numberLiteral(text.literal)
        }
        try number(value)
    }

    /// `[[x1, y1, x2, y2], ...]`.
    func boxes(_ boxes: [BoundingBox]) throws {
        try generator.arrayOpen()
        for box in boxes {
            try generator.arrayOpen()
            try withUnsafeBytes(of: (box.x1, box.y1, box.x2, box.y2)) { raw in
                try generator.numberList(raw.bindMemory(to: Double.self))
            }
            try generator.arrayClose()
        }
        try generator.arrayClose()
    }

    /// `[[x1, y1, ...], ...]`, without one allocation per number.
    public func polygons(_ polygons: Polygons) throws {
        try polygons.coordinates.withUnsafeBufferPointer { try generator.polygonList($0, ends: polygons.ends) }
    }

    /// A key known at compile time (plain ASCII: written without an escape scan).
    func name(_ key: StaticString) throws {
        try generator.key(key)
    }

    /// An id as a string value, from its bytes (no `String`).
    func id(_ id: RecordID) throws {
        if id.isNanoid { return try generator.plainString(capacity: 21) { id.decode(into: $0) } }
        try id.withUTF8 { try generator.string(bytes: $0) }
    }

    /// A section's name as a string value.
    func sectionName(_ section: Section) throws {
        let text: StaticString
        switch section {
        case .images: text = "images"
        case .annotations: text = "annotations"
        case .categories: text = "categories"
        case .regressions: text = "regressions"
        case .objects: text = "objects"
        case .meta: text = "meta"
        case .tables: text = "tables"
        case .records: text = "records"
        case .rows: text = "rows"
        }
        try name(text)
    }

    /// `"key": value` for a string or `null`, the key known at compile time.
    /// The members a category and a regression both start with: `id`, `name`, and the id of
    /// its parent (`supercategory_id`, `superregression_id`), `null` when it has none.
    private func catalogEntry(_ id: String, _ name: String, parentKey: StaticString, parentID: String?) throws {
        try member("id", id)
        try member("name", name)
        try member(parentKey, parentID)
    }

    func member(_ key: StaticString, _ text: String?) throws {
        try name(key)
        if let text { try generator.string(text) } else { try generator.null() }
    }

    private func ids(_ ids: [String]?) throws {
        guard let ids else { return try generator.null() }
        try generator.arrayOpen()
        for id in ids { try generator.string(id) }
        try generator.arrayClose()
    }

    private func regressionItems(_ items: [RegressionItem]?) throws {
        guard let items else { return try generator.null() }
        try generator.arrayOpen()
        for item in items {
            try generator.mapOpen()
            try member("regression_id", item.regressionID)
            try name("value"); try number(item.value, as: item.valueText)
            try generator.mapClose()
        }
        try generator.arrayClose()
    }

    func members(_ members: [JSONMember]) throws {
        for member in members {
            try generator.string(member.key)
            try value(member.value)
        }
    }
}
