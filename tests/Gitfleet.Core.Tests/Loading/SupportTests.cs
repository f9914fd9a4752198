using Gitfleet.Core.Diagnostics;
using Gitfleet.Core.Fleet;

namespace Gitfleet.Core.Tests.Loading;

public sealed class SupportTests
{
    [Theory]
    [InlineData("hots", new[] { "hosts", "children", "vars" }, "hosts")]
    [InlineData("chidlren", new[] { "hosts", "children", "vars" }, "children")]
    [InlineData("completely", new[] { "hosts", "children", "vars" }, null)]
    [InlineData("subscribed_brnach", new[] { "subscribed_branch", "os_image" }, "subscribed_branch")]
    public void Did_you_mean(string word, string[] candidates, string? expected) =>
        DidYouMean.Suggest(word, candidates).ShouldBe(expected);

    [Theory]
    [InlineData("30s", 30)]
    [InlineData("10m", 600)]
    [InlineData("1h30m", 5400)]
    [InlineData("2d", 172800)]
    [InlineData("0", 0)]
    [InlineData("1.5h", 5400)]
    public void Durations(string text, int seconds)
    {
        DurationText.TryParse(text, out var duration).ShouldBeTrue();
        duration.ShouldBe(TimeSpan.FromSeconds(seconds));
    }

    [Theory]
    [InlineData("10 minutes")]
    [InlineData("m")]
    [InlineData("-5m")]
    [InlineData("")]
    [InlineData("1e3s")]
    public void Bad_durations(string text) => DurationText.TryParse(text, out _).ShouldBeFalse();

    [Theory]
    [InlineData("366d")]
    [InlineData("10675199d")]
    [InlineData("99999999999d")]
    [InlineData("364d24h1ms")]
    [InlineData("99999999999999999999999999999999999999999999999999999999999999d")]
    public void Durations_beyond_the_maximum_are_refused_with_the_maximum_named(string text)
    {
        DurationText.TryParse(text, out _, out var problem).ShouldBeFalse();
        problem.ShouldBe(text.Length > 64 ? "must be a duration such as 30s, 10m, 1h30m or 2d" : "is longer than the maximum duration of 365d");
    }

    [Fact]
    public void The_maximum_duration_is_accepted_and_can_be_added_to_any_date_a_rollout_meets()
    {
        DurationText.TryParse("365d", out var year).ShouldBeTrue();
        year.ShouldBe(DurationText.Maximum);
        DurationText.TryParse("364d23h59m59s999ms", out _).ShouldBeTrue();
        new DateTimeOffset(9000, 1, 1, 0, 0, 0, TimeSpan.Zero).Add(year).Year.ShouldBe(9000 + 1);
    }

    [Theory]
    [InlineData(10, true, 200, 20)]
    [InlineData(1, true, 50, 1)]
    [InlineData(100, true, 7, 7)]
    [InlineData(25, false, 10, 10)]
    [InlineData(5, false, 10, 5)]
    public void Quantities(double value, bool percent, int total, int expected) =>
        new Quantity(value, percent).Of(total).ShouldBe(expected);
}
