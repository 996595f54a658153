import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Reads pipes with `read(2)`, retrying when a signal interrupts it: Foundation's `availableData` and
/// `readDataToEndOfFile()` end the process on `EINTR`.
public enum PipeReader {
    /// The next bytes from `handle` (at most 64 KiB); empty at the end of the stream or on an error.
    public static func next(_ handle: FileHandle) -> Data {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 { return Data(buffer[0..<count]) }
            if count < 0, errno == EINTR { continue }
            return Data()
        }
    }

    /// Everything `handle` yields until the end of the stream.
    public static func readAll(_ handle: FileHandle) -> Data {
        var data = Data()
        while true {
            let chunk = next(handle)
            if chunk.isEmpty { return data }
            data.append(chunk)
        }
    }
}
