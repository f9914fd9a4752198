using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Planning;
using Gitfleet.Core.Resolution;
using Gitfleet.TestSupport;

namespace Gitfleet.Core.Tests.Planning;

public sealed class PlannerTests
{
    private const string Kiosk = "3fb4632b-96b9-475d-ac89-02255bd15b6f";
    private const string Gateway = "5ef8c955-4f87-4243-adcd-160f70c3c45e";
    private const string Legacy = "048312b5-0456-47a7-9e83-b636f4c0a689";

    /// <summary>Every device of site "field" subscribes to production.</summary>
    private const string FieldInventory = """
        all:
          children:
            field:
              selector: {matchLabels: {tags.site: field}}
              vars: {subscribed_branch: production}
        """;

    private static readonly FleetRevision Revision = Snapshots.Valid(
        ("inventory.yml", $$"""
            all:
              children:
                kiosks:
                  vars: {subscribed_branch: production}
                  hosts:
                    {{Kiosk}}:
                gateways:
                  vars: {subscribed_branch: canary}
                  hosts:
                    {{Gateway}}:
                legacy:
                  vars: {subscribed_branch: production}
                  hosts:
                    {{Legacy}}:
                field:
                  selector:
                    matchLabels: {tags.site: field}
                  vars: {subscribed_branch: production}
            """),
        ("group_vars/all.yml", """
            os_image:
              - {device_type: pi4, image_name: pi4-v2}
              - {device_type: gate, image_name: gate-v2}
            """),
        ("group_vars/kiosks.yml", "configuration:\n  template: kiosk.json\n  parameters:\n    url: https://a\n"),
        ("templates/kiosk.json", """{"url": "{{url}}", "token": "{{env "TOKEN"}}"}"""));

    private static readonly Func<string, string?> Secrets = n => n == "TOKEN" ? "s3cr3t" : null;

    private static DeviceFacts Device(string id, string type = "pi4", string image = "pi4-v2", IReadOnlyDictionary<string, string>? reported = null) => new()
    {
        Id = id,
        DeviceType = type,
        ArtifactName = image,
        Attributes = new Dictionary<string, string> { ["rootfs-image.version"] = image },
        ReportedConfiguration = reported,
    };

    private static Dictionary<string, string> KioskConfig(string url = "https://a", string image = "pi4-v2", string branch = "production") => new()
    {
        ["url"] = url,
        ["token"] = "s3cr3t",
        ["expected_os_image"] = image,
        ["subscribed_branch"] = branch,
    };

    private static Plan Plan(string branch, params DeviceFacts[] facts) =>
        Planner.Plan(new PlanRequest { Branch = branch, Revision = Revision, Facts = facts, Secrets = Secrets });

    [Fact]
    public void Converged_device_needs_nothing()
    {
        var plan = Plan("production", Device(Kiosk, reported: KioskConfig()), Device(Legacy, "pi4"));
        plan.Summary.HasChanges.ShouldBeFalse();
        plan.Summary.Unchanged.ShouldBe(2);
        plan.Devices.Single(d => d.Key == Legacy).Configuration.Desired.ShouldBeNull("no configuration is declared for it");
    }

    [Fact]
    public void Only_devices_subscribed_to_the_branch_are_planned()
    {
        var plan = Plan("canary", Device(Kiosk, image: "old"), Device(Gateway, "gate", "gate-v1"));
        plan.Devices.Select(d => d.Key).ShouldBe([Gateway]);
        ShouldBeUpdate(plan.Devices[0].Os, "gate-v1", "gate-v2");
    }

    [Fact]
    public void Os_update_re_sends_the_configuration()
    {
        var plan = Plan("production", Device(Kiosk, image: "pi4-v1", reported: KioskConfig()));
        var device = plan.Devices.Single(d => d.Key == Kiosk);
        device.Os.Kind.ShouldBe(ActionKind.Update);
        device.Configuration.Kind.ShouldBe(ActionKind.Update);
        device.Configuration.Reason.ShouldBe("re-sent with the OS update");
        device.Configuration.Changes.ShouldBeEmpty("the configuration itself did not change");
    }

