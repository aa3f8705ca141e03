extension COCOConverter {
    /// Fills the contours of a spilled annotation (`AnnotationSpill`'s raw part) in its image
    /// and writes its `segmentation`, `area`, `bbox` and `iscrowd` members as text that fits
    /// after its `category_id` (`bytes`), once for all of its categories.
    final class PixelWriter {
        let form: COCOConverter.SegmentationForm
        private var mask: COCOMask
        private let fragment: JSONGenerator
        /// The members of the last annotation built.
        private(set) var bytes: [UInt8] = []
        private var points: [Int64] = [], ends: [Int] = []

        init(form: COCOConverter.SegmentationForm, pretty: Bool, maxPixels: Int) throws {
            self.form = form
            mask = COCOMask(maxPixels: maxPixels)
            fragment = try AnnotationSpill.fragmentGenerator(pretty: pretty)
        }

        /// Builds the members of the annotation whose raw part is `raw`, in a `width` x
        /// `height` image; false when none of its pixels lies in the image.
        func build(raw: UnsafeRawBufferPointer, width: Int, height: Int) throws -> Bool {
            var position = 0
            let iscrowd = AnnotationSpill.unzigzag(RawBytes.readVarint(raw, &position))
            let contours = RawBytes.readVarint(raw, &position)
            points.removeAll(keepingCapacity: true)
            ends.removeAll(keepingCapacity: true)
            for _ in 0..<contours {
                let pairs = RawBytes.readVarint(raw, &position)
                for _ in 0..<2 * pairs {
                    points.append(Int64(AnnotationSpill.unzigzag(RawBytes.readVarint(raw, &position))))
                }
                ends.append(points.count)
            }
            guard try points.withUnsafeBufferPointer({ points in
                try ends.withUnsafeBufferPointer { try mask.fill(points: points, ends: $0, width: width, height: height) }
            }) else { return false }
            try fragment.key("segmentation")
            try mask.write(form, to: fragment)
            try fragment.key("area"); try fragment.integer(mask.area)
            try fragment.key("bbox")
            try fragment.arrayOpen()
            let box = mask.box
            try fragment.integer(box.x); try fragment.integer(box.y)
            try fragment.integer(box.width); try fragment.integer(box.height)
            try fragment.arrayClose()
            try fragment.key("iscrowd"); try fragment.integer(iscrowd)
            bytes.removeAll(keepingCapacity: true)
            try fragment.drain { bytes.append(contentsOf: $0) }
            return true
        }
    }
}
