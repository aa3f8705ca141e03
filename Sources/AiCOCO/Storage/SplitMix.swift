// SplitMix64 (Steele, Lea and Flood 2014): the one 64-bit mixer of the package, for the hash
// tables' slots and the generator's seeded choices.

/// SplitMix64's increment, 2^64 divided by the golden ratio.
package let splitMix64Increment: UInt64 = 0x9E37_79B9_7F4A_7C15

/// SplitMix64's output function: every bit of `value` moves every bit of the result.
@inlinable @inline(__always)
package func splitMix64(_ value: UInt64) -> UInt64 {
    var z = value
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// A packed id's (`RecordID.packedWords`) hash, for the open-addressing tables keyed on them.
@inline(__always)
func packedIDHash(high: UInt64, low: UInt64) -> Int {
    Int(truncatingIfNeeded: splitMix64(low ^ high &* splitMix64Increment))
}
