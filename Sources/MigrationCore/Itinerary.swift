import MTVAPI

/// A migration phase, named as upstream Forklift names it so existing UIs understand the status.
public enum Phase: String, Sendable, CaseIterable, Codable {
    case started = "Started"
    case completed = "Completed"
}
