import AWSSigV4
import Foundation

/// Credentials from the shared files `~/.aws/credentials` and `~/.aws/config`, for `AWS_PROFILE` (or `default`).
///
/// A profile may hold static keys, or `role_arn` with `web_identity_token_file`, which is then exchanged through
/// STS like the web identity variables.
public struct ProfileCredentialProvider: CredentialProvider {
    let environment: [String: String]
    let region: AWSRegion
    let time: any TimeSource

    /// Creates a provider that reads the files named by the environment (`AWS_SHARED_CREDENTIALS_FILE`,
    /// `AWS_CONFIG_FILE`, `HOME`).
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment, region: AWSRegion,
        time: any TimeSource = SystemTimeSource()
    ) {
        self.environment = environment
        self.region = region
        self.time = time
    }

    var profileName: String { environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default" }

    public func credentials() async throws -> AWSCredentials {
        let home = environment["HOME"] ?? NSHomeDirectory()
        let credentialsPath = environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials"
        let configPath = environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config"
        let explicitProfile = environment["AWS_PROFILE"].map { !$0.isEmpty } ?? false

        var settings: [String: String] = [:]
        if let config = try Self.read(configPath, explicit: environment["AWS_CONFIG_FILE"] != nil) {
            let section = profileName == "default" ? "default" : "profile \(profileName)"
            settings.merge(config[section] ?? config[profileName] ?? [:]) { _, new in new }
        }
        if let file = try Self.read(credentialsPath, explicit: environment["AWS_SHARED_CREDENTIALS_FILE"] != nil) {
            settings.merge(file[profileName] ?? [:]) { _, new in new }
        }

        if let key = settings["aws_access_key_id"], let secret = settings["aws_secret_access_key"] {
            return AWSCredentials(
                accessKeyID: key, secretAccessKey: secret, sessionToken: settings["aws_session_token"])
        }
        if settings["aws_access_key_id"] != nil || settings["aws_secret_access_key"] != nil {
            throw AWSConfigurationError(
                "profile '\(profileName)' has only one of aws_access_key_id and aws_secret_access_key; set both")
        }
        if let role = settings["role_arn"], let tokenFile = settings["web_identity_token_file"] {
            return try await WebIdentityCredentialProvider(
                tokenFile: tokenFile, roleARN: role, sessionName: settings["role_session_name"], region: region,
                environment: environment, time: time
            ).credentials()
        }
        if explicitProfile {
            throw AWSConfigurationError(
                "AWS_PROFILE is '\(profileName)' but no such profile with keys is in \(credentialsPath) or "
                    + "\(configPath); add it or unset AWS_PROFILE")
        }
        throw CredentialsNotFound("no '\(profileName)' profile with keys in \(credentialsPath) or \(configPath)")
    }

    /// Reads an INI file; nil when it does not exist (an error if the caller named it explicitly).
    static func read(_ path: String, explicit: Bool) throws -> [String: [String: String]]? {
        guard FileManager.default.fileExists(atPath: path) else {
            if explicit { throw AWSConfigurationError("the AWS file \(path) does not exist") }
            return nil
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else {
            throw AWSConfigurationError("cannot read the AWS file \(path); check that it exists and is readable")
        }
        return try parseINI(text, path: path)
    }

    /// Parses the shared-file INI dialect: `[section]`, `key = value`, `#`/`;` comments.
    static func parseINI(_ text: String, path: String) throws -> [String: [String: String]] {
        var sections: [String: [String: String]] = [:]
        var current: String?
        for (number, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else {
                    throw AWSConfigurationError("\(path) line \(number + 1): a section header must end with ']'")
                }
                let name = line.dropFirst().dropLast().trimmingCharacters(in: .whitespaces)
                current = name
                sections[name, default: [:]] = sections[name] ?? [:]
                continue
            }
            guard let equals = line.firstIndex(of: "=") else {
                if rawLine.first == " " || rawLine.first == "\t" { continue }  // nested value of a sub-section
                throw AWSConfigurationError("\(path) line \(number + 1): expected 'key = value'")
            }
            guard let section = current else {
                throw AWSConfigurationError("\(path) line \(number + 1): a setting comes before any [section]")
            }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            let value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            sections[section, default: [:]][key] = value
        }
        return sections
    }
}
