import OpenCLRuntime
import Tensors
@testable import TensorsOpenCL
import Testing

/// Which convolutions run as Winograd F(m×m, 3×3) (`OpenCLBackend.winogradPlan`); the kernels
/// themselves are checked by the `winograd_*` parity checks.
@Suite(.enabled(if: openCL != nil, "no OpenCL platform on this machine"))
struct WinogradPlanTests {
    func plan(_ input: [Int], _ weight: [Int], stride: Int = 1, padding: Int = 1, groups: Int = 1,
              profile: OpenCLBackend.Profile = .cpu, tile: Int? = nil) throws -> WinogradPlan? {
        let backend = OpenCLBackend(runtime: try #require(openCL?.openCL), profile: profile, winogradTile: tile)
        let p = Conv2dParameters(stride: (stride, stride), padding: (padding, padding), groups: groups)
        return backend.winogradPlan(ConvGeometry(input: input, weight: weight, p))
    }

    @Test func largeImagesTakeTheBiggerTile() throws {
        // 32² with 128 channels, a batch of 16 (the whole-loop configuration): F(4×4), 8×8 tiles.
        let p = try #require(try plan([16, 128, 32, 32], [128, 128, 3, 3]))
        #expect(p.m == 4 && p.tilesY == 8 && p.tilesX == 8 && p.points == 36)
        // Odd sizes round the tiles up.
        let odd = try #require(try plan([2, 64, 13, 11], [64, 64, 3, 3], tile: 4))
        #expect(odd.tilesY == 4 && odd.tilesX == 3)
    }

    @Test func smallImagesAndOtherShapesUseIm2col() throws {
        // One 4×4 image a group: one tile in a 32-column panel costs more than im2col saves.
        #expect(try plan([1, 512 * 4, 4, 4], [512 * 4, 512, 3, 3], groups: 4) == nil)
        #expect(try plan([8, 256, 32, 32], [256, 256, 3, 3], stride: 2) == nil)       // strided
        #expect(try plan([8, 256, 32, 32], [256, 256, 1, 1], padding: 0) == nil)      // 1×1
        #expect(try plan([8, 256, 32, 32], [8, 256, 3, 3]) == nil)                    // fewer than 16 rows
        #expect(try plan([8, 256, 32, 32], [256, 256, 3, 3], padding: 3) == nil)      // padding past 2
        #expect(try plan([8, 256, 32, 32], [256, 256, 3, 3], profile: .gpu) == nil)   // GPU profile
        #expect(try plan([8, 256, 32, 32], [256, 256, 3, 3], tile: 0) == nil)         // switched off
    }

    @Test func aForcedTileIsUsedWhereverTheGeometryAllows() throws {
        #expect(try plan([1, 512, 4, 4], [512, 512, 3, 3], tile: 2)?.m == 2)
        #expect(try plan([1, 512, 4, 4], [512, 512, 3, 3], tile: 4)?.m == 4)
    }

    @Test func planesDoNotShareACacheSetStart() {
        // A multiple of 4 KiB (1024 floats) is padded by one 64-byte line.
        #expect(OpenCLBackend.planeStride(1024) == 1040)
        #expect(OpenCLBackend.planeStride(1000) == 1024)
        #expect(OpenCLBackend.planeStride(0) == 16)
    }
}
