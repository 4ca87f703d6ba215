// swift-tools-version: 6.1
import PackageDescription

// Targets depend one way: tensors (no OpenCL) and C bindings -> OpenCL runtime -> the OpenCL
// backend of tensors -> kernel checks -> the command.
let package = Package(
    name: "sgan-gpu",
    products: [
        .executable(name: "sgan-gpu", targets: ["sgan-gpu"]),
        .library(name: "Tensors", targets: ["Tensors"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Zip datasets (folders of PNG images packed into one file, as the official dataset tool writes).
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.19"),
    ],
    targets: [
        // C bindings.
        .systemLibrary(
            name: "COpenCL", path: "Sources/COpenCL", pkgConfig: "OpenCL",
            providers: [.apt(["ocl-icd-opencl-dev", "opencl-headers"])]),
        .systemLibrary(
            name: "CLAPACK", path: "Sources/CLAPACK", pkgConfig: "lapacke",
            providers: [.apt(["liblapacke-dev", "libopenblas-dev"])]),
        .systemLibrary(
            name: "CPNG", path: "Sources/CPNG", pkgConfig: "libpng",
            providers: [.apt(["libpng-dev"])]),
        .systemLibrary(
            name: "CMPI", path: "Sources/CMPI", pkgConfig: "ompi-c",
            providers: [.apt(["libopenmpi-dev", "openmpi-bin"])]),

        // The .cl sources in Kernels/, embedded into the binary at build time.
        .executableTarget(name: "embed-kernels", path: "Sources/embed-kernels"),
        .plugin(
            name: "EmbedKernelsPlugin", capability: .buildTool(),
            dependencies: ["embed-kernels"], path: "Sources/EmbedKernelsPlugin"),
        .target(
            name: "KernelSources", path: "Kernels",
            exclude: ["README.md"],
            plugins: ["EmbedKernelsPlugin"]),

        // Swift owners of OpenCL handles: platforms, devices, programs, kernels, buffers.
        .target(name: "OpenCLRuntime", dependencies: ["COpenCL", "KernelSources"]),
        // Tensor, the op interface (`Backend`), autograd, the CPU reference backend and the
        // validating backend: no OpenCL.
        .target(name: "Tensors"),
        // The OpenCL backend of `Tensors`, and choosing a device (`Device.select`).
        .target(name: "TensorsOpenCL", dependencies: ["Tensors", "OpenCLRuntime"]),
        // The official StyleGAN building blocks composed from tensor ops (modulated conv, AdaIN, resampling, ...).
        .target(name: "StyleGANOps", dependencies: ["Tensors"]),
        // StyleGAN2 and StyleGAN (v1) networks with the official names, and network files.
        .target(name: "Networks", dependencies: ["Tensors", "StyleGANOps", "SafeTensors"]),
        // Rendering images from a generator: seeds, latents, quantisation, figures.
        .target(name: "Rendering", dependencies: ["Networks", "Tensors", "ImageIO", "SafeTensors"]),
        // Training across processes (MPI ranks): the world, all-reduce, broadcast and gather.
        .target(name: "Distributed", dependencies: ["CMPI"]),
        // ADA's augmentation pipeline (the official `AugmentPipe`) from the augmentation tensor ops.
        .target(name: "Augmentation", dependencies: ["Tensors"]),
        // Training: datasets, the official loops of StyleGAN2 and StyleGAN (v1), snapshots, metrics.
        .target(name: "Training", dependencies: [
            "Networks", "StyleGANOps", "Tensors", "ImageIO", "SafeTensors", "Rendering", "Metrics", "Augmentation", "Distributed",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        // FID and KID: pytorch-fid's Inception-v3 on the device, feature statistics, the distances
        // (LAPACK for the symmetric eigendecompositions).
        .target(name: "Metrics", dependencies: ["Tensors", "Networks", "Rendering", "ImageIO", "SafeTensors", "CLAPACK"]),
        // The parity helper and the registry of kernel checks (used by tests and `check-kernels`).
        .target(name: "KernelChecks", dependencies: ["Tensors", "TensorsOpenCL", "StyleGANOps"]),
        // Reading and writing safetensors files, with every field of the header checked.
        .target(name: "SafeTensors"),
        // PNG reading and writing through libpng's simplified API.
        .target(name: "ImageIO", dependencies: ["CPNG"]),

        .executableTarget(
            name: "sgan-gpu",
            dependencies: [
                "Tensors", "TensorsOpenCL", "KernelChecks", "OpenCLRuntime", "ImageIO", "Networks", "Rendering", "SafeTensors", "Training", "Metrics",
                "Augmentation", "Distributed",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),

        .testTarget(name: "OpenCLRuntimeTests", dependencies: ["OpenCLRuntime"]),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TensorsOpenCL", "KernelChecks", "KernelSources"]),
        // The reference backend alone: builds and passes without OpenCL.
        .testTarget(name: "ReferenceBackendTests", dependencies: ["Tensors"]),
        .testTarget(name: "AutogradTests", dependencies: ["Tensors", "StyleGANOps", "KernelChecks"]),
        .testTarget(name: "AugmentationTests", dependencies: ["Augmentation", "Networks", "Tensors", "TensorsOpenCL", "SafeTensors", "KernelChecks"]),
        .testTarget(name: "NetworksTests", dependencies: ["Networks", "StyleGANOps", "SafeTensors", "Tensors", "TensorsOpenCL"]),
        .testTarget(name: "TrainingTests", dependencies: ["Training", "Networks", "SafeTensors", "Tensors", "TensorsOpenCL", "ImageIO"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"]),
        // Runs the built `sgan-gpu` binary as a user would.
        .testTarget(name: "SGANCommandTests", dependencies: [
            "sgan-gpu", "Networks", "SafeTensors", "Tensors", "ImageIO", "Rendering", "Metrics",
            .product(name: "ZIPFoundation", package: "ZIPFoundation"),
        ]),
        .testTarget(name: "MetricsTests", dependencies: ["Metrics", "Tensors", "TensorsOpenCL", "SafeTensors", "ImageIO"]),
        .testTarget(name: "RenderingTests", dependencies: ["Rendering", "Networks", "Tensors"]),
    ],
    swiftLanguageModes: [.v6]
)
