import ArgumentParser
import MTVAPI

/// Messages of `get inventory` and of reading the inventory service from any command.
enum InventoryMessages {
    /// `get inventory` with a resource it does not know.
    static func unknownResource(_ resource: String, known: [String]) -> ValidationError {
        ValidationError("unknown inventory resource '\(resource)'; use one of \(known.joined(separator: ", "))")
    }

    /// A query that does not parse or check; the detail is the query error with its caret.
    static func invalidQuery(_ reason: String) -> CLIError {
        CLIError("invalid query", detail: reason)
    }

    /// `--inventory-url` or `MTV_INVENTORY_URL` that is no http(s) URL.
    static func badURL(_ text: String) -> CLIError {
        CLIError("the inventory URL '\(text)' is not an http(s) URL")
    }

    /// No way to the inventory: no APIService, no Route, no URL.
    static func notFound(namespace: String) -> CLIError {
        CLIError(
            "cannot find the inventory: register the controller's APIService \(InventoryAPI.apiService) "
                + "(deploy/apiservice.yaml), \(otherWays(namespace))")
    }

    /// An APIService that is registered but not Available, and no Route or URL.
    static func unavailable(_ reason: String, namespace: String) -> CLIError {
        CLIError(
            "the APIService \(InventoryAPI.apiService) is registered but not Available: \(reason); fix it, "
                + otherWays(namespace))
    }

    /// The ways to the inventory besides the APIService.
    private static func otherWays(_ namespace: String) -> String {
        "expose it with a Route labelled app=forklift,service=forklift-inventory in \(namespace), or pass "
            + "--inventory-url (or set MTV_INVENTORY_URL)"
    }

    /// A kubeconfig CA that cannot be trusted for the inventory's connection.
    static func badClusterCA(_ reason: String) -> CLIError {
        CLIError("the kubeconfig's certificate-authority does not parse as PEM: \(reason)")
    }

    /// The aggregated inventory API could not be reached.
    static func unreachableThroughAPIServer(_ reason: String) -> CLIError {
        CLIError("cannot reach the inventory through the API server: \(reason)")
    }

    /// The inventory service could not be reached at its URL.
    static func unreachable(_ url: String, _ reason: String) -> CLIError {
        CLIError("cannot reach the inventory at \(url): \(reason)")
    }

    /// The inventory answered with an error status.
    static func answered(_ status: Int, _ message: String) -> CLIError {
        CLIError("the inventory answered \(status): \(message)")
    }

    /// The inventory answered with something other than a JSON list; the start of it is shown.
    static func notAList(_ start: String) -> CLIError {
        CLIError("the inventory's answer is not a JSON list: \(start)")
    }

    /// Every entry, with sample arguments, for the catalogue test.
    static var all: [any Error] {
        [
            unknownResource("ec2-bogus", known: ["ec2-instance", "ec2-volume"]), invalidQuery("expected a value"),
            badURL("ftp://inventory"), notFound(namespace: "openshift-mtv"),
            unavailable("FailedDiscoveryCheck", namespace: "openshift-mtv"),
            badClusterCA("no PEM block"), unreachableThroughAPIServer("connection refused"),
            unreachable("https://inventory.example/", "connection refused"), answered(500, "database is locked"),
            notAList("<html>"),
        ]
    }
}
