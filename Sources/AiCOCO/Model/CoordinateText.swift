/// The numbers of an annotation's `bbox` and `segmentation` as the file wrote them (`1.0`,
/// `1e-3`, `-0`), kept when the parse asks for it (`DocumentParsing.Options.keepsNumberText`) so that
/// writers give them back as they came. Each list holds its numbers' text separated by commas,
/// box after box and polygon after polygon (`1.0,2,3e0,4.50`); a writer uses a list only while
/// every number in it still reads back to the annotation's value (so changing the values is
/// safe: they are then written as `Double`s).
public struct CoordinateText: Sendable, Hashable {
    /// The numbers of `bbox`.
    public var bbox: [UInt8]
    /// The numbers of `segmentation`.
    public var segmentation: [UInt8]

    /// The text of both lists, each comma-separated.
    public init(bbox: [UInt8], segmentation: [UInt8]) {
        self.bbox = bbox
        self.segmentation = segmentation
    }
}

extension Annotation {
    /// Equal when every field but `coordinateText` is.
    public static func == (a: Annotation, b: Annotation) -> Bool {
        a.idKey == b.idKey && a.imageKey == b.imageKey && a.objectKey == b.objectKey && a.iscrowd == b.iscrowd
            && a.bbox == b.bbox && a.segmentation == b.segmentation && a.extra == b.extra
    }
}
