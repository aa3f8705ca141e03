/// The settings of a `DocumentParser`, whatever its visitor: its `Options` and their `Limits`.
/// (`DocumentParser` is generic over its visitor, so types nested in it could not be named
/// without one: `DocumentParsing.Options` is written the same for every visitor.)
public enum DocumentParsing {
    /// Limits that keep hostile or broken input from owning the machine. Each one, when
    /// reached, stops the parse with a `DocumentError` of kind `.limit` that names it.
    public struct Limits: Sendable, Equatable {
        /// Deepest nesting of arrays and objects, at most `maxDepthCeiling`: a larger value is taken
        /// as the ceiling. (The values of extra fields are held as trees, which Swift frees
        /// recursively: 10,000 levels are far from overflowing a thread's stack, a million are not.)
        public var maxDepth: Int {
            get { depthLimit }
            set { depthLimit = min(newValue, Self.maxDepthCeiling) }
        }
        private var depthLimit = 512
        /// The deepest `maxDepth` can be.
        public static let maxDepthCeiling = 10_000
        /// Longest string or key, in bytes.
        public var maxStringBytes: Int = 8 << 20
        /// Longest number literal, in bytes.
        public var maxNumberBytes: Int = 1024
        /// Longest stretch of input without a complete token (a token yajl must buffer), in bytes.
        public var maxTokenBytes: Int = 16 << 20
        /// Largest record other than its coordinates (strings, ids, extra fields), in bytes.
        public var maxRecordBytes: Int = 64 << 20
        /// Most coordinate numbers (bbox and segmentation together) one annotation may hold
        /// when it is delivered as a whole record. The visitor API streams them and ignores this.
        public var maxCoordinatesPerRecord: Int = 16 << 20

        /// The defaults, generous for real outputs and bounded for hostile ones.
        public init() {}
    }

    /// Options of a parse: what is checked, within which limits, in how much memory.
    public struct Options: Sendable, Equatable {
        /// How deep, long and large the input may be before the parse stops.
        public var limits = Limits()
        /// Also check what the schema leaves out and the references between sections
        /// (ids unique, every referenced id defined). Problems go to `visitProblem`.
        public var validate = false
        /// With `validate`: two images may share an `index` (a consumer that orders them some
        /// other way); by default that is a problem, since an index orders the slices of a series.
        public var allowsRepeatedImageIndexes = false
        /// Memory, in bytes, that the tables growing with the number of records (ids and
        /// references, for `validate`) may hold before they spill to temporary files under
        /// `TMPDIR`. Results are the same whatever the limit.
        public var memoryLimit = Options.defaultMemoryLimit
        /// 2 MiB: every subcommand stays well under 32 MiB of resident memory on any input.
        public static let defaultMemoryLimit = 2 << 20

        /// Polygons' numbers are read by the engine itself rather than by yajl's lexer (same grammar,
        /// same errors, about three times faster). Off only to compare the two in tests and fuzzing.
        @_spi(Testing) public var readsPolygonsWithoutYajl = true

        /// Also check the rules of FLaVor's own output models beyond the schema (kind `strict`:
        /// integers in `index`, `bbox` and `segmentation`, no extra keys in `records`, `table_ids`
        /// in a hybrid output's `meta`).
        public var strict = false

        /// Where a tabular output's records artifact is read from, after the document (its records
        /// are then delivered as section `rows`, its problems placed in it).
        public var recordsArtifact = RecordsArtifactSource.besideDocument

        /// Reads `NaN`, `Infinity` and `-Infinity` (outside strings) as numbers, as Python's
        /// `json.loads` does, in the document and its artifact: Python's `json.dumps` writes them
        /// for non-finite floats. Off, each is a syntax error that says so. On, the whole document
        /// goes through yajl (polygons too), a little slower.
        public var allowNonFinite = false

        /// Also hands over the text of the coordinates as the input wrote them (`1.0`, `1e-3`, `-0`):
        /// `CoordinateChunk.withNumberText`, and `Annotation.coordinateText` in typed records, so
        /// that writers give the numbers back as they came. Off by default (a little slower).
        public var keepsNumberText = false

        /// With `validate`: ids and references go to the parse's own tables. Off for a worker of a
        /// split parse, whose annotations' ids the parse's main parser checks (`SplitRecordLines`).
        var checksReferences = true

        /// Options with these limits, validation and memory; the rest at their defaults.
        public init(limits: Limits = Limits(), validate: Bool = false,
                    memoryLimit: Int = Options.defaultMemoryLimit) {
            self.limits = limits
            self.validate = validate
            self.memoryLimit = memoryLimit
        }
    }
}
