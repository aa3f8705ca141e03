import Foundation
import Testing

// convert --to coco with several threads builds pixels in a pool ahead of the writer; a few
// bytes of input can give tens of KB of RLE (a triangle across a 20000x4 image: about 40 KB),
// so the pool must bound what it holds by the bytes built, not only by the jobs of input
// gathered. Each run goes under /usr/bin/time (PixelHostile.run), its output through cksum.

@Suite("convert --to coco --threads 2: the pixel pool holds a bounded number of bytes built")
struct COCOPoolMemoryTests {
    /// Peak RSS allowed (--threads 1 takes about 17 MiB on these inputs; the pool held about
    /// 410 MiB when it bounded only the jobs of input).
    static let maxRSSKiB = 48 * 1024

    @Test("8000 triangles across a 20000x4 image: the same bytes as --threads 1, peak RSS under 48 MiB",
          arguments: ["rle", "polygon"])
    func wideTriangles(_ segmentation: String) throws {
        let count = 8000
        let text = PixelHostile.document(images: [PixelHostile.image(0, width: 20000, height: 4)],
                                         annotations: (0..<count).map { PixelHostile.annotation($0, image: 0, "[0,0,19999,3,0,3]") })
        let directory = try PixelHostile.directory(with: text)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var sums: [String] = []
        // --split-bytes 64k: the pool on this input of 0.8 MB (jobs of 64 KiB of input, the default).
        for threads in ["1", "2 --split-bytes 64k"] {
            let run = try PixelHostile.run("convert --to coco --segmentation \(segmentation) --threads \(threads) in.json | cksum",
                                           in: directory)
            let comment = "--segmentation \(segmentation) --threads \(threads)"
            #expect(run.status == 0 && run.stderr.isEmpty, "\(comment): exit \(run.status): \(run.stderr)")
            #expect(run.rssKiB > 0 && run.rssKiB < Self.maxRSSKiB, "\(comment): peak RSS \(run.rssKiB) KiB")
            sums.append(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        // cksum: CRC and size; every annotation is written, so the output holds its 8000 ids.
        let size = Int(sums[0].split(separator: " ").last ?? "") ?? 0
        #expect(size > count * 100, "output of \(size) bytes")
        #expect(sums[0] == sums[1], "--threads 1 \(sums[0]), --threads 2 \(sums[1])")
    }
}
