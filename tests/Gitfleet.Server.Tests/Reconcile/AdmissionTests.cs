using System.Net;
using Gitfleet.Server.Tests.Support;

namespace Gitfleet.Server.Tests.Reconcile;

/// <summary>Admission as code: devices declared in git are preauthorized; auto-accept; the rest stays pending.</summary>
public sealed class AdmissionTests
{
    [Fact]
    public async Task A_device_declared_by_identity_and_key_is_accepted_on_its_first_request()
    {
        await using var fleet = await ReconcileHarness.StartAsync();
        using var declared = new SimulatedDevice(fleet.Server.Anonymous());
        using var stranger = new SimulatedDevice(fleet.Server.Anonymous());
        using var subscribed = new SimulatedDevice(fleet.Server.Anonymous());
        (await subscribed.RequestAuthAsync()).StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        var (subscribedId, _) = await TestServer.FindDeviceAsync(fleet.Admin, subscribed);
        var key = string.Join("\n", declared.PublicKeyPem.Trim().Split('\n').Select(line => "            " + line));
        fleet.Repository.Write("inventory.yml", $"""
            all:
              children:
                main_devices:
                  vars:
                    subscribed_branch: main
                  hosts:
                    line-7-unit-0042:
                      identity:
                        mac: "{declared.Mac}"
                      public_key: |
            {key}
                production_devices:
                  vars:
                    subscribed_branch: production
                  hosts:
                    {subscribedId}:

            """);
        fleet.Repository.Write("group_vars/all.yml", "os_image:\n  - device_type: raspberrypi4\n    image_name: image-1\n");
        fleet.Repository.Write("gitfleet.yml", "branches:\n  production:\n    autoAccept: true\n");
        var commit = fleet.Repository.Commit("Declare the production line's unit 42");
        fleet.Repository.Git("branch", "-f", "production", commit);

        await fleet.ReconcileAsync("main");
        var main = await fleet.StatusAsync("main");
        main.Issues.ShouldContain(i => i.Reason.StartsWith("unknown-device", StringComparison.Ordinal), System.Text.Json.JsonSerializer.Serialize(main, Gitfleet.Core.Reconcile.ReconcileJson.Context.BranchStatus));
        using (var first = await declared.RequestAuthAsync())
        {
            first.StatusCode.ShouldBe(HttpStatusCode.OK, "preauthorized from git: accepted on its first request");
        }

        await fleet.ReconcileAsync("production");
        using (var accepted = await subscribed.RequestAuthAsync())
        {
            accepted.StatusCode.ShouldBe(HttpStatusCode.OK, "production auto-accepts the pending devices it subscribes");
        }

        using (var pending = await stranger.RequestAuthAsync())
        {
            pending.StatusCode.ShouldBe(HttpStatusCode.Unauthorized);
        }

        await fleet.RunAsync();
        using var still = await stranger.RequestAuthAsync();
        still.StatusCode.ShouldBe(HttpStatusCode.Unauthorized, "a device git does not declare stays pending");
    }
}
