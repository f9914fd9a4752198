using Gitfleet.TestSupport;

namespace Gitfleet.Core.Tests.Delivery;

public sealed class ByteBudgetSettingsTests
{
    [Fact]
    public void Gitfleet_yml_sets_the_byte_budget_of_a_branch()
    {
        var revision = Snapshots.Valid(
            ("inventory.yml", "all:\n  hosts:\n    3fb4632b-96b9-475d-ac89-02255bd15b6f:\n"),
            ("gitfleet.yml", "branches:\n  production:\n    rollout:\n      waves: [10%, 100%]\n      byteBudget:\n        perWave: 50GB\n        perHour: 2GiB\n        warnAbove: 1TB\n"));

        var budget = revision.Settings.PolicyFor("production").Rollout.ByteBudget;

        budget.PerWave.ShouldBe(50_000_000_000L);
        budget.PerHour.ShouldBe(2L << 30);
        budget.WarnAbove.ShouldBe(1_000_000_000_000L);
        revision.Settings.PolicyFor("main").Rollout.ByteBudget.LimitsAdmission.ShouldBeFalse();
    }
}
