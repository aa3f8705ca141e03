// How `SliceCanvas` counts a slice whose annotations all stayed in masks (every one inside the
// image, their masks within budget, at most `CanvasDeferral.limit` of them): no canvas cell is
// painted. An object's pixels are the bits of the union of its annotations' masks, a
// category's those of the union of its objects' masks; a pair's shared pixels are the bits of
// the AND of their masks where their boxes meet (64 pixels a word). These are the canvas's
// counts: a pixel counts for each object (category) covering it and each pair of them.
// A structure's members fall in clusters, those whose boxes meet (transitively): clusters share
// no pixel, so each is a mask of its own (the union of its members', only where it has several)
// and the structure's pixels and pairs are the sums over its clusters. Scattered members cost
// no union of the box around them all, and a count is taken once (a cluster of one member
// carries the member's).
// Otherwise (`leaveMaskCounting`) the annotations whose pixels meet others' are painted and
// the slice goes on as `CanvasMasks` describes.

extension CanvasDeferral {
    /// Pixels set in both `a` and `b` (masks in `pool`) where their boxes meet; with
    /// `stoppingAtFirst`, only whether there is any: the count up to the first row that has one.
    @inline(__always)
    static func sharedPixels(_ a: Box, _ b: Box, _ pool: UnsafePointer<UInt64>, stoppingAtFirst: Bool = false) -> Int {
        let top = max(a.top, b.top), bottom = min(a.bottom, b.bottom)
        let left = max(a.left, b.left), right = min(a.right, b.right)
        guard top <= bottom && left <= right else { return 0 }
        // By the words of `a` over the columns shared, `b`'s bits lined up with each (both masks
        // are clear outside their boxes: no edge to cut).
        let (strideA, strideB) = (a.stride, b.stride)
        let first = (left - a.left) >> 6, last = (right - a.left) >> 6
        let offset = a.left + 64 * first - b.left
        var pixels = 0
        var rowA = pool + a.start + (top - a.top) * strideA, rowB = pool + b.start + (top - b.top) * strideB
        for _ in top...bottom {
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
            if stoppingAtFirst && pixels != 0 { return pixels }
            rowA += strideA
            rowB += strideB
        }
        return pixels
    }

    /// Bits set in the mask of `box`.
    static func pixels(_ box: Box, _ pool: UnsafePointer<UInt64>) -> Int {
        var pixels = 0
        for word in box.start..<(box.start + box.words) { pixels &+= pool[word].nonzeroBitCount }
        return pixels
    }

    /// Ors the mask of `member` into that of `target` (whose box holds `member`'s); the bits it
    /// sets that were clear.
    static func or(_ member: Box, into target: Box, _ pool: UnsafeMutablePointer<UInt64>) -> Int {
        let offset = member.left - target.left
        let shift = UInt64(offset & 63)
        let (memberStride, targetStride) = (member.stride, target.stride)
        var added = 0
        var source = pool + member.start
        var destination = pool + target.start + (member.top - target.top) * targetStride + (offset >> 6)
        for _ in member.top...member.bottom {
            for word in 0..<memberStride {
                let bits = source[word]
                guard bits != 0 else { continue }
                let low = destination[word], lowBits = bits &<< shift
                destination[word] = low | lowBits
                added &+= (lowBits & ~low).nonzeroBitCount
                // Bits past the member's box are clear: what reaches the next word lies in the target's box.
                if shift != 0 {
                    let highBits = bits &>> (64 - shift)
                    if highBits != 0 {
                        let high = destination[word + 1]
                        destination[word + 1] = high | highBits
                        added &+= (highBits & ~high).nonzeroBitCount
                    }
                }
            }
            source += memberStride
            destination += targetStride
        }
        return added
    }

    /// The box holding the boxes `members` (indices into `boxes`), with a zeroed mask taken from `pool`.
    mutating func union(of members: ArraySlice<Int32>, in boxes: UnsafeBufferPointer<Box>, tag: Int32) -> Box {
        var box = boxes[Int(members.first!)]
        for member in members.dropFirst() {
            let other = boxes[Int(member)]
            (box.left, box.top) = (min(box.left, other.left), min(box.top, other.top))
            (box.right, box.bottom) = (max(box.right, other.right), max(box.bottom, other.bottom))
        }
        box.object = tag
        box.pixels = 0
        box.start = pool.appendZeroed(box.words)
        return box
    }

    /// Groups `entries` (tagged `tag << 32 | index`, sorted) into `layer`: per tag, one box a
    /// cluster of its members (see above), the union of their masks where there are several, its
    /// pixels counted; false (nothing counted) when the masks would pass `limitWords`.
    mutating func group(_ entries: [UInt64], of boxes: [Box], into layer: inout [Box], limitWords: Int) -> Bool {
        layer.removeAll(keepingCapacity: true)
        // The room taken out of `self` (not copied: the arrays stay uniquely held).
        var members = takeRoom(&self.members), unions = takeRoom(&self.unions), roots = takeRoom(&self.roots)
        members.removeAll(keepingCapacity: true)
        unions.removeAll(keepingCapacity: true)
        defer { (self.members, self.unions, self.roots) = (members, unions, roots) }
        return boxes.withUnsafeBufferPointer { boxes in
            var start = 0
            while start < entries.count {
                let tag = Int32(truncatingIfNeeded: entries[start] >> 32)
                var end = start + 1
                while end < entries.count && entries[end] >> 32 == entries[start] >> 32 { end += 1 }
                defer { start = end }
                if end - start == 1 {
                    var box = boxes[Int(entries[start] & 0xffff_ffff)]
                    box.object = tag
                    layer.append(box)
                    continue
                }
                Self.cluster(entries[start..<end], boxes, into: &roots)
                for root in roots.indices where roots[root] == Int32(root) {
                    let first = members.count
                    for member in root..<roots.count where roots[member] == Int32(root) {
                        members.append(Int32(truncatingIfNeeded: entries[start + member] & 0xffff_ffff))
                    }
                    if members.count - first == 1 {
                        var box = boxes[Int(members[first])]
                        box.object = tag
                        layer.append(box)
                        members.removeLast()
                        continue
                    }
                    let box = union(of: members[first...], in: boxes, tag: tag)
                    if pool.count > limitWords { return false }
                    unions.append((layer.count, first, members.count - first))
                    layer.append(box)
                }
            }
            pool.withMutableWords { pool in
                for (index, first, count) in unions {
                    var pixels = 0
                    for member in members[first..<(first + count)] { pixels &+= Self.or(boxes[Int(member)], into: layer[index], pool) }
                    layer[index].pixels = pixels
                }
            }
            return true
        }
    }

