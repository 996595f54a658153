import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Where the blocks go: a block device (a Block-mode PVC) or an image file (`disk.img` on a Filesystem-mode PVC),
/// written at each block's offset; an image file is made sparse at the volume's size, so unallocated blocks take no
/// space.
public final class BlockTarget: @unchecked Sendable {
    public let path: String
    private let descriptor: Int32
    private let lock = NSLock()

    /// Opens `path` for writing; `imageBytes` (for a file) creates it or grows it to that size.
    public init(path: String, imageBytes: Int64?) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | (imageBytes == nil ? 0 : O_CREAT), 0o644)
        // From here on `deinit` closes the descriptor, also when this initialiser throws.
        guard descriptor >= 0 else {
            throw ImportError.target("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard let imageBytes else { return }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw ImportError.target("cannot read the size of \(path): \(String(cString: strerror(errno)))")
        }
        if Int64(status.st_size) < imageBytes, ftruncate(descriptor, off_t(imageBytes)) != 0 {
            throw ImportError.target(
                "cannot size \(path) to \(imageBytes) bytes: \(String(cString: strerror(errno)))")
        }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
    }

    /// Writes `bytes` at `offset`, all of them.
    public func write(_ bytes: [UInt8], at offset: Int64) throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                pwrite(descriptor, buffer.baseAddress! + written, bytes.count - written, off_t(offset) + off_t(written))
            }
            if result < 0, errno == EINTR { continue }
            guard result > 0 else {
                throw ImportError.target(
                    "cannot write \(bytes.count) bytes at \(offset) of \(path): \(String(cString: strerror(errno)))")
            }
            written += result
        }
    }

    /// Makes every write so far durable.
    public func synchronize() throws {
        try lock.withLock {
            guard fsync(descriptor) == 0 else {
                throw ImportError.target("cannot flush \(path): \(String(cString: strerror(errno)))")
            }
        }
    }
}
