import Foundation
import MTVAPI
import Testing

@testable import MigrationCore

@Suite("Plan validation of hooks")
struct HookValidationTests {
    static func reference(_ name: String, _ step: String, namespace: String? = nil) -> Plan.HookReference {
        Plan.HookReference(hook: ObjectReference(name: name, namespace: namespace), step: step)
    }

    static func hook(_ name: String, image: String? = "quay.io/konveyor/hook-runner", playbook: String? = nil) -> Hook {
        var hook = Hook(metadata: ObjectMeta(name: name, namespace: "ns"), spec: .init(image: image))
        hook.spec.playbook = playbook
        return hook
    }

    func conditions(_ references: [Plan.HookReference], hooks: [Hook]) -> [Condition] {
        var vm = Plan.VM(id: "i-1")
        vm.hooks = references
        var validator = PlanValidatorTests.validator(vms: [vm], inventory: [PlanValidatorTests.vm("i-1", name: "web")])
        validator.plan.metadata.namespace = "ns"
        validator.hooks = Dictionary(uniqueKeysWithValues: hooks.map { ("ns/\($0.metadata.name ?? "")", $0) })
        return validator.conditions().filter { $0.type.hasPrefix("Hook") || $0.type == "SettingNotSupported" }
    }

    @Test("hooks that exist and can run, one per step, pass; the plan's namespace is the default")
    func validHooks() {
        let playbook = Data("- hosts: localhost\n".utf8).base64EncodedString()
        let found = conditions(
            [Self.reference("pre", "PreHook"), Self.reference("post", "PostHook", namespace: "ns")],
            hooks: [Self.hook("pre", playbook: playbook), Self.hook("post")])
        #expect(found == [])
    }

    @Test("a missing hook, an AAP or image-less hook, a bad playbook, a bad or repeated step each block the plan")
    func invalidHooks() {
        var aap = Self.hook("aap", image: nil)
        aap.spec.aap = ["jobTemplateId": 3]
        let found = conditions(
            [
                Self.reference("gone", "PreHook"), Self.reference("aap", "PostHook"),
                Self.reference("bare", "AfterLunch"), Self.reference("aap", "PostHook"),
            ], hooks: [aap])
        #expect(found.allSatisfy { $0.category == Condition.Category.critical })
        #expect(found[type: "HookNotFound"]?.items == ["ns/gone"])
        #expect(
            found[type: "HookNotValid"]?.items == [
                "ns/aap: AAP job templates (spec.aap) are not run by this controller; give spec.image instead"
            ])
        #expect(
            found[type: "HookStepNotValid"]?.items == [
                "id:i-1: ns/bare at 'AfterLunch'", "id:i-1: PostHook",
            ])
        let broken = conditions(
            [Self.reference("broken", "PreHook")], hooks: [Self.hook("broken", playbook: "%%% not base64 %%%")])
        #expect(broken[type: "HookNotValid"]?.items == ["ns/broken: spec.playbook is not base64-encoded UTF-8 text"])
        let imageless = conditions([Self.reference("x", "PreHook")], hooks: [Self.hook("x", image: "")])
        #expect(imageless[type: "HookNotValid"]?.items == ["ns/x: spec.image is empty"])
    }
}
