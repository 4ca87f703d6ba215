import Foundation

/// A small square matrix in Float, row-major: the homogeneous 2-D (3×3) and colour (4×4)
/// transforms of the augmentation pipeline, built and multiplied in float32 in the official
/// order, so that the values (and the integer padding derived from them) match torch's.
struct AugmentMatrix: Equatable {
    let n: Int
    var m: [Float]

    init(_ rows: [[Float]]) {
        n = rows.count
        m = rows.flatMap { $0 }
    }

    static func identity(_ n: Int) -> AugmentMatrix {
        AugmentMatrix((0..<n).map { i in (0..<n).map { $0 == i ? 1 : 0 } })
    }

    subscript(_ i: Int, _ j: Int) -> Float {
        get { m[i * n + j] }
        set { m[i * n + j] = newValue }
    }

    static func * (a: AugmentMatrix, b: AugmentMatrix) -> AugmentMatrix {
        var c = AugmentMatrix.identity(a.n)
        for i in 0..<a.n {
            for j in 0..<a.n {
                var sum: Float = 0
                for k in 0..<a.n { sum += a[i, k] * b[k, j] }
                c[i, j] = sum
            }
        }
        return c
    }

    // The official helpers (augment.py `translate2d`, `scale2d`, `rotate2d`, ... and their inverses).

    static func translate2d(_ tx: Float, _ ty: Float) -> AugmentMatrix { AugmentMatrix([[1, 0, tx], [0, 1, ty], [0, 0, 1]]) }
    static func translate2dInv(_ tx: Float, _ ty: Float) -> AugmentMatrix { translate2d(-tx, -ty) }
    static func scale2d(_ sx: Float, _ sy: Float) -> AugmentMatrix { AugmentMatrix([[sx, 0, 0], [0, sy, 0], [0, 0, 1]]) }
    static func scale2dInv(_ sx: Float, _ sy: Float) -> AugmentMatrix { scale2d(1 / sx, 1 / sy) }
    static func rotate2d(_ theta: Float) -> AugmentMatrix {
        AugmentMatrix([[cosf(theta), sinf(-theta), 0], [sinf(theta), cosf(theta), 0], [0, 0, 1]])
    }
    static func rotate2dInv(_ theta: Float) -> AugmentMatrix { rotate2d(-theta) }

    static func translate3d(_ tx: Float, _ ty: Float, _ tz: Float) -> AugmentMatrix {
        AugmentMatrix([[1, 0, 0, tx], [0, 1, 0, ty], [0, 0, 1, tz], [0, 0, 0, 1]])
    }
    static func scale3d(_ sx: Float, _ sy: Float, _ sz: Float) -> AugmentMatrix {
        AugmentMatrix([[sx, 0, 0, 0], [0, sy, 0, 0], [0, 0, sz, 0], [0, 0, 0, 1]])
    }
    /// Rotation by `theta` about the unit axis `v` (Rodrigues).
    static func rotate3d(_ v: [Float], _ theta: Float) -> AugmentMatrix {
        let (vx, vy, vz) = (v[0], v[1], v[2])
        let s = sinf(theta), c = cosf(theta), cc = 1 - c
        return AugmentMatrix([
            [vx * vx * cc + c, vx * vy * cc - vz * s, vx * vz * cc + vy * s, 0],
            [vy * vx * cc + vz * s, vy * vy * cc + c, vy * vz * cc - vx * s, 0],
            [vz * vx * cc - vy * s, vz * vy * cc + vx * s, vz * vz * cc + c, 0],
            [0, 0, 0, 1],
        ])
    }
    /// The outer product `v vᵀ`.
    static func outer(_ v: [Float]) -> AugmentMatrix { AugmentMatrix(v.map { a in v.map { a * $0 } }) }
}
