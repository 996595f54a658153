/// Walks `NextToken`-paged results. Stops when a page has no token, or repeats the token it was asked with
/// (some servers echo the last token instead of omitting it).
public enum Paginator {
    /// Every page, in order, as a stream.
    public static func pages<Page: Sendable>(
        _ fetch: @escaping @Sendable (_ token: String?) async throws -> (page: Page, nextToken: String?)
    ) -> AsyncThrowingStream<Page, any Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var token: String?
                    repeat {
                        let (page, next) = try await fetch(token)
                        continuation.yield(page)
                        token = Self.advance(from: token, to: next)
                    } while token != nil
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Every item of every page, collected.
    public static func collect<Item>(
        _ fetch: (_ token: String?) async throws -> (items: [Item], nextToken: String?)
    ) async throws -> [Item] {
        var all: [Item] = []
        var token: String?
        repeat {
            let (items, next) = try await fetch(token)
            all += items
            token = advance(from: token, to: next)
        } while token != nil
        return all
    }

    /// The token for the next request, or nil to stop.
    static func advance(from current: String?, to next: String?) -> String? {
        guard let next, !next.isEmpty, next != current else { return nil }
        return next
    }
}
