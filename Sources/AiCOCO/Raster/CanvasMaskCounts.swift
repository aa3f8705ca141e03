// How `SliceCanvas` counts a slice whose annotations all stayed in masks (every one inside the
// image, their masks within budget, at most `CanvasDeferral.limit` of them): no canvas cell is
// painted. An object's pixels are the bits of the union of its annotations' masks, a
// category's those of the union of its objects' masks; a pair's shared pixels are the bits of
// the AND of their masks where their boxes meet (64 pixels a word). These are the canvas's
// counts: a pixel counts for each object (category) covering it and each pair of them.
// Otherwise (`leaveMaskCounting`) the annotations whose pixels meet others' are painted and
// the slice goes on as `CanvasMasks` describes.

extension CanvasDeferral {
    /// Pixels set in both `a` and `b` (masks in `pool`) where their boxes meet.
    static func sharedPixels(_ a: Box, _ b: Box, _ pool: UnsafePointer<UInt64>) -> Int {
        let top = max(a.top, b.top), bottom = min(a.bottom, b.bottom)
        let left = max(a.left, b.left), right = min(a.right, b.right)
        guard top <= bottom && left <= right else { return 0 }
        // By the words of `a` over the columns shared, `b`'s bits lined up with each (both masks
        // are clear outside their boxes: no edge to cut).
        let (strideA, strideB) = (a.stride, b.stride)
        let first = (left - a.left) >> 6, last = (right - a.left) >> 6
        let offset = a.left + 64 * first - b.left
        var pixels = 0
        for y in top...bottom {
            let rowA = pool + a.start + (y - a.top) * strideA, rowB = pool + b.start + (y - b.top) * strideB
            var word = first, at = offset
            if at < 0 {
                // `b` starts inside this word of `a`.
                pixels &+= (rowA[word] & rowB[0] &<< UInt64(-at)).nonzeroBitCount
                word &+= 1
                at &+= 64
            }
            while word <= last {
                pixels &+= (rowA[word] & window(rowB, strideB, at)).nonzeroBitCount
                word &+= 1
                at &+= 64
            }
        }
        return pixels
    }

    /// Bits set in the mask of `box`.
    static func pixels(_ box: Box, _ pool: UnsafePointer<UInt64>) -> Int {
        var pixels = 0
        for word in box.start..<(box.start + box.words) { pixels &+= pool[word].nonzeroBitCount }
        return pixels
    }

    /// Ors the mask of `member` into that of `target` (whose box holds `member`'s).
    static func or(_ member: Box, into target: Box, _ pool: UnsafeMutablePointer<UInt64>) {
        let offset = member.left - target.left
        let shift = UInt64(offset & 63)
        let (memberStride, targetStride) = (member.stride, target.stride)
        for y in member.top...member.bottom {
            let source = pool + member.start + (y - member.top) * memberStride
            let destination = pool + target.start + (y - target.top) * targetStride + (offset >> 6)
            for word in 0..<memberStride {
                let bits = source[word]
                guard bits != 0 else { continue }
                destination[word] |= bits &<< shift
                // Bits past the member's box are clear: what reaches the next word lies in the target's box.
                if shift != 0 {
                    let high = bits &>> (64 - shift)
                    if high != 0 { destination[word + 1] |= high }
                }
            }
        }
    }

    /// The box holding the boxes `members` (indices into `boxes`), with a zeroed mask appended to `pool`.
    mutating func union(of members: ArraySlice<Int32>, in boxes: [Box], tag: Int32) -> Box {
        var box = boxes[Int(members.first!)]
        for member in members.dropFirst() {
            let other = boxes[Int(member)]
            (box.left, box.top) = (min(box.left, other.left), min(box.top, other.top))
            (box.right, box.bottom) = (max(box.right, other.right), max(box.bottom, other.bottom))
        }
        box.start = pool.count
        box.object = tag
        pool.append(contentsOf: repeatElement(0, count: box.words))
        return box
    }

