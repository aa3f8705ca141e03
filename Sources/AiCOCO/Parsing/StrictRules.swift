/// `validate --strict`: the rules of FLaVor's own output models (its pydantic models under
/// `flavor/serve/inference/data_models/`, release 2.2.3, commit 2dfd1f1) that the schema and the
/// default checks leave out. Each broken rule is one problem of kind `strict`, naming the model
/// field. The default checks already cover (or are stricter than) the models' other rules:
/// required keys, `iscrowd` 0 or 1, extra keys in regression items and at the top level, and the
/// records artifact's lines (FLaVor's `AiRecord`). Integer tokens always pass, so the coordinate
/// scanner's fast path for them is left as it is; the checks run where a number with a fraction
/// or an exponent is read (`CoordinateScanner.swift`, `Dispatch.swift`) and on `index`.
extension DocumentEngine {
    /// An `int` of FLaVor's models (pydantic's lax mode): `index`, the numbers of `bbox` and
    /// `segmentation`. Checked only under `options.strict`, on a number that fits a `Double`.
    mutating func strictInteger(_ text: UnsafeBufferPointer<UInt8>, _ value: Double, rule: String,
                                at location: SourceLocation) throws(EngineStop) {
        guard !takenAsInt(text, value) else { return }
        let why = value == value.rounded(.towardZero) ? "an integral float beyond the 64-bit integers"
            : "not a whole number"
        return try problem(.strict, "\(rule) is an int in FLaVor's output models, found \(quotedToken(text)) (\(why))",
                       at: location, path: currentPath())
    }

    /// A coordinate the scanner read (`offset`: its first byte) with a fraction or an exponent.
    mutating func strictCoordinate(_ text: UnsafeBufferPointer<UInt8>, _ value: Double, at offset: Int) throws(EngineStop) {
        guard !takenAsInt(text, value) else { return }
        return try strictInteger(text, value, rule: coordinateRule, at: places.tracker.location(of: offset))
    }

    /// The field of the coordinate being read (the coordinate list is the frame below the entry's).
    var coordinateRule: String {
        frames[frames.count - 2].field == .bbox ? "AiAnnotation.bbox" : "AiAnnotation.segmentation"
    }

    /// A key of `records` other than `format`, `href`, `rows` and `bytes`.
    mutating func strictRecordsKey(_ name: String, at location: SourceLocation) throws(EngineStop) {
        try problem(.strict, "AiCOCOTabularRecordsArtifact forbids extra keys (format, href, rows, bytes), found \(quotedKey(name))",
                at: location, path: currentPath())
    }

    /// A hybrid output's `meta` without `table_ids` (null or a list, but present).
    mutating func strictHybridMeta(fields: UInt32, at location: SourceLocation) throws(EngineStop) {
        guard fields & Field.tableIDs.bit == 0 else { return }
        return try problem(.strict, "missing required key \"table_ids\" (AiHybridMeta.table_ids: a list of table ids or null, required in hybrid outputs)",
                       at: location, path: "$.meta")
    }
}

/// Whether pydantic's lax `int` takes this JSON number: an integer token of any size, or any
/// other number whose value is finite, whole and strictly between -2^63 and 2^63 (`1.0`, `1e1`
/// and `-0.0` pass; `0.5`, `1e19` and `9223372036854775808.0` do not).
func takenAsInt(_ text: UnsafeBufferPointer<UInt8>, _ value: Double) -> Bool {
    if !text.contains(where: { $0 == UInt8(ascii: ".") || $0 | 0x20 == UInt8(ascii: "e") }) { return true }
    return value == value.rounded(.towardZero) && abs(value) < 9_223_372_036_854_775_808.0
}