    /// Per member of `entries` (indices into `boxes` in their low half), the first member of its
    /// cluster (boxes meeting, transitively), into `roots`.
    static func cluster(_ entries: ArraySlice<UInt64>, _ boxes: UnsafeBufferPointer<Box>, into roots: inout [Int32]) {
        roots.removeAll(keepingCapacity: true)
        roots.append(contentsOf: 0..<Int32(entries.count))
        roots.withUnsafeMutableBufferPointer { roots in
            func find(_ member: Int) -> Int {
                var member = member
                while roots[member] != Int32(member) {
                    roots[member] = roots[Int(roots[member])]
                    member = Int(roots[member])
                }
                return member
            }
            let base = entries.startIndex
            for second in 1..<roots.count {
                let box = boxes[Int(entries[base + second] & 0xffff_ffff)]
                for first in 0..<second where box.meets(boxes[Int(entries[base + first] & 0xffff_ffff)]) {
                    let (a, b) = (find(first), find(second))
                    if a != b { roots[max(a, b)] = Int32(min(a, b)) }
                }
            }
            for member in roots.indices { roots[member] = Int32(find(member)) }
        }
    }

    /// Counts the pixels of the boxes of `layer` not counted yet.
    static func countPixels(_ layer: inout [Box], _ pool: UnsafePointer<UInt64>) {
        for index in layer.indices where layer[index].pixels < 0 { layer[index].pixels = pixels(layer[index], pool) }
    }

    /// Each box's pixels (tagged by its `object`) and each pair's shared pixels, into `sweep`
    /// (boxes of one tag share none).
    static func count(_ layer: [Box], _ pool: UnsafePointer<UInt64>, into sweep: inout LayerSweep) {
        layer.withUnsafeBufferPointer { layer in
            for index in layer.indices {
                let box = layer[index]
                guard box.pixels > 0 else { continue }
                if sweep.area[Int(box.object)] == 0 { sweep.touched.append(box.object) }
                sweep.area[Int(box.object)] += box.pixels
                for otherIndex in (index + 1)..<layer.count {
                    let other = layer[otherIndex]
                    guard other.object != box.object && other.meets(box) else { continue }
                    let shared = sharedPixels(box, other, pool)
                    guard shared > 0 else { continue }
                    let (low, high) = box.object < other.object ? (box.object, other.object) : (other.object, box.object)
                    sweep.addPair(UInt64(UInt32(low)) << 32 | UInt64(UInt32(high)), shared)
                }
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
        var entries = takeRoom(&deferral.entries), objects = takeRoom(&deferral.objectLayer), categories = takeRoom(&deferral.categoryLayer)
        defer { (deferral.entries, deferral.objectLayer, deferral.categoryLayer) = (entries, objects, categories) }
        // Objects: their annotations' masks.
        entries.removeAll(keepingCapacity: true)
        for (index, box) in deferral.boxes.enumerated() { entries.append(UInt64(UInt32(box.object)) << 32 | UInt64(index)) }
        entries.sort()
        guard deferral.group(entries, of: deferral.boxes, into: &objects, limitWords: limitWords) else { return false }
        deferral.pool.withWords { CanvasDeferral.countPixels(&objects, $0) }
        // Categories: their objects' masks.
        entries.removeAll(keepingCapacity: true)
        for (index, box) in objects.enumerated() {
            for category in sweep.categoriesOfObject[Int(box.object)] { entries.append(UInt64(UInt32(category)) << 32 | UInt64(index)) }
        }
        entries.sort()
        guard deferral.group(entries, of: objects, into: &categories, limitWords: limitWords) else { return false }
        deferral.pool.withWords { pool in
            CanvasDeferral.count(objects, pool, into: &sweep.objects)
            CanvasDeferral.count(categories, pool, into: &sweep.categories)
        }
        return true
    }

    /// Stops counting from masks: the annotations kept so far whose pixels meet another's are
    /// painted (the others stay aside), as if each had been settled as it came.
    mutating func leaveMaskCounting() {
        guard deferral.counting else { return }
        deferral.counting = false
        let count = deferral.boxes.count
        var meets = takeRoom(&deferral.meets)
        meets.removeAll(keepingCapacity: true)
        meets.append(contentsOf: repeatElement(false, count: count))
        deferral.pool.withWords { pool in
            for first in 0..<count {
                let box = deferral.boxes[first]
                for second in (first + 1)..<count where (!meets[first] || !meets[second]) && deferral.boxes[second].meets(box) {
                    if CanvasDeferral.overlap(box, deferral.boxes[second], pool) {
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

/// The array `array` held, leaving it empty (so the one taken is held once: no copy on write).
@inline(__always)
func takeRoom<Element>(_ array: inout [Element]) -> [Element] {
    var taken: [Element] = []
    swap(&taken, &array)
    return taken
}