    /// Groups `entries` (tagged `tag << 32 | index`, sorted) into `layer`: one box a tag, the
    /// union of its members' masks where there are several; false (nothing counted) when the
    /// masks would pass `limitWords`.
    mutating func group(_ entries: [UInt64], of boxes: [Box], into layer: inout [Box], limitWords: Int) -> Bool {
        layer.removeAll(keepingCapacity: true)
        var members = self.members, unions = self.unions
        members.removeAll(keepingCapacity: true)
        unions.removeAll(keepingCapacity: true)
        defer { (self.members, self.unions) = (members, unions) }
        var start = 0
        while start < entries.count {
            let tag = Int32(truncatingIfNeeded: entries[start] >> 32)
            var end = start + 1
            while end < entries.count && entries[end] >> 32 == entries[start] >> 32 { end += 1 }
            if end - start == 1 {
                var box = boxes[Int(entries[start] & 0xffff_ffff)]
                box.object = tag
                layer.append(box)
            } else {
                let first = members.count
                for entry in entries[start..<end] { members.append(Int32(truncatingIfNeeded: entry & 0xffff_ffff)) }
                let box = union(of: members[first...], in: boxes, tag: tag)
                if pool.count > limitWords { return false }
                unions.append((layer.count, first, end - start))
                layer.append(box)
            }
            start = end
        }
        pool.withUnsafeMutableBufferPointer { pool in
            for (index, first, count) in unions {
                for member in members[first..<(first + count)] { Self.or(boxes[Int(member)], into: layer[index], pool.baseAddress!) }
            }
        }
        return true
    }

    /// Each box's pixels (tagged by its `object`) and each pair's shared pixels, into `sweep`.
    static func count(_ layer: [Box], _ pool: UnsafePointer<UInt64>, into sweep: inout LayerSweep) {
        for index in layer.indices {
            let box = layer[index]
            let pixels = Self.pixels(box, pool)
            guard pixels > 0 else { continue }
            if sweep.area[Int(box.object)] == 0 { sweep.touched.append(box.object) }
            sweep.area[Int(box.object)] += pixels
            for other in layer[(index + 1)...] where other.meets(box) {
                let shared = sharedPixels(box, other, pool)
                guard shared > 0 else { continue }
                let (low, high) = box.object < other.object ? (box.object, other.object) : (other.object, box.object)
                sweep.addPair(UInt64(UInt32(low)) << 32 | UInt64(UInt32(high)), shared)
            }
        }
    }
}

extension SliceCanvas {
    /// Counts the slice from its masks (see above) into `sweep`; false (nothing counted) when
    /// the masks and their unions would pass the masks' budget (`CanvasDeferral.keptWords`).
    mutating func countMasks(into sweep: inout SliceSweep) -> Bool {
        guard !deferral.boxes.isEmpty else { return true }
        let limitWords = CanvasDeferral.keptWords(cells: width * height)
        var entries = deferral.entries, objects = deferral.objectLayer, categories = deferral.categoryLayer
        defer { (deferral.entries, deferral.objectLayer, deferral.categoryLayer) = (entries, objects, categories) }
        // Objects: their annotations' masks.
        entries.removeAll(keepingCapacity: true)
        for (index, box) in deferral.boxes.enumerated() { entries.append(UInt64(UInt32(box.object)) << 32 | UInt64(index)) }
        entries.sort()
        guard deferral.group(entries, of: deferral.boxes, into: &objects, limitWords: limitWords) else { return false }
        // Categories: their objects' masks.
        entries.removeAll(keepingCapacity: true)
        for (index, box) in objects.enumerated() {
            for category in sweep.categoriesOfObject[Int(box.object)] { entries.append(UInt64(UInt32(category)) << 32 | UInt64(index)) }
        }
        entries.sort()
        guard deferral.group(entries, of: objects, into: &categories, limitWords: limitWords) else { return false }
        deferral.pool.withUnsafeBufferPointer { pool in
            CanvasDeferral.count(objects, pool.baseAddress!, into: &sweep.objects)
            CanvasDeferral.count(categories, pool.baseAddress!, into: &sweep.categories)
        }
        return true
    }

    /// Stops counting from masks: the annotations kept so far whose pixels meet another's are
    /// painted (the others stay aside), as if each had been settled as it came.
    mutating func leaveMaskCounting() {
        guard deferral.counting else { return }
        deferral.counting = false
        let count = deferral.boxes.count
        var meets = deferral.meets
        meets.removeAll(keepingCapacity: true)
        meets.append(contentsOf: repeatElement(false, count: count))
        deferral.pool.withUnsafeBufferPointer { pool in
            for first in 0..<count {
                let box = deferral.boxes[first]
                for second in (first + 1)..<count where (!meets[first] || !meets[second]) && deferral.boxes[second].meets(box) {
                    if CanvasDeferral.overlap(box, deferral.boxes[second], pool.baseAddress!) {
                        meets[first] = true
                        meets[second] = true
                    }
                }
            }
        }
        for index in 0..<count where meets[index] {
            let box = deferral.boxes[index]
            paintMasks(object: box.object, start: box.start, box: box)
            deferral.boxes[index].deferred = false
        }
        deferral.meets = meets
    }
}
