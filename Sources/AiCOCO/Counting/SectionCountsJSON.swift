// The JSON object of `aicoco stats --json` and of the C ABI's `aicoco_stats`.

extension SectionCounts {
    /// Writes `text` then, for each category (most objects first, then by name), `item(name,
    /// count)` joined by `separator`, then `end`, to `write` in pieces of about 64 KiB (there
    /// may be millions of categories). Once, after `finish`.
    public func writeObjectsPerCategory(_ text: String, item: (String, Int) -> String, separator: String, end: String,
                                        to write: (String) throws -> Void) throws {
        var buffer = text
        var first = true
        try forEachObjectCount { name, count in
            if !first { buffer += separator }
            first = false
            buffer += item(name, count)
            if buffer.utf8.count >= 1 << 16 {
                try write(buffer)
                buffer = ""
            }
        }
        try write(buffer + end)
    }

    /// Writes the object `stats --json` prints and a newline to `write`, in pieces, after
    /// `finish`. `file`: the input's name as a first field; `bytes`: the bytes read;
    /// `elapsed` and `rate`: the JSON numbers of "elapsed_seconds" and "mb_per_second", as the
    /// caller rounds them.
    public func writeJSON(file: String? = nil, bytes: Int, elapsed: String, rate: String,
                          to write: (String) throws -> Void) throws {
        var fields = file.map { ["\"file\":\(JSONText.quoted($0))"] } ?? []
        fields += [
            "\"images\":\(images)", "\"annotations\":\(annotations)", "\"categories\":\(categories)",
            "\"regressions\":\(regressions)", "\"objects\":\(objects)", "\"polygons\":\(polygons)",
            "\"points\":\(points)", "\"bboxes\":\(bboxes)", "\"bytes\":\(bytes)",
            "\"elapsed_seconds\":\(elapsed)", "\"mb_per_second\":\(rate)",
        ]
        if let form { fields.append("\"document\":" + form.jsonText) }
        if nonFinite.total > 0 {
            fields.append("\"non_finite\":{\"NaN\":\(nonFinite.nan),\"Infinity\":\(nonFinite.infinity),\"-Infinity\":\(nonFinite.negativeInfinity)}")
        }
        if tables > 0 || artifactRows != nil {
            fields.append("\"tables\":\(tables)")
            fields.append("\"tabular_records\":\(tabularRecords)")
            if let windowSize { fields.append("\"window_size\":\(windowSize)") }
        }
        let head = "{" + fields.joined(separator: ",") + ",\"objects_per_category\":{"
        fields = []
        let predicted = metaNames.categories.map { JSONText.quoted($0) }
        let values = zip(metaRegressionItems, metaNames.regressions).map { item, regression in
            return "{\"name\":\(JSONText.quoted(regression?.name ?? item.regressionID)),\"value\":\(JSONText.number(item.value))"
                + (regression?.unit.map { ",\"unit\":\(JSONText.quoted($0))" } ?? "") + "}"
        }
        fields.append("\"meta\":{\"category_ids\":\(metaCategoryIDs),\"regressions\":\(metaRegressions),\"task_type\":\(taskType.map(JSONText.quoted) ?? "null"),\"predicted_categories\":[\(predicted.joined(separator: ","))],\"regression_values\":[\(values.joined(separator: ","))]}")
        if let span = imageSpan {
            fields.append("\"annotated_images\":{\"count\":\(span.images),\"min_index\":\(JSONText.number(span.minIndex)),\"max_index\":\(JSONText.number(span.maxIndex)),\"min_annotations\":\(span.fewest),\"max_annotations\":\(span.most)}")
        }
        try writeObjectsPerCategory(head, item: { "\(JSONText.quoted($0)):\($1)" }, separator: ",",
                                    end: "}," + fields.joined(separator: ",") + "}\n", to: write)
    }
}
