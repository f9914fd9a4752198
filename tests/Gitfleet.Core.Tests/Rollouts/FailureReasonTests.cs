using Gitfleet.Core.Facts;
using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>The one-line reason of a failed deployment, from logs as the Debian mender-client 3.4 sends them.</summary>
public sealed class FailureReasonTests
{
    [Fact]
    public void An_update_module_failure_is_explained_by_the_module_s_own_error_line_not_the_client_s()
    {
        const string log = """
            [{"level":"info","message":"State transition: mender-update-control [none] -> reboot [ArtifactReboot_Enter]","timestamp":"2026-01-01T12:00:00Z"},
             {"level":"info","message":"Output (stderr) from command \"/usr/share/mender/modules/v3/gitfleet-ab\": health check of img-3: kiosk did not start","timestamp":"2026-01-01T12:00:00Z"},
             {"level":"info","message":"Output (stderr) from command \"/usr/share/mender/modules/v3/gitfleet-ab\": gitfleet-ab: error: health check failed for 'img-3' (exit code 1); rolling back to slot b","timestamp":"2026-01-01T12:00:00Z"},
             {"level":"error","message":"Update module terminated abnormally: exit status 1","timestamp":"2026-01-01T12:00:01Z"},
             {"level":"error","message":"transient error: Update module terminated abnormally: exit status 1","timestamp":"2026-01-01T12:00:01Z"},
             {"level":"info","message":"Output (stderr) from command \"/usr/share/mender/modules/v3/gitfleet-ab\": gitfleet-ab: error: late line after the failure","timestamp":"2026-01-01T12:00:02Z"}]
            """;

        FailureReason.LastErrorLine(Log(log)).ShouldBe("gitfleet-ab: error: health check failed for 'img-3' (exit code 1); rolling back to slot b");
    }

    [Fact]
    public void Other_failures_are_explained_by_the_last_error_message()
    {
        const string log = """
            [{"level":"info","message":"Output (stderr) from command \"/usr/share/mender/modules/v3/x\": all fine","timestamp":"2026-01-01T12:00:00Z"},
             {"level":"error","message":"artifact device type mismatch","timestamp":"2026-01-01T12:00:00Z"}]
            """;

        FailureReason.LastErrorLine(Log(log)).ShouldBe("artifact device type mismatch", "no update module failed");
        FailureReason.LastErrorLine(Log("""[{"level":"error","message":"download failed"},{"level":"info","message":"cleanup"}]""")).ShouldBe("download failed");
        FailureReason.LastErrorLine(Log("""[{"level":"info","message":"only info"}]""")).ShouldBe("only info");
        FailureReason.LastErrorLine([]).ShouldBeNull();
    }

    [Fact]
    public void A_module_that_fails_without_saying_error_is_explained_by_its_last_line()
    {
        const string log = """
            [{"level":"info","message":"Output (stderr) from command \"/usr/share/mender/modules/v3/x\": starting\nkiosk did not start\n","timestamp":"2026-01-01T12:00:00Z"},
             {"level":"error","message":"Update module terminated abnormally: exit status 1","timestamp":"2026-01-01T12:00:00Z"}]
            """;

        FailureReason.LastErrorLine(Log(log)).ShouldBe("kiosk did not start");
    }

    /// <summary>A log as the client sends it (the JSON the log endpoint reads).</summary>
    private static List<DeviceLogLine> Log(string json) =>
        System.Text.Json.JsonSerializer.Deserialize<List<DeviceLogLine>>(json, new System.Text.Json.JsonSerializerOptions { PropertyNamingPolicy = System.Text.Json.JsonNamingPolicy.SnakeCaseLower })!;

    [Fact]
    public void A_reason_given_before_the_log_arrived_is_recognised()
    {
        FailureReason.AwaitsLog("OS image img-3 failed (the device sent no log)").ShouldBeTrue();
        FailureReason.AwaitsLog("OS image img-3 failed: boom").ShouldBeFalse();
        FailureReason.AwaitsLog(null).ShouldBeFalse();
    }

    [Theory]
    [InlineData(DeploymentKind.Os, false, "boom", "OS image img-3 failed: boom")]
    [InlineData(DeploymentKind.Configuration, false, "boom", "configuration configuration-ab12 failed: boom")]
    [InlineData(DeploymentKind.Os, false, null, "OS image img-3 failed (the device sent no log)")]
    [InlineData(DeploymentKind.Os, true, "boom", "OS image img-3: no artifact for device type 'pi4' on the server")]
    [InlineData(DeploymentKind.Configuration, true, null, "configuration configuration-ab12: no artifact for device type 'pi4' on the server")]
    public void A_failed_part_is_described_by_its_kind_artifact_and_log(DeploymentKind kind, bool noArtifact, string? error, string expected)
    {
        var artifact = kind == DeploymentKind.Os ? "img-3" : "configuration-ab12";
        IReadOnlyList<DeviceLogLine>? log = error is null ? null : [new DeviceLogLine("error", error)];
        FailureReason.Describe(new FailedPart(kind, artifact, noArtifact), "pi4", log).ShouldBe(expected);
    }

    [Fact]
    public void A_missing_device_type_is_named_unknown_and_a_long_reason_is_cut()
    {
        FailureReason.Describe(new FailedPart(DeploymentKind.Os, "img-3", true), null, null)
            .ShouldBe("OS image img-3: no artifact for device type 'unknown' on the server");
        var reason = FailureReason.Describe(new FailedPart(DeploymentKind.Os, "img-3", false), "pi4", [new DeviceLogLine("error", new string('x', 1000))]);
        reason.Length.ShouldBe(400);
        reason.ShouldEndWith("…");
    }

    [Theory]
    [InlineData(null, FailureKind.Failed)]
    [InlineData("timed out: downloading for 2h", FailureKind.TimedOut)]
    [InlineData("OS image img-3: no artifact for device type 'pi4' on the server", FailureKind.Rejected)]
    [InlineData("OS image img-3 failed: artifact Device Type mismatch", FailureKind.Rejected)]
    [InlineData("OS image img-3 failed: download failed", FailureKind.Failed)]
    public void A_reason_counts_for_abort_rules_as_timed_out_rejected_or_failed(string? reason, FailureKind kind)
    {
        FailureReason.KindOf(reason).ShouldBe(kind);
    }
}
