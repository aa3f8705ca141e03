import AiCOCO

/// The table beside a label volume (`labels.nii.gz` -> `labels.labels.json`): what each value
/// stands for, how values were numbered, and where the voxels lie (the affine and its source).
struct LabelTable {
    let summary: LabelVolumeConverter.Summary
    let converter: LabelVolumeConverter

    /// Writes the table whole to a temporary file beside `path`, renamed onto `path` by the
    /// returned file's `commit()` (with the volume's, see `Convert.convertToNifti`); removed if
    /// it goes away uncommitted.
    func written(to path: String) throws -> ReplacingFile {
        let replacing = try ReplacingFile(path: path)
        let file = replacing.output
        let json = JSONWriter(pretty: true, output: file)
        let plan = summary.plan
        try json.beginObject()
        try json.key("kind"); try json.string(converter.labels.rawValue)
        if converter.labels == .category {
            try json.key("numbering"); try json.string(converter.numbering.name)
            if converter.numbering == .index {
                try json.key("class_0_value"); try json.number(plan?.firstClassValue ?? 0)
            }
        }
        let layouts: [LabelVolumeConverter.Layout: String] = [.labels: "labels (3D)", .channels: "channels (4D: one channel of 0 and 1 per value)",
                                                             .split: "split (one 3D volume of 0 and 1 per value)"]
        try json.key("layout"); try json.string(layouts[converter.layout] ?? converter.layout.rawValue)
        try json.key("voxel_type"); try json.string("\(summary.voxelType)")
        try json.key("overlap"); try json.string(converter.layout == .labels ? converter.overlap.rawValue : "kept (each value on its own)")
        try json.key("size"); try json.beginArray()
        for dim in [summary.width, summary.height, summary.slices] + (summary.channels > 1 ? [summary.channels] : []) { try json.number(dim) }
        try json.endArray()
        try json.key("affine"); try json.beginArray()
        for row in summary.geometry.affine {
            try json.beginArray()
            for value in row { try json.number(value) }
            try json.endArray()
        }
        try json.endArray()
        try json.key("affine_source")
        if let reference = converter.reference {
            try json.string("--reference \(reference.path) (its qform and sform, codes \(reference.geometry.qformCode) and \(reference.geometry.sformCode))")
        } else {
            try json.string("none given: the identity scaled by the voxel size, origin 0 (voxel i, j, k is column i, row j of the k-th slice); the labels line up with a scan only through --reference")
        }
        try json.key("labels"); try json.beginArray()
        let channels = plan?.values ?? []
        for label in summary.labels {
            try json.beginObject()
            try json.key("value"); try json.number(label.value)
            if converter.layout == .channels, let channel = channels.firstIndex(of: label.value) {
                try json.key("channel"); try json.number(channel)
            }
            if let file = summary.files[label.value] {
                try json.key("file"); try json.string(String(file.split(separator: "/").last ?? Substring(file)))
            }
            if let objectID = label.objectID {
                try json.key("object_id"); try json.string(objectID)
                try json.key("category_ids"); try json.beginArray()
                for id in label.objectCategoryIDs ?? [] { try json.string(id) }
                try json.endArray()
            }
            try json.key("category_id"); if let id = label.categoryID { try json.string(id) } else { try json.null() }
            try json.key("name"); if let name = label.categoryName { try json.string(name) } else { try json.null() }
            try json.key("class_index"); if let index = label.classIndex { try json.number(index) } else { try json.null() }
            if let color = label.color { try json.key("color"); try json.string(color) }
            try json.endObject()
        }
        try json.endArray()
        try json.key("without_value"); try json.beginArray()
        for category in plan?.valueless ?? [] {
            try json.beginObject()
            try json.key("category_id"); try json.string(category.id)
            try json.key("name"); try json.string(category.name)
            try json.endObject()
        }
        try json.endArray()
        try json.endObject()
        try json.endLine()
        try file.flush()
        return replacing
    }
}