    [Fact]
    public void Configuration_diff_is_key_level_and_redacts_secrets()
    {
        var reported = KioskConfig(url: "https://old");
        reported["token"] = "old-secret";
        reported["obsolete"] = "x";
        var device = Plan("production", Device(Kiosk, reported: reported)).Devices.Single(d => d.Key == Kiosk);
        device.Os.Kind.ShouldBe(ActionKind.None);
        device.Configuration.Changes.ShouldBe(
        [
            new ConfigKeyChange("obsolete", ChangeKind.Removed, "x", null, false),
            new ConfigKeyChange("token", ChangeKind.Changed, "***", "***", true),
            new ConfigKeyChange("url", ChangeKind.Changed, "https://old", "https://a", false),
        ]);
        device.Configuration.Desired!.Values["token"].ShouldBe("s3cr3t", "the applier still gets the real value");
    }

    [Fact]
    public void Server_tag_overrides_the_git_subscription()
    {
        var moved = Device(Kiosk, image: "pi4-v1") with { Tags = new Dictionary<string, string> { ["subscribed_branch"] = "canary" } };
        Plan("production", moved).Devices.ShouldNotContain(d => d.Key == Kiosk);
        var device = Plan("canary", moved).Devices.Single(d => d.Key == Kiosk);
        device.Subscription.ShouldBe(SubscriptionSource.ServerTag);
        device.Os.Kind.ShouldBe(ActionKind.Update);
        device.Configuration.Desired!.Values["subscribed_branch"].ShouldBe("canary");
    }

    [Fact]
    public void In_flight_changes_are_not_scheduled_again_and_stale_ones_are_superseded()
    {
        var desired = Plan("production", Device(Kiosk, image: "pi4-v1")).Devices.Single(d => d.Key == Kiosk).Configuration.Checksum;
        var facts = Device(Kiosk, image: "pi4-v1") with
        {
            InFlight =
            [
                new InFlightDeployment { DeploymentId = "d-os", Kind = DeploymentKind.Os, ArtifactName = "pi4-v2" },
                new InFlightDeployment { DeploymentId = "d-old", Kind = DeploymentKind.Os, ArtifactName = "pi4-v1.5" },
                new InFlightDeployment { DeploymentId = "d-cfg", Kind = DeploymentKind.Configuration, ConfigurationChecksum = desired },
            ],
        };
        var device = Plan("production", facts).Devices.Single(d => d.Key == Kiosk);
        device.Os.Kind.ShouldBe(ActionKind.InFlight);
        device.Os.Supersedes.ShouldBe(["d-old"]);
        device.Configuration.Kind.ShouldBe(ActionKind.InFlight);
        device.HasChanges.ShouldBeTrue("the stale deployment must be aborted");
    }

    [Fact]
    public void Problems_are_reported_not_thrown()
    {
        var plan = Plan("production",
            Device(Kiosk, type: "pi5"),
            Device(Legacy) with { Status = DeviceStatus.Pending });
        plan.Devices.Single(d => d.Key == Kiosk).Problems.Single().Code.ShouldBe(PlanProblemCodes.NoOsImage);
        plan.Devices.Single(d => d.Key == Legacy).Problems.Single().Code.ShouldBe(PlanProblemCodes.NotAccepted);
        plan.Summary.Problems.ShouldBe(2);
        plan.Summary.HasChanges.ShouldBeFalse();
    }

    [Fact]
    public void Device_declared_in_git_but_unknown_to_the_server()
    {
        var device = Plan("production").Devices.Single(d => d.Key == Kiosk);
        device.Problems.Single().Code.ShouldBe(PlanProblemCodes.UnknownDevice);
        device.Problems.Single().Message.ShouldContain("inventory.yml:6:");
    }

    [Fact]
    public void Missing_secret_is_a_device_problem()
    {
        var plan = Planner.Plan(new PlanRequest { Branch = "production", Revision = Revision, Facts = [Device(Kiosk)] });
        var problem = plan.Devices.Single(d => d.Key == Kiosk).Problems.Single();
        problem.Code.ShouldBe(PlanProblemCodes.RenderFailed);
        problem.Message.ShouldContain("needs environment variable TOKEN");
    }

    [Fact]
    public void Device_claimed_by_two_branches_is_left_alone()
    {
        var plan = Planner.Plan(new PlanRequest
        {
            Branch = "production",
            Revision = Revision,
            Facts = [Device(Kiosk, image: "pi4-v1")],
            Secrets = Secrets,
            OtherBranchClaims = new Dictionary<string, IReadOnlyList<string>> { [Kiosk] = ["main"] },
        });
        var device = plan.Devices.Single(d => d.Key == Kiosk);
        device.Problems.Single().Code.ShouldBe(PlanProblemCodes.BranchConflict);
        device.HasChanges.ShouldBeFalse();
    }

