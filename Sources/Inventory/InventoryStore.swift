import GRDB
import InventoryQuery

/// The SQLite schema version this build writes.
public let inventorySchemaVersion = 1
