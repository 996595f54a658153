import Retries
import Testing

@testable import KubernetesClient

@Suite("Backoff")
struct BackoffTests {
    @Test("ceilings double from the base up to the cap; equal jitter waits in the upper half, full jitter from zero")
    func jitter() {
        let equal = Backoff(base: 0.5, cap: 4)
        #expect((0...6).map { equal.ceiling(retry: $0) } == [0, 0.5, 1, 2, 4, 4, 4])
        #expect(equal.delay(retry: 3, random: 0) == 1 && equal.delay(retry: 3, random: 1) == 2)
        #expect(equal.ceiling(retry: Int.max) == 4, "no overflow on a long outage")
        let full = Backoff(base: 0.5, cap: 4, jitter: .full)
        #expect(full.delay(retry: 3, random: 0) == 0 && full.delay(retry: 3, random: 1) == 2)
        #expect(full.delay(retry: 3, random: 7) == 2, "a draw outside 0...1 is clamped")
        for retry in 1...8 {
            let delay = KubernetesClient.reconnectBackoff.delay(retry: retry)
            let ceiling = KubernetesClient.reconnectBackoff.ceiling(retry: retry)
            #expect(delay >= ceiling / 2 && delay <= ceiling)
        }
    }
}