    [Fact]
    public void Dynamic_group_members_come_from_facts()
    {
        var member = Device("aaaaaaaa-0000-4000-8000-000000000001", image: "pi4-v1") with { Tags = new Dictionary<string, string> { ["site"] = "field" } };
        var stranger = Device("aaaaaaaa-0000-4000-8000-000000000002", image: "pi4-v1");
        var plan = Plan("production", member, stranger);
        var device = plan.Devices.Single(d => d.Key == member.Id);
        device.Os.Kind.ShouldBe(ActionKind.Update);
        plan.Devices.ShouldNotContain(d => d.Key == stranger.Id);
        plan.Summary.Unmanaged.ShouldBe(1);
    }

    [Fact]
    public void Device_declared_by_identity_is_matched_to_its_server_id()
    {
        var revision = Snapshots.Valid(
            ("inventory.yml", "all:\n  vars: {subscribed_branch: main}\n  hosts:\n    line-7-unit:\n      identity: {mac: 'dc:a6:32:00:00:07'}\n      device_type: pi4\n"),
            ("group_vars/all.yml", "os_image: [{device_type: pi4, image_name: v2}]\n"));
        var facts = new DeviceFacts
        {
            Id = "bbbbbbbb-0000-4000-8000-000000000007",
            DeviceType = "pi4",
            ArtifactName = "v1",
            Identity = new Dictionary<string, string> { ["mac"] = "dc:a6:32:00:00:07", ["serial"] = "7" },
        };
        var plan = Planner.Plan(new PlanRequest { Branch = "main", Revision = revision, Facts = [facts] });
        var device = plan.Devices.Single();
        device.Key.ShouldBe(facts.Id);
        device.HostName.ShouldBe("line-7-unit");
        ShouldBeUpdate(device.Os, "v1", "v2");
    }

    [Fact]
    public void Declared_and_reported_device_types_must_agree()
    {
        var revision = Snapshots.Valid(
            ("inventory.yml", $"all:\n  vars: {{subscribed_branch: main, device_type: pi4}}\n  hosts:\n    {Kiosk}:\n"),
            ("group_vars/all.yml", "os_image: [{device_type: pi4, image_name: v2}, {device_type: pi3, image_name: v3}]\n"));
        var plan = Planner.Plan(new PlanRequest { Branch = "main", Revision = revision, Facts = [Device(Kiosk, type: "pi3", image: "v1")] });
        plan.Devices.Single().Problems.Single().Code.ShouldBe(PlanProblemCodes.DeviceTypeMismatch);
    }

    private static void ShouldBeUpdate(OsAction os, string from, string to)
    {
        os.Kind.ShouldBe(ActionKind.Update);
        os.From.ShouldBe(from);
        os.To.ShouldBe(to);
        os.Supersedes.ShouldBeEmpty();
    }

    [Fact]
    public void Planning_is_deterministic()
    {
        var facts = new[] { Device(Kiosk, image: "x"), Device(Legacy, image: "y"), Device(Gateway, "gate", "z") };
        var first = System.Text.Json.JsonSerializer.Serialize(Plan("production", facts).Devices);
        var second = System.Text.Json.JsonSerializer.Serialize(Plan("production", facts.Reverse().ToArray()).Devices);
        second.ShouldBe(first);
    }

