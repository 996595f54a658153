import Foundation
import MTVAPI

/// The Job and ConfigMap that run one of a VM's hooks.
extension TargetBuilder {
    /// Where the hook's container finds `plan.yml`, `workload.yml` and `playbook.yml`.
    public static let hookMountPath = "/tmp/hook"
    /// The label that names the step a hook's Job and ConfigMap belong to.
    public static let hookStepLabel = "forklift.konveyor.io/hook-step"

    /// The name of the Job, and of its ConfigMap, that run the VM's hook at `step`.
    public func hookJobName(_ step: Hook.Step) -> String {
        "\(String(targetName.prefix(40)).trimmingSuffix("-"))-\(step.rawValue.lowercased())-"
            + String(migrationUID.prefix(8))
    }

    /// The ConfigMap mounted at `hookMountPath`: `plan.yml` (the Plan), `workload.yml` (the VM's inventory record
    /// with its target name and namespace) and `playbook.yml` when the hook has one. The files are JSON, which
    /// YAML readers (Ansible's among them) read as YAML.
    public func hookConfigMap(_ step: Hook.Step, hook: Hook) throws -> JSONValue {
        var data: [String: JSONValue] = [
            "plan.yml": .string(text(planDocument)),
            "workload.yml": .string(
                text(
                    record.applyingMergePatch([
                        "targetName": .string(targetName), "targetNamespace": .string(namespace),
                    ]))),
        ]
        if let playbook = try Self.playbook(of: hook) { data["playbook.yml"] = .string(playbook) }
        return [
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": [
                "name": .string(hookJobName(step)), "namespace": .string(namespace),
                "labels": .object(hookLabels(step)),
            ],
            "data": .object(data),
        ]
    }

    /// The Job that runs the hook once (no retry: a hook need not be safe to run twice), stopped after the
    /// hook's deadline; with a playbook, ansible-runner runs `playbook.yml`.
    public func hookJob(_ step: Hook.Step, hook: Hook) -> JSONValue {
        var container: [String: JSONValue] = [
            "name": "hook", "image": .string(hook.spec.image ?? ""),
            "volumeMounts": [["name": "hook", "mountPath": .string(Self.hookMountPath)]],
            "resources": ["requests": ["cpu": "100m", "memory": "150Mi"], "limits": ["memory": "1Gi"]],
            "terminationMessagePolicy": "FallbackToLogsOnError",
        ]
        if hook.spec.playbook?.isEmpty == false {
            container["command"] = [
                "/bin/entrypoint", "ansible-runner", "run", "/tmp/runner", "-p",
                .string("\(Self.hookMountPath)/playbook.yml"),
            ]
        }
        var podSpec: [String: JSONValue] = [
            "restartPolicy": "Never", "containers": [.object(container)],
            "volumes": [["name": "hook", "configMap": ["name": .string(hookJobName(step))]]],
        ]
        if let account = hook.spec.serviceAccount, !account.isEmpty { podSpec["serviceAccountName"] = .string(account) }
        var spec: [String: JSONValue] = [
            "backoffLimit": 0,
            "template": ["metadata": ["labels": .object(hookLabels(step))], "spec": .object(podSpec)],
        ]
        if let deadline = hook.spec.deadline, deadline > 0 { spec["activeDeadlineSeconds"] = .number(Double(deadline)) }
        return [
            "apiVersion": "batch/v1", "kind": "Job",
            "metadata": [
                "name": .string(hookJobName(step)), "namespace": .string(namespace),
                "labels": .object(hookLabels(step)),
            ],
            "spec": .object(spec),
        ]
    }

    /// The decoded playbook of a hook (nil when it has none); one that is not base64 text cannot run.
    public static func playbook(of hook: Hook) throws -> String? {
        guard let encoded = hook.spec.playbook, !encoded.isEmpty else { return nil }
        guard let data = Data(base64Encoded: encoded, options: .ignoreUnknownCharacters),
            let text = String(data: data, encoding: .utf8)
        else {
            throw BuildError(
                description: "hook \(hook.metadata.name ?? ""): spec.playbook is not base64-encoded UTF-8 text")
        }
        return text
    }

    private func hookLabels(_ step: Hook.Step) -> [String: JSONValue] {
        var labels = labels
        labels[Self.hookStepLabel] = .string(step.rawValue)
        return labels
    }

    /// The Plan as a hook sees it: its identity and spec, without status.
    private var planDocument: JSONValue {
        [
            "apiVersion": .string(plan.apiVersion), "kind": .string(plan.kind),
            "metadata": [
                "name": .string(plan.metadata.name ?? ""), "namespace": .string(plan.metadata.namespace ?? ""),
                "uid": .string(plan.metadata.uid ?? ""),
            ],
            "spec": (try? JSONValue(encoding: plan.spec)) ?? .null,
        ]
    }

    private func text(_ value: JSONValue) -> String {
        String(decoding: value.serialized(pretty: true), as: UTF8.self)
    }
}
