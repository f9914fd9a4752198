using Gitfleet.Core.Reconcile;

namespace Gitfleet.Core.Tests.Reconcile;

public sealed class FactsReplanPacingTests
{
    private static readonly DateTimeOffset PlannedAt = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(0, 0, true)] // a plan of no measurable cost: at once
    [InlineData(10, 39, false)] // a 10 s plan: not within 40 s
    [InlineData(10, 40, true)]
    [InlineData(2, 5, false)]
    [InlineData(2, 8, true)]
    public void A_facts_only_plan_waits_four_times_the_last_plan_s_cost(int costSeconds, int secondsLater, bool mayPlan) =>
        FactsReplanPacing.MayPlan(PlannedAt.AddSeconds(secondsLater), PlannedAt, TimeSpan.FromSeconds(costSeconds)).ShouldBe(mayPlan);

    [Fact]
    public void Never_planned_means_plan_now() =>
        FactsReplanPacing.MayPlan(PlannedAt, DateTimeOffset.MinValue, TimeSpan.Zero).ShouldBeTrue();
}
