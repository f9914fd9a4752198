using Gitfleet.Core.Fleet;
using Gitfleet.Core.Rollouts;

namespace Gitfleet.Core.Tests.Rollouts;

/// <summary>The byte budget with an explicit clock: it holds devices back and lets them go as it refills.</summary>
public sealed class ByteBudgetTests
{
    private const long MB = 1_000_000;
    private static readonly DateTimeOffset T0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly IReadOnlyList<string> Devices = Enumerable.Range(0, 10).Select(i => $"d{i}").ToList();

    private static ByteBudgetDecision Decide(ByteBudgetPolicy policy, IEnumerable<string> candidates, IReadOnlyList<ByteAdmission> log, DateTimeOffset now,
        int wave = 0, IReadOnlySet<string>? finished = null, IReadOnlyDictionary<string, long>? bytes = null) =>
        ByteBudget.Decide(new ByteBudgetInput
        {
            Policy = policy,
            Candidates = candidates.ToList(),
            Bytes = bytes ?? Devices.ToDictionary(d => d, _ => 30 * MB),
            Admitted = log,
            Finished = finished ?? new HashSet<string>(),
            Wave = wave,
            Now = now,
        });

    public static TheoryData<string, long?, long?, int> Budgets => new()
    {
        // name, perHour, perWave, admitted at once (10 candidates of 30 MB)
        { "no budget", null, null, 10 },
        { "100 MB per hour", 100 * MB, null, 3 },
        { "exactly 90 MB per hour", 90 * MB, null, 3 },
        { "60 MB per wave", null, 60 * MB, 2 },
        { "both: the tighter wins", 100 * MB, 60 * MB, 2 },
        { "smaller than one device: one goes anyway", 10 * MB, null, 1 },
    };

    [Theory]
    [MemberData(nameof(Budgets))]
    public void Admits_in_order_as_much_as_fits(string name, long? perHour, long? perWave, int admitted)
    {
        var decision = Decide(new ByteBudgetPolicy { PerHour = perHour, PerWave = perWave }, Devices, [], T0);

        decision.Admit.ShouldBe(Devices.Take(admitted), name);
        decision.Held.ShouldBe(Devices.Skip(admitted), name);
        (decision.Reason is null).ShouldBe(admitted == 10, name);
    }

    [Fact]
    public void The_hourly_budget_holds_devices_back_and_lets_them_go_as_it_refills()
    {
        var policy = new ByteBudgetPolicy { PerHour = 100 * MB };
        var first = Decide(policy, Devices, [], T0);
        first.Admit.ShouldBe(["d0", "d1", "d2"]);
        first.RetryAt.ShouldBe(T0 + TimeSpan.FromHours(1));
        first.Reason!.ShouldContain("7 devices wait: the hourly byte budget (100 MB) is used: 90.0 MB admitted in the last hour");

        var later = Decide(policy, first.Held, first.Log, T0.AddMinutes(59));
        later.Admit.ShouldBeEmpty("nothing aged out yet");
        later.RetryAt.ShouldBe(T0 + TimeSpan.FromHours(1));

        var refilled = Decide(policy, first.Held, later.Log, T0.AddHours(1));
        refilled.Admit.ShouldBe(["d3", "d4", "d5"]);
        refilled.Log.Where(a => a.At == T0).ShouldBeEmpty("admissions older than an hour are dropped from the log");
    }

    [Fact]
    public void Room_frees_as_each_admission_ages_past_the_hour()
    {
        var policy = new ByteBudgetPolicy { PerHour = 100 * MB };
        var first = Decide(policy, ["d0", "d1"], [], T0);
        var second = Decide(policy, Devices.Skip(2), first.Log, T0.AddMinutes(20));
        second.Admit.ShouldBe(["d2"]);
        second.RetryAt.ShouldBe(T0.AddHours(1), "at T0 + 1 h d0 and d1 age out; d2 (T0 + 20 min) still counts");

        var third = Decide(policy, second.Held, second.Log, T0.AddHours(1));
        third.Admit.ShouldBe(["d3", "d4"], "90 MB aged out, d2's 30 MB still count: 30 + 60 fits, 30 + 90 does not");
        third.RetryAt.ShouldBe(T0.AddMinutes(80));
    }

    [Fact]
    public void The_wave_budget_refills_as_admitted_devices_finish_and_starts_fresh_each_wave()
    {
        var policy = new ByteBudgetPolicy { PerWave = 60 * MB };
        var first = Decide(policy, Devices, [], T0);
        first.Admit.ShouldBe(["d0", "d1"]);
        first.RetryAt.ShouldBeNull("only finishing devices free room in a wave");

        Decide(policy, first.Held, first.Log, T0.AddMinutes(5)).Admit.ShouldBeEmpty();
        Decide(policy, first.Held, first.Log, T0.AddMinutes(5), finished: new HashSet<string> { "d0" }).Admit.ShouldBe(["d2"]);
        Decide(policy, first.Held, first.Log, T0.AddMinutes(5), wave: 1).Admit.ShouldBe(["d2", "d3"], "the next wave has its own budget");
    }

    [Fact]
    public void Configuration_only_devices_cost_nothing_and_a_big_download_is_not_overtaken()
    {
        var bytes = new Dictionary<string, long> { ["big"] = 80 * MB, ["small"] = 10 * MB };
        var policy = new ByteBudgetPolicy { PerHour = 100 * MB };

        var decision = Decide(policy, ["config-only", "small", "big", "tiny"], [], T0, bytes: bytes);
        decision.Admit.ShouldBe(["config-only", "small", "big", "tiny"], "10 + 80 + 0 fit");

        var tight = Decide(policy, ["small", "big", "small2"], [new ByteAdmission("earlier", 50 * MB, T0.AddMinutes(-10), 0)], T0,
            bytes: new Dictionary<string, long>(bytes) { ["small2"] = 1 * MB });
        tight.Admit.ShouldBe(["small"]);
        tight.Held.ShouldBe(["big", "small2"], "the 1 MB device waits behind the 80 MB one");
        tight.RetryAt.ShouldBe(T0.AddMinutes(50));
    }
}
