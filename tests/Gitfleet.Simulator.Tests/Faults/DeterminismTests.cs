using Gitfleet.Simulator.Faults;
using Gitfleet.Simulator.Tests.Support;

namespace Gitfleet.Simulator.Tests.Faults;

public sealed class DeterminismTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    private static readonly FaultSettings Flaky = new()
    {
        InstallFailureRate = 0.4,
        OfflineRate = 0.3,
        FlakyNetworkRate = 0.3,
        DownloadDropRate = 0.5,
        ImageFailures = [ImageFailureRule.Parse("bad-*@probability=0.5")],
    };

    [Fact]
    public void The_same_seed_gives_the_same_decisions_and_another_seed_other_ones()
    {
        static string Trace(long seed) => string.Join(';', Enumerable.Range(0, 50).SelectMany(device => Enumerable.Range(0, 20).Select(n =>
        {
            var subject = new RuleSubject(device, "pi4", () => new Dictionary<string, string>(), null);
            return $"{FaultDecisions.Network(Flaky, seed, device, n)}|{FaultDecisions.Offline(Flaky, seed, device, n)}|"
                + $"{FaultDecisions.Install(Flaky, seed, "bad-1", reboots: n % 2 == 0, n, subject)}|{FaultDecisions.DownloadDrop(Flaky, seed, device, n)}";
        })));

        Trace(42).ShouldBe(Trace(42));
        Trace(42).ShouldNotBe(Trace(43));
    }

    [Fact]
    public void Decisions_follow_their_rates()
    {
        var drops = Enumerable.Range(0, 10_000).Count(n => FaultDecisions.Network(Flaky, 5, n % 100, n).Kind != NetworkFaultKind.None);
        drops.ShouldBeInRange(2700, 3300);
        var offline = Enumerable.Range(0, 10_000).Select(n => FaultDecisions.Offline(Flaky, 5, n, 0)).Where(o => o is not null).ToList();
        offline.Count.ShouldBeInRange(2700, 3300);
        offline.ShouldAllBe(o => o >= Flaky.OfflineMin && o <= Flaky.OfflineMax);
    }

    [Fact]
    public async Task Two_runs_with_the_same_seed_fail_the_same_devices()
    {
        await server.UploadOsArtifactAsync("pi4-os-seeded");
        var outcomes = new List<string>();
        foreach (var prefix in new[] { "seed-a", "seed-b" })
        {
            var options = server.Options(prefix, 12) with { Seed = 7, Faults = new FaultSettings { InstallFailureRate = 0.5 } };
            await using var run = await SimulationRun.StartAsync(options);
            await run.AllIdleAsync();
            var deployment = await server.DeployAsync("pi4-os-seeded", run.DeviceIds);
            await run.UntilAsync(() => server.FinishedAsync(deployment), "finished");
            outcomes.Add(string.Concat(run.Devices.Select(d => d.RunningImage == "pi4-os-seeded" ? 'S' : 'F')));
        }

        outcomes[0].ShouldBe(outcomes[1]);
        var predicted = string.Concat(Enumerable.Range(0, 12).Select(i =>
            FaultDecisions.Install(new FaultSettings { InstallFailureRate = 0.5 }, 7, "pi4-os-seeded", reboots: true, 0,
                new RuleSubject(i, "pi4-v3-arm64", () => new Dictionary<string, string>(), null)).Fails ? 'F' : 'S'));
        outcomes[0].ShouldBe(predicted);
        outcomes[0].ShouldContain('F');
        outcomes[0].ShouldContain('S');
    }
}
