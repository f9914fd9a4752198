using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>Per-phase timeouts with an explicit clock.</summary>
public sealed class PhaseTimeoutTests
{
    private static readonly DateTimeOffset Since = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly PhaseTimeouts Timeouts = new()
    {
        Downloading = TimeSpan.FromHours(2),
        Installing = TimeSpan.FromMinutes(30),
        Rebooting = TimeSpan.FromMinutes(15),
    };

    [Theory]
    [InlineData("downloading", 119, false)]
    [InlineData("downloading", 120, true)]
    [InlineData("installing", 29, false)]
    [InlineData("installing", 30, true)]
    [InlineData("rebooting", 14, false)]
    [InlineData("rebooting", 16, true)]
    public void Each_phase_has_its_own_limit(string status, int minutes, bool timedOut)
    {
        var verdict = PhaseTimeout.Check(Timeouts, status, Since, Since.AddMinutes(minutes));
        verdict.TimedOut.ShouldBe(timedOut);
        verdict.Deadline.ShouldBe(Since + PhaseTimeout.Limit(Timeouts, PhaseTimeout.Of(status))!.Value);
        verdict.Phase.ShouldBe(PhaseTimeout.Of(status));
    }

    [Theory]
    [InlineData("pending")]
    [InlineData("pause_before_installing")]
    [InlineData("pause_before_rebooting")]
    [InlineData(null)]
    public void Waiting_for_the_device_or_held_by_the_server_is_not_timed(string? status)
    {
        var verdict = PhaseTimeout.Check(Timeouts, status, Since, Since.AddDays(30));
        verdict.TimedOut.ShouldBeFalse();
        verdict.Deadline.ShouldBeNull();
    }

    [Fact]
    public void A_phase_without_a_limit_never_times_out_and_the_reason_names_the_phase()
    {
        var onlyInstalling = new PhaseTimeouts { Installing = TimeSpan.FromMinutes(10) };
        PhaseTimeout.Check(onlyInstalling, "downloading", Since, Since.AddDays(2)).TimedOut.ShouldBeFalse();
        var verdict = PhaseTimeout.Check(onlyInstalling, "installing", Since, Since.AddMinutes(11));
        verdict.Describe(TimeSpan.FromMinutes(10)).ShouldBe("timed out: installing for longer than 10m");
    }
}