    [Fact]
    public void A_template_is_rendered_once_per_distinct_input()
    {
        string Id(int i) => $"{i:x8}-0000-4000-8000-{i:x12}";
        var revision = Snapshots.Valid(
            ("inventory.yml", FieldInventory),
            ("group_vars/all.yml", """
                os_image: [{device_type: pi4, image_name: pi4-v2}, {device_type: gate, image_name: gate-v2}]
                configuration: {template: kiosk.json, parameters: {url: "https://a"}}
                """),
            ($"host_vars/{Id(1)}.yml", "configuration: {template: kiosk.json, parameters: {url: \"https://a\"}}\nunrelated: x\n"),
            ($"host_vars/{Id(2)}.yml", "configuration: {template: kiosk.json, parameters: {url: \"https://b\"}}\n"),
            ($"host_vars/{Id(3)}.yml", "configuration: {template: gateway.json}\n"),
            ($"host_vars/{Id(4)}.yml", "configuration: {template: gateway.json}\n"),
            ("templates/kiosk.json", """{"url": "{{url}}", "updates": "https://updates.gitfleet.example.com/{{gitfleet.image}}"}"""),
            ("templates/gateway.json", """{"client_id": "{{gitfleet.device_id}}"}"""));
        var facts = Enumerable.Range(0, 5).Select(i => Device(Id(i), i < 3 ? "pi4" : "gate") with { Tags = new Dictionary<string, string> { ["site"] = "field" } }).ToArray();
        var desired = Planner.Plan(new PlanRequest { Branch = "production", Revision = revision, Facts = facts, Secrets = Secrets })
            .Devices.ToDictionary(d => d.Key, d => d.Configuration.Desired!);

        desired[Id(1)].ShouldBeSameAs(desired[Id(0)], "host_vars with the same values as the group's: one render, though the text says 'gitfleet'");
        desired[Id(2)].ShouldNotBeSameAs(desired[Id(0)]);
        desired[Id(2)].Values["url"].ShouldBe("https://b");
        desired[Id(0)].Values["updates"].ShouldBe("https://updates.gitfleet.example.com/pi4-v2");
        desired[Id(3)].Values["client_id"].ShouldBe(Id(3), "a template that reads the device id renders per device");
        desired[Id(4)].Values["client_id"].ShouldBe(Id(4));
    }

    [Fact]
    public void A_secret_is_read_once_per_plan_however_many_devices_render_it()
    {
        string Id(int i) => $"{i:x8}-0000-4000-8000-{i:x12}";
        var revision = PerDeviceRevision("""{"client_id": "{{gitfleet.device_id}}", "token": "{{env "TOKEN"}}", "other": "{{env "UNSET"}}"}""");
        var facts = Enumerable.Range(0, 50).Select(i => Device(Id(i)) with { Tags = new Dictionary<string, string> { ["site"] = "field" } }).ToArray();
        var reads = new System.Collections.Concurrent.ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        string? Counted(string name)
        {
            reads.AddOrUpdate(name, 1, (_, n) => n + 1);
            return name == "TOKEN" ? "s3cr3t" : null;
        }

        var plan = Planner.Plan(new PlanRequest { Branch = "production", Revision = revision, Facts = facts, Secrets = Counted });

        plan.Devices.Count.ShouldBe(50);
        plan.Devices.ShouldAllBe(d => d.Problems.Count == 1 && d.Problems[0].Message.Contains("needs environment variable UNSET"));
        reads.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => (r.Key, r.Value)).ShouldBe([("TOKEN", 1), ("UNSET", 1)]);
    }

    [Fact]
    public void A_secret_read_once_still_renders_each_device_with_its_own_id()
    {
        string Id(int i) => $"{i:x8}-0000-4000-8000-{i:x12}";
        var revision = PerDeviceRevision("""{"client_id": "{{gitfleet.device_id}}", "token": "{{env "TOKEN"}}"}""");
        var facts = Enumerable.Range(0, 50).Select(i => Device(Id(i)) with { Tags = new Dictionary<string, string> { ["site"] = "field" } }).ToArray();
        var calls = 0;
        var plan = Planner.Plan(new PlanRequest
        {
            Branch = "production",
            Revision = revision,
            Facts = facts,
            Secrets = name =>
            {
                Interlocked.Increment(ref calls);
                return Secrets(name);
            },
        });

        calls.ShouldBe(1);
        plan.Devices.Count.ShouldBe(50);
        foreach (var device in plan.Devices)
        {
            var desired = device.Configuration.Desired!;
            desired.Values["client_id"].ShouldBe(device.Key);
            desired.Values["token"].ShouldBe("s3cr3t");
            desired.SecretKeys.ShouldBe(["token"]);
        }
    }

    /// <summary>Every device of site "field" on production, rendering <paramref name="template"/>.</summary>
    private static FleetRevision PerDeviceRevision(string template) => Snapshots.Valid(
        ("inventory.yml", FieldInventory),
        ("group_vars/all.yml", """
            os_image: [{device_type: pi4, image_name: pi4-v2}]
            configuration: {template: device.json}
            """),
        ("templates/device.json", template));
}
