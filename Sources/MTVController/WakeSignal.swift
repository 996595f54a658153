import Foundation

/// Wakes a loop early; `wait` returns false once closed.
actor WakeSignal {
    private var pending = false
    private var closed = false
    private var waiter: (id: Int, continuation: CheckedContinuation<Void, Never>)?
    private var counter = 0

    func signal() {
        if let waiter {
            self.waiter = nil
            waiter.continuation.resume()
        } else {
            pending = true
        }
    }

    func close() {
        closed = true
        signal()
    }

    /// Waits for a signal or `seconds`, whichever comes first.
    func wait(seconds: Double) async -> Bool {
        if pending {
            pending = false
            return !closed
        }
        counter += 1
        let id = counter
        await withCheckedContinuation { continuation in
            waiter = (id, continuation)
            Task {
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
                self.timeout(id)
            }
        }
        return !closed
    }

    private func timeout(_ id: Int) {
        guard let waiter, waiter.id == id else { return }
        self.waiter = nil
        waiter.continuation.resume()
    }
}
