/// Everything the engine knows while it reads a document: the frame stack, the record being
/// read, the place in the input and the coordinates of the polygon being read. yajl's callbacks
/// (`Dispatch.swift`) and the coordinate scanner change it through its mutating methods; the
/// `ParserEngine` that owns it keeps it behind a pointer, so that a callback reaches it without
/// a class's dynamic exclusivity checks (a fifth of the time on small records).
///
/// The methods are spread over one file per job: `Dispatch.swift` (yajl's callbacks),
/// `Frames.swift` (the frame stack and JSON paths), `RecordAssembly.swift` (the fields of a
/// record), `ExtraValues.swift` (fields the format does not name), `CoordinateScanner.swift`
/// (polygons read without yajl), `Places.swift` (problems and where they are), `TokenStarts.swift` (where tokens start) and
/// `SyntaxErrors.swift` (placing yajl's syntax errors).
struct ParserState {
    let options: ParserOptions
    /// Unowned without checks: the parser that owns the engine owns the delegate too.
    unowned(unsafe) let delegate: EngineDelegate
    /// Set by the engine right after the state is made (the lexer needs the state's address).
    var lexer: YajlLexer<ParserState>!
    let checker: ReferenceChecker?

    var tracker = LineTracker()
    /// Strict UTF-8 and `\u` escapes (yajl's checks are looser), reported by `strictTextFailed`.
    var strictText = StrictTextScanner()
    var bytesFed = 0
    /// Absolute offset of the first byte of the buffer yajl is parsing.
    var feedBase = 0
    /// A callback happened since the last check (for `maxTokenBytes`).
    var sawEvent = false
    var quietBytes = 0
    /// A callback asked to read on without yajl (see `requestTakeover`).
    var takeover: Takeover?
    /// While the coordinate scanner acts for yajl: the absolute offset just past its token.
    var scannedTokenEnd = -1
    var fast = FastScan()

    var frames: [Frame] = []
    /// Kind of the innermost frame (`nil` before the document starts).
    var topKind: FrameKind?
    var documentStarted = false
    var documentEnded = false
    var sectionsSeen: UInt32 = 0
    var record = RecordScratch()
    var item = ItemScratch()
    /// Where each top-level key is (by section ordinal), for the kind check at the end.
    var keyPlaces = [SourceLocation?](repeating: nil, count: Section.allCases.count)
    /// The `meta` object's start and the fields it had, for the kind check at the end.
    var metaSeen: (start: SourceLocation, fields: UInt32, readAsTabular: Bool)?
    /// The `records` reference of a tabular output (when valid), and `meta.window_size`.
    var recordsReference: RecordsReference?
    var windowSize: Int?
    /// `NaN`, `Infinity`, `-Infinity` rewritten before yajl (`allowNonFinite` only).
    var nonFinite = NonFiniteRewriter()
    /// How the document gives its tabular records, from its key (`records_file`) or the
    /// value's type (`records` holding an array: inline).
    var recordsForm: RecordsReference.Form?
    /// Inline records read before `meta.window_size`: per count of row indexes (a few at most
    /// are kept), how many records had it and the first one's `row_indexes` place and path.
    var rowCountsUnchecked: [(rows: Int, records: Int, start: SourceLocation, path: String)] = []
    /// The `table_id` and `row_indexes` of the inline record being read (kept out of
    /// `RecordScratch`, which every record makes anew).
    var rowTableID = ""
    var rowIndexes: [Int] = []
    /// `index` and `confidence` as written, when a `Double` is not written so (`numberText`).
    var indexText: JSONNumber?
    var confidenceText: JSONNumber?
    var extraStack: [ExtraContainer] = []
    /// yajl is completing the parse (the input has ended).
    var completing = false
    /// The error that stopped the parse; every later call throws it again.
    var failure: DocumentError?
    /// The error a delegate threw, if that is what stopped the parse (rethrown as is by readers).
    var delegateError: Error?

    // Coordinates of the polygon being read, delivered in chunks.
    let coordinateCapacity = 4096
    let coordinates: UnsafeMutablePointer<Double>
    var coordinateFill = 0
    var coordinateIndex = 0
    var chunkStartIndex = 0
    var polygonIndex = 0
    var coordinateKind: CoordinateKind = .segmentation

    /// The prefix that brings a new yajl handle to the scanner's state (see `restartLexer`).
    var prefixBytes: [UInt8] = []

    /// The last bytes fed before the current piece, to place errors in tokens that span pieces.
    var history: [UInt8] = []
    let historyLimit = 4096
    /// Absolute offset just past the last value that is not a coordinate (what an object holds),
    /// to place the token after it.
    var lastValueEnd = 0
    /// Where the next token is looked for, and the search start of the token being handed out
    /// (see `TokenStarts.swift`); the first byte at `nextTokenFrom` once it is before the piece.
    var nextTokenFrom = 0
    var tokenFrom = 0
    var nextTokenByte: UInt8 = 0

    init(options: ParserOptions, delegate: EngineDelegate) {
        var options = options
        // Every number goes through yajl's callbacks, where rewritten tokens are recognised.
        if options.allowNonFinite { options.readsPolygonsWithoutYajl = false }
        self.options = options
        self.delegate = delegate
        coordinates = .allocate(capacity: coordinateCapacity)
        checker = options.validate ? ReferenceChecker(memoryLimit: options.memoryLimit) : nil
        frames.reserveCapacity(16)
    }

    /// Frees the coordinate buffer (the owner calls this once, before freeing the state).
    func release() {
        coordinates.deallocate()
    }
}

/// What is known of the record being read.
struct RecordScratch {
    var seen: UInt32 = 0
    var valid = true
    var start = SourceLocation(offset: 0, line: 1, column: 1)
    var cost = 0
    var id = ""
    var fileName = ""
    var name = ""
    var imageID = ""
    var objectID = ""
    /// An annotation's ids.
    var idKey = RecordID(bytes: UnsafeBufferPointer(start: nil, count: 0))
    var imageKey = RecordID(bytes: UnsafeBufferPointer(start: nil, count: 0))
    var objectKey = RecordID(bytes: UnsafeBufferPointer(start: nil, count: 0))
    var superID: String?
    var color: String?
    var unit: String?
    var threshold: String?
    var index = 0.0
    var confidence: Double?
    var iscrowd = 0
    var taskType: Meta.TaskType?
    var categoryIDs: [String]?
    var regressions: [RegressionItem]?
    var bboxCount: Int?
    var polygonCount: Int?
    var tableIDs: [String]?
    var windowSize: Int?
    var format = ""
    var href = ""
    var rows = 0
    var bytes = 0
    var extra: [JSONMember] = []
}

/// What is known of the regression item being read.
struct ItemScratch {
    var seen: UInt32 = 0
    var valid = true
    var regressionID = ""
    var value = 0.0
    var text: JSONNumber?
}
